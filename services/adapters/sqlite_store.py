"""`SQLiteStore`: the Store port on SQLite (stdlib), the embedded runtime's default.

WAL mode so the bot can read while a service writes; every write that must be atomic with its
events runs in one `BEGIN IMMEDIATE` transaction together with the outbox insert. The schema is
created on first use and migrated by `PRAGMA user_version`.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path

from schemas import Event
from schemas.events import Region
from services.adapters.codec import (
    event_from_json,
    event_to_json,
    next_stages_from_json,
    stage_record_fields,
    timetable_from_json,
    timetable_to_json,
)
from services.ports import (
    ChatSettings,
    OutboxItem,
    ScheduleRecord,
    StageRecord,
    SubscriptionLimitError,
    SubscriptionRecord,
    Timetable,
)

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE stages (region TEXT PRIMARY KEY, stage INTEGER NOT NULL, changed_at TEXT NOT NULL,
                         next_stages TEXT NOT NULL, observed_from TEXT NOT NULL, version INTEGER NOT NULL);
    CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL, body TEXT NOT NULL,
                         lease_until REAL);
    CREATE TABLE timetables (area_id TEXT PRIMARY KEY, body TEXT NOT NULL);
    CREATE TABLE schedules (area_id TEXT PRIMARY KEY, hash TEXT NOT NULL, slots TEXT NOT NULL,
                            covers_until TEXT NOT NULL);
    CREATE TABLE subscriptions (chat_id INTEGER NOT NULL, area_id TEXT NOT NULL, area_name TEXT,
                                PRIMARY KEY (chat_id, area_id));
    CREATE INDEX subscriptions_by_area ON subscriptions (area_id, chat_id);
    CREATE TABLE chat_settings (chat_id INTEGER PRIMARY KEY, body TEXT NOT NULL);
    CREATE TABLE claims (key TEXT PRIMARY KEY, expires_at REAL NOT NULL);
    CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires_at REAL);
    """,
    """
    ALTER TABLE subscriptions ADD COLUMN remind_minutes INTEGER DEFAULT 30;
    ALTER TABLE subscriptions ADD COLUMN quiet_start TEXT;
    ALTER TABLE subscriptions ADD COLUMN quiet_end TEXT;
    """,
    """
    ALTER TABLE claims ADD COLUMN owner TEXT;
    """,
)
OUR_TABLES = frozenset({"stages", "outbox", "timetables", "schedules", "subscriptions", "chat_settings", "claims"})
"""Tables every loadshed database has (and `kv`)."""
RUNTIME_TABLES = frozenset({"bus_deliveries", "update_inbox", "replies", "sqlite_sequence"})
"""Tables the embedded runtime adds beside them."""


class StoreUnavailableError(RuntimeError):
    """The SQLite database cannot be created or opened (bad LOADSHED_DB path, permissions, not a database)."""


def open_database(path: str) -> sqlite3.Connection:
    """A connection to `path` (directory created), or `StoreUnavailableError` saying why not."""
    try:
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10)
        db.execute("PRAGMA busy_timeout = 10000")
        db.execute("PRAGMA user_version").fetchone()  # fails here when the file is not a database
        return db
    except (OSError, sqlite3.Error) as exc:
        raise StoreUnavailableError(f"cannot open the database {path!r}: {exc}") from None


def _refuse_newer(path: str, version: int) -> None:
    if version > len(MIGRATIONS):
        raise StoreUnavailableError(
            f"{path} has schema version {version}, newer than this loadshed knows ({len(MIGRATIONS)}): upgrade loadshed"
        )


