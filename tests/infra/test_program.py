"""The whole Pulumi program under mocks: everything derived from the topology, least privilege,
dead-letter queues and retry policies everywhere, encryption and retention, outputs."""

from __future__ import annotations

import json

import pytest

from infra.asl import workflow_asl
from infra.policies import SECRETS_READ, actions_of, dynamodb_actions
from services.topology import TOPOLOGY
from tests.infra.harness import RecordingMocks, run_program

EXPECTED_ACTIONS = {
    "events:PutEvents",
    "logs:CreateLogStream",
    "logs:PutLogEvents",
    "sqs:SendMessage",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "ssm:GetParameter",
}


@pytest.fixture(scope="module")
def program() -> RecordingMocks:
    return run_program({"loadshed:alarmEmail": "ops@example.org", "loadshed:adminChats": "[1, 2]"})


def by_type(program, typ):
    return program.of_type(typ)


def test_every_subscription_has_rule_target_with_dlq_and_retry_and_scoped_permission(program):
    rules = {
        r.inputs["name"].rsplit("-sub-", 1)[-1]: r
        for r in by_type(program, "aws:cloudwatch/eventRule:EventRule")
        if "-sub-" in r.inputs["name"]
    }
    targets = by_type(program, "aws:cloudwatch/eventTarget:EventTarget")
    permissions = by_type(program, "aws:lambda/permission:Permission")
    assert set(rules) == {s.name for s in TOPOLOGY.subscriptions}
    for sub in TOPOLOGY.subscriptions:
        rule = rules[sub.name]
        assert json.loads(rule.inputs["eventPattern"]) == sub.pattern
        [target] = [t for t in targets if t.inputs["rule"] == rule.inputs["name"]]
        assert target.inputs["deadLetterConfig"]["arn"].startswith("arn:")
        assert target.inputs["retryPolicy"] == {
            "maximumRetryAttempts": sub.retry.maximum_retry_attempts,
            "maximumEventAgeInSeconds": sub.retry.maximum_event_age_seconds,
        }
        assert sub.service.replace("_", "-") in target.inputs["arn"]
        [permission] = [p for p in permissions if p.name.endswith(f"-{sub.name}-invoke")]
        assert permission.inputs["principal"] == "events.amazonaws.com"
        assert permission.inputs["sourceArn"].endswith(rule.name)  # scoped to exactly this rule


def test_dead_letter_queue_admits_exactly_the_rules(program):
    [policy] = by_type(program, "aws:sqs/queuePolicy:QueuePolicy")
    doc = json.loads(policy.inputs["policy"])
    sources = doc["Statement"][0]["Condition"]["ArnEquals"]["aws:SourceArn"]
    rules = by_type(program, "aws:cloudwatch/eventRule:EventRule")
    assert len(sources) == len(rules) == len(TOPOLOGY.subscriptions) + len(TOPOLOGY.workflows)
    assert doc["Statement"][0]["Principal"] == {"Service": "events.amazonaws.com"}


def test_replayed_events_do_not_reach_side_effecting_rules(program):
    for rule in by_type(program, "aws:cloudwatch/eventRule:EventRule"):
        pattern = json.loads(rule.inputs["eventPattern"])
        if any(t in pattern["detail-type"] for t in ("StageChanged", "ScheduleUpdated", "RefreshRequested")) and (
            "notify" in rule.name or "refresh-start" in rule.name
        ):
            assert pattern["replay-name"] == [{"exists": False}]


def test_function_policies_are_least_privilege(program):
    policies = {p.name: json.loads(p.inputs["policy"]) for p in by_type(program, "aws:iam/rolePolicy:RolePolicy")}
    for service in TOPOLOGY.services:
        doc = policies[f"loadshed-dev-{service.name.replace('_', '-')}-policy"]
        actions = actions_of(doc)
        assert actions <= EXPECTED_ACTIONS | set(dynamodb_actions(service.name)), service.name
        assert not any("*" in a for a in actions), service.name
        for statement in doc["Statement"]:
            if statement["Resource"] == ["*"]:
                assert statement["Sid"] == "Tracing"  # X-Ray only: it has no resource-level permissions
        secrets: list[str] = next((s["Resource"] for s in doc["Statement"] if s["Sid"] == "Secrets"), [])
        assert len(secrets) == len(SECRETS_READ[service.name])
    for doc in policies.values():
        assert not any(a == "*" or a.endswith(":*") for a in actions_of(doc))


