"""In-memory fakes of the ports other than the store: clock, publisher, stage source, timetables, messenger."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import TypeVar

from schemas import Event
from services.ports import (
    AreaHit,
    AreaNotFoundError,
    Button,
    ChatUnavailableError,
    PublishError,
    Quota,
    StageReading,
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
