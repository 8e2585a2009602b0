"""EventBridge Scheduler expressions (`rate(...)`, `cron(...)`): validation and next fire time.

The embedded runtime fires schedules with `next_fire`; Pulumi passes the same expression and
timezone to EventBridge Scheduler.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_DOW = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
_MONTHS = {
    m: i + 1 for i, m in enumerate(["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"])
}


class ScheduleExpressionError(ValueError):
    """A schedule expression or timezone is not valid for EventBridge Scheduler."""


def rate_seconds(expression: str) -> int | None:
    """Seconds between runs of a `rate(...)` expression; None for a cron expression."""
    m = _RATE.match(expression)
    if not m:
        return None
    value, unit = int(m.group(1)), m.group(2)
    if value < 1 or (value == 1) != (not unit.endswith("s")):
        raise ScheduleExpressionError(f"{expression}: use '1 minute' or 'N minutes' (N > 1)")
    return value * _UNIT_SECONDS[unit.rstrip("s")]


@dataclass(frozen=True)
class Cron:
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int] | None
    months: frozenset[int]
    weekdays: frozenset[int] | None
    years: frozenset[int] | None


def _field(text: str, lo: int, hi: int, names: dict[str, int] | None = None) -> frozenset[int]:
    values: set[int] = set()
    for item in text.split(","):
        part, step = item, 1
        if "/" in item:
            part, step_text = item.split("/", 1)
            step = int(step_text)
            if step < 1:
                raise ValueError(part)
        if part == "*":
            start, end = lo, hi
        elif "-" in part:
            a, b = part.split("-", 1)
            start, end = _num(a, names), _num(b, names)
        else:
            start = _num(part, names)
            end = hi if step > 1 else start
        if not lo <= start <= end <= hi:
            raise ValueError(part)
        values.update(range(start, end + 1, step))
    return frozenset(values)


def _num(text: str, names: dict[str, int] | None) -> int:
    if names and text.upper() in names:
        return names[text.upper()]
    return int(text)


def parse_cron(expression: str) -> Cron:
    """Parse `cron(min hour day-of-month month day-of-week year)` (one of day fields is `?`)."""
    m = re.match(r"^cron\((.+)\)$", expression)
    parts = m.group(1).split() if m else []
    if len(parts) != 6:
        raise ScheduleExpressionError(f"{expression}: cron takes 6 fields")
    minute, hour, dom, month, dow, year = parts
    if (dom == "?") == (dow == "?"):
        raise ScheduleExpressionError(f"{expression}: exactly one of day-of-month/day-of-week must be '?'")
    try:
        return Cron(
            _field(minute, 0, 59),
            _field(hour, 0, 23),
            None if dom == "?" else _field(dom, 1, 31),
            _field(month, 1, 12, _MONTHS),
            None if dow == "?" else _field(dow, 1, 7, _DOW),
            None if year == "*" else _field(year, 1970, 2199),
        )
    except ValueError as exc:
        raise ScheduleExpressionError(f"{expression}: bad field {exc}") from None


def validate(expression: str, timezone: str) -> None:
    """Raise `ScheduleExpressionError` unless expression and timezone are valid."""
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleExpressionError(f"unknown timezone {timezone!r}") from None
    if rate_seconds(expression) is None:
        parse_cron(expression)


def next_fire(expression: str, timezone: str, after: datetime) -> datetime:
    """The first fire time strictly after `after` (aware), in the schedule's timezone."""
    seconds = rate_seconds(expression)
    if seconds is not None:
        return after + timedelta(seconds=seconds)
    cron, tz = parse_cron(expression), ZoneInfo(timezone)
    t = (after.astimezone(tz) + timedelta(minutes=1)).replace(second=0, microsecond=0)
    for _ in range(366 * 24 * 60):
        weekday = (t.isoweekday() % 7) + 1  # SUN=1 … SAT=7
        if (
            t.minute in cron.minutes
            and t.hour in cron.hours
            and t.month in cron.months
            and (cron.days is None or t.day in cron.days)
            and (cron.weekdays is None or weekday in cron.weekdays)
            and (cron.years is None or t.year in cron.years)
        ):
            return t
        t += timedelta(minutes=1)
    raise ScheduleExpressionError(f"{expression}: never fires within a year")
