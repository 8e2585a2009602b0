"""What `loadshed status` shows, from any store: the embedded SQLite file or the deployed table."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from services import keys
from services.ports import KeyValueStore, OutboxStore, StageStore, SubscriptionStore
from services.schedule_fetcher import rejections
from services.upstream_health import stored_quota


class StatusStore(StageStore, SubscriptionStore, OutboxStore, KeyValueStore, Protocol):
    """What the status reads (reads only)."""


def status_rows(store: StatusStore, now: datetime) -> list[list[str]]:
    rows = []
    for region in ("national", "capetown"):
        rec = store.get_stage(region)
        seen = f"{rec.stage} since {rec.changed_at:%Y-%m-%d %H:%M %Z} via {rec.observed_from}" if rec else "unknown"
        rows.append([f"stage ({region})", seen])
    areas = store.subscribed_areas()
    chats = {c for a in areas for c in store.area_subscribers(a)}
    quota = stored_quota(store, now)
    quota_text = (
        f"{quota.used} of {quota.limit} used, {quota.remaining} left (as of {quota.observed_at:%Y-%m-%d %H:%M %Z})"
        if quota
        else "unknown (no EskomSePush answer yet)"
    )
    rejected = [r for a in areas if (r := rejections.get(store, a, now)) is not None and r.error]
    rows += [
        ["subscribed areas", ", ".join(areas) or "none"],
        ["subscribers", str(len(chats))],
        ["outbox depth", str(store.outbox_depth())],
        ["ESP quota", quota_text],
        *[
            [f"rejected by ESP: {r.area_id}", f"{r.error} (try {r.tries}/3 today; next {r.next_try:%H:%M %Z})"]
            for r in rejected
        ],
        ["upstream eskom", store.get_value(keys.upstream("eskom"), now=now) or "up"],
    ]
    return rows
