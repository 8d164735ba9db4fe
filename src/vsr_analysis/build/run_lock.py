"""One ``vsr run`` (or ``vsr book``) at a time per checkout: an exclusive lock on ``.vsr-run.lock`` at the root.

``vsr book`` takes the same lock for its whole build, so a run cannot publish while Sphinx reads the pages.

The lock is an ``flock`` held for the whole run; the operating system releases it when the process ends in any
way (even SIGKILL), so a crashed run never leaves a stale lock.  A second run fails at once with a message that
names the holder's process id.
"""

from __future__ import annotations

import os
from pathlib import Path

from vsr_analysis import paths

LOCK_NAME = ".vsr-run.lock"


class RunLocked(RuntimeError):
    """Another ``vsr run`` holds the lock of this checkout."""


class RunLock:
    def __init__(self, root: Path | None = None, holder: str = "vsr run"):
        self.path = (root or paths.project_root()) / LOCK_NAME
        self.holder = holder
        self.fd: int | None = None

    def acquire(self) -> RunLock:
        import fcntl

        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            pid, _, what = os.pread(fd, 128, 0).decode(errors="replace").strip().partition(" ")
            os.close(fd)
            raise RunLocked(
                f"another `{what or 'vsr run'}` is already running in this checkout (process {pid or 'unknown'}); "
                f"wait for it to finish (or stop it), then run again. Lock file: {LOCK_NAME}"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()} {self.holder}".encode(), 0)
        self.fd = fd
        return self

    def release(self) -> None:
        if self.fd is not None:
            os.ftruncate(self.fd, 0)
            os.close(self.fd)  # closing the descriptor releases the flock
            self.fd = None

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
