"""In-memory fakes of the ports, for logic tests. They pass the same contract suite as the real stores."""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import TypeVar

from schemas import Event
from schemas.events import Region
from services.ports import (
    AreaHit,
    AreaNotFoundError,
    Button,
    ChatSettings,
    ChatUnavailableError,
    OutboxItem,
    PublishError,
    Quota,
    ScheduleRecord,
    StageReading,
    StageRecord,
    SubscriptionLimitError,
    SubscriptionRecord,
    Timetable,
    UpstreamUnavailableError,
)

E = TypeVar("E", bound=Event)


class FixedClock:
    """A clock tests move by hand."""

    def __init__(self, now: datetime | None = None) -> None:
        self._now = now or datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)

    def now(self) -> datetime:
        return self._now

    def advance(self, **kwargs: float) -> datetime:
        self._now += timedelta(**kwargs)
        return self._now

    def set(self, now: datetime) -> None:
        self._now = now


@dataclass
class RecordingPublisher:
    """Keeps what was published; can be told to fail the next N calls."""

    events: list[Event] = field(default_factory=list)
    fail_next: int = 0

    def publish(self, events: Sequence[Event]) -> None:
        if self.fail_next > 0:
            self.fail_next -= 1
            raise PublishError("simulated bus failure")
        self.events.extend(events)

    def of_type(self, cls: type[E]) -> list[E]:
        return [e for e in self.events if isinstance(e, cls)]


class ScriptedStageSource:
    """Returns queued readings (or raises queued errors); repeats the last reading when the queue is empty."""

    name = "scripted"

    def __init__(self, *readings: StageReading | Exception, on_call: Callable[[], None] | None = None) -> None:
        self._queue: list[StageReading | Exception] = list(readings)
        self._last: StageReading | Exception = UpstreamUnavailableError("no reading scripted")
        self.calls = 0
        self._on_call = on_call

    def push(self, *readings: StageReading | Exception) -> None:
        self._queue.extend(readings)

    def current(self) -> StageReading:
        self.calls += 1
        if self._on_call:
            self._on_call()
        if self._queue:
            self._last = self._queue.pop(0)
        if isinstance(self._last, Exception):
            raise self._last
        return self._last


