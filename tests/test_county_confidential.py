"""A confidential-style run with county rows: the county, F9 and F10 chapters build and leak no small cell.

The pattern of tests/test_confidential.py (a replica file handed in with --survey is treated as a real,
confidential file), on a project copy trimmed to the three chapters of issue 16 so that it runs in a minute.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml

from conftest import copy_project, vsr
from vsr_analysis.build.disclosure import scan_build
from vsr_analysis.stats.sdc import HIDDEN

pytestmark = pytest.mark.slow

CHAPTERS = {
    "notebooks/measuring_progress.ipynb": "measuring-progress",
    "notebooks/policy_coherence.ipynb": "policy-coherence",
    "notebooks/county_authorities.ipynb": "county-authorities",
}


def _trim(root):
    spec = yaml.safe_load((root / "runspec.yml").read_text())
    spec["notebooks"] = [nb for nb in spec["notebooks"] if nb["template"] in CHAPTERS]
    assert len(spec["notebooks"]) == 3
    (root / "runspec.yml").write_text(yaml.safe_dump(spec, sort_keys=False))
    toc = {
        "format": "jb-book",
        "root": "book/index",
        "parts": [
            {
                "caption": "Issue 16",
                "chapters": [
                    {"file": "book/generated/claims"},
                    *({"file": f"book/executed/{name}"} for name in CHAPTERS.values()),
                    {"file": "book/generated/recommendations"},
                    {"file": "book/methods/decision-rules", "sections": [{"file": "book/methods/necessity"}]},
                    {"file": "book/generated/colophon"},
                    {"file": "book/references"},  # the bibliography the chapters cite
                ],
            }
        ],
    }
    (root / "_toc.yml").write_text(yaml.safe_dump(toc, sort_keys=False))
    (root / "book/index.md").write_text("# Trimmed book\n\nThe chapters of issue 16 on a confidential file.\n")


@pytest.fixture(scope="module")
def county_build(tmp_path_factory):
    root = copy_project(tmp_path_factory.mktemp("county-confidential") / "project")
    _trim(root)
    vsr("synth", "--scenario", "vsr-narrative", "--seed", "5", "--out", str(root.parent / "survey.csv"), root=root)
    survey = pd.read_csv(root.parent / "survey.csv", dtype=str, keep_default_na=False)
    county = survey["unit_type"] == "county"
    assert county.sum() == 11
    # make sure there is a small cell to hide: exactly one county authority names competence
    survey.loc[county, "barrier_competence"] = ["1"] + ["0"] * 10
    # and a census count F8-county rests on: every county authority names national guidance (issue 26)
    survey.loc[county, "barrier_national_guidance"] = ["1"] * 11
    secret = root.parent / "private-folder" / "fylker_2021_confidential.csv"
    secret.parent.mkdir()
    survey.to_csv(secret, index=False)
    vsr("run", "--jobs", "1", "--survey", str(secret), root=root)
    book = vsr("book", root=root, check=False)
    return root, secret, book


def test_the_trimmed_confidential_book_builds_and_passes_the_leak_scan(county_build):
    root, _, book = county_build
    assert book.returncode == 0, book.stderr[-3000:]
    assert (root / "_build/html/book/executed/county-authorities.html").is_file()
    assert scan_build(root / "_build/html", root / "book/executed", root / "results") == []


def test_small_county_cells_are_suppressed_and_the_chapter_says_so(county_build):
    root, _, _ = county_build
    barriers = pd.read_csv(root / "results/county-authorities/barriers.csv", dtype=str).set_index("item")
    competence = barriers.loc["competence on the goals"]
    # the county tables go through the disclosure engine: one mark for every suppressed cell
    assert competence["county authorities with it"] == HIDDEN
    assert competence["county authorities without it"] == HIDDEN  # 10 of 11 would give the 1 away
    assert competence["county share"] == HIDDEN and competence["ci_low (exact)"] == HIDDEN
    # the build's reconstruction audit ran over what was released, and passed
    audit = json.loads((root / "results/disclosure-audit.json").read_text())
    assert "county-authorities" in audit["chapters audited"]
    assert audit["determined_answers"] == 0 and audit["recomputable_counts"] == 0 and audit["constraints"] > 0
    html = (root / "_build/html/book/executed/county-authorities.html").read_text()
    assert "Not shown:" in html and "competence on the goals" in html
    assert "Not a simulated file" in html  # no truth table on a confidential file
    # the county "either" count (a union of two items) is withheld on a confidential file
    f10 = pd.read_csv(root / "results/policy-coherence/county_authorities.csv", dtype=str)
    assert "either of the two" not in set(f10["item"])


def test_f9_and_f10_get_computed_verdicts_on_the_confidential_file(county_build):
    root, secret, _ = county_build
    ledger = {e["id"]: e for e in json.loads((root / "results/claims.json").read_text())}
    for cid in ("F9", "F10"):
        assert ledger[cid]["data"]["survey"].startswith(f"file:{secret.name}:")
        assert ledger[cid]["verdict"] in ("supported", "not supported", "inconclusive")
        assert ledger[cid]["primary"]["p_value"] is not None
    assert ledger["F1"]["reason"] == "its notebook has not been executed"  # trimmed away, as intended


def test_county_claims_give_no_hidden_count_back(county_build):
    """Issue 26: F8-county rests on a count of 11 of 11 (its complement, 0, is a hidden cell): the ledger and the
    evidence publish no number of it and a reason without a number; F10-county is decided as usual."""
    import re

    from vsr_analysis.claims.county_evidence import WITHHELD

    root, secret, _ = county_build
    barriers = pd.read_csv(root / "results/county-authorities/barriers.csv", dtype=str).set_index("item")
    assert barriers.loc["national support and guidance", "county authorities without it"] == HIDDEN
    ledger = {e["id"]: e for e in json.loads((root / "results/claims.json").read_text())}
    f8c = ledger["F8-county"]
    assert f8c["verdict"] == "inconclusive" and WITHHELD in f8c["reason"] and not re.search(r"\d", f8c["reason"])
    assert all(f8c["primary"][k] is None for k in ("estimate", "ci_low", "ci_high", "p_value"))
    evidence = json.loads((root / "results/county-authorities/evidence.json").read_text())
    assert evidence["parts"]["national_guidance"]["primary"]["estimate"] is None
    assert ledger["F10-county"]["data"]["survey"].startswith(f"file:{secret.name}:")
    assert ledger["F10-county"]["verdict"] in ("supported", "not supported", "inconclusive")
