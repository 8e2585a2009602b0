"""Facts the catalog shows, gathered from the contract and the topology (nothing restated by hand)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from schemas import ALL_EVENTS, Event, to_eventbridge
from schemas.compat import diff_schemas, is_breaking
from schemas.draft4 import detail_schema, event_schema, registry_schema_name, schema_text
from schemas.examples import example
from schemas.gate import PUBLISHED_DIR, load_published, published_versions
from services.topology import TOPOLOGY, Schedule, Subscription, Topology, Workflow

ENVELOPE = {"event_id", "occurred_at", "correlation_id", "causation_id", "schema_version"}


@dataclass(frozen=True)
class FieldRow:
    name: str
    type: str
    required: bool
    description: str
    constraints: str
    envelope: bool


@dataclass(frozen=True)
class Rule:
    name: str
    deployed_name: str
    pattern: str
    target: str
    retry: str
    dead_letter: str


@dataclass(frozen=True)
class Version:
    version: int
    verdict: str  # "first", "compatible", "breaking", "unchanged"
    changes: tuple[str, ...]


@dataclass
class EventPage:
    name: str
    source: str
    detail_type: str
    version: int
    doc: str
    producers: list[str]
    consumers: list[str]
    fields: list[FieldRow]
    schema: str
    example: str
    rules: list[Rule]
    history: list[Version]
    registry: list[str] = field(default_factory=list)


def _type(node: dict[str, Any], definitions: dict[str, Any]) -> str:
    if "$ref" in node:
        return node["$ref"].rsplit("/", 1)[-1]
    kinds = node.get("type", "any")
    kinds = [kinds] if isinstance(kinds, str) else list(kinds)
    text = " | ".join(kinds)
    if "array" in kinds and isinstance(node.get("items"), dict):
        text = text.replace("array", f"array of {_type(node['items'], definitions)}")
    if node.get("format"):
        text += f" ({node['format']})"
    return text


def _constraints(node: dict[str, Any]) -> str:
    parts = []
    for key, label in (("minimum", "≥"), ("maximum", "≤"), ("minLength", "length ≥"), ("maxLength", "length ≤")):
        if key in node:
            parts.append(f"{label} {node[key]}")
    if "enum" in node:
        parts.append("one of " + ", ".join(json.dumps(v) for v in node["enum"]))
    if "pattern" in node:
        parts.append(f"matches {node['pattern']}")
    if "default" in node:
        parts.append(f"default {json.dumps(node['default'])}")
    return "; ".join(parts)


def field_rows(cls: type[Event]) -> list[FieldRow]:
    """Every field of the model's detail, nested objects as `parent.child` / `parent[].child`."""
    schema = detail_schema(cls)
    definitions = schema.get("definitions", {})
    rows: list[FieldRow] = []

    def walk(node: dict[str, Any], prefix: str, top: bool) -> None:
        required = set(node.get("required", []))
        for name, prop in node.get("properties", {}).items():
            full = f"{prefix}{name}"
            rows.append(
                FieldRow(
                    full,
                    _type(prop, definitions),
                    name in required,
                    prop.get("description", ""),
                    _constraints(prop),
                    top and name in ENVELOPE,
                )
            )
            target = prop.get("items", prop) if prop.get("type") == "array" else prop
            ref = target.get("$ref") if isinstance(target, dict) else None
            if ref:
                walk(definitions[ref.rsplit("/", 1)[-1]], f"{full}[]." if target is not prop else f"{full}.", False)

    walk(schema, "", True)
    return rows


def _rules(cls: type[Event], topology: Topology, stack: str) -> list[Rule]:
    subs: list[tuple[Subscription, str]] = [(s, s.service) for s in topology.subscriptions]
    subs += [(w.started_by, f"workflow:{w.name}") for w in topology.workflows]
    return [
        Rule(
            sub.name,
            f"loadshed-{stack}-sub-{sub.name}",
            json.dumps(sub.pattern, indent=2),
            target,
            f"{sub.retry.maximum_retry_attempts} retries, up to {sub.retry.maximum_event_age_seconds} s old",
            "dead-letters-deliveries (SQS, KMS-encrypted)",
        )
        for sub, target in subs
        if cls in sub.events
    ]


def history(cls: type[Event], root: Path = PUBLISHED_DIR) -> list[Version]:
    """Each published version with the change from the one before, marked compatible or breaking."""
    name, out = cls.DETAIL_TYPE, []
    previous: dict[str, Any] | None = None
    for version in published_versions(name, root):
        schema = load_published(name, version, root)
        if previous is None:
            out.append(Version(version, "first", ()))
        else:
            changes = diff_schemas(previous, schema)
            verdict = "breaking" if is_breaking(changes) else ("compatible" if changes else "unchanged")
            out.append(Version(version, verdict, tuple(str(c) for c in changes)))
        previous = schema
    return out


def event_page(
    cls: type[Event], topology: Topology = TOPOLOGY, stack: str = "dev", root: Path = PUBLISHED_DIR
) -> EventPage:
    return EventPage(
        name=cls.__name__,
        source=cls.SOURCE,
        detail_type=cls.DETAIL_TYPE,
        version=cls.VERSION,
        doc=(cls.__doc__ or "").strip(),
        producers=topology.producers(cls),
        consumers=topology.consumers(cls),
        fields=field_rows(cls),
        schema=schema_text(event_schema(cls)),
        example=json.dumps(to_eventbridge(example(cls)), indent=2),
        rules=_rules(cls, topology, stack),
        history=history(cls, root),
    )


@dataclass(frozen=True)
class ServicePage:
    name: str
    description: str
    handler: str
    publishes: list[str]
    consumes: list[tuple[str, str]]  # (subscription, event)
    schedules: list[Schedule]
    workflow_steps: list[str]
    functions: dict[str, str]
    timeout: int
    memory: int


def service_pages(topology: Topology = TOPOLOGY, stacks: tuple[str, ...] = ("dev",)) -> list[ServicePage]:
    pages = []
    for svc in topology.services:
        consumes = [(s.name, e.__name__) for s in topology.subscriptions if s.service == svc.name for e in s.events]
        steps = [
            f"{w.name}: {st.name}"
            for w in topology.workflows
            for st in (*w.steps, w.on_failure)
            if st.service == svc.name
        ]
        pages.append(
            ServicePage(
                svc.name,
                svc.description,
                svc.handler,
                [e.__name__ for e in svc.publishes],
                consumes,
                [s for s in topology.schedules if s.service == svc.name],
                steps,
                {stack: f"loadshed-{stack}-{svc.name.replace('_', '-')}" for stack in stacks},
                svc.timeout_seconds,
                svc.memory_mb,
            )
        )
    return pages


def workflows(topology: Topology = TOPOLOGY) -> list[Workflow]:
    return list(topology.workflows)


def registry_names() -> dict[str, str]:
    return {cls.__name__: registry_schema_name(cls) for cls in ALL_EVENTS}
