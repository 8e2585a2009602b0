"""Reading commands out of Telegram messages (`/cmd`, `/cmd@BotName args`, groups, channels).

Who speaks: a person (`from`), or a chat (`sender_chat`) — a channel's post, or a group's
anonymous admin, whose `from` is the placeholder bot GroupAnonymousBot
(https://core.telegram.org/bots/api#message, "sender_chat"). Messages from other bots are ignored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from services.bot.updates import Message


@dataclass(frozen=True)
class Command:
    name: str
    args: str
    chat_id: int
    is_group: bool
    chat_type: str = "private"


def addressed_to(text: str) -> str | None:
    """The `@BotName` a command names, if any (`/status@OtherBot` → "OtherBot")."""
    head = text.strip().partition(" ")[0]
    _, at, target = head.partition("@")
    return target if at and text.startswith("/") else None


def parse_command(message: Message, bot_username: str | Callable[[], str | None] | None) -> Command | None:
    """The command in `message`, or None when it is not one for this bot.

    `bot_username` may be a callable, asked only when a command names a bot: then a command for
    another bot — or for a name we cannot check because we do not know our own — is ignored.
    """
    text = (message.text or "").strip()
    if not text.startswith("/"):
        return None
    if message.sender is not None and message.sender.is_bot and message.sender_chat is None:
        return None
    head, _, args = text.partition(" ")
    name, _, target = head[1:].partition("@")
    if target:
        own = bot_username() if callable(bot_username) else bot_username
        if not own or target.lower() != own.lower().lstrip("@"):
            return None
    if not name or len(name) > 32:
        return None
    chat = message.chat
    return Command(name.lower(), args.strip(), chat.id, chat.is_group or chat.type == "channel", chat.type)
