"""The local bus: topology routing, durable deliveries, retries with the subscription's policy."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from schemas import ALL_EVENTS, EventValidationError, StageChanged, SubscriptionChanged, to_eventbridge
from schemas.examples import example
from services.adapters.memory import FixedClock
from services.runtime.bus import Dispatcher, LocalBus
from services.runtime.deliveries import DeliveryQueue
from services.runtime.scheduler import Scheduler
from services.topology import TOPOLOGY

T0 = datetime(2026, 11, 25, 10, 0, tzinfo=timezone.utc)


def test_routes_every_event_to_exactly_the_topologys_subscribers(tmp_path):
    bus = LocalBus(DeliveryQueue(tmp_path / "db"), FixedClock(T0))
    subs = (*TOPOLOGY.subscriptions, *(w.started_by for w in TOPOLOGY.workflows))
    for cls in ALL_EVENTS:
        expected = {
            s.name
            for s in subs
            if cls in s.events
            and (s.detail is None or cls is not SubscriptionChanged or example(cls).action == "added")
        }
        assert {s.name for s in bus.route(to_eventbridge(example(cls)))} == expected, cls.__name__


def test_deliveries_survive_a_restart(tmp_path):
    clock = FixedClock(T0)
    bus = LocalBus(DeliveryQueue(tmp_path / "db"), clock)
    bus.publish([example(StageChanged)])
    bus.queue.close()  # "crash" before dispatching
    again = LocalBus(DeliveryQueue(tmp_path / "db"), clock)
    seen: list[str] = []
    Dispatcher(
        again, {"schedule_fetcher": lambda e: seen.append("fetcher"), "notifier": lambda e: seen.append("notifier")}
    ).pump()
    assert sorted(seen) == ["fetcher", "notifier"] and again.queue.depth() == 0


def test_failures_back_off_then_dead_letter(tmp_path):
    clock = FixedClock(T0)
    bus = LocalBus(DeliveryQueue(tmp_path / "db"), clock)
    bus.publish([example(StageChanged)])
    calls = {"fetcher": 0}

    def flaky(event):
        calls["fetcher"] += 1
        raise RuntimeError("downstream broken")

    dispatcher = Dispatcher(bus, {"schedule_fetcher": flaky, "notifier": lambda e: None})
    for _ in range(30):
        dispatcher.pump()
        clock.advance(seconds=61)
    policy = next(s for s in TOPOLOGY.subscriptions if s.name == "fetch-on-stage-change").retry
    assert calls["fetcher"] == policy.maximum_retry_attempts + 1
    [(_, target, error)] = bus.queue.dead_letters()
    assert target == "fetch-on-stage-change" and "downstream broken" in error


def test_invalid_events_are_dead_lettered_at_once(tmp_path):
    clock = FixedClock(T0)
    bus = LocalBus(DeliveryQueue(tmp_path / "db"), clock)
    bus.queue.add([("notify-on-change", "notifier", json.dumps({"detail-type": "StageChanged"}))], clock.now())

    def strict(event):
        raise EventValidationError("StageChanged", "field required", "detail")

    Dispatcher(bus, {"notifier": strict}).pump()
    assert len(bus.queue.dead_letters()) == 1 and bus.queue.depth() == 0


def test_scheduler_rates_overrides_and_cron():
    sched = Scheduler(TOPOLOGY.schedules, {"LOADSHED_POLL_SECONDS": 1.0})
    t = T0
    assert {s.name for s in sched.due(t)} == {"poll-stage", "remind"}  # rates fire at start
    assert [s.name for s in sched.due(t + timedelta(seconds=1))] == ["poll-stage"]  # overridden to 1 s
    assert sched.due(t + timedelta(seconds=1.5)) == []
    assert "remind" in {s.name for s in sched.due(t + timedelta(minutes=5))}
    daily = sched.next["daily-timetables"].astimezone()
    assert daily.utcoffset() is not None and sched.next["daily-timetables"].hour == 4  # 04:00 SAST


def test_a_loop_that_fails_is_logged_and_started_again(caplog):
    import threading

    from services.runtime.workers import start_threads

    stop, runs = threading.Event(), []

    def flaky() -> None:
        runs.append(1)
        if len(runs) < 2:
            raise RuntimeError("boom")
        stop.set()

    [thread] = start_threads([("flaky", flaky)], stop)
    thread.join(timeout=5)
    assert len(runs) == 2 and "loop flaky failed; starting it again" in caplog.text
