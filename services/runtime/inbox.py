"""Durable updates in, durable replies out (SQLite, beside the deliveries).

Received updates are written to the inbox before the polling offset moves, and leave it only when
handled; a handler's replies are written (keyed by update and order, so a re-handled update adds
none twice) and sent by their own loop, then removed. A kill anywhere in between loses nothing:
the next start takes the dead owner's leases back and finishes the work — at most a message that
was on the wire at the kill is sent again.
"""

from __future__ import annotations

import base64
import json
import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from services.adapters.sqlite_base import take_back_leases
from services.adapters.sqlite_store import StoreUnavailableError, open_database

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS update_inbox (update_id INTEGER PRIMARY KEY, chat_id INTEGER NOT NULL, "
    "body TEXT NOT NULL, due REAL NOT NULL DEFAULT 0)",
    "CREATE TABLE IF NOT EXISTS replies (seq INTEGER PRIMARY KEY AUTOINCREMENT, reply_id TEXT NOT NULL UNIQUE, "
    "chat_id INTEGER NOT NULL, body TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, due REAL NOT NULL DEFAULT 0, "
    "lease_until REAL, lease_owner TEXT)",
)


@dataclass(frozen=True)
class Reply:
    seq: int
    reply_id: str
    chat_id: int
    body: dict[str, Any]
    attempts: int


class Inbox:
    """Updates received and replies owed, in the database file."""

    def __init__(self, path: str | Path, owner: str | None = None) -> None:
        self._lock = threading.RLock()
        self.owner = owner
        self._db = open_database(str(path))
        try:
            for statement in SCHEMA:
                self._db.execute(statement)
        except sqlite3.Error as exc:
            self._db.close()
            raise StoreUnavailableError(f"cannot open the database {str(path)!r}: {exc}") from None

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def recover(self) -> int:
        """Replies leased by another (dead) owner are due again."""
        with self._lock:
            return take_back_leases(self._db, "replies", self.owner)

    # --- updates ---------------------------------------------------------------------------
    def receive(self, updates: list[tuple[int, int, str]]) -> None:
        """(update_id, chat_id, raw JSON) rows; an update already here is kept once."""
        with self._lock:
            self._db.executemany(
                "INSERT OR IGNORE INTO update_inbox (update_id, chat_id, body) VALUES (?, ?, ?)", updates
            )

    def pending(self, now: datetime, busy: set[int], limit: int = 20) -> list[tuple[int, int, str]]:
        """The oldest due updates of chats not being handled, at most one per chat (order per chat)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT update_id, chat_id, body FROM update_inbox WHERE due <= ? ORDER BY update_id LIMIT 500",
                (now.timestamp(),),
            ).fetchall()
        picked: list[tuple[int, int, str]] = []
        seen: set[int] = set(busy)
        for update_id, chat_id, body in rows:
            if chat_id not in seen:
                picked.append((int(update_id), int(chat_id), str(body)))
            seen.add(int(chat_id))
            if len(picked) >= limit:
                break
        return picked

    def handled(self, update_id: int) -> None:
        with self._lock:
            self._db.execute("DELETE FROM update_inbox WHERE update_id = ?", (update_id,))

    def later(self, update_id: int, due: datetime) -> None:
        with self._lock:
            self._db.execute("UPDATE update_inbox SET due = ? WHERE update_id = ?", (due.timestamp(), update_id))

    def inbox_depth(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM update_inbox").fetchone()[0])

    # --- replies ---------------------------------------------------------------------------
    def owe(self, reply_id: str, chat_id: int, body: dict[str, Any]) -> None:
        """Record a reply to send; the same `reply_id` again (a re-handled update) is ignored."""
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO replies (reply_id, chat_id, body) VALUES (?, ?, ?)",
                (reply_id, chat_id, json.dumps(body)),
            )

    def claim_replies(self, now: datetime, limit: int = 10, lease_seconds: int = 120) -> list[Reply]:
        """Due replies, each the oldest unsent of its chat (a chat's replies keep their order)."""
        t = now.timestamp()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            rows = self._db.execute(
                "SELECT r.seq, r.reply_id, r.chat_id, r.body, r.attempts FROM replies r WHERE r.due <= ? "
                "AND (r.lease_until IS NULL OR r.lease_until <= ?) "
                "AND r.seq = (SELECT MIN(o.seq) FROM replies o WHERE o.chat_id = r.chat_id) ORDER BY r.seq LIMIT ?",
                (t, t, limit),
            ).fetchall()
            self._db.executemany(
                "UPDATE replies SET lease_until = ?, lease_owner = ? WHERE seq = ?",
                [(t + lease_seconds, self.owner, r[0]) for r in rows],
            )
            self._db.execute("COMMIT")
        return [Reply(int(a), str(b), int(c), json.loads(str(d)), int(e)) for a, b, c, d, e in rows]

    def sent(self, seq: int) -> None:
        with self._lock:
            self._db.execute("DELETE FROM replies WHERE seq = ?", (seq,))

    def retry_reply(self, seq: int, due: datetime) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE replies SET attempts = attempts + 1, due = ?, lease_until = NULL WHERE seq = ?",
                (due.timestamp(), seq),
            )

    def replies_owed(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM replies").fetchone()[0])


def text_body(text: str, buttons: list[list[dict[str, Any]]], silent: bool) -> dict[str, Any]:
    return {"kind": "text", "text": text, "buttons": buttons, "silent": silent}


def document_body(filename: str, content: bytes, caption: str) -> dict[str, Any]:
    return {"kind": "document", "filename": filename, "content": base64.b64encode(content).decode(), "caption": caption}
