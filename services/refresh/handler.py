"""Lambda entrypoint of the refresh workflow's steps (invoked by Step Functions).

Input `{"action": "fetch_stage", "state": {...}}`; output the step's result. Errors propagate with
their class name as Lambda's `errorType`, which the state machine's Retry/Catch match.
"""

from __future__ import annotations

from typing import Any

from schemas import EventValidationError
from services import bootstrap
from services.refresh.steps import STEPS, StepContext


def handle(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    action, state = event.get("action"), event.get("state")
    if action not in STEPS or not isinstance(state, dict):
        raise EventValidationError("<workflow step>", f"unknown step {action!r} or no state", "action")
    return STEPS[str(action)](StepContext(bootstrap.container(), state))
