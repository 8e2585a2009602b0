"""Rules every store adapter applies, written once: expiry against an explicit clock, and the
per-chat subscription limit. The adapters only map and persist."""

from __future__ import annotations

from datetime import datetime

from services.ports import SubscriptionLimitError


def expires_at(now: datetime, ttl_seconds: int | None) -> float | None:
    """When a value written at `now` expires (epoch seconds), or None for a value that does not."""
    return now.timestamp() + ttl_seconds if ttl_seconds else None


def expired(expires: float | None, now: datetime) -> bool:
    """A value past its expiry reads as absent (before the store's own clean-up removes it)."""
    return expires is not None and float(expires) <= now.timestamp()


def within_limit(chat_id: int, count: int, limit: int) -> None:
    """Raise `SubscriptionLimitError` when the chat already follows `limit` areas."""
    if count >= limit:
        raise SubscriptionLimitError(f"chat {chat_id} already follows {limit} areas")
