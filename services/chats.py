"""Chat rules shared by the notifier, the reminder and the bot: quiet hours, giving up on chats
that are gone (their subscriptions end with `SubscriptionChanged(reason=…)`), and following a
group to its new supergroup id."""

from __future__ import annotations

import re
from datetime import datetime, time
from typing import Protocol

from schemas import Event, SubscriptionChanged
from services.domain.slots import SAST
from services.ports import ChatSettings, ChatStore, GoneReason, SubscriptionRecord, SubscriptionStore

HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


class QuietHoursError(ValueError):
    """Quiet hours must look like HH:MM-HH:MM."""


def parse_quiet(text: str) -> tuple[str, str]:
    parts = [p.strip() for p in text.split("-")]
    if len(parts) != 2 or not all(HHMM.match(p) for p in parts) or parts[0] == parts[1]:
        raise QuietHoursError("use HH:MM-HH:MM, e.g. 22:00-06:00")
    return parts[0].zfill(5), parts[1].zfill(5)


def _t(text: str) -> time:
    h, m = text.split(":")
    return time(int(h), int(m))


def in_quiet_hours(settings: ChatSettings, moment: datetime) -> bool:
    """True when `moment` (SAST) falls in the chat's quiet hours, which may wrap past midnight."""
    if not settings.quiet_start or not settings.quiet_end:
        return False
    now, start, end = moment.astimezone(SAST).time(), _t(settings.quiet_start), _t(settings.quiet_end)
    return start <= now < end if start < end else now >= start or now < end


def deactivate_chat(
    store: SubscriptionStore, chat_id: int, reason: GoneReason, occurred_at: datetime, cause: Event | None = None
) -> list[SubscriptionChanged]:
    """Remove every subscription of a chat that can no longer be reached; each removal carries its event."""
    why = reason
    removed = []
    for sub in store.chat_subscriptions(chat_id):
        event = SubscriptionChanged(
            chat_id=chat_id,
            area_id=sub.area_id,
            area_name=sub.area_name,
            action="removed",
            reason=why,
            occurred_at=occurred_at,
            **(cause.caused() if cause else {}),
        )
        if store.remove_subscription(chat_id, sub.area_id, [event]):
            removed.append(event)
    return removed


class MigrationStore(SubscriptionStore, ChatStore, Protocol):
    """What moving a chat needs of the store."""


def migrate_chat(
    store: MigrationStore, old_id: int, new_id: int, occurred_at: datetime, cause: Event | None = None
) -> int:
    """Move a group's settings and subscriptions to its new supergroup id; returns how many moved.

    Idempotent and safe to repeat after a crash: the settings are copied first, each area is added
    at the new id before it is removed from the old one, and a second run finds nothing left.
    """
    subs = store.chat_subscriptions(old_id)
    if not subs:
        return 0
    settings = store.get_settings(old_id)
    store.save_settings(new_id, settings)
    chain = cause.caused() if cause else {}
    for sub in subs:
        fields = {"area_id": sub.area_id, "area_name": sub.area_name, "reason": "chat_migrated", **chain}
        added = SubscriptionChanged(chat_id=new_id, action="added", occurred_at=occurred_at, **fields)
        record = SubscriptionRecord.following(new_id, sub.area_id, sub.area_name, settings)
        store.add_subscription(record, [added], limit=10_000)
        removed = SubscriptionChanged(chat_id=old_id, action="removed", occurred_at=occurred_at, **fields)
        store.remove_subscription(old_id, sub.area_id, [removed])
    return len(subs)
