"""End to end: `loadshed run` as a process against loopback fakes of Telegram, Eskom and ESP.

Subscribe through getUpdates, flip the stage, see exactly one notification; `kill -9`, restart,
and see nothing repeated. Also: refusing to start over a webhook, and a clean SIGTERM stop.
"""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from benchmarks.loopback import LoopbackServer
from services.domain.slots import SAST
from tests.conftest import FIXTURES
from tests.support.fake_bot_api import FakeBotApi

CHAT = 777
AREA = "eskde-10-fourwaysext10cityofjohannesburggauteng"


def wait_for(condition: Callable[[], object], timeout: float = 20.0, what: str = "condition") -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def upstreams() -> Iterator[tuple[LoopbackServer, dict[str, str]]]:
    state = {"status": "1"}
    area = json.loads((FIXTURES / "esp/v2/area.json").read_text())
    today = datetime.now(SAST).date()

    def area_route(query: str, body: bytes) -> tuple[int, bytes, dict[str, str]]:
        payload = copy.deepcopy(area)
        payload["events"] = []
        for i, day in enumerate(payload["schedule"]["days"]):
            day["date"] = (today + timedelta(days=i)).isoformat()
        return 200, json.dumps(payload).encode(), {}

    search = json.dumps({"areas": [{"id": AREA, "name": "Fourways Ext 10", "region": "Eskom Direct"}]}).encode()
    routes = {
        "/LoadShedding/GetStatus": lambda q, b: (200, state["status"].encode(), {}),
        "/business/2.0/area": area_route,
        "/business/2.0/areas_search": lambda q, b: (200, search, {}),
    }
    with LoopbackServer(routes) as server:
        yield server, state


def start(api: FakeBotApi, server: LoopbackServer, db: Path, *extra: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": api.token,
        "TELEGRAM_API_URL": api.url,
        "ESKOM_API_URL": f"{server.url}/LoadShedding",
        "ESKOMSEPUSH_TOKEN": "test",
        "ESKOMSEPUSH_API_URL": f"{server.url}/business/2.0",
        "LOADSHED_DB": str(db),
        "LOADSHED_POLL_SECONDS": "1",
        "LOADSHED_REMIND_SECONDS": "1",
        "PYTHONUNBUFFERED": "1",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "services.cli.main", "run", *extra],
        cwd=db.parent,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def texts(api: FakeBotApi) -> list[str]:
    return [d.text for d in api.to(CHAT)]


def test_subscribe_flip_stage_kill_restart(tmp_path, upstreams):
    server, state = upstreams
    db = tmp_path / "state" / "loadshed.db"
    db.parent.mkdir()
    with FakeBotApi(global_rate=1000) as api:
        proc = start(api, server, db)
        try:
            wait_for(lambda: api.commands, what="setMyCommands at start")
            api.push_text(CHAT, "/search fourways")
            reply = wait_for(
                lambda: [d for d in api.to(CHAT) if d.payload and d.payload.get("reply_markup")], what="search results"
            )
            data = reply[0].payload["reply_markup"]["inline_keyboard"][0][0]["callback_data"]  # type: ignore[index]
            api.push_update(
                {
                    "callback_query": {
                        "id": "cb1",
                        "data": data,
                        "from": {"id": CHAT, "is_bot": False, "first_name": "T"},
                        "message": {"message_id": 1, "chat": {"id": CHAT, "type": "private"}},
                    }
                }
            )
            wait_for(lambda: any("You now follow" in t for t in texts(api)), what="subscription confirmed")
            wait_for(lambda: any("🗓 Schedule for" in t for t in texts(api)), what="first schedule")
            state["status"] = "5"  # Eskom: stage 4
            wait_for(lambda: any("Stage 4" in t and "⚡" in t for t in texts(api)), what="stage notification")
            time.sleep(1.5)  # a few more polls: nothing more may arrive
            assert sum("⚡" in t for t in texts(api)) == 1
        finally:
            proc.kill()  # kill -9
            proc.wait(timeout=10)
        before = Counter(texts(api))
        proc = start(api, server, db)
        try:
            wait_for(lambda: len(api.commands) and proc.poll() is None, what="restart")
            time.sleep(2.0)  # several polls, reminder rounds and outbox relays after the restart
            api.push_text(CHAT, "/status")
            wait_for(lambda: any("Stage 4 (since" in t for t in texts(api)), what="status after restart")
        finally:
            proc.send_signal(signal.SIGTERM)
            out, _ = proc.communicate(timeout=10)
        after = Counter(texts(api))
        assert proc.returncode == 0, out
        new = after - before
        assert list(new) == [next(t for t in new if "Stage 4 (since" in t)], new  # only the /status reply
        assert all(n == 1 for t, n in after.items() if "⚡" in t or "🗓" in t or "follow" in t)


def test_refuses_to_start_over_a_webhook_then_switches_with_the_flag(tmp_path, upstreams):
    server, _ = upstreams
    db = tmp_path / "loadshed.db"
    with FakeBotApi() as api:
        api.webhook_url = "https://bot.example.invalid/hook"
        proc = start(api, server, db)
        out, _ = proc.communicate(timeout=30)
        assert proc.returncode == 2
        assert "webhook is set" in out and "--delete-webhook" in out and "Traceback" not in out
        proc = start(api, server, db, "--delete-webhook")
        try:
            wait_for(lambda: api.webhook_url == "" and api.commands, what="webhook deleted")
        finally:
            started = time.monotonic()
            proc.send_signal(signal.SIGINT)
            proc.communicate(timeout=10)
        assert proc.returncode == 0 and time.monotonic() - started < 6
