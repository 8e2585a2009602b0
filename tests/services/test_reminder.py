"""Reminder over a simulated day with stage changes: each expected reminder exactly once."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from schemas import NotificationSent
from services.adapters.memory import FixedClock, InMemoryStore, RecordingMessenger, RecordingPublisher
from services.domain.slots import SAST
from services.ports import ChatSettings, StageRecord, SubscriptionRecord, Timetable, TimetableDay
from services.reminder.logic import ReminderDeps, remind

DAY = date(2026, 11, 25)
STAGES = (("08:00-10:00",), ("08:00-10:00", "14:00-16:00"), ("08:00-10:00", "14:00-16:00", "20:00-22:00"))


def world():
    store, tg = InMemoryStore(), RecordingMessenger()
    clock = FixedClock(datetime.combine(DAY, datetime.min.time(), SAST))
    store.save_timetable(
        Timetable("a", "Area A", "R", (TimetableDay(DAY, STAGES), TimetableDay(DAY + timedelta(1), STAGES)))
    )
    for chat in (1, 2, 3, 4):
        store.add_subscription(SubscriptionRecord(chat, "a", "Area A"), [])
    store.save_settings(2, ChatSettings(remind_minutes=60))
    store.save_settings(3, ChatSettings(remind_minutes=None))
    store.save_settings(4, ChatSettings(quiet_start="19:00", quiet_end="23:00"))
    return store, tg, clock, ReminderDeps(store, tg, RecordingPublisher(), clock)


def set_stage(store: InMemoryStore, stage: int, at: datetime) -> None:
    current = store.get_stage("national")
    store.save_stage(StageRecord("national", stage, at), current.version if current else None, [])


def test_a_day_of_reminders_with_stage_changes():
    store, tg, clock, deps = world()
    set_stage(store, 3, clock.now())
    changes = {  # 12:00 stage drops to 1 (14:00 and 20:00 slots vanish), 17:00 back to 3
        datetime.combine(DAY, datetime.min.time(), SAST) + timedelta(hours=12): 1,
        datetime.combine(DAY, datetime.min.time(), SAST) + timedelta(hours=17): 3,
    }
    for _ in range(24 * 12):  # every 5 minutes for a day
        for at, stage in changes.items():
            if clock.now() == at:
                set_stage(store, stage, at)
        remind(deps)
        remind(deps)  # a duplicated schedule run changes nothing
        clock.advance(minutes=5)
    got = sorted((s.chat_id, s.text.split(", ")[1][:11]) for s in tg.sent)
    expected = sorted(
        [
            (1, "08:00–10:00"),
            (2, "08:00–10:00"),
            (4, "08:00–10:00"),  # chat 3 has reminders off
            (1, "20:00–22:00"),
            (2, "20:00–22:00"),  # 14:00 vanished; chat 4 is quiet at 19:30
        ]
    )
    assert got == expected
    first = next(s for s in tg.sent if s.chat_id == 2)
    assert first.text == "⏰ <b>Area A</b>: power goes off in 1 h, 08:00–10:00 (Stage 3)"


def test_reminders_are_summarised():
    store, _, clock, deps = world()
    set_stage(store, 1, clock.now())
    clock.advance(hours=7, minutes=35)
    remind(deps)
    sent = {e.fact_key.rsplit(":", 1)[1]: e.chat_ids for e in deps.publisher.of_type(NotificationSent)}
    assert sent == {"30": [1, 4], "60": [2]}  # grouped by lead time; chat 3 has reminders off
    assert all(e.kind == "reminder" for e in deps.publisher.of_type(NotificationSent))


def test_blocked_chat_is_dropped():
    store, tg, clock, deps = world()
    set_stage(store, 1, clock.now())
    tg.blocked.add(1)
    clock.advance(hours=7, minutes=35)
    report = remind(deps)
    assert report.failed == [1] and store.chat_subscriptions(1) == []
