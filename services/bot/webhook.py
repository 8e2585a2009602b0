"""The webhook's HTTP contract, independent of Lambda: authenticate, bound, parse, handle.

Order matters: the secret is checked (constant time, header name in any case) **before** the
body is looked at; oversized bodies get 413, invalid JSON 400, update types we do not handle 200.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Mapping

from pydantic import ValidationError

from services.bot.deps import BotDeps
from services.bot.logic import UpdateInProgressError, handle_update
from services.bot.updates import Update

SECRET_HEADER = "x-telegram-bot-api-secret-token"
MAX_BODY = 256 * 1024
log = logging.getLogger("loadshed.webhook")


def header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    return next((v for k, v in headers.items() if k.lower() == wanted), None)


UNAUTHORIZED = (401, '{"error": "unauthorized"}')
TOO_LARGE = (413, '{"error": "payload too large"}')


def authorized(headers: Mapping[str, str], secret: str) -> bool:
    """Constant-time check of Telegram's secret token header (any header-name case)."""
    given = header(headers, SECRET_HEADER) or ""
    return bool(secret) and hmac.compare_digest(given.encode(), secret.encode())


def handle_webhook(headers: Mapping[str, str], body: bytes, secret: str, deps: BotDeps) -> tuple[int, str]:
    """(HTTP status, response body) for one webhook request."""
    if not authorized(headers, secret):
        return UNAUTHORIZED
    if len(body) > MAX_BODY:
        return TOO_LARGE
    try:
        raw = json.loads(body)
    except ValueError:
        return 400, '{"error": "invalid JSON"}'
    try:
        update = Update.model_validate(raw)
    except ValidationError as exc:
        log.warning("webhook body is not an Update: %s", exc.errors()[0]["msg"])
        return 400, '{"error": "not a Telegram update"}'
    try:
        handle_update(update, deps)
    except UpdateInProgressError:
        return 503, '{"error": "update in progress; retry later"}'
    return 200, '{"ok": true}'
