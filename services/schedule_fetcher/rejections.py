"""Areas EskomSePush rejected (HTTP 400 or 404): logged once, backed off, visible in `status`.

A request ESP called bad is asked at most 3 times a day — 8 hours apart — so one bad id cannot
eat a free tier of 50 calls, and the other areas are fetched as usual.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from services import keys
from services.ports import KeyValueStore

PREFIX = keys.ESP_REJECTED
TRIES_PER_DAY = 3
DAY = timedelta(days=1)
BACKOFF = DAY / TRIES_PER_DAY


@dataclass(frozen=True)
class Rejection:
    area_id: str
    error: str
    tries: int
    first: datetime
    next_try: datetime


def _key(area_id: str) -> str:
    return f"{PREFIX}{area_id}"


def get(store: KeyValueStore, area_id: str, now: datetime) -> Rejection | None:
    raw = store.get_value(_key(area_id), now=now)
    if not raw:
        return None
    data = json.loads(raw)
    first, next_try = datetime.fromisoformat(data["first"]), datetime.fromisoformat(data["next_try"])
    return Rejection(area_id, data["error"], int(data["tries"]), first, next_try)


def may_ask(store: KeyValueStore, area_id: str, now: datetime) -> bool:
    found = get(store, area_id, now)
    return found is None or now >= found.next_try


def note(store: KeyValueStore, area_id: str, error: str, now: datetime, log: logging.Logger) -> Rejection:
    """Record one more rejection; the first is logged at WARNING, repeats at INFO."""
    previous = get(store, area_id, now)
    if previous is not None and now - previous.first < DAY:
        first, tries = previous.first, previous.tries + 1
    else:
        first, tries = now, 1
    next_try = now + BACKOFF if tries < TRIES_PER_DAY else first + DAY
    found = Rejection(area_id, error[:300], tries, first, next_try)
    body = {"error": found.error, "tries": tries, "first": first.isoformat(), "next_try": next_try.isoformat()}
    store.put_value(_key(area_id), json.dumps(body), ttl_seconds=2 * 86400, now=now)
    level = logging.WARNING if tries == 1 else logging.INFO
    log.log(level, "EskomSePush rejected area %s (%s); next try %s", area_id, error, next_try.isoformat())
    return found


def clear(store: KeyValueStore, area_id: str, now: datetime) -> None:
    if store.get_value(_key(area_id), now=now):
        store.put_value(_key(area_id), "", ttl_seconds=1, now=now)
