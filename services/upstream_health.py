"""Log an upstream's outage once when it starts and once when it ends, not once per poll."""

from __future__ import annotations

import logging

from services.ports import KeyValueStore


def note_upstream(store: KeyValueStore, name: str, ok: bool, log: logging.Logger, detail: str = "") -> bool:
    """Record `name`'s health; logs and returns True only when it changed."""
    key = f"upstream:{name}"
    state = "up" if ok else "down"
    if (store.get_value(key) or "up") == state:
        return False
    store.put_value(key, state)
    if ok:
        log.info("upstream %s is answering again", name)
    else:
        log.warning("upstream %s is unavailable: %s (keeping the last known data)", name, detail)
    return True
