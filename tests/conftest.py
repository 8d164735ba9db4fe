# ruff: noqa: E402  (the BLAS thread count below must be set before numpy is imported)
"""Shared fixtures: a throw-away copy of the project, and the book built once per test session."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

# One BLAS thread per process, as `vsr run` gives each kernel (build/runner.py): two test workers, each with
# notebooks of its own, already use both cores, and OpenBLAS threads that spin-wait for a busy core waste CPU.
# Set before numpy is imported here; the kernels and commands the tests start inherit it.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import jupytext
import nbformat
import pandas as pd
import pytest
import yaml

from shared_build import shared_once
from vsr_analysis.build.verify import copy_inputs

ROOT = Path(__file__).resolve().parents[1]


#: Replicates of the power page in a test's confidential build. A user's file never matches the stored power
#: table, so the page simulates its design anew (40 replicates by default: about two CPU minutes); the tests that
#: build whole confidential runs check that every chapter finishes and that nothing leaks, which the same engine
#: shows at a few replicates.
TEST_POWER_REPS = 2  # 2 not 4: about 7 CPU s less in each such build (issue 24)


def copy_project(dest: Path, power_reps: int | None = None) -> Path:
    """Copy the project's inputs (not its outputs) into ``dest``; the package itself is the installed one. With
    ``power_reps``, the copy's power page simulates that many replicates (its run spec says so)."""
    root = copy_inputs(dest, ROOT)
    if power_reps is not None:
        set_power_reps(root, power_reps)
    return root


def set_power_reps(root: Path, reps: int) -> None:
    """The power page of the project at ``root`` simulates ``reps`` replicates (its run spec says so): a page that
    cannot use the stored power table (a confidential design, claims.yml changed) then takes seconds, not minutes."""
    spec = yaml.safe_load((root / "runspec.yml").read_text())
    for notebook in spec["notebooks"]:
        for pset in notebook.get("parameter_sets", []):
            if pset["name"] == "power-design":
                pset.setdefault("parameters", {})["reps"] = int(reps)
    (root / "runspec.yml").write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True))


def notebook_words(path: Path) -> str:
    """What a reader of an executed notebook reads: every cell's text and every Markdown output, with all
    whitespace made single spaces (so a sentence wrapped over lines is found whole)."""
    texts = []
    for cell in nbformat.read(path, as_version=4).cells:
        texts.append(cell.source)
        texts += ["".join(out.get("data", {}).get("text/markdown", "")) for out in cell.get("outputs", [])]
    return " ".join(" ".join(texts).split())


