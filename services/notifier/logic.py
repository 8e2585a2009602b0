"""Notifier: one message per chat per fact, for stage changes and schedule changes.

A stage change tells each affected chat the new stage and, per area it follows, the next slots
(computed from the stored timetable), in one message. A `ScheduleUpdated` caused by that stage
change (`trigger="stage_changed"`) is therefore not told again, so a stage change never yields
more than one message per chat per area.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from schemas import Event, FanOutPaused, OutageSlot, ScheduleUpdated, StageChanged, event_class, parse_detail
from schemas.events import Region
from services import messages
from services.domain.areas import areas_affected
from services.domain.slots import compute_slots
from services.notifier.fanout import FanOutPlan, FanOutResult, FanOutRuntime, FanOutStore, fan_out
from services.ports import ChatSettings, Clock, Messenger, OutboxStore, Publisher, StageStore, TimetableStore
from services.relay import relay


class NotifierStore(FanOutStore, TimetableStore, StageStore, OutboxStore, Protocol):
    """What the notifier needs of the store."""


@dataclass
class NotifierDeps:
    store: NotifierStore
    messenger: Messenger
    publisher: Publisher
    clock: Clock
    time_left: Callable[[], float] | None = None
    checkpoint_every: int = 1
    workers: int = 1
    """Sends in flight at once (within the global rate): a slow answer never stalls the others."""
    retry_delay: float = 1.0
    """Seconds before a chat whose send failed (5xx, time-out) is tried again, times its tries."""


def stage_fact(event: StageChanged) -> str:
    return f"stage:{event.region}:{event.stage}:{event.changed_at.isoformat()}"


def schedule_fact(event: ScheduleUpdated) -> str:
    return f"schedule:{event.area_id}:{event.content_hash}"


def _areas_for(region: Region, deps: NotifierDeps) -> list[str]:
    named = [(a, tt.region_name if (tt := deps.store.get_timetable(a)) else "") for a in deps.store.subscribed_areas()]
    return areas_affected(region, named, capetown_known=deps.store.get_stage("capetown") is not None)


def _fan_out(plan: FanOutPlan, deps: NotifierDeps) -> FanOutResult:
    run = FanOutRuntime(
        deps.store,
        deps.messenger,
        deps.clock,
        deps.time_left,
        checkpoint_every=deps.checkpoint_every,
        workers=deps.workers,
        retry_delay=deps.retry_delay,
    )
    return fan_out(plan, run)


def _stage_is_current(event: StageChanged, deps: NotifierDeps) -> Callable[[], bool]:
    """False once the region's stage has changed again: the newest fact wins."""

    def current() -> bool:
        record = deps.store.get_stage(event.region)
        return record is None or record.changed_at <= event.changed_at

    return current


def _schedule_is_current(event: ScheduleUpdated, deps: NotifierDeps) -> Callable[[], bool]:
    def current() -> bool:
        record = deps.store.get_schedule(event.area_id)
        return record is None or record.content_hash == event.content_hash

    return current


def _finish(result: FanOutResult, deps: NotifierDeps) -> FanOutResult:
    relay(deps.store, deps.publisher, deps.clock)
    return result


def on_stage_changed(event: StageChanged, deps: NotifierDeps) -> FanOutResult:
    now = deps.clock.now()
    chats: dict[int, list[str]] = defaultdict(list)
    settings: dict[int, ChatSettings] = {}
    names: dict[str, str] = {}
    slots: dict[str, list[OutageSlot] | None] = {}
    day = timedelta(hours=24)
    for area in _areas_for(event.region, deps):
        tt = deps.store.get_timetable(area)
        slots[area] = (
            compute_slots(tt, event.stage, event.next_stages, now, day, since=event.changed_at) if tt else None
        )
        for sub in deps.store.area_subscriptions(area):
            chats[sub.chat_id].append(area)
            settings[sub.chat_id] = sub.settings
            names.setdefault(area, tt.name if tt else sub.area_name or area)

    def compose(chat: int) -> str:
        areas = [(names[a], slots[a]) for a in sorted(chats[chat])]
        return messages.stage_changed(event.region, event.stage, event.previous_stage, event.next_stages, areas, now)

    plan = FanOutPlan(
        "stage_changed",
        stage_fact(event),
        list(chats),
        compose,
        event,
        settings,
        current=_stage_is_current(event, deps),
        serial_key=f"stage:{event.region}",
    )
    return _finish(_fan_out(plan, deps), deps)


def on_schedule_updated(event: ScheduleUpdated, deps: NotifierDeps) -> FanOutResult:
    if event.trigger == "stage_changed":
        return FanOutResult()  # already in the stage message
    now = deps.clock.now()
    first = event.trigger == "subscribed"
    text = messages.schedule_updated(event.area_name, event.slots, event.stale, now, first=first)
    subs = deps.store.area_subscriptions(event.area_id)
    settings = {s.chat_id: s.settings for s in subs}
    plan = FanOutPlan(
        "schedule_updated",
        schedule_fact(event),
        list(settings),
        lambda _: text,
        event,
        settings,
        current=_schedule_is_current(event, deps),
        serial_key=f"schedule:{event.area_id}",
    )
    return _finish(_fan_out(plan, deps), deps)


def on_fan_out_paused(event: FanOutPaused, deps: NotifierDeps) -> FanOutResult:
    """Continue a paused fan-out: the same fact, resumed from its cursor."""
    origin: Event = parse_detail(event_class(event.origin_source, event.origin_detail_type), event.origin_detail)
    if isinstance(origin, StageChanged):
        return on_stage_changed(origin, deps)
    if isinstance(origin, ScheduleUpdated):
        return on_schedule_updated(origin, deps)
    return FanOutResult()
