"""One `loadshed run` per database: an OS file lock beside it, which the kernel frees when the
process dies (also on `kill -9`), so a crash never leaves a stale lock and a restart takes over at
once — and, being the only owner, may take back every lease the dead process held."""

from __future__ import annotations

import fcntl
import os
import uuid
from pathlib import Path
from typing import IO


class InstanceLockedError(RuntimeError):
    """Another process holds this database."""


class InstanceLock:
    def __init__(self, db_path: str) -> None:
        self.path = Path(f"{db_path}.lock")
        self.owner = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._file: IO[str] | None = None

    def acquire(self) -> InstanceLock:
        """Hold the lock or raise `InstanceLockedError` naming the holder's pid."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+")  # noqa: SIM115 - held for the life of the process
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise InstanceLockedError(
                f"another loadshed run (pid {holder.split('-')[0]}) is using {self.path.with_suffix('')}; "
                "stop it first (one process per database)"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(self.owner)
        handle.flush()
        self._file = handle
        return self

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None
