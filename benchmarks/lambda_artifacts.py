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


def _probe(task: Path, layer: Path, modules: str, entry: str) -> tuple[float, list[str]]:
    """(best seconds, third-party modules loaded) over several fresh interpreters."""
    best: tuple[float, list[str]] | None = None
    for _ in range(RUNS):
        out = subprocess.run(
            [sys.executable, "-I", "-S", "-c", PROBE, str(task), str(layer), modules, entry],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        result = json.loads(out)
        if best is None or result["seconds"] < best[0]:
            best = (float(result["seconds"]), list(result["third_party"]))
    assert best is not None
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
            handler_s, third = _probe(task, out / "opt" / "python", "", f"services.{service.name}.handler")
            alone_s = _probe(task, out / "opt" / "python", ",".join(third), "")[0] if third else 0.0
            ratio = handler_s / max(alone_s, 1e-9)
            worst, biggest = max(worst, ratio), max(biggest, code.stat().st_size)
            size = code.stat().st_size / 1024
            print(f"  {service.name:18} {size:7.1f}KB {handler_s * 1000:7.1f}ms {alone_s * 1000:9.1f}ms {ratio:6.2f}")
        for label, path in (("host", layer), ("arm64", ROOT / "build" / f"layer-lambda-{lock_hash('lambda')}.zip")):
            if path.exists():
                zipped, unzipped = path.stat().st_size / 2**20, _unzipped(path) / 2**20
                print(f"  layer ({label}){'':{12 - len(label)}} {zipped:6.2f} MB zipped, {unzipped:6.2f} MB unzipped")
        ok = worst <= 1.25 and biggest <= 200 * 1024 and layer.stat().st_size <= 15 * 2**20
        print(
            f"  targets (import ≤ 1.25× deps, code zip ≤ 200 KB, layer ≤ 15 MB): {'met' if ok else 'NOT met'}"
            f" (worst ratio {worst:.2f})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
