"""Embedded runtime configuration: environment variables, then an optional `loadshed.toml`.

Environment wins over the file. A bad value fails at start with one clear line (`ConfigError`).
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from urllib.parse import urlsplit

from services.adapters.eskom import DEFAULT_ESKOM_URL
from services.adapters.esp import DEFAULT_ESP_URL
from services.adapters.telegram import DEFAULT_TELEGRAM_URL
from services.bootstrap import ConfigError
from services.domain.areas import AREA_ID

SECRETS = ("telegram_bot_token", "eskomsepush_token")


@dataclass(frozen=True)
class Config:
    telegram_bot_token: str = ""
    telegram_api_url: str = DEFAULT_TELEGRAM_URL
    eskomsepush_token: str = ""
    eskomsepush_api_url: str = DEFAULT_ESP_URL
    eskom_api_url: str = DEFAULT_ESKOM_URL
    stage_source: str = "eskom"
    db: str = "./.loadshed/loadshed.db"
    admin_chats: tuple[int, ...] = ()
    areas_of_interest: tuple[str, ...] = ()
    poll_seconds: float | None = None
    remind_seconds: float | None = None
    send_rate: float = 25.0
    log_level: str = "INFO"
    log_format: str = "text"

    def masked(self) -> dict[str, str]:
        """Every setting as text, secrets masked (`loadshed config`)."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in SECRETS:
                text = f"{value[:4]}…({len(value)} chars)" if value else "(not set)"
            elif isinstance(value, tuple):
                text = ",".join(str(v) for v in value) or "(none)"
            else:
                text = "(default)" if value is None else str(value)
            out[f.name] = text
        return out


ENV = {
    f"LOADSHED_{n.upper()}": n
    for n in (
        "db",
        "admin_chats",
        "areas_of_interest",
        "poll_seconds",
        "remind_seconds",
        "send_rate",
        "log_level",
        "log_format",
        "stage_source",
    )
}
ENV.update(
    {
        "TELEGRAM_BOT_TOKEN": "telegram_bot_token",
        "TELEGRAM_API_URL": "telegram_api_url",
        "ESKOMSEPUSH_TOKEN": "eskomsepush_token",
        "ESKOMSEPUSH_API_URL": "eskomsepush_api_url",
        "ESKOM_API_URL": "eskom_api_url",
    }
)


def _url(name: str, value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{name} must be an http(s) URL, got {value!r}")
    return value.rstrip("/")


def _seconds(name: str, value: str, minimum: float = 1.0) -> float:
    """A finite number of seconds, at least `minimum` (a sub-second poll would hammer Eskom)."""
    try:
        number = float(value)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, got {value!r}") from None
    if not math.isfinite(number) or number < minimum:
        raise ConfigError(f"{name} must be at least {minimum:g} seconds, got {value!r}")
    return number


def _rate(name: str, value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise ConfigError(f"{name} must be messages per second, got {value!r}") from None
    if not math.isfinite(number) or not 0 < number <= 30:
        raise ConfigError(f"{name} must be more than 0 and at most Telegram's 30 messages/s, got {value!r}")
    return number


def _chats(name: str, value: str) -> tuple[int, ...]:
    try:
        return tuple(int(x) for x in value.replace(",", " ").split())
    except ValueError:
        raise ConfigError(f"{name} must be chat ids separated by commas, got {value!r}") from None


def _areas(name: str, value: str) -> tuple[str, ...]:
    areas = tuple(value.replace(",", " ").split())
    bad = [a for a in areas if not AREA_ID.fullmatch(a)]
    if bad:
        raise ConfigError(f"{name}: {bad[0]!r} is not an area id (see /search in the bot)")
    return areas


def _choice(*allowed: str) -> Callable[[str, str], str]:
    def check(name: str, value: str) -> str:
        if value not in allowed:
            raise ConfigError(f"{name} must be {' or '.join(allowed)}, got {value!r}")
        return value

    return check


def _token(name: str, value: str) -> str:
    if value and ":" not in value:
        raise ConfigError(f"{name} does not look like a bot token (expected 123456:ABC…)")
    return value


_PARSERS: dict[str, Callable[[str, str], object]] = {
    "poll_seconds": lambda n, v: _seconds(n, v) if v else None,
    "remind_seconds": lambda n, v: _seconds(n, v) if v else None,
    "send_rate": _rate,
    "admin_chats": _chats,
    "areas_of_interest": _areas,
    "log_level": lambda n, v: _choice("DEBUG", "INFO", "WARNING", "ERROR")(n, v.upper()),
    "log_format": _choice("text", "json"),
    "stage_source": _choice("eskom", "eskomsepush"),
    "telegram_bot_token": _token,
}


def _parse(name: str, key: str, raw: object) -> object:
    if isinstance(raw, (dict, list)):
        raise ConfigError(f"{name} must be a single value, got a {type(raw).__name__}")
    value = str(raw).strip()
    if key.endswith("_url"):
        return _url(name, value)
    parser = _PARSERS.get(key)
    return parser(name, value) if parser is not None else value


def _consistent(config: Config) -> Config:
    """Rules across settings: polling EskomSePush's own API costs quota (50 calls a day on the
    free tier), so it is never polled more than once a minute (a self-hosted mirror may be)."""
    official = urlsplit(config.eskomsepush_api_url).hostname == urlsplit(DEFAULT_ESP_URL).hostname
    if (
        official
        and config.stage_source == "eskomsepush"
        and config.poll_seconds is not None
        and config.poll_seconds < 60
    ):
        got = f"{config.poll_seconds:g}"
        raise ConfigError(f"LOADSHED_POLL_SECONDS must be at least 60 when the stage comes from EskomSePush, got {got}")
    return config


def load(env: Mapping[str, str] | None = None, toml_path: str | Path = "loadshed.toml") -> Config:
    """Effective configuration; raises `ConfigError` with one line naming the bad setting."""
    env = os.environ if env is None else env
    values: dict[str, object] = {}
    path = Path(toml_path)
    if path.is_file():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except UnicodeDecodeError:
            raise ConfigError(f"{path}: not UTF-8 text") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: {exc}") from None
        known = {f.name for f in fields(Config)}
        for key, raw in data.items():
            if key not in known:
                raise ConfigError(f"{path}: unknown setting {key!r}")
            values[key] = _parse(f"{path}:{key}", key, ",".join(map(str, raw)) if isinstance(raw, list) else raw)
    for name, key in ENV.items():
        if name in env and env[name].strip() != "":
            values[key] = _parse(name, key, env[name])
    if values.get("stage_source") == "eskomsepush" and not values.get("eskomsepush_token"):
        raise ConfigError("LOADSHED_STAGE_SOURCE=eskomsepush needs ESKOMSEPUSH_TOKEN")
    return _consistent(Config(**values))  # type: ignore[arg-type]
