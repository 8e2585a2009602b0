"""`loadshed dlq list|redrive` on moto (SQS; Lambda invocations run our real handlers in-process).

Dead letters are shaped as AWS documents them: an EventBridge rule target's DLQ message carries
the event and RULE_ARN/TARGET_ARN/ERROR_CODE/ERROR_MESSAGE attributes; Scheduler's carries the
input and SCHEDULE_ARN/TARGET_ARN; a Lambda on-failure destination record holds
requestContext.functionArn, requestPayload and responsePayload."""

from __future__ import annotations

import io
import json
from datetime import datetime, timezone
from typing import Any

import boto3
import pytest
from moto import mock_aws

from schemas import StageChanged, to_eventbridge
from services import bootstrap
from services.adapters.memory import (
    FakeTimetableSource,
    FixedClock,
    InMemoryStore,
    RecordingMessenger,
    RecordingPublisher,
)
from services.cli.main import main
from services.notifier import handler as notifier_handler
from services.ports import SubscriptionRecord
from tests.infra.lambda_shim import lambda_runtime

REGION, ACCOUNT = "af-south-1", "123456789012"
NOTIFIER = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:loadshed-dev-notifier"
REMINDER = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:loadshed-dev-reminder"


def _attrs(**values: str) -> dict[str, Any]:
    return {k: {"DataType": "String", "StringValue": v} for k, v in values.items()}


@pytest.fixture
def world(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    store, tg = InMemoryStore(), RecordingMessenger()
    for chat in (1, 2):
        store.add_subscription(SubscriptionRecord(chat, "eskde-1-x", "X"), [])
    container = bootstrap.build(
        store=store,
        publisher=RecordingPublisher(),
        stage_source=FakeTimetableSource(),  # type: ignore[arg-type]
        timetables=FakeTimetableSource(),
        clock=FixedClock(),
        messenger=tg,
    )
    bootstrap.install(container)
    handlers = {"loadshed-dev-notifier": notifier_handler.handle, "loadshed-dev-reminder": lambda e, c: {"ok": True}}
    with mock_aws(config={"lambda": {"use_docker": False}}), lambda_runtime(monkeypatch, handlers) as calls:
        sqs = boto3.client("sqs", region_name=REGION)
        url = sqs.create_queue(QueueName="loadshed-dev-dead-letters")["QueueUrl"]
        yield {"sqs": sqs, "url": url, "tg": tg, "calls": calls}
    bootstrap.install(None)


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


EVENT = StageChanged(region="national", previous_stage=1, stage=4, changed_at=datetime.now(timezone.utc))


def _stage_dead_letter(world: dict[str, Any], event: StageChanged = EVENT) -> None:
    world["sqs"].send_message(
        QueueUrl=world["url"],
        MessageBody=json.dumps(to_eventbridge(event)),
        MessageAttributes=_attrs(
            RULE_ARN=f"arn:aws:events:{REGION}:{ACCOUNT}:rule/loadshed-dev/loadshed-dev-sub-notify-on-change",
            TARGET_ARN=NOTIFIER,
            ERROR_CODE="SDK_CLIENT_ERROR",
            ERROR_MESSAGE="Lambda was throttled",
        ),
    )


def test_list_names_each_message_and_redrive_delivers_it_once(world):
    _stage_dead_letter(world)
    world["sqs"].send_message(
        QueueUrl=world["url"],
        MessageBody=json.dumps({"action": "remind"}),
        MessageAttributes=_attrs(
            SCHEDULE_ARN=f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule/default/loadshed-dev-sched-remind",
            TARGET_ARN=REMINDER,
            ERROR_CODE="AWS.Lambda.TooManyRequestsException",
            ERROR_MESSAGE="Rate exceeded",
        ),
    )
    code, out, _ = _run("dlq", "list", "--queue", "loadshed-dev-dead-letters")
    assert code == 0 and "2 message(s)" in out
    assert "StageChanged" in out and "loadshed-dev-notifier" in out and "Lambda was throttled" in out
    assert "schedule:remind" in out and "loadshed-dev-reminder" in out
    code, out, _ = _run("dlq", "redrive", "--queue", "loadshed-dev-dead-letters", "--dry-run")
    assert code == 0 and out.count("would redrive") == 2 and world["calls"] == []
    code, out, _ = _run("dlq", "redrive", "--queue", "loadshed-dev-dead-letters")
    assert code == 0 and out.count("redrove") == 2
    assert sorted(c["function"] for c in world["calls"]) == ["loadshed-dev-notifier", "loadshed-dev-reminder"]
    assert sorted(s.chat_id for s in world["tg"].sent) == [1, 2]  # the stage change reached each chat once
    assert _run("dlq", "list", "--queue", "loadshed-dev-dead-letters")[1].strip() == "loadshed-dev-dead-letters: empty"
    _stage_dead_letter(world)  # the same event dead-lettered again (a retry that also failed): told nobody twice
    assert _run("dlq", "redrive", "--queue", "loadshed-dev-dead-letters")[0] == 0
    assert sorted(s.chat_id for s in world["tg"].sent) == [1, 2]


def test_a_lambda_async_failure_record_goes_back_to_its_function(world):
    record = {
        "version": "1.0",
        "timestamp": "2026-11-26T08:00:00.000Z",
        "requestContext": {
            "requestId": "e4b46cbf-b738-xmpl-8880-a18cdf61200e",
            "functionArn": f"{REMINDER}:$LATEST",
            "condition": "RetriesExhausted",
            "approximateInvokeCount": 3,
        },
        "requestPayload": {"action": "remind"},
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": {"errorMessage": "Task timed out", "errorType": "Sandbox.Timedout"},
    }
    world["sqs"].send_message(QueueUrl=world["url"], MessageBody=json.dumps(record))
    code, out, _ = _run("dlq", "list", "--queue", world["url"])
    assert code == 0 and "async-failure" in out and "RetriesExhausted Sandbox.Timedout" in out
    code, out, _ = _run("dlq", "redrive", "--queue", world["url"])
    assert code == 0 and world["calls"] == [{"function": "loadshed-dev-reminder", "event": {"action": "remind"}}]


def test_a_target_that_fails_again_keeps_its_message(world, monkeypatch):
    _stage_dead_letter(world)
    world["tg"].fail_next.extend([RuntimeError("still broken")] * 5)
    code, out, _ = _run("dlq", "redrive", "--queue", "loadshed-dev-dead-letters")
    assert code == 1 and "kept" in out and "failed again" in out
    attrs = world["sqs"].get_queue_attributes(
        QueueUrl=world["url"], AttributeNames=["ApproximateNumberOfMessagesNotVisible"]
    )
    assert attrs["Attributes"]["ApproximateNumberOfMessagesNotVisible"] == "1"  # back in the queue when visible


def test_bad_queue_and_empty_queue_are_one_line(world):
    code, out, err = _run("dlq", "list", "--queue", "no-such-queue")
    assert code == 1 and err == "error: no queue named 'no-such-queue' in this account and region\n" and out == ""
    code, out, _ = _run("dlq", "redrive", "--queue", "loadshed-dev-dead-letters")
    assert code == 0 and out == "loadshed-dev-dead-letters: empty\n"
