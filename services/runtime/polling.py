"""Telegram long polling for the embedded runtime, with the offset persisted in the store.

An update is handled, then the offset is saved; a crash in between redelivers it on restart and
the bot's `update_id` claim makes that harmless — nothing lost, nothing repeated.
"""

from __future__ import annotations

import logging
import threading

from services.adapters.telegram import TelegramClient, TelegramConflictError
from services.bot.deps import BotDeps
from services.bot.logic import handle_update
from services.ports import UpstreamAuthError, UpstreamError

log = logging.getLogger("loadshed.polling")
OFFSET_KEY = "telegram:offset"


class TelegramPoller:
    def __init__(self, client: TelegramClient, bot: BotDeps, stop: threading.Event, timeout: int = 2) -> None:
        self.client, self.bot, self.stop, self.timeout = client, bot, stop, timeout
        self.handled = 0
        self.error: str | None = None

    def run(self) -> None:
        stored = self.bot.store.get_value(OFFSET_KEY)
        offset = int(stored) if stored else None
        failing = False
        while not self.stop.is_set():
            try:
                updates = self.client.get_updates(offset, self.timeout)
            except (TelegramConflictError, UpstreamAuthError) as exc:
                self.error = f"{type(exc).__name__}: {exc}"
                log.error("Telegram polling stopped: %s", self.error)
                self.stop.set()
                return
            except UpstreamError as exc:
                if not failing:
                    log.warning("Telegram unreachable (%s); retrying", exc)
                failing = True
                self.stop.wait(3)
                continue
            if failing:
                log.info("Telegram reachable again")
                failing = False
            for update in updates:
                try:
                    handle_update(update, self.bot)
                    self.handled += 1
                except Exception:  # one bad update must not wedge the bot
                    log.exception("update %s failed; skipping it", update.update_id)
                offset = update.update_id + 1
                self.bot.store.put_value(OFFSET_KEY, str(offset))
