"""Build something expensive once per test run, however many pytest-xdist workers ask for it.

Under pytest-xdist each worker process has its own session, so a plain session-scoped fixture would build once
per worker.  :func:`shared_once` builds in a folder that all workers of one run share (beside their own
temporary folders), under a file lock: the first worker to ask builds, the others wait and read what it
recorded (paths, finished processes, plain values, or the error it failed with, which is never retried).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest


def _encode(value):
    if isinstance(value, Path):
        return {"path": str(value)}
    if isinstance(value, subprocess.CompletedProcess):
        return {"process": [value.args, value.returncode, value.stdout, value.stderr]}
    if isinstance(value, list):
        return {"list": [_encode(v) for v in value]}
    if isinstance(value, tuple):
        return {"tuple": [_encode(v) for v in value]}
    return {"value": value}


def _decode(doc):
    if "path" in doc:
        return Path(doc["path"])
    if "process" in doc:
        return subprocess.CompletedProcess(*doc["process"])
    if "list" in doc:
        return [_decode(v) for v in doc["list"]]
    if "tuple" in doc:
        return tuple(_decode(v) for v in doc["tuple"])
    return doc["value"]


def shared_once(tmp_path_factory, name: str, build):
    """``build(folder)`` run once per test run, whatever the number of xdist workers; its result shared.

    ``build`` gets an empty folder and returns paths, finished processes, JSON values, or lists and tuples of
    them.  Without xdist it simply runs in a new temporary folder.
    """
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return build(tmp_path_factory.mktemp(name))
    from filelock import FileLock

    shared = tmp_path_factory.getbasetemp().parent / f"shared-{name}"
    record = shared.with_name(shared.name + ".json")
    with FileLock(str(shared) + ".lock"):
        if not record.is_file():
            shared.mkdir()
            try:
                result = {"ok": _encode(build(shared))}
            except BaseException as exc:  # recorded, so that waiting workers fail the same way and never rebuild
                result = {"error": f"{type(exc).__name__}: {exc}"}
            record.write_text(json.dumps(result))
        result = json.loads(record.read_text())
    if "error" in result:
        pytest.fail(f"the shared build {name!r} failed (once, in one of the workers):\n{result['error']}")
    return _decode(result["ok"])
