"""Lambda entrypoint of the reminder (EventBridge Scheduler → {"action": "remind"})."""

from __future__ import annotations

from typing import Any

from services import bootstrap
from services.lambda_support import dispatch
from services.reminder.logic import ReminderDeps, ReminderReport, remind

_CACHE: dict[str, Any] = {}  # timetables kept across invocations of one container (an hour at most)


def handle(event: Any, context: Any = None) -> dict[str, Any]:
    c = bootstrap.container()
    deps = ReminderDeps(c.store, c.messenger(), c.publisher, c.clock, c.config.fanout_checkpoint, _CACHE)
    report: ReminderReport = dispatch(event, {}, {"remind": lambda: remind(deps)})
    return {"sent": len(report.sent), "failed": len(report.failed)}
