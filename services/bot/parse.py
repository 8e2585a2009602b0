"""Reading commands out of Telegram messages (`/cmd`, `/cmd@BotName args`, groups)."""

from __future__ import annotations

from dataclasses import dataclass

from services.adapters.telegram_models import Message


@dataclass(frozen=True)
class Command:
    name: str
    args: str
    chat_id: int
    is_group: bool


def parse_command(message: Message, bot_username: str | None) -> Command | None:
    """The command in `message`, or None when it is not one for this bot.

    Commands addressed to another bot (`/status@OtherBot`) and messages from bots are ignored.
    """
    text = (message.text or "").strip()
    if not text.startswith("/") or (message.sender is not None and message.sender.is_bot):
        return None
    head, _, args = text.partition(" ")
    name, _, target = head[1:].partition("@")
    if target and bot_username and target.lower() != bot_username.lower().lstrip("@"):
        return None
    if not name or len(name) > 32:
        return None
    return Command(name.lower(), args.strip(), message.chat.id, message.chat.is_group)
