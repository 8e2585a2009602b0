"""The compatibility checker classifies changes; the gate fails breaking changes without a bump."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import ClassVar, Literal

import pytest
from pydantic import Field

from schemas import StageChanged, SubscriptionChanged
from schemas.compat import diff_schemas, is_breaking
from schemas.draft4 import event_schema
from schemas.gate import check_event, write_snapshots
from tests.conftest import ROOT


def _changes(old_cls, new_cls):
    return {(c.path, c.severity, c.message) for c in diff_schemas(event_schema(old_cls), event_schema(new_cls))}


def test_identical_schemas_have_no_changes():
    assert diff_schemas(event_schema(StageChanged), event_schema(StageChanged)) == []


def test_optional_field_added_is_compatible():
    class V2(StageChanged):
        note: str | None = None

    V2.__name__ = "StageChanged"
    changes = diff_schemas(event_schema(StageChanged), event_schema(V2))
    assert ("detail.note", "compatible") in {(c.path, c.severity) for c in changes}
    assert not is_breaking(changes)


def test_new_required_field_is_breaking():
    class V2(StageChanged):
        reason: str

    V2.__name__ = "StageChanged"
    assert ("detail.reason", "breaking", "new required field") in _changes(StageChanged, V2)


def test_type_change_is_breaking():
    class V2(SubscriptionChanged):
        chat_id: str  # type: ignore[assignment]

    V2.__name__ = "SubscriptionChanged"
    found = _changes(SubscriptionChanged, V2)
    assert any(p == "detail.chat_id" and s == "breaking" and "type changed" in m for p, s, m in found)


def test_enum_narrowed_is_breaking_and_widened_compatible():
    class Narrow(SubscriptionChanged):
        reason: Literal["user_request", "admin"] = "user_request"

    Wider = Literal[
        "user_request", "bot_blocked", "chat_not_found", "chat_deactivated", "no_rights", "chat_migrated", "admin", "x"
    ]

    class Wide(SubscriptionChanged):
        reason: Wider = Field(  # type: ignore[assignment]
            default="user_request", description=SubscriptionChanged.model_fields["reason"].description
        )

    Narrow.__name__ = Wide.__name__ = "SubscriptionChanged"
    assert any(s == "breaking" and "narrowed" in m for _, s, m in _changes(SubscriptionChanged, Narrow))
    wide = _changes(SubscriptionChanged, Wide)
    assert any(s == "compatible" and "widened" in m for _, s, m in wide)
    assert all(s == "compatible" for _, s, _ in wide)


def test_description_change_is_compatible_and_tightened_bound_breaking():
    class Doc(StageChanged):
        observed_from: str = Field(default="eskom", description="Where the stage came from.")

    class Tight(StageChanged):
        stage: int = Field(ge=1, le=8)

    Doc.__name__ = Tight.__name__ = "StageChanged"
    assert all(s == "compatible" for _, s, _ in _changes(StageChanged, Doc))
    assert any(p == "detail.stage" and s == "breaking" and "minimum" in m for p, s, m in _changes(StageChanged, Tight))


def test_gate_on_a_temporary_snapshot_tree(tmp_path: Path):
    assert not check_event(StageChanged, tmp_path).ok  # no snapshot yet
    write_snapshots((StageChanged,), tmp_path)
    assert check_event(StageChanged, tmp_path).ok

    class Broken(StageChanged):
        stage: str  # type: ignore[assignment]

    Broken.__name__ = "StageChanged"
    finding = check_event(Broken, tmp_path)
    assert not finding.ok
    assert "breaking change without a version bump" in finding.message
    assert "detail.stage" in finding.message

    class Bumped(Broken):
        VERSION: ClassVar[int] = 2

    Bumped.__name__ = "StageChanged"
    assert "not snapshotted" in check_event(Bumped, tmp_path).message
    write_snapshots((Bumped,), tmp_path)
    assert check_event(Bumped, tmp_path).ok
    assert (tmp_path / "StageChanged" / "v1.json").exists()
    assert (tmp_path / "StageChanged" / "v2.json").exists()


def _scratch_copy(tmp_path: Path) -> Path:
    for name in ("schemas", "services"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def _check_in(copy: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(copy)}
    return subprocess.run(
        [sys.executable, "-m", "services.cli.main", "schemas", "check"],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_scratch_copy_removing_a_required_field_fails_check(tmp_path: Path):
    copy = _scratch_copy(tmp_path)
    events = copy / "schemas" / "events.py"
    text = events.read_text()
    new = text.replace("    stage: Stage\n    changed_at:", "    changed_at:", 1)
    assert new != text
    events.write_text(new)
    result = _check_in(copy)
    assert result.returncode == 1
    assert "StageChanged" in result.stderr and "detail.stage" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_scratch_copy_adding_an_optional_field_passes_check(tmp_path: Path):
    copy = _scratch_copy(tmp_path)
    events = copy / "schemas" / "events.py"
    text = events.read_text()
    anchor = '    observed_from: str = Field(default="eskom", description="Upstream that reported the stage.")\n'
    assert anchor in text
    events.write_text(text.replace(anchor, anchor + "    note: str | None = None\n"))
    result = _check_in(copy)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "StageChanged: compatible with v1 (1 compatible change(s))" in result.stdout


@pytest.mark.parametrize(
    "module",
    [
        "schemas.base",
        "schemas.events",
        "schemas.envelope",
        "schemas.draft4",
        "schemas.compat",
        "schemas.gate",
        "schemas.examples",
    ],
)
def test_contract_imports_nothing_of_ours(module):
    """schemas/ depends only on pydantic and the stdlib."""
    code = (
        "import sys, importlib; importlib.import_module(sys.argv[1]); "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'services', 'infra', 'boto3', 'requests'}); "
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code, module], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
