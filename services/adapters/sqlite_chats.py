"""`SQLiteStore`'s subscriptions and chat settings (the settings are copied onto the chat's
subscriptions in the same transaction, so a fan-out reads one index query)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict

from schemas import Event
from services.adapters.sqlite_base import SQLiteBase
from services.adapters.store_rules import within_limit
from services.ports import (
    ChatSettings,
    SubscriptionRecord,
)


class SubscriptionsSettings(SQLiteBase):
    # --- subscriptions -----------------------------------------------------------------------
    def add_subscription(self, sub: SubscriptionRecord, outbox: Sequence[Event], limit: int = 10) -> bool:
        with self._tx() as db:
            exists = db.execute(
                "SELECT 1 FROM subscriptions WHERE chat_id = ? AND area_id = ?", (sub.chat_id, sub.area_id)
            ).fetchone()
            if exists:
                return False
            count = db.execute("SELECT COUNT(*) FROM subscriptions WHERE chat_id = ?", (sub.chat_id,)).fetchone()[0]
            within_limit(sub.chat_id, int(count), limit)
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