def test_functions_are_arm64_traced_and_keep_secrets_out_of_env(program):
    functions = by_type(program, "aws:lambda/function:Function")
    assert len(functions) == len(TOPOLOGY.services)
    for fn in functions:
        assert fn.inputs["architectures"] == ["arm64"] and fn.inputs["runtime"] in ("python3.12", "python3.13")
        assert fn.inputs["tracingConfig"] == {"mode": "Active"}
        env = fn.inputs["environment"]["variables"]
        assert not {v for v in env.values() if "TEST-TOKEN" in v or "test-webhook-secret" in v or "TEST-ESP" in v}
    reserved = {f.inputs["name"]: f.inputs.get("reservedConcurrentExecutions") for f in functions}
    # a new account's concurrency quota (10) leaves nothing to reserve: none by default
    assert set(reserved.values()) == {None}
    configs = by_type(program, "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig")
    assert len(configs) == len(functions)
    assert all(c.inputs["destinationConfig"]["onFailure"]["destination"].startswith("arn:") for c in configs)


def test_retention_and_encryption(program):
    for group in by_type(program, "aws:cloudwatch/logGroup:LogGroup"):
        assert group.inputs["retentionInDays"] == 14
    queues = by_type(program, "aws:sqs/queue:Queue")
    assert queues and all(q.inputs["sqsManagedSseEnabled"] is True for q in queues)
    [table] = by_type(program, "aws:dynamodb/table:Table")
    assert table.inputs["serverSideEncryption"] == {"enabled": True}
    assert table.inputs["pointInTimeRecovery"] == {"enabled": True}
    assert table.inputs["ttl"] == {"attributeName": "ttl", "enabled": True}
    assert table.inputs["billingMode"] == "PAY_PER_REQUEST"
    assert table.inputs["globalSecondaryIndexes"][0]["name"] == "gsi1"
    params = by_type(program, "aws:ssm/parameter:Parameter")
    assert {p.inputs["type"] for p in params} == {"SecureString"} and len(params) == 3


def test_schedules_use_scheduler_with_timezone_retry_and_dlq(program):
    schedules = {
        s.inputs["name"].rsplit("-sched-", 1)[-1]: s for s in by_type(program, "aws:scheduler/schedule:Schedule")
    }
    assert set(schedules) == {s.name for s in TOPOLOGY.schedules}
    for declared in TOPOLOGY.schedules:
        s = schedules[declared.name]
        assert s.inputs["scheduleExpression"] == declared.expression
        assert s.inputs["scheduleExpressionTimezone"] == "Africa/Johannesburg"
        assert json.loads(s.inputs["target"]["input"]) == declared.input
        assert s.inputs["target"]["retryPolicy"]["maximumRetryAttempts"] == declared.retry.maximum_retry_attempts
        assert s.inputs["target"]["deadLetterConfig"]["arn"].startswith("arn:")


def test_state_machine_is_the_generated_asl(program):
    [machine] = by_type(program, "aws:sfn/stateMachine:StateMachine")
    refresh_arn = next(
        f for f in by_type(program, "aws:lambda/function:Function") if f.inputs["name"].endswith("refresh")
    )
    expected = workflow_asl(
        TOPOLOGY.workflows[0],
        {"refresh": f"arn:aws:mock:af-south-1:123456789012:Function/{refresh_arn.name}"},
        "loadshed-dev",
    )
    assert json.loads(machine.inputs["definition"]) == expected
    assert machine.inputs["type"] == "STANDARD"
    assert machine.inputs["tracingConfiguration"] == {"enabled": True}
    assert machine.inputs["loggingConfiguration"]["includeExecutionData"] is False
    [start] = [r for r in by_type(program, "aws:cloudwatch/eventRule:EventRule") if r.name.endswith("refresh-start")]
    assert json.loads(start.inputs["eventPattern"]) == TOPOLOGY.workflows[0].started_by.pattern
    starter = json.loads(
        next(
            p for p in by_type(program, "aws:iam/rolePolicy:RolePolicy") if p.name.endswith("refresh-start-policy")
        ).inputs["policy"]
    )
    assert actions_of(starter) == {"states:StartExecution"}
    assert starter["Statement"][0]["Resource"] == [f"arn:aws:mock:af-south-1:123456789012:StateMachine/{machine.name}"]


