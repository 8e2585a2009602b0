"""The errors of the ports' contract: adapters raise them, logic catches them."""

from __future__ import annotations

from services.ports.records import GoneReason


class ConfigError(ValueError):
    """A required setting is missing or malformed."""


class UpstreamError(RuntimeError):
    """An upstream (Eskom, EskomSePush, Telegram) did not give a usable answer."""


class UpstreamUnavailableError(UpstreamError):
    """Transient: timeout, 5xx, junk instead of data, or an unknown stage. Safe to retry later."""


class QuotaExceededError(UpstreamError):
    """The upstream's quota is used up (HTTP 429/425). Retrying now only makes it worse."""


class UpstreamAuthError(UpstreamError):
    """The upstream rejected our credentials (HTTP 401/403). Needs a person, not a retry."""


class AreaNotFoundError(UpstreamError):
    """The upstream does not know this area id."""


class UpstreamRequestError(UpstreamError):
    """The upstream called our request bad (HTTP 400): asking again unchanged will not help today."""


class PublishError(RuntimeError):
    """Events could not be handed to the bus after bounded retries; they stay in the outbox."""


class SubscriptionLimitError(ValueError):
    """A chat already follows the maximum number of areas."""


class ChatUnavailableError(UpstreamError):
    """The chat cannot receive messages (blocked, kicked, deactivated, not found, no right to
    write). Never retried: the chat's subscriptions end with this reason."""

    def __init__(self, chat_id: int, reason: GoneReason, message: str) -> None:
        super().__init__(message)
        self.chat_id = chat_id
        self.reason: GoneReason = reason


class ChatMigratedError(UpstreamError):
    """A group became a supergroup: the message must go to `new_chat_id`, and so must the chat's
    subscriptions."""

    def __init__(self, chat_id: int, new_chat_id: int, message: str = "") -> None:
        super().__init__(message or f"chat {chat_id} migrated to {new_chat_id}")
        self.chat_id = chat_id
        self.new_chat_id = new_chat_id


class RateLimitedError(UpstreamError):
    """The messenger asked us to slow down (HTTP 429); `retry_after` seconds apply to every send."""

    def __init__(self, retry_after: float, message: str = "") -> None:
        super().__init__(message or f"rate limited: retry after {retry_after}s")
        self.retry_after = retry_after


class MessengerUnavailableError(UpstreamUnavailableError):
    """The messenger failed transiently (5xx, timeout): retry with backoff, bounded."""


class MessageRejectedError(UpstreamError):
    """The messenger rejected this message as malformed (HTTP 400): a bug, not a retry."""
