"""Named crash points for the fault tests and the soak: `LOADSHED_CRASH_AT=after-handling` makes
the process `kill -9` itself there, so "nothing lost, nothing repeated" is proven at the worst
moment rather than at a lucky one. Inert unless the variable is set."""

from __future__ import annotations

import os
import signal


def crash_point(name: str) -> None:
    """SIGKILL this process if `name` is listed in LOADSHED_CRASH_AT (comma-separated)."""
    wanted = os.environ.get("LOADSHED_CRASH_AT")
    if wanted and name in {w.strip() for w in wanted.split(",")}:
        os.kill(os.getpid(), signal.SIGKILL)
