"""Next fires of AWS Scheduler cron expressions, checked against croniter (a well-kept independent
implementation) after translating AWS's dialect: day-of-week 1-7=SUN-SAT becomes 0-6, `nL` becomes
`L(n-1)`, `n#k` becomes `(n-1)#k`, `?` becomes `*`, and the year is croniter's seventh field.
Semantics of L, W and # are AWS's (Scheduler user guide, "Cron expressions reference")."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from croniter import croniter

from services.schedule_expr import ScheduleExpressionError, next_fire, next_fires, validate

SAST = ZoneInfo("Africa/Johannesburg")
EXPRESSIONS = [
    "cron(0 4 * * ? *)",
    "cron(5/1 9 * * ? *)",
    "cron(*/15 * * * ? *)",
    "cron(0/20 6-8 * * ? *)",
    "cron(30 6 ? * MON *)",
    "cron(0 18 ? * MON-FRI *)",
    "cron(0 9 ? * 2-6 *)",
    "cron(15 10 ? * 1,7 *)",
    "cron(0 12 1 * ? *)",
    "cron(0 12 15,30 * ? *)",
    "cron(0 0 31 * ? *)",
    "cron(0 0 29 2 ? *)",
    "cron(0 8 L * ? *)",
    "cron(0 8 15W * ? *)",
    "cron(0 8 1W * ? *)",
    "cron(0 8 28W * ? *)",
    "cron(0 10 ? * 6L *)",
    "cron(0 10 ? * 2L *)",
    "cron(0 10 ? * 3#2 *)",
    "cron(0 10 ? * 1#1 *)",
    "cron(0 10 ? * 6#5 *)",
    "cron(0 0 1 JAN ? 2027,2029)",
    "cron(0 0 ? JUN-AUG SUN 2027-2028)",
    "cron(45 23 * DEC ? *)",
    "cron(0 */6 * * ? *)",
    "cron(10,40 7 ? * WED,FRI *)",
    "cron(0 0 1/10 * ? *)",
    "cron(59 23 L 2 ? *)",
]
STARTS = [
    datetime(2026, 11, 26, 8, 22, tzinfo=SAST) + timedelta(days=37 * i, hours=5 * i, minutes=13 * i) for i in range(10)
]


def _to_croniter(expression: str) -> str:
    minute, hour, dom, month, dow, year = expression[5:-1].split()

    def shift(match: re.Match[str]) -> str:
        return str(int(match.group(0)) - 1)

    if dow != "?":
        if m := re.fullmatch(r"(\d)L", dow):
            dow = f"L{int(m.group(1)) - 1}"
        elif m := re.fullmatch(r"(\d)#(\d)", dow):
            dow = f"{int(m.group(1)) - 1}#{m.group(2)}"
        else:
            dow = re.sub(r"(?<![#/])\b\d\b", shift, dow)
    return " ".join([minute, hour, "*" if dom == "?" else dom, month, "*" if dow == "?" else dow, "0", year])


def _expected(expression: str, start: datetime) -> datetime:
    return croniter(_to_croniter(expression), start).get_next(datetime)


@pytest.mark.parametrize("expression", EXPRESSIONS)
def test_next_fire_agrees_with_croniter(expression):
    validate(expression, "Africa/Johannesburg")
    for start in STARTS:
        ours = next_fire(expression, "Africa/Johannesburg", start)
        assert ours is not None
        assert ours == _expected(expression, start), (expression, start)


def test_at_fires_once_then_never():
    at = "at(2027-03-01T06:30:00)"
    first = next_fire(at, "Africa/Johannesburg", STARTS[0])
    assert first is not None and first.isoformat() == "2027-03-01T06:30:00+02:00"
    assert next_fire(at, "Africa/Johannesburg", first) is None
    assert next_fires("cron(0 0 1 1 ? 2027)", "Africa/Johannesburg", STARTS[0], 5) == [
        datetime(2027, 1, 1, tzinfo=SAST)
    ]


@pytest.mark.parametrize(
    "expression",
    [
        "rate(1 week)",
        "rate(1 minutes)",
        "rate(2 minute)",
        "rate(0 minutes)",
        "rate(five minutes)",
        "cron(0 4 * * * *)",
        "cron(0 4 ? * ? *)",
        "cron(0 4 * * ?)",
        "cron(61 4 * * ? *)",
        "cron(0 24 * * ? *)",
        "cron(0 4 32 * ? *)",
        "cron(0 4 ? * 8 *)",
        "cron(0 4 ? * 2#6 *)",
        "cron(0 4 * 13 ? *)",
        "cron(0 4 * * ? 2200)",
        "cron(0 4 */0 * ? *)",
        "at(2027-02-30T00:00:00)",
        "at(2027-01-01 00:00:00)",
        "every day",
    ],
)
def test_rejected(expression):
    with pytest.raises(ScheduleExpressionError):
        validate(expression, "Africa/Johannesburg")


def test_a_schedule_that_never_fires_again_is_skipped_not_raised(caplog):
    from services.runtime.scheduler import Scheduler
    from services.topology import Schedule

    gone = Schedule("gone", "reminder", "cron(0 0 1 1 ? 2020)", {}, "past")
    sched = Scheduler((gone,))
    assert sched.due(STARTS[0]) == []
    assert sched.due(STARTS[1]) == []
    assert sum("never fire again" in r.getMessage() for r in caplog.records) == 1
