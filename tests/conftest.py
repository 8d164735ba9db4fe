"""Shared fixtures: a throw-away copy of the project, and the book built once per test session."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
COPIED = ("data", "notebooks", "book", "claims.yml", "runspec.yml", "_config.yml", "_toc.yml")
SKIP_DIRS = {"executed", "generated", ".staging", "synthetic", "private", "__pycache__"}


def copy_project(dest: Path) -> Path:
    """Copy the project's inputs (not its outputs) into ``dest``; the package itself is the installed one."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=lambda d, names: {n for n in names if n in SKIP_DIRS})
        else:
            shutil.copy2(src, dest / name)
    return dest


def vsr(*args: str, root: Path, check: bool = True, timeout: int = 1500) -> subprocess.CompletedProcess:
    """Run the ``vsr`` command against the project copy at ``root``."""
    env = dict(os.environ, VSR_PROJECT_ROOT=str(root))
    proc = subprocess.run([sys.executable, "-m", "vsr_analysis.cli", *args], env=env, capture_output=True,
                          text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"vsr {' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture(scope="session")
def built_book(tmp_path_factory) -> Path:
    """The whole pipeline on the embedded default, run once: `vsr run` then `vsr book` in a copy."""
    root = copy_project(tmp_path_factory.mktemp("book") / "project")
    vsr("run", "--jobs", "2", root=root)
    vsr("book", root=root)
    return root
