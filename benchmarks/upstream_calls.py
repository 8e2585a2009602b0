"""Upstream calls for a simulated week: 5-minute polling, 10 subscribed areas, 6 stage changes a day.

Real adapters (EskomStageSource, EskomSePushClient) talk to a loopback server; a simulated clock
drives the real stage watcher and schedule fetcher logic. Prints ESP calls per day (target ≤ 1 per
area per day) and ESP calls spent on stage polling (target 0 while Eskom answers).
"""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

from benchmarks.loopback import LoopbackServer, Route
from schemas import StageChanged, SubscriptionChanged
from services.adapters.eskom import EskomStageSource
from services.adapters.esp import EskomSePushClient
from services.adapters.memory import FixedClock, InMemoryStore, RecordingMessenger, RecordingPublisher
from services.bot.deps import BotDeps
from services.bot.logic import handle_update
from services.bot.updates import Update
from services.domain.slots import SAST
from services.ports import SubscriptionRecord
from services.schedule_fetcher.logic import FetcherDeps, daily, on_stage_changed, on_subscription_changed
from services.stage_watcher.logic import poll

AREA_FIXTURE = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "esp" / "v2" / "area.json"
STAGES_PER_DAY = [2, 4, 6, 4, 2, 0]  # six changes a day


class Bus:
    """Routes what the watcher/fetcher publish to the fetcher, as the topology does."""

    def __init__(self) -> None:
        self.deps: FetcherDeps | None = None
        self.events: list[object] = []

    def publish(self, events: Sequence[object]) -> None:
        self.events.extend(events)
        for event in events:
            if isinstance(event, StageChanged) and self.deps:
                on_stage_changed(event, self.deps)


def run(days: int = 7, areas: int = 10, poll_minutes: int = 5) -> dict[str, float]:
    clock = FixedClock(datetime(2026, 11, 23, 0, 0, tzinfo=SAST))
    state = {"status": "1"}
    template = json.loads(AREA_FIXTURE.read_text())

    def area(query: str, body: bytes) -> tuple[int, bytes, dict[str, str]]:
        """The real fixture, re-dated to start on the simulated day (so slots lie ahead)."""
        today = clock.now().astimezone(SAST).date()
        payload = copy.deepcopy(template)
        payload["events"] = []
        for i, day in enumerate(payload["schedule"]["days"]):
            day["date"] = (today + timedelta(days=i)).isoformat()
        return 200, json.dumps(payload).encode(), {"x-ratelimit-limit": "50", "x-ratelimit-remaining": "40"}

    allowance = (AREA_FIXTURE.parent / "api_allowance.json").read_bytes()
    routes = {
        "/LoadShedding/GetStatus": lambda q, b: (200, state["status"].encode(), {}),
        "/business/2.0/area": area,
        "/business/2.0/api_allowance": lambda q, b: (200, allowance, {}),
    }
    with LoopbackServer(routes) as server:
        store, bus = InMemoryStore(), Bus()
        esp = EskomSePushClient("bench", f"{server.url}/business/2.0")
        deps = FetcherDeps(store, bus, clock, esp)
        bus.deps = deps
        source = EskomStageSource(f"{server.url}/LoadShedding")
        poll(source, store, bus, clock)
        for i in range(areas):
            store.add_subscription(SubscriptionRecord(1000 + i, f"area-{i}"), [])
            on_subscription_changed(SubscriptionChanged(chat_id=1000 + i, area_id=f"area-{i}", action="added"), deps)
        ticks = days * 24 * 60 // poll_minutes
        change_every = ticks // (days * len(STAGES_PER_DAY))
        for tick in range(1, ticks + 1):
            clock.advance(minutes=poll_minutes)
            if tick % change_every == 0:
                state["status"] = str(STAGES_PER_DAY[(tick // change_every) % len(STAGES_PER_DAY)] + 1)
            poll(source, store, bus, clock)
            local = clock.now().astimezone(SAST)
            if local.hour == 4 and local.minute < poll_minutes:
                daily(deps)
        esp_calls = server.hits["/business/2.0/area"]
        return {
            "days": days,
            "areas": areas,
            "eskom_calls_per_day": server.hits["/LoadShedding/GetStatus"] / days,
            "esp_calls_per_day": esp_calls / days,
            "esp_calls_per_area_per_day": esp_calls / days / areas,
            "esp_calls_for_stage_polling": server.hits.get("/business/2.0/status", 0),
            "esp_allowance_checks_free": server.hits.get("/business/2.0/api_allowance", 0),
            "stage_changes": sum(isinstance(e, StageChanged) for e in bus.events),
            "schedule_updates": sum(type(e).__name__ == "ScheduleUpdated" for e in bus.events),
        }


def lookups(chats: int = 20) -> dict[str, float]:
    """`chats` chats each `/subscribe <id>` the same id, then share the same location: one ESP
    call for each kind, the rest served from the day's cache."""
    nearby = (AREA_FIXTURE.parent / "areas_nearby.json").read_bytes()
    routes: dict[str, Route] = {
        "/business/2.0/area": lambda q, b: (200, AREA_FIXTURE.read_bytes(), {}),
        "/business/2.0/areas_nearby": lambda q, b: (200, nearby, {}),
        "/business/2.0/api_allowance": lambda q, b: (
            200,
            (AREA_FIXTURE.parent / "api_allowance.json").read_bytes(),
            {},
        ),
    }
    with LoopbackServer(routes) as server:
        store, clock = InMemoryStore(), FixedClock(datetime(2026, 11, 23, 8, 0, tzinfo=SAST))
        esp = EskomSePushClient("bench", f"{server.url}/business/2.0")
        deps = BotDeps(store, RecordingMessenger(), RecordingPublisher(), clock, esp)
        for chat in range(chats):
            handle_update(_message(chat, {"text": "/subscribe eskde-10-fourwaysext10cityofjohannesburggauteng"}), deps)
            handle_update(_message(chat, {"location": {"latitude": -33.94, "longitude": 18.47}}), deps)
        return {
            "chats": chats,
            "esp_calls_for_direct_subscribes": server.hits.get("/business/2.0/area", 0),
            "esp_calls_for_locations": server.hits.get("/business/2.0/areas_nearby", 0),
        }


_ids = iter(range(1, 1_000_000))


def _message(chat: int, body: dict[str, object]) -> Update:
    message = {"message_id": 1, "date": 0, "chat": {"id": 5000 + chat, "type": "private"}, **body}
    message["from"] = {"id": 5000 + chat, "is_bot": False, "first_name": "B"}
    return Update.model_validate({"update_id": next(_ids), "message": message})


def main() -> int:
    start = datetime.now()
    figures = run()
    elapsed = datetime.now() - start
    print("upstream calls, simulated week (5-min polling, 10 areas, 6 stage changes/day)")
    for key, value in figures.items():
        print(f"  {key:32} {value:10.2f}" if isinstance(value, float) else f"  {key:32} {value:>10}")
    ok = figures["esp_calls_per_area_per_day"] <= 1 and figures["esp_calls_for_stage_polling"] == 0
    verdict = "met" if ok else "NOT met"
    print(f"  target (≤ 1 ESP call/area/day, 0 for polling): {verdict}  [{elapsed / timedelta(seconds=1):.1f} s]")
    looked = lookups()
    print(f"lookups: {looked['chats']} chats subscribe to one id by /subscribe and share one location")
    for key, value in looked.items():
        print(f"  {key:32} {value:>10}")
    cached = looked["esp_calls_for_direct_subscribes"] == 1 and looked["esp_calls_for_locations"] == 1
    print(f"  target (one call each, cached for the day): {'met' if cached else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
