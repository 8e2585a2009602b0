"""Stage watcher logic: real changes only, conditional transitions, nothing lost."""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta, timezone

import pytest

from schemas import StageChanged, UpcomingStage
from services.adapters.memory import FixedClock, InMemoryStore, RecordingPublisher, ScriptedStageSource
from services.adapters.sqlite_store import SQLiteStore
from services.ports import PublishError, RegionStage, StageReading, UpstreamUnavailableError
from services.stage_watcher.logic import poll
from tests.adapters.stores import make_store

T0 = datetime(2026, 11, 25, 10, 0, tzinfo=timezone.utc)


class ReadThenWait:
    """Store proxy: after reading the stage, wait until the other watcher has read it too."""

    def __init__(self, store, barrier: threading.Barrier) -> None:
        self._store, self._barrier = store, barrier

    def get_stage(self, region):
        found = self._store.get_stage(region)
        self._barrier.wait(timeout=10)
        return found

    def __getattr__(self, name):
        return getattr(self._store, name)


def national(stage: int, *nxt: UpcomingStage, source: str = "eskom") -> StageReading:
    return StageReading((RegionStage("national", stage, tuple(nxt)),), source)


def test_first_observation_then_only_real_changes():
    store, pub, clock = InMemoryStore(), RecordingPublisher(), FixedClock(T0)
    source = ScriptedStageSource(national(0), national(0), national(4), national(4), national(2))
    assert [e.stage for e in poll(source, store, pub, clock)] == [0]
    assert poll(source, store, pub, clock) == []
    changed = poll(source, store, pub, clock)
    assert [(e.previous_stage, e.stage) for e in changed] == [(0, 4)]
    assert poll(source, store, pub, clock) == []
    poll(source, store, pub, clock)
    assert [(e.previous_stage, e.stage) for e in pub.of_type(StageChanged)] == [(None, 0), (0, 4), (4, 2)]
    assert store.outbox_depth() == 0


def test_cape_town_separately_with_next_stages():
    store, pub, clock = InMemoryStore(), RecordingPublisher(), FixedClock(T0)
    nxt = UpcomingStage(stage=2, starts_at=T0 + timedelta(hours=6))
    reading = StageReading((RegionStage("national", 4, (nxt,)), RegionStage("capetown", 1)), "eskomsepush")
    events = poll(ScriptedStageSource(reading), store, pub, clock)
    assert {(e.region, e.stage) for e in events} == {("national", 4), ("capetown", 1)}
    assert next(e for e in events if e.region == "national").next_stages == [nxt]
    assert all(e.observed_from == "eskomsepush" for e in events)


def test_next_stages_update_silently():
    store, pub, clock = InMemoryStore(), RecordingPublisher(), FixedClock(T0)
    nxt = UpcomingStage(stage=2, starts_at=T0 + timedelta(hours=6))
    source = ScriptedStageSource(national(4, source="eskomsepush"), national(4, nxt, source="eskomsepush"))
    poll(source, store, pub, clock)
    assert poll(source, store, pub, clock) == []
    assert store.get_stage("national").next_stages == (nxt,)
    assert len(pub.events) == 1


@pytest.mark.parametrize("error", ["timeout", "html", "minus one"])
def test_upstream_failure_writes_and_publishes_nothing(error, caplog):
    store, pub, clock = InMemoryStore(), RecordingPublisher(), FixedClock(T0)
    source = ScriptedStageSource(national(3))
    poll(source, store, pub, clock)
    source.push(UpstreamUnavailableError(error), UpstreamUnavailableError(error))
    with caplog.at_level(logging.WARNING), pytest.raises(UpstreamUnavailableError):
        poll(source, store, pub, clock)
    with pytest.raises(UpstreamUnavailableError):
        poll(source, store, pub, clock)
    assert store.get_stage("national").stage == 3  # last known stage kept and readable
    assert len(pub.events) == 1
    assert sum("unavailable" in r.message for r in caplog.records) == 1  # logged once, not per poll


def test_publisher_failing_once_after_the_write_loses_nothing():
    store, pub, clock = InMemoryStore(), RecordingPublisher(fail_next=1), FixedClock(T0)
    source = ScriptedStageSource(national(0), national(6))
    poll(source, store, RecordingPublisher(), clock)
    with pytest.raises(PublishError):
        poll(source, store, pub, clock)  # state written, publish failed
    assert store.get_stage("national").stage == 6
    assert store.outbox_depth() == 1
    clock.advance(minutes=5)
    assert poll(source, store, pub, clock) == []  # no new change…
    assert [(e.previous_stage, e.stage) for e in pub.of_type(StageChanged)] == [(0, 6)]  # …but published once
    clock.advance(minutes=5)
    poll(source, store, pub, clock)
    assert len(pub.events) == 1


@pytest.mark.parametrize("kind", ["sqlite", "dynamodb"])
def test_two_concurrent_watchers_yield_one_stage_changed(kind, tmp_path):
    with make_store(kind, tmp_path) as store:
        clock = FixedClock(T0)
        poll(ScriptedStageSource(national(2)), store, RecordingPublisher(), clock)
        barrier = threading.Barrier(2)
        publishers = [RecordingPublisher(), RecordingPublisher()]
        errors: list[BaseException] = []

        # two independent writers: separate connections to one SQLite file, or two clients of one table
        stores = [store, SQLiteStore(store.path) if isinstance(store, SQLiteStore) else store]

        def watcher(pub: RecordingPublisher, own_store) -> None:
            try:
                poll(ScriptedStageSource(national(5)), ReadThenWait(own_store, barrier), pub, clock)
            except BaseException as exc:  # surfaced below
                errors.append(exc)

        threads = [threading.Thread(target=watcher, args=(p, s)) for p, s in zip(publishers, stores, strict=True)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        published = [e for p in publishers for e in p.of_type(StageChanged)]
        assert [(e.previous_stage, e.stage) for e in published] == [(2, 5)]
        assert store.get_stage("national").stage == 5
