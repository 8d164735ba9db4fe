"""Benchmark: how long the test suite takes, here and from a fresh clone (issue 24's fast-feedback figures).

A script, not a test: ``.venv/bin/python benchmarks/bench_suite.py [--fresh]`` (or ``make bench-suite``,
``make bench-suite FRESH=1``) prints wall-clock figures with the load average before and after each, because
on a shared machine other processes slow every figure down:

1. ``make check`` in this checkout (environment present): lint plus every test not marked slow or browser;
   target <= 2 min on the 2-core machine;
2. ``make test`` in this checkout (environment present): the full suite on every core; target <= 10 min;
3. with ``--fresh``: a clone of this checkout's HEAD into an empty temporary folder, then ``.ci/run`` there
   (creating the environment, installing Debian's chromium if missing, the full suite; target <= 15 min),
   then ``make book`` in the same clone (the environment now present), as a new user would run them.

Each command's last lines are printed when it fails; the exit code is that of the first failure.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command: list[str], cwd: Path) -> tuple[float, float, int, str]:
    """Wall seconds, CPU seconds (user + system of every process it waited for), exit code and the output's
    last 40 lines of ``command`` run in ``cwd``.  CPU seconds depend less on the machine's load than wall time."""
    start, cpu = time.perf_counter(), _children_cpu()
    proc = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-40:])
    return time.perf_counter() - start, _children_cpu() - cpu, proc.returncode, tail


def measure(label: str, command: list[str], cwd: Path, target: str, rows: list) -> int:
    load_before = os.getloadavg()[0]
    seconds, cpu, code, tail = timed(command, cwd)
    rows.append((label, seconds, cpu, code, target, load_before, os.getloadavg()[0]))
    if code != 0:
        print(f"{label} failed (exit {code}):\n{tail}", file=sys.stderr)
    return code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fresh", action="store_true", help="also time a fresh clone's .ci/run and make book")
    args = parser.parse_args(argv)
    rows: list = []
    codes = [
        measure("make check (environment present)", ["make", "check"], ROOT, "<= 2 min", rows),
        measure("make test (environment present)", ["make", "test"], ROOT, "<= 10 min", rows),
    ]
    if args.fresh:
        with tempfile.TemporaryDirectory(prefix="vsr-fresh-") as tmp:
            clone = Path(tmp) / "vsr-analysis"
            subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
            codes.append(measure("fresh clone: .ci/run (environment included)", [".ci/run"], clone, "<= 15 min", rows))
            codes.append(measure("fresh clone: make book after .ci/run", ["make", "book"], clone, "", rows))
    print(f"test-suite benchmark on {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(f"{'measure':<46} {'wall':>9}  {'CPU':>9}  {'exit':>4}  {'target':<10} load average before/after")
    for label, seconds, cpu, code, target, before, after in rows:
        print(
            f"{label:<46} {seconds / 60:>5.1f} min  {cpu / 60:>5.1f} min  {code:>4}  {target:<10} "
            f"{before:.1f} / {after:.1f}"
        )
    return next((c for c in codes if c), 0)


if __name__ == "__main__":
    sys.exit(main())
