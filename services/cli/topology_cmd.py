"""`loadshed topology`: who publishes, who subscribes (with which pattern), schedules, workflows."""

from __future__ import annotations

import json
import re
from typing import Any, TextIO

from services.cli.output import table
from services.topology import TOPOLOGY, Topology


def add_parser(sub: Any) -> None:
    p = sub.add_parser("topology", help="publishers, subscribers, schedules and workflows")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--mermaid", action="store_true", help="print a Mermaid flowchart")
    fmt.add_argument("--json", action="store_true", help="print patterns and schedules as JSON")


def _node(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


def mermaid(topology: Topology = TOPOLOGY) -> str:
    """A Mermaid flowchart: schedules → services → (event) → subscribers."""
    lines = ["flowchart LR"]
    for svc in topology.services:
        lines.append(f'  {_node(svc.name)}["{svc.name}"]')
    for sched in topology.schedules:
        lines.append(f'  sched_{_node(sched.name)}(["⏱ {sched.name}: {sched.expression}"])')
        lines.append(f"  sched_{_node(sched.name)} --> {_node(sched.service)}")
    for wf in topology.workflows:
        lines.append(f'  subgraph wf_{_node(wf.name)}["workflow {wf.name}"]')
        lines.append("    direction LR")
        previous = None
        for step in wf.steps:
            step_id = f"wf_{_node(wf.name)}_{_node(step.name)}"
            lines.append(f'    {step_id}["{step.name}"]')
            if previous:
                lines.append(f"    {previous} --> {step_id}")
            previous = step_id
        lines.append("  end")
    edges: set[str] = set()
    for svc in topology.services:
        for event in svc.publishes:
            for sub in (*topology.subscriptions, *(w.started_by for w in topology.workflows)):
                if event in sub.events:
                    target = (
                        _node(sub.service)
                        if not sub.service.startswith("workflow:")
                        else f"wf_{_node(sub.service[9:])}"
                    )
                    edges.add(f"  {_node(svc.name)} -- {event.DETAIL_TYPE} --> {target}")
    lines += sorted(edges)
    return "\n".join(lines)


def as_json(topology: Topology = TOPOLOGY) -> dict[str, Any]:
    """The topology as plain JSON (patterns exactly as deployed)."""
    return {
        "services": {
            s.name: {"publishes": [e.DETAIL_TYPE for e in s.publishes], "handler": s.handler} for s in topology.services
        },
        "subscriptions": {s.name: {"service": s.service, "pattern": s.pattern} for s in topology.subscriptions},
        "schedules": {
            s.name: {"service": s.service, "expression": s.expression, "timezone": s.timezone}
            for s in topology.schedules
        },
        "workflows": {
            w.name: {"started_by": w.started_by.pattern, "steps": [s.name for s in w.steps]} for w in topology.workflows
        },
    }


def run(args: Any, out: TextIO) -> int:
    if args.mermaid:
        print(mermaid(), file=out)
        return 0
    if args.json:
        print(json.dumps(as_json(), indent=2), file=out)
        return 0
    t = TOPOLOGY
    print(
        table(["SERVICE", "PUBLISHES"], [[s.name, ", ".join(e.DETAIL_TYPE for e in s.publishes)] for s in t.services]),
        file=out,
    )
    print(file=out)
    subs = (*t.subscriptions, *(w.started_by for w in t.workflows))
    print(
        table(
            ["SUBSCRIPTION", "SUBSCRIBER", "PATTERN"],
            [[s.name, s.service, json.dumps(s.pattern, separators=(",", ":"))] for s in subs],
        ),
        file=out,
    )
    print(file=out)
    print(
        table(
            ["SCHEDULE", "SERVICE", "EXPRESSION", "TIMEZONE"],
            [[s.name, s.service, s.expression, s.timezone] for s in t.schedules],
        ),
        file=out,
    )
    for wf in t.workflows:
        steps = " → ".join(f"{s.name} (retry ×{s.retry.max_attempts})" for s in wf.steps)
        print(
            f"\nworkflow {wf.name}: {steps}; on failure {wf.on_failure.name}; "
            f"emits {wf.completed.DETAIL_TYPE} / {wf.failed.DETAIL_TYPE}",
            file=out,
        )
    return 0
