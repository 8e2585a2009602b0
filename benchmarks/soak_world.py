"""The soak's world: loopback EskomSePush (status for both regions, areas, an outage switch), the
chaotic fake Bot API, `loadshed run` as a process to kill and restart, and the bookkeeping of
what each chat was told."""

from __future__ import annotations

import copy
import json
import os
import re
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from benchmarks.loopback import LoopbackServer
from services.adapters.sqlite_store import SQLiteStore
from services.domain.slots import SAST
from services.ports import SubscriptionRecord
from tests.support.fake_bot_api import FakeBotApi

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "esp" / "v2"
HEADER = re.compile(
    r"⚡ <b>(Stage \d|Load shedding suspended)</b> — (Eskom \(national\)|City of Cape Town)(?: \(was ([^)]*)\))?"
)
REGION_WORDS = {"national": "Eskom (national)", "capetown": "City of Cape Town"}


def area_ids(areas: int) -> dict[str, list[str]]:
    half = areas // 2
    return {
        "capetown": [f"capetown-{i}-soakarea{i}" for i in range(1, half + 1)],
        "national": [f"eskde-{i}-soakarea{i}" for i in range(1, areas - half + 1)],
    }


@dataclass
class Change:
    index: int
    region: str
    stage: int
    flipped_at: float
    chats: set[int]
    previous: int | None = None
    detected_at: float | None = None
    killed: bool = False

    def words(self) -> tuple[str, str, str | None]:
        """The stage message's header: stage, region and "(was …)"."""
        previous = self.previous
        was = None if previous is None else ("load shedding suspended" if previous == 0 else f"Stage {previous}")
        return ("Load shedding suspended" if self.stage == 0 else f"Stage {self.stage}", REGION_WORDS[self.region], was)


@dataclass
class Upstreams:
    """ESP's `status` (both regions) and `area`, with an outage switch."""

    stages: dict[str, int] = field(default_factory=lambda: {"national": 0, "capetown": 0})
    updated: dict[str, str] = field(default_factory=dict)
    down: bool = False

    def status(self, query: str, body: bytes) -> tuple[int, bytes, dict[str, str]]:
        if self.down:
            return 503, b'{"error": "outage"}', {}
        regions = {}
        for key, region in (("eskom", "national"), ("capetown", "capetown")):
            updated = self.updated.get(region, "2026-11-26T00:00:00+02:00")
            regions[key] = {"name": key, "stage": str(self.stages[region]), "stage_updated": updated, "next_stages": []}
        return 200, json.dumps({"status": regions}).encode(), {}

    def area(self, query: str, body: bytes) -> tuple[int, bytes, dict[str, str]]:
        if self.down:
            return 503, b'{"error": "outage"}', {}
        payload = copy.deepcopy(json.loads((FIXTURES / "area.json").read_text()))
        payload["events"] = []
        today = datetime.now(SAST).date()
        for i, day in enumerate(payload["schedule"]["days"]):
            day["date"] = (today + timedelta(days=i)).isoformat()
        return 200, json.dumps(payload).encode(), {}

    def flip(self, region: str, stage: int) -> None:
        self.stages[region] = stage
        self.updated[region] = datetime.now(timezone.utc).isoformat()


class Process:
    """`loadshed run` on one database: start, kill -9, stop; samples its RSS."""

    def __init__(self, db: Path, api: FakeBotApi, server: LoopbackServer, env: dict[str, str]) -> None:
        self.db, self.api, self.server, self.env = db, api, server, env
        self.proc: subprocess.Popen[bytes] | None = None
        self.rss_kb = 0
        self.kills: list[float] = []
        self.restarts: list[float] = []
        self.log = db.parent / "run.log"

    def start(self) -> None:
        env = {
            **os.environ,
            **self.env,
            "TELEGRAM_BOT_TOKEN": self.api.token,
            "TELEGRAM_API_URL": self.api.url,
            "ESKOMSEPUSH_TOKEN": "soak",
            "ESKOMSEPUSH_API_URL": f"{self.server.url}/business/2.0",
            "LOADSHED_STAGE_SOURCE": "eskomsepush",
            "LOADSHED_DB": str(self.db),
        }
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "services.cli.main", "run"], cwd=ROOT, env=env, stdout=out, stderr=out
            )
        self.restarts.append(time.monotonic())

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(timeout=10)
        self.kills.append(time.monotonic())

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=15)

    def sample(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    self.rss_kb = max(self.rss_kb, int(line.split()[1]))
        except OSError:
            return


def seed(db: Path, chats_per_area: int, areas: dict[str, list[str]]) -> dict[str, set[int]]:
    """Subscriptions written before the first start; returns the chats of each region."""
    db.parent.mkdir(parents=True, exist_ok=True)
    store = SQLiteStore(db)
    chats: dict[str, set[int]] = {"national": set(), "capetown": set()}
    chat = 10_000
    for region, ids in areas.items():
        for area in ids:
            for _ in range(chats_per_area):
                chat += 1
                store.add_subscription(SubscriptionRecord(chat, area, area), [])
                chats[region].add(chat)
    store.close()
    return chats


class Monitor(threading.Thread):
    """Reads the database (read-only) every 50 ms to see when each change is recorded."""

    def __init__(self, db: Path, process: Process, changes: list[Change]) -> None:
        super().__init__(daemon=True)
        self.db, self.process, self.changes = db, process, changes
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.wait(0.05):
            self.process.sample()
            pending = [c for c in self.changes if c.detected_at is None]
            if not pending or not self.db.exists():
                continue
            try:
                conn = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=1)
                rows = dict(conn.execute("SELECT region, stage FROM stages").fetchall())
                conn.close()
            except sqlite3.Error:
                continue
            for change in pending:
                if rows.get(change.region) == change.stage:
                    change.detected_at = time.monotonic()
