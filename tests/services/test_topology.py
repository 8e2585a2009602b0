"""The topology is valid, and the validator catches each kind of inconsistency."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from schemas import ALL_EVENTS, RefreshRequested, StageChanged, to_eventbridge
from schemas.examples import example
from services.patterns import matches
from services.schedule_expr import ScheduleExpressionError, next_fire, rate_seconds, validate
from services.topology import TOPOLOGY, Schedule, Subscription, event_pattern
from services.topology_check import TopologyError, check, problems


def test_the_topology_is_valid():
    assert problems(TOPOLOGY) == []
    check(TOPOLOGY)


def test_every_subscription_pattern_matches_exactly_its_events():
    for sub in (*TOPOLOGY.subscriptions, *(w.started_by for w in TOPOLOGY.workflows)):
        for cls in ALL_EVENTS:
            delivered = to_eventbridge(example(cls))
            if cls not in sub.events:
                assert not matches(sub.pattern, delivered), (sub.name, cls.__name__)


def test_refresh_requested_starts_the_workflow_but_not_a_replay():
    pattern = TOPOLOGY.workflows[0].started_by.pattern
    delivered = to_eventbridge(example(RefreshRequested))
    assert matches(pattern, delivered)
    assert not matches(pattern, {**delivered, "replay-name": "rebuild-2026-11"})


def _with(**changes):
    return dataclasses.replace(TOPOLOGY, **changes)


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        (_with(subscriptions=(Subscription("x", "nobody", (StageChanged,)),)), "unknown service 'nobody'"),
        (
            _with(subscriptions=(Subscription("x", "notifier", (StageChanged,), detail={"stage": []}),)),
            "empty arrays are not allowed",
        ),
        (
            _with(subscriptions=(Subscription("x", "notifier", (StageChanged,), detail={"stage": [9]}),)),
            "matches none of its events",
        ),
        (_with(schedules=(Schedule("s", "reminder", "rate(5 minute)", {}, "d"),)), "rate(5 minute)"),
        (_with(schedules=(Schedule("s", "reminder", "cron(0 4 * * * *)", {}, "d"),)), "day-of-week"),
        (_with(schedules=(Schedule("s", "reminder", "rate(1 hour)", {}, "d", timezone="Mars/Olympus"),)), "timezone"),
        (_with(services=(*TOPOLOGY.services, TOPOLOGY.services[0])), "duplicate service"),
    ],
)
def test_validator_catches(broken, message):
    with pytest.raises(TopologyError, match="invalid topology") as info:
        check(broken)
    assert message in str(info.value)


def test_event_pattern_shape():
    assert event_pattern((StageChanged,), {"region": ["national"]}, ignore_replays=True) == {
        "source": ["loadshed.stage"],
        "detail-type": ["StageChanged"],
        "detail": {"region": ["national"]},
        "replay-name": [{"exists": False}],
    }


def test_schedule_expressions():
    assert rate_seconds("rate(5 minutes)") == 300
    assert rate_seconds("rate(1 day)") == 86400
    assert rate_seconds("cron(0 4 * * ? *)") is None
    with pytest.raises(ScheduleExpressionError):
        rate_seconds("rate(1 minutes)")
    with pytest.raises(ScheduleExpressionError):
        validate("cron(61 4 * * ? *)", "Africa/Johannesburg")
    after = datetime(2026, 11, 25, 3, 30, tzinfo=UTC)  # 05:30 SAST
    fire = next_fire("cron(0 4 * * ? *)", "Africa/Johannesburg", after)
    assert fire.isoformat() == "2026-11-26T04:00:00+02:00"
    weekly = next_fire("cron(30 6 ? * MON *)", "Africa/Johannesburg", after)  # 2026-11-25 is a Wednesday
    assert weekly.isoformat() == "2026-11-30T06:30:00+02:00"
