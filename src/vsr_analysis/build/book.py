"""``vsr book``: build the Jupyter Book from the executed notebooks, offline, warnings as errors."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from vsr_analysis import paths


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
    return digest.hexdigest()


def _jupyter_book() -> str:
    candidate = Path(sys.executable).with_name("jupyter-book")
    return str(candidate) if candidate.exists() else "jupyter-book"


def build_book(*, rebuild_all: bool = False, quiet: bool = False) -> Path:
    """Build ``_build/html`` and return the path of its index page; raise BookError on any warning."""
    root = paths.project_root()
    if not paths.claims_json_path().is_file() or not paths.executed_dir().is_dir():
        raise BookError("no executed notebooks or results/claims.json: run `vsr run` first (or `make book`)")
    from vsr_analysis.build.publish import MixedOutputsError, check_published

    try:
        check_published()
    except MixedOutputsError as exc:
        raise BookError(f"the published outputs are not one whole run: {exc}") from None
    stamp_file = paths.build_dir() / STAMP_NAME
    stamp = source_stamp()
    index = paths.build_dir() / "html" / "index.html"
    if not rebuild_all and index.is_file() and stamp_file.is_file() and stamp_file.read_text() == stamp:
        # nothing the book is made from changed since the last successful build
        print("vsr book: nothing changed since the last build; _build/html is up to date", file=sys.stderr)
        return index
    stamp_file.unlink(missing_ok=True)
    cmd = [_jupyter_book(), "build", str(root), "-W", "-n", "--keep-going"]
    if rebuild_all:
        cmd.append("--all")
    env = dict(os.environ, VSR_PROJECT_ROOT=str(root), PYDEVD_DISABLE_FILE_VALIDATION="1")
    proc = subprocess.run(cmd, cwd=root, env=env, capture_output=quiet, text=True)
    if proc.returncode != 0:
        detail = ("\n" + (proc.stdout or "")[-4000:] + (proc.stderr or "")[-2000:]) if quiet else ""
        raise BookError(f"jupyter-book build failed (exit {proc.returncode}); warnings count as errors{detail}")
    if not index.is_file():
        raise BookError(f"the build finished but {index} is missing")
    run_info = paths.results_dir() / "run.json"
    if run_info.is_file() and json.loads(run_info.read_text()).get("confidential"):
        from vsr_analysis.build.disclosure import scan_published

        leaks = scan_published(
            paths.build_dir() / "html", paths.executed_dir(), paths.results_dir(), paths.generated_dir()
        )
        if leaks:
            shutil.rmtree(paths.build_dir() / "html", ignore_errors=True)
            raise BookError(
                "disclosure scan found possible leaks of confidential survey data; the HTML was "
                "removed:\n" + "\n".join(f"  {leak}" for leak in leaks)
            )
    stamp_file.write_text(stamp)
    return index


def cli_book(args) -> int:
    try:
        index = build_book(rebuild_all=getattr(args, "all", False))
    except BookError as exc:
        print(f"vsr book: error: {exc}", file=sys.stderr)
        return 1
    print(f"vsr book: open {index.relative_to(paths.project_root())}", file=sys.stderr)
    return 0
