"""Execute the run spec's notebooks with papermill and publish their outputs as one whole run.

One run:

1. take the checkout's run lock (``run_lock``: a second ``vsr run`` stops at once with a clear message), and
   undo what an interrupted run left (``publish.recover``, staging folders of dead runs);
2. validate the run spec and the survey source before any kernel starts (``runspec``, ``sources``);
3. decide per parameter set whether to execute or reuse (``plan_runs``), from a fingerprint of everything it
   depends on (template bytes, parameters, survey, the checksums of the inputs it reads: its claims.yml entries,
   scenario and declared stored runs, and the package's own code it imports) — ``fingerprint`` — and from
   the manifest of the published run: a parameter set whose published files changed outside ``vsr run`` (an
   interactive run, a hand edit) is executed again, and ``--only`` refuses to mix survey sources;
4. execute the chosen notebooks concurrently, each in its own ``papermill`` process (its own process group,
   tagged so that a watchdog ends it and its kernel when the run ends in any way, even by SIGKILL) with a
   per-cell timeout, into a staging folder unique to this run (``book/.staging/run-<id>``);
5. only when every notebook succeeded: build the claims ledger and the generated book pages in the staging
   folder, stamp everything with the run id, and publish the three folders (``book/executed``, ``results``,
   ``book/generated``) together or not at all (``publish``).

A failure names the notebook, parameter set and cell, and leaves the last good outputs untouched.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import nbformat
import yaml

from vsr_analysis import paths
from vsr_analysis.build import publish
from vsr_analysis.build.final_verdicts import stamp_final_verdicts
from vsr_analysis.build.page_titles import set_page_title
from vsr_analysis.build.run_lock import RunLock
from vsr_analysis.build.watchdog import TOKEN_VAR, kill_tagged, start_watchdog
from vsr_analysis.data.survey_source import SurveySource
from vsr_analysis.inputs.fingerprint import RunState, fingerprint
from vsr_analysis.inputs.runspec import ParameterSet, RunSpec

STATE_FILE = ".runstate.json"
OWNER_FILE = "owner.pid"


@dataclass
class Outcome:
    name: str
    status: str  # "executed", "reused", "failed"
    seconds: float = 0.0
    reason: str = ""
    error: str = ""


class RunFailed(RuntimeError):
    pass


def _kernel_env(root: Path, token: str = "") -> dict[str, str]:
    env = dict(os.environ)
    env["VSR_PROJECT_ROOT"] = str(root)
    if token:
        env[TOKEN_VAR] = token  # the watchdog ends every process that carries this run's token
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


def _end_at_cannot_estimate(notebook_path: Path) -> bool:
    """If the notebook stopped with ``chapter.CannotEstimate``, make it end there cleanly and return True.

    The error output and papermill's error banner are removed, the cells after the stop are dropped (they were
    not run) and the notebook is no longer marked as failed; the note the chapter printed stays.
    """
    try:
        nb = nbformat.read(notebook_path, as_version=4)
    except Exception:
        return False
    stop = None
    for i, cell in enumerate(nb.cells):
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if errors:
            if errors[0].get("ename") != "CannotEstimate":
                return False
            stop = i
            break
    if stop is None:
        return False
    cell = nb.cells[stop]
    cell.outputs = [o for o in cell.outputs if o.get("output_type") != "error"]
    nb.cells = [
        c for c in nb.cells[: stop + 1] if "papermill-error-cell-tag" not in c.get("metadata", {}).get("tags", [])
    ]
    pm = nb.metadata.get("papermill")
    if pm is not None:
        pm["exception"] = None
    nbformat.write(nb, notebook_path)
    return True


def _mark_cells_for_book(
    notebook_path: Path, template: Path | None = None, root: Path | None = None, title: str | None = None
) -> None:
    """Hide the parameter cells (expandable) and collapse code cells in the book; give the page its title.

    Also replaces the absolute paths papermill records (``input_path``, ``output_path``) by paths relative to
    the project: a published notebook must not name a folder of the machine that built it.
    """
    nb = nbformat.read(notebook_path, as_version=4)
    pm = nb.metadata.get("papermill")
    if pm is not None:
        root = root or paths.project_root()
        if template is not None:
            tpl = Path(template).resolve()
            pm["input_path"] = tpl.relative_to(root).as_posix() if tpl.is_relative_to(root) else tpl.name
        pm["output_path"] = f"book/executed/{notebook_path.name}"
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


class _Children:
    """The papermill processes of a run (each in its own process group), to end them when the run stops."""

    def __init__(self, token: str):
        self.token = token
        self.procs: set[subprocess.Popen] = set()
        self.lock = threading.Lock()
        self.stopping = False

    def start(self, cmd: list[str], env: dict[str, str]) -> subprocess.Popen:
        with self.lock:
            if self.stopping:
                raise RunFailed("the run was stopped")
            proc = subprocess.Popen(
                cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, start_new_session=True
            )
            self.procs.add(proc)
            return proc

    def done(self, proc: subprocess.Popen) -> None:
        with self.lock:
            self.procs.discard(proc)

    def kill_all(self) -> None:
        """End every papermill process group, then every process (kernels) that carries the run's token."""
        with self.lock:
            self.stopping = True
            procs = list(self.procs)
        for proc in procs:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                pass
        kill_tagged(self.token, rounds=2, pause=0.1)


