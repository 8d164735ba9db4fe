"""The whole pipeline on the embedded default: run, book, ledger and HTML agree.

Uses the session fixture ``built_book`` (tests/conftest.py): one `vsr run` and one `vsr book` in a copy.
"""

from __future__ import annotations

import json
import re

import pytest

from vsr_analysis.inputs.runspec import load_runspec

pytestmark = pytest.mark.slow


def _html(root, rel):
    return (root / "_build/html" / rel).read_text(encoding="utf-8")


def test_every_parameter_set_has_an_executed_notebook_and_a_page(built_book):
    for name in load_runspec(built_book / "runspec.yml").names():
        assert (built_book / "book/executed" / f"{name}.ipynb").is_file(), name
        assert (built_book / "_build/html/book/executed" / f"{name}.html").is_file(), name


def test_landing_page_says_what_the_compendium_is_and_links_to_claims(built_book):
    page = _html(built_book, "book/index.html")
    assert "Testing Norway" in page and "synthetic replica" in page
    assert "executed/size-not-a-prerequisite.html" in page
    assert "generated/claims.html" in page


def test_ledger_and_claims_page_agree(built_book):
    ledger = json.loads((built_book / "results/claims.json").read_text())
    page = _html(built_book, "book/generated/claims.html")
    for entry in ledger:
        assert entry["verdict"] in ("supported", "not supported", "inconclusive")
        assert entry["data"]["survey"] == "synthetic:vsr-narrative:2021"
        row = re.search(rf'<tr id="claim-{entry["id"].lower()}".*?data-verdict="([^"]+)"', page, flags=re.S)
        assert row, f"{entry['id']} missing from the claims page"
        assert row.group(1) == entry["verdict"]
        # every executed claim links to its chapter, and the chapter exists
        assert (built_book / "_build/html/book/executed" / f"{entry['parameter_set']}.html").is_file()


def test_chapters_show_the_simulated_data_banner_and_provenance(built_book):
    for name in load_runspec(built_book / "runspec.yml").names():
        page = _html(built_book, f"book/executed/{name}.html")
        assert "Simulated data" in page or "simulated" in page.lower(), name
    page = _html(built_book, "book/executed/size-not-a-prerequisite.html")
    assert "Provenance of this page" in page
    assert "municipalities_2020.csv" in page


def test_colophon_lists_commit_and_checksums(built_book):
    page = _html(built_book, "book/generated/colophon.html")
    assert "Commit" in page
    assert re.search(r"[0-9a-f]{64}", page)


def test_result_tables_are_offered_for_download(built_book):
    page = _html(built_book, "book/executed/size-not-a-prerequisite.html")
    assert re.search(r'href="[^"]*_downloads/[^"]*nca\.csv"', page)


def test_verify_reruns_everything_and_finds_identical_results(verified):
    """A cold re-run in a fresh copy (another folder) reproduces the build's ledger and tables byte for byte."""
    proc, _ = verified
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "identical" in proc.stdout


def test_verify_reports_a_changed_table(built_book, tmp_path):
    import shutil

    from vsr_analysis.build.verify import compare_results

    copy = tmp_path / "results"
    shutil.copytree(built_book / "results", copy)
    table = copy / "size-not-a-prerequisite" / "nca.csv"
    table.write_text(table.read_text().replace("CE-FDH", "CE-FDH*"))
    (copy / "maturity-variation" / "evidence.json").unlink()
    report = compare_results(built_book / "results", copy)
    assert any("differs: size-not-a-prerequisite/nca.csv" in line for line in report)
    assert any("missing in the re-run: maturity-variation/evidence.json" in line for line in report)


def test_second_book_build_is_a_no_op_until_a_source_changes(built_book, tmp_path):
    from conftest import copy_build, vsr

    root = copy_build(built_book, tmp_path / "project")  # the shared build stays as it is for the other tests
    proc = vsr("book", root=root)
    assert "up to date" in proc.stderr
    page = root / "book" / "reading-verdicts.md"
    page.write_text(page.read_text() + "\n")
    proc = vsr("book", root=root)
    assert "up to date" not in proc.stderr
    assert "up to date" in vsr("book", root=root).stderr


def test_every_chapter_states_its_final_verdict_from_the_ledger(built_book):
    ledger = json.loads((built_book / "results/claims.json").read_text())
    for entry in ledger:
        page = _html(built_book, f"book/executed/{entry['parameter_set']}.html")
        assert f"Final verdict for {entry['id']} (ledger): {entry['verdict']}" in page, entry["id"]


def test_simulated_label_travels_with_downloaded_tables(built_book):
    for csv in sorted((built_book / "results").rglob("*.csv")):
        header, first = csv.read_text(encoding="utf-8").splitlines()[:2]
        assert header.split(",")[0] == "data" and first.startswith("SIMULATED"), csv


def test_default_build_gives_f9_and_f10_computed_verdicts_and_the_county_chapter(built_book):
    ledger = {e["id"]: e for e in json.loads((built_book / "results/claims.json").read_text())}
    for cid in ("F9", "F10"):
        assert ledger[cid]["reason"] != "its notebook has not been executed"
        assert ledger[cid]["primary"]["p_value_adjusted"] is not None
    assert "sector contributes substantially" in ledger["F9"]["untestable_part"]
    county = _html(built_book, "book/executed/county-authorities.html")
    assert "Clopper" in county and "county authorities" in county
    index = _html(built_book, "book/index.html")
    assert "untestable" not in index and "no verdict" in index  # which half of F9, and why, not "untestable"


def test_a_claims_prose_file_is_shown_on_its_chapter_and_no_other(built_book, monkeypatch):
    """A claim's prose file (claims.yml ``prose``) is what its chapter says about it alone: shown on the page of its
    parameter set, and on no other page."""
    from conftest import notebook_words
    from vsr_analysis.claims.prose import claim_prose
    from vsr_analysis.claims.spec import load_claims

    monkeypatch.setenv("VSR_PROJECT_ROOT", str(built_book))
    claims = load_claims(built_book / "claims.yml")
    with_prose = [c for c in claims.claims if c.prose]
    assert with_prose
    for claim in with_prose:
        first_words = " ".join(claim_prose(claim.id).split()[:8])
        for name in load_runspec(built_book / "runspec.yml").names():
            shown = first_words in notebook_words(built_book / "book/executed" / f"{name}.ipynb")
            assert shown is (name == claim.parameter_set), (claim.id, name)
