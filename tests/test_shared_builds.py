"""The whole-pipeline fixtures are built once per test run, whatever the number of xdist workers.

A small suite run by pytester in a subprocess under ``-n 2``: its session fixture goes through
``shared_build.shared_once`` and appends a line to a file for each build; four tests on two workers must see
one build and the same result, and a failing build is reported to every test that needs it, never retried.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

pytest_plugins = ["pytester"]

SUITE = """
    import os
    from pathlib import Path

    import pytest
    from shared_build import shared_once

    COUNTER = Path({counter!r})

    @pytest.fixture(scope="session")
    def expensive(tmp_path_factory):
        def build(folder):
            with COUNTER.open("a") as out:
                out.write(os.environ.get("PYTEST_XDIST_WORKER", "main") + "\\n")
            if {fail!r}:
                raise RuntimeError("the pipeline broke")
            (folder / "made.txt").write_text("once")
            return folder, ["a", "b"], ("c", 1)
        return shared_once(tmp_path_factory, "expensive", build)

    @pytest.mark.parametrize("i", range(4))
    def test_reads_the_build(expensive, i):
        folder, names, pair = expensive
        assert (folder / "made.txt").read_text() == "once"
        assert names == ["a", "b"] and pair == ("c", 1)
"""


def _run(pytester, monkeypatch, fail: bool, *args: str):
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).parent))  # the subprocess imports tests/shared_build.py
    for name in ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID"):
        monkeypatch.delenv(name, raising=False)  # when this suite itself runs under xdist
    counter = pytester.path / "builds.txt"
    pytester.makepyfile(test_suite=textwrap.dedent(SUITE.format(counter=str(counter), fail=fail)))
    result = pytester.runpytest_subprocess(*args, "-p", "no:cacheprovider")
    return result, counter.read_text().split()


def test_one_build_for_two_workers(pytester, monkeypatch):
    result, builds = _run(pytester, monkeypatch, False, "-n", "2")
    result.assert_outcomes(passed=4)
    assert len(builds) == 1 and builds[0] in {"gw0", "gw1"}, builds


def test_without_xdist_the_fixture_builds_in_its_own_folder(pytester, monkeypatch):
    result, builds = _run(pytester, monkeypatch, False, "-p", "no:xdist")
    result.assert_outcomes(passed=4)
    assert builds == ["main"]


def test_a_failed_build_fails_every_test_that_needs_it_and_is_not_retried(pytester, monkeypatch):
    result, builds = _run(pytester, monkeypatch, True, "-n", "2")
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) == 0, outcomes
    assert outcomes.get("failed", 0) + outcomes.get("errors", outcomes.get("error", 0)) == 4, outcomes
    assert len(builds) == 1, builds
    assert "the pipeline broke" in result.stdout.str()
