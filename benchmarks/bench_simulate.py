"""Benchmark: `vsr simulate` per-seed cost, parallel efficiency on a local Dask cluster, projected wall time.

A script, not a test: ``.venv/bin/python benchmarks/bench_simulate.py`` prints

1. CPU seconds per seed for every registered claim (10,000 NCA permutations, as the notebooks), in this
   process, with the share of each step (replica + validation + weights, then each claim's analysis);
   target (issue 24): <= 0.25 CPU second per seed;
2. the parallel efficiency of 2 workers against 1 on a LocalCluster (wall time of the same chunks, cluster
   start-up excluded): ``T1 / (2 * T2)``, target >= 0.8;
3. the projected wall time of the stored run (its scenarios x seeds, read from
   ``data/operating-characteristics/provenance.json``) on this machine with 2 workers.

The load average is printed too: on a shared machine other processes slow every figure down.
:func:`run` returns the figures for ``benchmarks/run_benchmarks.py``.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import time
from pathlib import Path

SEEDS_CPU = 6
SEEDS_PARALLEL = 40  # four chunks of 10 seeds, the stored run's chunk size: enough work to see the cluster's overhead


def cpu_per_seed(seeds: int = SEEDS_CPU) -> dict:
    from vsr_analysis.simulate.engine import make_plan
    from vsr_analysis.simulate.registry import ANALYSES
    from vsr_analysis.simulate.replica_frame import analysis_frame
    from vsr_analysis.simulate.streams import analysis_seed, replica_seed

    plan = make_plan(["vsr-narrative"], seeds)
    sc = plan.scenario_docs["vsr-narrative"]
    analysis_frame(sc, 1)  # warm-up: imports, register, codebook
    steps: dict[str, float] = {"replica, validation, weights": 0.0, **{job.id: 0.0 for job in plan.claims}}
    for seed in range(1, seeds + 1):
        t = time.process_time()
        data = analysis_frame(sc, replica_seed("vsr-narrative", seed))
        steps["replica, validation, weights"] += time.process_time() - t
        for job in plan.claims:
            t = time.process_time()
            ANALYSES[job.id](data, job.entry, job.params, analysis_seed("vsr-narrative", seed, job.id))
            steps[job.id] += time.process_time() - t
    per_step = {k: v / seeds for k, v in steps.items()}
    return {"cpu_per_seed": sum(per_step.values()), "steps": per_step}


def parallel_efficiency(seeds: int = SEEDS_PARALLEL) -> dict:
    from distributed import LocalCluster

    from vsr_analysis.simulate.engine import make_plan, simulate

    plan = make_plan(["vsr-narrative"], seeds)  # chunks of 10 seeds, as `vsr simulate` makes them
    walls = {}
    for workers in (1, 2):
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=logging.ERROR
        )
        try:
            # warm the workers (imports, register, the scenario's pseudo-true values, computed once per worker
            # process and scenario) so that start-up is not counted: one single-seed chunk per worker
            simulate(
                make_plan(["vsr-narrative"], 2 * workers, chunk_size=1),
                Path(tempfile.mkdtemp()),
                scheduler=cluster.scheduler_address,
                progress=False,
            )
            with tempfile.TemporaryDirectory() as out:
                summary = simulate(plan, out, scheduler=cluster.scheduler_address, progress=False)
            walls[workers] = summary.wall_seconds
        finally:
            cluster.close()
    return {
        "wall_1": walls[1],
        "wall_2": walls[2],
        "efficiency": walls[1] / (2 * walls[2]),
        "seeds": seeds,
    }


def stored_run_size() -> tuple[int, int]:
    """(scenarios, seeds per scenario) of the stored operating-characteristics run, from its provenance."""
    import json

    from vsr_analysis import paths

    prov = json.loads((paths.project_root() / "data/operating-characteristics/provenance.json").read_text())
    return len(prov["scenarios"]), int(prov["seeds"]["n"])


def projected_stored_run(cpu: dict, par: dict) -> dict:
    """Projected wall time of the stored run on this machine with 2 workers: from the measured 2-worker wall time
    per seed, and from the CPU seconds alone (what an otherwise idle machine would take)."""
    scenarios, seeds = stored_run_size()
    total = scenarios * seeds
    return {
        "scenarios": scenarios,
        "seeds": seeds,
        "measured_seconds": total * par["wall_2"] / par["seeds"],
        "idle_seconds": total * cpu["cpu_per_seed"] / (2 * par["efficiency"]),
    }


def run() -> dict:
    cpu, par = cpu_per_seed(), parallel_efficiency()
    return {"cpu": cpu, "parallel": par, "stored": projected_stored_run(cpu, par), "load": os.getloadavg()}


def main() -> int:
    figures = run()
    cpu, par = figures["cpu"], figures["parallel"]
    print(f"vsr simulate benchmark on {os.cpu_count()} cores, load average {figures['load'][0]:.1f}")
    print(
        f"CPU seconds per seed, all {len(cpu['steps']) - 1} claims, 10,000 NCA permutations: {cpu['cpu_per_seed']:.3f}"
    )
    for step, seconds in cpu["steps"].items():
        print(f"  {step:<30} {seconds:.3f} s ({seconds / cpu['cpu_per_seed']:.0%})")
    print(
        f"local cluster, {par['seeds']} seeds: 1 worker {par['wall_1']:.1f} s, 2 workers {par['wall_2']:.1f} s, "
        f"parallel efficiency {par['efficiency']:.2f} (target >= 0.8)"
    )
    st = figures["stored"]
    print(
        f"projected wall time of the stored run ({st['scenarios']} scenarios x {st['seeds']:,} seeds) on 2 workers: "
        f"{st['measured_seconds'] / 60:.0f} min at this load"
    )
    print(f"  (from the CPU seconds alone, on an otherwise idle machine: {st['idle_seconds'] / 60:.0f} min)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
