"""The correlation id of the event chain being handled, attached to every log record."""

from __future__ import annotations

import contextvars
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone

_correlation: contextvars.ContextVar[str] = contextvars.ContextVar("correlation_id", default="")


@contextmanager
def correlation(correlation_id: str) -> Iterator[None]:
    token = _correlation.set(correlation_id)
    try:
        yield
    finally:
        _correlation.reset(token)


class CorrelationFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        value = _correlation.get()
        record.correlation_id = value
        record.correlation = f" [{value}]" if value else ""
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: ISO time with its zone, level, logger, message, correlation id."""

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            "correlation_id": getattr(record, "correlation_id", ""),
        }
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data)


def attach(logger: logging.Logger | None = None) -> None:
    """Put the correlation id on every record the logger's handlers emit (Lambda's own handler
    included), once: a handler that already has the filter is left alone."""
    root = logger or logging.getLogger()
    for handler in root.handlers:
        if not any(isinstance(f, CorrelationFilter) for f in handler.filters):
            handler.addFilter(CorrelationFilter())


def configure(level: str = "INFO", fmt: str = "text") -> None:
    """Root logging for the embedded runtime: text or JSON lines, with the correlation id."""
    handler = logging.StreamHandler()
    handler.addFilter(CorrelationFilter())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s %(message)s%(correlation)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("urllib3").setLevel(logging.ERROR)  # its per-retry warnings repeat our one line
