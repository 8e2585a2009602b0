"""Ports: the small interfaces domain logic depends on. Adapters implement them; fakes too.

Domain code imports these and `schemas`, never boto3, requests or sqlite3. The errors here are
part of the ports' contract: adapters raise them, logic catches them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal, Protocol

from schemas import Event, UpcomingStage
from schemas.events import Region

GoneReason = Literal["bot_blocked", "chat_not_found", "chat_deactivated", "no_rights"]


class UpstreamError(RuntimeError):
    """An upstream (Eskom, EskomSePush, Telegram) did not give a usable answer."""


class UpstreamUnavailableError(UpstreamError):
    """Transient: timeout, 5xx, junk instead of data, or an unknown stage. Safe to retry later."""


class QuotaExceededError(UpstreamError):
    """The upstream's quota is used up (HTTP 429/425). Retrying now only makes it worse."""


class UpstreamAuthError(UpstreamError):
    """The upstream rejected our credentials (HTTP 401/403). Needs a person, not a retry."""


class AreaNotFoundError(UpstreamError):
    """The upstream does not know this area id."""


class UpstreamRequestError(UpstreamError):
    """The upstream called our request bad (HTTP 400): asking again unchanged will not help today."""


class PublishError(RuntimeError):
    """Events could not be handed to the bus after bounded retries; they stay in the outbox."""


class SubscriptionLimitError(ValueError):
    """A chat already follows the maximum number of areas."""


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware."""
        ...


class Publisher(Protocol):
    def publish(self, events: Sequence[Event]) -> None:
        """Hand events to the bus; raises `PublishError` if any could not be delivered."""
        ...


@dataclass(frozen=True)
class RegionStage:
    region: Region
    stage: int
    next_stages: tuple[UpcomingStage, ...] = ()
    updated_at: datetime | None = None


@dataclass(frozen=True)
class StageReading:
    """What a stage source reported: always the national stage, Cape Town where known."""

    regions: tuple[RegionStage, ...]
    source: str


class StageSource(Protocol):
    name: str

    def current(self) -> StageReading:
        """Raises `UpstreamUnavailableError` when the stage cannot be known for sure."""
        ...


@dataclass(frozen=True)
class TimetableDay:
    day: date
    stages: tuple[tuple[str, ...], ...]
    """`stages[i]` holds the "HH:MM-HH:MM" slots of stage i+1 (some regions have only 4)."""


@dataclass(frozen=True)
class TimetableEvent:
    start: datetime
    end: datetime
    note: str


@dataclass(frozen=True)
class Timetable:
    """An area's timetable for all stages, as fetched (times are local SAST wall clock)."""

    area_id: str
    name: str
    region_name: str
    days: tuple[TimetableDay, ...]
    events: tuple[TimetableEvent, ...] = ()
    fetched_at: datetime | None = None
    stale: bool = False


@dataclass(frozen=True)
class AreaHit:
    area_id: str
    name: str
    region: str


@dataclass(frozen=True)
class Quota:
    limit: int
    used: int
    observed_at: datetime

    @property
    def remaining(self) -> int:
        return max(self.limit - self.used, 0)


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


@dataclass(frozen=True)
class StageRecord:
    region: Region
    stage: int
    changed_at: datetime
    next_stages: tuple[UpcomingStage, ...] = ()
    observed_from: str = "eskom"
    version: int = 0


@dataclass(frozen=True)
class OutboxItem:
    item_id: str
    event: Event


@dataclass(frozen=True)
class ChatSettings:
    remind_minutes: int | None = 30
    quiet_start: str | None = None
    quiet_end: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ScheduleRecord:
    """The last computed schedule of an area: its hash, slots (JSON) and how far it reaches."""

    content_hash: str
    slots_json: str
    covers_until: datetime


@dataclass(frozen=True)
class SubscriptionRecord:
    """A chat following an area, carrying the chat's delivery settings (kept in step by
    `save_settings`), so fan-outs read one index query instead of one item per recipient."""

    chat_id: int
    area_id: str
    area_name: str | None = None
    remind_minutes: int | None = 30
    quiet_start: str | None = None
    quiet_end: str | None = None

    @property
    def settings(self) -> ChatSettings:
        return ChatSettings(self.remind_minutes, self.quiet_start, self.quiet_end)


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
    def claim(self, key: str, now: datetime, ttl_seconds: int) -> bool:
        """True for the first caller for `key` until it expires (send-once, dedupe, rate limits)."""
        ...

    def release(self, key: str) -> None:
        """Drop a claim early (e.g. a send failed transiently and must be retried)."""
        ...

    def get_value(self, key: str, now: datetime | None = None) -> str | None: ...

    def put_value(self, key: str, value: str, ttl_seconds: int | None = None, now: datetime | None = None) -> None: ...


class Store(StageStore, OutboxStore, TimetableStore, SubscriptionStore, ChatStore, KeyValueStore, Protocol):
    """Everything the services keep. DynamoDB on AWS, SQLite embedded, in memory in tests."""


class ChatUnavailableError(UpstreamError):
    """The chat cannot receive messages (blocked, kicked, deactivated, not found, no right to
    write). Never retried: the chat's subscriptions end with this reason."""

    def __init__(self, chat_id: int, reason: GoneReason, message: str) -> None:
        super().__init__(message)
        self.chat_id = chat_id
        self.reason: GoneReason = reason


class ChatMigratedError(UpstreamError):
    """A group became a supergroup: the message must go to `new_chat_id`, and so must the chat's
    subscriptions."""

    def __init__(self, chat_id: int, new_chat_id: int, message: str = "") -> None:
        super().__init__(message or f"chat {chat_id} migrated to {new_chat_id}")
        self.chat_id = chat_id
        self.new_chat_id = new_chat_id


class RateLimitedError(UpstreamError):
    """The messenger asked us to slow down (HTTP 429); `retry_after` seconds apply to every send."""

    def __init__(self, retry_after: float, message: str = "") -> None:
        super().__init__(message or f"rate limited: retry after {retry_after}s")
        self.retry_after = retry_after


class MessengerUnavailableError(UpstreamUnavailableError):
    """The messenger failed transiently (5xx, timeout): retry with backoff, bounded."""


class MessageRejectedError(UpstreamError):
    """The messenger rejected this message as malformed (HTTP 400): a bug, not a retry."""


@dataclass(frozen=True)
class Button:
    text: str
    data: str = ""
    request_location: bool = False
    """A reply-keyboard button that shares the user's location (private chats only)."""


class Messenger(Protocol):
    def send_text(
        self, chat_id: int, text: str, *, buttons: Sequence[Sequence[Button]] = (), silent: bool = False
    ) -> int:
        """Send an HTML-formatted message; returns the message id."""
        ...

    def send_document(self, chat_id: int, filename: str, content: bytes, caption: str = "") -> int: ...

    def answer_callback(self, callback_id: str, text: str = "") -> None: ...
