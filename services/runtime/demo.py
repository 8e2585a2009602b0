"""`loadshed demo`: the whole story offline — the real runtime with simulated upstreams and chats.

Not a separate code path: `build_runtime` (the embedded bootstrap) with a simulated stage source,
timetable source, chat and clock plugged in; real SQLite in a temporary directory, the real local
bus routed by the topology, the real workflow runner with the real retry policy.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TextIO

from services.adapters.memory import FakeTimetableSource, FixedClock
from services.bot.logic import handle_update
from services.bot.updates import Update
from services.domain.slots import SAST
from services.ports import (
    ChatUnavailableError,
    RegionStage,
    StageReading,
    Timetable,
    TimetableDay,
    UpstreamUnavailableError,
)
from services.runtime.app import Adapters, Runtime, build_runtime
from services.runtime.bus import Routed
from services.runtime.config import Config
from services.runtime.console import ConsoleMessenger, line_to_update, plain

THANDI, SIPHO = 1001, 1002
OBS, SANDTON = "capetown-15-observatory", "eskde-4-sandtonwest"


def _timetable(area_id: str, name: str, region: str, start: date, base: list[str]) -> Timetable:
    """A 7-day, 8-stage timetable: stage n adds the n-th window of `base`."""
    stages = tuple(tuple(base[: n + 1]) for n in range(8))
    return Timetable(area_id, name, region, tuple(TimetableDay(start + timedelta(days=d), stages) for d in range(7)))


class SimStage:
    name = "eskom (simulated)"

    def __init__(self) -> None:
        self.stage, self.fail_next, self.calls = 0, 0, 0

    def current(self) -> StageReading:
        self.calls += 1
        if self.fail_next:
            self.fail_next -= 1
            raise UpstreamUnavailableError("simulated Eskom timeout")
        return StageReading((RegionStage("national", self.stage),), "eskom")


class SimChats(ConsoleMessenger):
    """Prints each message into the timeline; chats in `blocked` answer like Telegram's 403."""

    def __init__(self, out: TextIO, clock: FixedClock, quiet: bool) -> None:
        super().__init__(out)
        self.clock, self.quiet, self.blocked = clock, quiet, set[int]()
        self.sent: list[tuple[int, str]] = []

    def _print(self, chat_id: int, text: str) -> int:
        if chat_id in self.blocked:
            raise ChatUnavailableError(chat_id, "bot_blocked", "Forbidden: bot was blocked by the user")
        self.sent.append((chat_id, text))
        if not self.quiet:
            first, *rest = plain(text).splitlines() or [""]
            lines = [f"{self.clock.now().astimezone(SAST):%H:%M}  ✉  chat {chat_id}: {first}"]
            lines += [f"{'':20}{line}" for line in rest[:6]]
            print("\n".join(lines), file=self.out)
        return len(self.sent)


