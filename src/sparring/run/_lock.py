"""One process per run directory: an advisory ``flock`` on ``RUN/run.lock``.

Two processes resuming one run would both execute every pending item (and a real API would
bill twice). The kernel releases a ``flock`` when its process dies, so a lock left behind by a
killed run is simply taken over; the file's content (pid, host, start time) only serves the
message the second process prints.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from pathlib import Path
from types import TracebackType
from typing import IO

from sparring.errors import RunBusyError

__all__ = ["RunLock"]

LOCK_NAME = "run.lock"


class RunLock:
    """The exclusive lock of a run directory (a context manager; reentrant per object).

    Args:
        run_dir: The run directory (must exist).
    """

    def __init__(self, run_dir: Path) -> None:
        self.path = run_dir / LOCK_NAME
        self._fh: IO[str] | None = None
        self._depth = 0

    @property
    def held(self) -> bool:
        """Whether this object holds the lock."""
        return self._fh is not None

    def acquire(self) -> None:
        """Take the lock, or raise at once if another live process holds it.

        Raises:
            RunBusyError: Another process holds it (the message names its pid).
        """
        if self._fh is not None:
            self._depth += 1
            return
        fh = self.path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = _holder(fh.read())
            fh.close()
            raise self._busy(holder) from None
        fh.seek(0)
        fh.truncate()
        fh.write(json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "ts": time.time()}))
        fh.flush()
        self._fh, self._depth = fh, 1

    def release(self) -> None:
        """Release the lock (the outermost release unlocks)."""
        if self._fh is None:
            return
        self._depth -= 1
        if self._depth > 0:
            return
        fh, self._fh = self._fh, None
        fh.seek(0)
        fh.truncate()
        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
        fh.close()

    def _busy(self, holder: dict[str, object]) -> RunBusyError:
        pid = holder.get("pid")
        pid = pid if isinstance(pid, int) else None
        who = f"process {pid}" if pid is not None else "another process"
        host = holder.get("host")
        if isinstance(host, str) and host != socket.gethostname():
            who += f" on {host}"
        return RunBusyError(
            f"{self.path.parent} is in use by {who}: wait for it to finish or stop it "
            "(a lock left by a killed process is taken over automatically)",
            pid=pid,
        )

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def _holder(text: str) -> dict[str, object]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}
