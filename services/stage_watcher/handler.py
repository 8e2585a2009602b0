"""Lambda entrypoint of the stage watcher (EventBridge Scheduler → {"action": "poll"})."""

from __future__ import annotations

import logging
from typing import Any

from services import bootstrap
from services.lambda_support import dispatch
from services.ports import UpstreamUnavailableError
from services.stage_watcher.logic import poll

log = logging.getLogger("loadshed.stage_watcher")


def handle(event: Any, context: Any = None) -> dict[str, Any]:
    c = bootstrap.container()

    def run_poll() -> dict[str, Any]:
        try:
            changes = poll(c.stage_source, c.store, c.publisher, c.clock)
        except UpstreamUnavailableError as exc:
            return {"status": "upstream_unavailable", "error": str(exc)}
        return {"status": "ok", "changes": [f"{e.region}:{e.stage}" for e in changes]}

    result: dict[str, Any] = dispatch(event, {}, {"poll": run_poll})
    return result