def toc_files(root: Path = ROOT) -> list[str]:
    """Every file entry of ``_toc.yml`` (root first, then parts, chapters and sections in order)."""
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections"))
            walk(entry.get("chapters"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    return files


def vsr(*args: str, root: Path, check: bool = True, timeout: int = 1500) -> subprocess.CompletedProcess:
    """Run the ``vsr`` command against the project copy at ``root``."""
    env = dict(os.environ, VSR_PROJECT_ROOT=str(root))
    proc = subprocess.run(
        [sys.executable, "-m", "vsr_analysis.cli", *args], env=env, capture_output=True, text=True, timeout=timeout
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"vsr {' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


# --------------------------------------------------------------------------------- one build per test session
# The whole-pipeline fixtures below are session-scoped and built through ``shared_once`` (tests/shared_build.py):
# once per test run, however many pytest-xdist workers ask; the others wait for it and reuse it.  Tests only
# read these builds, so they may run side by side on any worker: a test that changes a build (a second
# ``vsr book``, a ``vsr verify`` report, a planted leak) works on a copy of it (``copy_build``).


def copy_build(root: Path, dest: Path) -> Path:
    """A copy of a built project (outputs, Sphinx cache and modification times kept) for a test that changes it."""
    return Path(shutil.copytree(root, dest, symlinks=True))


@pytest.fixture(scope="session")
def built_book(tmp_path_factory) -> Path:
    """The whole pipeline on the embedded default, run once: `vsr run` then `vsr book` in a copy.

    ``VSR_TEST_BUILT_BOOK=/path/to/project`` reuses a project already built there (say the checkout after
    `make book`) instead, for rerunning the browser tests after a change to the book's CSS or JavaScript and a
    `vsr book`; the tests only read it."""
    reuse = os.environ.get("VSR_TEST_BUILT_BOOK")
    if reuse:
        return Path(reuse).resolve()

    def build(folder: Path) -> Path:
        root = copy_project(folder / "project")
        vsr("run", "--jobs", "2", root=root)
        vsr("book", root=root)
        return root

    return shared_once(tmp_path_factory, "book", build)


@pytest.fixture(scope="session")
def verified(built_book, tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    """`vsr verify --report` on the built book, run once for every test that reads it (a whole cold re-run).

    Returns the finished process and the path of the reviewer's report it wrote.
    """

    def build(folder: Path) -> tuple[subprocess.CompletedProcess, Path]:
        root = copy_build(built_book, folder / "project")  # verify's lock and files never touch the shared build
        shutil.copy(ROOT / "codecheck.yml", root / "codecheck.yml")  # as in a clone of the repository
        report = folder / "reproduction.md"
        proc = vsr("verify", "--jobs", "2", "--report", str(report), root=root, check=False)
        return proc, report

    return shared_once(tmp_path_factory, "verify", build)


#: The stage only the planted respondent (Oslo) is at in ``planted_build``.
PLANTED_TOP = 5


def _stub_failed_templates(root: Path, failed: list[str]) -> None:
    """Replace, in a test copy only, the templates of ``failed`` parameter sets by a stub page (both pair files)."""
    spec = yaml.safe_load((root / "runspec.yml").read_text())
    for entry in spec["notebooks"]:
        names = [p["name"] for p in entry["parameter_sets"]]
        if not set(names) & set(failed):
            continue
        params = {"survey": None, "param_set": None, "results_dir": None}
        for pset in entry["parameter_sets"]:
            params.update(dict.fromkeys(pset.get("parameters") or {}))
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        cell = nbformat.v4.new_code_cell("\n".join(f"{k} = None" for k in params))
        cell.metadata["tags"] = ["parameters"]
        title = nbformat.v4.new_markdown_cell(
            "# Withheld\n\nThis chapter failed on the planted file; in this test copy it is a stub."
        )
        nb.cells = [title, cell]
        template = root / entry["template"]
        nbformat.write(nb, template)
        # the runner refuses a template whose text pair differs: write the pair from the same cells
        jupytext.write(nb, template.with_suffix(".py"), fmt="py:percent")


@pytest.fixture(scope="session")
def planted_build(tmp_path_factory):
    """The whole pipeline on a confidential file in which Oslo (0301) alone is at the top stage.

    A synthetic replica handed in with ``--survey`` is treated as a real, confidential file.  Returns
    ``(root, first run, chapters refused by a disclosure guard, chapters failed, book build)``; the file is
    ``root.parent / "private" / "planted.csv"``.  Shared by the planted-respondent and confidentiality tests,
    and by two of the valid-file tests (tests/test_valid_files_build.py): to save a whole confidential run
    (issue 24) the file is also one of issue 29's unusual valid files, without the respondents of Viken (the
    largest county; Oslo is not in it) and with every municipality a network member (``unusual_valid_file``).
    """
    return shared_once(tmp_path_factory, "planted", _planted_build)


#: Viken, the largest county: the planted file has none of its respondents.
DROPPED_COUNTY = "30"


def unusual_valid_file(base: pd.DataFrame) -> pd.DataFrame:
    """Issue 29's first two unusual valid files in one: no respondent from Viken (raking cannot meet every margin;
    the county fixed effects take the largest county with respondents as reference) and every municipality a
    network member (F5's term does not vary).  The two touch different parts of the analysis."""
    from vsr_analysis.data.register import load_register

    register = load_register()
    dropped = set(register.loc[register["county_code"] == DROPPED_COUNTY, "knr"])
    survey = base[~base["knr"].isin(dropped)].copy()
    survey.loc[survey["unit_type"] == "municipality", "network_member"] = "1"
    return survey


def _planted_build(folder: Path):
    root = copy_project(folder / "project", power_reps=TEST_POWER_REPS)
    base = root.parent / "replica.csv"
    vsr("synth", "--scenario", "vsr-narrative", "--seed", "5", "--out", str(base), root=root)
    survey = unusual_valid_file(pd.read_csv(base, dtype=str, keep_default_na=False))
    stage = survey["maturity_stage"]
    survey.loc[stage == str(PLANTED_TOP), "maturity_stage"] = str(PLANTED_TOP - 1)
    oslo = survey["knr"] == "0301"
    assert oslo.any(), "Oslo must be a respondent of the replica for this test"
    survey.loc[oslo, "maturity_stage"] = str(PLANTED_TOP)
    survey.loc[oslo, "measures_progress"] = "1"
    secret = root.parent / "private" / "planted.csv"
    secret.parent.mkdir()
    survey.to_csv(secret, index=False)
    full = vsr("run", "--jobs", "2", "--survey", str(secret), root=root, check=False)
    refused = sorted(set(re.findall(r"\[([\w-]+)\] failed at .*DisclosureError", full.stderr)))
    failed = sorted(set(re.findall(r"\[([\w-]+)\] failed at", full.stderr)))
    if full.returncode != 0:
        # Publish every chapter that passes the guards, so that their artefacts can be checked: a failed
        # chapter's template is replaced, in this copy only, by a stub page that shows nothing.
        _stub_failed_templates(root, failed)
        vsr("run", "--jobs", "2", "--survey", str(secret), root=root)
    book = vsr("book", root=root, check=False)
    return root, full, refused, failed, book
