"""The local runner of a topology workflow: the same steps, order, retry policy and failure path
as the Step Functions state machine generated from the same declaration.

Retry semantics follow Step Functions: an error is retried when its class name is listed
(exact match, as Lambda reports `errorType`), waiting interval × backoff^(n-1) capped at the
max delay, with full jitter; `max_attempts` counts retries after the first try.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from schemas import Event, RefreshRequested, parse_detail
from services.ports import Publisher
from services.runtime.faults import crash_point
from services.topology import StepRetry, Workflow, WorkflowStep

log = logging.getLogger("loadshed.workflow")
State = dict[str, Any]
StepRunner = Callable[[WorkflowStep, State], dict[str, Any]]


def retry_delay(retry: StepRetry, attempt: int, rng: random.Random) -> float:
    """Seconds before retry number `attempt` (1-based)."""
    delay = min(retry.interval_seconds * retry.backoff_rate ** (attempt - 1), retry.max_delay_seconds)
    return rng.uniform(0, delay) if retry.jitter else delay


@dataclass
class Execution:
    name: str
    status: str = "RUNNING"  # SUCCEEDED, FAILED, DUPLICATE
    attempts: dict[str, int] = field(default_factory=dict)
    emitted: list[Event] = field(default_factory=list)
    state: State = field(default_factory=dict)


class WorkflowRunner:
    def __init__(
        self,
        workflow: Workflow,
        run_step: StepRunner,
        publisher: Publisher,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.workflow, self.run_step, self.publisher = workflow, run_step, publisher
        self.sleep, self.rng = sleep, rng or random.Random()
        self.executions: list[Execution] = []

    def _attempt(self, step: WorkflowStep, execution: Execution) -> dict[str, Any]:
        attempt = 0
        while True:
            execution.attempts[step.name] = attempt + 1
            try:
                return self.run_step(step, execution.state)
            except Exception as exc:
                attempt += 1
                retryable = type(exc).__name__ in step.retry.errors or "States.ALL" in step.retry.errors
                if not retryable or attempt > step.retry.max_attempts:
                    raise
                delay = retry_delay(step.retry, attempt, self.rng)
                log.warning(
                    "%s: %s failed (%s), retry %d in %.1fs",
                    execution.name,
                    step.name,
                    type(exc).__name__,
                    attempt,
                    delay,
                )
                self.sleep(delay)

    def start(self, request: RefreshRequested, execution_name: str) -> Execution:
        """Run one execution to its end (steps, or the failure path)."""
        execution = Execution(
            execution_name,
            state={"request": request.model_dump(mode="json"), "execution": execution_name, "results": {}},
        )
        self.executions.append(execution)
        for index, step in enumerate(self.workflow.steps):
            try:
                output = self._attempt(step, execution)
            except Exception as exc:
                execution.state["error"] = {"Error": type(exc).__name__, "Cause": str(exc)}
                execution.state["failed_step"] = step.name
                output = self._attempt(self.workflow.on_failure, execution)
                self._emit(execution, parse_detail(self.workflow.failed, output["failed"]))
                execution.status = "FAILED"
                return execution
            execution.state["results"][step.name] = {"Payload": output}  # the shape Step Functions stores
            crash_point(f"after-step:{step.name}")
            if index == 0 and output.get("duplicate"):
                execution.status = "DUPLICATE"
                return execution
        last = execution.state["results"][self.workflow.steps[-1].name]["Payload"]
        self._emit(execution, parse_detail(self.workflow.completed, last["completed"]))
        execution.status = "SUCCEEDED"
        return execution

    def _emit(self, execution: Execution, event: Event) -> None:
        execution.emitted.append(event)
        self.publisher.publish([event])
