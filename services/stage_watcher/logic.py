"""Stage watcher: read the stage, and on a real change record it and announce `StageChanged`."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Protocol

from schemas import Event, StageChanged
from services.ports import (
    Clock,
    KeyValueStore,
    OutboxStore,
    Publisher,
    StageRecord,
    StageSource,
    StageStore,
    UpstreamUnavailableError,
)
from services.relay import relay
from services.upstream_health import note_upstream

log = logging.getLogger("loadshed.stage_watcher")


class WatcherStore(StageStore, OutboxStore, KeyValueStore, Protocol):
    """What the watcher needs of the store."""


def poll(
    source: StageSource, store: WatcherStore, publisher: Publisher, clock: Clock, cause: Event | None = None
) -> list[StageChanged]:
    """One poll. Returns the changes this call recorded (another watcher's changes are not ours).

    Raises `UpstreamUnavailableError` (nothing written, nothing published) when the stage cannot
    be known, and `PublishError` when the bus refused (the events stay in the outbox).
    """
    try:
        reading = source.current()
    except UpstreamUnavailableError as exc:
        note_upstream(store, source.name, False, log, clock.now(), str(exc))
        relay(store, publisher, clock)
        raise
    note_upstream(store, source.name, True, log, clock.now())
    recorded: list[StageChanged] = []
    for observed in reading.regions:
        current = store.get_stage(observed.region)
        if current is not None and current.stage == observed.stage:
            if current.next_stages != observed.next_stages and reading.source == current.observed_from:
                store.save_stage(replace(current, next_stages=observed.next_stages), current.version, [])
            continue
        changed_at = observed.updated_at or clock.now()
        event = StageChanged(
            region=observed.region,
            previous_stage=current.stage if current else None,
            stage=observed.stage,
            changed_at=changed_at,
            next_stages=list(observed.next_stages),
            observed_from=reading.source,
            occurred_at=clock.now(),
            **(cause.caused() if cause else {}),
        )
        record = StageRecord(observed.region, observed.stage, changed_at, observed.next_stages, reading.source)
        if store.save_stage(record, current.version if current else None, [event]):
            log.info("stage %s: %s → %s", observed.region, current.stage if current else "?", observed.stage)
            recorded.append(event)
    relay(store, publisher, clock)
    return recorded
