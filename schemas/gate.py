"""Published schema versions on disk, and the gate that keeps the models faithful to them.

`schemas/published/<Event>/v<N>.json` holds the Draft 4 schema of version N as last published.
A compatible change may update the file of the current version; a breaking change needs the
model's `VERSION` raised and a new file written by `loadshed schemas snapshot`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from schemas.base import Event
from schemas.compat import Change, diff_schemas, is_breaking
from schemas.draft4 import event_schema, schema_text
from schemas.events import ALL_EVENTS

PUBLISHED_DIR = Path(__file__).resolve().parent / "published"
_VERSION_FILE = re.compile(r"^v(\d+)\.json$")


class SnapshotError(RuntimeError):
    """The published snapshots cannot be read (missing directory, bad JSON)."""


@dataclass(frozen=True)
class Finding:
    """The gate's verdict on one event."""

    event: str
    ok: bool
    message: str
    changes: tuple[Change, ...] = ()


def published_versions(name: str, root: Path = PUBLISHED_DIR) -> list[int]:
    """Versions with a snapshot for event `name`, ascending."""
    folder = root / name
    if not folder.is_dir():
        return []
    found = (_VERSION_FILE.match(p.name) for p in folder.iterdir())
    return sorted(int(m.group(1)) for m in found if m)


def load_published(name: str, version: int, root: Path = PUBLISHED_DIR) -> dict[str, Any]:
    """The published schema of `name` at `version`."""
    path = root / name / f"v{version}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SnapshotError(f"{name}: no published v{version} ({path})") from None
    except ValueError as exc:
        raise SnapshotError(f"{name}: {path} is not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise SnapshotError(f"{name}: {path} is not a JSON object")
    return data


def diff_against_published(cls: type[Event], root: Path = PUBLISHED_DIR) -> tuple[int | None, list[Change]]:
    """(latest published version, changes from it to the current model)."""
    versions = published_versions(cls.DETAIL_TYPE, root)
    if not versions:
        return None, []
    latest = versions[-1]
    return latest, diff_schemas(load_published(cls.DETAIL_TYPE, latest, root), event_schema(cls))


def check_event(cls: type[Event], root: Path = PUBLISHED_DIR) -> Finding:
    """Pass unless the model breaks its published version, or has no snapshot for its version."""
    name = cls.DETAIL_TYPE
    latest, changes = diff_against_published(cls, root)
    if latest is None:
        return Finding(name, False, "no published snapshot yet: run `loadshed schemas snapshot`")
    breaking = [c for c in changes if c.severity == "breaking"]
    if latest > cls.VERSION:
        return Finding(name, False, f"model VERSION {cls.VERSION} is older than published v{latest}")
    if latest < cls.VERSION:
        return Finding(
            name,
            False,
            f"v{cls.VERSION} is not snapshotted yet (latest v{latest}): run `loadshed schemas snapshot`",
            tuple(changes),
        )
    if breaking:
        first = breaking[0]
        return Finding(
            name,
            False,
            f"breaking change without a version bump: {first.path}: {first.message}"
            + (f" (+{len(breaking) - 1} more)" if len(breaking) > 1 else "")
            + f"; raise {name}.VERSION to {latest + 1} and run `loadshed schemas snapshot`",
            tuple(changes),
        )
    note = f"compatible with v{latest}" + (f" ({len(changes)} compatible change(s))" if changes else "")
    return Finding(name, True, note, tuple(changes))


def check_all(events: tuple[type[Event], ...] = ALL_EVENTS, root: Path = PUBLISHED_DIR) -> list[Finding]:
    """The gate over every event."""
    return [check_event(cls, root) for cls in events]


def write_snapshots(events: tuple[type[Event], ...] = ALL_EVENTS, root: Path = PUBLISHED_DIR) -> list[Path]:
    """Write the current schema of each event as its `VERSION`, refusing an unbumped break."""
    written: list[Path] = []
    for cls in events:
        latest, changes = diff_against_published(cls, root)
        if latest is not None and latest == cls.VERSION and is_breaking(changes):
            raise SnapshotError(f"{cls.DETAIL_TYPE}: breaking change needs VERSION {latest + 1} before snapshotting")
        if latest is not None and latest > cls.VERSION:
            raise SnapshotError(f"{cls.DETAIL_TYPE}: VERSION {cls.VERSION} < published v{latest}")
        path = root / cls.DETAIL_TYPE / f"v{cls.VERSION}.json"
        text = schema_text(event_schema(cls))
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
