"""`loadshed webhook set|info|delete`: point Telegram at the deployed bot (with the secret token)."""

from __future__ import annotations

import argparse
import os
from typing import Any, TextIO
from urllib.parse import urlsplit

from services.adapters.telegram import DEFAULT_TELEGRAM_URL, TelegramClient
from services.cli.output import CliError, table
from services.messages import COMMANDS


def add_parser(sub: Any) -> None:
    p = sub.add_parser("webhook", help="register, inspect or remove the bot's Telegram webhook")
    cmds = p.add_subparsers(dest="webhook_cmd", required=True, metavar="COMMAND")
    s = cmds.add_parser("set", help="register URL (the stack output webhook_url) with the secret token")
    s.add_argument("--url", required=True)
    s.add_argument("--secret", help="the webhook secret (default: $LOADSHED_WEBHOOK_SECRET)")
    cmds.add_parser("info", help="what Telegram has registered, pending updates, last error")
    cmds.add_parser("delete", help="remove the webhook (e.g. to run the bot locally)")


def _client() -> TelegramClient:
    token = os.environ.get("TELEGRAM_BOT_TOKEN", "")
    if not token:
        raise CliError("set TELEGRAM_BOT_TOKEN (the token from BotFather)")
    return TelegramClient(token, os.environ.get("TELEGRAM_API_URL") or DEFAULT_TELEGRAM_URL)


def run(args: argparse.Namespace, out: TextIO) -> int:
    client = _client()
    if args.webhook_cmd == "set":
        if urlsplit(args.url).scheme != "https":
            raise CliError(f"Telegram only calls https webhooks, got {args.url!r}")
        secret = args.secret or os.environ.get("LOADSHED_WEBHOOK_SECRET", "")
        if not 1 <= len(secret) <= 256 or not all(c.isalnum() or c in "_-" for c in secret):
            raise CliError("the secret token must be 1–256 characters of A-Z, a-z, 0-9, _ and - (--secret)")
        client.set_webhook(args.url, secret)
        client.set_my_commands(COMMANDS)
        print(f"webhook set to {args.url}; commands registered", file=out)
    elif args.webhook_cmd == "delete":
        client.delete_webhook()
        print("webhook deleted; the bot can now be run with `loadshed run`", file=out)
    else:
        info = client.get_webhook_info()
        print(
            table(
                ["FIELD", "VALUE"],
                [
                    ["url", info.url or "(none: long polling)"],
                    ["pending updates", str(info.pending_update_count)],
                    ["last error", info.last_error_message or "-"],
                ],
            ),
            file=out,
        )
    return 0
