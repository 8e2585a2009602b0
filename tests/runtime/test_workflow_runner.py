"""The local workflow runner: order, Step Functions retry semantics, failure path, duplicates."""

from __future__ import annotations

import random
from uuid import uuid4

import pytest

from schemas import RefreshCompleted, RefreshFailed, RefreshRequested
from services.adapters.memory import RecordingPublisher
from services.ports import UpstreamAuthError, UpstreamUnavailableError
from services.runtime.workflow import WorkflowRunner, retry_delay
from services.topology import TOPOLOGY, StepRetry

WF = TOPOLOGY.workflows[0]


def request() -> RefreshRequested:
    return RefreshRequested(request_id=uuid4(), scope="chat", chat_id=5)


class Steps:
    def __init__(self, failures: dict[str, list[Exception]] | None = None) -> None:
        self.failures = failures or {}
        self.calls: list[str] = []

    def __call__(self, step, state):
        self.calls.append(step.name)
        if self.failures.get(step.name):
            raise self.failures[step.name].pop(0)
        req = state["request"]
        if step.action == "notify":
            return {
                "completed": RefreshCompleted(request_id=req["request_id"], scope="chat", chat_id=5).model_dump(
                    mode="json"
                )
            }
        if step.action == "report_failure":
            return {
                "failed": RefreshFailed(
                    request_id=req["request_id"],
                    scope="chat",
                    chat_id=5,
                    step=state["failed_step"],
                    error_type=state["error"]["Error"],
                ).model_dump(mode="json")
            }
        return {"ok": step.name}


def runner(steps, sleeps):
    return WorkflowRunner(WF, steps, RecordingPublisher(), sleep=sleeps.append, rng=random.Random(1))


def test_steps_run_in_order_and_completion_is_published():
    steps, sleeps = Steps(), list[float]()
    r = runner(steps, sleeps)
    execution = r.start(request(), "x")
    assert steps.calls == ["FetchStage", "FetchSchedule", "Notify"]
    assert execution.status == "SUCCEEDED" and isinstance(r.publisher.events[0], RefreshCompleted)
    assert set(execution.state["results"]) == {"FetchStage", "FetchSchedule", "Notify"}


def test_transient_failure_is_absorbed_by_retry():
    steps, sleeps = Steps({"FetchStage": [UpstreamUnavailableError("t/o")] * 2}), list[float]()
    execution = runner(steps, sleeps).start(request(), "x")
    assert execution.status == "SUCCEEDED" and execution.attempts["FetchStage"] == 3
    assert len(sleeps) == 2 and all(0 <= s <= 30 for s in sleeps)


def test_persistent_failure_takes_the_catch_path():
    steps, sleeps = Steps({"FetchSchedule": [UpstreamUnavailableError("down")] * 10}), list[float]()
    r = runner(steps, sleeps)
    execution = r.start(request(), "x")
    assert execution.status == "FAILED"
    assert steps.calls == ["FetchStage"] + ["FetchSchedule"] * 4 + ["ReportFailure"]  # 1 try + 3 retries
    [failed] = r.publisher.events
    assert isinstance(failed, RefreshFailed) and failed.step == "FetchSchedule"
    assert failed.error_type == "UpstreamUnavailableError"


def test_errors_not_listed_are_not_retried():
    steps, sleeps = Steps({"FetchStage": [UpstreamAuthError("bad token")]}), list[float]()
    execution = runner(steps, sleeps).start(request(), "x")
    assert execution.status == "FAILED" and sleeps == [] and steps.calls == ["FetchStage", "ReportFailure"]


def test_duplicate_request_ends_quietly():
    class Dup(Steps):
        def __call__(self, step, state):
            self.calls.append(step.name)
            return {"duplicate": True}

    steps = Dup()
    r = runner(steps, [])
    assert r.start(request(), "x").status == "DUPLICATE"
    assert steps.calls == ["FetchStage"] and r.publisher.events == []


@pytest.mark.parametrize(("attempt", "cap"), [(1, 2), (2, 4), (3, 8), (5, 30), (9, 30)])
def test_retry_delay_is_backoff_with_full_jitter_and_a_cap(attempt, cap):
    policy = StepRetry(("X",), interval_seconds=2, backoff_rate=2, max_delay_seconds=30)
    rng = random.Random(7)
    delays = [retry_delay(policy, attempt, rng) for _ in range(200)]
    assert max(delays) <= cap and min(delays) >= 0 and max(delays) > cap * 0.8
    exact = StepRetry(("X",), interval_seconds=2, backoff_rate=2, max_delay_seconds=30, jitter=False)
    assert retry_delay(exact, attempt, rng) == cap
