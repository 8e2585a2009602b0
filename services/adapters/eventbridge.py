"""`EventBridgePublisher`: PutEvents in batches (≤ 10 entries, ≤ 256 KB), resending partial failures."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from schemas import Event, to_put_events_entry
from services.ports import PublishError

MAX_ENTRIES = 10
MAX_BYTES = 256 * 1024
_PERMANENT = {
    "InvalidArgument",
    "MalformedDetail",
    "ValidationException",
    "AccessDeniedException",
    "NotAuthorizedForSourceException",
}
log = logging.getLogger("loadshed.eventbridge")


def entry_size(entry: dict[str, Any]) -> int:
    """PutEvents entry size as EventBridge computes it."""
    size = 14 if entry.get("Time") is not None else 0
    for key in ("Source", "DetailType", "Detail"):
        size += len(str(entry.get(key, "")).encode())
    size += sum(len(r.encode()) for r in entry.get("Resources", []))
    return size


def batches(entries: Sequence[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Split into PutEvents calls within both limits; a single oversize entry is an error."""
    out: list[list[dict[str, Any]]] = []
    current: list[dict[str, Any]] = []
    current_bytes = 0
    for entry in entries:
        size = entry_size(entry)
        if size > MAX_BYTES:
            raise PublishError(f"{entry.get('DetailType')}: {size} bytes exceeds EventBridge's 256 KB limit")
        if current and (len(current) == MAX_ENTRIES or current_bytes + size > MAX_BYTES):
            out.append(current)
            current, current_bytes = [], 0
        current.append(entry)
        current_bytes += size
    if current:
        out.append(current)
    return out


class EventBridgePublisher:
    """Publishes to one bus; `client` is a boto3 `events` client."""

    def __init__(
        self,
        client: Any,
        bus_name: str,
        attempts: int = 4,
        base_delay: float = 0.2,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self.bus_name = bus_name
        self._attempts = attempts
        self._base_delay = base_delay
        self._sleep = sleep
        self.calls = 0

    def publish(self, events: Sequence[Event]) -> None:
        entries = [to_put_events_entry(e, self.bus_name) for e in events]
        for batch in batches(entries):
            self._put(batch)

    def _put(self, batch: list[dict[str, Any]]) -> None:
        pending = batch
        for attempt in range(self._attempts):
            if attempt:
                self._sleep(random.uniform(0, self._base_delay * 2**attempt))
            self.calls += 1
            try:
                response = self._client.put_events(Entries=pending)
            except (ClientError, BotoCoreError) as exc:
                log.warning("PutEvents failed (attempt %d): %s", attempt + 1, exc)
                continue
            if not response.get("FailedEntryCount"):
                return
            failed = [(e, r) for e, r in zip(pending, response["Entries"], strict=True) if r.get("ErrorCode")]
            permanent = [r for _, r in failed if r["ErrorCode"] in _PERMANENT]
            if permanent:
                raise PublishError(
                    f"EventBridge rejected an event: {permanent[0]['ErrorCode']}: "
                    f"{permanent[0].get('ErrorMessage', '')}"
                )
            pending = [e for e, _ in failed]
            log.warning("PutEvents: %d of %d entries failed, resending", len(pending), len(batch))
        raise PublishError(
            f"{len(pending)} event(s) not accepted by bus {self.bus_name} after {self._attempts} attempts"
        )