def test_webhook_alarms_and_outputs(program):
    [url] = by_type(program, "aws:lambda/functionUrl:FunctionUrl")
    assert url.inputs["authorizationType"] == "NONE"
    alarms = by_type(program, "aws:cloudwatch/metricAlarm:MetricAlarm")
    dlq_alarms = [a for a in alarms if a.inputs["metricName"] == "ApproximateNumberOfMessagesVisible"]
    assert len(dlq_alarms) == len(by_type(program, "aws:sqs/queue:Queue")) == 2
    assert len(alarms) <= 10  # within CloudWatch's always-free alarms
    assert sum(a.inputs["metricName"] == "Errors" for a in alarms) == len(TOPOLOGY.services)
    assert any(a.inputs["metricName"] == "ExecutionsFailed" for a in alarms)
    [sub] = by_type(program, "aws:sns/topicSubscription:TopicSubscription")
    assert sub.inputs["endpoint"] == "ops@example.org"
    assert {"bus_name", "webhook_url", "state_machine_arn", "registry_name", "table_name"} <= set(program.exports)


def test_every_custom_resource_is_parented_by_a_component(program):
    components = {n for n in ("state", "secrets", "events", "schemas", "webhook", "alarms")}
    assert components <= {r.name for r in program.resources if r.type.startswith("loadshed:")}


def test_every_param_a_function_is_handed_is_readable_by_its_role(program):
    """The cold-start AccessDenied class: a `*_PARAM` in a function's environment whose parameter its
    role may not read. Checked for every function, with the optional ESP token configured."""
    arn_by_name = {
        p.inputs["name"]: f"arn:aws:mock:af-south-1:123456789012:Parameter/{p.name}"
        for p in by_type(program, "aws:ssm/parameter:Parameter")
    }
    policies = {p.name: json.loads(p.inputs["policy"]) for p in by_type(program, "aws:iam/rolePolicy:RolePolicy")}
    handed_any_esp = False
    for fn in by_type(program, "aws:lambda/function:Function"):
        env = fn.inputs["environment"]["variables"]
        doc = policies[f"{fn.inputs['name']}-policy"]
        readable = {r for st in doc["Statement"] if "ssm:GetParameter" in st["Action"] for r in st["Resource"]}
        params = {k: v for k, v in env.items() if k.endswith("_PARAM")}
        for key, name in params.items():
            assert arn_by_name[name] in readable, (fn.inputs["name"], key)
        service = fn.inputs["name"].removeprefix("loadshed-dev-").replace("-", "_")
        assert len(params) == len(SECRETS_READ[service]), fn.inputs["name"]
        handed_any_esp |= "ESKOMSEPUSH_TOKEN_PARAM" in params
    assert handed_any_esp  # the optional token is configured in this stack


def test_reserved_concurrency_only_from_stack_config():
    configured = run_program({"loadshed:reservedConcurrency": '{"bot": 5}'})
    reserved = {
        f.inputs["name"]: f.inputs.get("reservedConcurrentExecutions")
        for f in configured.of_type("aws:lambda/function:Function")
    }
    assert reserved.pop("loadshed-dev-bot") == 5
    assert set(reserved.values()) == {None}


def test_alarm_topic_can_receive_cloudwatch_alarms(program):
    [topic] = by_type(program, "aws:sns/topic:Topic")
    assert topic.inputs.get("kmsMasterKeyId") in (None, "")  # alias/aws/sns refuses CloudWatch


def test_function_url_has_both_public_permissions(program):
    permissions = by_type(program, "aws:lambda/permission:Permission")
    url = [p for p in permissions if p.inputs["action"] == "lambda:InvokeFunctionUrl"]
    via = [p for p in permissions if p.inputs.get("invokedViaFunctionUrl") is True]
    assert len(url) == 1 and url[0].inputs["functionUrlAuthType"] == "NONE" and url[0].inputs["principal"] == "*"
    assert len(via) == 1 and via[0].inputs["action"] == "lambda:InvokeFunction"
    assert url[0].inputs["function"] == via[0].inputs["function"] == "loadshed-dev-bot"


def test_state_machine_role_can_read_xray_sampling_rules(program):
    policy = next(
        json.loads(p.inputs["policy"])
        for p in by_type(program, "aws:iam/rolePolicy:RolePolicy")
        if "workflow" in p.name and "start" not in p.name
    )
    assert {"xray:GetSamplingRules", "xray:GetSamplingTargets"} <= actions_of(policy)
