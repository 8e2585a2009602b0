"""EventBridgePublisher on moto (rule → SQS from the topology) and against partial failures."""

from __future__ import annotations

import json
from uuid import uuid4

import boto3
import pytest
from moto import mock_aws

from schemas import ScheduleUpdated, StageChanged, from_eventbridge
from schemas.examples import example
from services.adapters.eventbridge import MAX_BYTES, EventBridgePublisher, batches, entry_size
from services.ports import PublishError
from services.topology import TOPOLOGY


def test_published_event_reaches_the_topologys_subscriber_queue():
    sub = next(s for s in TOPOLOGY.subscriptions if s.name == "fetch-on-stage-change")
    with mock_aws():
        events, sqs = boto3.client("events"), boto3.client("sqs")
        events.create_event_bus(Name="bus")
        url = sqs.create_queue(QueueName="q")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events.put_rule(Name=sub.name, EventBusName="bus", EventPattern=json.dumps(sub.pattern))
        events.put_targets(Rule=sub.name, EventBusName="bus", Targets=[{"Id": "q", "Arn": arn}])
        publisher = EventBridgePublisher(events, "bus", sleep=lambda _: None)
        sent = [example(StageChanged), example(ScheduleUpdated)]
        publisher.publish(sent)
        bodies = [json.loads(m["Body"]) for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]]
        assert [from_eventbridge(b) for b in bodies] == [sent[0]]  # only the StageChanged matches


def _entries(n: int, detail_bytes: int = 100):
    return [{"Source": "s", "DetailType": "d", "Detail": "x" * detail_bytes, "Time": 1} for _ in range(n)]


def test_batches_respect_count_and_size():
    assert [len(b) for b in batches(_entries(23))] == [10, 10, 3]
    big = _entries(5, detail_bytes=100_000)
    sizes = [sum(entry_size(e) for e in b) for b in batches(big)]
    assert all(s <= MAX_BYTES for s in sizes) and [len(b) for b in batches(big)] == [2, 2, 1]
    with pytest.raises(PublishError, match="256 KB"):
        batches(_entries(1, detail_bytes=MAX_BYTES))


class FlakyEvents:
    """A stand-in for the events client that fails chosen entries (moto cannot fail partially)."""

    def __init__(self, plan: list[set[int] | str]) -> None:
        self.plan = plan
        self.seen: list[list[str]] = []

    def put_events(self, Entries):
        self.seen.append([json.loads(e["Detail"])["event_id"] for e in Entries])
        step = self.plan.pop(0) if self.plan else set()
        if isinstance(step, str):
            return {
                "FailedEntryCount": len(Entries),
                "Entries": [{"ErrorCode": step, "ErrorMessage": "no"}] * len(Entries),
            }
        results = [{"ErrorCode": "ThrottlingException"} if i in step else {"EventId": "x"} for i in range(len(Entries))]
        return {"FailedEntryCount": len(step), "Entries": results}


def test_partial_failure_resends_only_the_failed_entries():
    client = FlakyEvents([{1, 3}, set()])
    events = [example(StageChanged).model_copy(update={"event_id": uuid4()}) for _ in range(4)]
    EventBridgePublisher(client, "bus", sleep=lambda _: None).publish(events)
    ids = [str(e.event_id) for e in events]
    assert client.seen == [ids, [ids[1], ids[3]]]


def test_bounded_attempts_then_publish_error():
    client = FlakyEvents([{0}, {0}, {0}, {0}, {0}])
    with pytest.raises(PublishError, match="after 4 attempts"):
        EventBridgePublisher(client, "bus", sleep=lambda _: None).publish([example(StageChanged)])
    assert len(client.seen) == 4


def test_permanent_rejection_is_not_retried():
    client = FlakyEvents(["MalformedDetail"])
    with pytest.raises(PublishError, match="MalformedDetail"):
        EventBridgePublisher(client, "bus", sleep=lambda _: None).publish([example(StageChanged)])
    assert len(client.seen) == 1
