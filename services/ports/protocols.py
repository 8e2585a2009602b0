"""The ports: the small interfaces decision code depends on. Adapters implement them; fakes too."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from schemas import Event
from schemas.events import Region
from services.ports.records import (
    AreaHit,
    Button,
    ChatSettings,
    OutboxItem,
    Quota,
    ScheduleRecord,
    StageReading,
    StageRecord,
    SubscriptionRecord,
    Timetable,
)


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware."""
        ...


class Publisher(Protocol):
    def publish(self, events: Sequence[Event]) -> None:
        """Hand events to the bus; raises `PublishError` if any could not be delivered."""
        ...


class StageSource(Protocol):
    name: str

    def current(self) -> StageReading:
        """Raises `UpstreamUnavailableError` when the stage cannot be known for sure."""
        ...


class TimetableSource(Protocol):
    def area(self, area_id: str) -> Timetable:
        """The timetable of one area. Costs one upstream call."""
        ...

    def search(self, text: str) -> list[AreaHit]:
        """Areas matching free text. Costs one upstream call."""
        ...

    def nearby(self, latitude: float, longitude: float) -> list[AreaHit]:
        """Areas near a point, most used first. Costs one upstream call."""
        ...

    def quota(self) -> Quota | None:
        """The last quota the upstream reported, if any."""
        ...


class StageStore(Protocol):
    def get_stage(self, region: Region) -> StageRecord | None: ...

    def save_stage(self, record: StageRecord, expected_version: int | None, outbox: Sequence[Event]) -> bool:
        """Write `record` (version = expected + 1) and `outbox` atomically, only if the stored
        version is `expected_version` (None: no record yet). False when someone else won."""
        ...


class OutboxStore(Protocol):
    def claim_outbox(self, now: datetime, limit: int = 50, lease_seconds: int = 60) -> list[OutboxItem]:
        """Lease pending events for publishing; a crashed publisher's lease runs out."""
        ...

    def mark_published(self, item_ids: Sequence[str]) -> None: ...

    def enqueue(self, events: Sequence[Event]) -> None:
        """Add events to the outbox on their own (no state change to pair them with)."""
        ...

    def outbox_depth(self) -> int: ...


class TimetableStore(Protocol):
    def get_timetable(self, area_id: str) -> Timetable | None: ...

    def save_timetable(self, timetable: Timetable) -> None: ...

    def get_schedule(self, area_id: str) -> ScheduleRecord | None: ...

    def record_schedule(
        self, area_id: str, record: ScheduleRecord, expected_hash: str | None, outbox: Sequence[Event]
    ) -> bool:
        """Store `record` with `outbox` only if the stored hash is still `expected_hash` (None: no
        record yet). False when another writer got there first."""
        ...


class SubscriptionStore(Protocol):
    def add_subscription(self, sub: SubscriptionRecord, outbox: Sequence[Event], limit: int = 10) -> bool:
        """False if already subscribed; `SubscriptionLimitError` at the limit."""
        ...

    def remove_subscription(self, chat_id: int, area_id: str, outbox: Sequence[Event]) -> bool: ...

    def chat_subscriptions(self, chat_id: int) -> list[SubscriptionRecord]: ...

    def area_subscribers(self, area_id: str) -> list[int]:
        """Chats following `area_id` (an index lookup, never a scan), ascending."""
        ...

    def area_subscriptions(self, area_id: str) -> list[SubscriptionRecord]:
        """The subscriptions of an area with each chat's delivery settings (one index query)."""
        ...

    def subscribed_areas(self) -> list[str]:
        """Areas with at least one subscriber."""
        ...


class ChatStore(Protocol):
    def get_settings(self, chat_id: int) -> ChatSettings: ...

    def save_settings(self, chat_id: int, settings: ChatSettings) -> None:
        """Store the chat's settings and copy them onto its subscriptions, atomically."""
        ...


class KeyValueStore(Protocol):
    def claim(self, key: str, now: datetime, ttl_seconds: int, holder: str = "") -> bool:
        """True for the first caller for `key` until it expires (send-once, dedupe, rate limits,
        leases); `holder` names who holds it, for `renew`."""
        ...

    def release(self, key: str) -> None:
        """Drop a claim early (e.g. a send failed transiently and must be retried)."""
        ...

    def renew(self, key: str, now: datetime, ttl_seconds: int, holder: str) -> bool:
        """Extend `holder`'s claim if it has not expired; False when it has, or when another holder
        took it over meanwhile — the former holder must stop."""
        ...

    def get_value(self, key: str, *, now: datetime) -> str | None:
        """The value, or None when absent or expired at `now` (an explicit clock: never the wall's)."""
        ...

    def put_value(self, key: str, value: str, ttl_seconds: int | None = None, *, now: datetime) -> None:
        """Store `value`, expiring `ttl_seconds` after `now` (None: never)."""
        ...


class Store(StageStore, OutboxStore, TimetableStore, SubscriptionStore, ChatStore, KeyValueStore, Protocol):
    """Everything the services keep. DynamoDB on AWS, SQLite embedded, in memory in tests."""


class Messenger(Protocol):
    def send_text(
        self, chat_id: int, text: str, *, buttons: Sequence[Sequence[Button]] = (), silent: bool = False
    ) -> int:
        """Send an HTML-formatted message; returns the message id."""
        ...

    def send_document(self, chat_id: int, filename: str, content: bytes, caption: str = "") -> int: ...

    def answer_callback(self, callback_id: str, text: str = "") -> None: ...
