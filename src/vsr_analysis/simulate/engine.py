"""Run a simulation: seeds in chunks on Dask, one checkpoint per chunk, then the result files.

A *plan* fixes everything that changes results: the scenarios (and their files' sha256), the claims with their
``claims.yml`` entries and notebook parameters, alpha, the chunk size, the generator's source and the package
version.  Its fingerprint is stored in ``<out>/run.json`` and in every checkpoint
(``<out>/checkpoints/<scenario>/seeds-<first>-<last>.json``, written atomically by the driver as each chunk
arrives).  Restarting with the same arguments computes only the chunks without a valid checkpoint; asking
for more seeds later reuses the chunks already done.  A checkpoint of another plan is never mixed in: the run
stops with an error instead.

Each seed's random numbers come from its own streams (:mod:`.streams`), and the per-seed records are sorted
before they are written, so the files are byte-identical whatever the number of workers, the chunking or the
order in which chunks finish.

Tasks go to Dask's distributed scheduler: a ``LocalCluster`` of worker *processes* (one thread each) by
default, or any running cluster given by its scheduler address.  Dask reschedules the tasks of a worker that
dies.  ``workers=0`` runs the chunks in the calling process without Dask (the book's small run, profiling).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from vsr_analysis import __version__, paths
from vsr_analysis.claims import stored_runs
from vsr_analysis.claims.evidence import json_ready
from vsr_analysis.claims.ledger import (
    decide,
    family_adjuster,
    in_holm_family,
    load_claims_spec,
    with_adjusted_routes,
)
from vsr_analysis.claims.spec import Claim, load_claims
from vsr_analysis.inputs.fingerprint import PACKAGE_DIR, import_closure
from vsr_analysis.paths import atomic_write
from vsr_analysis.simulate import operating
from vsr_analysis.simulate.registry import analysis_for, claim_parameters
from vsr_analysis.simulate.replica_frame import simulated_survey
from vsr_analysis.simulate.streams import analysis_seed, replica_seed
from vsr_analysis.simulate.truth import (
    check_statements,
    model_truth,
    realised_holds,
    realised_value,
    stated_truth,
    truth_label,
)
from vsr_analysis.stats.multiplicity import holm
from vsr_analysis.synth import replica

PER_SEED_FILE = "per_seed.csv"
OC_FILE = "operating_characteristics.csv"
PROVENANCE_FILE = stored_runs.PROVENANCE_FILE
RUN_FILE = "run.json"
CHECKPOINT_DIR = paths.SIMULATION_CHECKPOINTS
FLOAT_FORMAT = "%.10g"

#: Columns of the per-seed file, in order.
PER_SEED_COLUMNS = (
    "scenario",
    "seed",
    "replica_seed",
    "claim",
    "truth",
    "truth_stated",
    "true_value",
    "verdict",
    "verdict_unadjusted",
    "estimate",
    "ci_low",
    "ci_high",
    "p_value",
    "p_value_adjusted",
    "n",
    "covered",
    "error",
    # share claims on the municipalities: the interval under missing at random (factor 1 - pi_i per unit), reported
    # beside the declared decision interval (claims.yml analysis.variance), and the verdict the same rule would give
    # on it (Holm-adjusted at the claim's place, as the primary)
    "verdict_mar",
    "ci_low_mar",
    "ci_high_mar",
    "covered_mar",
)


def simulation_code_hash() -> str:
    """sha256 over the package modules a simulation imports, directly or indirectly (names and bytes)."""
    digest = hashlib.sha256()
    for path in import_closure(["vsr_analysis.simulate.engine", "vsr_analysis.simulate.registry"]):
        digest.update(str(path.relative_to(PACKAGE_DIR)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


class SimulationError(ValueError):
    """A simulation cannot run as asked (unknown claim, a wrong scenario statement, another run in --out)."""


@dataclass(frozen=True)
class ClaimJob:
    id: str
    entry: dict
    params: dict
    claim: Claim  # the typed entry (claims.spec): what the registry and the truth read


@dataclass
class Plan:
    scenarios: tuple[str, ...]
    seeds: tuple[int, ...]
    claims: tuple[ClaimJob, ...]
    alpha: float
    chunk_size: int
    scenario_docs: dict[str, dict] = field(repr=False, default_factory=dict)
    unregistered: tuple[str, ...] = ()  # claims of claims.yml left out: no package analysis registered

    def fingerprint(self) -> str:
        """sha256 of everything that changes a seed's records (not the seeds asked for, workers or chunking)."""
        payload = {
            "scenarios": {s: self.scenario_docs[s]["_sha256"] for s in self.scenarios},
            "claims": [{"id": c.id, "entry": c.entry, "params": c.params} for c in self.claims],
            "alpha": self.alpha,
            "generator_sha256": replica.generator_sha256(),
            "package_code": simulation_code_hash(),  # a change to any module a simulation runs invalidates checkpoints
            "package_version": __version__,
        }
        text = json.dumps(json_ready(payload), sort_keys=True, default=str)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def chunks(self) -> list[tuple[str, tuple[int, ...]]]:
        """(scenario, seeds) per chunk; chunk k holds seeds k*size+1 .. (k+1)*size.

        Ordered chunk by chunk across the scenarios, so that a run stopped early has the first seeds of every
        scenario done (rerun with a smaller ``--seeds`` to write their results).
        """
        groups: dict[int, list[int]] = {}
        for seed in self.seeds:
            groups.setdefault((seed - 1) // self.chunk_size, []).append(seed)
        return [(scenario, tuple(groups[k])) for k in sorted(groups) for scenario in self.scenarios]


def make_plan(
    scenarios: Sequence[str],
    n_seeds: int,
    claims: Sequence[str] | None = None,
    *,
    chunk_size: int = 10,
    overrides: dict[str, Any] | None = None,
    check_models: bool = True,
) -> Plan:
    """Validate the request and resolve every claim's entry and parameters.

    ``check_models=False`` skips checking each scenario's stated truths against its model (fitting the model's
    pseudo-true values, the slow part): for re-making the plan of a stored run only to compare fingerprints.
    The fingerprint covers the code, the scenario files and the claims, so a stored run whose fingerprint
    matches passed the same check when it was made.

    ``overrides`` replaces notebook parameters of every selected claim that has them (e.g.
    ``{"permutations": 1000}``); the overridden value is part of the plan and of the provenance.
    """
    if n_seeds < 1:
        raise SimulationError("--seeds must be at least 1")
    if chunk_size < 1:
        raise SimulationError("--chunk-size must be at least 1")
    available = replica.available_scenarios()
    unknown = [s for s in scenarios if s not in available]
    if unknown or not scenarios:
        raise SimulationError(f"unknown scenario(s) {unknown}; available: {', '.join(available)}")
    spec = load_claims_spec()
    typed = load_claims()
    alpha = float(spec.get("alpha", 0.05))
    entries = {c["id"]: c for c in spec["claims"]}
    registered = [c for c in entries if analysis_for(typed[c]) is not None]
    wanted = list(claims) if claims else registered
    not_in_spec = [c for c in wanted if c not in entries]
    if not_in_spec:
        raise SimulationError(f"unknown claim(s) {not_in_spec}; claims.yml has {', '.join(entries)}")
    no_analysis = [c for c in wanted if c not in registered]
    if no_analysis:
        raise SimulationError(
            f"claim(s) {no_analysis} declare an analysis kind with no implementation in "
            f"vsr_analysis.simulate.registry; claims with one: {', '.join(registered)}"
        )
    from vsr_analysis.inputs.runspec import load_runspec

    runspec = load_runspec()  # once: loading checks every notebook pair, which is slow
    jobs = []
    for cid in wanted:
        params = claim_parameters(entries[cid], alpha, runspec)
        for key, value in (overrides or {}).items():
            if key in params and value is not None:
                params[key] = value
        jobs.append(ClaimJob(cid, entries[cid], params, typed[cid]))
    docs = {s: replica.load_scenario(s) for s in scenarios}
    unregistered = tuple(c for c in entries if c not in registered) if not claims else ()
    plan = Plan(tuple(scenarios), tuple(range(1, n_seeds + 1)), tuple(jobs), alpha, int(chunk_size), docs, unregistered)
    problems = []
    job_params = {job.id: job.params for job in jobs}
    for s in scenarios if check_models else ():
        problems += check_statements(s, docs[s], typed, job_params)
    if problems:
        raise SimulationError("scenario statements disagree with their models:\n  " + "\n  ".join(problems))
    return plan


# --------------------------------------------------------------------------------------------------------
# One seed, one chunk (run on the workers)


_MODEL_TRUTH: dict[tuple, tuple] = {}


def _model_truth(job: ClaimJob, scenario: dict) -> tuple:
    """:func:`model_truth`, computed once per scenario and claim in a worker (it does not depend on the seed)."""
    key = (scenario.get("_sha256"), job.id, json.dumps(json_ready(job.params), sort_keys=True, default=str))
    if key not in _MODEL_TRUTH:
        _MODEL_TRUTH[key] = model_truth(job.claim, scenario, job.params)
    return _MODEL_TRUTH[key]


def run_seed(scenario: dict, seed: int, claims: Sequence[ClaimJob], alpha: float) -> list[dict]:
    """Every selected claim's evidence, verdicts and truth for one simulated survey."""
    name = scenario["name"]
    rseed = replica_seed(name, seed)
    data, complete = simulated_survey(scenario, rseed)
    evidence: dict[str, dict | None] = {}
    errors: dict[str, str] = {}
    for job in claims:
        try:
            analysis = analysis_for(job.claim)
            evidence[job.id] = analysis(data, job.claim, job.params, analysis_seed(name, seed, job.id))
        except Exception as exc:  # a failed analysis is an inconclusive verdict, recorded with its reason
            evidence[job.id] = None
            errors[job.id] = f"{type(exc).__name__}: {' '.join(str(exc).split())}"[:200]
    # Holm across the Holm family of this run, as the ledger does (claims.ledger.in_holm_family): a component
    # (multiplicity: {as: <conjunction>}) is adjusted at its conjunction's place, an existence claim (multiplicity: none) not at all, and
    # every route to a verdict passes the same adjustment (claims.ledger.family_adjuster)
    raw = {
        job.id: _num(evidence[job.id]["primary"]["p_value"])
        for job in claims
        if evidence[job.id] is not None and in_holm_family(job.entry)
    }
    testable = {k: v for k, v in raw.items() if v is not None}
    adjusted = holm(testable, alpha=alpha)["p_adjusted"].to_dict() if testable else {}
    adjust = family_adjuster(testable, alpha)
    records = []
    for job in claims:
        ev = evidence[job.id]
        stated = stated_truth(scenario, job.id)
        model_holds, true_value = _model_truth(job, scenario)
        realised_share, stage_shares = realised_value(job.claim, complete)
        if realised_share is not None:
            true_value = realised_share
        # share claims on the municipalities: labelled by this seed's realised frame share (what the test and its
        # interval target); the others by the model's truth (the scenario's statement where the model says nothing)
        realised = realised_holds(job.claim, realised_share, stage_shares)
        holds = realised if realised is not None else (model_holds if model_holds is not None else stated)
        rec: dict[str, Any] = {
            "scenario": name,
            "seed": seed,
            "replica_seed": rseed,
            "claim": job.id,
            "truth": truth_label(holds),
            "truth_stated": truth_label(stated),
            "true_value": true_value,
            "error": errors.get(job.id, ""),
        }
        if ev is None:
            rec.update(verdict="inconclusive", verdict_unadjusted="inconclusive")
        else:
            p = _num(ev["primary"]["p_value"])
            rule_m = job.entry.get("multiplicity", "holm")
            family_id = rule_m["as"] if isinstance(rule_m, dict) else (job.id if in_holm_family(job.entry) else None)
            if in_holm_family(job.entry):
                p_adj = _num(adjusted.get(job.id))
            else:
                p_adj = adjust(family_id, p) if family_id is not None else p
            rec.update(
                verdict=decide(job.entry, with_adjusted_routes(ev, adjust, family_id), alpha, p_adj).verdict,
                verdict_unadjusted=decide(job.entry, ev, alpha, p).verdict,
                estimate=ev["primary"]["estimate"],
                ci_low=ev["primary"]["ci_low"],
                ci_high=ev["primary"]["ci_high"],
                p_value=p,
                p_value_adjusted=p_adj,
                n=ev["n"],
            )
            lo, hi, tv = _num(rec["ci_low"]), _num(rec["ci_high"]), _num(rec["true_value"])
            if None not in (lo, hi, tv):
                rec["covered"] = bool(lo <= tv <= hi)
            mar = ev.get("mar")
            if mar is not None:
                ev_mar = dict(ev, primary=mar)
                p_mar = _num(mar["p_value"])
                p_mar_adj = adjust(family_id, p_mar) if family_id is not None else p_mar
                rec.update(
                    verdict_mar=decide(
                        job.entry, with_adjusted_routes(ev_mar, adjust, family_id), alpha, p_mar_adj
                    ).verdict,
                    ci_low_mar=mar["ci_low"],
                    ci_high_mar=mar["ci_high"],
                )
                lo, hi = _num(mar["ci_low"]), _num(mar["ci_high"])
                if None not in (lo, hi, tv):
                    rec["covered_mar"] = bool(lo <= tv <= hi)
        records.append(json_ready({c: rec.get(c) for c in PER_SEED_COLUMNS}))
    return records


def run_chunk(task: dict) -> dict:
    """A chunk of seeds of one scenario (the unit of work sent to a Dask worker)."""
    records = []
    cpu = time.process_time()
    for seed in task["seeds"]:
        records.extend(run_seed(task["scenario"], seed, task["claims"], task["alpha"]))
    return {
        "fingerprint": task["fingerprint"],
        "scenario": task["scenario"]["name"],
        "seeds": list(task["seeds"]),
        "records": records,
        "cpu_seconds": time.process_time() - cpu,
    }


def _num(value) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


# --------------------------------------------------------------------------------------------------------
# Checkpoints


def checkpoint_path(out: Path, scenario: str, seeds: Sequence[int]) -> Path:
    return out / CHECKPOINT_DIR / scenario / f"seeds-{seeds[0]:06d}-{seeds[-1]:06d}.json"


def read_checkpoint(path: Path, fingerprint: str, seeds: Sequence[int]) -> dict | None:
    """A chunk's result if its checkpoint is complete and belongs to this plan, else None (recompute it)."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or doc.get("fingerprint") != fingerprint or doc.get("seeds") != list(seeds):
        return None
    return doc


def _write_checkpoint(out: Path, result: dict) -> None:
    payload = {k: result[k] for k in ("fingerprint", "scenario", "seeds", "records")}
    atomic_write(checkpoint_path(out, result["scenario"], result["seeds"]), json.dumps(payload) + "\n")


def _claim_run_json(out: Path, plan: Plan, fingerprint: str) -> None:
    """Record the plan in <out>/run.json; refuse an --out folder that holds another plan's run."""
    path = out / RUN_FILE
    if path.is_file():
        try:
            old = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            old = {}
        if old.get("fingerprint") != fingerprint:
            raise SimulationError(
                f"{out} holds a simulation with other settings (scenarios, claims, parameters or code); choose a new --out folder or delete {out}"
            )
    doc = {
        "fingerprint": fingerprint,
        "scenarios": list(plan.scenarios),
        "claims": [c.id for c in plan.claims],
    }
    atomic_write(path, json.dumps(doc, indent=2) + "\n")


# --------------------------------------------------------------------------------------------------------
# Progress


class Progress:
    """Seeds done, rate and time left, on one line (rewritten in place on a terminal)."""

    def __init__(self, total: int, done: int, stream=None, every: float = 1.0):
        self.total, self.done, self.start_done = total, done, done
        self.stream = stream if stream is not None else sys.stderr
        self.start = time.monotonic()
        self.every = every
        self.last = 0.0
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def update(self, seeds: int, force: bool = False) -> None:
        self.done += seeds
        now = time.monotonic()
        if not force and now - self.last < self.every and self.done < self.total:
            return
        self.last = now
        elapsed = now - self.start
        new = self.done - self.start_done
        rate = new / elapsed if elapsed > 0 else 0.0
        left = (self.total - self.done) / rate if rate > 0 else float("nan")
        text = (
            f"vsr simulate: {self.done}/{self.total} seeds ({100 * self.done / max(1, self.total):.0f} %), "
            f"{rate:.2f} seeds/s, {'about ' + _duration(left) + ' left' if math.isfinite(left) else 'time left not yet known'}"
        )
        if self.tty:
            self.stream.write("\r" + text.ljust(90))
            if self.done >= self.total:
                self.stream.write("\n")
        else:
            self.stream.write(text + "\n")
        self.stream.flush()


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h} h {m:02d} min" if h else (f"{m} min {s:02d} s" if m else f"{s} s")


