"""`ServiceFunction`: one Lambda per service with its own role, log group, DLQ and settings."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.policies import assume_role, function_policy
from services.topology import Service

RUNTIME = "python3.12"
ARCH = "arm64"


def encrypted_queue(name: str, parent: pulumi.Resource, tags: Mapping[str, str]) -> aws.sqs.Queue:
    """An SQS dead-letter queue: SSE on, messages kept 14 days."""
    return aws.sqs.Queue(
        name,
        sqs_managed_sse_enabled=True,
        message_retention_seconds=14 * 86400,
        tags=dict(tags),
        opts=pulumi.ResourceOptions(parent=parent),
    )


@dataclass(frozen=True)
class SharedWiring:
    """What every service function is wired to: the layer, table, bus, failure queue, secrets."""

    layer_arn: pulumi.Input[str]
    table_arn: pulumi.Input[str]
    bus_arn: pulumi.Input[str]
    failures: aws.sqs.Queue
    parameter_arns: Mapping[str, pulumi.Input[str]]
    log_retention_days: int
    tags: Mapping[str, str]


class ServiceFunction(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        *,
        service: Service,
        code: pulumi.Archive,
        environment: Mapping[str, pulumi.Input[str]],
        shared: SharedWiring,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("loadshed:service:ServiceFunction", name, None, opts)
        layer_arn, table_arn, bus_arn = shared.layer_arn, shared.table_arn, shared.bus_arn
        failures, parameter_arns = shared.failures, shared.parameter_arns
        log_retention_days, tags = shared.log_retention_days, shared.tags
        child = pulumi.ResourceOptions(parent=self)
        self.service = service
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/aws/lambda/{name}",
            retention_in_days=log_retention_days,
            tags=dict(tags),
            opts=child,
        )
        self.failures = failures
        self.role = aws.iam.Role(
            f"{name}-role",
            assume_role_policy=json.dumps(assume_role("lambda.amazonaws.com")),
            tags=dict(tags),
            opts=child,
        )
        names = sorted(parameter_arns)
        policy = pulumi.Output.all(
            table_arn, bus_arn, self.log_group.arn, self.failures.arn, *[parameter_arns[n] for n in names]
        ).apply(
            lambda a: json.dumps(
                function_policy(
                    service.name,
                    table_arn=a[0],
                    bus_arn=a[1],
                    log_group_arn=a[2],
                    failure_queue_arn=a[3],
                    parameter_arns=dict(zip(names, a[4:], strict=True)),
                )
            )
        )
        self.policy = aws.iam.RolePolicy(f"{name}-policy", role=self.role.id, policy=policy, opts=child)
        self.function = aws.lambda_.Function(
            f"{name}-function",
            name=name,
            runtime=RUNTIME,
            architectures=[ARCH],
            handler=service.handler,
            role=self.role.arn,
            code=code,
            layers=[layer_arn],
            memory_size=service.memory_mb,
            timeout=service.timeout_seconds,
            reserved_concurrent_executions=service.reserved_concurrency,
            environment=aws.lambda_.FunctionEnvironmentArgs(variables=dict(environment)),
            tracing_config=aws.lambda_.FunctionTracingConfigArgs(mode="Active"),
            logging_config=aws.lambda_.FunctionLoggingConfigArgs(log_format="JSON", log_group=self.log_group.name),
            tags=dict(tags),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.policy, self.log_group]),
        )
        self.async_config = aws.lambda_.FunctionEventInvokeConfig(
            f"{name}-async",
            function_name=self.function.name,
            maximum_retry_attempts=2,
            maximum_event_age_in_seconds=3600,
            destination_config=aws.lambda_.FunctionEventInvokeConfigDestinationConfigArgs(
                on_failure=aws.lambda_.FunctionEventInvokeConfigDestinationConfigOnFailureArgs(
                    destination=self.failures.arn
                )
            ),
            opts=child,
        )
        self.register_outputs({"function_arn": self.function.arn})
