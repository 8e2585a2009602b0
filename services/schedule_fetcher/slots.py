"""From an area's all-stages timetable to its upcoming outage slots. Pure functions, no I/O.

Rules: times are SAST wall clock; `22:00-00:30` ends the next day; overlapping or adjacent slots
merge; stage n reads `stages[n-1]`, and a region with fewer arrays (often 4) uses its highest for
higher stages; stage 0 gives no slots; the stage in force at a slot's start decides whether it
happens (announced `next_stages` are honoured); `events` from the source replace the timetable on
the days they cover, when they were computed for the stage now in force.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from schemas import OutageSlot, UpcomingStage
from schemas.events import Region
from services.ports import Timetable

SAST = ZoneInfo("Africa/Johannesburg")
HORIZON = timedelta(days=7)
_NOTE_STAGE = re.compile(r"stage\s*(\d)", re.IGNORECASE)


def region_of_area(area_id: str) -> Region:
    """City of Cape Town's own customers follow Cape Town's stage; everyone else Eskom's."""
    return "capetown" if area_id.startswith("capetown-") else "national"


def parse_slot(day: date, text: str) -> tuple[datetime, datetime]:
    """`"HH:MM-HH:MM"` on `day` in SAST; an end at or before the start is on the next day."""
    start_text, end_text = (part.strip() for part in text.split("-", 1))
    start = _at(day, start_text)
    end = _at(day, end_text)
    if end <= start:
        end += timedelta(days=1)
    return start, end


def _at(day: date, hhmm: str) -> datetime:
    hours, minutes = (int(x) for x in hhmm.split(":"))
    extra = timedelta(days=1) if hours == 24 else timedelta()
    return datetime.combine(day, time(hours % 24, minutes), SAST) + extra


def stage_timeline(current: int, next_stages: Sequence[UpcomingStage]) -> list[tuple[datetime | None, int]]:
    """[(from, stage)] with `None` meaning "until the first announced change"."""
    announced = sorted(((n.starts_at, n.stage) for n in next_stages), key=lambda x: x[0])
    return [(None, current), *announced]


def stage_at(timeline: list[tuple[datetime | None, int]], moment: datetime) -> int:
    stage = timeline[0][1]
    for starts, value in timeline[1:]:
        if starts is not None and starts <= moment:
            stage = value
    return stage


def _array(stages: tuple[tuple[str, ...], ...], stage: int) -> tuple[str, ...]:
    if stage <= 0 or not stages:
        return ()
    return stages[min(stage, len(stages)) - 1]


def _merge(slots: list[tuple[datetime, datetime, int]]) -> list[tuple[datetime, datetime, int]]:
    merged: list[tuple[datetime, datetime, int]] = []
    for start, end, stage in sorted(slots):
        if merged and start <= merged[-1][1]:
            prev = merged[-1]
            merged[-1] = (prev[0], max(prev[1], end), max(prev[2], stage))
        else:
            merged.append((start, end, stage))
    return merged


def compute_slots(
    tt: Timetable, stage: int, next_stages: Sequence[UpcomingStage], now: datetime, horizon: timedelta = HORIZON
) -> list[OutageSlot]:
    """The area's outage slots from `now` to `now + horizon`, merged and sorted."""
    timeline = stage_timeline(stage, next_stages)
    in_play = {s for _, s in timeline if s > 0}
    event_slots: list[tuple[datetime, datetime, int]] = []
    for ev in tt.events:
        m = _NOTE_STAGE.search(ev.note)
        in_force = stage_at(timeline, ev.start)
        noted = int(m.group(1)) if m else in_force
        if noted == in_force and in_force > 0:
            event_slots.append((ev.start.astimezone(SAST), ev.end.astimezone(SAST), noted))
    event_days = {s.date() for s, _, _ in event_slots}
    raw = list(event_slots)
    for day in tt.days:
        if day.day in event_days:
            continue
        for s in in_play:
            for text in _array(day.stages, s):
                start, end = parse_slot(day.day, text)
                if stage_at(timeline, start) == s:
                    raw.append((start, end, s))
    until = now + horizon
    return [OutageSlot(start=start, end=end, stage=s) for start, end, s in _merge(raw) if end > now and start < until]


def coverage_end(tt: Timetable, now: datetime, horizon: timedelta = HORIZON) -> datetime:
    """How far the timetable reaches: the end of its last day, capped at the horizon."""
    if not tt.days:
        return now
    last = datetime.combine(max(d.day for d in tt.days) + timedelta(days=1), time(0), SAST)
    return min(last, now + horizon)


def slots_json(slots: Sequence[OutageSlot]) -> str:
    return json.dumps([[s.start.isoformat(), s.end.isoformat(), s.stage] for s in slots])


def slots_from_json(text: str) -> list[OutageSlot]:
    return [OutageSlot(start=a, end=b, stage=c) for a, b, c in json.loads(text)]


def content_hash(slots: Sequence[OutageSlot]) -> str:
    canonical = json.dumps([[s.start.timestamp(), s.end.timestamp(), s.stage] for s in slots])
    return hashlib.sha256(canonical.encode()).hexdigest()


def same_in_window(old: Sequence[OutageSlot], new: Sequence[OutageSlot], start: datetime, end: datetime) -> bool:
    """True when both lists agree on every slot overlapping [start, end)."""

    def window(slots: Sequence[OutageSlot]) -> list[tuple[float, float, int]]:
        return [(s.start.timestamp(), s.end.timestamp(), s.stage) for s in slots if s.end > start and s.start < end]

    return window(old) == window(new)
