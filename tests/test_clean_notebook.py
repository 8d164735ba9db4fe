"""Nothing confidential saved by hand: saving an executed template through a real Jupyter server (the config
`make lab` uses) leaves the tracked template unchanged; the git filter cleans what git stages."""

from __future__ import annotations

import copy
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from vsr_analysis.build.clean_notebook import clean_text

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = "maturity_variation"
SECRET = "CONFIDENTIAL-4601-answer"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_dict(text: str) -> dict:
    return json.loads(json.dumps(nbformat.reads(text, as_version=4)))


def _executed(nb: dict) -> dict:
    """The template as JupyterLab holds it after a run by hand: outputs, counts, this machine's kernel metadata."""
    nb = copy.deepcopy(nb)  # sources as strings, as a front end sends them (not the file's lists of lines)
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            cell["execution_count"] = i + 1
            cell["outputs"] = [
                {"output_type": "stream", "name": "stdout", "text": f"{SECRET} row {i}\n"},
                {
                    "output_type": "execute_result",
                    "execution_count": i + 1,
                    "data": {"text/plain": f"'{SECRET}'"},
                    "metadata": {},
                },
            ]
            cell["metadata"]["execution"] = {"iopub.execute_input": "2026-01-01T10:00:00.000Z"}
            cell["metadata"]["scrolled"] = True
    nb["metadata"]["kernelspec"] = {"display_name": "Python 3 (vsr-analysis)", "language": "python", "name": "python3"}
    nb["metadata"]["language_info"] = {
        "codemirror_mode": {"name": "ipython", "version": 3},
        "file_extension": ".py",
        "mimetype": "text/x-python",
        "name": "python",
        "version": "3.11.9",
    }
    nb["metadata"]["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    return nb


@pytest.fixture
def server(tmp_path):
    """JupyterLab's server on a copy of notebooks/, started as `make lab` does (jupyter_server_config.py)."""
    root = tmp_path / "project"
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    (root / "scratch").mkdir()
    port, token = _free_port(), "vsr-test-token"
    log = open(tmp_path / "server.log", "w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",  # as `make lab` starts it, with the project's server config
            f"--config={ROOT / 'jupyter_server_config.py'}",
            "--no-browser",
            f"--ServerApp.root_dir={root}",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            "--ServerApp.ip=127.0.0.1",
            "--ServerApp.open_browser=False",
            f"--IdentityProvider.token={token}",
            "--allow-root",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime")),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError((tmp_path / "server.log").read_text()) from None
                time.sleep(0.3)
        yield base, token, root
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _save(base: str, token: str, path: str, nb: dict) -> dict:
    body = json.dumps({"type": "notebook", "format": "json", "content": nb}).encode()
    req = urllib.request.Request(
        f"{base}/api/contents/{path}",
        data=body,
        method="PUT",
        headers={"Authorization": f"token {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=60) as resp:
        return json.loads(resp.read())


def test_saving_an_executed_template_through_the_server_leaves_the_tracked_files_unchanged(server):
    base, token, root = server
    tracked_ipynb = (ROOT / "notebooks" / f"{TEMPLATE}.ipynb").read_bytes()
    tracked_py = (ROOT / "notebooks" / f"{TEMPLATE}.py").read_bytes()
    executed = _executed(_as_dict(tracked_ipynb.decode("utf-8")))
    # the copies are removed first, so that only what the server writes can equal the tracked files
    (root / "notebooks" / f"{TEMPLATE}.ipynb").unlink()
    (root / "notebooks" / f"{TEMPLATE}.py").unlink()
    _save(base, token, f"notebooks/{TEMPLATE}.ipynb", executed)
    assert (root / "notebooks" / f"{TEMPLATE}.ipynb").read_bytes() == tracked_ipynb
    assert (root / "notebooks" / f"{TEMPLATE}.py").read_bytes() == tracked_py
    # the same executed notebook saved outside notebooks/ keeps its outputs: the server did save what it got
    _save(base, token, "scratch/copy.ipynb", executed)
    assert SECRET in (root / "scratch" / "copy.ipynb").read_text(encoding="utf-8")


def test_git_filter_cleans_a_staged_template(tmp_path):
    repo = tmp_path / "repo"
    (repo / "notebooks").mkdir(parents=True)
    shutil.copy(ROOT / ".gitattributes", repo / ".gitattributes")
    tracked = (ROOT / "notebooks" / f"{TEMPLATE}.ipynb").read_text(encoding="utf-8")
    nbformat.write(nbformat.from_dict(_executed(_as_dict(tracked))), repo / "notebooks" / f"{TEMPLATE}.ipynb")

    def git(*args):
        return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout

    git("init", "-q")
    git("config", "filter.vsr-notebook.clean", f"{sys.executable} -m vsr_analysis.build.clean_notebook")
    git("add", "notebooks")
    staged = git("show", f":notebooks/{TEMPLATE}.ipynb")
    assert staged == tracked
    assert SECRET in (repo / "notebooks" / f"{TEMPLATE}.ipynb").read_text(encoding="utf-8")  # the work file stays


def test_every_committed_template_is_already_clean():
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        text = path.read_text(encoding="utf-8")
        assert clean_text(text) == text, f"{path.name} holds outputs or machine-specific metadata"
