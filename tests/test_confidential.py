"""A real survey file is treated as confidential from validation to the published HTML (issue 7).

Uses the session fixture ``planted_build`` (tests/conftest.py): the whole pipeline on a synthetic replica handed
in with ``--survey`` (so the run is confidential), the same build the planted-respondent tests read.
"""

from __future__ import annotations

import hashlib
import json
import shutil

import nbformat
import pytest

from conftest import vsr
from vsr_analysis.build.disclosure import scan_build, scan_published

pytestmark = pytest.mark.slow


def test_build_passes_the_leak_scan(planted_build):
    root, _, _, _, book = planted_build
    assert book.returncode == 0, book.stderr[-3000:]
    assert (root / "_build/html/index.html").is_file()


def test_ledger_and_notebooks_carry_only_name_and_sha256(planted_build):
    root = planted_build[0]
    secret = root.parent / "private" / "planted.csv"
    ledger = json.loads((root / "results/claims.json").read_text())
    assert all(e["data"]["survey"].startswith(f"file:{secret.name}:") for e in ledger)
    for notebook in (root / "book/executed").glob("*.ipynb"):
        text = notebook.read_text()
        assert str(secret.parent) not in text, f"{notebook.name} contains the file's folder"


def test_no_municipality_is_named_beside_answers_and_no_small_cells(planted_build, monkeypatch):
    root = planted_build[0]
    assert scan_build(root / "_build/html", root / "book/executed", root / "results") == []
    # nor a number that is one respondent's register value (an exact population), anywhere it is published
    monkeypatch.setenv("VSR_PROJECT_ROOT", str(root))
    assert scan_published(root / "_build/html", root / "book/executed", root / "results", root / "book/generated") == []


def test_a_leak_fails_the_build_and_removes_the_html(planted_build, tmp_path):
    # on a copy: the shared build stays as it is for the other tests
    root = shutil.copytree(planted_build[0], tmp_path / "project", symlinks=True)
    # plant a unit-level row in an executed notebook, as a careless analysis cell would print it
    target = root / "book/executed/maturity-variation.ipynb"
    nb = nbformat.read(target, as_version=4)
    cell = nbformat.v4.new_code_cell("print(row)")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="4601 Bergen maturity_stage=5\n")]
    nb.cells.append(cell)
    nbformat.write(nb, target)
    # as if the run itself had written it: record the new bytes in the manifest (otherwise `vsr book` refuses
    # the tampered notebook before it gets to the leak scan)
    manifest_path = root / "results/.manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["files"][f"executed/{target.name}"] = hashlib.sha256(target.read_bytes()).hexdigest()
    manifest_path.write_text(json.dumps(manifest))
    proc = vsr("book", root=root, check=False)
    assert proc.returncode == 1
    assert "Bergen" in proc.stderr and "maturity-variation" in proc.stderr
    assert not (root / "_build/html").exists()
