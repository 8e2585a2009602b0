"""`python -m benchmarks soak`: `loadshed run` under faults, killed and restarted, with figures.

400 chats in 10 areas (half City of Cape Town), stage changes alternating national and Cape Town
so one region's change is detected while the other's fan-out runs; the fake Bot API answers 10%
of sends with 5xx, some after the client gave up (delivered, then retried: a duplicate we log),
and bursts of 429; eight chats block the bot midway; EskomSePush is down for a while; `loadshed
run` is killed with SIGKILL five times — three in the middle of fan-outs — and restarted on the
same database. People send /help and /refresh throughout. Printed: exactly-once %, losses,
duplicates by cause, stale deliveries, unanswered refreshes, lost replies, detection latency,
fan-out time ÷ ideal and RSS.
"""

from __future__ import annotations

import itertools
import json
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from benchmarks.loopback import LoopbackServer, Route
from benchmarks.soak_world import HEADER, Change, Monitor, Process, Upstreams, area_ids, seed
from tests.support.fake_bot_api import Chaos, FakeBotApi

RATE = 25.0
LATE_SECONDS = 11.0
PLAN = [  # (region, stage, kill after this many deliveries of the change; None: no kill)
    ("national", 2, None),
    ("capetown", 3, 40),
    ("national", 4, None),
    ("capetown", 1, 30),
    ("national", 6, 60),
    ("capetown", 5, None),
    ("national", 3, 50),
    ("capetown", 2, None),
    ("national", 1, 0),
    ("capetown", 0, None),
]


