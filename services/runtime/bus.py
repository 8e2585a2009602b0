"""The in-process bus: routes by evaluating the topology's EventBridge patterns (never a second
table), persists one delivery per target, and dispatches to the same handler entrypoints that run
on Lambda, with each subscription's retry policy."""

from __future__ import annotations

import importlib
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from schemas import Event, EventValidationError, to_eventbridge
from services.logcontext import correlation
from services.patterns import compile_pattern, flatten
from services.ports import Clock
from services.runtime.deliveries import DeliveryQueue
from services.topology import TOPOLOGY, Subscription, Topology

log = logging.getLogger("loadshed.bus")
Target = Callable[..., Any]


@dataclass(frozen=True)
class Routed:
    event: Event
    targets: tuple[str, ...]


class LocalBus:
    """A Publisher. `routes` of the topology are evaluated against the delivered form of each event."""

    def __init__(
        self,
        queue: DeliveryQueue,
        clock: Clock,
        topology: Topology = TOPOLOGY,
        on_routed: Callable[[Routed], None] | None = None,
    ) -> None:
        self.queue, self.clock = queue, clock
        self.subscriptions: tuple[Subscription, ...] = (
            *topology.subscriptions,
            *(w.started_by for w in topology.workflows),
        )
        self._compiled = [(s, compile_pattern(s.pattern)) for s in self.subscriptions]
        self.on_routed = on_routed
        self.routed = 0

    def route(self, delivered: dict[str, Any]) -> list[Subscription]:
        flat = flatten(delivered)
        return [s for s, c in self._compiled if c.matches_flat(flat)]

    def publish(self, events: Sequence[Event]) -> None:
        rows: list[tuple[str, str, str]] = []
        for event in events:
            delivered = to_eventbridge(event)
            targets = self.route(delivered)
            body = json.dumps(delivered)
            rows += [(s.name, s.service, body) for s in targets]
            self.routed += 1
            if self.on_routed:
                self.on_routed(Routed(event, tuple(s.service for s in targets)))
        if rows:
            self.queue.add(rows, self.clock.now())


def handler_for(service: str) -> Target:
    """The Lambda entrypoint of a service (`services.<name>.handler.handle`)."""
    module = importlib.import_module(f"services.{service}.handler")
    handle: Target = module.handle
    return handle


class Dispatcher:
    """Runs due deliveries: success deletes, failure backs off, too many failures dead-letters."""

    def __init__(self, bus: LocalBus, targets: dict[str, Target], context: Any = None) -> None:
        self.bus, self.targets, self.context = bus, targets, context
        self.policies = {s.name: s.retry for s in bus.subscriptions}
        self.delivered = 0

    def pump(self, limit: int = 50) -> int:
        work = 0
        for item in self.bus.queue.claim_due(self.bus.clock.now(), limit):
            work += 1
            body = json.loads(item.body)
            with correlation(str(body.get("detail", {}).get("correlation_id", ""))):
                try:
                    self.targets[item.service](body)
                except EventValidationError as exc:  # retrying cannot help
                    self.bus.queue.failed(item.id, self.bus.clock.now(), 0, 0, f"{type(exc).__name__}: {exc}")
                    log.error("dead-lettered %s for %s: %s", body.get("detail-type"), item.target, exc)
                except Exception as exc:
                    policy = self.policies.get(item.target)
                    attempts = policy.maximum_retry_attempts if policy else 3
                    delay = min(2.0**item.attempts, 60.0)
                    dead = self.bus.queue.failed(
                        item.id, self.bus.clock.now(), delay, attempts, f"{type(exc).__name__}: {exc}"
                    )
                    log.warning(
                        "%s → %s failed (%s: %s); %s",
                        body.get("detail-type"),
                        item.target,
                        type(exc).__name__,
                        exc,
                        "dead-lettered" if dead else f"retry in {delay:.0f}s",
                    )
                else:
                    self.bus.queue.done(item.id)
                    self.delivered += 1
        return work
