"""What every Lambda handler shares: read the invocation, log with the correlation id, map errors."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from schemas import Event, EventValidationError, from_eventbridge
from services.logcontext import attach, correlation

log = logging.getLogger("loadshed.lambda")


def configure_logging() -> None:
    """Lambda's runtime installs the handler (JSON, with the request id); we set the level and
    put the correlation id on every record it emits."""
    logging.getLogger().setLevel(logging.INFO)
    attach()


def read_invocation(raw: Any) -> tuple[Event | None, str | None]:
    """(typed event, None) for an EventBridge delivery; (None, action) for a scheduled input."""
    if isinstance(raw, Mapping) and "detail-type" in raw:
        event = from_eventbridge(raw)
        with correlation(str(event.correlation_id)):  # the id comes from the filter, once
            log.info(json.dumps({"msg": "event received", "type": event.DETAIL_TYPE, "event_id": str(event.event_id)}))
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
                with correlation(str(event.correlation_id)):  # every line of this invocation carries it
                    return fn(event)
        raise EventValidationError(event.DETAIL_TYPE, "this service does not consume it")
    if action is not None and action in on_action:
        return on_action[action]()
    raise EventValidationError("<invocation>", f"unknown action {action!r}", "action")
