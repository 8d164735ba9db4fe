"""``vsr book``: build the Jupyter Book from the executed notebooks, offline, warnings as errors."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from vsr_analysis import paths
from vsr_analysis.data.yaml_text import read_yaml


class BookError(RuntimeError):
    pass


STAMP_NAME = ".vsr-book-stamp"


def source_stamp() -> str:
    """A hash of every file the book is built from (path, size, modification time).

    Covers the configuration, the book's pages, the executed notebooks and generated pages, the result
    tables and figures the pages link to, the bibliography, and the package's Sphinx extension.  When it
    equals the stamp of the last successful build, Sphinx would find nothing to do, so ``vsr book`` does not
    even start it.
    """
    import hashlib

    root = paths.project_root()
    digest = hashlib.sha256()
    trees = [
        root / "_config.yml",
        root / "_toc.yml",
        paths.book_dir(),
        paths.results_dir(),
        Path(__file__).with_name("sphinx_offline.py"),
    ]
    for top in trees:
        files = [top] if top.is_file() else sorted(p for p in top.rglob("*") if p.is_file()) if top.is_dir() else []
        for f in files:
            if ".staging" in f.parts:
                continue
            st = f.stat()
            digest.update(
                f"{f.relative_to(root) if f.is_relative_to(root) else f.name}|{st.st_size}|{st.st_mtime_ns}\n".encode()
            )
    digest.update(theme_stamp().encode())  # the Sphinx extensions' code too
    return digest.hexdigest()


THEME_STAMP = ".vsr-theme-stamp"


def theme_stamp() -> str:
    """What Sphinx does not track itself: the code of the project's Sphinx extensions (``build/sphinx_*.py`` and
    the glossary they link from), the book's static files (CSS, scripts) and ``_config.yml``.

    Sphinx rereads a page when its source changed, not when an extension that transforms every page did, and with
    no page out of date it copies no changed stylesheet or script: when this stamp differs from the last
    successful build's, ``vsr book`` rebuilds every page (``--all``).  Contents, not times, are hashed."""
    import hashlib

    here = Path(__file__).parent
    files = sorted(here.glob("sphinx_*.py")) + [here / "glossary.py", paths.project_root() / "_config.yml"]
    static = paths.book_dir() / "_static"
    files += sorted(p for p in static.rglob("*") if p.is_file()) if static.is_dir() else []
    digest = hashlib.sha256()
    for f in files:
        if f.is_file():
            digest.update(f.name.encode() + b"\0" + hashlib.sha256(f.read_bytes()).digest())
    return digest.hexdigest()


def _jupyter_book() -> str:
    candidate = Path(sys.executable).with_name("jupyter-book")
    return str(candidate) if candidate.exists() else "jupyter-book"


PAGE_SOURCES = ".vsr-page-sources.json"


def _toc_files(root: Path) -> list[str]:

    toc = read_yaml(root / "_toc.yml") or {}
    files = [toc.get("root")]

    def walk(entries):
        for entry in entries or []:
            files.append(entry.get("file"))
            walk(entry.get("sections"))
            walk(entry.get("chapters"))

    walk(toc.get("chapters"))
    for part in toc.get("parts") or []:
        walk(part.get("chapters"))
    return [f for f in files if f]


def _run_pages() -> dict[str, Path]:
    """The run-made pages the book is built from (``book/executed``, ``book/generated`` entries of the TOC):
    docname -> source file."""
    from vsr_analysis.build.sphinx_run_ids import RUN_FOLDERS

    root = paths.project_root()
    pages = {}
    for docname in _toc_files(root):
        docname = str(docname).removesuffix(".md").removesuffix(".ipynb")
        if not docname.startswith(RUN_FOLDERS):
            continue
        for suffix in (".ipynb", ".md"):
            if (root / (docname + suffix)).is_file():
                pages[docname] = root / (docname + suffix)
                break
        else:
            pages[docname] = root / (docname + ".ipynb")  # missing: reported as not read from the run
    return pages


