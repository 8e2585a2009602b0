"""Lambda handlers are thin: they parse, call the logic through the bootstrap, and map errors."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from schemas import EventValidationError, StageChanged, SubscriptionChanged, to_eventbridge
from services import bootstrap
from services.adapters.memory import (
    FakeTimetableSource,
    FixedClock,
    InMemoryStore,
    RecordingPublisher,
    ScriptedStageSource,
)
from services.ports import (
    RegionStage,
    StageReading,
    SubscriptionRecord,
    Timetable,
    TimetableDay,
    UpstreamUnavailableError,
)
from services.schedule_fetcher import handler as fetcher_handler
from services.stage_watcher import handler as watcher_handler
from tests.conftest import load_fixture


@pytest.fixture
def wired():
    clock = FixedClock(datetime(2026, 11, 25, 4, 0, tzinfo=timezone.utc))
    esp = FakeTimetableSource(
        {"a1": Timetable("a1", "A One", "R", (TimetableDay(date(2026, 11, 25), (("08:00-10:30",),)),))}
    )
    esp.clock = clock
    source = ScriptedStageSource(StageReading((RegionStage("national", 1),), "scripted"))
    c = bootstrap.build(
        store=InMemoryStore(), publisher=RecordingPublisher(), stage_source=source, timetables=esp, clock=clock
    )
    bootstrap.install(c)
    yield c
    bootstrap.install(None)


def test_scheduled_poll(wired):
    scheduled = {"action": "poll"}
    assert watcher_handler.handle(scheduled) == {"status": "ok", "changes": ["national:1"]}
    assert watcher_handler.handle(scheduled) == {"status": "ok", "changes": []}
    wired.stage_source.push(UpstreamUnavailableError("Eskom down"))
    assert watcher_handler.handle(scheduled)["status"] == "upstream_unavailable"


def test_fetcher_reads_real_eventbridge_deliveries(wired):
    watcher_handler.handle({"action": "poll"})
    wired.store.add_subscription(SubscriptionRecord(7, "a1"), [])
    delivery = load_fixture("aws/eventbridge-event.json")
    sub = to_eventbridge(SubscriptionChanged(chat_id=7, area_id="a1", action="added"))
    delivery.update({k: sub[k] for k in ("source", "detail-type", "detail")})
    assert fetcher_handler.handle(delivery) == {"fetched": ["a1"], "skipped": [], "failed": [], "published": ["a1"]}
    stage = to_eventbridge(StageChanged(region="national", previous_stage=1, stage=1, changed_at=wired.clock.now()))
    assert fetcher_handler.handle(stage)["published"] == []
    assert fetcher_handler.handle({"action": "daily"})["fetched"] == []


@pytest.mark.parametrize("bad", [{"action": "explode"}, {"nothing": 1}, load_fixture("aws/eventbridge-event.json")])
def test_bad_invocations_are_typed_errors(wired, bad):
    with pytest.raises(EventValidationError):
        fetcher_handler.handle(bad)


def test_aws_bootstrap_reads_config_only_when_called(monkeypatch):
    monkeypatch.delenv("LOADSHED_TABLE", raising=False)
    with pytest.raises(bootstrap.ConfigError, match="LOADSHED_TABLE"):
        bootstrap.for_aws({"LOADSHED_BUS": "b"})


def test_notifier_and_reminder_handlers(wired):
    from services.adapters.memory import RecordingMessenger
    from services.notifier import handler as notifier_handler
    from services.reminder import handler as reminder_handler

    tg = RecordingMessenger()
    wired._messenger = tg
    watcher_handler.handle({"action": "poll"})
    wired.store.add_subscription(SubscriptionRecord(7, "a1", "A One"), [])
    fetcher_handler.handle(to_eventbridge(SubscriptionChanged(chat_id=7, area_id="a1", action="added")))
    change = StageChanged(region="national", previous_stage=0, stage=1, changed_at=wired.clock.now())

    class Context:
        def get_remaining_time_in_millis(self) -> int:
            return 600_000

    assert notifier_handler.handle(to_eventbridge(change), Context()) == {
        "sent": 1,
        "failed": 0,
        "paused": False,
        "already_done": False,
    }
    assert notifier_handler.handle(to_eventbridge(change))["already_done"]
    wired.clock.set(datetime(2026, 11, 25, 5, 45, tzinfo=timezone.utc))  # 07:45 SAST, slot at 08:00
    assert reminder_handler.handle({"action": "remind"}) == {"sent": 1, "failed": 0}
    assert [s.chat_id for s in tg.sent] == [7, 7]


def test_messenger_is_required_only_by_services_that_send():
    c = bootstrap.build(store=InMemoryStore(), publisher=RecordingPublisher(), stage_source=ScriptedStageSource())
    with pytest.raises(bootstrap.ConfigError, match="TELEGRAM_BOT_TOKEN"):
        c.messenger()
