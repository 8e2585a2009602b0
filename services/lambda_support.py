"""What every Lambda handler shares: read the invocation, log with the correlation id, map errors."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from schemas import Event, EventValidationError, from_eventbridge

log = logging.getLogger("loadshed.lambda")


def configure_logging() -> None:
    """JSON-ish one-line logs on Lambda (the runtime installs a handler; we set the level)."""
    logging.getLogger().setLevel(logging.INFO)


def read_invocation(raw: Any) -> tuple[Event | None, str | None]:
    """(typed event, None) for an EventBridge delivery; (None, action) for a scheduled input."""
    if isinstance(raw, Mapping) and "detail-type" in raw:
        event = from_eventbridge(raw)
        log.info(
            json.dumps(
                {
                    "msg": "event received",
                    "type": event.DETAIL_TYPE,
                    "event_id": str(event.event_id),
                    "correlation_id": str(event.correlation_id),
                }
            )
        )
        return event, None
    if isinstance(raw, Mapping) and isinstance(raw.get("action"), str):
        return None, str(raw["action"])
    raise EventValidationError("<invocation>", "neither an EventBridge event nor {'action': …}")


def dispatch(
    raw: Any,
    on_event: Mapping[type[Event], Callable[[Any], Any]],
    on_action: Mapping[str, Callable[[], Any]],
) -> Any:
    """Route the invocation to the logic; unknown input raises `EventValidationError` (→ DLQ)."""
    event, action = read_invocation(raw)
    if event is not None:
        for cls, fn in on_event.items():
            if isinstance(event, cls):
                return fn(event)
        raise EventValidationError(event.DETAIL_TYPE, "this service does not consume it")
    if action is not None and action in on_action:
        return on_action[action]()
    raise EventValidationError("<invocation>", f"unknown action {action!r}", "action")