def wait(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


class Soak:
    def __init__(self, root: Path, chats_per_area: int = 40) -> None:
        self.root = root
        self.areas = area_ids(10)
        self.db = root / "loadshed.db"
        self.region_chats = seed(self.db, chats_per_area, self.areas)
        self.blocked = set(sorted(self.region_chats["national"])[:4] + sorted(self.region_chats["capetown"])[:4])
        self.blocked_at: float | None = None
        self.changes: list[Change] = []
        self.helps: dict[int, float] = {}
        self.refreshes: dict[int, float] = {}
        self.upstream = Upstreams()

    def told(self, api: FakeBotApi, change: Change) -> list[int]:
        return [d.chat_id for d in api.delivered if _is(d.text, change)]

    def expected(self, change: Change) -> set[int]:
        blocked = self.blocked if self.blocked_at is not None and self.blocked_at <= change.flipped_at else set()
        return change.chats - blocked

    def run(self) -> dict[str, object]:
        upstream = self.upstream
        routes: dict[str, Route] = {"/business/2.0/status": upstream.status, "/business/2.0/area": upstream.area}
        chaos = Chaos(fail_ratio=0.10, late_ratio=0.0015, late_seconds=LATE_SECONDS, burst_every=1500)
        with LoopbackServer(routes) as server, FakeBotApi(global_rate=30) as api:
            env = {"LOADSHED_SEND_RATE": str(RATE), "LOADSHED_POLL_SECONDS": "1", "LOADSHED_REMIND_SECONDS": "3600"}
            process = Process(self.db, api, server, env)
            monitor = Monitor(self.db, process, self.changes)
            monitor.start()
            process.start()
            everyone = self.region_chats["national"] | self.region_chats["capetown"]
            wait(lambda: api.commands != [] and len({d.chat_id for d in api.delivered}) >= len(everyone), 120)
            api.chaos = chaos
            for index, (region, stage, kill_after) in enumerate(PLAN):
                self._change(index, region, stage, kill_after, api, process)
            last = max(process.restarts)
            wait(lambda: all(set(self.told(api, c)) >= self.expected(c) for c in self.changes), 60)
            wait(lambda: self._answered(api), max(1.0, last + 60 - time.monotonic()))
            time.sleep(2.0)
            process.stop()
            monitor.halt.set()
            self._dump(api, process)
            return self.figures(api, process, chaos)

    def _dump(self, api: FakeBotApi, process: Process) -> None:
        """With SOAK_DUMP=DIR: every delivery, change and kill, and the process log, for a post-mortem."""
        target = os.environ.get("SOAK_DUMP")
        if not target:
            return
        out = Path(target)
        out.mkdir(parents=True, exist_ok=True)
        rows = [{"chat": d.chat_id, "at": d.at, "late": d.late, "text": d.text[:80]} for d in api.delivered]
        changes = [{"i": c.index, "region": c.region, "stage": c.stage, "at": c.flipped_at} for c in self.changes]
        body = {
            "deliveries": rows,
            "changes": changes,
            "kills": process.kills,
            "restarts": process.restarts,
            "our_429s": api.rejected_at,
        }
        (out / "soak.json").write_text(json.dumps(body, ensure_ascii=False))
        (out / "run.log").write_bytes(process.log.read_bytes())

    def _change(
        self, index: int, region: str, stage: int, kill_after: int | None, api: FakeBotApi, proc: Process
    ) -> None:
        if index == 2:
            api.blocked |= self.blocked  # eight chats block the bot midway
            self.blocked_at = time.monotonic()
        if index == 5:
            self.upstream.down = True  # an EskomSePush outage, with people asking for refreshes
            for chat in sorted(self.region_chats["national"])[10:15]:
                api.push_text(chat, "/refresh")
                self.refreshes[chat] = time.monotonic()
            time.sleep(6.0)
            self.upstream.down = False
        previous = self.upstream.stages[region]
        before = [c for c in self.changes if c.region == region]
        if before:  # the region's previous fact is fully told first: no change is superseded by design
            wait(lambda: set(self.told(api, before[-1])) >= self.expected(before[-1]), 60)
        change = Change(index, region, stage, time.monotonic(), set(self.region_chats[region]), previous)
        self.changes.append(change)
        self.upstream.flip(region, stage)
        for chat in sorted(self.region_chats[region])[20 + index : 22 + index]:
            api.push_text(chat, "/help")
            self.helps[chat] = time.monotonic()
        if index % 3 == 0:
            chat = sorted(self.region_chats[region])[40 + index]
            api.push_text(chat, "/refresh")
            self.refreshes[chat] = time.monotonic()
        if kill_after is not None:
            wait(lambda: len(self.told(api, change)) >= kill_after if kill_after else False, 30 if kill_after else 0.3)
            proc.kill()
            change.killed = True
            proc.start()
        wait(lambda: len(set(self.told(api, change))) >= len(self.expected(change)) // 2, 60)  # overlap the next

    def _answered(self, api: FakeBotApi) -> bool:
        helps = all(any("/search" in d.text for d in api.to(c)) for c in self.helps)
        refreshes = all(any(_refresh_answer(d.text) for d in api.to(c)) for c in self.refreshes)
        return helps and refreshes

    def figures(self, api: FakeBotApi, process: Process, chaos: Chaos) -> dict[str, object]:
        pairs = ok = lost = stale = 0
        duplicates: Counter[str] = Counter()
        for change in self.changes:
            counts = Counter(self.told(api, change))
            for chat in self.expected(change):
                pairs += 1
                n = counts.get(chat, 0)
                ok += n == 1
                lost += n == 0
                if n > 1:
                    duplicates[self._cause(api, change, chat, process)] += n - 1
        for chat in self.region_chats["national"] | self.region_chats["capetown"]:
            stale += self._stale(api, chat)
        detection = [c.detected_at - c.flipped_at for c in self.changes if c.detected_at is not None]
        # a restarted process cannot know what the dead one sent in its last second to a chat
        after_restart = sum(1 for at, _ in api.rejected_at if any(0 <= at - r < 3 for r in process.restarts[1:]))
        return {
            "chats": len(self.region_chats["national"] | self.region_chats["capetown"]),
            "changes": len(self.changes),
            "kills": len(process.kills),
            "kills_mid_fan_out": sum(1 for c in self.changes if c.killed and PLAN[c.index][2]),
            "injected": dict(api.injected),
            "pairs": pairs,
            "exactly_once_pct": 100.0 * ok / pairs if pairs else 0.0,
            "lost": lost,
            "duplicates": dict(duplicates),
            "stale": stale,
            "unanswered_refreshes": sum(not any(_refresh_answer(d.text) for d in api.to(c)) for c in self.refreshes),
            "lost_replies": sum(not any("/search" in d.text for d in api.to(c)) for c in self.helps),
            "detection_max_s": max(detection, default=float("nan")),
            "fan_out_over_ideal": self._fan_out_ratio(api),
            "429s_after_a_restart": after_restart,
            "our_429s": api.rejected_429 - after_restart,
            "rss_mb": process.rss_kb / 1024,
        }

    def _cause(self, api: FakeBotApi, change: Change, chat: int, process: Process) -> str:
        sent = [d for d in api.to(chat) if _is(d.text, change)]
        first = sent[0]
        answered_by = first.at + (LATE_SECONDS if first.late else 1.0)
        if any(first.at <= k <= answered_by for k in process.kills):
            return "in flight at a kill"  # sent, but its answer was still on the way when the process died
        if first.late:
            return "accepted-then-timed-out"
        return "other"

    def _stale(self, api: FakeBotApi, chat: int) -> int:
        seen = [i for d in api.to(chat) for i, c in enumerate(self.changes) if _is(d.text, c)]
        changes = self.changes
        return sum(1 for a, b in itertools.pairwise(seen) if b < a and changes[a].region == changes[b].region)

    def _fan_out_ratio(self, api: FakeBotApi) -> float:
        """Worst (last − first delivery) ÷ ((deliveries in that window − 1) / rate) over changes
        without a kill: how close the pipelined sends stay to the configured rate."""
        worst = 0.0
        for change in (c for c in self.changes if not c.killed):
            times = sorted(d.at for d in api.delivered if _is(d.text, change))
            if len(times) < 2:
                continue
            window = [d for d in api.delivered if times[0] <= d.at <= times[-1]]
            ideal = (len(window) - 1) / RATE
            worst = max(worst, (times[-1] - times[0]) / ideal if ideal else 0.0)
        return worst


def _is(text: str, change: Change) -> bool:
    m = HEADER.search(text)
    return m is not None and m.groups() == change.words()


def _refresh_answer(text: str) -> bool:
    return text.startswith("🔄 Refreshed") or text.startswith("Sorry, I could not finish the refresh")


def main() -> int:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="loadshed-soak-") as tmp:
        figures = Soak(Path(tmp)).run()
    print("soak: loadshed run under faults, SIGKILLed and restarted (see benchmarks/soak.py)")
    for key, value in figures.items():
        shown = f"{value:.2f}" if isinstance(value, float) else str(value)
        print(f"  {key:24} {shown}")
    met = (
        figures["exactly_once_pct"] >= 99.5  # type: ignore[operator]
        and figures["lost"] == 0
        and figures["stale"] == 0
        and figures["unanswered_refreshes"] == 0
        and figures["lost_replies"] == 0
        and figures["detection_max_s"] <= 3.0  # type: ignore[operator]
        and figures["fan_out_over_ideal"] <= 1.5  # type: ignore[operator]
        and figures["our_429s"] == 0
    )
    print(f"  targets (issue 9): {'met' if met else 'NOT met'}  [{time.monotonic() - started:.0f} s]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
