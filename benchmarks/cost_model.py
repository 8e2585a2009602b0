"""Monthly AWS cost for a load, from what the embedded runtime does for that load.

One simulated day runs through the real embedded runtime (real services, local bus, workflow
runner, scheduler) with a metered store. Counted: Lambda invocations and handler time per service,
PutEvents entries, Step Functions state transitions, Scheduler invocations, messages sent, and
DynamoDB request units (each store call priced as `DynamoDBStore` performs it). Time sending to
Telegram is added at the configured send rate (the run itself has the limiter off). ×30 = a month.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from services.adapters.memory import FakeTimetableSource, FixedClock, InMemoryStore
from services.bot.logic import handle_update
from services.bot.updates import Update
from services.domain.slots import SAST
from services.ports import Button, RegionStage, StageReading, SubscriptionRecord, Timetable, TimetableDay
from services.runtime.app import Adapters, build_runtime
from services.runtime.config import Config
from services.topology import TOPOLOGY

PRICES_DATE = "2026-11-25"
SLOT_BLOCK = 10
PRICES = {  # USD, us-east-1 list prices (af-south-1 is higher: scale the total by ~1.25 there)
    "lambda_request": 0.20 / 1e6,
    "lambda_arm_gb_second": 0.0000133334,
    "eventbridge_custom_event": 1.00 / 1e6,
    "scheduler_invocation": 1.00 / 1e6,
    "sfn_standard_transition": 25.00 / 1e6,
    "dynamodb_wru": 0.625 / 1e6,
    "dynamodb_rru": 0.125 / 1e6,
    "cloudwatch_alarm_month": 0.10,
}
FREE_MONTHLY = {
    "lambda_request": 1e6,
    "lambda_arm_gb_second": 400_000,
    "scheduler_invocation": 14e6,
    "sfn_standard_transition": 4000,
    "cloudwatch_alarm_month": 10,
}

# DynamoDB request units per store call, as DynamoDBStore performs it (strongly consistent reads;
# transactions cost double; item sizes: timetable ≈ 8 KB, schedule ≈ 2 KB, everything else < 1 KB).
Units = Callable[[tuple[Any, ...], Any], tuple[float, float]]
UNITS: dict[str, Units] = {
    "get_stage": lambda a, r: (1, 0),
    "save_stage": lambda a, r: (0, 2 * (1 + len(a[2]))),
    "claim_outbox": lambda a, r: (1, len(r)),
    "mark_published": lambda a, r: (0, len(a[0])),
    "outbox_depth": lambda a, r: (1, 0),
    "enqueue": lambda a, r: (0, len(a[0])),
    "get_timetable": lambda a, r: (2, 0),
    "save_timetable": lambda a, r: (0, 8),
    "get_schedule": lambda a, r: (1, 0),
    "record_schedule": lambda a, r: (0, 2 * (2 + len(a[3]))),
    "add_subscription": lambda a, r: (0, 2 * (3 + len(a[1]))),
    "remove_subscription": lambda a, r: (0, 2 * (3 + len(a[2]))),
    "chat_subscriptions": lambda a, r: (1, 0),
    "area_subscribers": lambda a, r: (max(1, len(r) / 40), 0),
    "subscribed_areas": lambda a, r: (max(1, len(r) / 80), 0),
    "get_settings": lambda a, r: (1, 0),
    "save_settings": lambda a, r: (0, 1),
    "claim": lambda a, r: (0, 1),
    "release": lambda a, r: (0, 1),
    "get_value": lambda a, r: (1, 0),
    "put_value": lambda a, r: (0, 1),
}


class MeteredStore:
    """The Store port, counting DynamoDB request units per call."""

    def __init__(self, inner: InMemoryStore) -> None:
        self.inner, self.rru, self.wru, self.calls = inner, 0.0, 0.0, Counter[str]()

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.inner, name)
        if name not in UNITS:
            return attr

        def metered(*args: Any, **kwargs: Any) -> Any:
            result = attr(*args, **kwargs)
            read, write = UNITS[name](args, result)
            self.rru, self.wru = self.rru + read, self.wru + write
            self.calls[name] += 1
            return result

        return metered


class CountingMessenger:
    def __init__(self) -> None:
        self.sent = 0

    def send_text(
        self, chat_id: int, text: str, *, buttons: Sequence[Sequence[Button]] = (), silent: bool = False
    ) -> int:
        self.sent += 1
        return self.sent

    def send_document(self, chat_id: int, filename: str, content: bytes, caption: str = "") -> int:
        self.sent += 1
        return self.sent

    def answer_callback(self, callback_id: str, text: str = "") -> None:
        return None


class SimStage:
    name = "eskom"

    def __init__(self) -> None:
        self.stage = 0

    def current(self) -> StageReading:
        return StageReading((RegionStage("national", self.stage),), "eskom")


def simulate(
    subscribers: int, areas: int, changes: int, poll_minutes: int, refreshes: int, checkpoint_every: int
) -> dict[str, float]:
    """One simulated day; returns daily counts."""
    clock = FixedClock(datetime(2026, 11, 25, 0, 0, tzinfo=SAST))
    day = clock.now().date()
    windows = [f"{h:02d}:00-{h + 2:02d}:30" for h in (0, 4, 8, 12, 16, 20, 2, 6)]
    esp = FakeTimetableSource(
        {
            f"area-{a}": Timetable(
                f"area-{a}",
                f"Area {a}",
                "R",
                tuple(
                    TimetableDay(
                        day + timedelta(days=d),
                        tuple(tuple(windows[(a + i) % 8] for i in range(n + 1)) for n in range(8)),
                    )
                    for d in range(3)
                ),
            )
            for a in range(areas)
        }
    )
    esp.clock, esp.limit = clock, 10**9  # quota is not what this models
    store, tg, stage = MeteredStore(InMemoryStore()), CountingMessenger(), SimStage()
    invocations: Counter[str] = Counter()
    seconds: dict[str, float] = defaultdict(float)
    with tempfile.TemporaryDirectory() as tmp:
        rt = build_runtime(
            Config(db=str(Path(tmp) / "c.db"), poll_seconds=poll_minutes * 60.0),
            Adapters(stage_source=stage, timetables=esp, messenger=tg, clock=clock, store=store),
        )
        rt.container.config = replace(rt.container.config, fanout_checkpoint=checkpoint_every)  # as deployed
        for chat in range(1, subscribers + 1):
            area = f"area-{chat % areas}"
            store.inner.add_subscription(SubscriptionRecord(chat, area, area), [])
            store.inner.save_timetable(esp.area(area))

        def timed(service: str, fn: Callable[..., Any]) -> Callable[..., Any]:
            def run(*args: Any) -> Any:
                started = time.perf_counter()
                try:
                    return fn(*args)
                finally:
                    invocations[service] += 1
                    seconds[service] += time.perf_counter() - started

            return run

        for name, fn in list(rt.dispatcher.targets.items()):
            if not name.startswith("workflow:"):
                rt.dispatcher.targets[name] = timed(name, fn)
        from services.runtime import app

        real_handler_for = app.handler_for
        app.handler_for = lambda service: timed(service, real_handler_for(service))  # scheduled invocations
        published = Counter[str]()
        real_publish = rt.bus.publish

        def publish(events: Sequence[Any]) -> None:
            published.update(type(e).__name__ for e in events)
            real_publish(events)

        rt.bus.publish = publish  # type: ignore[method-assign]
        sequence = [2, 4, 6, 4, 2, 0][:changes] if changes <= 6 else [2, 4] * (changes // 2)
        change_ticks = {int((i + 0.5) * 288 / max(len(sequence), 1)): s for i, s in enumerate(sequence)}
        refresh_ticks = {int((i + 0.3) * 288 / max(refreshes, 1)) for i in range(refreshes)}
        try:
            rt.run_until_idle()
            for tick in range(288):
                clock.advance(minutes=5)
                if tick in change_ticks:
                    stage.stage = change_ticks[tick]
                if tick in refresh_ticks:
                    chat = 1 + tick % subscribers
                    started = time.perf_counter()
                    handle_update(
                        Update.model_validate(
                            {
                                "update_id": 10_000 + tick,
                                "message": {
                                    "message_id": 1,
                                    "chat": {"id": chat, "type": "private"},
                                    "text": "/refresh",
                                    "entities": [{"type": "bot_command", "offset": 0, "length": 8}],
                                },
                            }
                        ),
                        rt.bot,
                    )
                    invocations["bot"] += 1
                    seconds["bot"] += time.perf_counter() - started
                rt.run_until_idle()
        finally:
            app.handler_for = real_handler_for
            rt.close()
    steps = [e for e in rt.runner.executions]
    transitions = sum(3 + sum(e.attempts.values()) + (3 if e.status == "FAILED" else 0) for e in steps)
    invocations["refresh"] += sum(sum(e.attempts.values()) for e in steps)
    memory = {s.name: s.memory_mb / 1024 for s in TOPOLOGY.services}
    send_seconds = tg.sent / 25.0  # the shared limiter's default rate
    gb_seconds = sum(seconds[s] * memory.get(s, 0.25) for s in seconds) + send_seconds * memory["notifier"]
    return {
        "lambda_request": float(sum(invocations.values())),
        "lambda_arm_gb_second": gb_seconds,
        "eventbridge_custom_event": float(sum(published.values())),
        "scheduler_invocation": 2 * 24 * 60 / 5 + 1,
        "sfn_standard_transition": float(transitions),
        # + the shared send slots (services/adapters/dynamodb_slots.py): per block of 5 messages one
        # consistent read (1 RRU) and one conditional write (1 WRU); contention retries not counted
        "dynamodb_wru": store.wru + tg.sent / SLOT_BLOCK,
        "dynamodb_rru": store.rru + tg.sent / SLOT_BLOCK,
        "messages": float(tg.sent),
        "_slot_calls": 2 * tg.sent / SLOT_BLOCK,
        "_checkpoint": float(checkpoint_every),
        **{f"_calls_{k}": float(v) for k, v in store.calls.items()},
    }


def alarms() -> int:
    """As deployed: one alarm per dead-letter queue (2), per function's errors, and failed refreshes."""
    return 2 + len(TOPOLOGY.services) + 1


