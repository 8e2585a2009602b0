"""A loopback fake of the Telegram Bot API that enforces Telegram's rate limits.

Global: at most `global_rate` messages in any 1-second window; per chat: 1 per second; per group:
20 per minute — violations get a real 429 body with `parameters.retry_after`. Chats in `blocked`
get 403, in `gone` get 400 "chat not found" (the shared fixtures' bodies), chats in `answers` get the
named fixture's error body, chats in `migrated` get the 400 that names their supergroup;
`fail_next` injects 5xx. `getUpdates` long-polls a queue with Telegram's offset semantics.
"""

from __future__ import annotations

import json
import math
import random
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "telegram"


def _fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return data


@dataclass
class Chaos:
    """Faults a real Bot API shows, at random (seeded): 5xx instead of an answer, answers that
    arrive after the client gave up (the message *was* delivered), and bursts of 429."""

    fail_ratio: float = 0.0
    late_ratio: float = 0.0
    late_seconds: float = 11.0
    burst_every: int = 0
    """Every n-th send starts a burst of three 429s (retry_after 1)."""
    seed: int = 7
    rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)


@dataclass
class Delivered:
    chat_id: int
    text: str
    at: float
    method: str = "sendMessage"
    payload: dict[str, Any] | None = None
    late: bool = False
    """Delivered, but the answer came after the client's time-out (a retry will duplicate it)."""


