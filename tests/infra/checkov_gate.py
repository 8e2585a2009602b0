"""`make checkov`: checkov on the synthesized resource graph, every finding fixed or justified.

The Pulumi CLI cannot run here, so the graph is the one the program registers under Pulumi's
mocks, written as a Terraform plan (`terraform show -json` shape): pulumi-aws is the Terraform AWS
provider underneath, so its resource types and (snake_case) attributes are Terraform's, and
checkov's `terraform_plan` checks apply as they would to a real plan. A failing check passes the
gate only when its id is listed with a reason in README.md's "Security notes"."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.conftest import ROOT
from tests.infra.harness import RealArnMocks, Recorded, run_program

QUIET = ("--skip-download",)
MAPS = {"tags", "tags_all", "variables", "environment_variables"}
"""Attributes that are maps in Terraform; every other nested object is a block (a list of one)."""


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def _terraform_type(token: str) -> str:
    _, path, resource = token.split(":")
    module = path.split("/", maxsplit=1)[0]
    return f"aws_{module}_{_snake(resource)}"


def _values(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        converted = {_snake(k) if key not in MAPS else k: _values(v, _snake(k)) for k, v in value.items()}
        return converted if key in MAPS or not key else [converted]
    if isinstance(value, list):
        return [_values(v, key) if isinstance(v, dict) else v for v in value]
    return value


def plan(resources: list[Recorded]) -> dict[str, Any]:
    entries = []
    for r in resources:
        if not r.type.startswith("aws:"):
            continue
        kind, name = _terraform_type(r.type), re.sub(r"\W", "_", r.name)
        values = {_snake(k): _values(v, _snake(k)) for k, v in r.inputs.items()}
        entries.append({"address": f"{kind}.{name}", "mode": "managed", "type": kind, "name": name, "values": values})
    changes = [
        {
            **{k: e[k] for k in ("address", "mode", "type", "name")},
            "change": {"actions": ["create"], "before": None, "after": e["values"]},
        }
        for e in entries
    ]
    return {
        "format_version": "1.2",
        "terraform_version": "1.9.0",
        "planned_values": {"root_module": {"resources": entries}},
        "resource_changes": changes,
    }


def justified(readme: str) -> set[str]:
    section = readme.split("### Security notes", 1)[-1].split("\n## ", 1)[0]
    return set(re.findall(r"\bCKV2?_AWS_\d+\b", section))


def main() -> int:
    mocks = RealArnMocks()
    run_program(mocks=mocks)
    out = ROOT / "build" / "checkov"
    out.mkdir(parents=True, exist_ok=True)
    (out / "plan.json").write_text(json.dumps(plan(mocks.resources), indent=1, default=str))
    checkov = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("checkov")
    done = subprocess.run(
        [str(checkov), "-f", str(out / "plan.json"), "--framework", "terraform_plan", "-o", "json", *QUIET],
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(done.stdout or "{}")
    report = report[0] if isinstance(report, list) else report
    failed = report.get("results", {}).get("failed_checks", []) if isinstance(report, dict) else []
    ok = justified((ROOT / "README.md").read_text())
    open_findings = sorted({(f["check_id"], f["check_name"]) for f in failed if f["check_id"] not in ok})
    passed = len(report.get("results", {}).get("passed_checks", [])) if isinstance(report, dict) else 0
    print(f"checkov: {passed} passed, {len(failed)} failed ({len({f['check_id'] for f in failed})} distinct checks)")
    for check_id, name in sorted({(f["check_id"], f["check_name"]) for f in failed}):
        where = sorted({f["resource"] for f in failed if f["check_id"] == check_id})
        mark = "justified" if check_id in ok else "OPEN"
        shown = ", ".join(where[:3]) + (" …" if len(where) > 3 else "")
        print(f"  {mark:9} {check_id} {name} — {len(where)} resource(s): {shown}")
    if open_findings:
        print(
            "findings neither fixed nor justified in README.md's Security notes:",
            ", ".join(i for i, _ in open_findings),
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