# --------------------------------------------------------------------------------------------------------
# Dask


def dask_client(workers: int | None, scheduler: str | None):
    """(client, cluster-or-None): a LocalCluster of worker processes (one thread each), or a client of a running
    scheduler; what `vsr simulate` and `vsr simulate --power` run on."""
    import logging

    from distributed import Client, LocalCluster

    if scheduler:
        return Client(scheduler, timeout="30s"), None
    n = workers or os.cpu_count() or 1
    cluster = LocalCluster(
        n_workers=n,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=logging.ERROR,
    )
    return Client(cluster), cluster


def run_on_dask(fn, tasks: list[dict], workers: int | None, scheduler: str | None, key=None) -> Iterable:
    """``fn(task)`` for every task, yielded as they complete: in this process when ``workers == 0`` and no
    scheduler is given, else on a Dask cluster (``dask_client``).  ``key(task)`` names a task's future (so a
    dashboard shows what runs); without it Dask names them.  Both `vsr simulate` and its power run go through
    here, so there is one way work reaches the workers."""
    if workers == 0 and not scheduler:
        for task in tasks:
            yield fn(task)
        return
    from distributed import as_completed

    client, cluster = dask_client(workers, scheduler)
    try:
        futures = [
            client.submit(fn, task, pure=False, **({"key": key(task)} if key is not None else {})) for task in tasks
        ]
        for future in as_completed(futures):
            yield future.result()
            future.release()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _chunk_key(task: dict) -> str:
    return f"vsr-simulate-{task['fingerprint'][:12]}-{task['label']}"