def _protect_across_chapters(stage, plan, outcomes, executed, task, jobs, log, rounds: int = 3):
    """Confidential run: secondary suppression over every chapter's released cells at once; the chapters that must
    hide more are run again with those cells hidden (``release_audit.protect_across_chapters``), until nothing
    more is needed (the reconstruction audit then checks the result)."""
    from vsr_analysis.build.release_audit import protect_across_chapters

    by_name = {item[0].name: item for item in plan}
    reused = [o.name for o in outcomes if o.status == "reused"]
    for _ in range(rounds):
        forced = protect_across_chapters(stage, reused)
        if not forced:
            break
        missing = sorted(n for n in forced if n not in by_name)
        if missing:
            raise RunFailed(
                f"disclosure: protection across chapters must hide more in {', '.join(missing)}, which this run "
                "reuses; run again without --only. Previous outputs were left untouched."
            )
        again = [by_name[n] for n in sorted(forced)]
        print(
            f"vsr run: protection across chapters hides {sum(len(v) for v in forced.values())} more cell(s); "
            f"running {', '.join(sorted(forced))} again",
            file=log,
        )
        with ThreadPoolExecutor(max_workers=max(1, min(jobs, len(again)))) as pool:
            rerun = list(pool.map(task, again))
        failures = [o for o in rerun if o.status == "failed"]
        if failures:
            report = "\n\n".join(o.error for o in failures)
            raise RunFailed(f"{len(failures)} notebook(s) failed; previous outputs were left untouched.\n\n{report}")
        names = {o.name for o in rerun}
        executed = [o for o in executed if o.name not in names] + rerun
    return executed


