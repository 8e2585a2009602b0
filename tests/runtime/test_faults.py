"""Crash it on purpose (issue 9): `loadshed run` as a process, killed at the worst moment and
restarted on the same database, against loopback Telegram/Eskom/ESP fakes. Nothing is lost,
nothing older follows anything newer, a second instance is refused, replies and refreshes are
answered across kills. Waits are for outcomes, never timing assertions."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

from services.adapters.sqlite_store import SQLiteStore
from services.ports import SubscriptionRecord
from tests.runtime.test_end_to_end import AREA, start, upstreams, wait_for  # noqa: F401 - fixture
from tests.support.fake_bot_api import FakeBotApi

CHATS = list(range(1001, 1061))
STAGE = re.compile(r"⚡ <b>(Stage \d|Load shedding suspended)</b>")


def _seed(db: Path, chats: list[int]) -> None:
    db.parent.mkdir(parents=True, exist_ok=True)
    store = SQLiteStore(db)
    for chat in chats:
        store.add_subscription(SubscriptionRecord(chat, AREA, "Fourways"), [])
    store.close()


def _stages(api: FakeBotApi, chat: int) -> list[str]:
    return [m.group(1) for d in api.to(chat) if (m := STAGE.search(d.text))]


def _stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=15)
    return out


def test_a_second_instance_is_refused_and_the_first_keeps_running(tmp_path, upstreams):  # noqa: F811
    server, _ = upstreams
    db = tmp_path / "loadshed.db"
    with FakeBotApi(global_rate=1000) as api:
        first = start(api, server, db)
        try:
            wait_for(lambda: api.commands, what="first started")
            second = start(api, server, db)
            out, _ = second.communicate(timeout=20)
            assert second.returncode == 1
            assert re.fullmatch(
                rf"error: another loadshed run \(pid {first.pid}\) is using {re.escape(str(db))}; .*\n", out
            )
            api.push_text(7, "/status")
            wait_for(lambda: api.to(7), what="the first still answers")
        finally:
            assert "Traceback" not in _stop(first)


def test_kill_mid_fan_out_then_a_newer_stage_resumes_and_never_goes_back(tmp_path, upstreams, monkeypatch):  # noqa: F811
    server, state = upstreams
    db = tmp_path / "loadshed.db"
    _seed(db, CHATS)
    monkeypatch.setenv("LOADSHED_SEND_RATE", "20")  # a 60-chat fan-out takes about 3 s
    with FakeBotApi(global_rate=30) as api:
        proc = start(api, server, db)
        wait_for(lambda: all(_stages(api, c) for c in CHATS), timeout=30, what="first stage told")
        state["status"] = "5"  # Eskom: stage 4
        wait_for(lambda: sum("Stage 4" in _stages(api, c) for c in CHATS) >= 15, what="stage 4 fan-out under way")
        proc.kill()  # kill -9 in the middle of the fan-out
        proc.wait(timeout=10)
        told_before = {c for c in CHATS if "Stage 4" in _stages(api, c)}
        assert 0 < len(told_before) < len(CHATS)
        state["status"] = "3"  # while it is down, Eskom moves on to stage 2
        proc = start(api, server, db)
        try:
            wait_for(lambda: all("Stage 2" in _stages(api, c) for c in CHATS), timeout=30, what="stage 2 everywhere")
            time.sleep(1.0)  # let anything stray arrive before judging
        finally:
            out = _stop(proc)
    for chat in CHATS:
        seen = _stages(api, chat)
        assert seen.count("Stage 2") == 1, (chat, seen)
        assert "Stage 4" not in seen[seen.index("Stage 2") :], (chat, seen)  # never older after newer
        assert seen.count("Stage 4") <= 1 or chat in told_before, (chat, seen)
    assert api.rejected_429 == 0 and "took back" in out


def test_a_reply_is_sent_once_after_a_kill_between_handling_and_replying(tmp_path, upstreams, monkeypatch):  # noqa: F811
    server, _ = upstreams
    db = tmp_path / "loadshed.db"
    with FakeBotApi(global_rate=1000) as api:
        monkeypatch.setenv("LOADSHED_CRASH_AT", "after-handling")
        proc = start(api, server, db)
        wait_for(lambda: api.commands, what="started")
        api.push_text(7, "/help")
        assert proc.wait(timeout=20) == -signal.SIGKILL  # killed itself right after handling
        monkeypatch.delenv("LOADSHED_CRASH_AT")
        proc = start(api, server, db)
        try:
            wait_for(lambda: api.to(7), what="the reply after the restart")
            time.sleep(1.0)
        finally:
            _stop(proc)
    assert len(api.to(7)) == 1 and "/search" in api.to(7)[0].text


def test_a_refresh_is_answered_across_a_kill_in_the_middle_of_it(tmp_path, upstreams, monkeypatch):  # noqa: F811
    server, _ = upstreams
    db = tmp_path / "loadshed.db"
    _seed(db, [7])
    with FakeBotApi(global_rate=1000) as api:
        monkeypatch.setenv("LOADSHED_CRASH_AT", "after-step:FetchSchedule")
        proc = start(api, server, db)
        wait_for(lambda: api.commands, what="started")
        api.push_text(7, "/refresh")
        assert proc.wait(timeout=30) == -signal.SIGKILL  # killed between the refresh's steps
        monkeypatch.delenv("LOADSHED_CRASH_AT")
        proc = start(api, server, db)
        try:
            wait_for(lambda: any("Refreshed" in d.text for d in api.to(7)), timeout=30, what="refresh answered")
            time.sleep(1.0)
        finally:
            _stop(proc)
    texts = Counter(d.text.split("\n")[0] for d in api.to(7))
    assert texts["🔄 Refreshed."] == 1 and sum("Checking the stage" in t for t in texts) == 1


def test_sigterm_stops_promptly_even_while_sends_fail_and_a_second_signal_exits_at_once(tmp_path, upstreams):  # noqa: F811
    server, _ = upstreams
    db = tmp_path / "loadshed.db"
    _seed(db, CHATS[:20])
    with FakeBotApi(global_rate=1000) as api:
        api.fail_next.extend([502] * 10_000)  # Telegram failing: retries pending everywhere
        proc = start(api, server, db)
        wait_for(lambda: len(api.commands) or proc.poll() is not None, what="started")
        time.sleep(1.5)
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=10)
        assert proc.returncode == 0 and time.monotonic() - started < 6
        proc = start(api, server, db)
        time.sleep(1.5)
        proc.send_signal(signal.SIGTERM)
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=10)
        assert proc.returncode in (0, 130)
    assert os.path.exists(db)
