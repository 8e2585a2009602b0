"""TelegramClient against the loopback fake Bot API speaking the real error bodies."""

from __future__ import annotations

import pytest

from services.adapters.telegram import TelegramClient, TelegramConflictError
from services.ports import (
    Button,
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
