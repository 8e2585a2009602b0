"""Lambda entrypoint of the notifier (StageChanged, ScheduleUpdated, FanOutPaused)."""

from __future__ import annotations

from typing import Any

from schemas import FanOutPaused, ScheduleUpdated, StageChanged
from services import bootstrap
from services.lambda_support import dispatch
from services.notifier.fanout import FanOutResult
from services.notifier.logic import NotifierDeps, on_fan_out_paused, on_schedule_updated, on_stage_changed


def deps(context: Any = None) -> NotifierDeps:
    c = bootstrap.container()
    time_left = (lambda: context.get_remaining_time_in_millis() / 1000) if context is not None else None
    config = c.config
    return NotifierDeps(
        c.store, c.messenger(), c.publisher, c.clock, time_left, config.fanout_checkpoint, config.send_workers
    )


def handle(event: Any, context: Any = None) -> dict[str, Any]:
    d = deps(context)
    result: FanOutResult = dispatch(
        event,
        {
            StageChanged: lambda e: on_stage_changed(e, d),
            ScheduleUpdated: lambda e: on_schedule_updated(e, d),
            FanOutPaused: lambda e: on_fan_out_paused(e, d),
        },
        {},
    )
    return {
        "sent": len(result.sent),
        "failed": len(result.failed),
        "paused": result.paused,
        "already_done": result.skipped_done,
    }
