"""The bus and everything the topology routes: rules → targets, and Scheduler schedules.

Every rule, pattern, retry policy and schedule comes from `services/topology.py`; nothing is
restated here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from infra.functions import ServiceFunction, encrypted_queue
from infra.policies import assume_role, dead_letter_queue_policy, scheduler_policy
from services.topology import Schedule, Subscription


class EventBus(pulumi.ComponentResource):
    """The custom bus and an archive of every event (for replays; side-effecting rules ignore replays)."""

    def __init__(
        self,
        name: str,
        *,
        bus_name: str,
        archive_days: int,
        tags: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("loadshed:routing:EventBus", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.bus = aws.cloudwatch.EventBus(f"{name}-bus", name=bus_name, tags=dict(tags), opts=child)
        self.archive = aws.cloudwatch.EventArchive(
            f"{name}-archive",
            event_source_arn=self.bus.arn,
            retention_days=archive_days,
            description="every loadshed event, for replays",
            opts=child,
        )
        self.register_outputs({"bus_name": self.bus.name})


class DeadLetters(pulumi.ComponentResource):
    """Two encrypted dead-letter queues: `deliveries` (every rule target and schedule) and
    `async_failures` (every function's failed asynchronous invocations). Fewer queues, same
    coverage: each message says where it came from, and two alarms watch them."""

    def __init__(self, name: str, *, tags: Mapping[str, str], opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("loadshed:routing:DeadLetters", name, None, opts)
        self.deliveries = encrypted_queue(f"{name}-deliveries", self, tags)
        self.async_failures = encrypted_queue(f"{name}-async-failures", self, tags)
        self.register_outputs({})

    def allow_rules(self, rule_arns: list[pulumi.Output[str]]) -> aws.sqs.QueuePolicy:
        """Let exactly these EventBridge rules put undeliverable events into `deliveries`."""
        return aws.sqs.QueuePolicy(
            "dead-letters-rules",
            queue_url=self.deliveries.id,
            opts=pulumi.ResourceOptions(parent=self),
            policy=pulumi.Output.all(self.deliveries.arn, *rule_arns).apply(
                lambda a: json.dumps(dead_letter_queue_policy(a[0], a[1:], "events.amazonaws.com"))
            ),
        )


class Subscriptions(pulumi.ComponentResource):
    """Per topology subscription: a rule with its pattern, a target with a DLQ and an explicit
    RetryPolicy, and a Lambda permission scoped to that rule."""

    def __init__(
        self,
        name: str,
        *,
        subscriptions: tuple[Subscription, ...],
        bus: aws.cloudwatch.EventBus,
        functions: Mapping[str, ServiceFunction],
        dead_letters: aws.sqs.Queue,
        tags: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("loadshed:routing:Subscriptions", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.rules: dict[str, aws.cloudwatch.EventRule] = {}
        self.dead_letters: dict[str, aws.sqs.Queue] = {}
        for sub in subscriptions:
            function = functions[sub.service].function
            rule = aws.cloudwatch.EventRule(
                f"{name}-{sub.name}",
                name=f"{name}-{sub.name}",
                event_bus_name=bus.name,
                event_pattern=json.dumps(sub.pattern),
                tags=dict(tags),
                opts=child,
            )
            aws.cloudwatch.EventTarget(
                f"{name}-{sub.name}-target",
                rule=rule.name,
                event_bus_name=bus.name,
                arn=function.arn,
                dead_letter_config=aws.cloudwatch.EventTargetDeadLetterConfigArgs(arn=dead_letters.arn),
                retry_policy=aws.cloudwatch.EventTargetRetryPolicyArgs(
                    maximum_retry_attempts=sub.retry.maximum_retry_attempts,
                    maximum_event_age_in_seconds=sub.retry.maximum_event_age_seconds,
                ),
                opts=child,
            )
            aws.lambda_.Permission(
                f"{name}-{sub.name}-invoke",
                action="lambda:InvokeFunction",
                function=function.name,
                principal="events.amazonaws.com",
                source_arn=rule.arn,
                opts=child,
            )
            self.rules[sub.name] = rule
        self.register_outputs({})


class Schedules(pulumi.ComponentResource):
    """EventBridge Scheduler schedules (timezone Africa/Johannesburg), with retry policy and a DLQ."""

    def __init__(
        self,
        name: str,
        *,
        schedules: tuple[Schedule, ...],
        functions: Mapping[str, ServiceFunction],
        dead_letters: aws.sqs.Queue,
        tags: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("loadshed:routing:Schedules", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.dead_letters = dead_letters
        targets = sorted({s.service for s in schedules})
        role = aws.iam.Role(
            f"{name}-role",
            assume_role_policy=json.dumps(assume_role("scheduler.amazonaws.com")),
            tags=dict(tags),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-policy",
            role=role.id,
            opts=child,
            policy=pulumi.Output.all(self.dead_letters.arn, *[functions[t].function.arn for t in targets]).apply(
                lambda a: json.dumps(scheduler_policy(a[1:], a[0]))
            ),
        )
        self.schedules = {
            s.name: aws.scheduler.Schedule(
                f"{name}-{s.name}",
                name=f"{name}-{s.name}",
                description=s.description,
                schedule_expression=s.expression,
                schedule_expression_timezone=s.timezone,
                flexible_time_window=aws.scheduler.ScheduleFlexibleTimeWindowArgs(mode="OFF"),
                target=aws.scheduler.ScheduleTargetArgs(
                    arn=functions[s.service].function.arn,
                    role_arn=role.arn,
                    input=json.dumps(s.input),
                    retry_policy=aws.scheduler.ScheduleTargetRetryPolicyArgs(
                        maximum_retry_attempts=s.retry.maximum_retry_attempts,
                        maximum_event_age_in_seconds=s.retry.maximum_event_age_seconds,
                    ),
                    dead_letter_config=aws.scheduler.ScheduleTargetDeadLetterConfigArgs(arn=self.dead_letters.arn),
                ),
                opts=child,
            )
            for s in schedules
        }
        self.register_outputs({})
