"""`vsr book` builds one whole run or nothing: it holds the run lock, checks the run id before and after Sphinx,
checks that every run-made page Sphinx read is the published run's file, and decides the leak scan by the run it
built.

A small book (the project's Sphinx configuration, an index page, one executed notebook and one generated page)
is published by the runner's own publishing functions as run A, then the attacks of issue 29 are tried on it: a
run published while Sphinx reads, one page swapped between the checks and put back, and a build started while a
run holds the lock.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest

from vsr_analysis.build import book, publish
from vsr_analysis.build.run_lock import RunLock, RunLocked

ROOT = Path(__file__).resolve().parents[1]

TOC = """\
format: jb-book
root: book/index
chapters:
  - file: book/executed/chapter
  - file: book/generated/claims
"""


def _notebook(text: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell(f"# A chapter\n\n{text}")]
    return nb


def _publish_run(root: Path, label: str, *, confidential: bool = False) -> str:
    """Stage and publish a run whose pages say ``label`` (with the runner's stamp and publish)."""
    stage = root / "book" / ".staging" / f"run-{label}"
    for key in ("executed", "results", "generated"):
        (stage / key).mkdir(parents=True)
    nbformat.write(_notebook(f"Result of run {label}."), stage / "executed" / "chapter.ipynb")
    (stage / "generated" / "claims.md").write_text(f"# Claims\n\nLedger of run {label}.\n", encoding="utf-8")
    (stage / "results" / "claims.json").write_text("[]\n", encoding="utf-8")
    survey = f"file:planted-{label}.csv:{'0' * 64}" if confidential else f"synthetic:vsr-narrative:{label}"
    (stage / "results" / "run.json").write_text(
        json.dumps({"survey": survey, "kind": "file" if confidential else "synthetic", "confidential": confidential}),
        encoding="utf-8",
    )
    run_id = publish.new_run_id() + label
    publish.stamp_stage(stage, run_id, survey)
    publish.publish(stage)
    shutil.rmtree(stage.parent, ignore_errors=True)
    return run_id


@pytest.fixture
def small_book(tmp_path, monkeypatch) -> Path:
    root = tmp_path / "project"
    (root / "book").mkdir(parents=True)
    # the project's configuration without the launch buttons (they map pages to the run spec's templates)
    config = "".join(
        line for line in (ROOT / "_config.yml").read_text().splitlines(True) if "build.sphinx_launch" not in line
    )
    assert "vsr_analysis.build.sphinx_run_ids" in config
    (root / "_config.yml").write_text(config, encoding="utf-8")
    shutil.copy(ROOT / "book" / "references.bib", root / "book" / "references.bib")
    shutil.copytree(ROOT / "book" / "_static", root / "book" / "_static")
    (root / "_toc.yml").write_text(TOC, encoding="utf-8")
    (root / "data").mkdir()
    shutil.copy(ROOT / "data" / "codebook.yml", root / "data" / "codebook.yml")  # the CLI reads it at start
    (root / "book" / "index.md").write_text("# A small book\n\nBuilt by `vsr book` in a test.\n", encoding="utf-8")
    monkeypatch.setenv("VSR_PROJECT_ROOT", str(root))
    _publish_run(root, "A")
    return root


def _html(root: Path) -> str:
    return (root / "_build" / "html" / "book" / "executed" / "chapter.html").read_text(encoding="utf-8")


def _during_sphinx(monkeypatch, action) -> None:
    """Run ``action()`` while Sphinx is building (between vsr book's two checks)."""
    real_run = subprocess.run

    def run(cmd, *args, **kwargs):
        if cmd and str(cmd[0]).endswith("jupyter-book"):
            action()
        return real_run(cmd, *args, **kwargs)

    monkeypatch.setattr(book.subprocess, "run", run)


@pytest.mark.slow
def test_one_run_builds_and_is_recorded(small_book):
    index = book.build_book(quiet=True)
    assert index.is_file() and "Result of run A." in _html(small_book)
    record = json.loads((small_book / "_build" / book.PAGE_SOURCES).read_text())
    assert set(record) == {"book/executed/chapter", "book/generated/claims"}
    # a new run is built whole, every page from the new run
    _publish_run(small_book, "B")
    book.build_book(quiet=True)
    assert "Result of run B." in _html(small_book) and "run A" not in _html(small_book)


@pytest.mark.slow
def test_a_run_published_while_sphinx_reads_is_refused(small_book, monkeypatch):
    # the attack of issue 29: `vsr run` publishes while the book is being built (the lock bypassed here)
    _during_sphinx(monkeypatch, lambda: _publish_run(small_book, "B", confidential=True))
    with pytest.raises(book.BookError, match="published run changed while the book was built"):
        book.build_book(quiet=True)
    assert not (small_book / "_build" / "html").exists()
    assert not (small_book / "_build" / book.STAMP_NAME).exists()


@pytest.mark.slow
def test_one_page_swapped_between_the_checks_is_refused(small_book, monkeypatch):
    """A page replaced by another run's file after the first check and put back before the second: the run ids
    agree, the published files match the manifest again, but Sphinx read the other file."""
    page = small_book / "book" / "executed" / "chapter.ipynb"
    original = page.read_bytes()
    other = nbformat.writes(_notebook("Result of run B, a confidential run."))
    real_run = subprocess.run

    def run(cmd, *args, **kwargs):
        if cmd and str(cmd[0]).endswith("jupyter-book"):
            page.write_text(other, encoding="utf-8")
            try:
                return real_run(cmd, *args, **kwargs)
            finally:
                page.write_bytes(original)
        return real_run(cmd, *args, **kwargs)

    monkeypatch.setattr(book.subprocess, "run", run)
    with pytest.raises(book.BookError, match="book/executed/chapter: the page was built from a file that is not run"):
        book.build_book(quiet=True)
    assert not (small_book / "_build" / "html").exists()
    # the next build reads every page again and publishes run A whole
    monkeypatch.undo()
    monkeypatch.setenv("VSR_PROJECT_ROOT", str(small_book))  # undone at teardown
    book.build_book(quiet=True)
    assert "Result of run A." in _html(small_book) and "run B" not in _html(small_book)


def test_book_refuses_while_a_run_holds_the_lock(small_book):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import sys, time
                from pathlib import Path
                from vsr_analysis.build.run_lock import RunLock
                lock = RunLock(Path({str(small_book)!r})).acquire()
                print("locked", flush=True)
                time.sleep(60)
                """
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        env = dict(os.environ, VSR_PROJECT_ROOT=str(small_book))
        proc = subprocess.run(
            [sys.executable, "-m", "vsr_analysis.cli", "book"], env=env, capture_output=True, text=True, timeout=120
        )
        assert proc.returncode == 1
        assert "another `vsr run` is already running" in proc.stderr and "nothing was built" in proc.stderr
        assert not (small_book / "_build" / "html").exists()
    finally:
        holder.kill()
        holder.wait()


def test_a_run_cannot_start_while_the_book_holds_the_lock(small_book, monkeypatch):
    seen = {}

    def action():
        with pytest.raises(RunLocked, match="another `vsr book` is already running") as exc:
            RunLock().acquire()
        seen["message"] = str(exc.value)
        raise book.BookError("stopped after the check")

    _during_sphinx(monkeypatch, action)
    with pytest.raises(book.BookError, match="stopped after the check"):
        book.build_book(quiet=True)
    assert "message" in seen
    RunLock().acquire().release()  # released when the build ends, even by an error


def test_leak_scan_is_decided_by_the_run_checked_before_sphinx(small_book, monkeypatch):
    run_id = _publish_run(small_book, "C", confidential=True)
    calls = []

    def fake_scan(*args, survey=None):
        calls.append(survey)
        return []

    monkeypatch.setattr("vsr_analysis.build.disclosure.scan_published", fake_scan)
    monkeypatch.setattr(book.subprocess, "run", lambda *a, **k: _fake_sphinx(small_book))
    book.build_book(quiet=True)
    assert calls == [json.loads((small_book / "results" / "run.json").read_text())["survey"]]
    assert publish.check_published() == run_id


def _fake_sphinx(root: Path) -> subprocess.CompletedProcess:
    """Stand-in for jupyter-book: writes the HTML and the page log as the extension would."""
    from vsr_analysis.build.sphinx_run_ids import LOG_VARIABLE, content_hash  # noqa: F401

    html = root / "_build" / "html"
    (html / "book" / "executed").mkdir(parents=True, exist_ok=True)
    (html / "index.html").write_text("<html></html>")
    log = root / "_build" / ".vsr-page-reads.log"
    with log.open("a", encoding="utf-8") as fh:
        for docname, source in book._run_pages().items():
            sha = content_hash(source.read_text(encoding="utf-8"))
            path = source.relative_to(root).as_posix()
            fh.write(json.dumps({"docname": docname, "path": path, "sha": sha}) + "\n")
    return subprocess.CompletedProcess([], 0, "", "")


def test_theme_stamp_follows_static_files_and_extension_code(small_book):
    """What Sphinx does not track (a stylesheet with no page changed, an extension's code) is in vsr book's stamp."""
    before = book.theme_stamp()
    css = next((small_book / "book" / "_static").glob("*.css"))
    css.write_text(css.read_text() + "\n/* changed */\n")
    after_css = book.theme_stamp()
    assert after_css != before and book.source_stamp() != before
    mtime = css.stat().st_mtime_ns
    css.write_text(css.read_text())  # the same bytes written again: the stamp hashes contents, not times
    assert book.theme_stamp() == after_css and css.stat().st_mtime_ns >= mtime
    extensions = {p.name for p in Path(book.__file__).parent.glob("sphinx_*.py")}
    assert {"sphinx_glossary.py", "sphinx_offline.py"} <= extensions  # the files the stamp reads


@pytest.mark.slow
def test_a_changed_stylesheet_rebuilds_every_page_and_is_copied(small_book, monkeypatch):
    book.build_book(quiet=True)
    css = next((small_book / "book" / "_static").glob("*.css"))
    css.write_text(css.read_text() + "\n.vsr-test-marker { color: red; }\n")
    commands = []
    real_run = subprocess.run

    def run(cmd, *args, **kwargs):
        if cmd and str(cmd[0]).endswith("jupyter-book"):
            commands.append(list(cmd))
        return real_run(cmd, *args, **kwargs)

    monkeypatch.setattr(book.subprocess, "run", run)
    book.build_book(quiet=True)
    assert commands and "--all" in commands[-1]
    assert ".vsr-test-marker" in (small_book / "_build" / "html" / "_static" / css.name).read_text()
    commands.clear()
    book.build_book(quiet=True)  # nothing changed since: Sphinx is not even started
    assert commands == []
