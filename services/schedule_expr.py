"""EventBridge Scheduler expressions: `rate(...)`, `cron(...)` and `at(...)`, validated and evaluated.

The embedded runtime fires schedules with `next_fire`; Pulumi passes the same expression and
timezone to EventBridge Scheduler. The dialect is AWS's (Scheduler user guide, "Schedule types"):
six cron fields `minutes hours day-of-month month day-of-week year`, one of the day fields `?`,
day-of-week 1-7 = SUN-SAT, `L` and `W` in day-of-month, `L` and `#` in day-of-week, names,
ranges, steps (`5/1` is every minute from :05), years 1970-2199. Next fire is computed by walking
years, months and days directly (no minute-by-minute scan); an expression that can never fire
again gives None, which the scheduler reports once and skips.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_RATE = re.compile(r"^rate\((\d+) ([a-z]+)\)$")
_AT = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_DOW = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
_MONTHS = {
    m: i + 1 for i, m in enumerate(["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"])
}
_LAST_YEAR = 2199


class ScheduleExpressionError(ValueError):
    """A schedule expression or timezone is not valid for EventBridge Scheduler."""


def rate_seconds(expression: str) -> int | None:
    """Seconds between runs of a `rate(...)` expression; None for cron and at."""
    m = _RATE.match(expression)
    if not m:
        if expression.startswith("rate("):
            raise ScheduleExpressionError(f"{expression}: write rate(VALUE UNIT), e.g. rate(5 minutes)")
        return None
    value, unit = int(m.group(1)), m.group(2)
    base = unit.removesuffix("s")
    if base not in _UNIT_SECONDS:
        raise ScheduleExpressionError(f"{expression}: the unit must be minute(s), hour(s) or day(s)")
    if value < 1 or (value == 1) != (unit == base):
        raise ScheduleExpressionError(f"{expression}: write '1 {base}' or 'N {base}s' with N > 1")
    return value * _UNIT_SECONDS[base]


@dataclass(frozen=True)
class Days:
    """Day-of-month: plain days, `L` (last), `LW` (last weekday), `nW` (weekday nearest n)."""

    values: frozenset[int] = frozenset()
    last: bool = False
    last_weekday: bool = False
    nearest: frozenset[int] = frozenset()

    def match(self, d: date, last_day: int) -> bool:
        if d.day in self.values or (self.last and d.day == last_day):
            return True
        if self.last_weekday and d.day == _nearest_weekday(d.year, d.month, last_day, last_day):
            return True
        return any(d.day == _nearest_weekday(d.year, d.month, n, last_day) for n in self.nearest)


@dataclass(frozen=True)
class Weekdays:
    """Day-of-week (1=SUN … 7=SAT): plain days, `nL` (last n of the month), `n#k` (k-th n)."""

    values: frozenset[int] = frozenset()
    last: frozenset[int] = frozenset()
    nth: frozenset[tuple[int, int]] = frozenset()

    def match(self, d: date, last_day: int) -> bool:
        weekday = d.isoweekday() % 7 + 1
        if weekday in self.values or (weekday in self.last and d.day + 7 > last_day):
            return True
        return (weekday, (d.day - 1) // 7 + 1) in self.nth


@dataclass(frozen=True)
class Cron:
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days: Days | None
    months: frozenset[int]
    weekdays: Weekdays | None
    years: frozenset[int] | None

    def day_matches(self, d: date) -> bool:
        last_day = calendar.monthrange(d.year, d.month)[1]
        if self.days is not None and not self.days.match(d, last_day):
            return False
        return self.weekdays is None or self.weekdays.match(d, last_day)


def _nearest_weekday(year: int, month: int, day: int, last_day: int) -> int | None:
    """The weekday nearest `day` within the month (Quartz/AWS `W`); None when the day does not exist."""
    if day > last_day:
        return None
    weekday = date(year, month, day).weekday()  # MON=0
    if weekday == 5:
        return day - 1 if day > 1 else day + 2
    if weekday == 6:
        return day + 1 if day < last_day else day - 2
    return day


def _number(text: str, names: dict[str, int] | None) -> int:
    if names and text.upper() in names:
        return names[text.upper()]
    if not text.isdigit():
        raise ValueError(text)
    return int(text)


def _range(item: str, lo: int, hi: int, names: dict[str, int] | None) -> set[int]:
    """`*`, `a`, `a-b` (wrapping past `hi` if a > b), each with an optional `/step`."""
    part, _, step_text = item.partition("/")
    step = _number(step_text, None) if step_text else 1
    if step < 1:
        raise ValueError(item)
    if part == "*":
        start, end = lo, hi
    elif "-" in part:
        a, b = part.split("-", 1)
        start, end = _number(a, names), _number(b, names)
    else:
        start = _number(part, names)
        end = hi if step_text else start
    if not (lo <= start <= hi and lo <= end <= hi):
        raise ValueError(item)
    span = list(range(start, end + 1)) if start <= end else [*range(start, hi + 1), *range(lo, end + 1)]
    return set(span[::step])


def _field(text: str, lo: int, hi: int, names: dict[str, int] | None = None) -> frozenset[int]:
    values: set[int] = set()
    for item in text.split(","):
        values |= _range(item, lo, hi, names)
    return frozenset(values)


def _days(text: str) -> Days:
    if text == "L":
        return Days(last=True)
    if text == "LW":
        return Days(last_weekday=True)
    nearest = {int(i[:-1]) for i in text.split(",") if re.fullmatch(r"\d{1,2}W", i)}
    if any(not 1 <= n <= 31 for n in nearest):
        raise ValueError(text)
    plain = [i for i in text.split(",") if not re.fullmatch(r"\d{1,2}W", i)]
    return Days(values=_field(",".join(plain), 1, 31) if plain else frozenset(), nearest=frozenset(nearest))


def _weekdays(text: str) -> Weekdays:
    values: set[int] = set()
    last: set[int] = set()
    nth: set[tuple[int, int]] = set()
    for item in text.split(","):
        if item == "L":
            values.add(7)
        elif m := re.fullmatch(r"(\w+)L", item):
            last.add(_weekday(m.group(1)))
        elif m := re.fullmatch(r"(\w+)#(\d)", item):
            k = int(m.group(2))
            if not 1 <= k <= 5:
                raise ValueError(item)
            nth.add((_weekday(m.group(1)), k))
        else:
            values |= _range(item, 1, 7, _DOW)
    return Weekdays(frozenset(values), frozenset(last), frozenset(nth))


def _weekday(text: str) -> int:
    value = _number(text, _DOW)
    if not 1 <= value <= 7:
        raise ValueError(text)
    return value


def parse_cron(expression: str) -> Cron:
    """Parse `cron(minutes hours day-of-month month day-of-week year)`."""
    m = re.match(r"^cron\((.+)\)$", expression)
    parts = m.group(1).split() if m else []
    if len(parts) != 6:
        raise ScheduleExpressionError(
            f"{expression}: cron takes 6 fields (minutes hours day-of-month month day-of-week year)"
        )
    minute, hour, dom, month, dow, year = parts
    if (dom == "?") == (dow == "?"):
        raise ScheduleExpressionError(f"{expression}: exactly one of day-of-month/day-of-week must be '?'")
    try:
        return Cron(
            tuple(sorted(_field(minute, 0, 59))),
            tuple(sorted(_field(hour, 0, 23))),
            None if dom == "?" else _days(dom),
            _field(month, 1, 12, _MONTHS),
            None if dow == "?" else _weekdays(dow),
            None if year == "*" else _field(year, 1970, _LAST_YEAR),
        )
    except ValueError as exc:
        raise ScheduleExpressionError(f"{expression}: bad field {exc}") from None


def parse_at(expression: str) -> datetime | None:
    """The local (naive) instant of `at(yyyy-mm-ddThh:mm:ss)`; None for other expressions."""
    m = _AT.match(expression)
    if not m:
        if expression.startswith("at("):
            raise ScheduleExpressionError(f"{expression}: write at(yyyy-mm-ddThh:mm:ss)")
        return None
    try:
        return datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        raise ScheduleExpressionError(f"{expression}: not a real date and time") from None


def _zone(timezone: str) -> ZoneInfo:
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleExpressionError(f"unknown timezone {timezone!r}") from None


def validate(expression: str, timezone: str) -> None:
    """Raise `ScheduleExpressionError` unless the expression and timezone are valid."""
    _zone(timezone)
    if rate_seconds(expression) is None and parse_at(expression) is None:
        if not expression.startswith("cron("):
            raise ScheduleExpressionError(f"{expression}: use rate(...), cron(...) or at(...)")
        parse_cron(expression)


def _time_on(cron: Cron, day: date, earliest: tuple[int, int] | None) -> tuple[int, int] | None:
    for hour in cron.hours:
        if earliest and hour < earliest[0]:
            continue
        floor = earliest[1] if earliest and hour == earliest[0] else 0
        for minute in cron.minutes:
            if minute >= floor:
                return hour, minute
    return None


def _cron_next(cron: Cron, start: datetime) -> tuple[date, int, int] | None:
    """The first (day, hour, minute) at or after the naive local minute `start`."""
    for year in range(start.year, _LAST_YEAR + 1):
        if cron.years is not None and year not in cron.years:
            continue
        for month in sorted(cron.months):
            if (year, month) < (start.year, start.month):
                continue
            first = start.day if (year, month) == (start.year, start.month) else 1
            for day_number in range(first, calendar.monthrange(year, month)[1] + 1):
                day = date(year, month, day_number)
                if not cron.day_matches(day):
                    continue
                at = _time_on(cron, day, (start.hour, start.minute) if day == start.date() else None)
                if at:
                    return day, at[0], at[1]
    return None


def next_fire(expression: str, timezone: str, after: datetime) -> datetime | None:
    """The first fire strictly after `after` (aware), in the schedule's timezone; None if it never fires again."""
    seconds = rate_seconds(expression)
    if seconds is not None:
        return after + timedelta(seconds=seconds)
    tz = _zone(timezone)
    once = parse_at(expression)
    if once is not None:
        instant = once.replace(tzinfo=tz)
        return instant if instant > after else None
    local = after.astimezone(tz).replace(tzinfo=None)
    start = local.replace(second=0, microsecond=0) + timedelta(minutes=1)
    found = _cron_next(parse_cron(expression), start)
    if found is None:
        return None
    day, hour, minute = found
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)


def next_fires(expression: str, timezone: str, after: datetime, count: int) -> list[datetime]:
    """Up to `count` fires after `after` (fewer when the schedule ends)."""
    fires: list[datetime] = []
    while len(fires) < count:
        nxt = next_fire(expression, timezone, fires[-1] if fires else after)
        if nxt is None:
            break
        fires.append(nxt)
    return fires
