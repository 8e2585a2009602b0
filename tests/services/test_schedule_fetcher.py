"""Schedule fetcher logic: fetch only what is needed, publish only real changes, survive failures."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from schemas import ScheduleUpdated, StageChanged, SubscriptionChanged
from services.adapters.memory import FakeTimetableSource, FixedClock, InMemoryStore, RecordingPublisher
from services.domain.slots import SAST
from services.ports import (
    QuotaExceededError,
    StageRecord,
    SubscriptionRecord,
    Timetable,
    TimetableDay,
    UpstreamAuthError,
    UpstreamUnavailableError,
)
from services.schedule_fetcher.logic import FetcherDeps, daily, on_stage_changed, on_subscription_changed

START = datetime(2026, 11, 23, 6, 0, tzinfo=SAST)
DAYS = tuple(
    TimetableDay(
        date(2026, 11, 23) + timedelta(days=i),
        (
            ("08:00-10:30",),
            ("08:00-10:30", "16:00-18:30"),
            ("00:00-02:30", "08:00-10:30", "16:00-18:30"),
            ("00:00-02:30", "08:00-12:30", "16:00-18:30"),
        ),
    )
    for i in range(7)
)


def tt(area: str, name: str = "Area") -> Timetable:
    return Timetable(area, name, "Somewhere", DAYS)


class World:
    def __init__(self, *areas: str) -> None:
        self.store, self.pub, self.clock = InMemoryStore(), RecordingPublisher(), FixedClock(START)
        self.esp = FakeTimetableSource({a: tt(a, a.title()) for a in areas})
        self.esp.clock = self.clock
        self.deps = FetcherDeps(self.store, self.pub, self.clock, self.esp)

    def stage(self, stage: int, region="national", previous=None) -> StageChanged:
        current = self.store.get_stage(region)
        self.store.save_stage(StageRecord(region, stage, self.clock.now()), current.version if current else None, [])
        return StageChanged(region=region, previous_stage=previous, stage=stage, changed_at=self.clock.now())

    def subscribe(self, chat: int, area: str) -> SubscriptionChanged:
        self.store.add_subscription(SubscriptionRecord(chat, area), [])
        return SubscriptionChanged(chat_id=chat, area_id=area, action="added")

    def updates(self) -> list[ScheduleUpdated]:
        return [e for e in self.pub.events if isinstance(e, ScheduleUpdated)]


def test_first_subscription_fetches_once_and_publishes():
    w = World("jhb-1")
    w.stage(2)
    report = on_subscription_changed(w.subscribe(1, "jhb-1"), w.deps)
    assert w.esp.calls == ["jhb-1"] and report.fetched == ["jhb-1"]
    [update] = w.updates()
    assert update.area_id == "jhb-1" and update.stage == 2 and update.slots
    assert all(s.start.utcoffset() == timedelta(hours=2) for s in update.slots)
    on_subscription_changed(w.subscribe(2, "jhb-1"), w.deps)  # second subscriber: timetable is fresh
    assert w.esp.calls == ["jhb-1"] and len(w.updates()) == 1


def test_stage_change_recomputes_without_calling_upstream():
    w = World("jhb-1", "jhb-2")
    w.stage(1)
    on_subscription_changed(w.subscribe(1, "jhb-1"), w.deps)
    on_subscription_changed(w.subscribe(1, "jhb-2"), w.deps)
    calls = list(w.esp.calls)
    event = w.stage(4, previous=1)
    report = on_stage_changed(event, w.deps)
    assert w.esp.calls == calls
    assert {u.area_id for u in report.published} == {"jhb-1", "jhb-2"}
    assert all(u.causation_id == event.event_id and u.correlation_id == event.correlation_id for u in report.published)


def test_replayed_stage_change_publishes_at_most_once():
    w = World("jhb-1")
    w.stage(1)
    on_subscription_changed(w.subscribe(1, "jhb-1"), w.deps)
    event = w.stage(3, previous=1)
    on_stage_changed(event, w.deps)
    on_stage_changed(event, w.deps)
    w.clock.advance(hours=5)  # past slots drop off: still not a change
    on_stage_changed(event, w.deps)
    assert [u.stage for u in w.updates()] == [1, 3]


def test_stage_change_with_identical_slots_is_not_a_schedule_change():
    w = World("jhb-1")
    w.stage(3)
    on_subscription_changed(w.subscribe(1, "jhb-1"), w.deps)
    on_stage_changed(w.stage(4, previous=3), w.deps)  # stage 4's array differs → update
    on_stage_changed(w.stage(3, previous=4), w.deps)  # back → update
    before = len(w.updates())
    w.store.save_stage(StageRecord("national", 3, w.clock.now()), w.store.get_stage("national").version, [])
    on_stage_changed(StageChanged(region="national", previous_stage=3, stage=3, changed_at=w.clock.now()), w.deps)
    assert len(w.updates()) == before == 3


def test_unsubscribed_areas_are_never_fetched_and_daily_fetches_once_a_day():
    w = World("jhb-1", "jhb-2")
    w.stage(2)
    on_subscription_changed(w.subscribe(1, "jhb-1"), w.deps)
    daily(w.deps)
    assert w.esp.calls == ["jhb-1"]  # fresh: no second fetch
    w.clock.advance(hours=21)
    daily(w.deps)
    w.clock.advance(hours=1)
    daily(w.deps)
    assert w.esp.calls == ["jhb-1", "jhb-1"]
    assert "jhb-2" not in w.esp.calls


def test_low_quota_skips_daily_but_not_first_subscription(caplog):
    w = World("jhb-1", "jhb-2")
    w.esp.limit = 7
    w.stage(2)
    for _ in range(3):
        w.esp.calls.append("elsewhere")  # quota used by others: 4 left of 7 after next call
    on_subscription_changed(w.subscribe(1, "jhb-1"), w.deps)
    w.clock.advance(days=1)
    report = daily(w.deps)
    assert report.skipped == ["jhb-1"] and "quota low" in caplog.text
    report = on_subscription_changed(w.subscribe(1, "jhb-2"), w.deps)  # essential: still fetched
    assert report.fetched == ["jhb-2"]


@pytest.mark.parametrize(
    "error", [QuotaExceededError("429"), UpstreamAuthError("403"), UpstreamUnavailableError("5xx")]
)
def test_failed_fetch_keeps_last_good_timetable_marked_stale(error):
    w = World("jhb-1")
    w.stage(2)
    on_subscription_changed(w.subscribe(1, "jhb-1"), w.deps)
    w.clock.advance(days=1)
    w.esp.errors.append(error)
    report = daily(w.deps)
    assert report.failed == ["jhb-1"]
    kept = w.store.get_timetable("jhb-1")
    assert kept is not None and kept.stale and kept.days == DAYS
    on_stage_changed(w.stage(4, previous=2), w.deps)  # still usable
    assert w.updates()[-1].stage == 4 and w.updates()[-1].stale


def test_transient_failure_without_any_timetable_asks_for_redelivery():
    w = World("jhb-1")
    w.stage(2)
    w.esp.errors.append(UpstreamUnavailableError("timeout"))
    with pytest.raises(UpstreamUnavailableError):
        on_subscription_changed(w.subscribe(1, "jhb-1"), w.deps)
    on_subscription_changed(SubscriptionChanged(chat_id=1, area_id="jhb-1", action="added"), w.deps)  # redelivery
    assert len(w.updates()) == 1


def test_quota_error_is_not_retried_in_a_storm():
    w = World("jhb-1")
    w.stage(2)
    w.esp.errors.append(QuotaExceededError("429"))
    report = on_subscription_changed(w.subscribe(1, "jhb-1"), w.deps)  # no raise → no redelivery storm
    assert report.failed == ["jhb-1"] and w.esp.calls == ["jhb-1"]


def test_cape_town_change_only_touches_city_areas():
    w = World("capetown-15-observatory", "eskde-4-somewhere")
    w.stage(2)
    w.stage(1, region="capetown")
    on_subscription_changed(w.subscribe(1, "capetown-15-observatory"), w.deps)
    on_subscription_changed(w.subscribe(1, "eskde-4-somewhere"), w.deps)
    assert {(u.area_id, u.region, u.stage) for u in w.updates()} == {
        ("capetown-15-observatory", "capetown", 1),
        ("eskde-4-somewhere", "national", 2),
    }
    report = on_stage_changed(w.stage(3, region="capetown", previous=1), w.deps)
    assert [u.area_id for u in report.published] == ["capetown-15-observatory"]


def test_no_stage_known_yet_waits():
    w = World("jhb-1")
    report = on_subscription_changed(w.subscribe(1, "jhb-1"), w.deps)
    assert report.fetched == ["jhb-1"] and w.updates() == []
    on_stage_changed(w.stage(2), w.deps)
    assert len(w.updates()) == 1


def test_removed_subscription_does_nothing():
    w = World("jhb-1")
    report = on_subscription_changed(
        SubscriptionChanged(chat_id=1, area_id="jhb-1", action="removed", reason="bot_blocked"), w.deps
    )
    assert report.fetched == [] and w.esp.calls == []


def test_without_esp_token_nothing_is_fetched(caplog):
    w = World("jhb-1")
    w.deps.timetables = None
    w.stage(2)
    report = on_subscription_changed(w.subscribe(1, "jhb-1"), w.deps)
    assert report.skipped == ["jhb-1"] and "no EskomSePush token" in caplog.text


def test_updates_say_what_triggered_them():
    w = World("jhb-1")
    w.stage(1)
    on_subscription_changed(w.subscribe(1, "jhb-1"), w.deps)
    on_stage_changed(w.stage(4, previous=1), w.deps)
    w.clock.advance(days=1)
    w.esp.timetables["jhb-1"] = Timetable(
        "jhb-1", "Jhb", "R", tuple(TimetableDay(d.day, (("09:00-11:30",),) * 4) for d in DAYS)
    )
    daily(w.deps)
    assert [u.trigger for u in w.updates()] == ["subscribed", "stage_changed", "timetable_fetched"]


def test_areas_of_interest_are_kept_fresh_before_anyone_subscribes():
    w = World("jhb-1", "jhb-2")
    w.deps.areas_of_interest = ("jhb-2",)
    report = on_stage_changed(w.stage(2), w.deps)
    assert report.fetched == ["jhb-2"] and [u.area_id for u in w.updates()] == ["jhb-2"]
    w.clock.advance(hours=21)
    assert daily(w.deps).fetched == ["jhb-2"]
    assert "jhb-1" not in w.esp.calls  # still: areas nobody follows or configured are never fetched


def test_a_refresh_racing_a_stage_change_is_not_a_new_fact_for_the_area():
    """Issue 9: a /refresh that recomputes after the stage moved, before the fetcher heard of it,
    found slots that moved only because of the stage — already in the stage message."""
    from services.relay import relay
    from services.schedule_fetcher.logic import FetchReport, refresh_area

    w = World("jhb-1")
    w.stage(1)
    on_subscription_changed(w.subscribe(1, "jhb-1"), w.deps)
    w.stage(4, previous=1)  # recorded by the watcher; its StageChanged not yet handled here
    refresh_area("jhb-1", w.deps, fetch=False, essential=False, cause=None, report=FetchReport(), trigger="refresh")
    relay(w.store, w.pub, w.clock)
    assert [u.trigger for u in w.updates()] == ["subscribed", "stage_changed"]
    # a refresh that fetched a timetable that really changed is news for the area
    w.clock.advance(hours=2)
    w.esp.timetables["jhb-1"] = Timetable(
        "jhb-1", "Jhb", "R", tuple(TimetableDay(d.day, (("09:00-11:30",),) * 4) for d in DAYS)
    )
    refresh_area("jhb-1", w.deps, fetch=True, essential=False, cause=None, report=FetchReport(), trigger="refresh")
    relay(w.store, w.pub, w.clock)
    assert [u.trigger for u in w.updates()] == ["subscribed", "stage_changed", "refresh"]
