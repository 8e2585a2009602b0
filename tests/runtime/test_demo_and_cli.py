"""`loadshed demo` offline, and the small runtime commands."""

from __future__ import annotations

import io
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from services.adapters.sqlite_store import SQLiteStore
from services.cli.main import main
from services.ports import SubscriptionRecord
from tests.conftest import ROOT


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), out=out, err=err), out.getvalue(), err.getvalue()


def test_demo_runs_offline_and_tells_the_story(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("the demo must not touch the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    started = time.monotonic()
    code, out, _ = run("demo")
    assert code == 0 and time.monotonic() - started < 30
    for expected in (
        "StageChanged",
        "⚡ Stage 4",
        "⚡ Stage 2",
        "power goes off in 30 min",
        "RefreshCompleted",
        "retries absorbed: 1",
        "Sipho [] (blocked the bot)",
        "duplicate messages   0",
    ):
        assert expected in out, expected


def test_demo_as_a_process_exits_zero():
    result = subprocess.run(
        [sys.executable, "-m", "services.cli.main", "demo", "--quiet"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Summary" in result.stdout


def test_config_status_refresh(tmp_path, monkeypatch):
    db = tmp_path / "x" / "l.db"
    monkeypatch.setenv("LOADSHED_DB", str(db))
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:VERYSECRETVALUE")
    monkeypatch.chdir(tmp_path)
    SQLiteStore(db).close()  # what `loadshed run` creates
    code, out, _ = run("config")
    assert code == 0 and "VERYSECRET" not in out and str(db) in out
    code, out, _ = run("refresh", "--chat", "42")
    assert code == 0 and "queued (chat)" in out
    code, out, _ = run("status")
    assert code == 0 and "outbox depth" in out and "| 1" not in out
    assert "updates waiting" in out and "replies owed" in out
    assert any(line.startswith("outbox depth") and line.rstrip().endswith("1") for line in out.splitlines())


def test_bad_configuration_is_one_line_exit_2(tmp_path, monkeypatch):
    monkeypatch.setenv("LOADSHED_POLL_SECONDS", "often")
    monkeypatch.chdir(tmp_path)
    code, _, err = run("config")
    assert code == 2 and err == "error: configuration: LOADSHED_POLL_SECONDS must be a number of seconds, got 'often'\n"


@pytest.mark.parametrize("command", ["run", "chat"])
def test_help_of_runtime_commands(command):
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    assert info.value.code == 0


@pytest.mark.parametrize(
    ("db", "said"),
    [("/proc/no-such-dir/l.db", "no loadshed database at"), ("/proc/version", "is not a loadshed database")],
)
def test_unusable_database_is_one_line_exit_1(tmp_path, monkeypatch, db, said):
    monkeypatch.setenv("LOADSHED_DB", db)
    monkeypatch.chdir(tmp_path)
    code, _, err = run("status")
    assert code == 1 and said in err and err.count("\n") == 1


@pytest.mark.parametrize("command", [("status",), ("refresh",), ("config",)])
def test_tools_never_create_a_database(tmp_path, monkeypatch, command):
    db = tmp_path / "nowhere" / "loadshed.db"
    monkeypatch.setenv("LOADSHED_DB", str(db))
    monkeypatch.chdir(tmp_path)
    code, out, err = run(*command)
    assert (code, err) == (1, f"error: no loadshed database at {db}\n") and out == ""
    assert not db.exists() and not db.parent.exists()


def _snapshot(path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(path.parent.iterdir()) if p.name.startswith(path.name)}


def test_status_reads_without_writing_and_refuses_foreign_or_newer_files(tmp_path, monkeypatch):
    db = tmp_path / "loadshed.db"
    monkeypatch.setenv("LOADSHED_DB", str(db))
    monkeypatch.chdir(tmp_path)
    store = SQLiteStore(db)
    store.add_subscription(SubscriptionRecord(1, "eskde-1-x", "X"), [])
    store.close()
    before = db.read_bytes()
    assert run("status")[0] == 0
    assert db.read_bytes() == before  # not a byte written (SQLite's WAL readers may add -shm beside it)
    foreign = tmp_path / "other.db"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE invoices (id INTEGER)")
    conn.commit()
    conn.close()
    monkeypatch.setenv("LOADSHED_DB", str(foreign))
    before = _snapshot(foreign)
    for command in ("status", "run"):
        code, _, err = run(command)
        assert code == 1 and "is not a loadshed database" in err and err.count("\n") == 1
    assert _snapshot(foreign) == before
    newer = tmp_path / "newer" / "loadshed.db"
    SQLiteStore(newer).close()
    conn = sqlite3.connect(newer)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    monkeypatch.setenv("LOADSHED_DB", str(newer))
    before = _snapshot(newer)
    code, _, err = run("status")
    assert code == 1 and "schema version 99, newer than this loadshed knows" in err
    assert _snapshot(newer) == before


def test_status_counts_updates_waiting_and_replies_owed(tmp_path, monkeypatch):
    from services.runtime.inbox import Inbox, text_body

    db = tmp_path / "loadshed.db"
    monkeypatch.setenv("LOADSHED_DB", str(db))
    monkeypatch.chdir(tmp_path)
    SQLiteStore(db).close()
    inbox = Inbox(db)
    inbox.receive([(1, 7, "{}"), (2, 8, "{}")])
    inbox.owe("1:0", 7, text_body("hi", [], False))
    inbox.close()
    code, out, _ = run("status")
    rows = {line[:26].strip(): line[26:].strip() for line in out.splitlines()[2:]}
    assert code == 0 and rows["updates waiting"] == "2" and rows["replies owed"] == "1"
