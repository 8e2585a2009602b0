"""One contract, three adapters: in-memory fake, SQLite (real file), DynamoDB (moto)."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest

from schemas import ScheduleUpdated, StageChanged, SubscriptionChanged, UpcomingStage
from schemas.examples import example
from services.ports import (
    ChatSettings,
    ScheduleRecord,
    StageRecord,
    SubscriptionLimitError,
    SubscriptionRecord,
    Timetable,
    TimetableDay,
    TimetableEvent,
)
from tests.adapters.stores import STORE_KINDS, make_store

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture(params=STORE_KINDS)
def store(request, tmp_path):
    with make_store(request.param, tmp_path) as s:
        yield s


def _record(stage, **kw):
    return StageRecord(region="national", stage=stage, changed_at=NOW, **kw)


def test_stage_transition_is_conditional_and_carries_its_event(store):
    assert store.get_stage("national") is None
    event = example(StageChanged)
    assert store.save_stage(_record(2), None, [event])
    assert not store.save_stage(_record(3), None, [event])  # someone else created it first
    saved = store.get_stage("national")
    assert saved.stage == 2 and saved.version == 1
    nxt = (UpcomingStage(stage=4, starts_at=NOW + timedelta(hours=3)),)
    assert store.save_stage(_record(4, next_stages=nxt, observed_from="eskomsepush"), 1, [])
    assert not store.save_stage(_record(5), 1, [event])  # stale version loses
    saved = store.get_stage("national")
    assert (saved.stage, saved.version, saved.next_stages, saved.observed_from) == (4, 2, nxt, "eskomsepush")
    assert store.get_stage("capetown") is None
    assert store.outbox_depth() == 1  # only the winning writes enqueued


def test_outbox_lease_and_publish(store):
    events = [example(StageChanged), example(ScheduleUpdated)]
    store.save_stage(_record(1), None, events)
    first = store.claim_outbox(NOW)
    assert [i.event for i in first] == events
    assert store.claim_outbox(NOW + timedelta(seconds=30)) == []  # leased
    again = store.claim_outbox(NOW + timedelta(seconds=61))  # lease ran out: crashed relay
    assert [i.event for i in again] == events
    store.mark_published([i.item_id for i in again])
    assert store.outbox_depth() == 0
    assert store.claim_outbox(NOW + timedelta(hours=1)) == []


def test_outbox_claims_are_exclusive_under_concurrency(store):
    store.save_stage(_record(1), None, [example(StageChanged) for _ in range(10)])
    got: list[list] = []
    barrier = threading.Barrier(2)

    def relay():
        barrier.wait()
        got.append(store.claim_outbox(NOW))

    threads = [threading.Thread(target=relay) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ids = [i.item_id for batch in got for i in batch]
    assert len(ids) == 10 and len(set(ids)) == 10


def test_timetable_round_trip(store):
    tt = Timetable(
        area_id="capetown-15-observatory",
        name="Observatory (15)",
        region_name="City of Cape Town",
        days=(TimetableDay(date(2026, 11, 25), (("20:00-22:30",), ("20:00-00:30", "04:00-06:30"))),),
        events=(TimetableEvent(NOW, NOW + timedelta(hours=2), "Stage 2"),),
        fetched_at=NOW,
    )
    assert store.get_timetable(tt.area_id) is None
    store.save_timetable(tt)
    assert store.get_timetable(tt.area_id) == tt


def test_schedule_write_is_optimistic_on_the_previous_hash(store):
    event = example(ScheduleUpdated)
    r1 = ScheduleRecord("h1", "[]", NOW)
    r2 = ScheduleRecord("h2", '[["a","b",2]]', NOW + timedelta(days=7))
    assert store.get_schedule("a1") is None
    assert store.record_schedule("a1", r1, None, [event])
    assert not store.record_schedule("a1", r1, None, [event])  # a concurrent first writer lost
    assert store.record_schedule("a1", r2, "h1", [event])
    assert not store.record_schedule("a1", r1, "h1", [event])  # stale expectation
    assert store.get_schedule("a1") == r2
    assert store.record_schedule("a1", ScheduleRecord("h2", "[]", NOW), "h2", [])  # same hash, no event
    assert store.outbox_depth() == 2


def test_subscriptions_by_chat_and_by_area(store):
    ev = example(SubscriptionChanged)
    assert store.add_subscription(SubscriptionRecord(1, "a", "Area A"), [ev])
    assert not store.add_subscription(SubscriptionRecord(1, "a", "Area A"), [ev])
    assert store.add_subscription(SubscriptionRecord(2, "a"), [ev])
    assert store.add_subscription(SubscriptionRecord(1, "b"), [ev])
    assert store.chat_subscriptions(1) == [SubscriptionRecord(1, "a", "Area A"), SubscriptionRecord(1, "b", None)]
    assert store.area_subscribers("a") == [1, 2]
    assert store.subscribed_areas() == ["a", "b"]
    assert store.remove_subscription(1, "b", [ev])
    assert not store.remove_subscription(1, "b", [ev])
    assert store.subscribed_areas() == ["a"]
    assert store.area_subscribers("b") == []
    assert store.outbox_depth() == 4


def test_subscription_limit(store):
    for i in range(3):
        assert store.add_subscription(SubscriptionRecord(7, f"area-{i}"), [], limit=3)
    with pytest.raises(SubscriptionLimitError):
        store.add_subscription(SubscriptionRecord(7, "area-9"), [], limit=3)
    assert store.remove_subscription(7, "area-0", [])
    assert store.add_subscription(SubscriptionRecord(7, "area-9"), [], limit=3)
    assert len(store.chat_subscriptions(7)) == 3


def test_settings(store):
    assert store.get_settings(5) == ChatSettings()
    store.save_settings(5, ChatSettings(remind_minutes=None, quiet_start="22:00", quiet_end="06:00"))
    assert store.get_settings(5) == ChatSettings(remind_minutes=None, quiet_start="22:00", quiet_end="06:00")


def test_claims_expire(store):
    assert store.claim("sent:1:x", NOW, 60)
    assert not store.claim("sent:1:x", NOW + timedelta(seconds=59), 60)
    assert store.claim("sent:1:x", NOW + timedelta(seconds=61), 60)
    assert store.claim("sent:2:x", NOW, 60)


def test_a_lease_is_renewed_only_by_its_holder_while_it_holds(store):
    assert store.claim("fanout-lease:f", NOW, 60, holder="run-a")
    assert store.renew("fanout-lease:f", NOW + timedelta(seconds=50), 60, "run-a")  # held until +110
    assert not store.renew("fanout-lease:f", NOW + timedelta(seconds=50), 60, "run-b")
    assert not store.claim("fanout-lease:f", NOW + timedelta(seconds=100), 60, holder="run-b")
    assert not store.renew("fanout-lease:f", NOW + timedelta(seconds=111), 60, "run-a")  # expired
    assert store.claim("fanout-lease:f", NOW + timedelta(seconds=111), 60, holder="run-b")  # taken over
    assert not store.renew("fanout-lease:f", NOW + timedelta(seconds=112), 60, "run-a")  # not run-a's any more
    assert not store.renew("never-claimed", NOW, 60, "run-a")


def test_release_and_enqueue(store):
    assert store.claim("lease", NOW, 600)
    store.release("lease")
    assert store.claim("lease", NOW, 600)
    store.release("never-claimed")
    store.enqueue([example(StageChanged) for _ in range(30)])
    assert store.outbox_depth() == 30
    assert len(store.claim_outbox(NOW, limit=100)) == 30


def test_concurrent_claim_has_one_winner(store):
    wins: list[bool] = []
    barrier = threading.Barrier(4)

    def go():
        barrier.wait()
        wins.append(store.claim("refresh:req-1", NOW, 3600))

    threads = [threading.Thread(target=go) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(wins) == [False, False, False, True]


def test_values_with_ttl(store):
    assert store.get_value("offset", now=NOW) is None
    store.put_value("offset", "41", now=NOW)
    store.put_value("offset", "42", now=NOW)
    assert store.get_value("offset", now=NOW + timedelta(days=365)) == "42"  # no ttl: never expires
    store.put_value("cache", "x", ttl_seconds=60, now=NOW)
    assert store.get_value("cache", now=NOW + timedelta(seconds=30)) == "x"
    assert store.get_value("cache", now=NOW + timedelta(seconds=90)) is None


def test_settings_travel_with_subscriptions(store):
    store.add_subscription(SubscriptionRecord(1, "a", "A", remind_minutes=45), [])
    store.add_subscription(SubscriptionRecord(2, "a", "A"), [])
    store.add_subscription(SubscriptionRecord(1, "b", "B", remind_minutes=45), [])
    assert [(s.chat_id, s.remind_minutes) for s in store.area_subscriptions("a")] == [(1, 45), (2, 30)]
    store.save_settings(1, ChatSettings(remind_minutes=None, quiet_start="22:00", quiet_end="06:00"))
    [first, second] = store.area_subscriptions("a")
    assert first.settings == ChatSettings(None, "22:00", "06:00") and second.settings == ChatSettings()
    assert store.area_subscriptions("b")[0].settings == ChatSettings(None, "22:00", "06:00")
    assert store.chat_subscriptions(1)[0].remind_minutes is None
    assert store.area_subscriptions("nowhere") == []
