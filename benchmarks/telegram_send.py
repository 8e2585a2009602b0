"""10,000 notifications through the real Telegram adapter to a loopback Bot API enforcing limits.

The fake answers 429 (with retry_after) above `30 × scale` msg/s; the sender's shared limiter is
configured at `25 × scale` msg/s (Telegram's ~30/s with headroom). `scale` only shortens the run
(default 10: 250/s against 300/s; `--scale 1` is Telegram's real rate and takes ~7 minutes): the
figures that count are ratios. Prints achieved/configured rate, duplicates, lost and 429s seen.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter

from schemas import StageChanged
from services.adapters.memory import FixedClock, InMemoryStore
from services.adapters.telegram import TelegramClient
from services.notifier.fanout import FanOutPlan, FanOutRuntime, fan_out
from services.ratelimit import LimitedMessenger, RateLimiter
from tests.support.fake_bot_api import FakeBotApi


def run(messages: int = 10_000, scale: float = 10.0) -> dict[str, float]:
    configured = 25.0 * scale
    with FakeBotApi(global_rate=30 * scale) as api:
        limiter = RateLimiter(global_rate=configured)
        messenger = LimitedMessenger(TelegramClient(api.token, api.url), limiter)
        store, clock = InMemoryStore(), FixedClock()
        cause = StageChanged(region="national", previous_stage=2, stage=4, changed_at=clock.now())
        recipients = list(range(1, messages + 1))
        start = time.perf_counter()
        plan = FanOutPlan("stage_changed", "bench", recipients, lambda c: f"Stage 4 for {c}", cause)
        fan_out(plan, FanOutRuntime(store, messenger, clock, workers=4))
        elapsed = time.perf_counter() - start
        counts = Counter(d.chat_id for d in api.delivered)
        return {
            "messages": messages,
            "configured_rate": configured,
            "achieved_rate": len(api.delivered) / elapsed,
            "achieved/configured": len(api.delivered) / elapsed / configured,
            "duplicates": sum(n - 1 for n in counts.values()),
            "lost": messages - len(counts),
            "429s_seen": api.rejected_429,
            "seconds": elapsed,
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--scale", type=float, default=10.0)
    args = parser.parse_args(argv or [])
    figures = run(args.messages, args.scale)
    print(f"telegram fan-out: {args.messages} messages, limits scaled ×{args.scale:g}")
    for key, value in figures.items():
        print(f"  {key:22} {value:12.3f}" if isinstance(value, float) else f"  {key:22} {value:>12}")
    ok = figures["achieved/configured"] >= 0.95 and figures["duplicates"] == 0 and figures["lost"] == 0
    print(f"  goal (≥ 0.95, 0 duplicates, 0 lost, a handful of 429s at most): {'met' if ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
