"""Lambda entrypoint of the schedule fetcher (StageChanged, SubscriptionChanged, daily schedule)."""

from __future__ import annotations

from typing import Any

from schemas import StageChanged, SubscriptionChanged
from services import bootstrap
from services.lambda_support import dispatch
from services.schedule_fetcher.logic import FetcherDeps, FetchReport, daily, on_stage_changed, on_subscription_changed


def deps() -> FetcherDeps:
    c = bootstrap.container()
    return FetcherDeps(c.store, c.publisher, c.clock, c.timetables, areas_of_interest=c.config.areas_of_interest)


def _summary(report: FetchReport) -> dict[str, Any]:
    return {
        "fetched": report.fetched,
        "skipped": report.skipped,
        "failed": report.failed,
        "published": [e.area_id for e in report.published],
    }


def handle(event: Any, context: Any = None) -> dict[str, Any]:
    d = deps()
    report: FetchReport = dispatch(
        event,
        {StageChanged: lambda e: on_stage_changed(e, d), SubscriptionChanged: lambda e: on_subscription_changed(e, d)},
        {"daily": lambda: daily(d)},
    )
    return _summary(report)
