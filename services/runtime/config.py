"""Embedded runtime configuration: environment variables, then an optional `loadshed.toml`.

Environment wins over the file. A bad value fails at start with one clear line (`ConfigError`).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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
    timezone: str = "Africa/Johannesburg"
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
        "timezone",
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


def _positive(name: str, value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, got {value!r}") from None
    if number <= 0:
        raise ConfigError(f"{name} must be positive, got {value!r}")
    return number


def _parse(name: str, key: str, raw: object) -> object:
    value = str(raw).strip()
    if key.endswith("_url"):
        return _url(name, value)
    if key in ("poll_seconds", "remind_seconds", "send_rate"):
        return _positive(name, value) if value else None
    if key == "admin_chats":
        try:
            return tuple(int(x) for x in value.replace(",", " ").split())
        except ValueError:
            raise ConfigError(f"{name} must be chat ids separated by commas, got {value!r}") from None
    if key == "areas_of_interest":
        areas = tuple(value.replace(",", " ").split())
        bad = [a for a in areas if not AREA_ID.fullmatch(a)]
        if bad:
            raise ConfigError(f"{name}: {bad[0]!r} is not an area id (see /search in the bot)")
        return areas
    if key == "timezone":
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"{name}: unknown timezone {value!r}") from None
    if key == "log_level" and value.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError(f"{name} must be DEBUG, INFO, WARNING or ERROR, got {value!r}")
    if key == "log_format" and value not in ("text", "json"):
        raise ConfigError(f"{name} must be text or json, got {value!r}")
    if key == "stage_source" and value not in ("eskom", "eskomsepush"):
        raise ConfigError(f"{name} must be eskom or eskomsepush, got {value!r}")
    if key == "telegram_bot_token" and value and ":" not in value:
        raise ConfigError(f"{name} does not look like a bot token (expected 123456:ABC…)")
    return value


def load(env: Mapping[str, str] | None = None, toml_path: str | Path = "loadshed.toml") -> Config:
    """Effective configuration; raises `ConfigError` with one line naming the bad setting."""
    env = os.environ if env is None else env
    values: dict[str, object] = {}
    path = Path(toml_path)
    if path.is_file():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
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
    return Config(**values)  # type: ignore[arg-type]
