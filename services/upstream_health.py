"""Upstream bookkeeping: an outage logged once when it starts and once when it ends (not once per
poll), and the last EskomSePush quota reading."""

from __future__ import annotations

import json
import logging
from datetime import datetime

from services import keys
from services.ports import KeyValueStore, Quota


def note_upstream(
    store: KeyValueStore, name: str, ok: bool, log: logging.Logger, now: datetime, detail: str = ""
) -> bool:
    """Record `name`'s health; logs and returns True only when it changed."""
    key = keys.upstream(name)
    state = "up" if ok else "down"
    if (store.get_value(key, now=now) or "up") == state:
        return False
    store.put_value(key, state, now=now)
    if ok:
        log.info("upstream %s is answering again", name)
    else:
        log.warning("upstream %s is unavailable: %s (keeping the last known data)", name, detail)
    return True


QUOTA_KEY = keys.ESP_QUOTA


def record_quota(store: KeyValueStore, quota: Quota) -> None:
    """Keep the last quota EskomSePush reported where every process and `loadshed status` read it."""
    body = {"limit": quota.limit, "used": quota.used, "observed_at": quota.observed_at.isoformat()}
    store.put_value(QUOTA_KEY, json.dumps(body), ttl_seconds=2 * 86400, now=quota.observed_at)


def stored_quota(store: KeyValueStore, now: datetime) -> Quota | None:
    raw = store.get_value(QUOTA_KEY, now=now)
    if not raw:
        return None
    data = json.loads(raw)
    observed = datetime.fromisoformat(data["observed_at"]) if "observed_at" in data else now
    return Quota(int(data["limit"]), int(data["used"]), observed)
