"""Chat rules shared by the notifier, the reminder and the bot: quiet hours, and giving up on chats
that blocked the bot (their subscriptions end with `SubscriptionChanged(reason=…)`)."""

from __future__ import annotations

import re
from datetime import datetime, time

from schemas import Event, SubscriptionChanged
from services.domain.slots import SAST
from services.ports import ChatSettings, SubscriptionStore

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
    store: SubscriptionStore, chat_id: int, reason: str, occurred_at: datetime, cause: Event | None = None
) -> list[SubscriptionChanged]:
    """Remove every subscription of a chat that can no longer be reached; each removal carries its event."""
    why = "bot_blocked" if reason == "bot_blocked" else "chat_not_found"
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
