"""In-memory fakes of the ports, for logic tests. They pass the same contract suite as the real stores."""

from __future__ import annotations

import copy
import threading
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from schemas import Event
from schemas.events import Region
from services.adapters.fakes import (
    FakeTimetableSource,
    FixedClock,
    RecordingMessenger,
    RecordingPublisher,
    ScriptedStageSource,
    Sent,
)
from services.adapters.store_rules import expired, expires_at, within_limit
from services.ports import (
    ChatSettings,
    OutboxItem,
    ScheduleRecord,
    StageRecord,
    SubscriptionRecord,
    Timetable,
)

__all__ = [
    "FakeTimetableSource",
    "FixedClock",
    "InMemoryStore",
    "RecordingMessenger",
    "RecordingPublisher",
    "ScriptedStageSource",
    "Sent",
]


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
        self._claims: dict[str, tuple[datetime, str]] = {}
        self._values: dict[str, tuple[str, float | None]] = {}

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
            within_limit(sub.chat_id, len(self.chat_subscriptions(sub.chat_id)), limit)
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

    def claim(self, key: str, now: datetime, ttl_seconds: int, holder: str = "") -> bool:
        with self._lock:
            found = self._claims.get(key)
            if found is not None and found[0] > now:
                return False
            self._claims[key] = (now + timedelta(seconds=ttl_seconds), holder)
            return True

    def release(self, key: str) -> None:
        with self._lock:
            self._claims.pop(key, None)

    def renew(self, key: str, now: datetime, ttl_seconds: int, holder: str) -> bool:
        with self._lock:
            found = self._claims.get(key)
            if found is None or found[0] <= now or found[1] != holder:
                return False
            self._claims[key] = (now + timedelta(seconds=ttl_seconds), holder)
            return True

    def get_value(self, key: str, *, now: datetime) -> str | None:
        found = self._values.get(key)
        if found is None or expired(found[1], now):
            return None
        return found[0]

    def put_value(self, key: str, value: str, ttl_seconds: int | None = None, *, now: datetime) -> None:
        self._values[key] = (value, expires_at(now, ttl_seconds))
