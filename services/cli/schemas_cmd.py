"""`loadshed schemas …`: inspect, diff, gate, snapshot and export the event contract."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from schemas import ALL_EVENTS, Event, event_class_by_name, to_eventbridge
from schemas.base import EventValidationError
from schemas.compat import Change, diff_schemas
from schemas.draft4 import event_schema, registry_schema_name, schema_text
from schemas.examples import example
from schemas.gate import check_all, diff_against_published, load_published, published_versions, write_snapshots
from services.adapters.schema_registry import RegistryReadError, SchemaRegistryReader
from services.cli.output import CliError, table
from services.topology import TOPOLOGY

ReaderFactory = Callable[[str, "str | None"], SchemaRegistryReader]


def add_parser(sub: Any) -> None:
    p = sub.add_parser("schemas", help="inspect and gate the event contract", description=__doc__)
    cmds = p.add_subparsers(dest="schemas_cmd", required=True, metavar="COMMAND")

    def registry_opts(q: argparse.ArgumentParser) -> None:
        q.add_argument("--registry", help="compare with this deployed EventBridge Schema Registry")
        q.add_argument("--region", help="AWS region of the registry (default: boto3's)")

    q = cmds.add_parser("list", help="every event with version, producers and consumers")
    registry_opts(q)
    q = cmds.add_parser("show", help="an event's JSON Schema (Draft 4) and an example event")
    q.add_argument("name", help="event name, e.g. StageChanged")
    q.add_argument("--version", type=int, help="a published version (local) or registry version")
    registry_opts(q)
    q = cmds.add_parser("diff", help="changes against the latest snapshot (or the live registry)")
    q.add_argument("name", nargs="?", help="one event (default: all)")
    registry_opts(q)
    cmds.add_parser("check", help="fail on a breaking change without a version bump")
    cmds.add_parser("snapshot", help="write the current schemas as published versions")
    q = cmds.add_parser("export", help="write every event's Draft 4 schema to DIR")
    q.add_argument("dir", type=Path)


def _cls(name: str) -> type[Event]:
    try:
        return event_class_by_name(name)
    except EventValidationError as exc:
        raise CliError(str(exc)) from None


def _reader(args: argparse.Namespace, factory: ReaderFactory) -> SchemaRegistryReader | None:
    return factory(args.registry, args.region) if getattr(args, "registry", None) else None


def _live_status(reader: SchemaRegistryReader, cls: type[Event], live_names: set[str]) -> tuple[str, str]:
    name = registry_schema_name(cls)
    if name not in live_names:
        return "-", "not deployed"
    live = reader.get(name)
    changes = diff_schemas(live.content, event_schema(cls))
    if not changes:
        return live.version, "in sync"
    kind = "breaking" if any(c.severity == "breaking" for c in changes) else "compatible"
    return live.version, f"differs ({len(changes)} {kind})"


def cmd_list(args: argparse.Namespace, out: TextIO, factory: ReaderFactory) -> int:
    reader = _reader(args, factory)
    live_names = set(reader.schema_names()) if reader else set()
    headers = ["EVENT", "SOURCE", "DETAIL-TYPE", "VERSION", "PRODUCERS", "CONSUMERS"]
    if reader:
        headers += ["LIVE", "STATUS"]
    rows = []
    for cls in ALL_EVENTS:
        row = [
            cls.__name__,
            cls.SOURCE,
            cls.DETAIL_TYPE,
            str(cls.VERSION),
            ", ".join(TOPOLOGY.producers(cls)) or "-",
            ", ".join(TOPOLOGY.consumers(cls)) or "-",
        ]
        if reader:
            row += list(_live_status(reader, cls, live_names))
        rows.append(row)
    print(table(headers, rows), file=out)
    if reader:
        ours = {registry_schema_name(c) for c in ALL_EVENTS}
        for extra in sorted(live_names - ours):
            print(f"only in registry {reader.registry}: {extra}", file=out)
    return 0


def cmd_show(args: argparse.Namespace, out: TextIO, factory: ReaderFactory) -> int:
    cls = _cls(args.name)
    reader = _reader(args, factory)
    if reader:
        live = reader.get(registry_schema_name(cls), None if args.version is None else str(args.version))
        print(f"# {live.name} in registry {reader.registry}, version {live.version} ({live.type})", file=out)
        schema = live.content
    elif args.version is not None:
        if args.version not in published_versions(cls.DETAIL_TYPE):
            raise CliError(
                f"{cls.DETAIL_TYPE}: no published version {args.version} "
                f"(published: {published_versions(cls.DETAIL_TYPE) or 'none'})"
            )
        schema = load_published(cls.DETAIL_TYPE, args.version)
        print(f"# {cls.DETAIL_TYPE} v{args.version} (published snapshot)", file=out)
    else:
        schema = event_schema(cls)
        print(f"# {cls.DETAIL_TYPE} v{cls.VERSION} (current model)", file=out)
    print(schema_text(schema), file=out)
    print("# Example event (as EventBridge delivers it)", file=out)
    print(json.dumps(to_eventbridge(example(cls)), indent=2), file=out)
    return 0


def _print_changes(title: str, changes: list[Change], out: TextIO) -> None:
    print(title, file=out)
    for change in changes or []:
        print(f"  {change}", file=out)
    if not changes:
        print("  no changes", file=out)


def cmd_diff(args: argparse.Namespace, out: TextIO, factory: ReaderFactory) -> int:
    events = (_cls(args.name),) if args.name else ALL_EVENTS
    reader = _reader(args, factory)
    live_names = set(reader.schema_names()) if reader else set()
    for cls in events:
        if reader:
            name = registry_schema_name(cls)
            if name not in live_names:
                print(f"{cls.DETAIL_TYPE}: not deployed in registry {reader.registry}", file=out)
                continue
            live = reader.get(name)
            changes = diff_schemas(live.content, event_schema(cls))
            _print_changes(f"{cls.DETAIL_TYPE}: registry version {live.version} → current model", changes, out)
        else:
            latest, changes = diff_against_published(cls)
            if latest is None:
                print(f"{cls.DETAIL_TYPE}: no published snapshot yet", file=out)
                continue
            _print_changes(f"{cls.DETAIL_TYPE}: published v{latest} → current model v{cls.VERSION}", changes, out)
    return 0


def cmd_check(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    findings = check_all()
    for f in findings:
        print(f"{'ok  ' if f.ok else 'FAIL'} {f.event}: {f.message}", file=out)
    failed = [f for f in findings if not f.ok]
    if failed:
        print(
            f"error: schemas check failed: {failed[0].event}: {failed[0].message}"
            + (f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""),
            file=err,
        )
        return 1
    return 0


def cmd_snapshot(out: TextIO) -> int:
    written = write_snapshots()
    for path in written:
        print(f"wrote {path}", file=out)
    if not written:
        print("snapshots are up to date", file=out)
    return 0


def cmd_export(args: argparse.Namespace, out: TextIO) -> int:
    try:
        args.dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CliError(f"cannot create {args.dir}: {exc.strerror}") from None
    for cls in ALL_EVENTS:
        path = args.dir / f"{cls.DETAIL_TYPE}.json"
        path.write_text(schema_text(event_schema(cls)), encoding="utf-8")
        print(f"wrote {path}", file=out)
    return 0


def run(args: argparse.Namespace, out: TextIO, err: TextIO, factory: ReaderFactory) -> int:
    try:
        if args.schemas_cmd == "list":
            return cmd_list(args, out, factory)
        if args.schemas_cmd == "show":
            return cmd_show(args, out, factory)
        if args.schemas_cmd == "diff":
            return cmd_diff(args, out, factory)
        if args.schemas_cmd == "check":
            return cmd_check(args, out, err)
        if args.schemas_cmd == "snapshot":
            return cmd_snapshot(out)
        return cmd_export(args, out)
    except RegistryReadError as exc:
        raise CliError(str(exc), code=1) from None