def check_database(path: str, *, initialized: bool = False) -> None:
    """Refuse, without writing a byte, a file that is not a loadshed database we can use: another
    application's file, or one written by a newer loadshed (`StoreUnavailableError`). A missing
    or empty file is a new database — unless `initialized` is asked for."""
    if path == ":memory:":
        return
    try:
        with open(path, "rb") as handle:
            header = handle.read(100)
    except FileNotFoundError:
        header = b""
    except OSError as exc:
        raise StoreUnavailableError(f"cannot open the database {path!r}: {exc.strerror}") from None
    if not header:
        if initialized:
            raise StoreUnavailableError(f"no loadshed database at {path}")
        return
    if header[:16] != b"SQLite format 3\x00":
        raise StoreUnavailableError(f"{path} is not a loadshed database (not an SQLite file); refusing to touch it")
    _refuse_newer(path, int.from_bytes(header[60:64], "big"))  # the header's user_version: no open needed
    try:
        db = sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True, timeout=10)
        try:
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            db.close()
    except sqlite3.Error as exc:
        raise StoreUnavailableError(f"{path} is not a loadshed database: {exc}") from None
    _refuse_newer(path, version)
    if (version == 0 and (tables - RUNTIME_TABLES or initialized)) or (version > 0 and not tables >= OUR_TABLES):
        raise StoreUnavailableError(f"{path} is not a loadshed database (it holds other tables); refusing to touch it")


def open_read_only(path: str) -> sqlite3.Connection:
    """A connection that cannot write: the file must exist (`StoreUnavailableError` otherwise)."""
    if not Path(path).is_file():
        raise StoreUnavailableError(f"no loadshed database at {path}")
    try:
        db = sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True, check_same_thread=False, timeout=10)
        db.execute("PRAGMA user_version").fetchone()
        return db
    except sqlite3.Error as exc:
        raise StoreUnavailableError(f"cannot read the database {path!r}: {exc}") from None


def _ts(moment: datetime) -> float:
    return moment.timestamp()


