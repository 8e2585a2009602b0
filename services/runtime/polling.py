"""Telegram long polling for the embedded runtime, with the offset persisted in the store.

Received updates are written to the inbox first, then the offset is saved: a crash in between
gets them again from Telegram, and the inbox keeps each once. Handling is the update workers'.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable

from services import keys
from services.adapters.telegram import TelegramClient, TelegramConflictError
from services.bot.deps import BotDeps
from services.ports import UpstreamAuthError, UpstreamError
from services.runtime.inbox import Inbox
from services.runtime.workers import chat_of

log = logging.getLogger("loadshed.polling")
OFFSET_KEY = keys.TELEGRAM_OFFSET


class TelegramPoller:
    def __init__(
        self,
        client: TelegramClient,
        bot: BotDeps,
        stop: threading.Event,
        inbox: Inbox,
        on_received: Callable[[], None] = lambda: None,
        timeout: int = 2,
    ) -> None:
        self.client, self.bot, self.stop, self.timeout = client, bot, stop, timeout
        self.inbox, self.on_received = inbox, on_received
        self.received = 0
        self.error: str | None = None

    def run(self) -> None:
        stored = self.bot.store.get_value(OFFSET_KEY, now=self.bot.clock.now())
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
            if not updates:
                continue
            rows = []
            for update in updates:
                raw = update.model_dump(mode="json", by_alias=True, exclude_none=True)
                rows.append((update.update_id, chat_of(raw), json.dumps(raw)))
            self.inbox.receive(rows)  # durable before the offset moves past them
            offset = updates[-1].update_id + 1
            self.bot.store.put_value(OFFSET_KEY, str(offset), now=self.bot.clock.now())
            self.received += len(updates)
            self.on_received()
