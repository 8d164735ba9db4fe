"""Publish one run as a whole: the executed notebooks, result tables, generated pages and ledger together.

The three published folders (``book/executed``, ``results``, ``book/generated``) are replaced by their staged
versions in one transaction: every folder is first moved aside, then every staged folder moved in; if any step
fails, everything done so far is undone, so readers see either the old run or the new one, never a mixture.  A
journal (``book/.publish-journal.json``) written before the first move lets the next run roll back a
transaction that a crash interrupted.

Each published run is stamped with its run id: a ``.run-id`` file in each of the three folders, and a manifest
``results/.manifest.json`` holding the run id, the survey spec and the sha256 of every file the runner wrote.
``check_published`` compares the folders with the manifest; ``vsr book`` and ``vsr verify`` refuse a mixture,
and ``vsr run`` reruns parameter sets whose files changed outside it (for example by an interactive run).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import time
from pathlib import Path

from vsr_analysis import paths

STAMP = ".run-id"
MANIFEST = ".manifest.json"
JOURNAL = ".publish-journal.json"


class MixedOutputsError(RuntimeError):
    """The published folders do not belong to one run, or hold files the runner did not write."""


def published_folders() -> dict[str, Path]:
    """The three published folders, by key."""
    return {"executed": paths.executed_dir(), "results": paths.results_dir(), "generated": paths.generated_dir()}


def new_run_id() -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + secrets.token_hex(4)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _files(folder: Path) -> dict[str, Path]:
    if not folder.is_dir():
        return {}
    return {
        p.relative_to(folder).as_posix(): p
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name not in (STAMP, MANIFEST)
    }


def file_checksums(folders: dict[str, Path]) -> dict[str, str]:
    """``"<key>/<relative path>" -> sha256`` for every file in the folders (stamps and manifest excepted)."""
    return {f"{key}/{rel}": _sha256(p) for key, folder in folders.items() for rel, p in _files(folder).items()}


def stamp_stage(stage: Path, run_id: str, survey: str) -> None:
    """Write the run id into each staged folder and the manifest of every staged file into ``results``."""
    folders = {key: stage / key for key in published_folders()}
    for folder in folders.values():
        (folder / STAMP).write_text(run_id + "\n", encoding="utf-8")
    manifest = {"run_id": run_id, "survey": survey, "files": file_checksums(folders)}
    (stage / "results" / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def read_manifest() -> dict | None:
    try:
        data = json.loads((paths.results_dir() / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("files"), dict) else None


def untrusted_files() -> tuple[dict | None, list[str]]:
    """The manifest of the published run and every published file that differs from it.

    A file is untrusted when the runner did not write it (absent from the manifest), when its bytes changed
    since, or when a file the manifest lists is missing.  Without a manifest every published file is untrusted.
    """
    manifest = read_manifest()
    actual = file_checksums(published_folders())
    recorded = manifest["files"] if manifest else {}
    changed = sorted(
        {name for name, sha in actual.items() if recorded.get(name) != sha} | (set(recorded) - set(actual))
    )
    return manifest, changed


def check_published() -> str:
    """The run id of the published outputs; raises MixedOutputsError when they are not one run's, unchanged."""
    manifest, changed = untrusted_files()
    if manifest is None:
        raise MixedOutputsError(
            f"results/{MANIFEST} is missing or unreadable, so the published outputs cannot be shown to come "
            "from one run: run `vsr run` again"
        )
    run_id = manifest.get("run_id")
    stamps = {}
    for key, folder in published_folders().items():
        try:
            stamps[key] = (folder / STAMP).read_text(encoding="utf-8").strip()
        except OSError:
            stamps[key] = None
    mixed = {key: value for key, value in stamps.items() if value != run_id}
    problems = []
    if mixed:
        problems.append(
            "the published folders come from different runs: "
            + ", ".join(f"{paths_label(key)} from {value or 'no run'}" for key, value in sorted(mixed.items()))
            + f" (the ledger is from run {run_id})"
        )
    if changed:
        listed = ", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
        problems.append(f"files changed, added or removed since run {run_id} published them: {listed}")
    if problems:
        raise MixedOutputsError("; ".join(problems) + ". Run `vsr run` to publish one whole run again.")
    return run_id


def paths_label(key: str) -> str:
    folder = published_folders()[key]
    root = paths.project_root()
    return folder.relative_to(root).as_posix() if folder.is_relative_to(root) else str(folder)


def _journal_path() -> Path:
    return paths.book_dir() / JOURNAL


def _backup(target: Path) -> Path:
    return target.with_name(target.name + ".previous")


def publish(stage: Path) -> None:
    """Replace the three published folders by ``stage/<key>`` together, or change nothing.

    Raises OSError when a move fails (after undoing the moves already made).  Removing the replaced folders
    afterwards is best effort: what is left is removed by the next run.
    """
    targets = published_folders()
    journal = _journal_path()
    journal.parent.mkdir(parents=True, exist_ok=True)
    existed = {key: target.exists() for key, target in targets.items()}
    for target in targets.values():
        backup = _backup(target)
        if backup.exists():
            shutil.rmtree(backup)
    tmp = journal.with_suffix(".tmp")
    tmp.write_text(json.dumps({"existed": existed, "stage": str(stage)}), encoding="utf-8")
    os.replace(tmp, journal)
    done: list[tuple[Path, Path]] = []  # (moved from, moved to), to undo in reverse order
    try:
        for key, target in targets.items():
            target.parent.mkdir(parents=True, exist_ok=True)
            if existed[key]:
                os.replace(target, _backup(target))
                done.append((target, _backup(target)))
        for key, target in targets.items():
            os.replace(stage / key, target)
            done.append((stage / key, target))
    except OSError:
        undone = True
        for source, dest in reversed(done):
            try:
                os.replace(dest, source)
            except OSError:
                undone = False  # the journal stays: the next run finishes the roll-back
        if undone:
            journal.unlink(missing_ok=True)
        raise
    journal.unlink(missing_ok=True)  # the commit point: from here on the new run is the published one
    for target in targets.values():
        shutil.rmtree(_backup(target), ignore_errors=True)


def recover() -> None:
    """Undo a publish that a crash interrupted (journal present), and remove folders a finished publish left."""
    targets = published_folders()
    journal = _journal_path()
    if journal.is_file():
        try:
            existed = json.loads(journal.read_text(encoding="utf-8")).get("existed", {})
        except (OSError, ValueError):
            existed = {}
        for key, target in targets.items():
            backup = _backup(target)
            if backup.exists():
                if target.exists():
                    shutil.rmtree(target)
                os.replace(backup, target)
            elif not existed.get(key, True) and target.exists():
                shutil.rmtree(target)  # did not exist before the interrupted publish
        journal.unlink()
        return
    for target in targets.values():
        backup = _backup(target)
        if backup.exists():
            if target.exists():
                shutil.rmtree(backup, ignore_errors=True)
            else:
                os.replace(backup, target)  # moved aside by an older runner that had no journal
