"""Lambda artifacts: each handler's cold import time next to its third-party dependencies alone,
and artifact sizes. Targets: import ≤ 1.25× the dependencies, code zip ≤ 200 KB, layer ≤ 15 MB.

Built for this host (the arm64 layer needs PyPI: `python -m infra.packaging` builds it, and its size
is shown when present under build/). Times are the minimum of several fresh interpreters. "Deps
alone" imports every third-party module (not just top-level packages: pydantic loads its internals
lazily, when the first model is defined) that importing the handler loaded, in the same order.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from infra.packaging import ROOT, build_code_zip, build_layer, lock_hash
from services.topology import TOPOLOGY

RUNS = 7
PROBE = """
import sys, time, json
sys.path[:0] = [sys.argv[1], sys.argv[2]]
mods = sys.argv[3].split(",") if len(sys.argv) > 3 and sys.argv[3] else []
t = time.perf_counter()
if mods:
    for m in mods: __import__(m)
else:
    import importlib; importlib.import_module(sys.argv[4])
dt = time.perf_counter() - t
third = [n for n, m in list(sys.modules.items())  # every third-party module the import loaded, in order
         if getattr(m, "__file__", None) and str(m.__file__).startswith(sys.argv[2])]
print(json.dumps({"seconds": dt, "third_party": third}))
"""


def _probe(task: Path, layer: Path, modules: str, entry: str) -> dict[str, object]:
    best: dict[str, object] = {}
    for _ in range(RUNS):
        out = subprocess.run(
            [sys.executable, "-I", "-S", "-c", PROBE, str(task), str(layer), modules, entry],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        result = json.loads(out)
        if not best or result["seconds"] < best["seconds"]:  # type: ignore[operator]
            best = result
    return best


def _unzipped(path: Path) -> int:
    return sum(i.file_size for i in zipfile.ZipFile(path).infolist())


def main(argv: list[str] | None = None) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        layer = build_layer(out, "host")
        with zipfile.ZipFile(layer) as z:
            z.extractall(out / "opt")
        print("lambda artifacts (host build; times: min of 7 fresh interpreters)")
        print(f"  {'function':18} {'code zip':>9} {'import':>9} {'deps alone':>11} {'ratio':>6}")
        worst = 0.0
        biggest = 0
        for service in TOPOLOGY.services:
            code = build_code_zip(service.name, out)
            task = out / f"task-{service.name}"
            with zipfile.ZipFile(code) as z:
                z.extractall(task)
            handler = _probe(task, out / "opt" / "python", "", f"services.{service.name}.handler")
            deps = ",".join(handler["third_party"])  # type: ignore[arg-type]
            alone = _probe(task, out / "opt" / "python", deps, "") if deps else {"seconds": 0.0}
            ratio = float(handler["seconds"]) / max(float(alone["seconds"]), 1e-9)  # type: ignore[arg-type]
            worst, biggest = max(worst, ratio), max(biggest, code.stat().st_size)
            print(
                f"  {service.name:18} {code.stat().st_size / 1024:7.1f}KB {float(handler['seconds']) * 1000:7.1f}ms "  # type: ignore[arg-type]
                f"{float(alone['seconds']) * 1000:9.1f}ms {ratio:6.2f}"
            )  # type: ignore[arg-type]
        print(
            f"  layer (host)        {layer.stat().st_size / 2**20:6.2f} MB zipped, {_unzipped(layer) / 2**20:6.2f} MB unzipped"
        )
        arm = ROOT / "build" / f"layer-lambda-{lock_hash('lambda')}.zip"
        if arm.exists():
            print(
                f"  layer (arm64)       {arm.stat().st_size / 2**20:6.2f} MB zipped, {_unzipped(arm) / 2**20:6.2f} MB unzipped"
            )
        ok = worst <= 1.25 and biggest <= 200 * 1024 and layer.stat().st_size <= 15 * 2**20
        print(
            f"  targets (import ≤ 1.25× deps, code zip ≤ 200 KB, layer ≤ 15 MB): {'met' if ok else 'NOT met'}"
            f" (worst ratio {worst:.2f})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
