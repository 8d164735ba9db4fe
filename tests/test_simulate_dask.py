"""`vsr simulate` on Dask: a local cluster with 1 or 2 workers, a scheduler and workers started by hand, and a
worker killed mid-run all give files byte-identical to the in-process run (issue 14).

The plan is small on purpose (two claims, few seeds, 50 NCA permutations): these tests check the machinery,
not the statistics.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from vsr_analysis.simulate.engine import OC_FILE, PER_SEED_FILE, make_plan, simulate

pytestmark = pytest.mark.slow

DASK = str(Path(sys.executable).with_name("dask"))


@pytest.fixture(scope="module")
def plan():
    return make_plan(["vsr-narrative", "size-ceiling"], 2, ["F4", "F8"], chunk_size=1, overrides={"permutations": 50})


@pytest.fixture(scope="module")
def reference(plan, tmp_path_factory):
    out = tmp_path_factory.mktemp("in-process")
    simulate(plan, out, workers=0, progress=False)
    return out


def _same_files(a: Path, b: Path) -> None:
    for name in (PER_SEED_FILE, OC_FILE):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_local_cluster_one_and_two_workers_identical(plan, reference, tmp_path):
    for workers in (1, 2):
        out = tmp_path / f"w{workers}"
        summary = simulate(plan, out, workers=workers, progress=False)
        assert summary.seeds_computed == 4
        _same_files(reference, out)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_cluster(n_workers: int):
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    procs = [
        subprocess.Popen(
            [DASK, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
    ]
    for i in range(n_workers):
        procs.append(
            subprocess.Popen(
                [DASK, "worker", address, "--nthreads", "1", "--no-nanny", "--no-dashboard", "--name", f"w{i}"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=env,
            )
        )
    from distributed import Client

    deadline = time.monotonic() + 120
    while True:
        try:
            with Client(address, timeout="5s") as client:
                client.wait_for_workers(n_workers, timeout=90)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)
    return address, procs


def _stop(procs) -> None:
    for p in reversed(procs):
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()


def test_scheduler_and_workers_started_by_hand(plan, reference, tmp_path):
    address, procs = _start_cluster(2)
    try:
        out = tmp_path / "cluster"
        simulate(plan, out, scheduler=address, progress=False)
        _same_files(reference, out)
    finally:
        _stop(procs)


def test_worker_killed_mid_run_gives_complete_identical_results(plan, reference, tmp_path):
    address, procs = _start_cluster(2)
    killed = []

    def kill_first_worker(result):
        if not killed:
            procs[1].send_signal(signal.SIGKILL)  # a worker process dies without warning
            procs[1].wait(timeout=20)
            killed.append(result["scenario"])

    try:
        out = tmp_path / "killed"
        summary = simulate(plan, out, scheduler=address, progress=False, on_chunk=kill_first_worker)
        assert killed and procs[1].returncode is not None
        assert procs[2].poll() is None  # the other worker finished the job
        assert summary.seeds_computed == 4
        _same_files(reference, out)
    finally:
        _stop(procs)
