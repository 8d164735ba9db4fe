"""End every process a run started when the run ends, however it ends (even by SIGKILL).

Each run tags its children with an environment variable ``VSR_RUN_TOKEN=<random>``; papermill passes its
environment on to the kernel, so the tag reaches every process that executes a notebook.  ``start_watchdog``
starts a small process in its own session that waits for the run to close a pipe — which the operating system
does when the run's process dies — and then kills every process that carries the tag.  ``kill_tagged`` is also
called directly when a run stops on an error or Ctrl-C.

Processes are found through ``/proc`` (Linux); elsewhere only the papermill process groups the runner started
itself are ended (see ``runner``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

TOKEN_VAR = "VSR_RUN_TOKEN"


def tagged_pids(token: str) -> list[int]:
    """Process ids (other than this one) whose environment holds ``VSR_RUN_TOKEN=<token>``."""
    needle = f"{TOKEN_VAR}={token}".encode()
    found = []
    proc = Path("/proc")
    if not proc.is_dir():
        return found
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if needle in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


def kill_tagged(token: str, rounds: int = 3, pause: float = 0.2) -> int:
    """SIGKILL every tagged process (several rounds: a dying papermill may just have started a kernel)."""
    killed = 0
    for i in range(rounds):
        pids = tagged_pids(token)
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except OSError:
                pass
        if not pids and i:
            break
        time.sleep(pause)
    return killed


def start_watchdog(token: str) -> subprocess.Popen:
    """Start the watchdog; closing its stdin (or dying) makes it kill the run's tagged processes and exit."""
    env = {k: v for k, v in os.environ.items() if k != TOKEN_VAR}  # the watchdog must not kill itself
    return subprocess.Popen(
        [sys.executable, "-m", "vsr_analysis.build.watchdog", token],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # Ctrl-C in the terminal must not stop it before it has done its job
        env=env,
    )


def main(argv: list[str]) -> int:
    token = argv[0]
    try:
        while sys.stdin.buffer.read(1024):
            pass  # the run never writes; EOF means it closed the pipe or died
    except OSError:
        pass
    kill_tagged(token)
    return 0


if __name__ == "__main__":  # pragma: no cover - a separate process
    sys.exit(main(sys.argv[1:]))
