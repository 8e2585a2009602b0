"""The console messenger: prints what would be sent (no Telegram token needed), and turns typed
lines into Telegram-shaped updates, so a person can use the bot as a chat would."""

from __future__ import annotations

import html
import itertools
import re
import sys
import threading
import time
from collections.abc import Sequence
from typing import Any, TextIO

from services.ports import Button

CONSOLE_CHAT = 1000
_TAGS = re.compile(r"<[^>]+>")


def plain(text: str) -> str:
    return html.unescape(_TAGS.sub("", text))


class ConsoleMessenger:
    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out or sys.stdout
        self.last_buttons: dict[int, list[Button]] = {}
        self.count = 0
        self._lock = threading.Lock()

    def _print(self, chat_id: int, text: str) -> int:
        with self._lock:
            self.count += 1
            print(f"[→ chat {chat_id}] {plain(text)}", file=self.out, flush=True)
            return self.count

    def send_text(
        self, chat_id: int, text: str, *, buttons: Sequence[Sequence[Button]] = (), silent: bool = False
    ) -> int:
        flat = [b for row in buttons for b in row if not b.request_location]
        if any(b.request_location for row in buttons for b in row):
            text += "\n  (to share a location, type: location LAT LON, e.g. location -33.94 18.47)"
        if flat:
            self.last_buttons[chat_id] = flat
            text += "\n" + "\n".join(f"  [{i}] {b.text}   (type: tap {i})" for i, b in enumerate(flat, 1))
        return self._print(chat_id, ("(silent) " if silent else "") + text)

    def send_document(self, chat_id: int, filename: str, content: bytes, caption: str = "") -> int:
        return self._print(chat_id, f"📎 {filename} ({len(content)} bytes) {caption}")

    def hint(self, text: str) -> None:
        """A line for the person at the console (not a bot message)."""
        with self._lock:
            print(f"(hint) {text}", file=self.out, flush=True)

    def answer_callback(self, callback_id: str, text: str = "") -> None:
        if text:
            self._print(CONSOLE_CHAT, text)


_ids = itertools.count(int(time.time() * 1000))


def line_to_update(line: str, messenger: ConsoleMessenger, chat_id: int = CONSOLE_CHAT) -> dict[str, Any] | None:
    """A typed line as a Telegram update: text → message; `tap N` → the N-th button's callback."""
    line = line.strip()
    if not line:
        return None
    user = {"id": chat_id, "is_bot": False, "first_name": "You"}
    update_id = next(_ids)
    tap = re.fullmatch(r"tap (\d+)", line)
    if tap:
        buttons = messenger.last_buttons.get(chat_id, [])
        index = int(tap.group(1)) - 1
        if not buttons:
            messenger.hint("There is nothing to tap yet: buttons come with /search or /unsubscribe.")
            return None
        if not 0 <= index < len(buttons):
            messenger.hint(f"There is no button {index + 1}: type tap 1 to tap {len(buttons)}.")
            return None
        message = {"message_id": 1, "chat": {"id": chat_id, "type": "private"}}
        return {
            "update_id": update_id,
            "callback_query": {"id": str(update_id), "from": user, "message": message, "data": buttons[index].data},
        }
    where = re.fullmatch(r"location (-?\d+(?:\.\d+)?)[ ,]+(-?\d+(?:\.\d+)?)", line)
    if where:
        location = {"latitude": float(where.group(1)), "longitude": float(where.group(2))}
        chat = {"id": chat_id, "type": "private"}
        return {"update_id": update_id, "message": {"message_id": 1, "chat": chat, "from": user, "location": location}}
    entities = [{"type": "bot_command", "offset": 0, "length": len(line.split()[0])}] if line.startswith("/") else []
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id % 1_000_000,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": user,
            "text": line,
            "entities": entities,
        },
    }
