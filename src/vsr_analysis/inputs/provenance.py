"""Provenance stamps: which code, which data and which software made an output.

Every executed notebook shows one (``notebook.start``) and the book's colophon page lists the same facts for
the whole run.  The stamp deliberately contains a date and versions, so it is kept *out of* the claims
ledger and result tables, which must be byte-identical between runs on the same inputs.
"""

from __future__ import annotations

import datetime as _dt
import importlib.metadata
import platform
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path

from vsr_analysis import paths
from vsr_analysis.data.checksums import data_checksums, input_files, sha256_file

__all__ = [
    "KEY_PACKAGES",
    "Stamp",
    "stamp",
    "git_state",
    "package_versions",
    "data_checksums",
    "input_files",
    "sha256_file",
]

#: Packages whose versions change numbers or rendering; reported in every stamp.
KEY_PACKAGES = (
    "vsr-analysis",
    "numpy",
    "scipy",
    "pandas",
    "statsmodels",
    "scikit-learn",
    "matplotlib",
    "seaborn",
    "papermill",
    "jupyter-book",
    "myst-nb",
    "sphinx",
)


def git_state(root: Path | None = None) -> dict[str, str | bool | None]:
    """Commit hash and whether the work tree has uncommitted changes (None outside a git checkout)."""
    root = root or paths.project_root()
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=20, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=20,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}
    return {"commit": commit, "dirty": bool(status.strip())}


def package_versions(names: tuple[str, ...] = KEY_PACKAGES) -> dict[str, str]:
    versions = {}
    for name in names:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


@dataclass
class Stamp:
    commit: str | None
    dirty: bool | None
    date: str
    python: str
    packages: dict[str, str]
    data: dict[str, str]
    parameters: dict[str, object] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)

    def commit_label(self) -> str:
        if self.commit is None:
            return "not a git checkout"
        return self.commit + (" (dirty: uncommitted changes)" if self.dirty else "")


def stamp(parameters: dict | None = None, extra_files: list[Path] | None = None) -> Stamp:
    git = git_state()
    return Stamp(
        commit=git["commit"],
        dirty=git["dirty"],
        date=_dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat(),
        python=platform.python_version(),
        packages=package_versions(),
        data=data_checksums(extra_files),
        parameters=dict(parameters or {}),
    )
