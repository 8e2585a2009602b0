"""Reminder: shortly before a chat's power goes off, tell it — once per (chat, area, slot start).

Slots come from the stored timetable and the stage in force now (no upstream calls), so a slot
that vanished because the stage dropped is never reminded. Cheap per round: stages read once,
timetables kept an hour per container, subscribers (with their settings) read only for areas with
an outage in the next four hours. Chats are grouped by lead time; each
(area, slot, lead) is one fact sent through the send-once fan-out (one store write per message;
later rounds only read its `done` cursor). Nothing is sent during a chat's quiet hours; a chat
with reminders off gets none.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from schemas import OutageSlot
from schemas.events import Region
from services import messages
from services.chats import in_quiet_hours
from services.domain.areas import region_of_area, stage_for
from services.domain.slots import compute_slots
from services.notifier.fanout import FanOutPlan, FanOutRuntime, FanOutStore, fan_out
from services.ports import (
    Clock,
    Messenger,
    Publisher,
    StageRecord,
    StageStore,
    SubscriptionRecord,
    Timetable,
    TimetableStore,
)
from services.relay import relay

log = logging.getLogger("loadshed.reminder")
MAX_LEAD = timedelta(hours=4)
TIMETABLE_TTL = timedelta(hours=1)


class ReminderStore(FanOutStore, TimetableStore, StageStore, Protocol):
    """What the reminder needs of the store."""


@dataclass
class ReminderDeps:
    store: ReminderStore
    messenger: Messenger
    publisher: Publisher
    clock: Clock
    checkpoint_every: int = 1
    cache: dict[str, tuple[datetime, Timetable | None]] = field(default_factory=dict)


@dataclass
class ReminderReport:
    sent: list[tuple[int, str, str]] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def _timetable(deps: ReminderDeps, area: str) -> Timetable | None:
    """Timetables change about once a day; a container keeps them for `TIMETABLE_TTL`."""
    now = deps.clock.now()
    key = f"{id(deps.store)}:{area}"  # one cache may outlive a store (tests, several runtimes)
    cached = deps.cache.get(key)
    if cached is not None and now - cached[0] < TIMETABLE_TTL:
        return cached[1]
    tt = deps.store.get_timetable(area)
    deps.cache[key] = (now, tt)
    return tt


def _composer(area_name: str, slot: OutageSlot, now: datetime) -> Callable[[int], str]:
    text = messages.reminder(area_name, slot, now)
    return lambda _chat: text


def _due(slot: OutageSlot, subs: list[SubscriptionRecord], now: datetime) -> dict[int, list[int]]:
    """Chats to remind of `slot` now, by their lead time (none in quiet hours)."""
    by_lead: dict[int, list[int]] = defaultdict(list)
    for sub in subs:
        lead = sub.remind_minutes
        if lead is not None and slot.start - timedelta(minutes=lead) <= now and not in_quiet_hours(sub.settings, now):
            by_lead[lead].append(sub.chat_id)
    return by_lead


def _upcoming(
    deps: ReminderDeps, area: str, stages: dict[Region, StageRecord | None], now: datetime
) -> tuple[str, list[OutageSlot]]:
    tt = _timetable(deps, area)
    stage = stage_for(region_of_area(area, tt.region_name), stages) if tt else None
    if tt is None or stage is None:
        return area, []
    slots = compute_slots(tt, stage.stage, stage.next_stages, now, MAX_LEAD, since=stage.changed_at)
    return tt.name, [s for s in slots if s.start > now]


def _remind_area(deps: ReminderDeps, area: str, name: str, slots: list[OutageSlot], report: ReminderReport) -> None:
    now = deps.clock.now()
    subs = deps.store.area_subscriptions(area)  # settings come with the subscriptions
    settings = {s.chat_id: s.settings for s in subs}
    run = FanOutRuntime(deps.store, deps.messenger, deps.clock, checkpoint_every=deps.checkpoint_every)
    for slot in slots:
        for lead, chats in sorted(_due(slot, subs, now).items()):
            fact = f"remind:{area}:{slot.start.isoformat()}:{lead}"
            plan = FanOutPlan("reminder", fact, chats, _composer(name, slot, now), None, settings)
            result = fan_out(plan, run)
            report.sent += [(c, area, slot.start.isoformat()) for c in result.sent]
            report.failed += result.failed


def remind(deps: ReminderDeps) -> ReminderReport:
    """One reminder round (run every few minutes by the schedule)."""
    now, store = deps.clock.now(), deps.store
    report = ReminderReport()
    regions: tuple[Region, ...] = ("national", "capetown")
    stages = {region: store.get_stage(region) for region in regions}  # once per round
    try:
        for area in store.subscribed_areas():
            name, upcoming = _upcoming(deps, area, stages, now)
            if upcoming:
                _remind_area(deps, area, name, upcoming, report)
    finally:
        relay(store, deps.publisher, deps.clock)
    return report
