"""`SQLiteStore`: the Store port on SQLite (stdlib), the embedded runtime's default — its parts
by concern (stage and outbox, timetables, subscriptions and settings, claims and values) over
one shared connection (`sqlite_base`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from services.adapters.sqlite_base import (
    MIGRATIONS,
    OUR_TABLES,
    RUNTIME_TABLES,
    SQLiteBase,
    StoreUnavailableError,
    _ts,
    check_database,
    open_database,
    open_read_only,
)
from services.adapters.sqlite_chats import SubscriptionsSettings
from services.adapters.sqlite_state import StageOutboxTimetables
from services.adapters.store_rules import expired, expires_at

__all__ = [
    "MIGRATIONS",
    "OUR_TABLES",
    "RUNTIME_TABLES",
    "SQLiteStore",
    "StoreUnavailableError",
    "check_database",
    "open_database",
    "open_read_only",
]


class KeyValues(SQLiteBase):
    # --- claims and values -------------------------------------------------------------------
    def claim(self, key: str, now: datetime, ttl_seconds: int, holder: str = "") -> bool:
        """The claim's owner column names the holder (or this process): see `recover_leases`."""
        with self._tx() as db:
            cur = db.execute(
                "INSERT INTO claims VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at, "
                "owner = excluded.owner WHERE claims.expires_at <= ?",
                (key, _ts(now) + ttl_seconds, holder or self.owner, _ts(now)),
            )
            return cur.rowcount == 1

    def recover_leases(self, prefixes: Sequence[str]) -> int:
        """Drop the leases (claims under `prefixes`) held by any other owner — on start, when the
        file lock says that owner is dead — and every outbox lease. Returns how many were taken back."""
        with self._tx() as db:
            taken = 0
            for prefix in prefixes:
                cur = db.execute(
                    "DELETE FROM claims WHERE key LIKE ? ESCAPE '\\' AND (owner IS NULL OR owner != ?)",
                    (prefix.replace("_", "\\_").replace("%", "\\%") + "%", self.owner or ""),
                )
                taken += cur.rowcount
            taken += db.execute("UPDATE outbox SET lease_until = NULL WHERE lease_until IS NOT NULL").rowcount
            return taken

    def renew(self, key: str, now: datetime, ttl_seconds: int, holder: str) -> bool:
        with self._tx() as db:
            cur = db.execute(
                "UPDATE claims SET expires_at = ? WHERE key = ? AND expires_at > ? AND owner = ?",
                (_ts(now) + ttl_seconds, key, _ts(now), holder),
            )
            return cur.rowcount == 1

    def release(self, key: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM claims WHERE key = ?", (key,))

    def get_value(self, key: str, *, now: datetime) -> str | None:
        rows = self._query("SELECT value, expires_at FROM kv WHERE key = ?", key)
        if not rows or expired(None if rows[0][1] is None else float(str(rows[0][1])), now):
            return None
        return str(rows[0][0])

    def put_value(self, key: str, value: str, ttl_seconds: int | None = None, *, now: datetime) -> None:
        expires = expires_at(now, ttl_seconds)
        with self._tx() as db:
            db.execute(
                "INSERT INTO kv VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, "
                "expires_at = excluded.expires_at",
                (key, value, expires),
            )


class SQLiteStore(StageOutboxTimetables, SubscriptionsSettings, KeyValues):
    """The Store port on one SQLite file."""
