"""Schedule fetcher: keep subscribed areas' timetables; announce `ScheduleUpdated` on real changes.

A stage change needs no upstream call (the timetable holds every stage). An area is fetched when
first subscribed and then at most once a day; areas nobody follows are never fetched. When the
ESP quota runs low, non-essential (daily) fetches are skipped; a failed fetch keeps the last good
timetable and marks it stale.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Literal, Protocol

from schemas import Event, OutageSlot, ScheduleUpdated, StageChanged, SubscriptionChanged
from schemas.events import Region
from services.domain.areas import areas_affected, is_stale, region_of_area
from services.domain.slots import (
    compute_slots,
    content_hash,
    coverage_end,
    same_in_window,
    slots_from_json,
    slots_json,
)
from services.ports import (
    AreaNotFoundError,
    Clock,
    KeyValueStore,
    OutboxStore,
    Publisher,
    Quota,
    QuotaExceededError,
    ScheduleRecord,
    StageStore,
    SubscriptionStore,
    Timetable,
    TimetableSource,
    TimetableStore,
    UpstreamAuthError,
    UpstreamRequestError,
    UpstreamUnavailableError,
)
from services.relay import relay
from services.schedule_fetcher import rejections
from services.upstream_health import stored_quota

log = logging.getLogger("loadshed.schedule_fetcher")


class FetcherStore(TimetableStore, SubscriptionStore, StageStore, OutboxStore, KeyValueStore, Protocol):
    """What the fetcher needs of the store."""


@dataclass
class FetcherDeps:
    store: FetcherStore
    publisher: Publisher
    clock: Clock
    timetables: TimetableSource | None
    quota_reserve: int = 5
    max_age: timedelta = timedelta(hours=20)
    areas_of_interest: tuple[str, ...] = ()
    """Areas kept fresh even before anyone follows them (stack config); everything else is fetched
    only once subscribed."""


def tracked_areas(deps: FetcherDeps) -> list[str]:
    """Subscribed areas plus the configured areas of interest."""
    return sorted({*deps.store.subscribed_areas(), *deps.areas_of_interest})


@dataclass
class FetchReport:
    fetched: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    published: list[ScheduleUpdated] = field(default_factory=list)
    stopped: bool = False
    """Quota used up or token refused: the rest of this run asks nothing more."""


def known_quota(deps: FetcherDeps) -> Quota | None:
    """The freshest quota: from the client this run, else the one stored by any process."""
    live = deps.timetables.quota() if deps.timetables else None
    return live if live is not None else stored_quota(deps.store, deps.clock.now())


def _quota_allows(area_id: str, deps: FetcherDeps, essential: bool) -> bool:
    quota = known_quota(deps)
    if quota is not None and (quota.remaining == 0 or (not essential and quota.remaining <= deps.quota_reserve)):
        log.warning("skipping fetch of %s: ESP quota low (%d of %d left)", area_id, quota.remaining, quota.limit)
        return False
    return True


def _fetch(
    area_id: str, deps: FetcherDeps, old: Timetable | None, essential: bool, report: FetchReport
) -> Timetable | None:
    now = deps.clock.now()
    if deps.timetables is None:
        report.skipped.append(area_id)
        log.warning("cannot fetch %s: no EskomSePush token configured", area_id)
        return old
    if (
        report.stopped
        or not rejections.may_ask(deps.store, area_id, now)
        or not _quota_allows(area_id, deps, essential)
    ):
        report.skipped.append(area_id)
        return old
    try:
        fresh = replace(deps.timetables.area(area_id), fetched_at=now, stale=False)
    except (AreaNotFoundError, UpstreamRequestError) as exc:
        report.failed.append(area_id)
        rejections.note(deps.store, area_id, str(exc), now, log)
        return old
    except (QuotaExceededError, UpstreamAuthError, UpstreamUnavailableError) as exc:
        report.failed.append(area_id)
        log.warning("fetch of %s failed (%s): %s", area_id, type(exc).__name__, exc)
        if not isinstance(exc, UpstreamUnavailableError):
            report.stopped = True  # every other area would fail the same way: spare the quota
        if old is not None and not old.stale:
            deps.store.save_timetable(replace(old, stale=True))
        if isinstance(exc, UpstreamUnavailableError) and old is None and essential:
            raise
        return replace(old, stale=True) if old else None
    rejections.clear(deps.store, area_id, now)
    deps.store.save_timetable(fresh)
    report.fetched.append(area_id)
    return fresh


Trigger = Literal["stage_changed", "subscribed", "timetable_fetched", "refresh"]


def refresh_area(
    area_id: str,
    deps: FetcherDeps,
    *,
    fetch: bool,
    essential: bool,
    cause: Event | None,
    report: FetchReport,
    trigger: Trigger = "timetable_fetched",
) -> None:
    """Recompute (fetching first if asked) one area's slots and publish if they changed.

    Slots that moved while the timetable itself did not are the stage's doing — already told by
    the stage message — so such an update is marked `stage_changed` (not told again), whoever
    recomputed it: a refresh racing a stage change tells the requester, not the area.
    """
    now = deps.clock.now()
    old = deps.store.get_timetable(area_id)
    tt = _fetch(area_id, deps, old, essential or old is None, report) if fetch or old is None else old
    if tt is None:
        return
    if trigger in ("refresh", "timetable_fetched") and old is not None and _same_timetable(old, tt):
        trigger = "stage_changed"
    region = region_of_area(area_id, tt.region_name)
    stage = deps.store.get_stage(region) or deps.store.get_stage("national")
    if stage is None:
        log.info("no stage known yet; %s's schedule waits for the first StageChanged", area_id)
        return
    slots = compute_slots(tt, stage.stage, stage.next_stages, now, since=stage.changed_at)
    _record(deps, tt, region, stage.stage, slots, trigger, cause, report)


def _record(
    deps: FetcherDeps,
    tt: Timetable,
    region: Region,
    stage: int,
    slots: list[OutageSlot],
    trigger: Trigger,
    cause: Event | None,
    report: FetchReport,
) -> None:
    """Store the schedule (optimistic on the previous hash); announce it when it really changed
    over the window both versions cover (slots ageing out is not a change)."""
    now, area_id = deps.clock.now(), tt.area_id
    new_hash, covers = content_hash(slots), coverage_end(tt, now)
    previous = deps.store.get_schedule(area_id)
    if previous is not None and previous.content_hash == new_hash:
        return
    changed = previous is None or not same_in_window(
        slots_from_json(previous.slots_json), slots, now, min(previous.covers_until, covers)
    )
    chain = cause.caused() if cause else {}
    outbox: list[Event] = []
    if changed:
        update = ScheduleUpdated(
            area_id=area_id,
            area_name=tt.name,
            region=region,
            stage=stage,
            slots=slots,
            content_hash=new_hash,
            stale=tt.stale,
            trigger=trigger,
            occurred_at=now,
            **chain,
        )
        outbox.append(update)
    record = ScheduleRecord(new_hash, slots_json(slots), covers)
    if deps.store.record_schedule(area_id, record, previous.content_hash if previous else None, outbox) and outbox:
        report.published.append(outbox[0])  # type: ignore[arg-type]


def _same_timetable(a: Timetable, b: Timetable) -> bool:
    return a.days == b.days and a.events == b.events


def _run(
    areas: list[str], deps: FetcherDeps, *, fetch: bool, essential: bool, cause: Event | None, trigger: Trigger
) -> FetchReport:
    report = FetchReport()
    pending_error: UpstreamUnavailableError | None = None
    for area_id in areas:
        try:
            refresh_area(area_id, deps, fetch=fetch, essential=essential, cause=cause, report=report, trigger=trigger)
        except UpstreamUnavailableError as exc:
            pending_error = exc
    if report.fetched and deps.timetables is not None:
        deps.timetables.quota()  # v2 has no quota headers: the (free) allowance check, at most hourly
    relay(deps.store, deps.publisher, deps.clock)
    if pending_error is not None:
        raise pending_error  # an area with no timetable at all: let the delivery be retried
    return report


def on_stage_changed(event: StageChanged, deps: FetcherDeps) -> FetchReport:
    """Recompute every subscribed area the change applies to, from stored timetables."""
    named = [(a, tt.region_name if (tt := deps.store.get_timetable(a)) else "") for a in tracked_areas(deps)]
    areas = areas_affected(event.region, named, capetown_known=deps.store.get_stage("capetown") is not None)
    return _run(areas, deps, fetch=False, essential=True, cause=event, trigger="stage_changed")


def on_subscription_changed(event: SubscriptionChanged, deps: FetcherDeps) -> FetchReport:
    """A newly followed area is fetched now unless its timetable is fresh."""
    if event.action != "added":
        return FetchReport()
    tt = deps.store.get_timetable(event.area_id)
    stale = is_stale(tt.fetched_at if tt else None, deps.clock.now(), deps.max_age)
    return _run([event.area_id], deps, fetch=stale, essential=True, cause=event, trigger="subscribed")


def daily(deps: FetcherDeps) -> FetchReport:
    """The once-a-day re-fetch of subscribed areas whose timetable is older than `max_age`."""
    now = deps.clock.now()
    due = [
        a
        for a in tracked_areas(deps)
        if is_stale(tt.fetched_at if (tt := deps.store.get_timetable(a)) else None, now, deps.max_age)
    ]
    return _run(due, deps, fetch=True, essential=False, cause=None, trigger="timetable_fetched")
