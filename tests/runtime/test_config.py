"""Configuration: environment over loadshed.toml, one clear line for each bad value, secrets masked."""

from __future__ import annotations

import pytest

from services.bootstrap import ConfigError
from services.runtime.config import Config, load


def test_defaults(tmp_path):
    cfg = load({}, tmp_path / "none.toml")
    assert cfg == Config()
    assert cfg.db == "./.loadshed/loadshed.db" and cfg.telegram_api_url == "https://api.telegram.org"


def test_environment_wins_over_the_file(tmp_path):
    toml = tmp_path / "loadshed.toml"
    toml.write_text('db = "/data/a.db"\nadmin_chats = [1, 2]\npoll_seconds = 60\n')
    cfg = load({"LOADSHED_DB": "/data/b.db", "TELEGRAM_BOT_TOKEN": "123:abc"}, toml)
    assert (cfg.db, cfg.admin_chats, cfg.poll_seconds, cfg.telegram_bot_token) == (
        "/data/b.db",
        (1, 2),
        60.0,
        "123:abc",
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ESKOM_API_URL": "not a url"}, "ESKOM_API_URL must be an http(s) URL"),
        ({"LOADSHED_POLL_SECONDS": "soon"}, "LOADSHED_POLL_SECONDS must be a number"),
        ({"LOADSHED_POLL_SECONDS": "-5"}, "must be at least 1 seconds"),
        ({"LOADSHED_POLL_SECONDS": "nan"}, "must be at least 1 seconds"),
        ({"LOADSHED_REMIND_SECONDS": "inf"}, "must be at least 1 seconds"),
        ({"LOADSHED_POLL_SECONDS": "0.001"}, "must be at least 1 seconds"),
        ({"LOADSHED_SEND_RATE": "nan"}, "at most Telegram's 30"),
        ({"LOADSHED_SEND_RATE": "500"}, "at most Telegram's 30"),
        (
            {"LOADSHED_STAGE_SOURCE": "eskomsepush", "ESKOMSEPUSH_TOKEN": "k", "LOADSHED_POLL_SECONDS": "5"},
            "at least 60 when the stage comes from EskomSePush",
        ),
        ({"LOADSHED_ADMIN_CHATS": "me"}, "LOADSHED_ADMIN_CHATS must be chat ids"),
        ({"LOADSHED_LOG_LEVEL": "LOUD"}, "LOADSHED_LOG_LEVEL must be"),
        ({"TELEGRAM_BOT_TOKEN": "nocolon"}, "does not look like a bot token"),
        ({"LOADSHED_STAGE_SOURCE": "eskomsepush"}, "needs ESKOMSEPUSH_TOKEN"),
    ],
)
def test_bad_values_fail_with_one_line(tmp_path, env, message):
    with pytest.raises(ConfigError) as info:
        load(env, tmp_path / "none.toml")
    assert message in str(info.value) and "\n" not in str(info.value)


def test_the_file_must_be_utf8_with_single_values(tmp_path):
    toml = tmp_path / "loadshed.toml"
    toml.write_bytes("log_level = 'INFO' # caf\xe9\n".encode("latin-1"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        load({}, toml)
    toml.write_text("[log_level]\nx = 1\n")
    with pytest.raises(ConfigError, match="must be a single value"):
        load({}, toml)


def test_bad_file(tmp_path):
    toml = tmp_path / "loadshed.toml"
    toml.write_text("colour = 'blue'\n")
    with pytest.raises(ConfigError, match="unknown setting 'colour'"):
        load({}, toml)
    toml.write_text("db = \n")
    with pytest.raises(ConfigError, match=r"loadshed\.toml"):
        load({}, toml)


def test_secrets_are_masked():
    masked = Config(telegram_bot_token="123456:SECRETSECRET", eskomsepush_token="ABCDEFGH").masked()
    assert "SECRET" not in masked["telegram_bot_token"] and "EFGH" not in masked["eskomsepush_token"]
    assert Config().masked()["telegram_bot_token"] == "(not set)"


def test_areas_of_interest(tmp_path):
    cfg = load({"LOADSHED_AREAS_OF_INTEREST": "capetown-15-observatory, eskde-10-fourways"}, tmp_path / "x.toml")
    assert cfg.areas_of_interest == ("capetown-15-observatory", "eskde-10-fourways")
    with pytest.raises(ConfigError, match="is not an area id"):
        load({"LOADSHED_AREAS_OF_INTEREST": "ok-1, ../etc"}, tmp_path / "x.toml")
