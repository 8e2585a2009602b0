"""`TelegramClient`: a small typed Bot API client over requests (the Messenger port and polling).

Sends are POSTs and not idempotent, so this client never retries by itself: the rate-limited
wrapper (`services/ratelimit.py`) decides, bounded. Errors are typed: 429 → `RateLimitedError`
(with `retry_after`), 403 or "chat not found" → `ChatUnavailableError`, other 400 →
`MessageRejectedError`, 5xx/timeouts → `MessengerUnavailableError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import requests
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.bot.updates import Update, User
from services.ports import (
    Button,
    ChatMigratedError,
    ChatUnavailableError,
    GoneReason,
    MessageRejectedError,
    MessengerUnavailableError,
    RateLimitedError,
    UpstreamAuthError,
    UpstreamError,
)

DEFAULT_TELEGRAM_URL = "https://api.telegram.org"
# Connect within 3 s, but wait up to 30 s for an answer: a send has no idempotency key, so giving
# up on a slow answer and retrying is how a message arrives twice.
ALLOWED_UPDATES = ("message", "channel_post", "callback_query", "my_chat_member")
"""What the bot reads: commands and locations, channel posts (a channel can subscribe), button taps,
and being blocked/removed. Everything else is never sent to us."""
WEBHOOK_CONNECTIONS = 5
"""Telegram's default is 40 concurrent webhook requests; a new AWS account may run only 10 Lambdas
at once in all, so the bot takes at most 5 and leaves the rest to notifier, reminder and refresh."""
_GONE: tuple[tuple[str, GoneReason], ...] = (
    # Telegram's error descriptions (tests/fixtures/telegram/sendMessage-4xx-*.json, from
    # github.com/TelegramBotAPI/errors): which mean the chat will never take a message again.
    ("bot was blocked", "bot_blocked"),
    ("bot was kicked", "bot_blocked"),
    ("bot is not a member", "bot_blocked"),
    ("can't initiate conversation", "bot_blocked"),
    ("user is deactivated", "chat_deactivated"),
    ("group is deactivated", "chat_deactivated"),
    ("group chat was deactivated", "chat_deactivated"),
    ("chat was deleted", "chat_deactivated"),
    ("chat not found", "chat_not_found"),
    ("peer_id_invalid", "chat_not_found"),
    ("user not found", "chat_not_found"),
    ("bots can't send messages to bots", "chat_not_found"),
    ("not enough rights to send", "no_rights"),
    ("have no rights to send", "no_rights"),
    ("chat_write_forbidden", "no_rights"),
    ("chat_restricted", "no_rights"),
)


def gone_reason(code: int, description: str) -> GoneReason | None:
    """Why a chat is gone for good, from an error's code and description; None if it is not."""
    text = description.lower()
    found = next((reason for needle, reason in _GONE if needle in text), None)
    if found is None and code == 403:
        return "bot_blocked"
    return found if code in (400, 403) else None


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class ApiResponse(_Body):
    ok: bool
    result: object | None = None
    error_code: int | None = None
    description: str = ""
    parameters: dict[str, object] = Field(default_factory=dict)


class WebhookInfo(_Body):
    url: str = ""
    pending_update_count: int = 0
    last_error_message: str | None = None


class TelegramConflictError(UpstreamError):
    """getUpdates is refused because a webhook is set (HTTP 409)."""


def _keyboard(buttons: Sequence[Sequence[Button]]) -> dict[str, Any]:
    """Inline buttons; or, for a location request, a one-time reply keyboard (Telegram allows
    `request_location` only there, and only in private chats)."""
    if any(b.request_location for row in buttons for b in row):
        rows = [[{"text": b.text, "request_location": b.request_location} for b in row] for row in buttons]
        return {"keyboard": rows, "one_time_keyboard": True, "resize_keyboard": True}
    return {"inline_keyboard": [[{"text": b.text, "callback_data": b.data} for b in row] for row in buttons]}


def error_for(method: str, code: int, text: str, parameters: dict[str, object], chat_id: int) -> Exception:
    """The typed error for a failed Bot API answer (code, description, `parameters`)."""
    if code == 429:
        retry_after = parameters.get("retry_after", 1)
        return RateLimitedError(float(retry_after) if isinstance(retry_after, (int, float)) else 1.0, text)
    migrated = parameters.get("migrate_to_chat_id")
    if isinstance(migrated, int) and not isinstance(migrated, bool):
        return ChatMigratedError(chat_id, migrated, text)
    reason = gone_reason(code, text)
    if reason is not None:
        return ChatUnavailableError(chat_id, reason, text)
    return _by_code(method, code, text)


