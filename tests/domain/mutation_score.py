"""`make mutate`'s verdict: the share of mutants of services/domain the tests kill (≥ 90%)."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(path: str) -> int:
    stats = json.loads(Path(path).read_text())
    killed, total = int(stats["killed"]), int(stats["total"])
    share = 100.0 * killed / total if total else 0.0
    print(f"mutants of services/domain killed: {killed} of {total} ({share:.1f}%), survived {stats['survived']}")
    return 0 if share >= 90.0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
