"""IAM documents as plain functions of ARNs: least privilege, tested without Pulumi.

`*` resources appear only where AWS offers nothing narrower, each marked where it is built:
X-Ray trace upload, and the CloudWatch Logs "vended log delivery" actions Step Functions needs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
Doc = dict[str, Any]

DYNAMODB_BASE = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query")
ENQUEUERS = {"bot", "notifier", "reminder", "refresh"}  # call OutboxStore.enqueue → BatchWriteItem
SECRETS_READ: dict[str, tuple[str, ...]] = {
    "stage_watcher": ("eskomsepush",),
    "schedule_fetcher": ("eskomsepush",),
    "notifier": ("telegram",),
    "reminder": ("telegram",),
    "bot": ("telegram", "webhook", "eskomsepush"),
    "refresh": ("telegram", "eskomsepush"),
}
XRAY = ("xray:PutTraceSegments", "xray:PutTelemetryRecords")
# Step Functions tracing also reads the sampling rules (AWS Step Functions developer guide, X-Ray IAM policy).
XRAY_SAMPLING = ("xray:GetSamplingRules", "xray:GetSamplingTargets")
# The environment variable that carries each secret's SSM parameter *name* (never the value).
SECRET_ENV = {
    "telegram": "TELEGRAM_TOKEN_PARAM",
    "webhook": "WEBHOOK_SECRET_PARAM",
    "eskomsepush": "ESKOMSEPUSH_TOKEN_PARAM",
}
LOG_DELIVERY = (
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
)


def secret_environment(service: str, parameter_names: Mapping[str, T]) -> dict[str, T]:
    """The `*_PARAM` variables a service is handed: exactly the secrets its role may read (SECRETS_READ)."""
    return {SECRET_ENV[key]: parameter_names[key] for key in SECRETS_READ.get(service, ()) if key in parameter_names}


def statement(sid: str, actions: Sequence[str], resources: Sequence[str], **extra: Any) -> Doc:
    return {"Sid": sid, "Effect": "Allow", "Action": sorted(actions), "Resource": list(resources), **extra}


def document(*statements: Doc) -> Doc:
    return {"Version": "2012-10-17", "Statement": [s for s in statements if s["Resource"]]}


def assume_role(service: str) -> Doc:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
    }


def dynamodb_actions(service: str) -> list[str]:
    return sorted({*DYNAMODB_BASE, *(("dynamodb:BatchWriteItem",) if service in ENQUEUERS else ())})


def function_policy(
    service: str,
    *,
    table_arn: str,
    bus_arn: str,
    log_group_arn: str,
    failure_queue_arn: str,
    parameter_arns: dict[str, str],
) -> Doc:
    """The execution role policy of one service's function."""
    secrets = [parameter_arns[name] for name in SECRETS_READ.get(service, ()) if name in parameter_arns]
    return document(
        statement("State", dynamodb_actions(service), [table_arn, f"{table_arn}/index/*"]),
        statement("Publish", ["events:PutEvents"], [bus_arn]),
        statement("Logs", ["logs:CreateLogStream", "logs:PutLogEvents"], [f"{log_group_arn}:*"]),
        statement("Secrets", ["ssm:GetParameter"], secrets),
        statement("AsyncFailures", ["sqs:SendMessage"], [failure_queue_arn]),
        statement("Tracing", XRAY, ["*"]),  # X-Ray has no resource-level permissions
    )


def scheduler_policy(function_arns: Sequence[str], dead_letter_arn: str) -> Doc:
    return document(
        statement("Invoke", ["lambda:InvokeFunction"], list(function_arns)),
        statement("DeadLetter", ["sqs:SendMessage"], [dead_letter_arn]),
    )


def state_machine_policy(function_arns: Sequence[str], bus_arn: str) -> Doc:
    return document(
        statement("Steps", ["lambda:InvokeFunction"], [*function_arns, *(f"{a}:*" for a in function_arns)]),
        statement("Outcomes", ["events:PutEvents"], [bus_arn]),
        statement("Tracing", (*XRAY, *XRAY_SAMPLING), ["*"]),  # X-Ray has no resource-level permissions
        statement("ExecutionLogs", LOG_DELIVERY, ["*"]),  # vended log delivery supports only "*"
    )


def start_execution_policy(state_machine_arn: str) -> Doc:
    return document(statement("StartRefresh", ["states:StartExecution"], [state_machine_arn]))


def dead_letter_queue_policy(queue_arn: str, source_arns: Sequence[str], principal: str) -> Doc:
    """Lets EventBridge (rules) or Scheduler put undeliverable events into a queue, for these sources only."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DeadLetters",
                "Effect": "Allow",
                "Principal": {"Service": principal},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": list(source_arns)}},
            }
        ],
    }


def actions_of(doc: Doc) -> set[str]:
    found: set[str] = set()
    for s in doc.get("Statement", []):
        actions = s.get("Action", [])
        found.update([actions] if isinstance(actions, str) else actions)
    return found
