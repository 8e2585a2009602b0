"""The local matcher routes exactly as EventBridge (moto) does for the topology's patterns."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from schemas import (
    ALL_EVENTS,
    Event,
    ScheduleUpdated,
    StageChanged,
    SubscriptionChanged,
    from_eventbridge,
    to_eventbridge,
    to_put_events_entry,
)
from schemas.examples import example
from services.patterns import matches
from services.topology import TOPOLOGY

BUS = "loadshed-test"


def _events() -> list[Event]:
    events = [example(cls) for cls in ALL_EVENTS]
    sub = example(SubscriptionChanged)
    events.append(sub.model_copy(update={"action": "removed", "reason": "bot_blocked"}))
    stage = example(StageChanged)
    events.append(stage.model_copy(update={"region": "capetown", "previous_stage": None}))
    sched = example(ScheduleUpdated)
    events.append(sched.model_copy(update={"slots": [], "stale": True}))
    return events


def _subscriptions():
    return [*TOPOLOGY.subscriptions, *(w.started_by for w in TOPOLOGY.workflows)]


@pytest.fixture
def routed_by_moto():
    with mock_aws():
        events_client = boto3.client("events")
        sqs = boto3.client("sqs")
        events_client.create_event_bus(Name=BUS)
        queues = {}
        for sub in _subscriptions():
            url = sqs.create_queue(QueueName=sub.name.replace(":", "-"))["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            events_client.put_rule(Name=sub.name, EventBusName=BUS, EventPattern=json.dumps(sub.pattern))
            events_client.put_targets(Rule=sub.name, EventBusName=BUS, Targets=[{"Id": "q", "Arn": arn}])
            queues[sub.name] = url
        sent = _events()
        for event in sent:
            result = events_client.put_events(Entries=[to_put_events_entry(event, BUS)])
            assert result["FailedEntryCount"] == 0
        routed: dict[str, set[str]] = {}
        for name, url in queues.items():
            messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
            for msg in messages:
                delivered = json.loads(msg["Body"])
                event = from_eventbridge(delivered)  # moto's real delivery shape parses
                routed.setdefault(str(event.event_id), set()).add(name)
        yield sent, routed


def test_local_matcher_agrees_with_eventbridge(routed_by_moto):
    sent, routed = routed_by_moto
    for event in sent:
        local = {s.name for s in _subscriptions() if matches(s.pattern, to_eventbridge(event))}
        assert local == routed.get(str(event.event_id), set()), type(event).__name__
    assert any(routed.values()), "nothing was routed: the comparison would prove nothing"
