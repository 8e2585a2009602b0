"""Notifier: one message per chat per fact, sent once even across redelivery and crashes."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from uuid import uuid4

import pytest

from schemas import (
    FanOutPaused,
    NotificationFailed,
    NotificationSent,
    ScheduleUpdated,
    StageChanged,
    SubscriptionChanged,
)
from services.adapters.memory import FixedClock, InMemoryStore, RecordingMessenger, RecordingPublisher
from services.adapters.telegram import TelegramClient
from services.domain.slots import SAST, compute_slots, content_hash
from services.notifier.fanout import FanOutBusyError
from services.notifier.logic import (
    NotifierDeps,
    on_fan_out_paused,
    on_schedule_updated,
    on_stage_changed,
    stage_fact,
)
from services.ports import (
    ChatSettings,
    MessengerUnavailableError,
    StageRecord,
    SubscriptionRecord,
    Timetable,
    TimetableDay,
)
from services.ratelimit import LimitedMessenger, RateLimiter
from services.relay import relay
from tests.support.fake_bot_api import FakeBotApi

NOW = datetime(2026, 11, 25, 14, 0, tzinfo=SAST)
DAYS = tuple(
    TimetableDay(date(2026, 11, 25) + timedelta(days=i), (("18:00-20:30",), ("10:00-12:30", "18:00-20:30")))
    for i in range(3)
)


class World:
    def __init__(self, chats_per_area: dict[str, list[int]]) -> None:
        self.store, self.pub, self.clock = InMemoryStore(), RecordingPublisher(), FixedClock(NOW)
        self.tg = RecordingMessenger()
        for area, chats in chats_per_area.items():
            self.store.save_timetable(Timetable(area, area.upper(), "R", DAYS))
            for chat in chats:
                self.store.add_subscription(SubscriptionRecord(chat, area, area.upper()), [])
        self.store.save_stage(StageRecord("national", 1, NOW), None, [])
        self.deps = NotifierDeps(self.store, self.tg, self.pub, self.clock)

    def stage_event(self, stage: int = 2) -> StageChanged:
        return StageChanged(region="national", previous_stage=1, stage=stage, changed_at=NOW, occurred_at=NOW)

    def schedule_event(self, area: str, trigger: str = "timetable_fetched") -> ScheduleUpdated:
        tt = self.store.get_timetable(area)
        assert tt is not None
        slots = compute_slots(tt, 2, (), NOW)
        return ScheduleUpdated(
            area_id=area,
            area_name=area.upper(),
            region="national",
            stage=2,
            slots=slots,
            content_hash=content_hash(slots),
            trigger=trigger,
            occurred_at=NOW,
        )


def test_stage_change_one_message_per_chat_listing_each_area():
    w = World({"a": [1, 2], "b": [2, 3]})
    result = on_stage_changed(w.stage_event(), w.deps)
    assert sorted(result.sent) == [1, 2, 3]
    assert [len(w.tg.to(c)) for c in (1, 2, 3)] == [1, 1, 1]
    both = w.tg.to(2)[0].text
    assert "Stage 2" in both and "• A:" in both and "• B:" in both and "18:00–20:30" in both
    [summary] = w.pub.of_type(NotificationSent)
    assert summary.chat_ids == [1, 2, 3] and summary.kind == "stage_changed"


def test_same_event_twice_sends_once():
    w = World({"a": [1, 2]})
    event = w.stage_event()
    on_stage_changed(event, w.deps)
    again = on_stage_changed(event, w.deps)
    redelivered_as_new_event = on_stage_changed(event.model_copy(update={"event_id": uuid4()}), w.deps)
    assert again.skipped_done and redelivered_as_new_event.skipped_done
    assert len(w.tg.sent) == 2


def test_crash_mid_fan_out_then_retry_sends_each_chat_exactly_once():
    w = World({"a": list(range(1, 11))})
    sends = {"n": 0}

    def crash_on_sixth(chat: int) -> None:
        sends["n"] += 1
        if sends["n"] == 6:
            raise KeyboardInterrupt("process killed mid fan-out")

    w.tg.on_send = crash_on_sixth
    with pytest.raises(KeyboardInterrupt):
        on_stage_changed(w.stage_event(), w.deps)
    w.tg.on_send = None
    on_stage_changed(w.stage_event(), w.deps)
    assert sorted(s.chat_id for s in w.tg.sent) == list(range(1, 11))


def test_a_chat_telegram_keeps_failing_for_waits_while_the_others_go_on():
    w = World({"a": [1, 2, 3]})
    w.deps.retry_delay = 0.001
    tries = {"n": 0}

    def down_at_chat_2(chat: int) -> None:
        if chat == 2:
            tries["n"] += 1
            raise MessengerUnavailableError("502")

    w.tg.on_send = down_at_chat_2
    with pytest.raises(MessengerUnavailableError, match="kept failing for 1 chat"):
        on_stage_changed(w.stage_event(), w.deps)
    assert [s.chat_id for s in w.tg.sent] == [1, 3] and tries["n"] == 5  # retried, never dropped
    w.tg.on_send = None
    on_stage_changed(w.stage_event(), w.deps)  # the delivery's retry: only chat 2 is owed
    assert [s.chat_id for s in w.tg.sent] == [1, 3, 2]
    on_stage_changed(w.stage_event(), w.deps)
    assert len(w.tg.sent) == 3


def test_telegram_down_for_everyone_stops_the_run_and_keeps_progress():
    w = World({"a": list(range(1, 31))})
    w.deps.retry_delay = 0.001

    def down_from_chat_5(chat: int) -> None:
        if chat >= 5:
            raise MessengerUnavailableError("502")

    w.tg.on_send = down_from_chat_5
    with pytest.raises(MessengerUnavailableError, match="Telegram unavailable"):
        on_stage_changed(w.stage_event(), w.deps)
    w.tg.on_send = None
    on_stage_changed(w.stage_event(), w.deps)
    assert sorted(s.chat_id for s in w.tg.sent) == list(range(1, 31)) and len(w.tg.sent) == 30


def test_blocked_chat_is_deactivated_and_never_retried():
    w = World({"a": [1, 2, 3], "b": [2]})
    w.tg.blocked.add(2)
    result = on_stage_changed(w.stage_event(), w.deps)
    assert result.sent == [1, 3] and result.failed == [2]
    assert w.store.chat_subscriptions(2) == []
    removed = w.pub.of_type(SubscriptionChanged)
    assert {(e.area_id, e.reason, e.action) for e in removed} == {
        ("a", "bot_blocked", "removed"),
        ("b", "bot_blocked", "removed"),
    }
    [failed] = w.pub.of_type(NotificationFailed)
    assert failed.permanent and failed.chat_id == 2
    on_schedule_updated(w.schedule_event("a"), w.deps)
    assert all(s.chat_id != 2 for s in w.tg.sent)


def test_schedule_update_from_a_stage_change_is_not_told_twice():
    w = World({"a": [1]})
    on_stage_changed(w.stage_event(), w.deps)
    on_schedule_updated(w.schedule_event("a", trigger="stage_changed"), w.deps)
    assert len(w.tg.sent) == 1
    on_schedule_updated(w.schedule_event("a", trigger="timetable_fetched"), w.deps)
    assert len(w.tg.sent) == 2 and "Schedule changed for <b>A</b>" in w.tg.sent[1].text


def test_quiet_hours_make_messages_silent():
    w = World({"a": [1, 2]})
    w.store.save_settings(2, ChatSettings(quiet_start="13:00", quiet_end="15:00"))
    on_stage_changed(w.stage_event(), w.deps)
    assert [s.silent for s in w.tg.sent] == [False, True]


def test_concurrent_delivery_of_the_same_fact_is_refused():
    w = World({"a": [1]})
    event = w.stage_event()
    assert w.store.claim(f"fanout-lease:{stage_fact(event)}", NOW, 600)
    with pytest.raises(FanOutBusyError):
        on_stage_changed(event, w.deps)
    assert w.tg.sent == []


def test_large_fan_out_pauses_and_continues_in_a_new_run():
    w = World({"a": list(range(1, 101))})
    budget = {"left": 30.0}

    def time_left() -> float:
        budget["left"] -= 0.25  # each send "costs" a quarter second of the invocation
        return budget["left"]

    w.deps.time_left = time_left
    first = on_stage_changed(w.stage_event(), w.deps)
    assert first.paused and 0 < len(first.sent) < 100
    [paused] = w.pub.of_type(FanOutPaused)
    assert paused.sent_so_far == len(first.sent)
    w.deps.time_left = None
    second = on_fan_out_paused(paused, w.deps)  # the new invocation, routed by the topology
    assert sorted(first.sent + second.sent) == list(range(1, 101))
    assert len(w.tg.sent) == 100
    relay(w.store, w.pub, w.clock)
    assert sum(len(e.chat_ids) for e in w.pub.of_type(NotificationSent)) == 100


def test_through_the_real_adapter_within_telegram_limits():
    with FakeBotApi(global_rate=30) as api:
        w = World({"a": list(range(1, 41)), "g": [-100]})
        api.blocked.add(7)
        api.force_429.append(1)  # one 429 from Telegram: honoured, then retried
        w.deps.messenger = LimitedMessenger(TelegramClient(api.token, api.url), RateLimiter(global_rate=25))
        result = on_stage_changed(w.stage_event(), w.deps)
        delivered = [d.chat_id for d in api.delivered]
        assert sorted(delivered) == sorted(set(range(1, 41)) - {7} | {-100})  # each once, blocked skipped
        assert api.injected["429"] == 1 and api.rejected_429 == 0 and result.failed == [7]
        assert w.store.chat_subscriptions(7) == []


def test_batched_checkpoints_write_less_and_still_resume_exactly_after_an_exception():
    w = World({"a": list(range(1, 101))})
    w.deps.checkpoint_every = 25
    writes = {"n": 0}
    put = w.store.put_value

    def counting_put(key, value, ttl_seconds=None, *, now):
        if key.startswith("fanout:"):
            writes["n"] += 1
        put(key, value, ttl_seconds, now=now)

    w.store.put_value = counting_put  # type: ignore[method-assign]
    sends = {"n": 0}

    def crash_on_60th(chat: int) -> None:
        sends["n"] += 1
        if sends["n"] == 60:
            raise RuntimeError("worker died mid fan-out")

    w.tg.on_send = crash_on_60th
    with pytest.raises(RuntimeError):
        on_stage_changed(w.stage_event(), w.deps)
    w.tg.on_send = None
    on_stage_changed(w.stage_event(), w.deps)
    assert sorted(s.chat_id for s in w.tg.sent) == list(range(1, 101))  # exactly once each
    assert writes["n"] <= 8  # 100 messages: checkpoints at 25, 50, the crash, 25, … and done


def test_a_fan_out_follows_a_migrated_group_and_drops_chats_telegram_calls_gone():
    """Real Telegram bodies over HTTP: the 400 naming a supergroup moves the group and resends
    there; "not enough rights" ends that chat's subscriptions with its reason."""
    old, new = -123456789, -1001234567890
    w = World({"a": [old, 5, 6]})
    with FakeBotApi(global_rate=1000) as api:
        api.migrated[old] = new
        api.answers[6] = "sendMessage-400-not-enough-rights.json"
        w.deps.messenger = TelegramClient(api.token, api.url, timeout=5)
        result = on_stage_changed(w.stage_event(), w.deps)
        assert sorted(d.chat_id for d in api.delivered) == sorted([new, 5])
    assert sorted(result.sent) == sorted([new, 5]) and result.failed == [6]
    assert [s.area_id for s in w.store.chat_subscriptions(new)] == ["a"]
    assert w.store.chat_subscriptions(old) == [] and w.store.chat_subscriptions(6) == []
    reasons = {(e.chat_id, e.action, e.reason) for e in w.pub.of_type(SubscriptionChanged)}
    assert reasons == {(new, "added", "chat_migrated"), (old, "removed", "chat_migrated"), (6, "removed", "no_rights")}
    # the next fact reaches the supergroup directly
    w.deps.messenger = w.tg
    on_stage_changed(w.stage_event(3), w.deps)
    assert sorted(s.chat_id for s in w.tg.sent) == sorted([5, new])


