"""Pattern evaluations per second (the topology's patterns and 100 mixed patterns) and the time of
one next-fire computation. Targets on the 2-core machine: >= 50,000 evaluations/s, <= 1 ms per next-fire.

An evaluation is one (compiled pattern, flattened event) test, as the local bus runs them: the bus
flattens each event once and tests it against every rule; the flattening is timed separately."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from schemas import ALL_EVENTS, to_eventbridge
from schemas.examples import example
from services.patterns import compile_pattern, flatten
from services.schedule_expr import next_fire
from services.topology import TOPOLOGY

CRONS = ["cron(0 4 * * ? *)", "cron(5/1 9 * * ? *)", "cron(0 10 ? * 6L *)", "cron(0 8 15W * ? *)", "cron(0 0 29 2 ? *)"]


def _mixed(rng: random.Random) -> list[dict]:
    makers: list[Callable[[int], dict[str, Any]]] = [
        lambda i: {"source": [f"svc.{i}"]},
        lambda i: {"detail": {"stage": [{"numeric": [">", i % 8, "<=", 8]}]}},
        lambda i: {"detail": {"region": [{"prefix": "nat"}], "area_id": [{"anything-but": {"prefix": f"x{i}"}}]}},
        lambda i: {"detail-type": [{"equals-ignore-case": "stagechanged"}], "detail": {"x": [{"exists": False}]}},
        lambda i: {"detail": {"reason": [{"wildcard": f"*{i % 3}*"}]}},
        lambda i: {"$or": [{"detail": {"stage": [i % 8]}}, {"detail": {"region": ["capetown"]}}]},
        lambda i: {"detail": {"slots": {"start": [{"prefix": "2026"}]}}},
    ]
    return [makers[rng.randrange(len(makers))](i) for i in range(100)]


def _rate(patterns: list[dict], events: list[dict], seconds: float = 1.5) -> tuple[float, float]:
    compiled = [compile_pattern(p) for p in patterns]
    flats = [flatten(e) for e in events]
    evaluations, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for flat in flats:
            for c in compiled:
                c.matches_flat(flat)
        evaluations += len(flats) * len(compiled)
    rate = evaluations / (time.perf_counter() - start)
    start, n = time.perf_counter(), 0
    while time.perf_counter() - start < 0.5:
        for e in events:
            flatten(e)
        n += len(events)
    return rate, (time.perf_counter() - start) / n * 1e6


def main() -> int:
    events = [to_eventbridge(example(cls)) for cls in ALL_EVENTS]
    topology = [s.pattern for s in TOPOLOGY.subscriptions] + [w.started_by.pattern for w in TOPOLOGY.workflows]
    rate, flat_us = _rate(topology, events)
    print(f"topology patterns ({len(topology)}) x {len(events)} events: {rate:,.0f} evaluations/s")
    mixed_rate, _ = _rate(_mixed(random.Random(7)), events)
    print(f"100 mixed patterns x {len(events)} events: {mixed_rate:,.0f} evaluations/s")
    print(f"flattening one delivered event: {flat_us:.1f} µs")
    after = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)
    worst = 0.0
    for expression in CRONS:
        start = time.perf_counter()
        for i in range(200):
            next_fire(expression, "Africa/Johannesburg", after + timedelta(hours=7 * i))
        per_call = (time.perf_counter() - start) / 200 * 1000
        worst = max(worst, per_call)
        print(f"next fire {expression}: {per_call:.3f} ms/call")
    ok = rate >= 50_000 and mixed_rate >= 50_000 and worst <= 1.0
    print(f"targets (>= 50,000 evaluations/s, <= 1 ms per next-fire): {'met' if ok else 'NOT met'}")
    return 0
