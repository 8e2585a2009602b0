"""Lambda entrypoint of the bot: a Function URL receiving Telegram's webhook."""

from __future__ import annotations

import base64
from typing import Any

from services import bootstrap
from services.bot.deps import BotDeps
from services.bot.webhook import MAX_BODY, TOO_LARGE, UNAUTHORIZED, authorized, handle_webhook


def deps() -> BotDeps:
    c = bootstrap.container()
    whoami = c.settings.get("whoami")
    config = c.config
    return BotDeps(
        c.store, c.messenger(), c.publisher, c.clock, c.timetables, config.bot_username, config.admin_chats, whoami
    )


def handle(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    method = event.get("requestContext", {}).get("http", {}).get("method", "POST")
    if method != "POST":
        return {"statusCode": 405, "body": '{"error": "POST only"}'}
    c = bootstrap.container()
    secret = bootstrap.secret(c, "WEBHOOK_SECRET_PARAM", "webhook_secret")
    headers = event.get("headers") or {}
    if not authorized(headers, secret):  # before the body is touched at all
        status, text = UNAUTHORIZED
    elif len(event.get("body") or "") > MAX_BODY * 4 // 3 + 4:
        status, text = TOO_LARGE
    else:
        raw = event.get("body") or ""
        try:
            body = base64.b64decode(raw, validate=True) if event.get("isBase64Encoded") else raw.encode()
        except ValueError:
            body = b"\xff"  # not decodable: answered as invalid JSON
        status, text = handle_webhook(headers, body, secret, deps())
    return {"statusCode": status, "headers": {"content-type": "application/json"}, "body": text}
