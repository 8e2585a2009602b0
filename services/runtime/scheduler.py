"""Fires the topology's schedules (rate and cron, in their timezone) in the embedded runtime."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from services.schedule_expr import next_fire, rate_seconds
from services.topology import Schedule


class Scheduler:
    """`due(now)` returns the schedules to run now. Rate schedules fire at start, then every
    interval (or the override from `LOADSHED_POLL_SECONDS` / `LOADSHED_REMIND_SECONDS`)."""

    def __init__(self, schedules: tuple[Schedule, ...], overrides: Mapping[str, float | None] | None = None) -> None:
        self.schedules = schedules
        self.overrides = {k: v for k, v in (overrides or {}).items() if v}
        self.next: dict[str, datetime] = {}

    def _interval(self, schedule: Schedule) -> float | None:
        if schedule.override_env and schedule.override_env in self.overrides:
            return self.overrides[schedule.override_env]
        seconds = rate_seconds(schedule.expression)
        return float(seconds) if seconds is not None else None

    def due(self, now: datetime) -> list[Schedule]:
        fired = []
        for schedule in self.schedules:
            interval = self._interval(schedule)
            if schedule.name not in self.next:
                self.next[schedule.name] = now if interval else next_fire(schedule.expression, schedule.timezone, now)
            if self.next[schedule.name] <= now:
                fired.append(schedule)
                self.next[schedule.name] = (
                    now + timedelta(seconds=interval)
                    if interval
                    else next_fire(schedule.expression, schedule.timezone, now)
                )
        return fired

    def seconds_until_next(self, now: datetime) -> float:
        if not self.next:
            return 0.0
        return max(0.0, min((t - now).total_seconds() for t in self.next.values()))
