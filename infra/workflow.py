"""`RefreshWorkflow`: the Step Functions state machine generated from the topology's declaration,
started by the EventBridge rule on `RefreshRequested` (choreography handing over to orchestration)."""

from __future__ import annotations

import json
from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from infra.asl import workflow_asl
from infra.functions import ServiceFunction
from infra.policies import assume_role, start_execution_policy, state_machine_policy
from services.topology import Workflow


class RefreshWorkflow(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        *,
        workflow: Workflow,
        functions: Mapping[str, ServiceFunction],
        bus: aws.cloudwatch.EventBus,
        dead_letters: aws.sqs.Queue,
        log_retention_days: int,
        tags: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("loadshed:workflow:RefreshWorkflow", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        services = sorted({s.service for s in (*workflow.steps, workflow.on_failure)})
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/aws/vendedlogs/states/{name}",
            retention_in_days=log_retention_days,
            tags=dict(tags),
            opts=child,
        )
        role = aws.iam.Role(
            f"{name}-role",
            assume_role_policy=json.dumps(assume_role("states.amazonaws.com")),
            tags=dict(tags),
            opts=child,
        )
        arns = [functions[s].function.arn for s in services]
        policy = aws.iam.RolePolicy(
            f"{name}-policy",
            role=role.id,
            opts=child,
            policy=pulumi.Output.all(bus.arn, *arns).apply(lambda a: json.dumps(state_machine_policy(a[1:], a[0]))),
        )
        self.definition = pulumi.Output.all(bus.name, *arns).apply(
            lambda a: json.dumps(workflow_asl(workflow, dict(zip(services, a[1:], strict=True)), a[0]))
        )
        self.state_machine = aws.sfn.StateMachine(
            f"{name}-machine",
            name=name,
            type="STANDARD",
            role_arn=role.arn,
            definition=self.definition,
            logging_configuration=aws.sfn.StateMachineLoggingConfigurationArgs(
                log_destination=self.log_group.arn.apply(lambda a: f"{a}:*"),
                include_execution_data=False,
                level="ERROR",
            ),  # no execution data: chat ids and tokens stay out of the logs
            tracing_configuration=aws.sfn.StateMachineTracingConfigurationArgs(enabled=True),
            tags=dict(tags),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )
        start = workflow.started_by
        self.rule = aws.cloudwatch.EventRule(
            f"{name}-start",
            name=f"{name}-start",
            event_bus_name=bus.name,
            event_pattern=json.dumps(start.pattern),
            tags=dict(tags),
            opts=child,
        )
        events_role = aws.iam.Role(
            f"{name}-start-role", assume_role_policy=json.dumps(assume_role("events.amazonaws.com")), opts=child
        )
        aws.iam.RolePolicy(
            f"{name}-start-policy",
            role=events_role.id,
            opts=child,
            policy=self.state_machine.arn.apply(lambda a: json.dumps(start_execution_policy(a))),
        )
        self.dead_letters = dead_letters
        aws.cloudwatch.EventTarget(
            f"{name}-start-target",
            rule=self.rule.name,
            event_bus_name=bus.name,
            arn=self.state_machine.arn,
            role_arn=events_role.arn,
            dead_letter_config=aws.cloudwatch.EventTargetDeadLetterConfigArgs(arn=self.dead_letters.arn),
            retry_policy=aws.cloudwatch.EventTargetRetryPolicyArgs(
                maximum_retry_attempts=start.retry.maximum_retry_attempts,
                maximum_event_age_in_seconds=start.retry.maximum_event_age_seconds,
            ),
            opts=child,
        )
        self.register_outputs({"state_machine_arn": self.state_machine.arn})


class Webhook(pulumi.ComponentResource):
    """The bot's Function URL. AuthType NONE is unavoidable (Telegram cannot sign requests): the
    secret token header is the control, checked before the body is read. A public URL needs two
    resource-policy statements, created here rather than left to the provider: since October 2025
    Lambda also requires `lambda:InvokeFunction` limited to invocations through the URL."""

    def __init__(self, name: str, *, function: ServiceFunction, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("loadshed:bot:Webhook", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.url = aws.lambda_.FunctionUrl(
            f"{name}-url", function_name=function.function.name, authorization_type="NONE", opts=child
        )
        self.invoke_url = aws.lambda_.Permission(
            f"{name}-invoke-url",
            action="lambda:InvokeFunctionUrl",
            function=function.function.name,
            principal="*",
            function_url_auth_type="NONE",
            opts=child,
        )
        self.invoke = aws.lambda_.Permission(
            f"{name}-invoke-via-url",
            action="lambda:InvokeFunction",
            function=function.function.name,
            principal="*",
            invoked_via_function_url=True,
            opts=child,
        )
        self.register_outputs({"url": self.url.function_url})


class Alarms(pulumi.ComponentResource):
    """Any dead-letter message, any failed refresh, any Lambda error → an SNS topic (optional e-mail)."""

    def __init__(
        self,
        name: str,
        *,
        queues: Mapping[str, aws.sqs.Queue],
        functions: Mapping[str, ServiceFunction],
        state_machine: aws.sfn.StateMachine,
        email: str | None,
        tags: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("loadshed:ops:Alarms", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        # No SSE: CloudWatch alarms cannot publish to a topic under the AWS-managed key alias/aws/sns, and
        # a customer-managed key costs $1/month; alarm messages carry metric names, never user data.
        self.topic = aws.sns.Topic(f"{name}-topic", tags=dict(tags), opts=child)
        if email:
            aws.sns.TopicSubscription(
                f"{name}-email", topic=self.topic.arn, protocol="email", endpoint=email, opts=child
            )
        self.alarms: list[aws.cloudwatch.MetricAlarm] = []

        def alarm(
            key: str, namespace: str, metric: str, dimensions: Mapping[str, pulumi.Input[str]], statistic: str = "Sum"
        ) -> None:
            self.alarms.append(
                aws.cloudwatch.MetricAlarm(
                    f"{name}-{key}",
                    namespace=namespace,
                    metric_name=metric,
                    dimensions=dict(dimensions),
                    statistic=statistic,
                    period=300,
                    evaluation_periods=1,
                    threshold=0,
                    comparison_operator="GreaterThanThreshold",
                    treat_missing_data="notBreaching",
                    alarm_actions=[self.topic.arn],
                    ok_actions=[self.topic.arn],
                    tags=dict(tags),
                    opts=child,
                )
            )

        for key, queue in queues.items():
            alarm(f"dlq-{key}", "AWS/SQS", "ApproximateNumberOfMessagesVisible", {"QueueName": queue.name}, "Maximum")
        for key, fn in functions.items():
            alarm(f"errors-{key}", "AWS/Lambda", "Errors", {"FunctionName": fn.function.name})
        alarm("refresh-failed", "AWS/States", "ExecutionsFailed", {"StateMachineArn": state_machine.arn})
        self.register_outputs({"topic_arn": self.topic.arn})
