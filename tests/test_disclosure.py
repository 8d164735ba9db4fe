"""Disclosure control: small-cell suppression (with secondary suppression), leak scans, git-ignore rules."""

from __future__ import annotations

import subprocess

import pandas as pd
import pytest

from vsr_analysis import paths
from vsr_analysis.build.disclosure import SUPPRESSED, scan_results, scan_texts, suppress_small_cells


def test_primary_and_secondary_suppression_in_a_row():
    table = pd.DataFrame({"band": ["small", "large"], "yes": [2, 40], "no": [30, 50]})
    out = suppress_small_cells(table, ["yes", "no"])
    assert out.loc[0, "yes"] == SUPPRESSED
    # with one hidden cell in the row and a row total known, the other count must go too
    assert out.loc[0, "no"] == SUPPRESSED
    # ... and in the column, another cell is hidden so the column total cannot reveal it; in a 2 x 2 table
    # with one small cell that hides everything (the textbook case)
    assert out.loc[1, "yes"] == SUPPRESSED and out.loc[1, "no"] == SUPPRESSED


def test_no_suppression_when_every_count_is_safe_and_zero_is_not_disclosive():
    table = pd.DataFrame({"g": ["a", "b"], "n": [0, 12]})
    out = suppress_small_cells(table, ["n"])
    assert list(out["n"]) == ["0", "12"]


def test_a_suppressed_cell_cannot_be_recomputed_from_margins():
    table = pd.DataFrame({"g": list("abc"), "x": [1, 10, 20], "y": [15, 2, 30], "z": [7, 8, 9]})
    out = suppress_small_cells(table, ["x", "y", "z"])
    hidden = out[["x", "y", "z"]] == SUPPRESSED
    assert hidden.loc[0, "x"] and hidden.loc[1, "y"]
    # every row and every column holds either no hidden cell or at least two
    assert all(v != 1 for v in hidden.sum(axis=1))
    assert all(v != 1 for v in hidden.sum(axis=0))


def test_unknown_count_column_is_an_error():
    with pytest.raises(KeyError):
        suppress_small_cells(pd.DataFrame({"a": [1]}), ["b"])


def test_scan_texts_finds_codes_and_names_but_not_ordinary_numbers():
    codes, names = {"0301", "4601"}, {"Bergen", "Trondheim"}
    assert scan_texts(["mean 0.301 and 14601 people"], "nb", codes, names) == []
    leaks = scan_texts(["<td>4601</td><td>3</td>", "Trondheim is at stage 5"], "nb", codes, names)
    assert any("4601" in leak for leak in leaks) and any("Trondheim" in leak for leak in leaks)


def test_scan_results_leaves_out_always_synthetic_chapters_only(tmp_path):
    """A simulation's seed counts (vsr simulate's n_seeds per realised truth label can be 1 or 2) are not
    respondents: the folders of always-synthetic chapters are skipped, every other folder is still scanned."""
    for name in ("operating-characteristics", "master-plan"):
        (tmp_path / name).mkdir()
        pd.DataFrame({"claim": ["F6"], "n_seeds": [2]}).to_csv(tmp_path / name / "oc.csv", index=False)
    leaks = scan_results(tmp_path, {"operating-characteristics"})
    assert len(leaks) == 1 and "n_seeds" in leaks[0]
    assert len(scan_results(tmp_path)) == 2


def test_scan_results_flags_small_counts(tmp_path):
    (tmp_path / "t").mkdir()
    pd.DataFrame({"band": ["a"], "municipalities": [2]}).to_csv(tmp_path / "t" / "x.csv", index=False)
    pd.DataFrame({"band": ["a"], "municipalities": ["<3"]}).to_csv(tmp_path / "t" / "y.csv", index=False)
    leaks = scan_results(tmp_path)
    assert len(leaks) == 1 and "x.csv" in leaks[0]


def test_private_area_is_git_ignored():
    root = paths.project_root()
    if not (root / ".git").exists():
        pytest.skip("not a git checkout")
    for rel in (
        "data/private/vsr2021.xlsx",
        "data/private/cache/abc.csv",
        "data/synthetic/x.csv",
        "results/claims.json",
        "book/executed/f4.ipynb",
        "_build/html/index.html",
    ):
        proc = subprocess.run(["git", "check-ignore", "-q", rel], cwd=root)
        assert proc.returncode == 0, f"{rel} is not ignored by git"
    proc = subprocess.run(["git", "check-ignore", "-q", "data/private/README.md"], cwd=root)
    assert proc.returncode == 1, "data/private/README.md should be tracked"


def test_shares_beside_a_suppressed_count_are_hidden_too():
    table = pd.DataFrame(
        {
            "group": ["counties", "municipalities"],
            "n": [10, 280],
            "naming it": [1, 150],
            "share": [0.1, 0.54],
            "ci_low": [0.02, 0.48],
        }
    )
    out = suppress_small_cells(table, ["n", "naming it"])
    assert out.loc[0, "share"] == SUPPRESSED and out.loc[0, "ci_low"] == SUPPRESSED
    assert out.loc[0, "naming it"] == SUPPRESSED


def test_checksums_and_county_columns_are_not_false_alarms(tmp_path):
    codes, names = {"4601"}, set()
    assert scan_texts(["sha256 9f4601ab77 and a4601"], "nb", codes, names) == []
    (tmp_path / "t").mkdir()
    pd.DataFrame({"county": ["Vestland"], "share": [0.5]}).to_csv(tmp_path / "t" / "x.csv", index=False)
    assert scan_results(tmp_path) == []
