"""Start-up of the processes a run starts (``vsr``, papermill, each kernel): what the package leaves out."""

from __future__ import annotations

import json
import subprocess
import sys

from vsr_analysis import paths
from vsr_analysis.build import runner
from vsr_analysis.inputs.runspec import load_runspec
from vsr_analysis.loading import resolve_source


def _fresh(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)


def test_the_package_keeps_the_iri_grammars_out_and_nbformat_still_validates():
    template = paths.notebooks_dir() / "policy_coherence.ipynb"
    code = (
        "import sys, json, vsr_analysis, nbformat\n"
        f"nb = nbformat.read({str(template)!r}, as_version=4)\n"
        "nbformat.validate(nb)\n"
        "bad = nbformat.from_dict(dict(nb, cells=[{'cell_type': 'code', 'source': 1}]))\n"
        "try:\n    nbformat.validate(bad); caught = False\nexcept nbformat.ValidationError:\n    caught = True\n"
        "print(json.dumps([sys.modules.get('rfc3987_syntax', 'absent') is None, caught, len(nb.cells)]))\n"
    )
    skipped, caught, cells = json.loads(_fresh(code).stdout)
    assert skipped, "importing vsr_analysis must keep rfc3987_syntax (1 CPU s of grammars) out of the process"
    assert caught, "nbformat must still reject an invalid notebook"
    assert cells > 3


def test_a_process_that_imported_the_grammars_first_keeps_them():
    out = _fresh("import rfc3987_syntax, sys, vsr_analysis; print(sys.modules['rfc3987_syntax'] is not None)")
    assert out.stdout.strip() == "True"


def test_vsr_run_starts_papermill_through_the_lean_entry_point(tmp_path, monkeypatch):
    seen = []

    class Stop(Exception):
        pass

    class Children(runner._Children):
        def start(self, cmd, env):
            seen.append(cmd)
            raise Stop

    pset = load_runspec().parameter_sets[0]
    source = resolve_source(survey=None, scenario="vsr-narrative", seed=2021)
    try:
        runner.execute_one(pset, source, tmp_path, 60, paths.project_root(), Children("t"))
    except Stop:
        pass
    assert seen and seen[0][1:3] == ["-m", "vsr_analysis.build.papermill_child"]
    # the entry point is papermill's own command line
    help_text = subprocess.run([sys.executable, *seen[0][1:3], "--help"], capture_output=True, text=True, check=True)
    assert "--execution-timeout" in help_text.stdout and "--parameters_file" in help_text.stdout
