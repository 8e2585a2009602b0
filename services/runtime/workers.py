"""The embedded runtime's independent loops for chats: update handlers and the reply sender.

Updates are handled by a few threads, one chat at a time each, so a slow upstream for one chat
never holds up another; replies go out through their own loop (rate-limited like every send),
and a failing chat is retried later while the others carry on.
"""

from __future__ import annotations

import base64
import itertools
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any

from pydantic import ValidationError

from services.bot.deps import BotDeps
from services.bot.logic import UpdateInProgressError, handle_update
from services.bot.updates import Update
from services.chats import deactivate_chat, migrate_chat
from services.ports import (
    Button,
    ChatMigratedError,
    ChatUnavailableError,
    MessageRejectedError,
    Messenger,
    MessengerUnavailableError,
    RateLimitedError,
)
from services.runtime.faults import crash_point
from services.runtime.inbox import Inbox, Reply, document_body, text_body

log = logging.getLogger("loadshed.workers")


class ReplyOutbox:
    """The Messenger a handler sees: its replies are recorded (durably, once per update and
    order) instead of sent; button answers, which are ephemeral, go straight out."""

    def __init__(self, inbox: Inbox, update_id: int, direct: Messenger) -> None:
        self.inbox, self.update_id, self.direct = inbox, update_id, direct
        self._order = itertools.count()

    def _owe(self, chat_id: int, body: dict[str, Any]) -> int:
        self.inbox.owe(f"{self.update_id}:{next(self._order)}", chat_id, body)
        return 0

    def send_text(
        self, chat_id: int, text: str, *, buttons: Sequence[Sequence[Button]] = (), silent: bool = False
    ) -> int:
        rows = [[{"text": b.text, "data": b.data, "request_location": b.request_location} for b in r] for r in buttons]
        return self._owe(chat_id, text_body(text, rows, silent))

    def send_document(self, chat_id: int, filename: str, content: bytes, caption: str = "") -> int:
        return self._owe(chat_id, document_body(filename, content, caption))

    def answer_callback(self, callback_id: str, text: str = "") -> None:
        try:
            self.direct.answer_callback(callback_id, text)
        except (MessengerUnavailableError, RateLimitedError, MessageRejectedError) as exc:
            log.info("could not answer button %s: %s (the reply itself is durable)", callback_id, exc)


def chat_of(raw: dict[str, object]) -> int:
    """The chat an update belongs to (0 when it has none): one handler per chat at a time."""
    for key in ("message", "channel_post", "edited_message", "my_chat_member"):
        body = raw.get(key)
        if isinstance(body, dict) and isinstance(body.get("chat"), dict):
            return int(body["chat"].get("id", 0))
    query = raw.get("callback_query")
    if isinstance(query, dict) and isinstance(query.get("from"), dict):
        return int(query["from"].get("id", 0))
    return 0


class UpdateWorkers:
    """`count` threads handling inbox updates, never two of the same chat at once."""

    def __init__(self, inbox: Inbox, bot: BotDeps, stop: threading.Event, count: int = 4) -> None:
        self.inbox, self.bot, self.stop, self.count = inbox, bot, stop, count
        self._busy: set[int] = set()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self.handled = 0

    def wake(self) -> None:
        self._wake.set()

    def _next(self) -> tuple[int, int, str] | None:
        with self._lock:
            found = self.inbox.pending(self.bot.clock.now(), self._busy, limit=1)
            if not found:
                return None
            self._busy.add(found[0][1])
            return found[0]

    def run(self) -> None:
        while not self.stop.is_set():
            item = self._next()
            if item is None:
                self._wake.wait(0.2)
                self._wake.clear()
                continue
            update_id, chat_id, body = item
            try:
                self._handle(update_id, body)
            finally:
                with self._lock:
                    self._busy.discard(chat_id)

    def _handle(self, update_id: int, body: str) -> None:
        try:
            update = Update.model_validate_json(body)
        except ValidationError:
            update = Update(update_id=update_id)  # unreadable: acknowledged, not handled
        deps = replace(self.bot, messenger=ReplyOutbox(self.inbox, update_id, self.bot.messenger))
        try:
            handle_update(update, deps)
            crash_point("after-handling")  # handled, replies owed, inbox row not yet removed
            self.handled += 1
        except UpdateInProgressError:
            self.inbox.later(update_id, self.bot.clock.now() + timedelta(seconds=5))
            return
        except Exception:  # one bad update must not wedge the bot
            log.exception("update %s failed; skipping it", update_id)
        self.inbox.handled(update_id)


def _button(raw: dict[str, object]) -> Button:
    return Button(str(raw["text"]), str(raw.get("data", "")), bool(raw.get("request_location")))


class ReplySender:
    """Sends owed replies, oldest first per chat; a chat Telegram is failing for waits, the rest go."""

    def __init__(self, inbox: Inbox, bot: BotDeps, messenger: Messenger, stop: threading.Event) -> None:
        self.inbox, self.bot, self.messenger, self.stop = inbox, bot, messenger, stop
        self.sent = 0

    def run(self) -> None:
        while not self.stop.is_set():
            batch = self.inbox.claim_replies(self.bot.clock.now())
            if not batch:
                self.stop.wait(0.1)
                continue
            for reply in batch:
                if self.stop.is_set():
                    return
                self._send(reply)

    def _deliver(self, chat_id: int, reply: Reply) -> None:
        body = reply.body
        if body.get("kind") == "document":
            content = base64.b64decode(str(body["content"]))
            self.messenger.send_document(chat_id, str(body["filename"]), content, str(body.get("caption", "")))
            return
        rows = [[_button(b) for b in row] for row in body["buttons"]]
        self.messenger.send_text(chat_id, str(body["text"]), buttons=rows, silent=bool(body.get("silent")))

    def _send(self, reply: Reply) -> None:
        now = self.bot.clock.now()
        try:
            try:
                self._deliver(reply.chat_id, reply)
            except ChatMigratedError as exc:
                migrate_chat(self.bot.store, reply.chat_id, exc.new_chat_id, now)
                self._deliver(exc.new_chat_id, reply)
        except ChatUnavailableError as exc:
            deactivate_chat(self.bot.store, reply.chat_id, exc.reason, now)
            log.info("reply %s dropped: chat %s is gone (%s)", reply.reply_id, reply.chat_id, exc.reason)
        except MessageRejectedError as exc:
            log.error("reply %s to chat %s rejected: %s", reply.reply_id, reply.chat_id, exc)
        except (MessengerUnavailableError, RateLimitedError) as exc:
            delay = min(2.0 ** (reply.attempts + 1), 60.0)
            log.warning("reply %s to chat %s failed (%s); retrying in %.0fs", reply.reply_id, reply.chat_id, exc, delay)
            self.inbox.retry_reply(reply.seq, now + timedelta(seconds=delay))
            return
        self.inbox.sent(reply.seq)
        self.sent += 1


def _guarded(name: str, fn: Callable[[], None], stop: threading.Event | None) -> Callable[[], None]:
    """A loop that dies of an unexpected error is logged and started again, never lost quietly."""

    def run() -> None:
        while True:
            try:
                fn()
                return
            except Exception:
                log.exception("loop %s failed; starting it again", name)
                if stop is None or stop.wait(1.0):
                    return

    return run


def start_threads(
    targets: Sequence[tuple[str, Callable[[], None]]], stop: threading.Event | None = None
) -> list[threading.Thread]:
    threads = [threading.Thread(target=_guarded(name, fn, stop), name=name, daemon=True) for name, fn in targets]
    for thread in threads:
        thread.start()
    return threads
