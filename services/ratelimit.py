"""One limiter for every send: a global rate, ≤ 1/s per chat, ≤ 20/min per group, and a global
pause when Telegram answers 429. `LimitedMessenger` applies it and retries, bounded.

Reservations are made under a lock and slept outside it, so concurrent senders get distinct slots.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

from services.ports import Button, Messenger, MessengerUnavailableError, RateLimitedError

log = logging.getLogger("loadshed.ratelimit")
T = TypeVar("T")
GROUP_WINDOW = 60.5
"""Telegram counts 20 per minute per group; half a second of margin absorbs network jitter, as
the 1.05 s per chat does for "about one per second"."""


class SendSlots(Protocol):
    """The global rate shared between processes (`services/adapters/dynamodb_slots.py`)."""

    def reserve(self, count: int, interval: float, now: float) -> float:
        """The start of `count` consecutive slots `interval` apart, none before `now` (wall clock)."""
        ...


class RateLimiter:
    def __init__(
        self,
        global_rate: float = 25.0,
        per_chat_seconds: float = 1.05,
        group_per_minute: int = 20,
        *,
        enabled: bool = True,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        shared: SendSlots | None = None,
        block: int = 10,
    ) -> None:
        """`shared` makes the global rate hold across containers: slots are taken from it `block`
        at a time (per-chat and per-group spacing stay per process; a rare 429 from two
        containers writing to one chat in the same second is honoured like any other)."""
        self.global_interval = 1.0 / global_rate if global_rate > 0 else 0.0
        self.per_chat = per_chat_seconds
        self.group_per_minute = group_per_minute
        self.enabled = enabled
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self._next_global = 0.0
        self._paused_until = 0.0
        self._chat_next: dict[int, float] = {}
        self._group_sends: dict[int, deque[float]] = {}
        self.waited = 0.0
        self.shared, self.block = shared, block
        self._slots: deque[float] = deque()

    def reserve(self, chat_id: int) -> float:
        """Reserve the earliest allowed send time for `chat_id`; returns it (clock units)."""
        with self._lock:
            now = self._clock()
            at = max(now, self._next_global, self._paused_until, self._chat_next.get(chat_id, 0.0))
            if self.shared is not None:
                at = max(at, self._shared_slot(at))
            if chat_id < 0:  # groups and channels have negative ids
                sends = self._group_sends.setdefault(chat_id, deque())
                while sends and sends[0] <= at - GROUP_WINDOW:
                    sends.popleft()
                if len(sends) >= self.group_per_minute:
                    at = max(at, sends[0] + GROUP_WINDOW)
                sends.append(at)
            self._next_global = at + self.global_interval
            self._chat_next[chat_id] = at + self.per_chat
            if len(self._chat_next) > 50_000:
                self._chat_next = {c: t for c, t in self._chat_next.items() if t > now}
            return at

    def _shared_slot(self, earliest: float) -> float:
        """The next global slot this process holds at or after `earliest` (local clock), taking
        a new block from the shared schedule when it has none left."""
        while self._slots and self._slots[0] < earliest - self.global_interval:
            self._slots.popleft()  # passed unused (a wait elsewhere): gone
        if not self._slots:
            wall, local = time.time(), self._clock()
            start = self.shared.reserve(self.block, self.global_interval, wall + (earliest - local))  # type: ignore[union-attr]
            first = local + (start - wall)
            self._slots.extend(first + i * self.global_interval for i in range(self.block))
        return self._slots.popleft()

    def acquire(self, chat_id: int) -> None:
        """Block until `chat_id` may be sent to."""
        if not self.enabled:
            return
        wait = self.reserve(chat_id) - self._clock()
        if wait > 0:
            self.waited += wait
            self._sleep(wait)

    def pause_all(self, seconds: float) -> None:
        """Telegram said 429: no send at all for `seconds`."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)


class LimitedMessenger:
    """The Messenger port with the limiter in front and bounded retries behind.

    429 → pause every send for `retry_after`, then retry; 5xx/timeouts → exponential backoff;
    `ChatUnavailableError` and `MessageRejectedError` are never retried.
    """

    def __init__(
        self,
        inner: Messenger,
        limiter: RateLimiter,
        attempts: int = 4,
        backoff: float = 0.5,
        max_rate_limited: int = 5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.inner, self.limiter = inner, limiter
        self.attempts, self.backoff, self.max_rate_limited = attempts, backoff, max_rate_limited
        self._sleep = sleep
        self.rate_limited = 0

    def _send(self, chat_id: int, send: Callable[[], T]) -> T:
        failures = limited = 0
        while True:
            self.limiter.acquire(chat_id)
            try:
                return send()
            except RateLimitedError as exc:
                self.rate_limited += 1
                limited += 1
                log.warning("Telegram 429: pausing all sends for %.1fs", exc.retry_after)
                self.limiter.pause_all(exc.retry_after)
                if limited > self.max_rate_limited:
                    raise
            except MessengerUnavailableError as exc:
                failures += 1
                if failures >= self.attempts:
                    raise
                delay = self.backoff * 2 ** (failures - 1)
                log.warning("Telegram failed for chat %s (%s); retry %d in %.1fs", chat_id, exc, failures, delay)
                self._sleep(delay)

    def send_text(
        self, chat_id: int, text: str, *, buttons: Sequence[Sequence[Button]] = (), silent: bool = False
    ) -> int:
        return self._send(chat_id, lambda: self.inner.send_text(chat_id, text, buttons=buttons, silent=silent))

    def send_document(self, chat_id: int, filename: str, content: bytes, caption: str = "") -> int:
        return self._send(chat_id, lambda: self.inner.send_document(chat_id, filename, content, caption))

    def answer_callback(self, callback_id: str, text: str = "") -> None:
        self.inner.answer_callback(callback_id, text)
