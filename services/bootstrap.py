"""The one place adapters are wired. `build` takes ports; `for_aws` makes the AWS adapters.

Handlers call `container()`, which builds the AWS wiring on first use (never at import time).
Tests `install()` a container built by `build` with fakes, and call the same handlers.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from services.container import ConfigError, Container, SystemClock
from services.ports import Clock, Messenger, Publisher, StageSource, Store, TimetableSource
from services.settings import ServiceSettings

__all__ = ["ConfigError", "Container", "SystemClock", "build", "container", "for_aws", "install", "secret"]


def build(
    *,
    store: Store,
    publisher: Publisher,
    stage_source: StageSource,
    timetables: TimetableSource | None = None,
    clock: Clock | None = None,
    settings: Mapping[str, Any] | None = None,
    messenger: Messenger | Callable[[], Messenger] | None = None,
    config: ServiceSettings | None = None,
) -> Container:
    """Wire a container from ports. `messenger` is a ready messenger, or a factory called on first
    use (so services that never send never need the Telegram token)."""
    ready = messenger if messenger is None or hasattr(messenger, "send_text") else None
    factory = None if ready is not None or messenger is None else messenger
    container = Container(
        store,
        publisher,
        clock or SystemClock(),
        stage_source,
        timetables,
        dict(settings or {}),
        factory,  # type: ignore[arg-type]
    )
    container._messenger = ready  # type: ignore[assignment]
    container.config = config or ServiceSettings()
    return container


def _require(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise ConfigError(f"{name} is not set")
    return value


class _SsmSecrets:
    """Reads SecureString parameters once per container (cached), never from env values."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._cache: dict[str, str] = {}

    def get(self, name: str) -> str:
        if name not in self._cache:
            result = self._client.get_parameter(Name=name, WithDecryption=True)
            self._cache[name] = result["Parameter"]["Value"]
        return self._cache[name]


class _Telegram:
    """The Telegram side of an AWS container, built on first use: a function that never sends
    never reads the token."""

    def __init__(self, env: Mapping[str, str], secrets: _SsmSecrets, dynamodb: Any, config: ServiceSettings) -> None:
        self.env, self.secrets, self.dynamodb, self.config = env, secrets, dynamodb, config
        self._client: Any = None

    def client(self) -> Any:
        from services.adapters.telegram import DEFAULT_TELEGRAM_URL, TelegramClient

        if self._client is None:
            token = self.secrets.get(_require(self.env, "TELEGRAM_TOKEN_PARAM"))
            self._client = TelegramClient(token, self.env.get("TELEGRAM_API_URL") or DEFAULT_TELEGRAM_URL)
        return self._client

    def messenger(self) -> Messenger:
        from services.adapters.dynamodb_slots import DynamoSendSlots
        from services.ratelimit import LimitedMessenger, RateLimiter

        # containers run side by side (no reserved concurrency): the global rate is shared via the table
        slots = DynamoSendSlots(self.dynamodb, _require(self.env, "LOADSHED_TABLE"))
        return LimitedMessenger(self.client(), RateLimiter(self.config.send_rate, shared=slots))

    def whoami(self) -> str | None:
        name: str | None = self.client().get_me().username
        return name


def for_aws(env: Mapping[str, str] | None = None) -> Container:
    """AWS wiring: DynamoDB store, EventBridge publisher, Eskom (or ESP) stage, ESP timetables."""
    import boto3

    from services.adapters.dynamodb_store import DynamoDBStore
    from services.adapters.esk_factory import stage_source_and_timetables
    from services.adapters.eventbridge import EventBridgePublisher
    from services.lambda_support import configure_logging
    from services.upstream_health import record_quota

    env = os.environ if env is None else env
    config = ServiceSettings.from_env(env)  # typed once; handlers read c.config
    configure_logging()  # once per cold start: Lambda's handler, our level and correlation id
    secrets = _SsmSecrets(boto3.client("ssm"))
    esp_token_param = env.get("ESKOMSEPUSH_TOKEN_PARAM", "").strip()
    # read at the first ESP request, not at cold start (only functions handed the param can read it)
    esp_token = (lambda: secrets.get(esp_token_param)) if esp_token_param else ""
    dynamodb = boto3.client("dynamodb")
    store = DynamoDBStore(dynamodb, _require(env, "LOADSHED_TABLE"))
    stage_source, timetables = stage_source_and_timetables(env, esp_token, lambda q: record_quota(store, q))
    telegram = _Telegram(env, secrets, dynamodb, config)
    return build(
        store=store,
        publisher=EventBridgePublisher(boto3.client("events"), _require(env, "LOADSHED_BUS")),
        stage_source=stage_source,
        timetables=timetables,
        settings={"secrets": secrets, "env": dict(env), "whoami": telegram.whoami},
        messenger=telegram.messenger,
        config=config,
    )


def secret(c: Container, param_env: str, direct_key: str) -> str:
    """A secret: given directly (embedded, tests) or read from SSM through the cached reader (AWS)."""
    if direct_key in c.settings:
        return str(c.settings[direct_key])
    env, reader = c.settings.get("env", {}), c.settings.get("secrets")
    name = env.get(param_env, "")
    return reader.get(name) if reader is not None and name else ""


_current: Container | None = None


def container() -> Container:
    global _current  # noqa: PLW0603 - one container per Lambda execution environment, built lazily
    if _current is None:
        _current = for_aws()
    return _current


def install(value: Container | None) -> None:
    """Use `value` for the handlers (tests, the embedded runtime); None resets to lazy AWS wiring."""
    global _current  # noqa: PLW0603
    _current = value
