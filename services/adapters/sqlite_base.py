"""The SQLite connection the store's parts share: opening, checking, migrating, transactions.

WAL mode so the bot can read while a service writes; every write that must be atomic with its
events runs in one `BEGIN IMMEDIATE` transaction together with the outbox insert. The schema is
created on first use and migrated by `PRAGMA user_version`.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from schemas import Event
from services.adapters.codec import (
    event_to_json,
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


def take_back_leases(db: sqlite3.Connection, table: str, owner: str | None) -> int:
    """Rows of `table` leased by another (dead) owner become due again; returns how many.
    `table` is one of the runtime's own tables (`bus_deliveries`, `replies`)."""
    if table not in ("bus_deliveries", "replies"):
        raise ValueError(table)
    cur = db.execute(
        f"UPDATE {table} SET lease_until = NULL WHERE lease_until IS NOT NULL "
        "AND (lease_owner IS NULL OR lease_owner != ?)",
        (owner or "",),
    )
    return int(cur.rowcount)


def _ts(moment: datetime) -> float:
    return moment.timestamp()


class SQLiteBase:
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
