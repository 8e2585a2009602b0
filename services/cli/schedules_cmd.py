"""`loadshed schedules next EXPR [--tz ZONE] [-n N]`: when an EventBridge Scheduler expression fires."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TextIO

from services.cli.output import CliError
from services.schedule_expr import ScheduleExpressionError, next_fires, validate


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise CliError(f"-n: {text!r} is not a whole number") from None
    if not 1 <= value <= 1000:
        raise CliError("-n: must be between 1 and 1000")
    return value


def add_parser(sub: Any) -> None:
    p = sub.add_parser("schedules", help="evaluate EventBridge Scheduler expressions")
    verbs = p.add_subparsers(dest="schedules_command", required=True, metavar="VERB")
    nxt = verbs.add_parser("next", help="print the next fires of rate(...), cron(...) or at(...)")
    nxt.add_argument("expression", help="e.g. 'cron(0 6 ? * MON-FRI *)'")
    nxt.add_argument("--tz", default="Africa/Johannesburg", help="IANA time zone (default Africa/Johannesburg)")
    nxt.add_argument("-n", type=_count, default=5, help="how many fires (default 5)")
    nxt.add_argument("--after", help="ISO start instant (default now)")


def run(args: Any, out: TextIO, now: datetime | None = None) -> int:
    try:
        validate(args.expression, args.tz)
    except ScheduleExpressionError as exc:
        raise CliError(str(exc)) from None
    start = now or datetime.now(UTC)
    if args.after:
        try:
            start = datetime.fromisoformat(args.after)
        except ValueError:
            raise CliError(f"--after: {args.after!r} is not an ISO date-time") from None
        if start.tzinfo is None:
            raise CliError("--after: give a UTC offset, e.g. 2026-11-26T08:00:00+02:00")
    fires = next_fires(args.expression, args.tz, start, args.n)
    if not fires:
        print(f"{args.expression} never fires after {start.isoformat()}", file=out)
    for fire in fires:
        print(fire.isoformat(), file=out)
    return 0
