"""Export events as JSON Schema Draft 4, the type EventBridge's Schema Registry accepts.

pydantic emits JSON Schema 2020-12; `to_draft4` rewrites what Draft 4 does not know:
`$defs` → `definitions`, `const` → `enum`, `anyOf [X, null]` → `type: [X, "null"]`, numeric
`exclusiveMinimum/Maximum` → boolean form, empty `required` dropped. `event_schema` wraps the
`detail` schema in the whole EventBridge event, as the registry describes it.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from schemas.base import Event
from schemas.events import ALL_EVENTS

DRAFT4 = "http://json-schema.org/draft-04/schema#"
UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
REF_TEMPLATE = "#/definitions/{model}"


def _convert(node: Any) -> Any:
    if isinstance(node, list):
        return [_convert(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "$defs":
            out["definitions"] = {k: _convert(v) for k, v in value.items()}
        elif key == "const":
            out["enum"] = [value]
        elif key in ("exclusiveMinimum", "exclusiveMaximum") and not isinstance(value, bool):
            out["minimum" if key == "exclusiveMinimum" else "maximum"] = value
            out[key] = True
        elif key == "required" and not value:
            continue
        elif key in ("properties", "definitions", "patternProperties"):
            out[key] = {k: _convert(v) for k, v in value.items()}
        else:
            out[key] = _convert(value)
    if out.get("format") == "uuid" and out.get("type") == "string":
        out.setdefault("pattern", UUID_PATTERN)
    return _collapse_nullable(out)


def _collapse_nullable(node: dict[str, Any]) -> dict[str, Any]:
    """`anyOf: [{type: T, …}, {type: null}]` → `{type: [T, "null"], …}` where T is a plain type."""
    options = node.get("anyOf")
    if not isinstance(options, list) or len(options) != 2:
        return node
    nulls = [o for o in options if o == {"type": "null"}]
    others = [o for o in options if o != {"type": "null"}]
    if len(nulls) != 1 or len(others) != 1 or "$ref" in others[0]:
        return node
    other = others[0]
    base_type = other.get("type")
    if not isinstance(base_type, str):
        return node
    merged = dict(other)
    merged.update({k: v for k, v in node.items() if k != "anyOf"})
    merged["type"] = [base_type, "null"]
    if "enum" in merged and None not in merged["enum"]:
        merged["enum"] = [*merged["enum"], None]
    return merged


def to_draft4(schema: dict[str, Any]) -> dict[str, Any]:
    """Convert a pydantic (2020-12) schema to Draft 4."""
    converted = _convert(copy.deepcopy(schema))
    assert isinstance(converted, dict)
    return converted


def detail_schema(cls: type[Event]) -> dict[str, Any]:
    """Draft 4 schema of the event's `detail`, with its definitions."""
    return to_draft4(cls.model_json_schema(ref_template=REF_TEMPLATE, mode="validation"))


def _summary(cls: type[Event]) -> str:
    for klass in cls.__mro__:
        doc = (klass.__dict__.get("__doc__") or "").strip()
        if doc:
            return doc.splitlines()[0]
    return cls.DETAIL_TYPE


def event_schema(cls: type[Event]) -> dict[str, Any]:
    """Draft 4 schema of the whole EventBridge event carrying `cls` in its `detail`."""
    detail = detail_schema(cls)
    definitions = detail.pop("definitions", {})
    definitions[cls.__name__] = detail
    return {
        "$schema": DRAFT4,
        "title": cls.DETAIL_TYPE,
        "description": _summary(cls),
        "x-loadshed-version": cls.VERSION,
        "type": "object",
        "required": ["source", "detail-type", "detail"],
        "properties": {
            "version": {"type": "string"},
            "id": {"type": "string"},
            "source": {"type": "string", "enum": [cls.SOURCE]},
            "detail-type": {"type": "string", "enum": [cls.DETAIL_TYPE]},
            "account": {"type": "string"},
            "time": {"type": "string", "format": "date-time"},
            "region": {"type": "string"},
            "resources": {"type": "array", "items": {"type": "string"}},
            "replay-name": {"type": "string"},
            "detail": {"$ref": f"#/definitions/{cls.__name__}"},
        },
        "definitions": definitions,
    }


def registry_schema_name(cls: type[Event]) -> str:
    """The schema's name in the EventBridge registry (`source@DetailType`, as discovery names them)."""
    return f"{cls.SOURCE}@{cls.DETAIL_TYPE}"


def schema_text(schema: dict[str, Any]) -> str:
    """Canonical JSON text of a schema: stable key order, so snapshots diff cleanly."""
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def all_event_schemas() -> dict[str, dict[str, Any]]:
    """Every event's Draft 4 schema by detail-type."""
    return {cls.DETAIL_TYPE: event_schema(cls) for cls in ALL_EVENTS}
