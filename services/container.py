"""The container every handler is given: ports wired to adapters (by `services.bootstrap`), with
no adapter imported here — so logic that takes a `Container` depends on ports alone."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from services.ports import Clock, ConfigError, Messenger, Publisher, StageSource, Store, TimetableSource
from services.settings import ServiceSettings

__all__ = ["ConfigError", "Container", "SystemClock"]


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


@dataclass
class Container:
    store: Store
    publisher: Publisher
    clock: Clock
    stage_source: StageSource
    timetables: TimetableSource | None
    settings: dict[str, Any] = field(default_factory=dict)
    messenger_factory: Callable[[], Messenger] | None = None
    _messenger: Messenger | None = None
    config: ServiceSettings = field(default_factory=ServiceSettings)
    """The services' typed configuration (AWS: from the environment; embedded: from `Config`)."""

    def messenger(self) -> Messenger:
        """The (rate-limited) messenger, created on first use: services that never send never need a token."""
        if self._messenger is None:
            if self.messenger_factory is None:
                raise ConfigError("no messenger configured (TELEGRAM_BOT_TOKEN)")
            self._messenger = self.messenger_factory()
        return self._messenger
