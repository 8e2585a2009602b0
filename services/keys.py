"""Every key loadshed keeps in the key-value store and its claims, in one place.

Markers and caches (values, with a time-to-live) and claims (send-once guards and leases) share
one namespace per store; the prefixes below are the whole of it. Leases — claims held only while
working — are listed in `LEASE_PREFIXES`, so a new owner of the embedded database can take back
what a dead process held.
"""

from __future__ import annotations

# --- the bot ---------------------------------------------------------------------------------
USERNAME = "bot:username"
"""The bot's @username as getMe gave it."""
TELEGRAM_OFFSET = "telegram:offset"
"""The long-polling offset (embedded)."""


def update_lease(update_id: int) -> str:
    """Claim: a handler is working on this update (short; taken over when its holder died)."""
    return f"update:{update_id}"


def update_done(update_id: int) -> str:
    """Value: this update was handled (two days, Telegram's redelivery window)."""
    return f"update-done:{update_id}"


def area_name(area_id: str) -> str:
    return f"area:{area_id}"


def pick(short_id: str) -> str:
    """A button's area (callback data carries a digest: it is limited to 64 bytes)."""
    return f"pick:{short_id}"


def search(text: str) -> str:
    return f"search:{text.lower()}"


def nearby(latitude: float, longitude: float) -> str:
    return f"nearby:{latitude:.3f},{longitude:.3f}"


def unknown_area(area_id: str) -> str:
    """Value: EskomSePush said it does not know this id (asked again after a day)."""
    return f"unknown-area:{area_id}"


def lookup_rate(chat_id: int) -> str:
    """Claim: one search or lookup per chat per few seconds (each costs quota)."""
    return f"rate:search:{chat_id}"


def refresh_rate(chat_id: int) -> str:
    return f"rate:refresh:{chat_id}"


# --- upstreams ---------------------------------------------------------------------------------
ESP_QUOTA = "quota:eskomsepush"
ESP_REJECTED = "esp-rejected:"
"""Prefix: an area EskomSePush called bad, with its back-off."""


def upstream(name: str) -> str:
    return f"upstream:{name}"


# --- fan-outs and the refresh workflow ----------------------------------------------------------
def fanout_progress(fact_key: str) -> str:
    return f"fanout:{fact_key}"


def fanout_lease(key: str) -> str:
    """Claim: a run is sending this fact (or this region's facts); renewed while it works."""
    return f"fanout-lease:{key}"


def refresh_claim(request_id: object) -> str:
    return f"refresh:{request_id}"


def refresh_owner(request_id: object) -> str:
    return f"refresh-owner:{request_id}"


LEASE_PREFIXES = ("fanout-lease:", "update:")
"""Claims that are leases (held while working), not send-once or dedupe markers."""
