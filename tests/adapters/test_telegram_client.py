"""TelegramClient against the loopback fake Bot API speaking the real error bodies."""

from __future__ import annotations

import pytest

from services.adapters.telegram import TelegramClient, TelegramConflictError
from services.ports import (
    Button,
    ChatMigratedError,
    ChatUnavailableError,
    MessageRejectedError,
    MessengerUnavailableError,
    RateLimitedError,
    UpstreamAuthError,
)
from tests.conftest import load_fixture
from tests.support.fake_bot_api import FakeBotApi


@pytest.fixture
def api():
    with FakeBotApi() as fake:
        yield fake


@pytest.fixture
def client(api):
    return TelegramClient(api.token, api.url, timeout=5)


def test_send_text_with_buttons_and_silence(api, client):
    message_id = client.send_text(42, "<b>hi</b>", buttons=[[Button("Observatory", "sub:abc")]], silent=True)
    assert message_id == 1
    [sent] = api.delivered
    assert sent.payload["parse_mode"] == "HTML" and sent.payload["disable_notification"] is True
    assert sent.payload["reply_markup"] == {"inline_keyboard": [[{"text": "Observatory", "callback_data": "sub:abc"}]]}


def test_send_document_is_multipart(api, client):
    client.send_document(42, "load-shedding.ics", b"BEGIN:VCALENDAR", "caption")
    [sent] = api.delivered
    assert sent.method == "sendDocument" and sent.payload["document"] == b"BEGIN:VCALENDAR"


def test_429_carries_retry_after(api, client):
    api.force_429.append(8)
    with pytest.raises(RateLimitedError) as info:
        client.send_text(1, "x")
    assert info.value.retry_after == 8


def test_blocked_and_gone_chats_are_unavailable(api, client):
    api.blocked.add(5)
    api.gone.add(6)
    with pytest.raises(ChatUnavailableError) as blocked:
        client.send_text(5, "x")
    assert blocked.value.reason == "bot_blocked" and blocked.value.chat_id == 5
    with pytest.raises(ChatUnavailableError) as gone:
        client.send_text(6, "x")
    assert gone.value.reason == "chat_not_found"


def test_5xx_is_transient(api, client):
    api.fail_next.append(502)
    with pytest.raises(MessengerUnavailableError):
        client.send_text(1, "x")
    assert client.send_text(1, "x") == 1


def test_other_400_is_rejected_and_bad_token_is_auth():
    with FakeBotApi() as api:
        with pytest.raises(UpstreamAuthError):
            TelegramClient("999:WRONG", api.url).send_text(1, "x")
        with pytest.raises(MessageRejectedError, match="text is empty"):
            TelegramClient(api.token, api.url).send_text(1, "")
    with pytest.raises(UpstreamAuthError):
        TelegramClient("")


def test_get_updates_offsets_and_unknown_kinds(api, client):
    poll = load_fixture("telegram/getUpdates-response.json")["result"][0]  # a poll_answer: not ours
    first = api.push_update(poll)
    second = api.push_text(7, "/status")
    updates = client.get_updates(None, timeout=0)
    assert [u.update_id for u in updates] == [first, second]
    assert updates[0].message is None and updates[1].message.text == "/status"
    assert client.get_updates(second + 1, timeout=0) == []


def test_get_updates_conflicts_with_a_webhook(api, client):
    client.set_webhook("https://example.invalid/hook", "s3cret")
    assert client.get_webhook_info().url == "https://example.invalid/hook"
    with pytest.raises(TelegramConflictError):
        client.get_updates(None, timeout=0)
    client.delete_webhook()
    assert client.get_updates(None, timeout=0) == []


def test_connection_refused_is_transient():
    with pytest.raises(MessengerUnavailableError):
        TelegramClient("1:x", "http://127.0.0.1:9", timeout=1).send_text(1, "x")


@pytest.mark.parametrize(
    ("fixture", "reason"),
    [
        # bodies from github.com/TelegramBotAPI/errors (tests/fixtures/SOURCES.md)
        ("sendMessage-403-blocked.json", "bot_blocked"),
        ("sendMessage-403-kicked-from-group.json", "bot_blocked"),
        ("sendMessage-403-not-member-channel.json", "bot_blocked"),
        ("sendMessage-403-cant-initiate.json", "bot_blocked"),
        ("sendMessage-403-user-deactivated.json", "chat_deactivated"),
        ("sendMessage-400-group-deactivated.json", "chat_deactivated"),
        ("sendMessage-400-chat-not-found.json", "chat_not_found"),
        ("sendMessage-400-peer-id-invalid.json", "chat_not_found"),
        ("sendMessage-400-user-not-found.json", "chat_not_found"),
        ("sendMessage-400-not-enough-rights.json", "no_rights"),
    ],
)
def test_every_gone_answer_is_a_typed_reason(api, client, fixture, reason):
    api.answers[-77] = fixture
    with pytest.raises(ChatUnavailableError) as gone:
        client.send_text(-77, "x")
    assert (gone.value.reason, gone.value.chat_id) == (reason, -77)


def test_migration_400_names_the_supergroup(api, client):
    api.migrated[-123456789] = -1001234567890
    with pytest.raises(ChatMigratedError) as moved:
        client.send_text(-123456789, "x")
    assert (moved.value.chat_id, moved.value.new_chat_id) == (-123456789, -1001234567890)


def test_message_not_modified_is_not_an_error(api, client):
    api.answers[9] = "editMessage-400-not-modified.json"
    assert client.send_text(9, "same") == 0  # 400 "message is not modified": done, nothing to do


def test_location_request_is_a_one_time_reply_keyboard(api, client):
    client.send_text(42, "Share?", buttons=[[Button("📍 Share my location", request_location=True)]])
    markup = api.delivered[-1].payload["reply_markup"]
    assert markup["keyboard"] == [[{"text": "📍 Share my location", "request_location": True}]]
    assert markup["one_time_keyboard"] is True


def test_webhook_is_set_with_connections_and_the_updates_we_read(api, client):
    client.set_webhook("https://x.example/hook", "s3cret")
    assert api.webhook_url == "https://x.example/hook"
    sent = api.webhook_payload
    assert sent["max_connections"] == 5 and sent["secret_token"] == "s3cret"
    assert sent["allowed_updates"] == ["message", "channel_post", "callback_query", "my_chat_member"]
