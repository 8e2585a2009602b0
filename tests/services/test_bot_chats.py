"""Every kind of chat: anonymous admins, channels, migrated groups, shared locations, the bot's
own name — driven by captured Telegram payloads (tests/fixtures/telegram, see SOURCES.md)."""

from __future__ import annotations

import copy
from datetime import timedelta

from schemas import SubscriptionChanged
from services.bot.logic import handle_update
from services.bot.updates import Update
from services.ports import ChatSettings, MessengerUnavailableError, StageRecord, SubscriptionRecord
from tests.conftest import load_fixture
from tests.services.test_bot import NOW, OBS, TT, Bot

OLD_GROUP, SUPERGROUP = -123456789, -1001234567890


def _anonymous_admin(text: str) -> dict:
    """The real anonymous-admin capture (GroupAnonymousBot + sender_chat), its text replaced."""
    update = copy.deepcopy(load_fixture("telegram/update-anonymous-admin.json"))
    update["message"]["text"] = text
    return update


def test_an_anonymous_admin_speaks_for_the_group():
    bot = Bot()
    update = _anonymous_admin(f"/subscribe {OBS}")
    group = update["message"]["chat"]["id"]
    assert handle_update(Update.model_validate(update), bot.deps)
    assert [s.area_id for s in bot.store.chat_subscriptions(group)] == [OBS]
    assert bot.tg.sent[-1].chat_id == group and "You now follow" in bot.tg.sent[-1].text
    # the same capture with its real (non-command) text: nothing to answer in a group
    assert not handle_update(Update.model_validate(load_fixture("telegram/update-anonymous-admin.json")), bot.deps)


def test_a_channel_post_command_subscribes_the_channel():
    bot = Bot()
    update = copy.deepcopy(load_fixture("telegram/update-channel-post.json"))
    channel = update["channel_post"]["chat"]["id"]
    update["channel_post"]["text"] = f"/subscribe@loadshed_test_bot {OBS}"
    assert handle_update(Update.model_validate(update), bot.deps)
    assert [s.area_id for s in bot.store.chat_subscriptions(channel)] == [OBS]
    assert bot.tg.sent[-1].chat_id == channel
    plain = load_fixture("telegram/update-channel-post.json")  # "a note": no reply in a channel
    before = len(bot.tg.sent)
    assert not handle_update(Update.model_validate(plain), bot.deps) and len(bot.tg.sent) == before


def test_a_migrated_group_keeps_its_areas_and_settings_at_the_new_id():
    bot = Bot()
    bot.store.save_settings(OLD_GROUP, ChatSettings(remind_minutes=15, quiet_start="22:00", quiet_end="06:00"))
    bot.store.add_subscription(SubscriptionRecord(OLD_GROUP, OBS, "Observatory (15)", 15, "22:00", "06:00"), [])
    service = load_fixture("telegram/message-migrate-from-service.json")  # to the new supergroup
    assert bot.update({"message": service})
    [moved] = bot.store.chat_subscriptions(SUPERGROUP)
    assert (moved.area_id, moved.remind_minutes, moved.quiet_start) == (OBS, 15, "22:00")
    assert bot.store.chat_subscriptions(OLD_GROUP) == []
    assert bot.store.get_settings(SUPERGROUP).remind_minutes == 15
    events = bot.pub.of_type(SubscriptionChanged)
    assert {(e.chat_id, e.action, e.reason) for e in events} == {
        (SUPERGROUP, "added", "chat_migrated"),
        (OLD_GROUP, "removed", "chat_migrated"),
    }
    # the old group's own service message (migrate_to_chat_id) finds nothing left to move
    old_side = {
        "message_id": 2,
        "date": 1,
        "chat": {"id": OLD_GROUP, "type": "group"},
        "migrate_to_chat_id": SUPERGROUP,
    }
    assert bot.update({"message": old_side}) and len(bot.pub.of_type(SubscriptionChanged)) == 2
    assert bot.tg.sent == []


def test_a_shared_location_lists_nearby_areas_once_a_day():
    bot = Bot()
    location = {"message_id": 3, "date": 1, "chat": {"id": 1, "type": "private"}, "from": {"id": 1, "first_name": "T"}}
    location["location"] = {"latitude": -33.9386, "longitude": 18.4717}
    assert bot.update({"message": location})
    assert "Areas near that location" in bot.tg.sent[-1].text and bot.tg.sent[-1].buttons
    bot.clock.advance(seconds=30)
    bot.update({"message": location})
    assert len(bot.esp.searches) == 1  # one ESP call, cached for the day
    assert "/nearby" in bot.say("/search") and bot.tg.sent[-1].buttons[0][0].request_location
    assert bot.say("/nearby", chat=-5, chat_type="group").startswith("Send a location here")


def test_subscribe_by_id_costs_one_call_and_is_shared():
    bot = Bot()
    assert "You now follow <b>Observatory (15)</b>" in bot.say(f"/subscribe {OBS}")
    assert "fetching its timetable" in bot.tg.sent[-1].text  # no schedule computed yet: it follows
    assert "You now follow" in bot.say(f"/subscribe {OBS}", chat=2)
    assert bot.esp.calls == [OBS] and bot.store.get_timetable(OBS) is not None


def test_a_follower_of_a_known_area_gets_its_schedule_at_once():
    bot = Bot()
    bot.store.save_timetable(TT)
    bot.store.save_stage(StageRecord("capetown", 2, NOW - timedelta(hours=1)), None, [])
    from services.domain.slots import compute_slots, content_hash, slots_json
    from services.ports import ScheduleRecord

    slots = compute_slots(TT, 2, (), NOW)
    bot.store.record_schedule(
        OBS, ScheduleRecord(content_hash(slots), slots_json(slots), NOW + timedelta(days=7)), None, []
    )
    reply = bot.say(f"/subscribe {OBS}")
    assert "You now follow" in reply and "today 10:00–12:30 (Stage 2)" in reply


def test_the_bot_learns_its_name_and_ignores_commands_for_other_bots():
    bot = Bot()
    asked: list[int] = []
    outcomes: list[object] = [MessengerUnavailableError("Telegram down"), "loadshed_test_bot"]

    def whoami() -> str | None:
        asked.append(1)
        result = outcomes.pop(0)
        if isinstance(result, Exception):
            raise result
        return str(result)

    bot.deps.bot_username, bot.deps.whoami = None, whoami
    assert bot.say("/status", chat=-100, chat_type="supergroup")  # unaddressed: no name needed
    assert asked == []
    assert bot.say("/status@loadshed_test_bot", chat=-100, chat_type="supergroup") == ""  # cannot check yet
    assert "don't know the stage" in bot.say("/status@loadshed_test_bot", chat=-100, chat_type="supergroup")
    assert bot.say("/status@OtherBot", chat=-100, chat_type="supergroup") == ""
    assert len(asked) == 2 and bot.store.get_value("bot:username", now=NOW) == "loadshed_test_bot"  # cached after
