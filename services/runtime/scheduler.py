"""Fires the topology's schedules (rate and cron, in their timezone) in the embedded runtime."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta

from services.schedule_expr import next_fire, rate_seconds
from services.topology import Schedule

log = logging.getLogger("loadshed.scheduler")


class Scheduler:
    """`due(now)` returns the schedules to run now. Rate schedules fire at start, then every
    interval (or the override from `LOADSHED_POLL_SECONDS` / `LOADSHED_REMIND_SECONDS`)."""

    def __init__(self, schedules: tuple[Schedule, ...], overrides: Mapping[str, float | None] | None = None) -> None:
        self.schedules = schedules
        self.overrides = {k: v for k, v in (overrides or {}).items() if v}
        self.next: dict[str, datetime] = {}
        self.ended: set[str] = set()

    def _interval(self, schedule: Schedule) -> float | None:
        if schedule.override_env and schedule.override_env in self.overrides:
            return self.overrides[schedule.override_env]
        seconds = rate_seconds(schedule.expression)
        return float(seconds) if seconds is not None else None

    def _plan(self, schedule: Schedule, at: datetime | None) -> None:
        """Record the next fire, or report once that the schedule will never fire again and skip it."""
        if at is None:
            self.next.pop(schedule.name, None)
            self.ended.add(schedule.name)
            log.warning("schedule %s (%s) will never fire again; skipped", schedule.name, schedule.expression)
        else:
            self.next[schedule.name] = at

    def due(self, now: datetime) -> list[Schedule]:
        fired = []
        for schedule in self.schedules:
            if schedule.name in self.ended:
                continue
            interval = self._interval(schedule)
            if schedule.name not in self.next:
                self._plan(schedule, now if interval else next_fire(schedule.expression, schedule.timezone, now))
            at = self.next.get(schedule.name)
            if at is not None and at <= now:
                fired.append(schedule)
                self._plan(
                    schedule,
                    now + timedelta(seconds=interval)
                    if interval
                    else next_fire(schedule.expression, schedule.timezone, now),
                )
        return fired

    def seconds_until_next(self, now: datetime) -> float:
        if not self.next:
            return 60.0 if self.ended and len(self.ended) == len(self.schedules) else 0.0
        return max(0.0, min((t - now).total_seconds() for t in self.next.values()))
