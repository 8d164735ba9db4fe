"""`make bench`: measure build and statistics speed on this machine, in one run, and print the figures.

Measured side by side (the environment already exists):
  1. cold build: `vsr run` + `vsr book` in a fresh copy of the project (no executed notebooks, no Sphinx cache);
  2. no-op rebuild: the same two commands again, nothing changed; ratio to the cold build (target <= 10 %);
  3. one-parameter change: one parameter set's parameter edited, then run + book;
  4. run stage with --jobs 1 vs --jobs 2 (both --force); ratio (target <= 0.65);
  5. NCA permutation test, 10,000 permutations on 356 units (target < 1 s);
  6. `vsr simulate`: CPU seconds per seed, 2-worker parallel efficiency, projected wall time of the stored run;
  7. the disclosure engine's protection of linked tables with a planted respondent (benchmarks/bench_disclosure.py).
A script that reports figures, not a test: speed is never asserted in the unit tests.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def copy_project(dest: Path) -> Path:
    from vsr_analysis.build.verify import copy_inputs

    return copy_inputs(dest, ROOT)


def vsr(root: Path, *args: str) -> float:
    env = dict(os.environ, VSR_PROJECT_ROOT=str(root))
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "vsr_analysis.cli", *args], env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"vsr {' '.join(args)} failed:\n{proc.stderr[-3000:]}")
    return elapsed


def nca_timing() -> tuple[float, float]:
    import numpy as np

    from vsr_analysis.stats.nca import nca

    rng = np.random.default_rng(1)
    x = rng.lognormal(8.5, 1.2, 356)
    y = np.minimum(5, np.floor(rng.uniform(0, 1, 356) * (np.log10(x) - 1.5) * 2)).clip(0)
    times = {}
    for ceiling in ("ce_fdh", "cr_fdh"):
        runs = []
        for _ in range(5):
            start = time.perf_counter()
            nca(x, y, ceiling=ceiling, permutations=10_000, seed=1)
            runs.append(time.perf_counter() - start)
        times[ceiling] = sorted(runs)[2]
    return times["ce_fdh"], times["cr_fdh"]


def simulate_figures() -> list[tuple[str, str, str, str]]:
    """`vsr simulate`: CPU per seed, 2-worker efficiency, projected stored run (benchmarks/bench_simulate.py)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import bench_simulate

    fig = bench_simulate.run()
    cpu, par, st = fig["cpu"], fig["parallel"], fig["stored"]
    return [
        (
            "vsr simulate: CPU per seed, all claims",
            f"{cpu['cpu_per_seed']:.3f} s",
            "10,000 NCA permutations",
            "<= 0.25 s",
        ),
        ("vsr simulate: 2 workers vs 1 (efficiency)", f"{par['efficiency']:.2f}", f"{par['seeds']} seeds", ">= 0.8"),
        (
            f"vsr simulate: stored run, {st['scenarios']} x {st['seeds']:,} seeds",
            f"{st['measured_seconds'] / 60:.0f} min",
            f"projected, 2 workers (idle: {st['idle_seconds'] / 60:.0f} min)",
            "",
        ),
    ]


def disclosure_figures() -> list[tuple[str, str, str, str]]:
    """The disclosure engine on a planted respondent, with and without carried solutions (bench_disclosure.py)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import bench_disclosure

    fig = bench_disclosure.run()
    return [
        (
            "disclosure engine: protect(), planted respondent",
            f"{fig['carried_seconds']:.1f} s",
            f"CPU; {fig['fresh_seconds']:.1f} s with fresh audits",
            f"same cells: {fig['same_cells_hidden']}",
        )
    ]


def main() -> int:
    print(f"vsr-analysis benchmarks on {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory(prefix="vsr-bench-") as tmp:
        root = copy_project(Path(tmp) / "project")
        # Generate the synthetic replica first so that it is not counted in the run stage ratio below.
        cold_run = vsr(root, "run")
        cold_book = vsr(root, "book")
        cold = cold_run + cold_book
        noop_run = vsr(root, "run")
        noop_book = vsr(root, "book")
        noop = noop_run + noop_book
        spec = (root / "runspec.yml").read_text()
        changed = spec.replace("sensitivity_thresholds: [775.0]", "sensitivity_thresholds: [700.0]")
        if changed == spec:
            sys.exit("could not find the parameter to change in runspec.yml")
        (root / "runspec.yml").write_text(changed)
        one_run = vsr(root, "run")
        one_book = vsr(root, "book")
        jobs1 = vsr(root, "run", "--force", "--jobs", "1")
        jobs2 = vsr(root, "run", "--force", "--jobs", "2")
    ce, cr = nca_timing()
    sim = simulate_figures()
    disclosure = disclosure_figures()
    rows = [
        ("cold build (run + book)", f"{cold:.1f} s", f"run {cold_run:.1f} s + book {cold_book:.1f} s", "< 180 s"),
        ("no-op rebuild (run + book)", f"{noop:.1f} s", f"{noop / cold:.1%} of cold", "<= 10 %"),
        (
            "one-parameter change (run + book)",
            f"{one_run + one_book:.1f} s",
            f"run {one_run:.1f} s + book {one_book:.1f} s",
            "",
        ),
        ("run stage --jobs 1", f"{jobs1:.1f} s", "", ""),
        ("run stage --jobs 2", f"{jobs2:.1f} s", f"{jobs2 / jobs1:.2f} x jobs 1", "<= 0.65"),
        ("NCA CE-FDH, 10,000 permutations, 356 units", f"{ce:.3f} s", "median of 5", "< 1 s"),
        ("NCA CR-FDH, 10,000 permutations, 356 units", f"{cr:.3f} s", "median of 5", "< 1 s"),
        *sim,
        *disclosure,
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'time':>9}  {'detail':<32} target")
    for name, value, detail, target in rows:
        print(f"{name:<{width}}  {value:>9}  {detail:<32} {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
