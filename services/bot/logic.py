"""The bot's entry: one Telegram update in, replies and events out. Same code for webhook and polling.

An update is leased while it is handled (`update:<id>`, short) and marked done after
(`update-done:<id>`, two days): a redelivered update that was done is dropped; one whose handler
died is taken over — by the next owner of the embedded database at start, or on AWS by
Telegram's retry once the lease runs out; while a live handler holds it, `UpdateInProgressError`
asks for a later retry (the webhook answers 503). If handling fails the lease is released.
"""

from __future__ import annotations

import logging

from services import keys
from services.bot.areas import on_location, picked, subscribe, unsubscribe
from services.bot.commands import COMMANDS, cmd_help
from services.bot.deps import BotDeps, own_username, say
from services.bot.parse import parse_command
from services.bot.updates import CallbackQuery, ChatMemberUpdated, Message, Update
from services.chats import deactivate_chat, migrate_chat
from services.messages import Reply
from services.relay import relay

log = logging.getLogger("loadshed.bot")
DONE_TTL = 2 * 86400
LEASE_SECONDS = 120
"""Longer than a webhook invocation may run (the bot Lambda's timeout is 30 s)."""


class UpdateInProgressError(RuntimeError):
    """Another live handler holds this update: ask again later (it may finish, or die and let go)."""


def handle_update(update: Update, deps: BotDeps) -> bool:
    """Handle one update; False when it was a duplicate or of a kind the bot ignores."""
    now = deps.clock.now()
    done, lease = keys.update_done(update.update_id), keys.update_lease(update.update_id)
    if deps.store.get_value(done, now=now):
        log.info("update %s already handled", update.update_id)
        return False
    if not deps.store.claim(lease, now, LEASE_SECONDS):
        raise UpdateInProgressError(f"update {update.update_id} is being handled")
    try:
        handled = _dispatch(update, deps)
        deps.store.put_value(done, "1", ttl_seconds=DONE_TTL, now=now)
        return handled
    finally:
        deps.store.release(lease)


def _dispatch(update: Update, deps: BotDeps) -> bool:
    message = update.message or update.channel_post
    if message is not None:
        return _message(message, deps)
    if update.callback_query is not None:
        return _callback(update.callback_query, deps)
    if update.my_chat_member is not None:
        return _membership(update.my_chat_member, deps)
    return False  # edited messages, polls, …: acknowledged and ignored


def _migrated(message: Message, deps: BotDeps) -> bool:
    """A group became a supergroup: Telegram tells the old chat (`migrate_to_chat_id`) and the new
    one (`migrate_from_chat_id`); either moves the subscriptions, the second finds nothing left."""
    if message.migrate_to_chat_id is not None:
        old, new = message.chat.id, message.migrate_to_chat_id
    elif message.migrate_from_chat_id is not None:
        old, new = message.migrate_from_chat_id, message.chat.id
    else:
        return False
    moved = migrate_chat(deps.store, old, new, deps.clock.now())
    relay(deps.store, deps.publisher, deps.clock)
    log.info("chat %s became %s; %d subscription(s) moved", old, new, moved)
    return True


def _message(message: Message, deps: BotDeps) -> bool:
    if _migrated(message, deps):
        return True
    if message.location is not None and message.chat.type == "private":
        on_location(message.chat.id, message.location, deps)
        return True
    cmd = parse_command(message, lambda: own_username(deps))
    if cmd is None:
        from_person = message.sender is not None and not message.sender.is_bot
        if message.chat.type == "private" and message.text and from_person:
            say(deps, message.chat.id, Reply.text_hint)
            return True
        return False
    COMMANDS.get(cmd.name, cmd_help)(cmd, deps)
    return True


def _callback(query: CallbackQuery, deps: BotDeps) -> bool:
    data = query.data or ""
    action, _, sid = data.partition(":")
    chat_id = query.message.chat.id if query.message else query.sender.id
    choice = picked(deps, sid) if action in ("sub", "unsub") else None
    if choice is None:
        deps.messenger.answer_callback(query.id, Reply.button_expired)
        return False
    area_id, name = choice
    text = subscribe(deps, chat_id, area_id, name) if action == "sub" else unsubscribe(deps, chat_id, area_id, name)
    deps.messenger.answer_callback(query.id)
    say(deps, chat_id, text)
    return True


def _membership(update: ChatMemberUpdated, deps: BotDeps) -> bool:
    if update.new_chat_member.status not in ("kicked", "left"):
        return False
    removed = deactivate_chat(deps.store, update.chat.id, "bot_blocked", deps.clock.now())
    relay(deps.store, deps.publisher, deps.clock)
    log.info("chat %s removed the bot; %d subscription(s) ended", update.chat.id, len(removed))
    return True
