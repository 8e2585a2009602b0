"""`loadshed webhook set|info|delete` against the loopback fake Bot API."""

from __future__ import annotations

import io

import pytest

from services.cli.main import main
from tests.support.fake_bot_api import FakeBotApi


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), out=out, err=err), out.getvalue(), err.getvalue()


@pytest.fixture
def api(monkeypatch):
    with FakeBotApi() as fake:
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", fake.token)
        monkeypatch.setenv("TELEGRAM_API_URL", fake.url)
        yield fake


def test_set_info_delete(api):
    code, out, _ = run("webhook", "set", "--url", "https://abc.lambda-url.af-south-1.on.aws/", "--secret", "s3cr3t_-X")
    assert code == 0 and api.webhook_url == "https://abc.lambda-url.af-south-1.on.aws/" and api.commands
    code, out, _ = run("webhook", "info")
    assert code == 0 and "abc.lambda-url" in out
    code, out, _ = run("webhook", "delete")
    assert code == 0 and api.webhook_url == ""


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--url", "http://plain.example/"], "only calls https"),
        (["--url", "https://x.example/", "--secret", "has space"], "secret token must be"),
    ],
)
def test_bad_input(api, argv, message):
    code, _, err = run("webhook", "set", *argv)
    assert code == 2 and message in err and api.webhook_url == ""


def test_token_required(monkeypatch):
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    code, _, err = run("webhook", "info")
    assert code == 2 and "TELEGRAM_BOT_TOKEN" in err
