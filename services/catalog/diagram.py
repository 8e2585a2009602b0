"""The topology as an SVG drawn at build time: triggers → publishers → events → consumers.

Plain SVG (no renderer shipped, nothing fetched): four columns of linked boxes and curved edges.
Services appear twice, on the left as publishers and on the right as consumers, so every edge runs
left to right and the picture stays readable without a layout engine."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from services.topology import TOPOLOGY, Topology

_COLUMNS = (10, 270, 510, 770)
_WIDTHS = (225, 200, 210, 200)
_ROW, _BOX, _TOP = 44, 30, 50


@dataclass(frozen=True)
class Node:
    key: str
    label: str
    column: int
    row: int
    href: str
    kind: str

    @property
    def x(self) -> int:
        return _COLUMNS[self.column]

    @property
    def y(self) -> int:
        return _TOP + self.row * _ROW


def _nodes(topology: Topology) -> dict[str, Node]:
    nodes: dict[str, Node] = {}
    triggers = [
        (f"sched:{s.name}", f"{s.name} · {s.expression}", f"services/{s.service}.html") for s in topology.schedules
    ]
    triggers += [("telegram", "Telegram updates", f"services/{s.name}.html") for s in topology.services if s.webhook]
    for i, (key, label, href) in enumerate(triggers):
        nodes[key] = Node(key, label, 0, i, href, "trigger")
    publishers = [(s.name, f"services/{s.name}.html") for s in topology.services]
    publishers += [(f"workflow:{w.name}", "workflow.html") for w in topology.workflows]
    for i, (name, href) in enumerate(publishers):
        nodes[f"pub:{name}"] = Node(f"pub:{name}", name, 1, i, href, "service")
    events = sorted(
        {e for s in topology.services for e in s.publishes}
        | {w.completed for w in topology.workflows}
        | {w.failed for w in topology.workflows},
        key=lambda e: e.__name__,
    )
    for i, event in enumerate(events):
        nodes[f"event:{event.__name__}"] = Node(
            f"event:{event.__name__}", event.__name__, 2, i, f"events/{event.__name__}.html", "event"
        )
    consumers = sorted({s.service for s in topology.subscriptions} | {f"workflow:{w.name}" for w in topology.workflows})
    for i, name in enumerate(consumers):
        href = "workflow.html" if name.startswith("workflow:") else f"services/{name}.html"
        nodes[f"sub:{name}"] = Node(f"sub:{name}", name, 3, i, href, "service")
    return nodes


def _edges(topology: Topology) -> list[tuple[str, str, str]]:
    edges = [(f"sched:{s.name}", f"pub:{s.service}", "") for s in topology.schedules]
    edges += [("telegram", f"pub:{s.name}", "") for s in topology.services if s.webhook]
    edges += [(f"pub:{s.name}", f"event:{e.__name__}", "") for s in topology.services for e in s.publishes]
    for w in topology.workflows:
        edges += [(f"pub:workflow:{w.name}", f"event:{e.__name__}", "") for e in (w.completed, w.failed)]
        edges += [(f"event:{e.__name__}", f"sub:workflow:{w.name}", w.started_by.name) for e in w.started_by.events]
    edges += [(f"event:{e.__name__}", f"sub:{s.service}", s.name) for s in topology.subscriptions for e in s.events]
    return edges


def _box(node: Node) -> str:
    width = _WIDTHS[node.column]
    return (
        f'<a href="{escape(node.href)}" class="node {node.kind}"><g>'
        f"<title>{escape(node.label)}</title>"
        f'<rect x="{node.x}" y="{node.y}" width="{width}" height="{_BOX}" rx="6"/>'
        f'<text x="{node.x + width / 2}" y="{node.y + _BOX / 2 + 4}" text-anchor="middle">{escape(node.label)}</text>'
        "</g></a>"
    )


def render(topology: Topology = TOPOLOGY) -> str:
    """The SVG markup, to be inlined in the index page."""
    nodes = _nodes(topology)
    rows = max(n.row for n in nodes.values()) + 1
    height, width = _TOP + rows * _ROW + 10, _COLUMNS[-1] + _WIDTHS[-1] + 20
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="loadshed topology" class="topology">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z"/></marker></defs>',
    ]
    for column, title in enumerate(("Triggers", "Publishers", "Events", "Consumers")):
        x = _COLUMNS[column] + _WIDTHS[column] / 2
        parts.append(f'<text class="column" x="{x}" y="28" text-anchor="middle">{title}</text>')
    for source, target, label in _edges(topology):
        a, b = nodes[source], nodes[target]
        x1, y1 = a.x + _WIDTHS[a.column], a.y + _BOX / 2
        x2, y2 = b.x, b.y + _BOX / 2
        mid = (x1 + x2) / 2
        title = f"<title>{escape(label)}</title>" if label else ""
        curve = f"M {x1} {y1} C {mid} {y1}, {mid} {y2}, {x2 - 2} {y2}"
        parts.append(f'<path class="edge" d="{curve}" marker-end="url(#arrow)">{title}</path>')
    parts += [_box(n) for n in nodes.values()]
    parts.append("</svg>")
    return "\n".join(parts)
