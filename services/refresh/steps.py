"""The refresh workflow's steps — the same code under Step Functions and the local runner.

Each step takes the workflow state `{"request": <RefreshRequested detail>, "execution": name,
"results": {step: output}}` and returns a JSON-able output stored at `results[<step>]`. The last
step returns the `RefreshCompleted` detail and `ReportFailure` the `RefreshFailed` detail; the
runtime (the `events:putEvents` task, or the local runner) only ships them to the bus.

A rule target cannot name the execution, so `fetch_stage` claims the request id first: a
redelivered `RefreshRequested` finds it claimed by another execution and the workflow ends quietly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from schemas import RefreshCompleted, RefreshFailed, RefreshRequested, parse_detail
from services import keys, messages
from services.container import Container
from services.domain.areas import is_stale
from services.notifier.fanout import FanOutPlan, FanOutRuntime, fan_out
from services.relay import relay
from services.schedule_fetcher.logic import FetcherDeps, FetchReport, refresh_area
from services.stage_watcher.logic import poll

State = dict[str, Any]
CLAIM_TTL = 86400
REFETCH_AFTER = timedelta(hours=1)


class WorkflowInputError(ValueError):
    """The workflow state is not what the steps expect."""


@dataclass(frozen=True)
class StepContext:
    container: Container
    state: State

    @property
    def request(self) -> RefreshRequested:
        try:
            return parse_detail(RefreshRequested, self.state["request"])
        except KeyError:
            raise WorkflowInputError("workflow state has no 'request'") from None

    def result(self, step: str) -> dict[str, Any]:
        """A previous step's output (stored as `{"Payload": …}`, the shape Step Functions gives)."""
        value = self.state.get("results", {}).get(step, {})
        value = value.get("Payload", value) if isinstance(value, dict) else {}
        return value if isinstance(value, dict) else {}


def _owner_is_gone(owner: str | None, c: Container) -> bool:
    """Embedded: executions are named after the process that runs them, and this process owns
    the database (instance lock): a request held by another process's execution was interrupted
    by its death — take it over, so the requester still gets an answer. (On AWS a Step Functions
    execution outlives any sandbox; a second execution is a redelivery.)"""
    me = c.settings.get("owner")
    return bool(me) and owner is not None and f"-{me}-" not in owner


def fetch_stage(ctx: StepContext) -> dict[str, Any]:
    """Claim the request, then poll the stage (may raise UpstreamUnavailableError: retried)."""
    c, req = ctx.container, ctx.request
    execution = str(ctx.state.get("execution", ""))
    key, owner_key = keys.refresh_claim(req.request_id), keys.refresh_owner(req.request_id)
    if c.store.claim(key, c.clock.now(), CLAIM_TTL):
        c.store.put_value(owner_key, execution, ttl_seconds=CLAIM_TTL, now=c.clock.now())
    else:
        owner = c.store.get_value(owner_key, now=c.clock.now())
        if owner not in (None, execution) and not _owner_is_gone(owner, c):
            return {"duplicate": True}  # another live execution has this request: a redelivery
        c.store.put_value(owner_key, execution, ttl_seconds=CLAIM_TTL, now=c.clock.now())
    changes = poll(c.stage_source, c.store, c.publisher, c.clock, cause=req)
    national = c.store.get_stage("national")
    return {"duplicate": False, "stage": national.stage if national else None, "changed": len(changes) > 0}


def _areas(ctx: StepContext) -> list[str]:
    store, req = ctx.container.store, ctx.request
    if req.scope == "all":
        return store.subscribed_areas()
    return [s.area_id for s in store.chat_subscriptions(req.chat_id)]


def fetch_schedule(ctx: StepContext) -> dict[str, Any]:
    """Re-read the areas concerned: fetched again if older than an hour, else recomputed."""
    c = ctx.container
    deps = FetcherDeps(c.store, c.publisher, c.clock, c.timetables)
    report, now = FetchReport(), c.clock.now()
    for area in _areas(ctx):
        tt = c.store.get_timetable(area)
        stale = is_stale(tt.fetched_at if tt else None, now, REFETCH_AFTER)
        refresh_area(area, deps, fetch=stale, essential=False, cause=ctx.request, report=report, trigger="refresh")
    relay(c.store, c.publisher, c.clock)
    return {"areas": _areas(ctx), "fetched": report.fetched, "failed": report.failed}


def _summary(ctx: StepContext) -> str:
    c, now = ctx.container, ctx.container.clock.now()
    found = [c.store.get_stage("national"), c.store.get_stage("capetown")]
    status = messages.status([(r.region, r.stage, r.changed_at, r.next_stages) for r in found if r], now)
    return "🔄 Refreshed.\n" + status


def notify(ctx: StepContext) -> dict[str, Any]:
    """Answer the requesting chat (or, for a broadcast, every subscriber once) and build the
    `RefreshCompleted` detail."""
    c, req = ctx.container, ctx.request
    text = _summary(ctx)
    requester = {req.chat_id} if req.chat_id else set()  # chat 0: asked from the command line
    recipients = sorted(requester)
    if req.scope == "all":
        subscribers = {chat for area in c.store.subscribed_areas() for chat in c.store.area_subscribers(area)}
        recipients = sorted(subscribers | requester)
    plan = FanOutPlan("refresh", f"refresh:{req.request_id}", recipients, lambda _chat: text, req)
    result = fan_out(plan, FanOutRuntime(c.store, c.messenger(), c.clock))
    relay(c.store, c.publisher, c.clock)
    completed = RefreshCompleted(
        request_id=req.request_id,
        scope=req.scope,
        chat_id=req.chat_id,
        stage=ctx.result("FetchStage").get("stage"),
        areas=list(ctx.result("FetchSchedule").get("areas", [])),
        notified=len(result.sent),
        occurred_at=c.clock.now(),
        **req.caused(),
    )
    return {"completed": completed.model_dump(mode="json")}


def report_failure(ctx: StepContext) -> dict[str, Any]:
    """Tell the requesting chat the refresh failed, and build the `RefreshFailed` detail."""
    c, req = ctx.container, ctx.request
    error = dict(ctx.state.get("error") or {})
    try:  # Step Functions' Cause for a Lambda error is the runtime's JSON; keep only its message
        cause = json.loads(str(error.get("Cause", "")))
        error["Cause"] = cause.get("errorMessage", "") if isinstance(cause, dict) else str(cause)
    except ValueError:
        pass
    failed_step = str(ctx.state.get("failed_step") or "unknown")
    try:
        if req.chat_id:
            c.messenger().send_text(req.chat_id, messages.refresh_failed(failed_step))
    except Exception as exc:
        error = {**error, "notify_error": type(exc).__name__}
    failed = RefreshFailed(
        request_id=req.request_id,
        scope=req.scope,
        chat_id=req.chat_id,
        step=failed_step,
        error_type=str(error.get("Error", "Unknown"))[:200],
        error=str(error.get("Cause", ""))[:500],
        occurred_at=c.clock.now(),
        **req.caused(),
    )
    return {"failed": failed.model_dump(mode="json")}


STEPS = {
    "fetch_stage": fetch_stage,
    "fetch_schedule": fetch_schedule,
    "notify": notify,
    "report_failure": report_failure,
}