def test_a_fan_out_for_a_stage_that_changed_again_stops_and_the_newest_reaches_everyone():
    w = World({"a": list(range(1, 21))})
    old = w.stage_event(2)
    sends = {"n": 0}

    def stage_moves_on(chat: int) -> None:
        sends["n"] += 1
        if sends["n"] == 5:  # the watcher records stage 4 while the stage-2 fan-out runs
            record = w.store.get_stage("national")
            newer = StageRecord("national", 4, NOW + timedelta(minutes=1))
            w.store.save_stage(newer, record.version if record else None, [])

    w.tg.on_send = stage_moves_on
    first = on_stage_changed(old, w.deps)
    assert first.superseded and 5 <= len(first.sent) < 20
    w.tg.on_send = None
    newer = StageChanged(
        region="national", previous_stage=2, stage=4, changed_at=NOW + timedelta(minutes=1), occurred_at=NOW
    )
    on_stage_changed(newer, w.deps)
    assert on_stage_changed(old, w.deps).skipped_done  # a redelivery of the old one sends nothing
    for chat in range(1, 21):
        texts = [s.text for s in w.tg.to(chat)]
        assert "Stage 4" in texts[-1] and sum("Stage 4" in t for t in texts) == 1


def test_pipelined_sends_through_5xx_deliver_each_chat_once():
    with FakeBotApi(global_rate=1000) as api:
        w = World({"a": list(range(1, 101))})
        api.fail_next.extend([502] * 10)  # the first ten answers are Telegram 5xx
        limited = LimitedMessenger(TelegramClient(api.token, api.url), RateLimiter(global_rate=200), attempts=1)
        w.deps.messenger, w.deps.workers, w.deps.retry_delay = limited, 4, 0.01
        result = on_stage_changed(w.stage_event(), w.deps)
        counts = Counter(d.chat_id for d in api.delivered)
    assert sorted(counts) == list(range(1, 101)) and set(counts.values()) == {1}
    assert result.retried == 10 and sorted(result.sent) == list(range(1, 101))


def test_a_fan_out_keeps_its_lease_while_working_and_stops_when_it_lost_it(monkeypatch):
    from services.notifier import fanout

    monkeypatch.setattr(fanout, "RENEW_AFTER", 0.0)  # renew before every send
    w = World({"a": list(range(1, 11))})
    on_stage_changed(w.stage_event(), w.deps)
    assert len(w.tg.sent) == 10
    w2 = World({"a": list(range(1, 11))})
    event = w2.stage_event()

    def lease_lost(chat: int) -> None:
        if chat == 4:  # another run took the fact's lease over (ours had run out)
            w2.store.release(f"fanout-lease:{stage_fact(event)}")

    def taken_over(chat: int) -> None:
        lease_lost(chat)
        if chat == 4:  # … and another run holds it now
            assert w2.store.claim(f"fanout-lease:{stage_fact(event)}", NOW, 600)

    w2.tg.on_send = taken_over
    with pytest.raises(FanOutBusyError, match="expired"):
        on_stage_changed(event, w2.deps)
    assert [s.chat_id for s in w2.tg.sent] == [1, 2, 3, 4]
    assert not w2.store.claim(f"fanout-lease:{stage_fact(event)}", NOW, 600)  # the other run's lease was kept
