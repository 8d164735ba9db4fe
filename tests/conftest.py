"""Shared fixtures: a throw-away copy of the project, and the book built once per test session."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from vsr_analysis.build.verify import copy_inputs

ROOT = Path(__file__).resolve().parents[1]


def copy_project(dest: Path) -> Path:
    """Copy the project's inputs (not its outputs) into ``dest``; the package itself is the installed one."""
    return copy_inputs(dest, ROOT)


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


@pytest.fixture(scope="session")
def built_book(tmp_path_factory) -> Path:
    """The whole pipeline on the embedded default, run once: `vsr run` then `vsr book` in a copy."""
    root = copy_project(tmp_path_factory.mktemp("book") / "project")
    vsr("run", "--jobs", "2", root=root)
    vsr("book", root=root)
    return root
