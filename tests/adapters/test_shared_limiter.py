"""Issue 14: without reserved concurrency, notifier, reminder, bot and refresh containers send at
once; the global Telegram rate must hold across them. Four workers — each its own limiter, as
separate containers have — share the send slots through DynamoDB (moto) and send 2,000 messages
through the real Telegram client to the fake Bot API, which answers 429 above its rate."""

from __future__ import annotations

import threading
import time
from collections import Counter

import boto3
from moto import mock_aws

from services.adapters.dynamodb_slots import DynamoSendSlots
from services.adapters.dynamodb_store import create_table
from services.adapters.telegram import TelegramClient
from services.ratelimit import LimitedMessenger, RateLimiter
from tests.support.fake_bot_api import FakeBotApi

CONFIGURED = 100.0  # msg/s for the whole test (Telegram's 30 and our 25, ×4 to keep the test short)
TELEGRAM = 120.0  # the fake enforces this in any rolling second: the same 20% headroom as 30 over 25


def _send(api: FakeBotApi, slots: DynamoSendSlots, chats: range, done: list[float]) -> None:
    limiter = RateLimiter(global_rate=CONFIGURED, shared=slots)
    messenger = LimitedMessenger(TelegramClient(api.token, api.url, timeout=5), limiter)
    for chat in chats:
        messenger.send_text(chat, f"Stage 4 for {chat}")
    done.append(time.monotonic())


def test_four_containers_hold_the_global_rate_together():
    with mock_aws(), FakeBotApi(global_rate=TELEGRAM) as api:
        client = boto3.client("dynamodb", region_name="af-south-1")
        create_table(client, "loadshed-slots")
        slots = DynamoSendSlots(client, "loadshed-slots")
        done: list[float] = []
        workers = [
            threading.Thread(target=_send, args=(api, slots, range(1 + 500 * i, 501 + 500 * i), done)) for i in range(4)
        ]
        started = time.monotonic()
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=120)
        elapsed = max(done) - started
    counts = Counter(d.chat_id for d in api.delivered)
    assert len(counts) == 2000 and set(counts.values()) == {1}
    assert api.rejected_429 == 0, api.rejected_at  # never above the rate, in any rolling second, across the four
    achieved = 2000 / elapsed
    assert achieved >= 0.9 * CONFIGURED, f"{achieved:.1f} msg/s of {CONFIGURED}"
    assert slots.calls <= 2 * 2000 / 10 * 1.5, slots.calls  # about two table calls per block of ten (+ contention)


def test_without_the_shared_slots_four_containers_overrun_telegram():
    """The mutation: each container alone keeps its rate, together they exceed Telegram's."""
    with FakeBotApi(global_rate=TELEGRAM) as api:
        limiters = [RateLimiter(global_rate=CONFIGURED) for _ in range(4)]
        threads = [
            threading.Thread(
                target=lambda lim=lim, i=i: [
                    LimitedMessenger(TelegramClient(api.token, api.url, timeout=5), lim).send_text(c, "x")
                    for c in range(1 + 100 * i, 101 + 100 * i)
                ]
            )
            for i, lim in enumerate(limiters)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    assert api.rejected_429 > 0
