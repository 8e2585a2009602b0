"""Amazon States Language for a topology workflow — a pure function of the declaration.

Shape: Prepare (the EventBridge event → `{request, results}`) → each step as an
`arn:aws:states:::lambda:invoke` task (Retry from the step's policy, full jitter; Catch → a Pass
naming the failed step → ReportFailure) → PublishCompleted (`events:putEvents` of the detail the
last step built). A redelivered request (the first step answers `duplicate`) ends quietly.
ReportFailure → PublishFailed (`events:putEvents`) → Fail. The local runner follows the same plan.
"""

from __future__ import annotations

from typing import Any

from schemas import Event
from services.topology import StepRetry, Workflow, WorkflowStep

LAMBDA_SERVICE_ERRORS = [
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
]


def retrier(retry: StepRetry) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "ErrorEquals": list(retry.errors),
        "IntervalSeconds": retry.interval_seconds,
        "BackoffRate": retry.backoff_rate,
        "MaxAttempts": retry.max_attempts,
        "MaxDelaySeconds": retry.max_delay_seconds,
    }
    if retry.jitter:
        rule["JitterStrategy"] = "FULL"
    return rule


def _invoke(step: WorkflowStep, function_arn: str, state: dict[str, str]) -> dict[str, Any]:
    return {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": function_arn, "Payload": {"action": step.action, "state": state}},
        "ResultSelector": {"Payload.$": "$.Payload"},
        "Retry": [retrier(step.retry)],
    }


def _publish(bus_name: str, event: type[Event], detail_path: str) -> dict[str, Any]:
    return {
        "Type": "Task",
        "Resource": "arn:aws:states:::events:putEvents",
        "Parameters": {
            "Entries": [
                {
                    "EventBusName": bus_name,
                    "Source": event.SOURCE,
                    "DetailType": event.DETAIL_TYPE,
                    "Detail.$": detail_path,
                }
            ]
        },
        "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "BackoffRate": 2.0, "MaxAttempts": 3}],
    }


def workflow_asl(workflow: Workflow, function_arns: dict[str, str], bus_name: str) -> dict[str, Any]:
    """The state machine definition; `function_arns` maps a service name to its Lambda ARN."""
    common = {"request.$": "$.request", "execution.$": "$$.Execution.Name", "results.$": "$.results"}
    first = workflow.steps[0].name
    states: dict[str, Any] = {
        "Prepare": {"Type": "Pass", "Parameters": {"request.$": "$.detail", "results": {}}, "Next": first},
    }
    for index, step in enumerate(workflow.steps):
        task = _invoke(step, function_arns[step.service], common)
        task["ResultPath"] = f"$.results.{step.name}"
        task["Catch"] = [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": f"{step.name}Failed"}]
        following = workflow.steps[index + 1].name if index + 1 < len(workflow.steps) else "PublishCompleted"
        if index == 0:
            task["Next"] = "CheckDuplicate"
            states["CheckDuplicate"] = {
                "Type": "Choice",
                "Choices": [
                    {
                        "Variable": f"$.results.{step.name}.Payload.duplicate",
                        "BooleanEquals": True,
                        "Next": "AlreadyHandled",
                    }
                ],
                "Default": following,
            }
            states["AlreadyHandled"] = {"Type": "Succeed", "Comment": "a redelivered request: another run has it"}
        else:
            task["Next"] = following
        states[step.name] = task
        states[f"{step.name}Failed"] = {
            "Type": "Pass",
            "Result": step.name,
            "ResultPath": "$.failed_step",
            "Next": workflow.on_failure.name,
        }
    last = workflow.steps[-1].name
    states["PublishCompleted"] = {
        **_publish(bus_name, workflow.completed, f"$.results.{last}.Payload.completed"),
        "End": True,
    }
    failure = _invoke(
        workflow.on_failure,
        function_arns[workflow.on_failure.service],
        {**common, "error.$": "$.error", "failed_step.$": "$.failed_step"},
    )
    failure["Retry"] = [
        {"ErrorEquals": LAMBDA_SERVICE_ERRORS, "IntervalSeconds": 1, "BackoffRate": 2.0, "MaxAttempts": 3}
    ]
    failure["ResultPath"] = "$.failure"
    failure["Next"] = "PublishFailed"
    states[workflow.on_failure.name] = failure
    states["PublishFailed"] = {**_publish(bus_name, workflow.failed, "$.failure.Payload.failed"), "Next": "Failed"}
    states["Failed"] = {"Type": "Fail", "Error": "RefreshFailed", "Cause": "a step failed after its retries"}
    return {"Comment": workflow.description, "StartAt": "Prepare", "States": states}
