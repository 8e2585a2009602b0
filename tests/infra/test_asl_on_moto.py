"""The generated ASL, executed by moto's Step Functions interpreter against the real step code."""

from __future__ import annotations

import json
import time
from typing import Any
from uuid import uuid4

import boto3
import pytest
from moto import mock_aws

from infra.asl import workflow_asl
from schemas import RefreshRequested, from_eventbridge, to_eventbridge
from services import bootstrap
from services.adapters.memory import (
    FakeTimetableSource,
    FixedClock,
    InMemoryStore,
    RecordingMessenger,
    RecordingPublisher,
    ScriptedStageSource,
)
from services.ports import RegionStage, StageReading, SubscriptionRecord, UpstreamUnavailableError
from services.refresh import handler as refresh_handler
from services.topology import TOPOLOGY, event_pattern
from tests.infra.lambda_shim import lambda_runtime

WF = TOPOLOGY.workflows[0]
ACCOUNT, REGION, BUS = "123456789012", "af-south-1", "loadshed-test"
FUNCTION_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:loadshed-refresh"
CHAT = 42


@pytest.fixture
def world(monkeypatch):
    source = ScriptedStageSource()  # each test queues what Eskom answers
    tg = RecordingMessenger()
    container = bootstrap.build(
        store=InMemoryStore(),
        publisher=RecordingPublisher(),
        stage_source=source,
        timetables=FakeTimetableSource(),
        clock=FixedClock(),
        messenger=tg,
    )
    container.store.add_subscription(SubscriptionRecord(CHAT, "a1", "A One"), [])
    bootstrap.install(container)
    config: Any = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}
    with mock_aws(config=config), lambda_runtime(monkeypatch, {"loadshed-refresh": refresh_handler.handle}) as calls:
        sfn, events, sqs = boto3.client("stepfunctions"), boto3.client("events"), boto3.client("sqs")
        events.create_event_bus(Name=BUS)
        url = sqs.create_queue(QueueName="outcomes")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        pattern = event_pattern((WF.completed, WF.failed))
        events.put_rule(Name="outcomes", EventBusName=BUS, EventPattern=json.dumps(pattern))
        events.put_targets(Rule="outcomes", EventBusName=BUS, Targets=[{"Id": "q", "Arn": arn}])
        machine = sfn.create_state_machine(
            name="refresh",
            definition=json.dumps(workflow_asl(WF, {"refresh": FUNCTION_ARN}, BUS)),
            roleArn=f"arn:aws:iam::{ACCOUNT}:role/sfn",
            type="STANDARD",
        )["stateMachineArn"]
        yield {
            "sfn": sfn,
            "sqs": sqs,
            "queue": url,
            "machine": machine,
            "calls": calls,
            "source": source,
            "tg": tg,
            "container": container,
        }
    bootstrap.install(None)


def execute(w, request: RefreshRequested, name: str | None = None) -> dict:
    arn = w["sfn"].start_execution(
        stateMachineArn=w["machine"], name=name or str(uuid4()), input=json.dumps(to_eventbridge(request))
    )["executionArn"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        described = w["sfn"].describe_execution(executionArn=arn)
        if described["status"] != "RUNNING":
            return described
        time.sleep(0.2)
    raise AssertionError("execution did not finish")


def outcomes(w) -> list:
    messages = w["sqs"].receive_message(QueueUrl=w["queue"], MaxNumberOfMessages=10).get("Messages", [])
    return [from_eventbridge(json.loads(m["Body"])) for m in messages]


def request() -> RefreshRequested:
    return RefreshRequested(request_id=uuid4(), scope="chat", chat_id=CHAT)


def steps_called(w) -> list[str]:
    return [c["event"]["action"] for c in w["calls"]]


def test_transient_failure_is_absorbed_by_the_retry(world):
    world["source"].push(
        UpstreamUnavailableError("Eskom timed out"), StageReading((RegionStage("national", 3),), "eskom")
    )
    req = request()
    result = execute(world, req)
    assert result["status"] == "SUCCEEDED", result
    assert steps_called(world) == ["fetch_stage", "fetch_stage", "fetch_schedule", "notify"]
    [done] = outcomes(world)
    assert type(done).__name__ == "RefreshCompleted" and done.request_id == req.request_id and done.stage == 3
    assert done.correlation_id == req.correlation_id and done.causation_id == req.event_id
    assert "Refreshed" in world["tg"].sent[-1].text and world["tg"].sent[-1].chat_id == CHAT


def test_persistent_failure_runs_the_catch(world):
    world["source"].push(*[UpstreamUnavailableError("Eskom down")] * 10)
    req = request()
    result = execute(world, req)
    assert result["status"] == "FAILED"
    assert steps_called(world) == ["fetch_stage"] * (1 + WF.steps[0].retry.max_attempts) + ["report_failure"]
    [failed] = outcomes(world)
    assert type(failed).__name__ == "RefreshFailed" and failed.step == "FetchStage"
    assert failed.error_type == "UpstreamUnavailableError" and failed.error == "Eskom down"
    text = world["tg"].sent[-1].text
    assert "could not finish the refresh: checking the stage" in text and "FetchStage" not in text


def test_redelivered_request_runs_once(world):
    world["source"].push(StageReading((RegionStage("national", 3),), "eskom"))
    req = request()
    assert execute(world, req)["status"] == "SUCCEEDED"
    assert execute(world, req)["status"] == "SUCCEEDED"  # a second execution for the same request…
    assert steps_called(world) == ["fetch_stage", "fetch_schedule", "notify", "fetch_stage"]  # …stops at once
    assert len(outcomes(world)) == 1
