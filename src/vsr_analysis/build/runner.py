"""Execute the run spec's notebooks with papermill and publish their outputs atomically.

One run:

1. validate the run spec and the survey source before any kernel starts (``runspec``, ``sources``);
2. decide per parameter set whether to execute or reuse, from a fingerprint of everything it depends on
   (template bytes, parameters, survey and data checksums, the package's own code) — ``fingerprint``;
3. execute the chosen notebooks concurrently, each in its own ``papermill`` process with a per-cell timeout,
   into a staging folder (``book/.staging``);
4. only when every notebook succeeded: build the claims ledger and the generated book pages in the staging
   folder, then swap it into place (``book/executed``, ``results``, ``book/generated``).

A failure names the notebook, parameter set and cell, and leaves the last good outputs untouched; an
interrupted run leaves only a staging folder, which the next run removes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import nbformat
import yaml

from vsr_analysis import paths
from vsr_analysis.build.final_verdicts import stamp_final_verdicts
from vsr_analysis.build.fingerprint import RunState, fingerprint
from vsr_analysis.build.page_titles import set_page_title
from vsr_analysis.build.runspec import ParameterSet, RunSpec, RunSpecError, load_runspec
from vsr_analysis.data.survey_source import SurveySource, resolve_source
from vsr_analysis.data.survey_spec import SourceError


#: The three published output folders, each swapped in as a whole.
def _published() -> dict[str, Path]:
    return {"executed": paths.executed_dir(), "results": paths.results_dir(), "generated": paths.generated_dir()}


STATE_FILE = ".runstate.json"


@dataclass
class Outcome:
    name: str
    status: str  # "executed", "reused", "failed"
    seconds: float = 0.0
    reason: str = ""
    error: str = ""


class RunFailed(RuntimeError):
    pass


def _kernel_env(root: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["VSR_PROJECT_ROOT"] = str(root)
    env["MPLBACKEND"] = "Agg"
    env["PYTHONHASHSEED"] = "0"
    # One BLAS thread per kernel: notebooks run side by side, and thread counts must not change results.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = "1"
    return env


def _failed_cell(notebook_path: Path) -> str:
    """Describe the first cell whose output is an error, numbered as in the *template* (1-based).

    Cells that papermill adds (the injected parameters and its error banner) are not counted, so the number
    points at the cell a researcher would open in ``notebooks/``.
    """
    try:
        nb = nbformat.read(notebook_path, as_version=4)
    except Exception:
        return "an unknown cell (the output notebook could not be read)"
    added = {"injected-parameters", "papermill-error-cell-tag"}
    number = 0
    for cell in nb.cells:
        if added & set(cell.get("metadata", {}).get("tags", [])):
            continue
        number += 1
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                first = next((ln for ln in cell.source.splitlines() if ln.strip()), "")
                return f"cell {number} of the template ({first[:70]!r}): {output.get('ename')}: {output.get('evalue')}"
    return "no cell reported an error (the kernel may have died or timed out)"


def _mark_cells_for_book(notebook_path: Path, title: str | None = None) -> None:
    """Hide the parameter cells (expandable) and collapse code cells in the book; give the page its title."""
    nb = nbformat.read(notebook_path, as_version=4)
    if title:
        set_page_title(nb, title)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        tags = list(cell.metadata.get("tags", []))
        if "parameters" in tags or "injected-parameters" in tags:
            wanted = "hide-cell"
        elif "remove-input" in tags or "remove-cell" in tags:
            continue
        else:
            wanted = "hide-input"
        if wanted not in tags:
            tags.append(wanted)
        cell.metadata["tags"] = tags
    nbformat.write(nb, notebook_path)


def execute_one(pset: ParameterSet, source: SurveySource, stage: Path, timeout: int, root: Path) -> Outcome:
    """Execute one parameter set in its own papermill process."""
    out_nb = stage / "executed" / pset.output_name
    results = stage / "results" / pset.name
    if results.exists():
        shutil.rmtree(results)
    results.mkdir(parents=True)
    params = dict(pset.parameters)
    params.update(survey=source.spec, param_set=pset.name, results_dir=str(results))
    param_file = stage / f"{pset.name}.params.yml"
    param_file.write_text(yaml.safe_dump(params, sort_keys=True), encoding="utf-8")
    cmd = [
        sys.executable,
        "-m",
        "papermill",
        str(pset.template),
        str(out_nb),
        "-k",
        "python3",
        "-f",
        str(param_file),
        "--cwd",
        str(out_nb.parent),
        "--execution-timeout",
        str(timeout),
        "--no-progress-bar",
        "--no-request-save-on-cell-execute",
    ]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=_kernel_env(root))
    seconds = time.perf_counter() - start
    param_file.unlink(missing_ok=True)
    if proc.returncode != 0:
        where = _failed_cell(out_nb) if out_nb.exists() else "before the first cell"
        tail = "\n".join(proc.stderr.strip().splitlines()[-6:])
        return Outcome(
            pset.name, "failed", seconds, error=f"{pset.template.name} [{pset.name}] failed at {where}\n{tail}"
        )
    _mark_cells_for_book(out_nb, title=pset.title)
    return Outcome(pset.name, "executed", seconds)


class _Progress:
    """Prints what is running, done and failed, one line per event (works in logs and terminals)."""

    def __init__(self, total: int, stream=sys.stderr):
        self.total, self.done, self.failed, self.running = total, 0, 0, set()
        self.lock = threading.Lock()
        self.stream = stream

    def _line(self, text: str) -> None:
        print(
            f"[{self.done + self.failed}/{self.total} done, {len(self.running)} running] {text}",
            file=self.stream,
            flush=True,
        )

    def start(self, name: str) -> None:
        with self.lock:
            self.running.add(name)
            self._line(f"start  {name}")

    def finish(self, outcome: Outcome) -> None:
        with self.lock:
            self.running.discard(outcome.name)
            if outcome.status == "failed":
                self.failed += 1
                self._line(f"FAILED {outcome.name} after {outcome.seconds:.1f} s")
            else:
                self.done += 1
                self._line(f"done   {outcome.name} in {outcome.seconds:.1f} s")


def _recover_interrupted() -> None:
    """Undo what an interrupted swap or run left behind, so every run starts from the last good state."""
    for target in _published().values():
        backup = target.with_name(target.name + ".previous")
        if backup.exists():
            if target.exists():
                shutil.rmtree(backup)
            else:
                os.replace(backup, target)
    staging_root = paths.book_dir() / ".staging"
    if staging_root.exists():
        shutil.rmtree(staging_root, ignore_errors=True)


def _swap_into_place(stage: Path) -> None:
    """Replace each published folder by its staged version (rename, never copy-in-place)."""
    for key, target in _published().items():
        staged = stage / key
        backup = target.with_name(target.name + ".previous")
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            os.replace(target, backup)
        os.replace(staged, target)
        if backup.exists():
            shutil.rmtree(backup)


def _preserve_unchanged_mtimes(stage: Path) -> None:
    """Give staged files that are byte-identical to the published ones the published modification time.

    Sphinx decides what to rebuild from modification times, so a no-op run must not make unchanged pages
    (regenerated ledger pages, reused notebooks, tables) look new.
    """
    for key, target in _published().items():
        staged_root = stage / key
        if not target.is_dir():
            continue
        for staged in staged_root.rglob("*"):
            if not staged.is_file():
                continue
            old = target / staged.relative_to(staged_root)
            try:
                if (
                    old.is_file()
                    and old.stat().st_size == staged.stat().st_size
                    and old.read_bytes() == staged.read_bytes()
                ):
                    st = old.stat()
                    os.utime(staged, ns=(st.st_atime_ns, st.st_mtime_ns))
            except OSError:
                pass


def _prepare_stage() -> Path:
    staging_root = paths.book_dir() / ".staging"
    staging_root.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix="run-", dir=staging_root))
    for key, target in _published().items():
        if target.exists() and key != "generated":
            shutil.copytree(target, stage / key)
        else:
            (stage / key).mkdir(parents=True)
    return stage


def run(
    spec: RunSpec,
    source: SurveySource,
    *,
    jobs: int | None = None,
    only: list[str] | None = None,
    force: bool = False,
    timeout: int | None = None,
    log=sys.stderr,
) -> list[Outcome]:
    """Execute (or reuse) every parameter set, then publish; raises RunFailed on any failure."""
    root = paths.project_root()
    _recover_interrupted()
    for name in only or []:
        spec.get(name)  # unknown names are a usage error before anything runs
    state = RunState.load(paths.results_dir() / STATE_FILE)
    data_sums = source.checksums()
    plan: list[tuple[ParameterSet, str, str]] = []  # (pset, fingerprint, reason)
    outcomes: list[Outcome] = []
    for pset in spec.parameter_sets:
        fp = fingerprint(pset, source.spec, data_sums)
        have_output = (paths.executed_dir() / pset.output_name).is_file()
        if only and pset.name not in only:
            if not have_output:
                raise RunFailed(f"--only: {pset.name} has never been executed; run without --only first")
            outcomes.append(Outcome(pset.name, "reused", reason="not selected by --only"))
            continue
        reason = "forced (--force)" if force else state.reason_to_run(pset.name, fp, have_output)
        if reason is None:
            outcomes.append(Outcome(pset.name, "reused", reason="inputs unchanged"))
        else:
            plan.append((pset, fp, reason))
    for outcome in outcomes:
        print(f"reuse  {outcome.name}: {outcome.reason}", file=log)
    for pset, _, reason in plan:
        print(f"rerun  {pset.name}: {reason}", file=log)
    # Longest first (by the last recorded duration; unknown counts as longest): with N workers this keeps
    # the slowest notebook from starting last and leaving the other workers idle.
    plan.sort(key=lambda item: -state.durations.get(item[0].name, float("inf")))

    stage = _prepare_stage()
    try:
        jobs = jobs or os.cpu_count() or 1
        progress = _Progress(len(plan), stream=log)
        timeout = timeout or spec.timeout_seconds

        def task(item):
            pset = item[0]
            progress.start(pset.name)
            outcome = execute_one(pset, source, stage, timeout, root)
            outcome.reason = item[2]
            progress.finish(outcome)
            return outcome

        with ThreadPoolExecutor(max_workers=max(1, min(jobs, len(plan) or 1))) as pool:
            executed = list(pool.map(task, plan))
        failures = [o for o in executed if o.status == "failed"]
        if failures:
            report = "\n\n".join(o.error for o in failures)
            raise RunFailed(f"{len(failures)} notebook(s) failed; previous outputs were left untouched.\n\n{report}")

        from vsr_analysis.build.generated_pages import write_generated_pages
        from vsr_analysis.claims.ledger import build_ledger

        for pset, fp, _ in plan:
            state.record(pset.name, fp)
        state.forget(set(spec.names()), keep_only=True)
        ledger = build_ledger(stage / "results", source=source)
        (stage / "results" / "claims.json").write_text(
            json.dumps(ledger, indent=2, ensure_ascii=False, sort_keys=False) + "\n", encoding="utf-8"
        )
        (stage / "results" / "run.json").write_text(
            json.dumps(
                {"survey": source.spec, "kind": source.kind, "confidential": source.confidential},
                indent=1,
                sort_keys=True,
            )
            + "\n",
            encoding="utf-8",
        )
        write_generated_pages(stage / "generated", ledger, spec, source, stage / "results")
        unstamped = stamp_final_verdicts(stage / "executed", ledger)
        if unstamped:
            print(
                f"vsr run: note: no decision box found to stamp the final verdict in {', '.join(unstamped)}",
                file=sys.stderr,
            )
        for outcome in executed:
            state.durations[outcome.name] = round(outcome.seconds, 1)
        state.save(stage / "results" / STATE_FILE)
        _preserve_unchanged_mtimes(stage)
        _swap_into_place(stage)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
        try:
            stage.parent.rmdir()  # remove book/.staging when no other run is using it
        except OSError:
            pass
    return outcomes + executed


def cli_run(args) -> int:
    from vsr_analysis.errors import UsageError

    try:
        spec = load_runspec(args.runspec)
        source = resolve_source(
            survey=args.survey,
            scenario=args.scenario or spec.scenario,
            seed=args.seed if args.seed is not None else spec.seed,
        )
    except (RunSpecError, SourceError) as exc:
        raise UsageError(str(exc)) from None
    print(f"vsr run: survey {source.label}; {len(spec.parameter_sets)} parameter set(s)", file=sys.stderr)
    start = time.perf_counter()
    try:
        outcomes = run(spec, source, jobs=args.jobs, only=args.only, force=args.force, timeout=args.timeout)
    except RunSpecError as exc:
        raise UsageError(str(exc)) from None
    except RunFailed as exc:
        print(f"vsr run: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"vsr run: error: could not write outputs ({exc}); previous outputs were left untouched", file=sys.stderr)
        return 1
    n_exec = sum(o.status == "executed" for o in outcomes)
    n_reuse = sum(o.status == "reused" for o in outcomes)
    print(
        f"vsr run: {n_exec} executed, {n_reuse} reused in {time.perf_counter() - start:.1f} s; "
        f"ledger {paths.claims_json_path().relative_to(paths.project_root())}",
        file=sys.stderr,
    )
    return 0