# --------------------------------------------------------------------------------------------------------
# The whole run


@dataclass
class RunSummary:
    out: Path
    seeds_total: int
    seeds_computed: int
    chunks_computed: int
    wall_seconds: float
    cpu_seconds: float


def simulate(
    plan: Plan,
    out: str | os.PathLike,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
    command: str | None = None,
    on_chunk: Callable[[dict], None] | None = None,
) -> RunSummary:
    """Run ``plan`` into ``out``: missing chunks on Dask (or in-process for ``workers=0``), then the files."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    fingerprint = plan.fingerprint()
    _claim_run_json(out, plan, fingerprint)
    chunks = plan.chunks()
    done = {}
    tasks = []
    for scenario, seeds in chunks:
        doc = read_checkpoint(checkpoint_path(out, scenario, seeds), fingerprint, seeds)
        if doc is not None:
            done[(scenario, seeds)] = doc
            continue
        tasks.append(
            {
                "fingerprint": fingerprint,
                "label": f"{scenario}-{seeds[0]}-{seeds[-1]}",
                "scenario": plan.scenario_docs[scenario],
                "seeds": seeds,
                "claims": plan.claims,
                "alpha": plan.alpha,
            }
        )
    total = len(plan.scenarios) * len(plan.seeds)
    todo = sum(len(t["seeds"]) for t in tasks)
    bar = Progress(total, total - todo) if progress else None
    if bar is not None:
        bar.update(0, force=True)
    start, cpu = time.monotonic(), 0.0
    for result in run_on_dask(run_chunk, tasks, workers, scheduler, key=_chunk_key):
        _write_checkpoint(out, result)
        done[(result["scenario"], tuple(result["seeds"]))] = result
        cpu += result["cpu_seconds"]
        if on_chunk is not None:
            on_chunk(result)
        if bar is not None:
            bar.update(len(result["seeds"]))
    wall = time.monotonic() - start
    records = [r for key in chunks for r in done[key]["records"]]
    write_outputs(out, plan, records, command=command, wall_seconds=wall, cpu_seconds=cpu, computed=todo)
    return RunSummary(out, total, todo, len(tasks), wall, cpu)


def per_seed_table(records: list[dict]) -> pd.DataFrame:
    table = pd.DataFrame(records, columns=list(PER_SEED_COLUMNS))
    order = {c: i for i, c in enumerate(dict.fromkeys(table["claim"]))}
    table = table.assign(_c=table["claim"].map(order)).sort_values(["scenario", "seed", "_c"], kind="mergesort")
    return table.drop(columns="_c").reset_index(drop=True)


def write_outputs(
    out: Path,
    plan: Plan,
    records: list[dict],
    *,
    command: str | None,
    wall_seconds: float,
    cpu_seconds: float,
    computed: int,
) -> None:
    """The per-seed file, the operating characteristics and the provenance (each written atomically)."""
    from vsr_analysis.inputs.provenance import git_state, package_versions, sha256_file
    from vsr_analysis.paths import claims_spec_path

    table = per_seed_table(records)
    oc = operating.operating_characteristics(table)
    atomic_write(out / PER_SEED_FILE, table.to_csv(index=False, lineterminator="\n", float_format=FLOAT_FORMAT))
    atomic_write(out / OC_FILE, oc.to_csv(index=False, lineterminator="\n", float_format=FLOAT_FORMAT))
    prov = {
        "simulated": True,
        "warning": "SIMULATED DATA: operating characteristics of the decision rules under stated scenarios.",
        "command": command or "vsr_analysis.simulate.engine.simulate(...)",
        "git": git_state(),
        "package_versions": package_versions(
            ("vsr-analysis", "numpy", "scipy", "pandas", "statsmodels", "dask", "distributed")
        ),
        "python": sys.version.split()[0],
        "fingerprint": plan.fingerprint(),
        "scenarios": {s: plan.scenario_docs[s]["_sha256"] for s in plan.scenarios},
        "claims_yml_sha256": sha256_file(claims_spec_path()),
        "seeds": {"first": plan.seeds[0], "last": plan.seeds[-1], "n": len(plan.seeds)},
        "chunk_size": plan.chunk_size,
        "alpha": plan.alpha,
        "multiplicity": "verdict: Holm across the confirmatory claims of the run; verdict_unadjusted: none",
        "claims": {c.id: {"rule": c.entry["rule"], "parameters": c.params} for c in plan.claims},
        "claims_not_simulated": list(plan.unregistered),
        "random_streams": "numpy SeedSequence(entropy=[sha256(scenario)[:8], seed]); see vsr_analysis.simulate.streams",
        "this_invocation": {
            "seeds_computed": computed,
            "wall_seconds": round(wall_seconds, 2),
            "cpu_seconds_of_workers": round(cpu_seconds, 2),
        },
    }
    atomic_write(out / PROVENANCE_FILE, json.dumps(json_ready(prov), indent=2, ensure_ascii=False) + "\n")
