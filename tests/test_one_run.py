"""One run, published whole (issue 13): lock, run-id stamps, no mixtures, no orphans, no foreign files."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import copy_project, vsr
from test_runner import WRITE_TABLE, _outputs, _template
from vsr_analysis.build import publish
from vsr_analysis.build.verify import compare_results

# Every test here runs `vsr run` (kernels, publishing) at least once: the full suite's, not `make check`'s.
pytestmark = pytest.mark.slow

#: tiny-a waits ``sleep`` seconds, or less: until the test creates ``release`` in the project root (the kernel
#: inherits VSR_PROJECT_ROOT), so a test that needs a run in progress holds it exactly as long as it needs.
SLEEPY = (
    "import os, pathlib, time\n"
    "release = pathlib.Path(os.environ['VSR_PROJECT_ROOT']) / 'release'\n"
    "end = time.monotonic() + sleep\n"
    "while time.monotonic() < end and not release.exists():\n"
    "    time.sleep(0.1)\n"
) + WRITE_TABLE


@pytest.fixture
def mini(tmp_path):
    """Two tiny notebooks; tiny-a sleeps ``sleep`` seconds (0 unless the run spec says otherwise), or until released."""
    root = copy_project(tmp_path / "project")
    _template(root / "notebooks" / "tiny_a.ipynb", SLEEPY, "value = 1\nfail = False\nsleep = 0\n")
    _template(root / "notebooks" / "tiny_b.ipynb", WRITE_TABLE, "value = 1\nfail = False\n")
    _write_spec(root, sleep=0)
    return root


def _write_spec(root: Path, sleep: int) -> None:
    (root / "runspec.yml").write_text(
        "defaults: {scenario: vsr-narrative, seed: 2021, timeout_seconds: 120}\n"
        "notebooks:\n"
        f"- template: notebooks/tiny_a.ipynb\n  parameter_sets:\n  - name: tiny-a\n    parameters: {{sleep: {sleep}}}\n"
        "- template: notebooks/tiny_b.ipynb\n  parameter_sets:\n  - name: tiny-b\n    parameters: {value: 2}\n"
    )


def _env(root: Path) -> dict[str, str]:
    return dict(os.environ, VSR_PROJECT_ROOT=str(root))


def _processes_of(root: Path) -> list[int]:
    """Processes (not this one) started for the project at ``root`` (they carry VSR_PROJECT_ROOT=root)."""
    needle = f"VSR_PROJECT_ROOT={root}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if needle in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


def _kernel_running(root: Path) -> bool:
    for pid in _processes_of(root):
        try:
            if b"ipykernel" in Path(f"/proc/{pid}/cmdline").read_bytes():
                return True
        except OSError:
            pass
    return False


def _wait_for(condition, seconds: float = 120) -> None:
    end = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > end:
            raise AssertionError("timed out waiting")
        time.sleep(0.2)


def _stamps(root: Path) -> set[str]:
    return {(root / d / ".run-id").read_text().strip() for d in ("book/executed", "results", "book/generated")}


def test_every_published_folder_carries_the_same_run_id_and_a_manifest(mini):
    vsr("run", root=mini)
    stamps = _stamps(mini)
    manifest = json.loads((mini / "results/.manifest.json").read_text())
    assert stamps == {manifest["run_id"]}
    assert "results/tiny-b/table.csv" in manifest["files"] and "executed/tiny-a.ipynb" in manifest["files"]
    assert manifest["survey"] == "synthetic:vsr-narrative:2021"


def test_a_publish_that_fails_half_way_changes_nothing(mini, monkeypatch):
    """The move of the second folder fails: the first must be moved back, the published run stays whole."""
    vsr("run", root=mini)
    before = _outputs(mini)
    run_id = _stamps(mini)
    monkeypatch.setenv("VSR_PROJECT_ROOT", str(mini))
    stage = mini / "book/.staging/run-test"
    for key in ("executed", "results", "generated"):
        (stage / key).mkdir(parents=True)
        (stage / key / "new.txt").write_text("new run")
    real_replace = os.replace
    calls = []

    def failing_replace(src, dst):
        calls.append((src, dst))
        if len(calls) == 5:  # three folders moved aside, the first staged folder moved in, then a failure
            raise OSError(28, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(publish.os, "replace", failing_replace)
    with pytest.raises(OSError):
        publish.publish(stage)
    monkeypatch.setattr(publish.os, "replace", real_replace)
    assert _outputs(mini) == before
    assert _stamps(mini) == run_id
    assert publish.check_published() in run_id
    assert not (mini / "book/.publish-journal.json").exists()


def test_a_crash_in_the_middle_of_a_publish_is_rolled_back_by_the_next_run(mini, monkeypatch):
    vsr("run", root=mini)
    before = _outputs(mini)
    # the state a SIGKILL between the moves leaves: journal written, executed moved aside and replaced
    journal = {"existed": {"executed": True, "results": True, "generated": True}, "stage": "x"}
    (mini / "book/.publish-journal.json").write_text(json.dumps(journal))
    os.replace(mini / "book/executed", mini / "book/executed.previous")
    (mini / "book/executed").mkdir()
    (mini / "book/executed/half.ipynb").write_text("{}")
    proc = vsr("run", root=mini)
    assert "0 executed, 2 reused" in proc.stderr
    after = _outputs(mini)
    assert {k for k in after if "half" in k} == set()
    assert {k: v for k, v in after.items() if k.endswith(".csv")} == {
        k: v for k, v in before.items() if k.endswith(".csv")
    }


def test_book_and_verify_refuse_a_mixture_of_two_runs(mini):
    vsr("run", root=mini)
    old_notebook = (mini / "book/executed/tiny-b.ipynb").read_bytes()
    vsr("run", "--seed", "7", root=mini)
    (mini / "book/executed/tiny-b.ipynb").write_bytes(old_notebook)  # one chapter of the previous run
    for command in ("book", "verify"):
        proc = vsr(command, root=mini, check=False)
        assert proc.returncode == 1, proc.stderr
        assert "not one whole run" in proc.stderr and "executed/tiny-b.ipynb" in proc.stderr
    # a folder from another run (its stamp differs) is named too
    (mini / "book/generated/.run-id").write_text("20200101T000000Z-deadbeef\n")
    proc = vsr("book", root=mini, check=False)
    assert proc.returncode == 1 and "different runs" in proc.stderr and "book/generated" in proc.stderr


def test_a_second_run_in_the_same_checkout_is_refused_at_once(mini):
    vsr("run", root=mini)
    _write_spec(mini, sleep=100)  # until released below (within the 120 s notebook timeout)
    first = subprocess.Popen(
        [sys.executable, "-m", "vsr_analysis.cli", "run", "--jobs", "1"],
        env=_env(mini),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for(lambda: _kernel_running(mini))
        start = time.monotonic()
        second = vsr("run", root=mini, check=False)
        assert second.returncode == 1
        assert "another `vsr run` is already running in this checkout" in second.stderr
        assert str(first.pid) in second.stderr
        assert time.monotonic() - start < 60  # at once: not after the first run's notebooks
        assert first.poll() is None  # the first run was still running when the second was refused
        (mini / "release").touch()  # let the first run finish
        _, err = first.communicate(timeout=600)
        assert first.returncode == 0, err  # the refused run did not disturb the first one
    finally:
        if first.poll() is None:
            first.kill()
    assert (mini / "results/tiny-a/table.csv").is_file()


def test_sigkill_of_the_run_leaves_no_orphan_after_5_seconds(mini):
    vsr("run", root=mini)
    before = _outputs(mini)
    _write_spec(mini, sleep=120)
    run = subprocess.Popen(
        [sys.executable, "-m", "vsr_analysis.cli", "run", "--jobs", "2"],
        env=_env(mini),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(lambda: _kernel_running(mini))
        os.kill(run.pid, signal.SIGKILL)
        run.wait()
        time.sleep(5)
        assert _processes_of(mini) == [], "papermill or kernel processes outlived the killed run"
    finally:
        for pid in _processes_of(mini):
            os.kill(pid, signal.SIGKILL)
    assert _outputs(mini) == before
    _write_spec(mini, sleep=0)
    proc = vsr("run", root=mini)  # recovers: the dead run's staging folder goes, nothing else is lost
    assert proc.returncode == 0 and "rerun  tiny-a: never executed" not in proc.stderr
    assert not (mini / "book/.staging").exists()


def test_only_with_another_survey_source_is_refused(mini):
    vsr("run", root=mini)
    before = _outputs(mini)
    proc = vsr("run", "--only", "tiny-b", "--seed", "7", root=mini, check=False)
    assert proc.returncode == 1
    assert "never mixes survey sources" in proc.stderr and "synthetic:vsr-narrative:2021" in proc.stderr
    assert _outputs(mini) == before
    ledger = json.loads((mini / "results/claims.json").read_text())
    assert {e["data"]["survey"] for e in ledger} == {"synthetic:vsr-narrative:2021"}


def test_result_files_written_outside_vsr_run_are_rerun_and_never_published(mini):
    """What an interactive run of a template in JupyterLab does: write into results/<set>/ directly."""
    vsr("run", root=mini)
    (mini / "results/tiny-b/table.csv").write_text("value\n99\n")  # an edited parameter, run by hand
    (mini / "results/tiny-b/scratch.csv").write_text("x\n1\n")
    proc = vsr("run", root=mini)
    assert "rerun  tiny-b: published files not written by vsr run" in proc.stderr
    assert "reuse  tiny-a: inputs unchanged" in proc.stderr
    assert (mini / "results/tiny-b/table.csv").read_text() == "value\n2\n"
    assert not (mini / "results/tiny-b/scratch.csv").exists()
    # --only of another set cannot carry the foreign file into a published run
    (mini / "results/tiny-b/table.csv").write_text("value\n99\n")
    proc = vsr("run", "--only", "tiny-a", root=mini, check=False)
    assert proc.returncode == 1 and "not written by `vsr run`" in proc.stderr


def test_verify_names_a_result_file_with_a_non_utf8_byte_and_exits_1(mini, tmp_path):
    vsr("run", root=mini)
    (mini / "results/tiny-b/table.csv").write_bytes(b"value\n\xff\n")
    proc = vsr("verify", root=mini, check=False)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "results/tiny-b/table.csv" in proc.stderr
    # the comparison itself names such a file instead of crashing
    a, b = tmp_path / "a", tmp_path / "b"
    for folder, data in ((a, b"value\n\xff\n"), (b, b"value\n2\n")):
        (folder / "x").mkdir(parents=True)
        (folder / "x/table.csv").write_bytes(data)
    report = compare_results(a, b)
    assert report == ["differs: x/table.csv: the published file is not UTF-8 text (byte 0xFF at offset 6)"]


def test_staging_folders_are_unique_and_only_dead_owners_are_removed(mini):
    vsr("run", root=mini)
    live = mini / "book/.staging/run-live"
    live.mkdir(parents=True)
    (live / "owner.pid").write_text(str(os.getpid()))  # a live process owns it (this test)
    dead = mini / "book/.staging/run-dead"
    dead.mkdir()
    (dead / "owner.pid").write_text("999999999")
    vsr("run", root=mini)
    assert live.is_dir() and not dead.exists()
