"""Provenance stamps: which code, which data and which software made an output.

Every executed notebook shows one (``notebook.start``) and the book's colophon page lists the same facts for
the whole run.  The stamp deliberately contains a date and versions, so it is kept *out of* the claims
ledger and result tables, which must be byte-identical between runs on the same inputs.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import importlib.metadata
import platform
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path

from vsr_analysis import paths

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


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """The sha256 hex digest of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


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


def input_files() -> list[Path]:
    """The committed data files every analysis reads: register tables, codebook, scenarios, specs."""
    files: list[Path] = []
    for folder, pattern in ((paths.register_dir(), "*.csv"), (paths.scenarios_dir(), "*.yml")):
        if folder.is_dir():
            files.extend(sorted(folder.glob(pattern)))
    for single in (paths.codebook_path(), paths.claims_spec_path(), paths.runspec_path()):
        if single.is_file():
            files.append(single)
    return files


def data_checksums(extra: list[Path] | None = None) -> dict[str, str]:
    """sha256 of each input file, keyed by its path relative to the project root."""
    root = paths.project_root()
    out = {}
    for path in [*input_files(), *(extra or [])]:
        path = Path(path)
        key = str(path.relative_to(root)) if path.is_relative_to(root) else path.name
        out[key] = sha256_file(path)
    return out


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
