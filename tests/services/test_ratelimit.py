"""The shared limiter on a simulated clock, and the retrying wrapper's error policy."""

from __future__ import annotations

import pytest

from services.adapters.memory import RecordingMessenger
from services.ports import ChatUnavailableError, MessengerUnavailableError, RateLimitedError
from services.ratelimit import LimitedMessenger, RateLimiter


class SimClock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += seconds


def limiter(**kw) -> tuple[RateLimiter, SimClock]:
    clock = SimClock()
    return RateLimiter(clock=clock, sleep=clock.sleep, **kw), clock


def test_global_rate():
    lim, clock = limiter(global_rate=25)
    for chat in range(100):
        lim.acquire(chat)
    assert clock.t == pytest.approx(99 / 25)


def test_one_per_second_per_chat():
    lim, clock = limiter(global_rate=1000)
    for _ in range(5):
        lim.acquire(7)
    assert clock.t == pytest.approx(4 * 1.05)  # one a second, with 5% margin for network jitter


def test_twenty_per_minute_per_group():
    lim, clock = limiter(global_rate=1000, per_chat_seconds=0)
    times = []
    for _ in range(41):
        lim.acquire(-100)
        times.append(clock.t)
    assert times[19] < 1 and times[20] == pytest.approx(60.5) and times[40] == pytest.approx(121)  # 0.5 s margin
    assert all(times[i + 20] - times[i] >= 60 for i in range(len(times) - 20))  # never 21 in a minute


def test_pause_applies_to_every_chat():
    lim, clock = limiter(global_rate=1000)
    lim.pause_all(8)
    lim.acquire(1)
    lim.acquire(2)
    assert clock.t == pytest.approx(8.0, abs=0.01)


def test_disabled_limiter_never_waits():
    lim, clock = limiter(global_rate=1, enabled=False)
    for _ in range(10):
        lim.acquire(1)
    assert clock.t == 0


def _wrapped(**kw):
    lim, clock = limiter(global_rate=1000)
    inner = RecordingMessenger()
    return LimitedMessenger(inner, lim, sleep=clock.sleep, **kw), inner, clock


def test_429_pauses_then_retries():
    messenger, inner, clock = _wrapped()
    inner.fail_next.append(RateLimitedError(3))
    messenger.send_text(1, "x")
    assert len(inner.sent) == 1 and messenger.rate_limited == 1 and clock.t >= 3


def test_5xx_retries_are_bounded():
    messenger, inner, _ = _wrapped(attempts=3)
    inner.fail_next.extend([MessengerUnavailableError("502")] * 3)
    with pytest.raises(MessengerUnavailableError):
        messenger.send_text(1, "x")
    inner.fail_next.extend([MessengerUnavailableError("502")] * 2)
    messenger.send_text(1, "x")
    assert len(inner.sent) == 1


def test_blocked_is_never_retried():
    messenger, inner, _ = _wrapped()
    inner.blocked.add(9)
    calls: list[int] = []
    inner.on_send = calls.append
    with pytest.raises(ChatUnavailableError):
        messenger.send_text(9, "x")
    assert calls == [9]
