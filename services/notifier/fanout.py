"""Send-once fan-out of one fact to many chats, checkpointed, resumable, cheap.

Telegram has no idempotency key, so the guard is ours, keyed by the *fact* (not the event id):
recipients are handled in ascending chat id and a cursor (`fanout:<fact>` = last chat handled, or
`done`) is written after each send — one store write per message. A redelivered event finds
`done`; a crash resumes after the cursor, repeating at most the one in-flight message. With
`checkpoint_every=N` (cheaper on DynamoDB) the cursor is written every N sends and always on the way
out (exception, time budget), so only a hard kill of the process can repeat up to N−1 sends. A lease
keeps two deliveries of the same fact from sending concurrently. When the time budget runs low
the fan-out stops at its cursor and publishes `FanOutPaused`, which brings it back in a new run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from schemas import Event, FanOutPaused, NotificationFailed, NotificationSent
from schemas.events import NotificationKind
from services.chats import deactivate_chat, in_quiet_hours, migrate_chat
from services.ports import (
    ChatMigratedError,
    ChatSettings,
    ChatStore,
    ChatUnavailableError,
    Clock,
    KeyValueStore,
    MessageRejectedError,
    Messenger,
    MessengerUnavailableError,
    OutboxStore,
    RateLimitedError,
    SubscriptionStore,
)

log = logging.getLogger("loadshed.notifier")
CURSOR_TTL = 7 * 86400
DONE = "done"


class FanOutBusyError(RuntimeError):
    """Another run holds this fact's lease; the delivery is retried later and then finds it done."""


class FanOutStore(SubscriptionStore, ChatStore, KeyValueStore, OutboxStore, Protocol):
    """What a fan-out needs of the store."""


@dataclass
class FanOutResult:
    sent: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    skipped_done: bool = False
    paused: bool = False


def _summaries(
    kind: NotificationKind,
    fact_key: str,
    result: FanOutResult,
    cause: Event | None,
    errors: dict[int, tuple[str, bool]],
    clock: Clock,
) -> list[Event]:
    now = clock.now()
    chain = cause.caused() if cause else {}
    events: list[Event] = [
        NotificationSent(kind=kind, fact_key=fact_key, chat_ids=result.sent[i : i + 1000], occurred_at=now, **chain)
        for i in range(0, len(result.sent), 1000)
    ]
    events += [
        NotificationFailed(
            kind=kind,
            fact_key=fact_key,
            chat_id=chat,
            error=msg[:500],
            permanent=permanent,
            occurred_at=now,
            **chain,
        )
        for chat, (msg, permanent) in errors.items()
    ]
    return events


def _send(
    messenger: Messenger,
    store: FanOutStore,
    chat: int,
    text: str,
    silent: bool,
    clock: Clock,
    cause: Event | None,
    result: FanOutResult,
) -> None:
    """One message; a group that became a supergroup is followed to its new id and sent there."""
    try:
        messenger.send_text(chat, text, silent=silent)
        result.sent.append(chat)
    except ChatMigratedError as exc:
        moved = migrate_chat(store, chat, exc.new_chat_id, clock.now(), cause)
        log.info("chat %s became %s (%d subscription(s) moved); resending there", chat, exc.new_chat_id, moved)
        messenger.send_text(exc.new_chat_id, text, silent=silent)
        result.sent.append(exc.new_chat_id)


def fan_out(
    *,
    kind: NotificationKind,
    fact_key: str,
    recipients: Sequence[int],
    compose: Callable[[int], str],
    cause: Event | None,
    store: FanOutStore,
    messenger: Messenger,
    clock: Clock,
    time_left: Callable[[], float] | None = None,
    reserve_seconds: float = 20.0,
    lease_seconds: int = 960,
    checkpoint_every: int = 1,
    settings: Mapping[int, ChatSettings] | None = None,
) -> FanOutResult:
    """Send `compose(chat)` to each recipient once for this fact. Raises `FanOutBusyError` or, when
    Telegram keeps failing, `MessengerUnavailableError`/`RateLimitedError` (the cursor is kept)."""
    result = FanOutResult()
    cursor_key, lease_key = f"fanout:{fact_key}", f"fanout-lease:{fact_key}"
    state = store.get_value(cursor_key, now=clock.now())
    if state == DONE:
        result.skipped_done = True
        return result
    if not store.claim(lease_key, clock.now(), lease_seconds):
        raise FanOutBusyError(fact_key)
    last = int(state) if state else None
    saved = last
    errors: dict[int, tuple[str, bool]] = {}

    def checkpoint(value: str) -> None:
        store.put_value(cursor_key, value, ttl_seconds=CURSOR_TTL, now=clock.now())

    try:
        for chat in sorted(set(recipients)):
            if last is not None and chat <= last:
                continue
            if cause is not None and time_left is not None and time_left() < reserve_seconds:
                result.paused = True
                store.enqueue(
                    [
                        FanOutPaused(
                            kind=kind,
                            fact_key=fact_key,
                            origin_source=cause.SOURCE,
                            origin_detail_type=cause.DETAIL_TYPE,
                            origin_detail=cause.model_dump_json(),
                            sent_so_far=len(result.sent),
                            occurred_at=clock.now(),
                            **cause.caused(),
                        )
                    ]
                )
                break
            chat_settings = settings.get(chat, ChatSettings()) if settings is not None else store.get_settings(chat)
            silent = in_quiet_hours(chat_settings, clock.now())
            try:
                _send(messenger, store, chat, compose(chat), silent, clock, cause, result)
            except ChatUnavailableError as exc:
                result.failed.append(chat)
                errors[chat] = (str(exc), True)
                deactivate_chat(store, chat, exc.reason, clock.now(), cause)
            except MessageRejectedError as exc:
                result.failed.append(chat)
                errors[chat] = (str(exc), False)
                log.error("message about %s rejected for chat %s: %s", fact_key, chat, exc)
            except (MessengerUnavailableError, RateLimitedError):
                log.warning("Telegram unavailable during %s; will resume after chat %s", fact_key, last)
                raise
            last = chat
            if checkpoint_every <= 1 or (len(result.sent) + len(result.failed)) % checkpoint_every == 0:
                checkpoint(str(chat))
                saved = chat
        else:
            checkpoint(DONE)
            saved = None
            last = None
    finally:
        if last is not None and last != saved:  # exceptions and time-outs resume exactly
            checkpoint(str(last))
        store.enqueue(_summaries(kind, fact_key, result, cause, errors, clock))
        store.release(lease_key)
    return result