class SQLiteStore:
    """One connection per instance (serialised by a lock); several instances may share a file."""

    def __init__(self, path: str | Path, owner: str | None = None, *, read_only: bool = False) -> None:
        """`owner` names this process on the claims it takes, so the next owner of the file can
        take back what a dead one held (`recover_leases`). `read_only` opens an existing file
        without writing a byte (no WAL switch, no migration): what `loadshed status` uses."""
        self.path = str(path)
        self.owner = owner
        self._lock = threading.RLock()
        check_database(self.path)
        if read_only:
            self._db = open_read_only(self.path)
            return
        self._db = open_database(self.path)
        try:
            if self.path != ":memory:":
                self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")
            self._migrate()
        except sqlite3.Error as exc:
            self._db.close()
            raise StoreUnavailableError(f"cannot open the database {self.path!r}: {exc}") from None

    def _migrate(self) -> None:
        with self._tx() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in filter(str.strip, script.split(";")):
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {number}")

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def schema_version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def _query(self, sql: str, *args: object) -> list[tuple[object, ...]]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    @staticmethod
    def _enqueue(db: sqlite3.Connection, events: Sequence[Event]) -> None:
        db.executemany(
            "INSERT INTO outbox (event_id, body) VALUES (?, ?)", [(str(e.event_id), event_to_json(e)) for e in events]
        )

    # --- stage -------------------------------------------------------------------------------
    def get_stage(self, region: Region) -> StageRecord | None:
        rows = self._query(
            "SELECT stage, changed_at, next_stages, observed_from, version FROM stages WHERE region = ?", region
        )
        if not rows:
            return None
        stage, changed_at, next_stages, observed_from, version = rows[0]
        return StageRecord(
            region=region,
            stage=int(str(stage)),
            changed_at=datetime.fromisoformat(str(changed_at)),
            next_stages=next_stages_from_json(str(next_stages)),
            observed_from=str(observed_from),
            version=int(str(version)),
        )

    def save_stage(self, record: StageRecord, expected_version: int | None, outbox: Sequence[Event]) -> bool:
        f = stage_record_fields(record)
        with self._tx() as db:
            if expected_version is None:
                cur = db.execute(
                    "INSERT OR IGNORE INTO stages VALUES (?, ?, ?, ?, ?, 1)",
                    (record.region, f["stage"], f["changed_at"], f["next_stages"], f["observed_from"]),
                )
            else:
                cur = db.execute(
                    "UPDATE stages SET stage = ?, changed_at = ?, next_stages = ?, observed_from = ?, version = ? "
                    "WHERE region = ? AND version = ?",
                    (
                        f["stage"],
                        f["changed_at"],
                        f["next_stages"],
                        f["observed_from"],
                        expected_version + 1,
                        record.region,
                        expected_version,
                    ),
                )
            if cur.rowcount != 1:
                return False
            self._enqueue(db, outbox)
            return True

    # --- outbox ------------------------------------------------------------------------------
    def claim_outbox(self, now: datetime, limit: int = 50, lease_seconds: int = 60) -> list[OutboxItem]:
        with self._tx() as db:
            rows = db.execute(
                "SELECT seq, body FROM outbox WHERE lease_until IS NULL OR lease_until <= ? ORDER BY seq LIMIT ?",
                (_ts(now), limit),
            ).fetchall()
            db.executemany(
                "UPDATE outbox SET lease_until = ? WHERE seq = ?", [(_ts(now) + lease_seconds, r[0]) for r in rows]
            )
        return [OutboxItem(str(seq), event_from_json(body)) for seq, body in rows]

    def mark_published(self, item_ids: Sequence[str]) -> None:
        with self._tx() as db:
            db.executemany("DELETE FROM outbox WHERE seq = ?", [(int(i),) for i in item_ids])

    def enqueue(self, events: Sequence[Event]) -> None:
        with self._tx() as db:
            self._enqueue(db, events)

    def outbox_depth(self) -> int:
        return int(str(self._query("SELECT COUNT(*) FROM outbox")[0][0]))

    # --- timetables --------------------------------------------------------------------------
    def get_timetable(self, area_id: str) -> Timetable | None:
        rows = self._query("SELECT body FROM timetables WHERE area_id = ?", area_id)
        return timetable_from_json(str(rows[0][0])) if rows else None

    def save_timetable(self, timetable: Timetable) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO timetables VALUES (?, ?) ON CONFLICT (area_id) DO UPDATE SET body = excluded.body",
                (timetable.area_id, timetable_to_json(timetable)),
            )

    def get_schedule(self, area_id: str) -> ScheduleRecord | None:
        rows = self._query("SELECT hash, slots, covers_until FROM schedules WHERE area_id = ?", area_id)
        if not rows:
            return None
        h, slots, covers = rows[0]
        return ScheduleRecord(str(h), str(slots), datetime.fromisoformat(str(covers)))

    def record_schedule(
        self, area_id: str, record: ScheduleRecord, expected_hash: str | None, outbox: Sequence[Event]
    ) -> bool:
        values = (record.content_hash, record.slots_json, record.covers_until.isoformat())
        with self._tx() as db:
            if expected_hash is None:
                cur = db.execute("INSERT OR IGNORE INTO schedules VALUES (?, ?, ?, ?)", (area_id, *values))
            else:
                cur = db.execute(
                    "UPDATE schedules SET hash = ?, slots = ?, covers_until = ? WHERE area_id = ? AND hash = ?",
                    (*values, area_id, expected_hash),
                )
            if cur.rowcount != 1:
                return False
            self._enqueue(db, outbox)
            return True

    # --- subscriptions -----------------------------------------------------------------------
    def add_subscription(self, sub: SubscriptionRecord, outbox: Sequence[Event], limit: int = 10) -> bool:
        with self._tx() as db:
            exists = db.execute(
                "SELECT 1 FROM subscriptions WHERE chat_id = ? AND area_id = ?", (sub.chat_id, sub.area_id)
            ).fetchone()
            if exists:
                return False
            count = db.execute("SELECT COUNT(*) FROM subscriptions WHERE chat_id = ?", (sub.chat_id,)).fetchone()[0]
            if count >= limit:
                raise SubscriptionLimitError(f"chat {sub.chat_id} already follows {limit} areas")
            db.execute(
                "INSERT INTO subscriptions (chat_id, area_id, area_name, remind_minutes, quiet_start, quiet_end) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (sub.chat_id, sub.area_id, sub.area_name, sub.remind_minutes, sub.quiet_start, sub.quiet_end),
            )
            self._enqueue(db, outbox)
            return True

    def remove_subscription(self, chat_id: int, area_id: str, outbox: Sequence[Event]) -> bool:
        with self._tx() as db:
            cur = db.execute("DELETE FROM subscriptions WHERE chat_id = ? AND area_id = ?", (chat_id, area_id))
            if cur.rowcount != 1:
                return False
            self._enqueue(db, outbox)
            return True

    _SUBS = "SELECT chat_id, area_id, area_name, remind_minutes, quiet_start, quiet_end FROM subscriptions"

    @staticmethod
    def _subscription(row: tuple[object, ...]) -> SubscriptionRecord:
        def text(value: object) -> str | None:
            return None if value is None else str(value)

        chat, area, name, remind, quiet_start, quiet_end = row
        return SubscriptionRecord(
            int(str(chat)),
            str(area),
            text(name),
            None if remind is None else int(str(remind)),
            text(quiet_start),
            text(quiet_end),
        )

    def chat_subscriptions(self, chat_id: int) -> list[SubscriptionRecord]:
        rows = self._query(f"{self._SUBS} WHERE chat_id = ? ORDER BY area_id", chat_id)
        return [self._subscription(r) for r in rows]

    def area_subscribers(self, area_id: str) -> list[int]:
        rows = self._query("SELECT chat_id FROM subscriptions WHERE area_id = ? ORDER BY chat_id", area_id)
        return [int(str(r[0])) for r in rows]

    def area_subscriptions(self, area_id: str) -> list[SubscriptionRecord]:
        rows = self._query(f"{self._SUBS} WHERE area_id = ? ORDER BY chat_id", area_id)
        return [self._subscription(r) for r in rows]

    def subscribed_areas(self) -> list[str]:
        return [str(r[0]) for r in self._query("SELECT DISTINCT area_id FROM subscriptions ORDER BY area_id")]

    # --- chat settings -----------------------------------------------------------------------
    def get_settings(self, chat_id: int) -> ChatSettings:
        rows = self._query("SELECT body FROM chat_settings WHERE chat_id = ?", chat_id)
        return ChatSettings(**json.loads(str(rows[0][0]))) if rows else ChatSettings()

    def save_settings(self, chat_id: int, settings: ChatSettings) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO chat_settings VALUES (?, ?) ON CONFLICT (chat_id) DO UPDATE SET body = excluded.body",
                (chat_id, json.dumps(asdict(settings))),
            )
            db.execute(
                "UPDATE subscriptions SET remind_minutes = ?, quiet_start = ?, quiet_end = ? WHERE chat_id = ?",
                (settings.remind_minutes, settings.quiet_start, settings.quiet_end, chat_id),
            )

    # --- claims and values -------------------------------------------------------------------
    def claim(self, key: str, now: datetime, ttl_seconds: int) -> bool:
        with self._tx() as db:
            cur = db.execute(
                "INSERT INTO claims VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at, "
                "owner = excluded.owner WHERE claims.expires_at <= ?",
                (key, _ts(now) + ttl_seconds, self.owner, _ts(now)),
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

    def release(self, key: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM claims WHERE key = ?", (key,))

    def get_value(self, key: str, now: datetime | None = None) -> str | None:
        rows = self._query("SELECT value, expires_at FROM kv WHERE key = ?", key)
        if not rows:
            return None
        value, expires = rows[0]
        moment = _ts(now or datetime.now(timezone.utc))
        if expires is not None and float(str(expires)) <= moment:
            return None
        return str(value)

    def put_value(self, key: str, value: str, ttl_seconds: int | None = None, now: datetime | None = None) -> None:
        expires = _ts(now or datetime.now(timezone.utc)) + ttl_seconds if ttl_seconds else None
        with self._tx() as db:
            db.execute(
                "INSERT INTO kv VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, "
                "expires_at = excluded.expires_at",
                (key, value, expires),
            )