class InMemoryStore:
    """The Store port in dicts, with the same atomicity (one lock) as the real adapters."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._stages: dict[str, StageRecord] = {}
        self._outbox: dict[str, tuple[Event, datetime | None]] = {}
        self._seq = 0
        self._timetables: dict[str, Timetable] = {}
        self._schedules: dict[str, ScheduleRecord] = {}
        self._subs: dict[tuple[int, str], SubscriptionRecord] = {}
        self._settings: dict[int, ChatSettings] = {}
        self._claims: dict[str, datetime] = {}
        self._values: dict[str, tuple[str, datetime | None]] = {}

    def _enqueue(self, events: Sequence[Event]) -> None:
        for event in events:
            self._seq += 1
            self._outbox[f"{self._seq:012d}-{event.event_id}"] = (event, None)

    def get_stage(self, region: Region) -> StageRecord | None:
        return self._stages.get(region)

    def save_stage(self, record: StageRecord, expected_version: int | None, outbox: Sequence[Event]) -> bool:
        with self._lock:
            current = self._stages.get(record.region)
            if (current.version if current else None) != expected_version:
                return False
            self._stages[record.region] = replace(record, version=(expected_version or 0) + 1)
            self._enqueue(outbox)
            return True

    def claim_outbox(self, now: datetime, limit: int = 50, lease_seconds: int = 60) -> list[OutboxItem]:
        with self._lock:
            items = []
            for item_id in sorted(self._outbox):
                event, lease = self._outbox[item_id]
                if lease is None or lease <= now:
                    self._outbox[item_id] = (event, now + timedelta(seconds=lease_seconds))
                    items.append(OutboxItem(item_id, event))
                if len(items) >= limit:
                    break
            return items

    def mark_published(self, item_ids: Sequence[str]) -> None:
        with self._lock:
            for item_id in item_ids:
                self._outbox.pop(item_id, None)

    def outbox_depth(self) -> int:
        return len(self._outbox)

    def enqueue(self, events: Sequence[Event]) -> None:
        with self._lock:
            self._enqueue(events)

    def get_timetable(self, area_id: str) -> Timetable | None:
        return self._timetables.get(area_id)

    def save_timetable(self, timetable: Timetable) -> None:
        self._timetables[timetable.area_id] = timetable

    def get_schedule(self, area_id: str) -> ScheduleRecord | None:
        return self._schedules.get(area_id)

    def record_schedule(
        self, area_id: str, record: ScheduleRecord, expected_hash: str | None, outbox: Sequence[Event]
    ) -> bool:
        with self._lock:
            current = self._schedules.get(area_id)
            if (current.content_hash if current else None) != expected_hash:
                return False
            self._schedules[area_id] = record
            self._enqueue(outbox)
            return True

    def add_subscription(self, sub: SubscriptionRecord, outbox: Sequence[Event], limit: int = 10) -> bool:
        with self._lock:
            if (sub.chat_id, sub.area_id) in self._subs:
                return False
            if len(self.chat_subscriptions(sub.chat_id)) >= limit:
                raise SubscriptionLimitError(f"chat {sub.chat_id} already follows {limit} areas")
            self._subs[(sub.chat_id, sub.area_id)] = sub
            self._enqueue(outbox)
            return True

    def remove_subscription(self, chat_id: int, area_id: str, outbox: Sequence[Event]) -> bool:
        with self._lock:
            if self._subs.pop((chat_id, area_id), None) is None:
                return False
            self._enqueue(outbox)
            return True

    def chat_subscriptions(self, chat_id: int) -> list[SubscriptionRecord]:
        return sorted((s for (c, _), s in self._subs.items() if c == chat_id), key=lambda s: s.area_id)

    def area_subscribers(self, area_id: str) -> list[int]:
        return sorted(c for (c, a) in self._subs if a == area_id)

    def subscribed_areas(self) -> list[str]:
        return sorted({a for (_, a) in self._subs})

    def area_subscriptions(self, area_id: str) -> list[SubscriptionRecord]:
        return sorted((s for (_, a), s in self._subs.items() if a == area_id), key=lambda s: s.chat_id)

    def get_settings(self, chat_id: int) -> ChatSettings:
        return copy.deepcopy(self._settings.get(chat_id, ChatSettings()))

    def save_settings(self, chat_id: int, settings: ChatSettings) -> None:
        with self._lock:
            self._settings[chat_id] = copy.deepcopy(settings)
            for key, sub in list(self._subs.items()):
                if key[0] == chat_id:
                    self._subs[key] = replace(
                        sub,
                        remind_minutes=settings.remind_minutes,
                        quiet_start=settings.quiet_start,
                        quiet_end=settings.quiet_end,
                    )

    def claim(self, key: str, now: datetime, ttl_seconds: int) -> bool:
        with self._lock:
            expires = self._claims.get(key)
            if expires is not None and expires > now:
                return False
            self._claims[key] = now + timedelta(seconds=ttl_seconds)
            return True

    def release(self, key: str) -> None:
        with self._lock:
            self._claims.pop(key, None)

    def get_value(self, key: str, now: datetime | None = None) -> str | None:
        found = self._values.get(key)
        if found is None:
            return None
        value, expires = found
        if expires is not None and expires <= (now or datetime.now(timezone.utc)):
            return None
        return value

    def put_value(self, key: str, value: str, ttl_seconds: int | None = None, now: datetime | None = None) -> None:
        expires = (now or datetime.now(timezone.utc)) + timedelta(seconds=ttl_seconds) if ttl_seconds else None
        self._values[key] = (value, expires)


class FakeTimetableSource:
    """Timetables by area id; counts calls, can raise queued errors, reports a quota."""

    def __init__(self, timetables: dict[str, Timetable] | None = None, limit: int = 50) -> None:
        self.timetables = dict(timetables or {})
        self.calls: list[str] = []
        self.searches: list[str] = []
        self.errors: list[Exception] = []
        self.limit = limit
        self.clock: FixedClock | None = None

    def area(self, area_id: str) -> Timetable:
        self.calls.append(area_id)
        if self.errors:
            raise self.errors.pop(0)
        if area_id not in self.timetables:
            raise AreaNotFoundError(area_id)
        fetched = self.clock.now() if self.clock else datetime.now(timezone.utc)
        return replace(self.timetables[area_id], fetched_at=fetched, stale=False)

    def search(self, text: str) -> list[AreaHit]:
        self.searches.append(text)
        if self.errors:
            raise self.errors.pop(0)
        return [AreaHit(a, t.name, t.region_name) for a, t in self.timetables.items() if text.lower() in t.name.lower()]

    def nearby(self, latitude: float, longitude: float) -> list[AreaHit]:
        """Every known area, nearest first (the fake has no map): one counted call."""
        self.searches.append(f"@{latitude:.3f},{longitude:.3f}")
        if self.errors:
            raise self.errors.pop(0)
        return [AreaHit(a, t.name, t.region_name) for a, t in self.timetables.items()]

    def quota(self) -> Quota | None:
        used = len(self.calls) + len(self.searches)
        return Quota(self.limit, used, datetime.now(timezone.utc)) if used else None


@dataclass
class Sent:
    chat_id: int
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    silent: bool = False
    document: tuple[str, bytes] | None = None


class RecordingMessenger:
    """Keeps what was sent; chats in `blocked` raise ChatUnavailableError; `fail_next` raises transient errors."""

    def __init__(self) -> None:
        self.sent: list[Sent] = []
        self.callbacks: list[tuple[str, str]] = []
        self.blocked: set[int] = set()
        self.fail_next: list[Exception] = []
        self.on_send: Callable[[int], None] | None = None

    def _check(self, chat_id: int) -> None:
        if self.on_send:
            self.on_send(chat_id)
        if self.fail_next:
            raise self.fail_next.pop(0)
        if chat_id in self.blocked:
            raise ChatUnavailableError(chat_id, "bot_blocked", "Forbidden: bot was blocked by the user")

    def send_text(
        self, chat_id: int, text: str, *, buttons: Sequence[Sequence[Button]] = (), silent: bool = False
    ) -> int:
        self._check(chat_id)
        self.sent.append(Sent(chat_id, text, tuple(tuple(r) for r in buttons), silent))
        return len(self.sent)

    def send_document(self, chat_id: int, filename: str, content: bytes, caption: str = "") -> int:
        self._check(chat_id)
        self.sent.append(Sent(chat_id, caption, document=(filename, content)))
        return len(self.sent)

    def answer_callback(self, callback_id: str, text: str = "") -> None:
        self.callbacks.append((callback_id, text))

    def to(self, chat_id: int) -> list[Sent]:
        return [s for s in self.sent if s.chat_id == chat_id]
