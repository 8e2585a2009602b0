"""Dead letters: what each message is, and how to deliver it again to where it was going.

Three shapes arrive in loadshed's queues (from AWS's documentation of each):
- an EventBridge rule target's DLQ: the event as the body; attributes RULE_ARN, TARGET_ARN,
  ERROR_CODE, ERROR_MESSAGE (EventBridge user guide, "Using dead-letter queues");
- an EventBridge Scheduler target's DLQ: the schedule's input as the body; attributes
  SCHEDULE_ARN, TARGET_ARN, ERROR_CODE, ERROR_MESSAGE (Scheduler user guide, "Configuring a DLQ");
- a Lambda on-failure destination for async invocations: a JSON record with
  `requestContext.functionArn`, `requestPayload` and `responsePayload` (Lambda developer guide,
  "Capturing records of asynchronous invocations").
Redriving invokes the original target with the original payload and waits for its answer: only
a success removes the message. Handlers are idempotent (send-once by fact), so a redrive that is
interrupted and repeated tells nobody twice. A target that is a state machine gets an execution
named after the message, which Step Functions refuses to start twice.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


class DeadLetterError(RuntimeError):
    """A queue cannot be read, or a message cannot be understood."""


@dataclass(frozen=True)
class DeadLetter:
    queue: str
    message_id: str
    receipt: str
    kind: str  # "rule", "schedule", "async-failure", "unknown"
    target: str
    payload: str
    event_type: str
    error: str


def _attrs(message: dict[str, Any]) -> dict[str, str]:
    return {k: str(v.get("StringValue", "")) for k, v in (message.get("MessageAttributes") or {}).items()}


def _event_type(payload: str) -> str:
    try:
        body = json.loads(payload)
    except ValueError:
        return "(not JSON)"
    if isinstance(body, dict):
        if "detail-type" in body:
            return str(body["detail-type"])
        if "action" in body:
            return f"schedule:{body['action']}"
    return "(unknown)"


def parse(queue: str, message: dict[str, Any]) -> DeadLetter:
    """One SQS message as the dead letter it is."""
    attrs, body = _attrs(message), str(message.get("Body", ""))
    ident, receipt = str(message["MessageId"]), str(message["ReceiptHandle"])
    error = " ".join(x for x in (attrs.get("ERROR_CODE", ""), attrs.get("ERROR_MESSAGE", "")) if x)
    if "RULE_ARN" in attrs or "SCHEDULE_ARN" in attrs:
        kind = "rule" if "RULE_ARN" in attrs else "schedule"
        return DeadLetter(queue, ident, receipt, kind, attrs.get("TARGET_ARN", ""), body, _event_type(body), error)
    try:
        record = json.loads(body)
    except ValueError:
        record = None
    if isinstance(record, dict) and "requestContext" in record and "requestPayload" in record:
        function = re.sub(r":(\$LATEST|\d+)$", "", str(record["requestContext"].get("functionArn", "")))
        response = record.get("responsePayload") or {}
        why = (
            f"{response.get('errorType', '')}: {response.get('errorMessage', '')}" if isinstance(response, dict) else ""
        )
        payload = json.dumps(record["requestPayload"])
        condition = str(record["requestContext"].get("condition", ""))
        return DeadLetter(
            queue,
            ident,
            receipt,
            "async-failure",
            function,
            payload,
            _event_type(payload),
            f"{condition} {why}".strip(),
        )
    return DeadLetter(queue, ident, receipt, "unknown", "", body, _event_type(body), error or "(no error recorded)")


def queue_url(sqs: Any, queue: str) -> str:
    if queue.startswith("https://"):
        return queue
    try:
        return str(sqs.get_queue_url(QueueName=queue)["QueueUrl"])
    except sqs.exceptions.QueueDoesNotExist:
        raise DeadLetterError(f"no queue named {queue!r} in this account and region") from None


def peek(sqs: Any, queue: str, limit: int = 1000) -> Iterator[DeadLetter]:
    """Every message, without taking it: each is received with a zero visibility timeout."""
    url, seen = queue_url(sqs, queue), set[str]()
    while len(seen) < limit:
        got = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0, MessageAttributeNames=["All"], WaitTimeSeconds=0
        ).get("Messages", [])
        fresh = [m for m in got if m["MessageId"] not in seen]
        if not fresh:
            return
        for message in fresh:
            seen.add(message["MessageId"])
            yield parse(queue, message)


def take(sqs: Any, queue: str, visibility: int = 120) -> Iterator[DeadLetter]:
    """Messages held for `visibility` seconds while they are redriven (a crash lets them reappear)."""
    url = queue_url(sqs, queue)
    while True:
        got = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=visibility, MessageAttributeNames=["All"]
        ).get("Messages", [])
        if not got:
            return
        yield from (parse(queue, m) for m in got)


def redrive(letter: DeadLetter, lambdas: Any, sfn: Any) -> str:
    """Deliver the payload to its original target; returns what was done. Raises on failure."""
    if not letter.target:
        raise DeadLetterError(f"message {letter.message_id}: no target recorded; left in the queue")
    if ":states:" in letter.target:
        name = f"redrive-{letter.message_id}"[:80]
        try:
            sfn.start_execution(stateMachineArn=letter.target, name=name, input=letter.payload)
        except sfn.exceptions.ExecutionAlreadyExists:
            return f"execution {name} already started"
        return f"started {name}"
    result = lambdas.invoke(
        FunctionName=letter.target, InvocationType="RequestResponse", Payload=letter.payload.encode()
    )
    if result.get("FunctionError"):
        detail = result["Payload"].read().decode(errors="replace")[:300]
        raise DeadLetterError(f"message {letter.message_id}: {letter.target} failed again: {detail}")
    return f"delivered to {letter.target.rsplit(':', 1)[-1]}"


def remove(sqs: Any, letter: DeadLetter) -> None:
    sqs.delete_message(QueueUrl=queue_url(sqs, letter.queue), ReceiptHandle=letter.receipt)
