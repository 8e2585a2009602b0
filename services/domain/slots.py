"""From an area's all-stages timetable to its upcoming outage slots. Pure functions, no I/O.

Rules: times are SAST wall clock; `22:00-00:30` ends the next day; overlapping or adjacent slots
merge; stage n reads `stages[n-1]`, and a region with fewer arrays (often 4) uses its highest for
higher stages; stage 0 gives no slots; the stage in force at a slot's start decides whether it
happens (announced `next_stages` are honoured) and a slot running when a stage begins counts from
that moment; `events` from the source override the timetable for their own time range only, and
an event whose note names no stage ("Load Reduction") is an outage of its own kind.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from schemas import OutageSlot, UpcomingStage
from services.ports import Timetable

SAST = ZoneInfo("Africa/Johannesburg")
HORIZON = timedelta(days=7)
_NOTE_STAGE = re.compile(r"stage\s*(\d)", re.IGNORECASE)


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


def stage_timeline(
    current: int, next_stages: Sequence[UpcomingStage], since: datetime | None = None
) -> list[tuple[datetime | None, int]]:
    """[(from, stage)]: the current stage from `since` (None: as far back as we look), then each
    announced change."""
    announced = sorted(((n.starts_at, n.stage) for n in next_stages), key=lambda x: x[0])
    return [(since, current), *announced]


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


Raw = tuple[datetime, datetime, int, str | None]


def _merge(slots: list[Raw]) -> list[Raw]:
    """Overlapping or adjacent slots of the same kind (stage slots, or one note) become one."""
    merged: list[Raw] = []
    for kind in sorted({note or "" for *_, note in slots}):
        run: list[Raw] = []
        for start, end, stage, note in sorted(s for s in slots if (s[3] or "") == kind):
            if run and start <= run[-1][1]:
                prev = run[-1]
                run[-1] = (prev[0], max(prev[1], end), max(prev[2], stage), note)
            else:
                run.append((start, end, stage, note))
        merged += run
    return sorted(merged, key=lambda s: (s[0], s[1]))


def _timetable_slots(tt: Timetable, timeline: list[tuple[datetime | None, int]]) -> list[Raw]:
    """Each stage period takes the slots of its own stage: a slot belongs to the stage in force
    when it starts, and one already running when a stage begins is listed from that moment."""
    raw: list[Raw] = []
    bounds = [*(t for t, _ in timeline[1:]), None]
    for (begins, stage), ends in zip(timeline, bounds, strict=True):
        for day in tt.days:
            for text in _array(day.stages, stage):
                start, end = parse_slot(day.day, text)
                if (ends is None or start < ends) and (begins is None or end > begins):
                    raw.append((start if begins is None else max(start, begins), end, stage, None))
    return raw


def _event_slots(tt: Timetable, timeline: list[tuple[datetime | None, int]]) -> list[Raw]:
    """ESP's `events` that apply: a staged event when its stage is the one in force at its start;
    a note without a stage (e.g. a municipality's "Load Reduction") always, as its own kind."""
    raw: list[Raw] = []
    for ev in tt.events:
        start, end = ev.start.astimezone(SAST), ev.end.astimezone(SAST)
        if end <= start:
            continue
        in_force = stage_at(timeline, start)
        m = _NOTE_STAGE.search(ev.note)
        if m is None:
            raw.append((start, end, in_force, ev.note.strip() or "Outage"))
        elif int(m.group(1)) == in_force and in_force > 0:
            raw.append((start, end, in_force, None))
    return raw


def compute_slots(
    tt: Timetable,
    stage: int,
    next_stages: Sequence[UpcomingStage],
    now: datetime,
    horizon: timedelta = HORIZON,
    since: datetime | None = None,
) -> list[OutageSlot]:
    """The area's outage slots from `now` to `now + horizon`, merged and sorted.

    `since` is when `stage` took effect. A staged ESP event overrides the timetable only for its
    own time range (timetable slots overlapping it give way); the rest of the day keeps its slots.
    """
    timeline = stage_timeline(stage, next_stages, since)
    events = _event_slots(tt, timeline)
    staged = [(s, e) for s, e, _, note in events if note is None]
    raw = [r for r in _timetable_slots(tt, timeline) if not any(r[0] < e and r[1] > s for s, e in staged)]
    until = now + horizon
    return [
        OutageSlot(start=start, end=end, stage=s, note=note)
        for start, end, s, note in _merge(raw + events)
        if end > now and start < until
    ]


def end_of_tomorrow(now: datetime) -> datetime:
    """Midnight SAST at the end of tomorrow: the window of "today and tomorrow"."""
    return datetime.combine(now.astimezone(SAST).date() + timedelta(days=2), time(0), SAST)


def coverage_end(tt: Timetable, now: datetime, horizon: timedelta = HORIZON) -> datetime:
    """How far the timetable reaches: the end of its last day, capped at the horizon."""
    if not tt.days:
        return now
    last = datetime.combine(max(d.day for d in tt.days) + timedelta(days=1), time(0), SAST)
    return min(last, now + horizon)


def _row(slot: OutageSlot, start: object, end: object) -> list[object]:
    return [start, end, slot.stage] + ([slot.note] if slot.note else [])


def slots_json(slots: Sequence[OutageSlot]) -> str:
    return json.dumps([_row(s, s.start.isoformat(), s.end.isoformat()) for s in slots])


def slots_from_json(text: str) -> list[OutageSlot]:
    return [OutageSlot(start=r[0], end=r[1], stage=r[2], note=r[3] if len(r) > 3 else None) for r in json.loads(text)]


def content_hash(slots: Sequence[OutageSlot]) -> str:
    canonical = json.dumps([_row(s, s.start.timestamp(), s.end.timestamp()) for s in slots])
    return hashlib.sha256(canonical.encode()).hexdigest()


def same_in_window(old: Sequence[OutageSlot], new: Sequence[OutageSlot], start: datetime, end: datetime) -> bool:
    """True when both lists agree on every slot overlapping [start, end)."""

    def window(slots: Sequence[OutageSlot]) -> list[tuple[float, float, int, str | None]]:
        return [
            (s.start.timestamp(), s.end.timestamp(), s.stage, s.note) for s in slots if s.end > start and s.start < end
        ]

    return window(old) == window(new)
