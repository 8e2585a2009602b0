"""Validation of the topology: names resolve, events exist, patterns are valid and live."""

from __future__ import annotations

from collections import Counter

from schemas import ALL_EVENTS, Event, to_eventbridge
from schemas.examples import example
from services.patterns import PatternError, matches, validate_pattern
from services.schedule_expr import ScheduleExpressionError, validate
from services.topology import DeliveryRetry, StepRetry, Subscription, Topology


class TopologyError(ValueError):
    """The topology is inconsistent; the message lists every problem found."""


def _check_retry(retry: DeliveryRetry, where: str) -> list[str]:
    problems = []
    if not 0 <= retry.maximum_retry_attempts <= 185:
        problems.append(f"{where}: maximum_retry_attempts must be 0–185")
    if not 60 <= retry.maximum_event_age_seconds <= 86400:
        problems.append(f"{where}: maximum_event_age_seconds must be 60–86400")
    return problems


def _check_step_retry(retry: StepRetry, where: str) -> list[str]:
    problems = []
    if retry.interval_seconds < 1 or retry.backoff_rate < 1 or not 0 <= retry.max_attempts <= 99:
        problems.append(f"{where}: retry needs interval ≥ 1 s, backoff ≥ 1, 0–99 attempts")
    if not retry.errors:
        problems.append(f"{where}: retry names no errors")
    return problems


def _check_subscription(sub: Subscription, consumer_names: set[str]) -> list[str]:
    where = f"subscription {sub.name}"
    problems = _check_retry(sub.retry, where)
    if sub.service not in consumer_names:
        problems.append(f"{where}: unknown service {sub.service!r}")
    for event in sub.events:
        if event not in ALL_EVENTS:
            problems.append(f"{where}: {event.__name__} is not a registered event")
    try:
        validate_pattern(sub.pattern)
    except PatternError as exc:
        problems.append(f"{where}: {exc}")
        return problems
    if not any(matches(sub.pattern, to_eventbridge(example(e))) for e in sub.events if e in ALL_EVENTS):
        problems.append(f"{where}: pattern matches none of its events' examples")
    return problems


def _duplicates(topology: Topology) -> list[str]:
    subscriptions = [s.name for s in topology.subscriptions] + [w.started_by.name for w in topology.workflows]
    found: list[str] = []
    for kind, items in (
        ("service", [s.name for s in topology.services]),
        ("subscription", subscriptions),
        ("schedule", [s.name for s in topology.schedules]),
    ):
        found += [f"duplicate {kind} name {n!r}" for n, c in Counter(items).items() if c > 1]
    return found


def _routes(topology: Topology, service_names: set[str]) -> list[str]:
    found = [
        f"service {svc.name}: publishes unregistered {event.__name__}"
        for svc in topology.services
        for event in svc.publishes
        if event not in ALL_EVENTS
    ]
    published: set[type[Event]] = {e for svc in topology.services for e in svc.publishes}
    for sub in topology.subscriptions:
        found += _check_subscription(sub, service_names)
        found += [f"subscription {sub.name}: nobody publishes {e.__name__}" for e in sub.events if e not in published]
    return found


def _workflows(topology: Topology, service_names: set[str]) -> list[str]:
    found: list[str] = []
    workflow_names = {f"workflow:{w.name}" for w in topology.workflows}
    for wf in topology.workflows:
        found += _check_subscription(wf.started_by, workflow_names)
        for step in (*wf.steps, wf.on_failure):
            if step.service not in service_names:
                found.append(f"workflow {wf.name} step {step.name}: unknown service {step.service!r}")
            found += _check_step_retry(step.retry, f"workflow {wf.name} step {step.name}")
        found += [
            f"workflow {wf.name}: {e.__name__} is not a registered event"
            for e in (wf.completed, wf.failed)
            if e not in ALL_EVENTS
        ]
    return found


def _schedules(topology: Topology, service_names: set[str]) -> list[str]:
    found: list[str] = []
    for sched in topology.schedules:
        if sched.service not in service_names:
            found.append(f"schedule {sched.name}: unknown service {sched.service!r}")
        try:
            validate(sched.expression, sched.timezone)
        except ScheduleExpressionError as exc:
            found.append(f"schedule {sched.name}: {exc}")
        found += _check_retry(sched.retry, f"schedule {sched.name}")
    return found


def problems(topology: Topology) -> list[str]:
    """Every inconsistency in `topology` (empty when it is valid)."""
    service_names = {s.name for s in topology.services}
    return [
        *_duplicates(topology),
        *_routes(topology, service_names),
        *_workflows(topology, service_names),
        *_schedules(topology, service_names),
    ]


def check(topology: Topology) -> None:
    """Raise `TopologyError` listing every problem, or return quietly."""
    found = problems(topology)
    if found:
        raise TopologyError("invalid topology:\n  " + "\n  ".join(found))
