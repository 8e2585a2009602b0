"""The webhook's HTTP contract, through the core and through the Lambda Function URL entrypoint."""

from __future__ import annotations

import base64
import json

import pytest

from services import bootstrap
from services.adapters.memory import (
    FixedClock,
    InMemoryStore,
    RecordingMessenger,
    RecordingPublisher,
    ScriptedStageSource,
)
from services.bot import handler
from services.bot.deps import BotDeps
from services.bot.webhook import MAX_BODY, handle_webhook
from tests.conftest import load_fixture

SECRET = "s3cret-token_value"
START = {"update_id": 42, "message": load_fixture("telegram/message-private-bot-command.json")}


@pytest.fixture
def deps():
    return BotDeps(InMemoryStore(), RecordingMessenger(), RecordingPublisher(), FixedClock())


def body(obj) -> bytes:
    return json.dumps(obj).encode()


@pytest.mark.parametrize(
    "headers", [{}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}, {"x-telegram-bot-api-secret-token": SECRET[:-1]}]
)
def test_wrong_secret_is_401_before_the_body_is_read(deps, headers):
    assert handle_webhook(headers, b"{not json at all", SECRET, deps)[0] == 401
    assert deps.messenger.sent == []


def test_empty_configured_secret_rejects_everything(deps):
    assert handle_webhook({"X-Telegram-Bot-Api-Secret-Token": ""}, body(START), "", deps)[0] == 401


@pytest.mark.parametrize(
    "name", ["X-Telegram-Bot-Api-Secret-Token", "x-telegram-bot-api-secret-token", "X-TELEGRAM-BOT-API-SECRET-TOKEN"]
)
def test_header_name_in_any_case(deps, name):
    assert handle_webhook({name: SECRET}, body(START), SECRET, deps) == (200, '{"ok": true}')


def test_bad_bodies(deps):
    ok = {"x-telegram-bot-api-secret-token": SECRET}
    assert handle_webhook(ok, b"x" * (MAX_BODY + 1), SECRET, deps)[0] == 413
    assert handle_webhook(ok, b"{oops", SECRET, deps)[0] == 400
    assert handle_webhook(ok, body({"no_update_id": 1}), SECRET, deps)[0] == 400
    poll = load_fixture("telegram/getUpdates-response.json")["result"][0]
    assert handle_webhook(ok, body(poll), SECRET, deps)[0] == 200  # a type we don't handle: ignored
    assert deps.messenger.sent == []


def test_same_update_twice_is_handled_once(deps):
    ok = {"x-telegram-bot-api-secret-token": SECRET}
    assert handle_webhook(ok, body(START), SECRET, deps)[0] == 200
    assert handle_webhook(ok, body(START), SECRET, deps)[0] == 200
    assert len(deps.messenger.sent) == 1


@pytest.fixture
def lambda_container():
    c = bootstrap.build(
        store=InMemoryStore(),
        publisher=RecordingPublisher(),
        stage_source=ScriptedStageSource(),
        messenger=RecordingMessenger(),
        settings={"webhook_secret": SECRET, "env": {}},
    )
    bootstrap.install(c)
    yield c
    bootstrap.install(None)


def _url_event(payload: bytes, headers: dict, b64: bool = False, method: str = "POST") -> dict:
    return {
        "requestContext": {"http": {"method": method}},
        "headers": headers,
        "isBase64Encoded": b64,
        "body": base64.b64encode(payload).decode() if b64 else payload.decode(),
    }


def test_lambda_function_url_entrypoint(lambda_container):
    ok = {"x-telegram-bot-api-secret-token": SECRET}
    assert handler.handle(_url_event(body(START), ok, b64=True))["statusCode"] == 200
    assert handler.handle(_url_event(b"{", {"x-telegram-bot-api-secret-token": "nope"}))["statusCode"] == 401
    assert handler.handle(_url_event(b"{", ok))["statusCode"] == 400
    assert handler.handle(_url_event(b"", ok, method="GET"))["statusCode"] == 405
    big = {"requestContext": {"http": {"method": "POST"}}, "headers": ok, "body": "x" * (MAX_BODY * 2)}
    assert handler.handle(big)["statusCode"] == 413
    assert len(lambda_container.messenger().sent) == 1
