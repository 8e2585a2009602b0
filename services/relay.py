"""The outbox relay: publishes events that were stored together with the state they announce.

Every service runs it after its own writes; the stage watcher's schedule makes it a sweeper too,
so an event left behind by a crash or a bus outage goes out on the next poll at the latest.
Delivery is at-least-once: consumers are idempotent.
"""

from __future__ import annotations

from services.ports import Clock, OutboxStore, Publisher


def relay(store: OutboxStore, publisher: Publisher, clock: Clock, batch: int = 50, max_batches: int = 100) -> int:
    """Publish pending outbox events; returns how many went out. `PublishError` leaves them leased
    (they are retried once the lease runs out)."""
    total = 0
    for _ in range(max_batches):
        items = store.claim_outbox(clock.now(), limit=batch)
        if not items:
            break
        publisher.publish([item.event for item in items])
        store.mark_published([item.item_id for item in items])
        total += len(items)
    return total
