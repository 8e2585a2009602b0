"""The one topology: who publishes what, who subscribes with which pattern, schedules, workflow.

Plain data. Pulumi builds rules, targets, schedules and the state machine from it; the embedded
runtime routes and schedules by it; the CLI draws it. Routing and retry policy live nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from schemas import (
    Event,
    FanOutPaused,
    NotificationFailed,
    NotificationSent,
    RefreshCompleted,
    RefreshFailed,
    RefreshRequested,
    ScheduleUpdated,
    StageChanged,
    SubscriptionChanged,
)

TIMEZONE = "Africa/Johannesburg"


@dataclass(frozen=True)
class DeliveryRetry:
    """EventBridge target / Scheduler retry policy: give up after N tries or once too old."""

    maximum_retry_attempts: int = 8
    maximum_event_age_seconds: int = 3600


@dataclass(frozen=True)
class Service:
    """A microservice: one Lambda on AWS, one handler in the embedded runtime."""

    name: str
    description: str
    publishes: tuple[type[Event], ...]
    timeout_seconds: int = 60
    memory_mb: int = 256
    reserved_concurrency: int | None = None  # only from stack config (loadshed:reservedConcurrency)
    webhook: bool = False

    @property
    def module(self) -> str:
        return f"services.{self.name}"

    @property
    def handler(self) -> str:
        return f"{self.module}.handler.handle"


@dataclass(frozen=True)
class Subscription:
    """A service consuming events that match a pattern (an EventBridge rule + target)."""

    name: str
    service: str
    events: tuple[type[Event], ...]
    detail: dict[str, Any] | None = None
    ignore_replays: bool = False
    retry: DeliveryRetry = field(default_factory=DeliveryRetry)

    @property
    def pattern(self) -> dict[str, Any]:
        """The EventBridge event pattern of this subscription."""
        return event_pattern(self.events, self.detail, self.ignore_replays)


@dataclass(frozen=True)
class Schedule:
    """A timer that invokes a service with a fixed input (EventBridge Scheduler on AWS)."""

    name: str
    service: str
    expression: str
    input: dict[str, Any]
    description: str
    timezone: str = TIMEZONE
    override_env: str | None = None
    retry: DeliveryRetry = field(default_factory=lambda: DeliveryRetry(2, 300))


@dataclass(frozen=True)
class StepRetry:
    """Step Functions Retry: interval × backoff^n, capped, with full jitter."""

    errors: tuple[str, ...]
    interval_seconds: int = 2
    backoff_rate: float = 2.0
    max_attempts: int = 3
    max_delay_seconds: int = 30
    jitter: bool = True


TRANSIENT_ERRORS = (
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
    "UpstreamUnavailableError",
    "MessengerUnavailableError",
    "RateLimitedError",
)


@dataclass(frozen=True)
class WorkflowStep:
    """One task of the workflow; `action` names a function in `services.<service>.steps`."""

    name: str
    service: str
    action: str
    retry: StepRetry = field(default_factory=lambda: StepRetry(TRANSIENT_ERRORS))


@dataclass(frozen=True)
class Workflow:
    """An ordered, retried process (Step Functions on AWS, the local runner when embedded)."""

    name: str
    description: str
    started_by: Subscription
    steps: tuple[WorkflowStep, ...]
    on_failure: WorkflowStep
    completed: type[Event]
    failed: type[Event]


@dataclass(frozen=True)
class Topology:
    services: tuple[Service, ...]
    subscriptions: tuple[Subscription, ...]
    schedules: tuple[Schedule, ...]
    workflows: tuple[Workflow, ...]

    def service(self, name: str) -> Service:
        for svc in self.services:
            if svc.name == name:
                return svc
        raise KeyError(name)

    def producers(self, event: type[Event]) -> list[str]:
        names = [s.name for s in self.services if event in s.publishes]
        names += [f"workflow:{w.name}" for w in self.workflows if event in (w.completed, w.failed)]
        return names

    def consumers(self, event: type[Event]) -> list[str]:
        names = [s.service for s in self.subscriptions if event in s.events]
        names += [f"workflow:{w.name}" for w in self.workflows if event in w.started_by.events]
        return names


def event_pattern(
    events: tuple[type[Event], ...], detail: dict[str, Any] | None = None, ignore_replays: bool = False
) -> dict[str, Any]:
    """The pattern matching exactly these event classes (plus optional detail filters)."""
    pattern: dict[str, Any] = {
        "source": sorted({e.SOURCE for e in events}),
        "detail-type": sorted({e.DETAIL_TYPE for e in events}),
    }
    if detail:
        pattern["detail"] = detail
    if ignore_replays:
        pattern["replay-name"] = [{"exists": False}]
    return pattern


SERVICES = (
    Service("stage_watcher", "Polls the stage and publishes real changes.", (StageChanged,)),
    Service("schedule_fetcher", "Keeps subscribed areas' timetables; publishes slot changes.", (ScheduleUpdated,)),
    Service(
        "notifier",
        "Tells subscribers about stage and schedule changes, once each.",
        (NotificationSent, NotificationFailed, SubscriptionChanged, FanOutPaused),
        timeout_seconds=900,
    ),
    Service(
        "reminder",
        "Warns chats shortly before their power goes off.",
        (NotificationSent, NotificationFailed, SubscriptionChanged),
        timeout_seconds=300,
    ),
    Service(
        "bot",
        "Answers Telegram commands (webhook on AWS, long polling when embedded).",
        (SubscriptionChanged, RefreshRequested),
        timeout_seconds=30,
        webhook=True,
    ),
    Service(
        "refresh",
        "Steps of the ordered refresh workflow.",
        (StageChanged, ScheduleUpdated, NotificationSent, NotificationFailed),
        timeout_seconds=120,
    ),
)

SUBSCRIPTIONS = (
    Subscription("fetch-on-stage-change", "schedule_fetcher", (StageChanged,)),
    Subscription("fetch-on-subscribe", "schedule_fetcher", (SubscriptionChanged,), detail={"action": ["added"]}),
    Subscription("notify-on-change", "notifier", (StageChanged, ScheduleUpdated), ignore_replays=True),
    Subscription("notify-continue", "notifier", (FanOutPaused,), ignore_replays=True),
)

SCHEDULES = (
    Schedule(
        "poll-stage",
        "stage_watcher",
        "rate(5 minutes)",
        {"action": "poll"},
        "Poll the stage source.",
        override_env="LOADSHED_POLL_SECONDS",
    ),
    Schedule(
        "remind",
        "reminder",
        "rate(5 minutes)",
        {"action": "remind"},
        "Send reminders for slots about to start.",
        override_env="LOADSHED_REMIND_SECONDS",
    ),
    Schedule(
        "daily-timetables",
        "schedule_fetcher",
        "cron(0 4 * * ? *)",
        {"action": "daily"},
        "Re-fetch subscribed areas' timetables once a day (04:00 SAST).",
    ),
)

WORKFLOWS = (
    Workflow(
        name="refresh",
        description="Ordered refresh: stage, then schedules, then answer the chat.",
        started_by=Subscription("start-refresh", "workflow:refresh", (RefreshRequested,), ignore_replays=True),
        steps=(
            WorkflowStep("FetchStage", "refresh", "fetch_stage"),
            WorkflowStep("FetchSchedule", "refresh", "fetch_schedule"),
            WorkflowStep("Notify", "refresh", "notify"),
        ),
        on_failure=WorkflowStep("ReportFailure", "refresh", "report_failure"),
        completed=RefreshCompleted,
        failed=RefreshFailed,
    ),
)

TOPOLOGY = Topology(SERVICES, SUBSCRIPTIONS, SCHEDULES, WORKFLOWS)
