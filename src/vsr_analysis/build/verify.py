"""``vsr verify``: re-execute the pipeline on the same inputs and compare with the published results.

The reviewer's check that the book is exactly what the code makes of the data.  The project's inputs (data,
notebooks, specs, book sources) are copied into a temporary folder, every notebook is re-executed there from
scratch (``--force``), and the new ``claims.json``, evidence files and result tables are compared byte for byte
with those in ``results/``.  Executed notebooks and figures are not compared: they carry dates and rendering
details by design.
"""

from __future__ import annotations

import difflib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from vsr_analysis import paths
from vsr_analysis.data.survey_spec import SurveySpec

#: The project's inputs: everything a run reads besides the installed package.
#: ``benchmarks/output`` holds the committed share-coverage benchmark the weighting chapter plots.
COPIED = (
    "data",
    "notebooks",
    "book",
    "benchmarks/output",
    "claims.yml",
    "runspec.yml",
    "_config.yml",
    "_toc.yml",
    "CITATION.cff",  # the Reproduce page's BibTeX is made from it at build time
    "README.md",  # and its measured times from the README's Performance section
)
#: Outputs and caches inside those folders; a copy regenerates them (confidential files are never copied).
#: Folders never copied: outputs, caches, confidential files, and ``vsr simulate``'s checkpoints (git-ignored, about
#: 100 MB beside a stored run after a refresh: copying them into every project copy made a warm checkout's test suite
#: minutes slower than a fresh clone's).
IGNORED_DIRS = {
    "executed",
    "generated",
    ".staging",
    "synthetic",
    "private",
    "__pycache__",
    paths.SIMULATION_CHECKPOINTS,
}
COMPARED_SUFFIXES = {".csv", ".json"}
NOT_COMPARED = {".runstate.json", ".manifest.json"}


def comparable_files(results: Path) -> dict[str, Path]:
    return {
        str(p.relative_to(results)): p
        for p in sorted(results.rglob("*"))
        if p.is_file() and p.suffix in COMPARED_SUFFIXES and p.name not in NOT_COMPARED
    }


def compare_results(published: Path, fresh: Path) -> list[str]:
    """Differences between two results folders, one line per file (with the first differing line)."""
    old, new = comparable_files(published), comparable_files(fresh)
    report = []
    for name in sorted(set(old) | set(new)):
        if name not in new:
            report.append(f"missing in the re-run: {name}")
        elif name not in old:
            report.append(f"only in the re-run: {name}")
        elif old[name].read_bytes() != new[name].read_bytes():
            texts = []
            for label, path in (("published", old[name]), ("re-run", new[name])):
                data = path.read_bytes()
                try:
                    texts.append(data.decode("utf-8").splitlines())
                except UnicodeDecodeError as exc:
                    texts.append(None)
                    report.append(
                        f"differs: {name}: the {label} file is not UTF-8 text "
                        f"(byte 0x{data[exc.start]:02X} at offset {exc.start})"
                    )
            if None in texts:
                continue
            a, b = texts
            diff = [
                ln
                for ln in difflib.unified_diff(a, b, lineterm="", n=0)
                if ln[:1] in "+-" and ln[:3] not in ("+++", "---")
            ]
            report.append(f"differs: {name}: {' | '.join(diff[:2])}")
    return report


def _ignore(directory: str, names: list[str]) -> set[str]:
    return {n for n in names if n in IGNORED_DIRS}


def copy_inputs(dest: Path, root: Path | None = None) -> Path:
    """Copy the project's inputs (not its outputs) into ``dest`` and return it.

    With ``VSR_PROJECT_ROOT=dest`` the copy is a complete project for the installed package: used by
    ``vsr verify``, the end-to-end tests and the benchmarks.
    """
    root = root or paths.project_root()
    dest.mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        src = root / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=_ignore)
        elif src.is_file():
            shutil.copy2(src, dest / name)
    return dest


def verify(
    jobs: int | None = None,
    survey: str | None = None,
    log=sys.stderr,
    report: Path | None = None,
    survey_map: str | None = None,
) -> list[str]:
    """Re-execute into a temporary copy and compare; with ``report``, also write the reproduction report there."""
    root = paths.project_root()
    published = paths.results_dir()
    run_info = published / "run.json"
    if not run_info.is_file():
        raise FileNotFoundError("no published results to verify: run `vsr run` (or `make book`) first")
    from vsr_analysis.build.publish import check_published

    check_published()  # a mixture of runs, or files not written by `vsr run`, is not what the code made
    info = json.loads(run_info.read_text(encoding="utf-8"))
    args = ["run", "--force"]
    parts = SurveySpec.parse(info["survey"])
    if parts.kind == "synthetic":
        args += ["--scenario", parts.scenario, "--seed", str(parts.seed)]
    else:
        if survey is None:
            raise ValueError("the published results come from a survey file; pass it with --survey PATH")
        args += ["--survey", str(Path(survey).resolve())]
        if survey_map is not None:
            args += ["--map", str(Path(survey_map).resolve())]
    if jobs:
        args += ["--jobs", str(jobs)]
    with tempfile.TemporaryDirectory(prefix="vsr-verify-") as tmp:
        copy = copy_inputs(Path(tmp) / "project", root)
        env = dict(os.environ, VSR_PROJECT_ROOT=str(copy))
        print(f"vsr verify: re-executing every notebook in {copy} …", file=log)
        proc = subprocess.run([sys.executable, "-m", "vsr_analysis.cli", *args], env=env)
        differences = (
            [f"the re-run failed (exit {proc.returncode})"]
            if proc.returncode != 0
            else compare_results(published, copy / "results")
        )
        if report is not None:
            from vsr_analysis.build.codecheck import write_report

            command = "vsr verify" + (f" --jobs {jobs}" if jobs else "")
            write_report(report, root, copy, rerun_status=proc.returncode, command=command, differences=differences)
            print(f"vsr verify: reproduction report written to {report}", file=log)
        return differences
