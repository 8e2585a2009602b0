"""The fetcher against the real ESP client on a loopback server: a 400 for one area of several,
its back-off, a quota stop, and the quota kept for `status` — from the documented behaviour in
tests/fixtures/SOURCES.md (400 bad request, 429 quota, `x-ratelimit-*` on v3.1)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from services.adapters.esp import EskomSePushClient
from services.adapters.http import retrying_session
from services.adapters.memory import FixedClock, InMemoryStore, RecordingPublisher
from services.domain.slots import SAST
from services.ports import StageRecord, SubscriptionRecord
from services.schedule_fetcher import rejections
from services.schedule_fetcher.logic import FetcherDeps, daily
from services.upstream_health import record_quota, stored_quota
from tests.conftest import FIXTURES

GOOD = ["eskde-10-fourways", "eskde-11-radiokop"]
BAD = "eskde-1-broken"
START = datetime(2026, 11, 23, 6, 0, tzinfo=SAST)


def _serve(server: HTTPServer, calls: list[str], quota_left: list[int]) -> None:
    area = (FIXTURES / "esp/v2/area.json").read_text()

    def handler(request: Request) -> Response:
        area_id = request.args["id"]
        calls.append(area_id)
        quota_left[0] -= 1
        headers = {"x-ratelimit-limit": "50", "x-ratelimit-remaining": str(max(quota_left[0], 0))}
        if quota_left[0] < 0:
            return Response(
                json.dumps({"error": "Token quota exceeded"}), 429, headers, content_type="application/json"
            )
        if area_id == BAD:
            return Response(json.dumps({"error": "Invalid area id"}), 400, headers, content_type="application/json")
        return Response(area, 200, headers, content_type="application/json")

    server.expect_request("/business/3.1/area").respond_with_handler(handler)


def _world(server: HTTPServer) -> tuple[FetcherDeps, InMemoryStore, FixedClock]:
    store, clock = InMemoryStore(), FixedClock(START)
    client = EskomSePushClient(
        "tok",
        server.url_for("/business/3.1"),
        retrying_session(backoff=0.01),
        on_quota=lambda q: record_quota(store, q),
    )
    for i, area in enumerate([BAD, *GOOD]):
        store.add_subscription(SubscriptionRecord(i + 1, area, area), [])
    store.save_stage(StageRecord("national", 2, START), None, [])
    return FetcherDeps(store, RecordingPublisher(), clock, client), store, clock


def test_a_400_for_one_area_leaves_the_others_fetched_and_is_asked_at_most_three_times_a_day(httpserver):
    calls: list[str] = []
    _serve(httpserver, calls, [50])
    deps, store, clock = _world(httpserver)
    report = daily(deps)
    assert sorted(report.fetched) == sorted(GOOD) and report.failed == [BAD]
    assert len(deps.publisher.events) == 2  # type: ignore[attr-defined]
    found = rejections.get(store, BAD, clock.now())
    assert found is not None and "Invalid area id" in found.error and found.tries == 1
    for _ in range(47):  # every 30 minutes for 23.5 h: the good areas are fresh, the bad one is retried
        clock.advance(minutes=30)
        daily(deps)
    assert calls.count(BAD) == 3 and calls.count(GOOD[0]) == 2  # the good ones once more after 20 h
    clock.advance(minutes=30)
    daily(deps)
    assert calls.count(BAD) == 4  # a day after the first try
    quota = stored_quota(store, clock.now())
    assert quota is not None and quota.limit == 50 and quota.used == len(calls)


def test_quota_exhausted_stops_the_run_instead_of_failing_every_area(httpserver):
    calls: list[str] = []
    _serve(httpserver, calls, [0])
    deps, store, _ = _world(httpserver)
    report = daily(deps)
    assert len(calls) == 1 and len(report.failed) == 1 and len(report.skipped) == 2
    quota = stored_quota(store, START + timedelta(minutes=1))
    assert quota is not None and quota.remaining == 0
