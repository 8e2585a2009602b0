"""What a fan-out is given and gives back: the fact to tell (plan), how to tell it (runtime),
the result, and the store it needs."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from schemas import Event
from schemas.events import NotificationKind
from services.ports import (
    ChatSettings,
    ChatStore,
    Clock,
    KeyValueStore,
    Messenger,
    OutboxStore,
    SubscriptionStore,
)


class FanOutBusyError(RuntimeError):
    """Another run holds this fact's (or region's) lease; the delivery is retried later."""


class FanOutStore(SubscriptionStore, ChatStore, KeyValueStore, OutboxStore, Protocol):
    """What a fan-out needs of the store."""


@dataclass
class FanOutResult:
    sent: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    skipped_done: bool = False
    paused: bool = False
    superseded: bool = False
    retried: int = 0


@dataclass
class FanOutPlan:
    """One fact to tell: what, to whom, and how to know it is still the newest."""

    kind: NotificationKind
    fact_key: str
    recipients: Sequence[int]
    compose: Callable[[int], str]
    cause: Event | None
    settings: Mapping[int, ChatSettings] | None = None
    current: Callable[[], bool] | None = None
    serial_key: str | None = None


@dataclass
class FanOutRuntime:
    """How to tell it: the adapters and the run's limits."""

    store: FanOutStore
    messenger: Messenger
    clock: Clock
    time_left: Callable[[], float] | None = None
    reserve_seconds: float = 20.0
    checkpoint_every: int = 1
    workers: int = 1
    retry_delay: float = 1.0
