"""Writes the catalog: index, one page per event and per service, the workflow, assets and a search index."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from schemas import ALL_EVENTS, Event
from schemas.compat import diff_schemas
from schemas.draft4 import event_schema, registry_schema_name
from schemas.gate import PUBLISHED_DIR
from services.catalog import diagram, model
from services.topology import TOPOLOGY, Topology

HERE = Path(__file__).resolve().parent


class CatalogBuildError(RuntimeError):
    """The catalog cannot be written where it was asked to go."""


@dataclass
class RegistryView:
    """One event's state in a deployed registry, and its drift from the local contract."""

    name: str
    versions: list[str]
    status: str
    status_class: str
    changes: list[str] = field(default_factory=list)


def _link(name: str, root: str = "") -> str:
    if name.startswith("workflow:"):
        return f'<a href="{root}workflow.html">{name}</a>'
    return f'<a href="{root}services/{name}.html">{name}</a>'


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]))
    env.globals["link"] = _link
    return env


def _search_index(events: list[model.EventPage], services: list[model.ServicePage]) -> list[dict[str, str]]:
    entries = []
    for e in events:
        entries.append(
            {
                "label": e.name,
                "kind": "event",
                "href": f"events/{e.name}.html",
                "text": f"{e.name} {e.detail_type} {e.doc}",
            }
        )
        for f in e.fields:
            entries.append(
                {
                    "label": f"{e.name}.{f.name}",
                    "kind": f.type,
                    "href": f"events/{e.name}.html#field-{f.name}",
                    "text": f"{f.name} {f.description}",
                }
            )
    for s in services:
        entries.append(
            {"label": s.name, "kind": "service", "href": f"services/{s.name}.html", "text": f"{s.name} {s.description}"}
        )
    for entry in entries:
        entry["text"] = entry["text"].lower()
    return entries


def registry_view(reader: Any, cls: type[Event], live_names: set[str]) -> RegistryView:
    name = registry_schema_name(cls)
    if name not in live_names:
        return RegistryView(name, [], "not deployed", "drift")
    live = reader.get(name)
    changes = diff_schemas(live.content, event_schema(cls))
    if not changes:
        return RegistryView(name, reader.versions(name), f"in sync (live v{live.version})", "sync")
    kind = "breaking" if any(c.severity == "breaking" for c in changes) else "compatible"
    return RegistryView(
        name, reader.versions(name), f"local contract differs ({kind})", "drift", [str(c) for c in changes]
    )


def _prepare(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise CatalogBuildError(f"{out} exists and is not a directory")
    try:
        for sub in ("events", "services", "assets"):
            (out / sub).mkdir(parents=True, exist_ok=True)
        probe = out / ".write-test"
        probe.write_text("", encoding="utf-8")
        probe.unlink()
    except OSError as exc:
        raise CatalogBuildError(f"cannot write to {out}: {exc.strerror or exc}") from None


def build(
    out: Path,
    *,
    topology: Topology = TOPOLOGY,
    stacks: tuple[str, ...] = ("dev",),
    published: Path = PUBLISHED_DIR,
    reader: Any | None = None,
) -> list[Path]:
    """Write the site into `out`; return the pages written. `reader` adds a deployed registry's view."""
    _prepare(out)
    env = _environment()
    events = [model.event_page(cls, topology, stacks[0], published) for cls in ALL_EVENTS]
    services = model.service_pages(topology, stacks)
    common = {"built": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "contract": max(e.version for e in events)}
    live = set(reader.schema_names()) if reader else set()
    written: list[Path] = []

    def page(path: str, template: str, root: str, **context: Any) -> None:
        target = out / path
        target.write_text(env.get_template(template).render(root=root, **common, **context), encoding="utf-8")
        written.append(target)

    page(
        "index.html",
        "index.html",
        "",
        title="Overview",
        svg=diagram.render(topology),
        events=events,
        services=services,
        schedules=topology.schedules,
        workflows=model.workflows(topology),
    )
    for cls, e in zip(ALL_EVENTS, events, strict=True):
        view = _live_view(reader, cls, live)
        page(
            f"events/{e.name}.html",
            "event.html",
            "../",
            title=e.name,
            e=e,
            registry_name=registry_schema_name(cls),
            registry=view,
        )
    for s in services:
        page(f"services/{s.name}.html", "service.html", "../", title=s.name, s=s)
    page("workflow.html", "workflow.html", "", title="Workflow", workflows=model.workflows(topology))
    _assets(out, _search_index(events, services))
    return written


def _live_view(reader: Any | None, cls: type[Event], live: set[str]) -> Any:
    """The deployed registry's view of an event, when a registry was given."""
    if reader is None:
        return None
    view = registry_view(reader, cls, live)
    view.name = f"{reader.registry} · {view.name}"
    return view


def _assets(out: Path, search_index: Any) -> None:
    shutil.copy(HERE / "assets" / "catalog.css", out / "assets" / "catalog.css")
    shutil.copy(HERE / "assets" / "search.js", out / "assets" / "search.js")
    index = json.dumps(search_index, ensure_ascii=False)
    (out / "assets" / "search-index.js").write_text(f"window.CATALOG_INDEX = {index};\n", encoding="utf-8")
