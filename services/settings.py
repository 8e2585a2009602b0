"""What the services read of their configuration, typed once at the composition root: on AWS from
the function's environment (`from_env`, in `bootstrap.for_aws`), embedded from the runtime's
`Config` — never parsed again in a handler. A bad value is one `ConfigError` line."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from services.domain.areas import AREA_ID
from services.ports import ConfigError


@dataclass(frozen=True)
class ServiceSettings:
    admin_chats: frozenset[int] = frozenset()
    bot_username: str | None = None
    """Configured (`TELEGRAM_BOT_USERNAME`); otherwise learnt from getMe and cached."""
    areas_of_interest: tuple[str, ...] = ()
    fanout_checkpoint: int = 1
    """Write the fan-out's progress every N messages (25 on AWS: cheaper; 1 embedded)."""
    send_workers: int = 4
    send_rate: float = 25.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ServiceSettings:
        return cls(
            admin_chats=frozenset(_ints("LOADSHED_ADMIN_CHATS", env.get("LOADSHED_ADMIN_CHATS", ""))),
            bot_username=(env.get("TELEGRAM_BOT_USERNAME") or "").strip().lstrip("@") or None,
            areas_of_interest=_areas(env.get("LOADSHED_AREAS_OF_INTEREST", "")),
            fanout_checkpoint=_count("LOADSHED_FANOUT_CHECKPOINT", env.get("LOADSHED_FANOUT_CHECKPOINT"), 1, 1000),
            send_workers=_count("LOADSHED_SEND_WORKERS", env.get("LOADSHED_SEND_WORKERS"), 4, 32),
            send_rate=_rate(env.get("LOADSHED_SEND_RATE")),
        )


def _ints(name: str, text: str) -> list[int]:
    try:
        return [int(x) for x in text.replace(",", " ").split()]
    except ValueError:
        raise ConfigError(f"{name} must be chat ids separated by commas, got {text!r}") from None


def _areas(text: str) -> tuple[str, ...]:
    areas = tuple(text.replace(",", " ").split())
    bad = [a for a in areas if not AREA_ID.fullmatch(a)]
    if bad:
        raise ConfigError(f"LOADSHED_AREAS_OF_INTEREST: {bad[0]!r} is not an area id")
    return areas


def _count(name: str, text: str | None, default: int, most: int) -> int:
    if not text:
        return default
    if not text.strip().isdigit() or not 1 <= int(text) <= most:
        raise ConfigError(f"{name} must be a whole number from 1 to {most}, got {text!r}")
    return int(text)


def _rate(text: str | None) -> float:
    if not text:
        return 25.0
    try:
        rate = float(text)
    except ValueError:
        rate = math.nan
    if not math.isfinite(rate) or not 0 < rate <= 30:
        raise ConfigError(f"LOADSHED_SEND_RATE must be more than 0 and at most 30, got {text!r}")
    return rate