def monthly(daily: dict[str, float], free_tier: bool) -> dict[str, float]:
    month = {k: v * 30 for k, v in daily.items() if k in PRICES}
    month["cloudwatch_alarm_month"] = float(alarms())
    cost = {}
    for key, amount in month.items():
        billable = max(0.0, amount - FREE_MONTHLY.get(key, 0)) if free_tier else amount
        cost[key] = billable * PRICES[key]
    return cost


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="AWS $/month for a load, from the embedded runtime's counts")
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--areas", type=int, default=250)
    parser.add_argument("--changes-per-day", type=int, default=6)
    parser.add_argument("--poll-minutes", type=int, default=5)
    parser.add_argument("--refreshes-per-day", type=int, default=20)
    parser.add_argument("--checkpoint", type=int, default=25, help="fan-out cursor written every N messages")
    args = parser.parse_args(argv or [])
    started = time.perf_counter()
    daily = simulate(
        args.subscribers, args.areas, args.changes_per_day, args.poll_minutes, args.refreshes_per_day, args.checkpoint
    )
    print(
        f"cost model: {args.subscribers} subscribers in {args.areas} areas, {args.changes_per_day} stage changes/day, "
        f"{args.poll_minutes}-min polling, {args.refreshes_per_day} refreshes/day, checkpoint every {args.checkpoint} "
        f"(prices of {PRICES_DATE}, us-east-1)"
    )
    print(f"  {'item':26} {'per day':>14} {'per month':>14} {'$/month':>9} {'$/month (free tier)':>20}")
    paid, free = monthly(daily, False), monthly(daily, True)
    for key in PRICES:
        per_day = daily.get(key, alarms() / 30)
        print(f"  {key:26} {per_day:14,.1f} {per_day * 30:14,.0f} {paid[key]:9.3f} {free[key]:20.3f}")
    print(f"  messages sent per day: {daily['messages']:,.0f}   (simulated in {time.perf_counter() - started:.1f} s)")
    slot_calls = daily["_slot_calls"]
    print(f"  shared send-slot table calls per day: {slot_calls:,.0f} (blocks of {SLOT_BLOCK}, in the figures)")
    top = sorted(((v, k[7:]) for k, v in daily.items() if k.startswith("_calls_")), reverse=True)[:5]
    print("  busiest store calls per day: " + ", ".join(f"{name} {count:,.0f}" for count, name in top))
    variable = sum(v for k, v in paid.items() if k != "cloudwatch_alarm_month")
    print(
        f"  total $/month: {sum(paid.values()):.2f} without free tier (usage {variable:.2f} + alarms "
        f"{paid['cloudwatch_alarm_month']:.2f}); {sum(free.values()):.2f} with the always-free tier"
    )
    print(
        f"  target < $1/month: {'met' if sum(free.values()) < 1 else 'NOT met'} (with free tier), "
        f"{'met' if variable < 1 else 'NOT met'} (usage without free tier)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
