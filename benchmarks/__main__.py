"""`python -m benchmarks [NAME ...]` (or `make bench`): run benchmarks and print their figures."""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = {
    "upstream": "benchmarks.upstream_calls",
    "telegram": "benchmarks.telegram_send",
    "embedded": "benchmarks.embedded_fanout",
    "artifacts": "benchmarks.lambda_artifacts",
    "cost": "benchmarks.cost_model",
    "patterns": "benchmarks.patterns_bench",
    "soak": "benchmarks.soak",
}


def main(argv: list[str]) -> int:
    names = argv or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}", file=sys.stderr)
        return 2
    for name in names:
        print(f"== {name}")
        code = int(importlib.import_module(BENCHMARKS[name]).main())
        if code:
            return code
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
