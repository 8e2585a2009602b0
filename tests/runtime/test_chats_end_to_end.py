"""Black box (issue 10): `loadshed run` against loopback Telegram/Eskom/ESP fakes speaking real
shapes — subscribe by id with no search, a channel that subscribes and hears the next stage, a
group that migrates to a supergroup and keeps receiving there, and an area ESP answers 400 for
while the others are fetched and the process keeps running."""

from __future__ import annotations

import copy
import json
import signal
from collections.abc import Iterator
from datetime import datetime, timedelta
from functools import partial

import pytest

from benchmarks.loopback import LoopbackServer
from services.domain.slots import SAST
from tests.conftest import FIXTURES, load_fixture
from tests.runtime.test_end_to_end import AREA, start, wait_for
from tests.support.fake_bot_api import FakeBotApi

BAD = "eskde-1-doesnotexist"
GROUP, SUPERGROUP = -123456789, -1001234567890
PERSON = 4242


def _heard_a_stage(api: FakeBotApi, chat: int) -> bool:
    return any("⚡" in d.text for d in api.to(chat))


@pytest.fixture
def esp() -> Iterator[tuple[LoopbackServer, dict[str, object]]]:
    state: dict[str, object] = {"status": "1", "asked": []}
    area = json.loads((FIXTURES / "esp/v2/area.json").read_text())
    today = datetime.now(SAST).date()

    def area_route(query: str, body: bytes) -> tuple[int, bytes, dict[str, str]]:
        asked = state["asked"]
        assert isinstance(asked, list)
        asked.append(query)
        if BAD in query:
            return 400, json.dumps({"error": "Invalid area id"}).encode(), {}
        payload = copy.deepcopy(area)
        payload["events"] = []
        for i, day in enumerate(payload["schedule"]["days"]):
            day["date"] = (today + timedelta(days=i)).isoformat()
        return 200, json.dumps(payload).encode(), {}

    routes = {
        "/LoadShedding/GetStatus": lambda q, b: (200, str(state["status"]).encode(), {}),
        "/business/2.0/area": area_route,
    }
    with LoopbackServer(routes) as server:
        yield server, state


def test_id_channel_migration_and_a_rejected_area(tmp_path, esp, monkeypatch):
    server, state = esp
    monkeypatch.setenv("LOADSHED_AREAS_OF_INTEREST", BAD)  # kept fresh by the fetcher from the start
    db = tmp_path / "loadshed.db"
    with FakeBotApi(global_rate=1000) as api:
        proc = start(api, server, db)
        try:
            wait_for(lambda: api.commands, what="start")
            api.push_text(PERSON, f"/subscribe {AREA}")  # an id from the ESP app: no search first
            wait_for(lambda: any("You now follow" in d.text for d in api.to(PERSON)), what="subscribed by id")
            api.push_text(PERSON + 1, f"/subscribe {BAD}")  # ESP says 400: one line, nothing follows
            wait_for(lambda: any("knows no area" in d.text for d in api.to(PERSON + 1)), what="unknown id answered")
            channel_post = copy.deepcopy(load_fixture("telegram/update-channel-post.json"))
            channel = channel_post["channel_post"]["chat"]["id"]
            channel_post["channel_post"]["text"] = f"/subscribe@loadshed_test_bot {AREA}"
            api.push_update(channel_post)
            wait_for(lambda: any("You now follow" in d.text for d in api.to(channel)), what="channel subscribed")
            api.push_text(GROUP, f"/subscribe {AREA}", chat_type="group")
            wait_for(lambda: any("You now follow" in d.text for d in api.to(GROUP)), what="group subscribed")
            api.migrated[GROUP] = SUPERGROUP  # the group becomes a supergroup; Telegram answers 400
            state["status"] = "5"  # Eskom: stage 4
            for chat in (PERSON, channel, SUPERGROUP):
                wait_for(partial(_heard_a_stage, api, chat), what=f"stage 4 at {chat}")
            assert not any("⚡" in d.text for d in api.to(GROUP))
            state["status"] = "3"  # stage 2: the supergroup hears it directly
            wait_for(lambda: sum("⚡" in d.text for d in api.to(SUPERGROUP)) == 2, what="second change at new id")
            assert proc.poll() is None
        finally:
            proc.send_signal(signal.SIGTERM)
            out, _ = proc.communicate(timeout=15)
    assert proc.returncode == 0, out
    asked = state["asked"]
    assert isinstance(asked, list) and sum(AREA in q for q in asked) == 1
    assert sum(BAD in q for q in asked) == 2  # the fetcher once (then backed off), the lookup once
    assert out.count(f"EskomSePush rejected area {BAD}") == 1  # logged once
    assert "Traceback" not in out
