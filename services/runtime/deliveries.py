"""Durable per-target deliveries for the local bus (SQLite), with retries and a dead-letter state.

This is the embedded counterpart of an EventBridge rule target: a routed event becomes one row
per target; a row is leased while its handler runs, deleted on success, retried with backoff on
failure, and marked dead after the subscription's maximum attempts.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from services.adapters.sqlite_base import take_back_leases
from services.adapters.sqlite_store import StoreUnavailableError, open_database, open_read_only

SCHEMA = """
CREATE TABLE IF NOT EXISTS bus_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT, target TEXT NOT NULL, service TEXT NOT NULL, body TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0, due REAL NOT NULL, lease_until REAL, dead INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
)
"""


@dataclass(frozen=True)
class Delivery:
    id: int
    target: str
    service: str
    body: str
    attempts: int


class DeliveryQueue:
    def __init__(self, path: str | Path, *, read_only: bool = False, owner: str | None = None) -> None:
        """`owner` is written on each lease, so the next owner of the file knows whose it was."""
        self._lock = threading.RLock()
        self.owner = owner
        if read_only:
            self._db = open_read_only(str(path))
            return
        self._db = open_database(str(path))
        try:
            self._db.execute(SCHEMA)
            columns = {r[1] for r in self._db.execute("PRAGMA table_info(bus_deliveries)")}
            if "lease_owner" not in columns:
                self._db.execute("ALTER TABLE bus_deliveries ADD COLUMN lease_owner TEXT")
        except sqlite3.Error as exc:
            self._db.close()
            raise StoreUnavailableError(f"cannot open the database {str(path)!r}: {exc}") from None

    def recover(self) -> int:
        """Take back every delivery leased by another (dead) owner: due again now."""
        with self._lock:
            return take_back_leases(self._db, "bus_deliveries", self.owner)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def add(self, rows: list[tuple[str, str, str]], now: datetime) -> None:
        """Insert (target, service, body) rows in one transaction."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany(
                "INSERT INTO bus_deliveries (target, service, body, due) VALUES (?, ?, ?, ?)",
                [(t, s, b, now.timestamp()) for t, s, b in rows],
            )
            self._db.execute("COMMIT")

    def claim_due(self, now: datetime, limit: int = 20, lease_seconds: int = 900) -> list[Delivery]:
        t = now.timestamp()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            rows = self._db.execute(
                "SELECT id, target, service, body, attempts FROM bus_deliveries WHERE dead = 0 AND due <= ? "
                "AND (lease_until IS NULL OR lease_until <= ?) ORDER BY id LIMIT ?",
                (t, t, limit),
            ).fetchall()
            self._db.executemany(
                "UPDATE bus_deliveries SET lease_until = ?, lease_owner = ? WHERE id = ?",
                [(t + lease_seconds, self.owner, r[0]) for r in rows],
            )
            self._db.execute("COMMIT")
        return [Delivery(*r) for r in rows]

    def done(self, delivery_id: int) -> None:
        with self._lock:
            self._db.execute("DELETE FROM bus_deliveries WHERE id = ?", (delivery_id,))

    def failed(self, delivery_id: int, now: datetime, delay: float, max_attempts: int, error: str) -> bool:
        """Record a failed attempt; True when the delivery is now dead-lettered."""
        with self._lock:
            attempts = self._db.execute("SELECT attempts FROM bus_deliveries WHERE id = ?", (delivery_id,)).fetchone()
            dead = attempts is None or attempts[0] + 1 > max_attempts
            self._db.execute(
                "UPDATE bus_deliveries SET attempts = attempts + 1, due = ?, lease_until = NULL, dead = ?, "
                "last_error = ? WHERE id = ?",
                (now.timestamp() + delay, int(dead), error[:1000], delivery_id),
            )
            return dead

    def depth(self) -> int:
        with self._lock:
            if not self._has_table():
                return 0
            return int(self._db.execute("SELECT COUNT(*) FROM bus_deliveries WHERE dead = 0").fetchone()[0])

    def dead_letters(self) -> list[tuple[int, str, str]]:
        with self._lock:
            if not self._has_table():
                return []
            rows = self._db.execute("SELECT id, target, last_error FROM bus_deliveries WHERE dead = 1").fetchall()
        return [(int(a), str(b), str(c)) for a, b, c in rows]

    def _has_table(self, name: str = "bus_deliveries") -> bool:
        found = self._db.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (name,)).fetchone()
        return found is not None

    def count(self, table: str) -> int:
        """Rows of one of the runtime's tables (`update_inbox`, `replies`), 0 before it exists."""
        if table not in ("update_inbox", "replies"):
            raise ValueError(table)
        with self._lock:
            if not self._has_table(table):
                return 0
            return int(self._db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])  # table: one of two names

    def next_due(self) -> float | None:
        with self._lock:
            row = self._db.execute("SELECT MIN(due) FROM bus_deliveries WHERE dead = 0").fetchone()
        return float(row[0]) if row and row[0] is not None else None
