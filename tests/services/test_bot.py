"""The bot's commands, driven by Telegram Update payloads (real fixtures where they exist)."""

from __future__ import annotations

import copy
from datetime import date, datetime, timedelta

import pytest
from icalendar import Calendar

from schemas import RefreshRequested, SubscriptionChanged
from services.adapters.memory import (
    FakeTimetableSource,
    FixedClock,
    InMemoryStore,
    RecordingMessenger,
    RecordingPublisher,
)
from services.bot.areas import short_id
from services.bot.deps import BotDeps
from services.bot.logic import handle_update
from services.bot.updates import Update
from services.domain.slots import SAST
from services.ports import QuotaExceededError, StageRecord, SubscriptionRecord, Timetable, TimetableDay
from tests.conftest import load_fixture

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=SAST)
OBS = "capetown-15-observatory"
TT = Timetable(
    OBS,
    "Observatory (15)",
    "City of Cape Town",
    tuple(
        TimetableDay(date(2026, 11, 25) + timedelta(days=i), (("18:00-20:30",), ("10:00-12:30", "18:00-20:30")))
        for i in range(8)
    ),
)
CHAT = 1


class Bot:
    def __init__(self) -> None:
        self.store, self.tg, self.pub, self.clock = (
            InMemoryStore(),
            RecordingMessenger(),
            RecordingPublisher(),
            FixedClock(NOW),
        )
        self.esp = FakeTimetableSource(
            {OBS: TT, "eskde-1-obs": Timetable("eskde-1-obs", "Observatory Ext", "Eskom", ())}
        )
        self.deps = BotDeps(self.store, self.tg, self.pub, self.clock, self.esp, "loadshed_test_bot", frozenset({99}))
        self.next_id = 500

    def update(self, body: dict) -> bool:
        self.next_id += 1
        return handle_update(Update.model_validate({"update_id": self.next_id, **body}), self.deps)

    def say(self, text: str, chat: int = CHAT, chat_type: str = "private", is_bot: bool = False) -> str:
        message = copy.deepcopy(load_fixture("telegram/message-private-bot-command.json"))
        message.update(
            {
                "text": text,
                "chat": {"id": chat, "type": chat_type},
                "from": {"id": abs(chat), "is_bot": is_bot, "first_name": "T"},
            }
        )
        before = len(self.tg.sent)
        self.update({"message": message})
        return "\n".join(s.text for s in self.tg.sent[before:])


def test_real_start_fixture_gets_help():
    bot = Bot()
    assert handle_update(
        Update.model_validate({"update_id": 1, "message": load_fixture("telegram/message-private-bot-command.json")}),
        bot.deps,
    )
    assert "/search" in bot.tg.sent[0].text and "/calendar" in bot.tg.sent[0].text


def test_search_buttons_subscribe_on_tap_and_results_are_cached():
    bot = Bot()
    reply = bot.say("/search obser<vatory")
    assert "obser&lt;vatory" in reply  # user text escaped
    bot.clock.advance(seconds=11)
    bot.say("/search Observatory")
    buttons = bot.tg.sent[-1].buttons
    assert [b[0].data for b in buttons] == [f"sub:{short_id(OBS)}", f"sub:{short_id('eskde-1-obs')}"]
    assert all(len(b[0].data.encode()) <= 64 for b in buttons)
    bot.clock.advance(seconds=30)
    bot.say("/search observatory")  # cached: no second upstream call
    assert bot.esp.searches == ["obser<vatory", "Observatory"]
    callback = copy.deepcopy(load_fixture("telegram/update-callback-query-official.json"))["callback_query"]
    callback["data"] = buttons[0][0].data
    bot.update({"callback_query": callback})
    user = callback["from"]["id"]  # inline message: the reply goes to the user
    assert bot.store.chat_subscriptions(user)[0].area_id == OBS
    assert bot.tg.callbacks[-1][0] == callback["id"]
    [event] = bot.pub.of_type(SubscriptionChanged)
    assert (event.chat_id, event.area_id, event.action) == (user, OBS, "added")


def test_search_is_rate_limited_and_quota_errors_are_friendly():
    bot = Bot()
    bot.say("/search abc")
    assert "One search every" in bot.say("/search abd")
    bot.clock.advance(seconds=11)
    bot.esp.errors.append(QuotaExceededError("429"))
    assert "not available right now" in bot.say("/search abe")


def test_subscribe_validation_limit_and_unsubscribe():
    bot = Bot()
    assert "doesn't look like an area id" in bot.say("/subscribe ../../etc")
    assert "EskomSePush knows no area <code>nope-1</code>" in bot.say("/subscribe nope-1")
    bot.clock.advance(seconds=11)
    assert "You now follow <b>Observatory (15)</b>" in bot.say(f"/subscribe {OBS}")  # looked up: one call
    assert "already follow" in bot.say(f"/subscribe {OBS}")
    for i in range(9):
        bot.store.add_subscription(SubscriptionRecord(CHAT, f"x-{i}", f"X{i}"), [])
    bot.store.put_value("area:y-1", "Y", now=NOW)
    assert "10 areas already" in bot.say("/subscribe y-1")
    assert bot.esp.calls == ["nope-1", OBS]
    assert "Which area" in bot.say("/unsubscribe")
    assert "no longer follow <b>Observatory (15)</b>" in bot.say(f"/unsubscribe {OBS}")
    assert "You don't follow" in bot.say(f"/unsubscribe {OBS}")
    assert [e.action for e in bot.pub.of_type(SubscriptionChanged)] == ["added", "removed"]


