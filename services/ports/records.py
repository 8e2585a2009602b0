"""The records that cross the ports: plain frozen dataclasses, no behaviour beyond a property."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from schemas import Event, UpcomingStage
from schemas.events import Region

GoneReason = Literal["bot_blocked", "chat_not_found", "chat_deactivated", "no_rights"]


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

    @classmethod
    def following(cls, chat_id: int, area_id: str, area_name: str | None, settings: ChatSettings) -> SubscriptionRecord:
        """A new subscription carrying the chat's delivery settings (the one place they are copied)."""
        return cls(chat_id, area_id, area_name, settings.remind_minutes, settings.quiet_start, settings.quiet_end)


@dataclass(frozen=True)
class Button:
    text: str
    data: str = ""
    request_location: bool = False
    """A reply-keyboard button that shares the user's location (private chats only)."""