def _published_run() -> tuple[str, dict]:
    """The run id of the published outputs and their ``run.json``; BookError when they are not one whole run."""
    from vsr_analysis.build.publish import MixedOutputsError, check_published

    try:
        run_id = check_published()
    except MixedOutputsError as exc:
        raise BookError(f"the published outputs are not one whole run: {exc}") from None
    try:
        info = json.loads((paths.results_dir() / "run.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        info = {}
    return run_id, info


def _discard_build(reason: str) -> None:
    """Remove the HTML, Sphinx's cache and the page record, so that nothing of a refused build is served or
    reused; the next ``vsr book`` reads every page again."""
    build = paths.build_dir()
    for name in ("html", ".doctrees", "jupyter_execute"):
        shutil.rmtree(build / name, ignore_errors=True)
    for name in (STAMP_NAME, PAGE_SOURCES):
        (build / name).unlink(missing_ok=True)
    raise BookError(reason)


def check_pages_of_one_run(run_id: str, read_log: Path) -> list[str]:
    """Every run-made page of the built HTML was read from the file the published run ``run_id`` holds now.

    ``read_log`` is what ``sphinx_run_ids`` recorded in this build (one JSON line per page Sphinx read); pages
    Sphinx did not read again keep the hash recorded by an earlier checked build (``_build/.vsr-page-sources.json``).
    Returns the problems (empty when the pages are one run's); updates the record only when there are none.
    """
    from vsr_analysis.build.sphinx_run_ids import content_hash

    root = paths.project_root()
    record_file = paths.build_dir() / PAGE_SOURCES
    try:
        record = json.loads(record_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        record = {}
    if read_log.is_file():
        for line in read_log.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            record[entry["docname"]] = {"path": entry["path"], "sha": entry["sha"]}
    problems = []
    html = paths.build_dir() / "html"
    sources = _run_pages()
    for docname, source in sources.items():
        seen = record.get(docname)
        if seen is None:
            problems.append(f"{docname}: no record of what Sphinx read for it")
            continue
        try:
            now = content_hash(source.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            now = None
        if seen["path"] != source.relative_to(root).as_posix() or seen["sha"] != now:
            problems.append(f"{docname}: the page was built from a file that is not run {run_id}'s")
    # HTML of run-made pages whose source is gone (a chapter of an older run): never served beside this run
    for sub in ("book/executed", "book/generated"):
        for page in sorted((html / sub).rglob("*.html")) if (html / sub).is_dir() else []:
            docname = page.relative_to(html).with_suffix("").as_posix()
            if docname not in sources:
                page.unlink()
    if not problems:
        record = {k: v for k, v in record.items() if k in sources}
        record_file.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return problems


def build_book(*, rebuild_all: bool = False, quiet: bool = False) -> Path:
    """Build ``_build/html`` and return the path of its index page; raise BookError on any warning.

    Holds the run lock for the whole build (a ``vsr run`` cannot publish meanwhile, and a running one makes the
    build stop at once), checks that the published outputs are one whole run before and after Sphinx, and that
    every run-made page Sphinx read is that run's file (``check_pages_of_one_run``). A confidential run's leak
    scan is decided by the run the pages were built from, not by what ``run.json`` says afterwards.
    """
    from vsr_analysis.build.run_lock import RunLock, RunLocked

    root = paths.project_root()
    if not paths.claims_json_path().is_file() or not paths.executed_dir().is_dir():
        raise BookError("no executed notebooks or results/claims.json: run `vsr run` first (or `make book`)")
    try:
        lock = RunLock(holder="vsr book").acquire()
    except RunLocked as exc:
        raise BookError(f"{exc}. The book is built from one whole run only; nothing was built.") from None
    try:
        return _build_locked(root, rebuild_all=rebuild_all, quiet=quiet)
    finally:
        lock.release()


def _build_locked(root: Path, *, rebuild_all: bool, quiet: bool) -> Path:
    from vsr_analysis.build.sphinx_run_ids import LOG_VARIABLE

    run_id, info = _published_run()
    paths.build_dir().mkdir(parents=True, exist_ok=True)
    stamp_file = paths.build_dir() / STAMP_NAME
    stamp = source_stamp()
    index = paths.build_dir() / "html" / "index.html"
    if not rebuild_all and index.is_file() and stamp_file.is_file() and stamp_file.read_text() == stamp:
        # nothing the book is made from changed since the last successful (and checked) build
        print("vsr book: nothing changed since the last build; _build/html is up to date", file=sys.stderr)
        return index
    stamp_file.unlink(missing_ok=True)
    if not (paths.build_dir() / PAGE_SOURCES).is_file():
        rebuild_all = True  # no record of what earlier builds read: read every page again
    theme_file, theme = paths.build_dir() / THEME_STAMP, theme_stamp()
    if not theme_file.is_file() or theme_file.read_text() != theme:
        rebuild_all = True  # an extension, a stylesheet or a script changed: Sphinx would not redo the pages
    theme_file.unlink(missing_ok=True)
    read_log = paths.build_dir() / ".vsr-page-reads.log"
    read_log.unlink(missing_ok=True)
    cmd = [_jupyter_book(), "build", str(root), "-W", "-n", "--keep-going"]
    if rebuild_all:
        cmd.append("--all")
    env = dict(os.environ, VSR_PROJECT_ROOT=str(root), PYDEVD_DISABLE_FILE_VALIDATION="1")
    env[LOG_VARIABLE] = str(read_log)
    proc = subprocess.run(cmd, cwd=root, env=env, capture_output=quiet, text=True)
    if proc.returncode != 0:
        detail = ("\n" + (proc.stdout or "")[-4000:] + (proc.stderr or "")[-2000:]) if quiet else ""
        raise BookError(f"jupyter-book build failed (exit {proc.returncode}); warnings count as errors{detail}")
    if not index.is_file():
        raise BookError(f"the build finished but {index} is missing")
    try:
        run_after, _ = _published_run()
    except BookError as exc:
        _discard_build(f"the published outputs changed while the book was built ({exc}); the HTML was removed")
    if run_after != run_id:
        _discard_build(
            f"the published run changed while the book was built (run {run_id} before Sphinx, {run_after} "
            "after); the HTML was removed. Run `vsr book` again."
        )
    problems = check_pages_of_one_run(run_id, read_log)
    read_log.unlink(missing_ok=True)
    if problems:
        _discard_build(
            f"the book would mix runs: pages not read from run {run_id}'s files; the HTML was removed:\n"
            + "\n".join(f"  {p}" for p in problems[:20])
        )
    if info.get("confidential"):
        from vsr_analysis.build.disclosure import scan_published

        leaks = scan_published(
            paths.build_dir() / "html",
            paths.executed_dir(),
            paths.results_dir(),
            paths.generated_dir(),
            survey=info.get("survey"),
        )
        if leaks:
            shutil.rmtree(paths.build_dir() / "html", ignore_errors=True)
            raise BookError(
                "disclosure scan found possible leaks of confidential survey data; the HTML was "
                "removed:\n" + "\n".join(f"  {leak}" for leak in leaks)
            )
    theme_file.write_text(theme)
    stamp_file.write_text(stamp)
    return index


def stored_run_warnings(root: Path | None = None) -> list[str]:
    """One warning per stored simulation run a page shows (a parameter set with a ``full_run`` folder) that lacks
    claims of ``claims.yml``, with the command that refreshes it."""
    from vsr_analysis.claims.stored_runs import claims_lacking, read_stored_run, refresh_command
    from vsr_analysis.inputs.runspec import RunSpecError, load_runspec, template_parameters

    root = root or paths.project_root()
    warnings, seen = [], set()
    try:
        parameter_sets = load_runspec().parameter_sets
    except RunSpecError:
        return []  # no run spec: the build itself says what is missing (or that a run holds the lock)
    for pset in parameter_sets:
        folder = {**template_parameters(pset.template), **pset.parameters}.get("full_run")
        if not folder or folder in seen:
            continue
        seen.add(folder)
        run = read_stored_run(root / folder)
        lacking = claims_lacking(run) if run is not None else []
        if lacking:
            warnings.append(
                f"the stored run in {folder}/ (page {pset.name}) has no results for claim(s) {', '.join(lacking)} "
                f"of claims.yml; the page says so. Refresh it: {refresh_command(run, folder)} && vsr run"
            )
    return warnings