def test_status_schedule_and_calendar():
    bot = Bot()
    assert "don't know the stage yet" in bot.say("/status")
    bot.store.save_stage(StageRecord("national", 2, NOW - timedelta(hours=3)), None, [])
    bot.store.save_stage(StageRecord("capetown", 1, NOW - timedelta(hours=1)), None, [])
    status = bot.say("/status")
    assert "Eskom (national)</b>: Stage 2" in status and "City of Cape Town</b>: Stage 1" in status
    bot.store.save_timetable(TT)
    bot.store.add_subscription(SubscriptionRecord(CHAT, OBS, "Observatory (15)"), [])
    schedule = bot.say("/schedule")
    assert "today 18:00–20:30 (Stage 1)" in schedule and "tomorrow 18:00–20:30" in schedule
    bot.say("/calendar")
    document = bot.tg.sent[-1].document
    assert document is not None
    filename, content = document
    events = [c for c in Calendar.from_ical(content).walk("VEVENT")]
    assert filename == "load-shedding.ics" and len(events) == 7
    assert events[0]["DTSTART"].dt == datetime(2026, 11, 25, 18, 0, tzinfo=SAST)


def test_settings_commands():
    bot = Bot()
    assert "Reminders 45 minutes" in bot.say("/remind 45")
    assert bot.store.get_settings(CHAT).remind_minutes == 45
    assert "Use /remind" in bot.say("/remind 2")
    assert "off" in bot.say("/remind off") and bot.store.get_settings(CHAT).remind_minutes is None
    assert "Quiet hours 22:00–06:00" in bot.say("/quiet 22:00-06:00")
    assert "Use /quiet" in bot.say("/quiet 25:00-06:00")
    assert bot.say("/quiet off") == "Quiet hours are off."


def test_refresh_is_rate_limited_and_broadcast_is_admin_only():
    bot = Bot()
    assert "Checking the stage" in bot.say("/refresh")
    assert "few minutes" in bot.say("/refresh")
    bot.clock.advance(minutes=6)
    bot.say("/refresh")
    assert "for the bot's admins" in bot.say("/broadcast_refresh")
    assert "every subscriber" in bot.say("/broadcast_refresh", chat=99)
    assert [(e.scope, e.chat_id) for e in bot.pub.of_type(RefreshRequested)] == [("chat", 1), ("chat", 1), ("all", 99)]


def test_groups_other_bots_and_unknown_commands():
    bot = Bot()
    assert bot.say("/status@SomeOtherBot", chat=-100, chat_type="supergroup") == ""
    assert "don't know the stage" in bot.say("/status@loadshed_test_bot", chat=-100, chat_type="supergroup")
    assert bot.say("/status", is_bot=True) == ""
    assert bot.say("hello there", chat=-100, chat_type="group") == ""
    assert "/help" in bot.say("hello there")
    assert "/subscribe" in bot.say("/frobnicate")


def test_duplicate_update_handled_once():
    bot = Bot()
    update = Update.model_validate(
        {"update_id": 7, "message": load_fixture("telegram/message-private-bot-command.json")}
    )
    assert handle_update(update, bot.deps)
    assert not handle_update(update, bot.deps)
    assert len(bot.tg.sent) == 1


def test_failed_handling_releases_the_update_for_a_retry():
    bot = Bot()
    bot.tg.fail_next.append(RuntimeError("boom"))
    update = Update.model_validate(
        {"update_id": 8, "message": load_fixture("telegram/message-private-bot-command.json")}
    )
    with pytest.raises(RuntimeError):
        handle_update(update, bot.deps)
    assert handle_update(update, bot.deps) and len(bot.tg.sent) == 1


def test_kicked_from_chat_deactivates_and_edits_are_ignored():
    bot = Bot()
    bot.store.add_subscription(SubscriptionRecord(-100, OBS, "Obs"), [])
    assert bot.update(
        {
            "my_chat_member": {
                "chat": {"id": -100, "type": "group"},
                "from": {"id": 5, "first_name": "A"},
                "date": 1,
                "new_chat_member": {"status": "kicked"},
            }
        }
    )
    assert bot.store.chat_subscriptions(-100) == []
    assert bot.pub.of_type(SubscriptionChanged)[0].reason == "bot_blocked"
    edited = load_fixture("telegram/message-private-bot-command.json")
    assert not bot.update({"edited_message": edited})
    assert not bot.update(load_fixture("telegram/getUpdates-response.json")["result"][0])
    assert bot.tg.sent == []
