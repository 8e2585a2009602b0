"""The event patterns the Pulumi program deploys route events in moto's EventBridge exactly as the
embedded local bus routes them."""

from __future__ import annotations

import json

import boto3
from moto import mock_aws

from schemas import ALL_EVENTS, ScheduleUpdated, StageChanged, SubscriptionChanged, to_eventbridge, to_put_events_entry
from schemas.examples import example
from services.adapters.memory import FixedClock
from services.runtime.bus import LocalBus
from services.runtime.deliveries import DeliveryQueue
from tests.infra.harness import run_program


def test_deployed_patterns_route_like_the_local_bus(tmp_path):
    program = run_program()
    rules = {
        r.name: json.loads(r.inputs["eventPattern"]) for r in program.of_type("aws:cloudwatch/eventRule:EventRule")
    }
    local = LocalBus(DeliveryQueue(tmp_path / "q.db"), FixedClock())
    events = [example(c) for c in ALL_EVENTS]
    events += [
        example(SubscriptionChanged).model_copy(update={"action": "removed"}),
        example(StageChanged).model_copy(update={"region": "capetown"}),
        example(ScheduleUpdated).model_copy(update={"trigger": "stage_changed"}),
    ]
    with mock_aws():
        eb, sqs = boto3.client("events"), boto3.client("sqs")
        eb.create_event_bus(Name="bus")
        urls = {}
        for name, pattern in rules.items():
            url = sqs.create_queue(QueueName=name[-70:])["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            eb.put_rule(Name=name[-64:], EventBusName="bus", EventPattern=json.dumps(pattern))
            eb.put_targets(Rule=name[-64:], EventBusName="bus", Targets=[{"Id": "q", "Arn": arn}])
            urls[name] = url
        for event in events:
            eb.put_events(Entries=[to_put_events_entry(event, "bus")])
        moto_routes: dict[str, set[str]] = {}
        for name, url in urls.items():
            for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
                event_id = json.loads(message["Body"])["detail"]["event_id"]
                moto_routes.setdefault(event_id, set()).add(json.dumps(rules[name], sort_keys=True))
    for event in events:
        local_routes = {json.dumps(s.pattern, sort_keys=True) for s in local.route(to_eventbridge(event))}
        assert local_routes == moto_routes.get(str(event.event_id), set()), type(event).__name__
    assert len(rules) == len(local.subscriptions)
