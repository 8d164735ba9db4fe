"""The disclosure engine's protection of linked tables, timed: CPU seconds of ``Release.protect`` on planted cases.

A synthetic replica with one respondent (Oslo) alone at the top stage; released together: the stage distribution,
the robustness margins (n at stage >= 1, n), and the heat maps of respondents by size band and by centrality class
x stage. Primary and secondary suppression run until the reconstruction audit finds nothing. Timed twice: as
the engine works (each round's integer solutions carried to the next) and with every audit started afresh (as
before issue 24's cut), to show what carrying saves; both must hide the same cells. A script that reports figures,
not a test.

    .venv/bin/python benchmarks/bench_disclosure.py
"""

from __future__ import annotations

import sys
import time

import pandas as pd

from vsr_analysis.data.register import load_register
from vsr_analysis.stats import sdc
from vsr_analysis.synth.simulation import generate

STAGES = [0, 1, 2, 3, 4, 5]
PLANTED = "0301"


def planted_release() -> sdc.Release:
    survey = generate("vsr-narrative", 5)[0]
    register = load_register().set_index("knr")
    frame = survey[survey["unit_type"] == "municipality"].set_index("knr")
    frame = frame.join(register[["size_band", "centrality_class"]])
    stage = pd.to_numeric(frame["maturity_stage"], errors="coerce")
    frame["maturity_stage"] = stage.where(stage != 5, 4)
    frame.loc[PLANTED, "maturity_stage"] = 5
    answers = frame[["maturity_stage"]].astype(object)
    answers = answers.where(answers.notna(), None).map(lambda v: None if v is None else int(v))
    release = sdc.Release(answers, {"maturity_stage": STAGES})
    everyone = frame.index
    for s in STAGES:
        release.count("stages", f"stage {s}", "maturity_stage", [s], everyone)
    release.count("robustness", "n at stage >= 1", "maturity_stage", STAGES[1:], everyone)
    release.count("robustness", "n", "maturity_stage", STAGES, everyone)
    for column in ("size_band", "centrality_class"):
        for group, members in frame.groupby(column):
            for s in STAGES:
                release.count(f"by {column}", f"{group} stage {s}", "maturity_stage", [s], members.index)
    return release


def timed(carry: bool) -> tuple[float, sdc.Release]:
    plain = sdc.audit
    if not carry:
        sdc.audit = lambda release, seed=0, random_solutions=6, items=None, carry=None: plain(
            release, seed=seed, random_solutions=random_solutions, items=items
        )
    try:
        release = planted_release()
        start = time.process_time()
        result = release.protect()
        seconds = time.process_time() - start
    finally:
        sdc.audit = plain
    if not result.passed:
        sys.exit("the engine did not protect the planted release")
    return seconds, release


def run() -> dict:
    carried, with_carry = timed(carry=True)
    fresh, without = timed(carry=False)
    same = [(c.shown, c.reason) for c in with_carry.cells] == [(c.shown, c.reason) for c in without.cells]
    return {
        "cells": len(with_carry.cells),
        "hidden": sum(not c.released for c in with_carry.cells),
        "carried_seconds": carried,
        "fresh_seconds": fresh,
        "same_cells_hidden": same,
    }


def main() -> int:
    fig = run()
    print(f"disclosure engine, planted respondent: {fig['cells']} cells, {fig['hidden']} hidden")
    print(f"  protect(), solutions carried between rounds: {fig['carried_seconds']:.1f} CPU s")
    print(f"  protect(), every audit afresh:               {fig['fresh_seconds']:.1f} CPU s")
    print(f"  same cells hidden both ways: {fig['same_cells_hidden']}")
    return 0 if fig["same_cells_hidden"] else 1


if __name__ == "__main__":
    sys.exit(main())
