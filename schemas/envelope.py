"""Conversions between typed events and EventBridge's two shapes.

* a **PutEvents entry** (`Source`, `DetailType`, `Detail` as a JSON string, `EventBusName`), and
* a **delivered event** (the dict a rule target receives: `source`, `detail-type`, `detail`, …).

Every failure to read an event is an `EventValidationError` naming the event and the field.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC
from typing import Any, TypeVar
from uuid import uuid4

from pydantic import ValidationError

from schemas.base import Event, EventValidationError
from schemas.events import ALL_EVENTS

E = TypeVar("E", bound=Event)

_BY_IDENTITY: dict[tuple[str, str], type[Event]] = {(c.SOURCE, c.DETAIL_TYPE): c for c in ALL_EVENTS}
_BY_NAME: dict[str, type[Event]] = {c.DETAIL_TYPE: c for c in ALL_EVENTS}


def event_class(source: str, detail_type: str) -> type[Event]:
    """The event class registered for this EventBridge identity."""
    try:
        return _BY_IDENTITY[(source, detail_type)]
    except KeyError:
        raise EventValidationError(
            detail_type or "<no detail-type>", f"unknown event type (source {source!r})"
        ) from None


def event_class_by_name(name: str) -> type[Event]:
    """The event class by detail-type / class name, e.g. ``StageChanged``."""
    try:
        return _BY_NAME[name]
    except KeyError:
        known = ", ".join(sorted(_BY_NAME))
        raise EventValidationError(name, f"unknown event (known: {known})") from None


def parse_detail(cls: type[E], detail: Any) -> E:
    """Validate a `detail` payload (dict or JSON text) as `cls`."""
    if isinstance(detail, (str, bytes, bytearray)):
        try:
            detail = json.loads(detail)
        except ValueError as exc:
            raise EventValidationError(cls.DETAIL_TYPE, f"detail is not valid JSON ({exc})") from None
    if not isinstance(detail, Mapping):
        raise EventValidationError(cls.DETAIL_TYPE, "detail must be a JSON object", "detail")
    try:
        return cls.model_validate(detail)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or None
        extra = f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise EventValidationError(cls.DETAIL_TYPE, f"{first['msg']}{extra}", field) from None


def from_eventbridge(raw: Mapping[str, Any] | str | bytes) -> Event:
    """The typed event inside an EventBridge-delivered event, chosen by source + detail-type."""
    if isinstance(raw, (str, bytes, bytearray)):
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            raise EventValidationError("<unparsed>", f"not valid JSON ({exc})") from None
    if not isinstance(raw, Mapping):
        raise EventValidationError("<unparsed>", "an EventBridge event must be a JSON object")
    source, detail_type = raw.get("source"), raw.get("detail-type")
    if not isinstance(source, str) or not isinstance(detail_type, str):
        missing = "source" if not isinstance(source, str) else "detail-type"
        raise EventValidationError(str(detail_type or "<unknown>"), "missing or not a string", missing)
    if "detail" not in raw:
        raise EventValidationError(detail_type, "field required", "detail")
    return parse_detail(event_class(source, detail_type), raw["detail"])


def detail_json(event: Event) -> str:
    """The event's `detail` as compact JSON (what goes on the wire)."""
    return event.model_dump_json()


def to_put_events_entry(event: Event, bus_name: str) -> dict[str, Any]:
    """The PutEvents request entry for `event` on `bus_name`."""
    return {
        "Source": event.SOURCE,
        "DetailType": event.DETAIL_TYPE,
        "Detail": detail_json(event),
        "EventBusName": bus_name,
        "Time": event.occurred_at,
    }


def from_put_events_entry(entry: Mapping[str, Any]) -> Event:
    """The typed event of a PutEvents entry (used by the in-process bus and tests)."""
    try:
        source, detail_type, detail = entry["Source"], entry["DetailType"], entry["Detail"]
    except KeyError as exc:
        raise EventValidationError(str(entry.get("DetailType", "<unknown>")), "field required", exc.args[0]) from None
    return parse_detail(event_class(source, detail_type), detail)


def to_eventbridge(event: Event, *, account: str = "000000000000", region: str = "af-south-1") -> dict[str, Any]:
    """The event as EventBridge would deliver it to a target (for the local bus and tests)."""
    return {
        "version": "0",
        "id": str(uuid4()),
        "detail-type": event.DETAIL_TYPE,
        "source": event.SOURCE,
        "account": account,
        "time": event.occurred_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [],
        "detail": json.loads(detail_json(event)),
    }
