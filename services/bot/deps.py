"""What the bot's handlers are given, the store keys they share, and the bot's own name."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from services import keys
from services.ports import Button, Clock, Messenger, Publisher, Store, TimetableSource, UpstreamError

log = logging.getLogger("loadshed.bot")
DAY = 86400
USERNAME_KEY = keys.USERNAME


@dataclass
class BotDeps:
    store: Store
    messenger: Messenger
    publisher: Publisher
    clock: Clock
    timetables: TimetableSource | None = None
    bot_username: str | None = None
    """From configuration, if set; otherwise asked of Telegram (`whoami`) and cached in the store."""
    admin_chats: frozenset[int] = field(default_factory=frozenset)
    whoami: Callable[[], str | None] | None = None


def own_username(deps: BotDeps) -> str | None:
    """The bot's @username: configured, cached, or asked of Telegram (getMe) — and asked again on
    the next addressed command when Telegram did not answer."""
    if deps.bot_username:
        return deps.bot_username
    now = deps.clock.now()
    cached = deps.store.get_value(USERNAME_KEY, now=now)
    if cached or deps.whoami is None:
        return cached
    try:
        name = deps.whoami()
    except UpstreamError as exc:
        log.warning("cannot learn the bot's username (%s); commands addressed to a bot are ignored", exc)
        return None
    if name:
        deps.store.put_value(USERNAME_KEY, name, ttl_seconds=7 * DAY, now=now)
    return name


def say(deps: BotDeps, chat_id: int, text: str, buttons: list[list[Button]] | None = None) -> None:
    deps.messenger.send_text(chat_id, text, buttons=buttons or [])
