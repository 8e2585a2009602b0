"""Embedded runtime latency and routing throughput (rate limiter off).

1,000 subscribers over 10 areas; the stage goes 2 → 4. Prints the time from the stage watcher
observing the change to the first and the last message handed to the messenger, and how many
events per second the local bus routes (pattern evaluation + durable delivery rows).
Targets: < 100 ms to the first message, ≥ 5,000 events/s routed.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path

from schemas import ALL_EVENTS
from schemas.examples import example
from services.adapters.memory import FakeTimetableSource, FixedClock
from services.domain.slots import SAST
from services.ports import Button, RegionStage, StageReading, SubscriptionRecord, Timetable, TimetableDay
from services.runtime.app import Adapters, build_runtime
from services.runtime.config import Config

SUBSCRIBERS, AREAS = 1000, 10


class TimedStage:
    name = "bench"

    def __init__(self) -> None:
        self.stage, self.observed_at = 2, 0.0

    def current(self) -> StageReading:
        self.observed_at = time.perf_counter()
        return StageReading((RegionStage("national", self.stage),), "eskom")


class TimedMessenger:
    def __init__(self) -> None:
        self.times: list[float] = []

    def send_text(
        self, chat_id: int, text: str, *, buttons: Sequence[Sequence[Button]] = (), silent: bool = False
    ) -> int:
        self.times.append(time.perf_counter())
        return len(self.times)

    def send_document(self, chat_id: int, filename: str, content: bytes, caption: str = "") -> int:
        return 0

    def answer_callback(self, callback_id: str, text: str = "") -> None:
        return None


def run() -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        clock = FixedClock(datetime(2026, 11, 25, 6, 0, tzinfo=SAST))
        stages = tuple((f"{8 + n}:00-{10 + n}:30",) for n in range(8))
        days = tuple(TimetableDay(date(2026, 11, 25) + timedelta(days=d), stages) for d in range(3))
        esp = FakeTimetableSource({f"area-{a}": Timetable(f"area-{a}", f"Area {a}", "R", days) for a in range(AREAS)})
        source, messenger = TimedStage(), TimedMessenger()
        rt = build_runtime(
            Config(db=str(Path(tmp) / "b.db")),
            Adapters(stage_source=source, timetables=esp, messenger=messenger, clock=clock),
        )
        for chat in range(1, SUBSCRIBERS + 1):
            area = f"area-{chat % AREAS}"
            rt.store.add_subscription(SubscriptionRecord(chat, area, area), [])
            rt.store.save_timetable(esp.area(area))
        rt.run_until_idle()
        messenger.times.clear()
        source.stage = 4
        clock.advance(minutes=5)
        rt.run_until_idle()
        first = (messenger.times[0] - source.observed_at) * 1000
        last = (messenger.times[-1] - source.observed_at) * 1000
        sent = len(messenger.times)
        samples = [example(cls) for cls in ALL_EVENTS]
        events = [samples[i % len(samples)] for i in range(20_000)]
        start = time.perf_counter()
        for i in range(0, len(events), 100):
            rt.bus.publish(events[i : i + 100])
        routed_per_s = len(events) / (time.perf_counter() - start)
        rt.close()
    return {
        "subscribers": SUBSCRIBERS,
        "messages": sent,
        "first_message_ms": first,
        "last_message_ms": last,
        "events_routed_per_s": routed_per_s,
    }


def main(argv: list[str] | None = None) -> int:
    figures = run()
    print("embedded runtime: stage change → messages (limiter off), and local bus routing")
    for key, value in figures.items():
        print(f"  {key:22} {value:12.1f}" if isinstance(value, float) else f"  {key:22} {value:>12}")
    ok = figures["first_message_ms"] < 100 and figures["events_routed_per_s"] >= 5000
    print(f"  targets (< 100 ms to first, ≥ 5,000 events/s): {'met' if ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
