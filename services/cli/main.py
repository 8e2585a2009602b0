"""The `loadshed` command line. Exit codes: 0 ok, 1 a check or operation failed, 2 bad usage."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import TextIO

from schemas.base import EventValidationError
from schemas.gate import SnapshotError
from services.adapters.schema_registry import make_reader
from services.adapters.sqlite_store import StoreUnavailableError
from services.bootstrap import ConfigError
from services.cli import (
    catalog_cmd,
    dlq_cmd,
    patterns_cmd,
    runtime_cmd,
    schedules_cmd,
    schemas_cmd,
    topology_cmd,
    webhook_cmd,
)
from services.cli.output import CliError
from services.ports import UpstreamError
from services.runtime.instance import InstanceLockedError
from services.topology_check import TopologyError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="loadshed",
        description="Load-shedding notifier for South Africa: contract, topology and runtime tools.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    schemas_cmd.add_parser(sub)
    topology_cmd.add_parser(sub)
    patterns_cmd.add_parser(sub)
    catalog_cmd.add_parser(sub)
    schedules_cmd.add_parser(sub)
    runtime_cmd.add_parsers(sub)
    webhook_cmd.add_parser(sub)
    dlq_cmd.add_parser(sub)
    return parser


def main(
    argv: Sequence[str] | None = None,
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
    reader_factory: schemas_cmd.ReaderFactory = make_reader,
) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    args = build_parser().parse_args(argv)
    commands: dict[str, Callable[[], int]] = {
        "schemas": lambda: schemas_cmd.run(args, out, err, reader_factory),
        "topology": lambda: topology_cmd.run(args, out),
        "catalog": lambda: catalog_cmd.run(args, out, reader_factory),
        "patterns": lambda: patterns_cmd.run(args, out),
        "schedules": lambda: schedules_cmd.run(args, out),
        "webhook": lambda: webhook_cmd.run(args, out),
        "dlq": lambda: dlq_cmd.run(args, out),
    }
    try:
        return commands.get(args.command, lambda: runtime_cmd.run(args, out))()
    except CliError as exc:
        print(f"error: {exc}", file=err)
        return exc.code
    except (
        SnapshotError,
        TopologyError,
        EventValidationError,
        ConfigError,
        UpstreamError,
        StoreUnavailableError,
        InstanceLockedError,
    ) as exc:
        print(f"error: {exc}", file=err)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