class FakeBotApi:
    def __init__(
        self,
        token: str = "123:TEST",
        global_rate: float = 30.0,
        per_chat_seconds: float = 1.0,
        group_per_minute: int = 20,
        enforce: bool = True,
    ) -> None:
        self.token, self.global_rate, self.per_chat, self.group_per_minute = (
            token,
            global_rate,
            per_chat_seconds,
            group_per_minute,
        )
        self.enforce = enforce
        self.delivered: list[Delivered] = []
        self.rejected_429 = 0
        self.blocked: set[int] = set()
        self.gone: set[int] = set()
        self.fail_next: list[int] = []
        self.chaos: Chaos | None = None
        self.rejected_at: list[tuple[float, int]] = []
        self.injected = {"5xx": 0, "late": 0, "429": 0}
        self._sends = 0
        self.answers: dict[int, str] = {}
        """chat id → a fixture file whose error body every send to that chat gets (real bodies)."""
        self.migrated: dict[int, int] = {}
        """old group id → supergroup id: sends to the old id get Telegram's 400 with migrate_to_chat_id."""
        self.force_429: list[int] = []
        self.webhook_url = ""
        self.webhook_payload: dict[str, Any] = {}
        self.commands: list[dict[str, str]] = []
        self.callbacks: list[str] = []
        self._updates: list[dict[str, Any]] = []
        self._next_update_id = 1000
        self._lock = threading.Condition()
        self._window: deque[float] = deque()
        self._chat_last: dict[int, float] = {}
        self._group_window: dict[int, deque[float]] = {}
        self._message_id = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    # --- lifecycle ----------------------------------------------------------------------------
    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> FakeBotApi:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._lock.notify_all()
        self._server.shutdown()
        self._server.server_close()

    # --- test controls ------------------------------------------------------------------------
    def push_update(self, update: dict[str, Any]) -> int:
        with self._lock:
            update = {"update_id": self._next_update_id, **{k: v for k, v in update.items() if k != "update_id"}}
            self._next_update_id += 1
            self._updates.append(update)
            self._lock.notify_all()
            return int(update["update_id"])

    def push_text(self, chat_id: int, text: str, *, chat_type: str = "private", from_bot: bool = False) -> int:
        command_length = len(text.split(maxsplit=1)[0]) if text.startswith("/") else 0
        entities = [{"type": "bot_command", "offset": 0, "length": command_length}] if command_length else []
        message = {
            "message_id": self._next_update_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": chat_type},
            "from": {"id": abs(chat_id), "is_bot": from_bot, "first_name": "Test"},
            "text": text,
            "entities": entities,
        }
        return self.push_update({"message": message})

    def to(self, chat_id: int) -> list[Delivered]:
        return [d for d in self.delivered if d.chat_id == chat_id]

    # --- rate limits --------------------------------------------------------------------------
    def _limit(self, chat_id: int) -> float | None:
        """None if the send is allowed now (and recorded), else the seconds to wait."""
        now = time.monotonic()
        if self.force_429:
            return float(self.force_429.pop(0))
        if not self.enforce:
            return None
        while self._window and self._window[0] <= now - 1.0:
            self._window.popleft()
        if len(self._window) >= self.global_rate:
            return self._window[0] + 1.0 - now
        last = self._chat_last.get(chat_id)
        if last is not None and now - last < self.per_chat:
            return self.per_chat - (now - last)
        if chat_id < 0:
            window = self._group_window.setdefault(chat_id, deque())
            while window and window[0] <= now - 60:
                window.popleft()
            if len(window) >= self.group_per_minute:
                return window[0] + 60 - now
            window.append(now)
        self._window.append(now)
        self._chat_last[chat_id] = now
        return None

    # --- API ----------------------------------------------------------------------------------
    def _chaos(self) -> tuple[int, dict[str, Any]] | str | None:
        """A fault to inject for this send: an error answer, "late", or None."""
        chaos = self.chaos
        if chaos is None:
            return None
        self._sends += 1
        if chaos.burst_every and self._sends % chaos.burst_every == 0:
            self.force_429.extend([1, 1, 1])
        roll = chaos.rng.random()
        if roll < chaos.fail_ratio:
            self.injected["5xx"] += 1
            return 502, {"ok": False, "error_code": 502, "description": "Bad Gateway"}
        if roll < chaos.fail_ratio + chaos.late_ratio:
            self.injected["late"] += 1
            return "late"
        return None

    def _send(self, method: str, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        status, body = self._send_now(method, payload)
        if body.pop("_late", False):
            time.sleep(self.chaos.late_seconds if self.chaos else 0)  # delivered; the answer is late
        return status, body

    def _refusal(self, method: str, payload: dict[str, Any], chat_id: int) -> tuple[int, dict[str, Any]] | None:
        """The error body this chat gets whatever the rate: bad request, blocked, gone, migrated."""
        if method == "sendMessage" and not payload.get("text"):
            return 400, {"ok": False, "error_code": 400, "description": "Bad Request: message text is empty"}
        named = {**dict.fromkeys(self.blocked, "sendMessage-403-blocked.json")}
        named |= dict.fromkeys(self.gone, "sendMessage-400-chat-not-found.json")
        named |= self.answers
        if chat_id in named:
            body = _fixture(named[chat_id])
            return int(body["error_code"]), body
        if chat_id in self.migrated:
            body = _fixture("sendMessage-400-migrated.json")
            return 400, {**body, "parameters": {"migrate_to_chat_id": self.migrated[chat_id]}}
        return None

    def _send_now(self, method: str, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        chat_id = int(payload.get("chat_id", 0))
        with self._lock:
            if self.fail_next:
                return self.fail_next.pop(0), {"ok": False, "error_code": 502, "description": "Bad Gateway"}
            fault = self._chaos()
            if isinstance(fault, tuple):
                return fault
            refused = self._refusal(method, payload, chat_id)
            if refused is not None:
                return refused
            forced = bool(self.force_429)
            wait = self._limit(chat_id)
            if wait is not None:
                if forced:
                    self.injected["429"] += 1
                else:
                    self.rejected_429 += 1  # our own rate exceeded Telegram's
                    self.rejected_at.append((time.monotonic(), chat_id))
                retry = max(1, math.ceil(wait))
                return 429, {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {retry}",
                    "parameters": {"retry_after": retry},
                }
            self._message_id += 1
            text = str(payload.get("text") or payload.get("caption") or "")
            late = fault == "late"
            self.delivered.append(Delivered(chat_id, text, time.monotonic(), method, payload, late))
            result = _fixture("sendMessage-200.json")["result"]
            body = {"ok": True, "result": {**result, "message_id": self._message_id, "chat": {"id": chat_id}}}
            return 200, {**body, "_late": late} if late else body

    def _get_updates(self, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if self.webhook_url:
            return 409, {
                "ok": False,
                "error_code": 409,
                "description": "Conflict: can't use getUpdates method while webhook is active",
            }
        offset = int(payload.get("offset") or 0)
        deadline = time.monotonic() + min(float(payload.get("timeout") or 0), 1.0)
        with self._lock:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            while not self._updates and time.monotonic() < deadline:
                self._lock.wait(deadline - time.monotonic())
            return 200, {"ok": True, "result": list(self._updates[:100])}

    def dispatch(self, method: str, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if method in ("sendMessage", "sendDocument"):
            return self._send(method, payload)
        if method == "getUpdates":
            return self._get_updates(payload)
        simple: dict[str, Any] = {
            "getMe": {"id": 123, "is_bot": True, "first_name": "Loadshed", "username": "loadshed_test_bot"},
            "getWebhookInfo": {"url": self.webhook_url, "pending_update_count": 0},
        }
        if method in simple:
            return 200, {"ok": True, "result": simple[method]}
        if method == "setMyCommands":
            self.commands = list(payload.get("commands", []))
        elif method == "answerCallbackQuery":
            self.callbacks.append(str(payload.get("callback_query_id")))
        elif method == "setWebhook":
            self.webhook_url = str(payload.get("url", ""))
            self.webhook_payload = dict(payload)
        elif method == "deleteWebhook":
            self.webhook_url = ""
        else:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        return 200, {"ok": True, "result": True}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body are two writes: avoid the 40 ms delayed-ACK stall

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                prefix = f"/bot{api.token}/"
                if not self.path.startswith(prefix):
                    return self._reply(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
                payload = self._payload(raw)
                status, body = api.dispatch(self.path[len(prefix) :], payload)
                return self._reply(status, body)

            def _payload(self, raw: bytes) -> dict[str, Any]:
                ctype = self.headers.get("Content-Type", "")
                if ctype.startswith("multipart/form-data"):
                    msg = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {ctype}\r\n\r\n".encode() + raw)
                    fields: dict[str, Any] = {}
                    for part in msg.iter_parts():
                        name = part.get_param("name", header="content-disposition")
                        content = part.get_payload(decode=True)
                        fields[str(name)] = content if part.get_filename() else content.decode()
                    return fields
                return json.loads(raw or b"{}")

            def _reply(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                return

        return Handler