def execute_one(
    pset: ParameterSet, source: SurveySource, stage: Path, timeout: int, root: Path, children: _Children | None = None
) -> Outcome:
    """Execute one parameter set in its own papermill process (its own process group)."""
    out_nb = stage / "executed" / pset.output_name
    results = stage / "results" / pset.name
    if results.exists():
        shutil.rmtree(results)
    results.mkdir(parents=True)
    params = dict(pset.parameters)
    # results_dir relative to the kernel's working folder (stage/executed): no machine path enters the notebook
    params.update(survey=source.spec, param_set=pset.name, results_dir=os.path.relpath(results, out_nb.parent))
    param_file = stage / f"{pset.name}.params.yml"
    param_file.write_text(yaml.safe_dump(params, sort_keys=True), encoding="utf-8")
    cmd = [
        sys.executable,
        "-m",
        "vsr_analysis.build.papermill_child",  # `python -m papermill`, without the IRI grammars (papermill_child)
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
    children = children or _Children(secrets.token_hex(8))
    proc = children.start(cmd, _kernel_env(root, children.token))
    try:
        _, stderr = proc.communicate()
    finally:
        children.done(proc)
    seconds = time.perf_counter() - start
    param_file.unlink(missing_ok=True)
    if proc.returncode != 0 and out_nb.exists() and _end_at_cannot_estimate(out_nb):
        pass  # the chapter said why it cannot be estimated and recorded its claim: a finished page
    elif proc.returncode != 0:
        where = _failed_cell(out_nb) if out_nb.exists() else "before the first cell"
        tail = "\n".join((stderr or "").strip().splitlines()[-6:])
        return Outcome(
            pset.name, "failed", seconds, error=f"{pset.template.name} [{pset.name}] failed at {where}\n{tail}"
        )
    _mark_cells_for_book(out_nb, pset.template, root, title=pset.title)
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


def _staging_root() -> Path:
    return paths.book_dir() / ".staging"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _remove_dead_stages() -> None:
    """Remove staging folders whose owning run is gone (called under the run lock, so never a live run's)."""
    staging_root = _staging_root()
    if not staging_root.is_dir():
        return
    for stage in staging_root.iterdir():
        try:
            owner = int((stage / OWNER_FILE).read_text().strip())
        except (OSError, ValueError):
            owner = None
        if owner is None or owner == os.getpid() or not _pid_alive(owner):
            shutil.rmtree(stage, ignore_errors=True) if stage.is_dir() else stage.unlink(missing_ok=True)
    try:
        staging_root.rmdir()
    except OSError:
        pass


def _recover_interrupted() -> None:
    """Undo what an interrupted publish or run left behind, so every run starts from the last good state."""
    publish.recover()
    _remove_dead_stages()


def _preserve_unchanged_mtimes(stage: Path) -> None:
    """Give staged files that are byte-identical to the published ones the published modification time.

    Sphinx decides what to rebuild from modification times, so a no-op run must not make unchanged pages
    (regenerated ledger pages, reused notebooks, tables) look new.
    """
    for key, target in publish.published_folders().items():
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


def _prepare_stage(run_id: str, trusted: set[str]) -> Path:
    """A staging folder for this run alone, holding a copy of the published files the runner can vouch for.

    Only files listed in the published manifest with unchanged bytes (``trusted``) are copied: a file written
    by anything else (an interactive run, a hand edit) is never carried into the next published run.
    """
    staging_root = _staging_root()
    staging_root.mkdir(parents=True, exist_ok=True)
    stage = staging_root / f"run-{run_id}"
    stage.mkdir()
    (stage / OWNER_FILE).write_text(str(os.getpid()), encoding="utf-8")
    for key, target in publish.published_folders().items():
        (stage / key).mkdir(parents=True)
        if key == "generated":
            continue  # regenerated by every run
        for name in sorted(trusted):
            folder, _, rel = name.partition("/")
            if folder != key:
                continue
            dest = stage / key / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(target / rel, dest)
    return stage


def _owner_of(name: str, spec: RunSpec) -> str | None:
    """The parameter set a published file belongs to (``results/<set>/…`` or ``executed/<set>.ipynb``)."""
    folder, _, rel = name.partition("/")
    for pset in spec.parameter_sets:
        if (folder == "results" and rel.startswith(pset.name + "/")) or (
            folder == "executed" and rel == pset.output_name
        ):
            return pset.name
    return None


def _published_survey(manifest: dict | None) -> str | None:
    if manifest and manifest.get("survey"):
        return manifest["survey"]
    try:
        return json.loads((paths.results_dir() / "run.json").read_text(encoding="utf-8")).get("survey")
    except (OSError, ValueError, AttributeError):
        return None


def _check_one_source(results: Path, spec: str) -> None:
    """Refuse to build a ledger from evidence of more than one survey source."""
    others = []
    for evidence in sorted(results.glob("*/evidence.json")):
        try:
            survey = json.loads(evidence.read_text(encoding="utf-8")).get("survey")
        except (OSError, ValueError, AttributeError):
            survey = None
        if survey != spec:
            others.append(f"{evidence.parent.name} ({survey})")
    if others:
        raise RunFailed(
            f"the ledger would mix survey sources: this run uses {spec}, but the evidence of "
            f"{', '.join(others)} comes from another source; run without --only to rerun everything. "
            "Previous outputs were left untouched."
        )


def plan_runs(
    spec: RunSpec,
    source: SurveySource,
    state: RunState,
    trusted: set[str],
    *,
    only: list[str] | None = None,
    force: bool = False,
    foreign: dict[str, list[str]] | None = None,
    have_manifest: bool = True,
) -> tuple[list[tuple[ParameterSet, str, str]], list[Outcome]]:
    """Which parameter sets to execute, and why: ``(plan, reused)``, ``plan`` holding ``(pset, fingerprint,
    reason)`` and ``reused`` an :class:`Outcome` per parameter set whose published output is kept.

    ``state`` holds the fingerprints of the published run, ``trusted`` the published files `vsr run` wrote
    (``executed/<set>.ipynb`` among them), ``foreign`` the published files of each set written by something else.
    """
    foreign = foreign or {}
    data_sums = source.checksums()
    plan: list[tuple[ParameterSet, str, str]] = []  # (pset, fingerprint, reason)
    outcomes: list[Outcome] = []
    for pset in spec.parameter_sets:
        fp = fingerprint(pset, source.spec, data_sums)
        have_output = f"executed/{pset.output_name}" in trusted
        changed = foreign.get(pset.name)
        if only and pset.name not in only:
            if changed:
                raise RunFailed(
                    f"--only: published files of {pset.name} were not written by `vsr run` "
                    f"({', '.join(changed[:3])}); run without --only so that it is executed again. "
                    "Previous outputs were left untouched."
                )
            if not have_output:
                raise RunFailed(f"--only: {pset.name} has never been executed; run without --only first")
            outcomes.append(Outcome(pset.name, "reused", reason="not selected by --only"))
            continue
        if force:
            reason = "forced (--force)"
        elif changed and have_manifest:
            reason = f"published files not written by vsr run ({', '.join(changed[:3])})"
        else:
            reason = state.reason_to_run(pset.name, fp, have_output)
            if reason is None and not have_manifest:
                reason = "no record of what vsr run wrote (results/.manifest.json missing)"
        if reason is None:
            outcomes.append(Outcome(pset.name, "reused", reason="inputs unchanged"))
        else:
            plan.append((pset, fp, reason))
    return plan, outcomes


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
    """Execute (or reuse) every parameter set, then publish; raises RunFailed on any failure.

    Raises RunLocked at once when another run holds this checkout's lock."""
    with RunLock():
        _recover_interrupted()
        return _run_locked(spec, source, jobs=jobs, only=only, force=force, timeout=timeout, log=log)


def _run_locked(spec, source, *, jobs, only, force, timeout, log) -> list[Outcome]:
    root = paths.project_root()
    for name in only or []:
        spec.get(name)  # unknown names are a usage error before anything runs
    manifest, untrusted = publish.untrusted_files()
    published_survey = _published_survey(manifest)
    if only and published_survey and published_survey != source.spec:
        raise RunFailed(
            f"--only: the published run used the survey {published_survey}, this run {source.spec}; the ledger "
            "never mixes survey sources, so run without --only (every notebook then reruns on the new source). "
            "Previous outputs were left untouched."
        )
    foreign: dict[str, list[str]] = {}
    for name in untrusted:
        owner = _owner_of(name, spec)
        if owner is not None:
            foreign.setdefault(owner, []).append(name)
    all_published = publish.file_checksums(publish.published_folders())
    trusted = {name for name in all_published if name not in set(untrusted)}
    state = RunState.load(paths.results_dir() / STATE_FILE)
    plan, outcomes = plan_runs(
        spec, source, state, trusted, only=only, force=force, foreign=foreign, have_manifest=manifest is not None
    )
    for outcome in outcomes:
        print(f"reuse  {outcome.name}: {outcome.reason}", file=log)
    for pset, _, reason in plan:
        print(f"rerun  {pset.name}: {reason}", file=log)
    # Longest first (by the last recorded duration; unknown counts as longest): with N workers this keeps
    # the slowest notebook from starting last and leaving the other workers idle.
    plan.sort(key=lambda item: -state.durations.get(item[0].name, float("inf")))

    run_id = publish.new_run_id()
    children = _Children(secrets.token_hex(16))
    stage = _prepare_stage(run_id, trusted)
    watchdog = start_watchdog(children.token)
    try:
        jobs = jobs or os.cpu_count() or 1
        progress = _Progress(len(plan), stream=log)
        timeout = timeout or spec.timeout_seconds

        def task(item):
            pset = item[0]
            progress.start(pset.name)
            outcome = execute_one(pset, source, stage, timeout, root, children)
            outcome.reason = item[2]
            progress.finish(outcome)
            return outcome

        with ThreadPoolExecutor(max_workers=max(1, min(jobs, len(plan) or 1))) as pool:
            try:
                executed = list(pool.map(task, plan))
            except BaseException:
                children.kill_all()  # Ctrl-C or an error: end the notebooks now, not when they finish
                raise
        failures = [o for o in executed if o.status == "failed"]
        if failures:
            report = "\n\n".join(o.error for o in failures)
            raise RunFailed(f"{len(failures)} notebook(s) failed; previous outputs were left untouched.\n\n{report}")
        if source.confidential:
            executed = _protect_across_chapters(stage, plan, outcomes, executed, task, jobs, log)

        from vsr_analysis.build.generated_pages import write_generated_pages
        from vsr_analysis.build.output_hygiene import drop_path_reprs
        from vsr_analysis.build.verdict_card import stamp_verdict_cards
        from vsr_analysis.claims.ledger import build_ledger
        from vsr_analysis.claims.spec import load_claims

        _check_one_source(stage / "results", source.spec)
        for pset, fp, _ in plan:
            state.record(pset.name, fp)
        state.forget(set(spec.names()), keep_only=True)
        reused = [o.name for o in outcomes if o.status == "reused"]
        if source.confidential:
            from vsr_analysis.build import confidential_precision as precision

            coarse = precision.restore_full_evidence(stage, reused)
            if coarse:
                print(f"vsr run: note: decided {', '.join(coarse)} from published (rounded) evidence: no private "
                      "full-precision copy of an earlier run", file=sys.stderr)  # fmt: skip
        ledger = build_ledger(stage / "results", source=source)
        if source.confidential:  # decided at full precision; published at the tables' precision
            ledger = precision.coarsen_published(stage, ledger, load_claims())
        (stage / "results" / "claims.json").write_text(
            json.dumps(ledger, indent=2, ensure_ascii=False, sort_keys=False) + "\n", encoding="utf-8"
        )
        (stage / "results" / "run.json").write_text(
            json.dumps(
                {"survey": source.spec, "kind": source.kind, "confidential": source.confidential, **source.provenance},
                indent=1,
                sort_keys=True,
            )
            + "\n",
            encoding="utf-8",
        )
        if source.confidential:
            from vsr_analysis.build.release_audit import AuditFailed, audit_stage

            try:
                audit_stage(stage, reused=reused)
            except AuditFailed as exc:
                raise RunFailed(f"disclosure: {exc}. Previous outputs were left untouched.") from None
        write_generated_pages(stage / "generated", ledger, spec, source, stage / "results")
        unstamped = stamp_final_verdicts(stage / "executed", ledger)
        stamp_verdict_cards(stage / "executed", ledger, stage / "results", simulated=source.kind == "synthetic")
        drop_path_reprs(stage / "executed")
        if unstamped:
            print(
                f"vsr run: note: no decision box found to stamp the final verdict in {', '.join(unstamped)}",
                file=sys.stderr,
            )
        for outcome in executed:
            state.durations[outcome.name] = round(outcome.seconds, 1)
        state.save(stage / "results" / STATE_FILE)
        stamp_and_publish(stage, run_id, source.spec)
        if source.confidential:
            from vsr_analysis.build.release_audit import keep_records

            keep_records(stage)
            precision.keep_evidence(stage)
    finally:
        children.kill_all()
        try:
            watchdog.stdin.close()  # the watchdog ends whatever is left and exits
            watchdog.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            pass
        shutil.rmtree(stage, ignore_errors=True)  # this run's own staging folder, and no other
        try:
            stage.parent.rmdir()  # remove book/.staging when it is empty
        except OSError:
            pass
    return outcomes + executed


def stamp_and_publish(stage: Path, run_id: str, survey: str) -> None:
    """Stamp the staged folders with the run id and publish them together (``publish.publish``)."""
    publish.stamp_stage(stage, run_id, survey)
    _preserve_unchanged_mtimes(stage)
    publish.publish(stage)