class Demo:
    def __init__(self, out: TextIO, quiet: bool, db: Path) -> None:
        self.out, self.quiet = out, quiet
        self.clock = FixedClock(datetime(2026, 11, 25, 5, 0, tzinfo=SAST))
        today = self.clock.now().date()
        self.stage = SimStage()
        self.esp = FakeTimetableSource(
            {
                OBS: _timetable(
                    OBS,
                    "Observatory (15)",
                    "City of Cape Town",
                    today,
                    ["12:00-14:30", "20:00-22:30", "04:00-06:30", "16:00-18:30", "08:00-10:30"],
                ),
                SANDTON: _timetable(
                    SANDTON,
                    "Sandton-WEST (4)",
                    "Eskom Direct, Johannesburg",
                    today,
                    ["10:00-12:30", "18:00-20:30", "02:00-04:30", "14:00-16:30", "22:00-00:30"],
                ),
            }
        )
        self.esp.clock = self.clock
        self.chats = SimChats(out, self.clock, quiet)
        self.events: Counter[str] = Counter()
        self.retries = 0
        self.runtime: Runtime = build_runtime(
            Config(db=str(db)),
            Adapters(self.stage, self.esp, self.chats, self.clock, self._sleep, self._routed),
            bot_username="loadshed_demo_bot",
        )

    def _sleep(self, seconds: float) -> None:
        self.retries += 1
        self.clock.advance(seconds=seconds)

    def _routed(self, routed: Routed) -> None:
        self.events[routed.event.DETAIL_TYPE] += 1
        if not self.quiet:
            targets = ", ".join(routed.targets) or "(no subscriber: archive and registry only)"
            print(
                f"{self.clock.now().astimezone(SAST):%H:%M}  ⚑  {routed.event.DETAIL_TYPE:<19} "
                f"{routed.event.SOURCE} → {targets}",
                file=self.out,
            )

    def say(self, chat: int, line: str) -> None:
        if not self.quiet:
            print(f"{self.clock.now().astimezone(SAST):%H:%M}  ⌨  chat {chat} types: {line}", file=self.out)
        raw = line_to_update(line, self.chats, chat)
        if raw is not None:
            handle_update(Update.model_validate(raw), self.runtime.bot)
        self.runtime.run_until_idle()

    def step(self, title: str) -> None:
        if not self.quiet:
            print(f"\n— {title}", file=self.out)

    def until(self, hhmm: str) -> None:
        """Let simulated time pass in 5-minute steps (schedules fire as they would) up to HH:MM."""
        hours, minutes = (int(x) for x in hhmm.split(":"))
        target = self.clock.now().astimezone(SAST).replace(hour=hours, minute=minutes)
        while self.clock.now() < target:
            self.clock.advance(minutes=5)
            self.runtime.run_until_idle()

    def story(self) -> None:
        self.step("05:00 the bot starts: first stage poll (no load shedding)")
        self.runtime.run_until_idle()
        self.step("Thandi finds her area and subscribes by tapping a search result")
        self.say(THANDI, "/search Observatory")
        self.say(THANDI, "tap 1")
        self.step("Sipho subscribes to Sandton")
        self.say(SIPHO, "/search Sandton")
        self.say(SIPHO, "tap 1")
        self.until("05:55")
        self.step("06:00 Eskom announces Stage 4")
        self.stage.stage = 4
        self.until("06:00")
        self.until("08:55")
        self.step("Sipho blocks the bot; 09:00 Eskom drops to Stage 2")
        self.chats.blocked.add(SIPHO)
        self.stage.stage = 2
        self.until("09:00")
        self.step("Time passes: a reminder before Thandi's 12:00 outage")
        self.until("11:30")
        self.step("Thandi asks for a refresh; Eskom times out once and the retry policy absorbs it")
        self.stage.fail_next = 1
        self.say(THANDI, "/refresh")


class _TimelineLog(logging.Handler):
    """Warnings from the services, shown in the timeline where they happen."""

    def __init__(self, out: TextIO, clock: FixedClock, quiet: bool) -> None:
        super().__init__(logging.WARNING)
        self.out, self.clock, self.quiet = out, clock, quiet

    def emit(self, record: logging.LogRecord) -> None:
        if not self.quiet:
            print(f"{self.clock.now().astimezone(SAST):%H:%M}  !  {record.getMessage()}", file=self.out)


def run_demo(out: TextIO, quiet: bool = False) -> int:
    started = time.perf_counter()
    root = logging.getLogger()
    with tempfile.TemporaryDirectory(prefix="loadshed-demo-") as tmp:
        demo = Demo(out, quiet, Path(tmp) / "demo.db")
        handler = _TimelineLog(out, demo.clock, quiet)
        saved = root.handlers[:], root.level
        root.handlers[:], root.level = [handler], logging.WARNING
        try:
            demo.story()
            runtime = demo.runtime
            executions = [e.status for e in runtime.runner.executions]
            dead = runtime.queue.dead_letters()
            subs = {chat: [s.area_id for s in runtime.store.chat_subscriptions(chat)] for chat in (THANDI, SIPHO)}
        finally:
            demo.runtime.close()
            root.handlers[:], root.level = saved
    duplicates = sum(n - 1 for n in Counter(demo.chats.sent).values() if n > 1)
    reminders = sum("power goes off" in text for _, text in demo.chats.sent)
    print("\nSummary", file=out)
    rows = [
        ("events routed", ", ".join(f"{k} {v}" for k, v in sorted(demo.events.items()))),
        ("messages sent", str(len(demo.chats.sent))),
        ("reminders", str(reminders)),
        ("duplicate messages", str(duplicates)),
        ("refresh workflow", f"{', '.join(executions)}; retries absorbed: {demo.retries}"),
        ("subscriptions now", f"Thandi {subs[THANDI]}, Sipho {subs[SIPHO] or '[] (blocked the bot)'}"),
        ("upstream calls", f"stage {demo.stage.calls}, EskomSePush {len(demo.esp.calls) + len(demo.esp.searches)}"),
        ("dead letters", str(len(dead))),
        ("wall time", f"{time.perf_counter() - started:.1f} s"),
    ]
    for key, value in rows:
        print(f"  {key:20} {value}", file=out)
    ok = executions == ["SUCCEEDED"] and duplicates == 0 and reminders >= 1 and not dead and not subs[SIPHO]
    return 0 if ok else 1