def _by_code(method: str, code: int, text: str) -> Exception:
    if code in (401, 404):
        return UpstreamAuthError(f"Telegram rejected the bot token ({code}): {text}")
    if code == 409:
        return TelegramConflictError(text)
    if code >= 500:
        return MessengerUnavailableError(f"Telegram {method}: {code} {text}")
    return MessageRejectedError(f"Telegram {method}: {code} {text}")


class TelegramClient:
    def __init__(
        self,
        token: str,
        base_url: str = DEFAULT_TELEGRAM_URL,
        session: requests.Session | None = None,
        timeout: float | tuple[float, float] = (3.05, 30.0),
    ) -> None:
        if not token:
            raise UpstreamAuthError("Telegram needs a bot token (TELEGRAM_BOT_TOKEN)")
        self._url = f"{base_url.rstrip('/')}/bot{token}"
        self._session = session or requests.Session()
        self._timeout = timeout
        self.calls = 0

    def call(
        self,
        method: str,
        payload: dict[str, Any] | None = None,
        files: dict[str, Any] | None = None,
        timeout: float | tuple[float, float] | None = None,
        chat_id: int | None = None,
    ) -> Any:
        """Call a Bot API method and return its `result`, or raise a typed error."""
        self.calls += 1
        try:
            response = self._session.post(
                f"{self._url}/{method}",
                data=payload if files else None,
                json=None if files else (payload or {}),
                files=files,
                timeout=timeout or self._timeout,
            )
        except requests.RequestException as exc:
            raise MessengerUnavailableError(f"Telegram {method}: {type(exc).__name__}") from None
        try:
            body = ApiResponse.model_validate_json(response.content)
        except ValidationError:
            raise MessengerUnavailableError(
                f"Telegram {method}: HTTP {response.status_code}, unreadable body"
            ) from None
        if body.ok:
            return body.result
        code, text = body.error_code or response.status_code, body.description
        if code == 400 and "message is not modified" in text.lower():
            return None  # an edit that changes nothing is done, not failed
        raise error_for(method, code, text, body.parameters, chat_id or 0)

    # --- Messenger port ------------------------------------------------------------------------
    def send_text(
        self, chat_id: int, text: str, *, buttons: Sequence[Sequence[Button]] = (), silent: bool = False
    ) -> int:
        payload: dict[str, Any] = {
            "chat_id": chat_id,
            "text": text,
            "parse_mode": "HTML",
            "link_preview_options": {"is_disabled": True},
        }
        if buttons:
            payload["reply_markup"] = _keyboard(buttons)
        if silent:
            payload["disable_notification"] = True
        result = self.call("sendMessage", payload, chat_id=chat_id)
        return int(result.get("message_id", 0)) if isinstance(result, dict) else 0

    def send_document(self, chat_id: int, filename: str, content: bytes, caption: str = "") -> int:
        payload = {"chat_id": str(chat_id), "caption": caption, "parse_mode": "HTML"}
        result = self.call(
            "sendDocument", payload, files={"document": (filename, content, "text/calendar")}, chat_id=chat_id
        )
        return int(result.get("message_id", 0)) if isinstance(result, dict) else 0

    def answer_callback(self, callback_id: str, text: str = "") -> None:
        self.call("answerCallbackQuery", {"callback_query_id": callback_id, "text": text})

    # --- bot management and polling -----------------------------------------------------------
    def get_me(self) -> User:
        return User.model_validate(self.call("getMe"))

    def set_my_commands(self, commands: Sequence[tuple[str, str]]) -> None:
        self.call("setMyCommands", {"commands": [{"command": c, "description": d} for c, d in commands]})

    def get_updates(self, offset: int | None, timeout: int = 25) -> list[Update]:
        payload: dict[str, Any] = {
            "timeout": timeout,
            "allowed_updates": list(ALLOWED_UPDATES),
        }
        if offset is not None:
            payload["offset"] = offset
        result = self.call("getUpdates", payload, timeout=timeout + 10)
        updates = []
        for raw in result if isinstance(result, list) else []:
            try:
                updates.append(Update.model_validate(raw))
            except ValidationError:
                if isinstance(raw, dict) and isinstance(raw.get("update_id"), int):
                    updates.append(Update(update_id=raw["update_id"]))  # unreadable: skip but advance
        return updates

    def get_webhook_info(self) -> WebhookInfo:
        return WebhookInfo.model_validate(self.call("getWebhookInfo"))

    def set_webhook(self, url: str, secret_token: str, max_connections: int = WEBHOOK_CONNECTIONS) -> None:
        self.call(
            "setWebhook",
            {
                "url": url,
                "secret_token": secret_token,
                "allowed_updates": list(ALLOWED_UPDATES),
                "max_connections": max_connections,
            },
        )

    def delete_webhook(self) -> None:
        self.call("deleteWebhook", {"drop_pending_updates": False})
