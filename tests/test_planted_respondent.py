"""A planted respondent: Oslo gives an answer nobody else gives; no published artefact may reveal it (issue 13).

The survey file is a synthetic replica handed in with ``--survey`` (so the run is confidential), changed so that
Oslo (knr 0301) is the only municipality at the top maturity stage.  Every chapter is run on it:

* no chapter may even try to publish unit-level output: the guards of ``chapter.Context`` refuse it, and the
  run then fails naming the chapter (``test_no_chapter_tries_to_publish_unit_level_output``);
* the chapters that pass are published and built into the book, and no artefact — ledger, result CSVs,
  executed notebooks, generated pages, HTML — names Oslo, prints its population, or counts its lone answer
  (``test_no_published_artefact_reveals_the_planted_respondent``).
"""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from conftest import PLANTED_TOP as TOP

pytestmark = pytest.mark.slow


def test_no_chapter_tries_to_publish_unit_level_output(planted_build):
    _, full, refused, failed, _ = planted_build
    assert failed == [], (
        f"chapters refused by the disclosure guards: {refused}; other failures: "
        f"{sorted(set(failed) - set(refused))}\n{full.stderr[-4000:]}"
    )


def test_only_disclosure_guards_stop_chapters(planted_build):
    """Whatever fails on the planted file fails because a guard refused unit-level output, not by accident."""
    _, full, refused, failed, _ = planted_build
    assert failed == refused, full.stderr[-4000:]


def test_no_published_artefact_reveals_the_planted_respondent(planted_build):
    root, _, _, _, book = planted_build
    assert book.returncode == 0, book.stderr[-4000:]  # the build's own scan (scan_published) passed
    from vsr_analysis.data.register import load_register

    register = load_register()
    oslo = register[register["knr"] == "0301"].iloc[0]
    populations = {int(oslo["population_2020"]), int(oslo["population_2021"])}
    forms = (
        {f"{p}" for p in populations}
        | {f"{p:,}" for p in populations}
        | {f"{p:,}".replace(",", " ") for p in populations}
    )
    published = [p for base in ("results", "book/executed", "book/generated") for p in (root / base).rglob("*")]
    published += list((root / "_build/html/book").rglob("*.html"))
    always_synthetic = {
        p.stem
        for p in (root / "book/executed").glob("*.ipynb")
        if json.loads(p.read_text()).get("metadata", {}).get("vsr", {}).get("always_synthetic")
    }
    for path in published:
        if not path.is_file() or path.suffix not in {".csv", ".json", ".ipynb", ".md", ".html"}:
            continue
        if path.stem in always_synthetic:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if path.suffix == ".ipynb":  # outputs only: the template's own prose may name places
            nb = json.loads(text)
            text = json.dumps([c.get("outputs", []) for c in nb["cells"]])
        for form in forms:
            assert not re.search(rf"(?<![\d,]){re.escape(form)}(?![\d])", text), f"{path}: Oslo's population {form}"
        assert not re.search(r"(?<![\w.])0301(?![\w.])", text), f"{path}: Oslo's municipality number"
    # the lone answer is never a published count
    for csv in (root / "results").rglob("*.csv"):
        table = pd.read_csv(csv, dtype=str)
        stage_cols = [c for c in table.columns if "stage" in c.lower()]
        for col in stage_cols:
            top_rows = table[table[col].astype(str).str.strip().isin([str(TOP), f"{TOP}.0"])]
            counts = [c for c in table.columns if re.search(r"(^n$|^n_|count|municipalit)", c, flags=re.I)]
            for c in counts:
                assert not top_rows[c].astype(str).isin(["1", "1.0"]).any(), f"{csv.name}: a count of 1 at stage {TOP}"


def test_no_published_file_names_the_survey_files_folder(planted_build):
    root, _, _, _, _ = planted_build
    folder = str(root.parent / "private")
    for base in ("results", "book/executed", "book/generated", "_build/html"):
        for path in (root / base).rglob("*"):
            if path.is_file() and path.suffix in {".csv", ".json", ".ipynb", ".md", ".html"}:
                assert folder not in path.read_text(encoding="utf-8", errors="replace"), path


def test_published_numbers_are_coarse_and_verdicts_decided_at_full_precision(planted_build, tmp_path):
    """The ledger and the evidence files of a confidential run go out at the tables' precision (shares in whole
    percent points), while every verdict is the one the full-precision evidence gives (kept privately)."""
    import shutil

    from vsr_analysis.claims.ledger import build_ledger
    from vsr_analysis.claims.spec import load_claims

    root = planted_build[0]
    share_ids = {c.id for c in load_claims().claims if c.is_share}
    published = json.loads((root / "results" / "claims.json").read_text(encoding="utf-8"))
    rounded_somewhere = False
    for entry in published:
        for key in ("estimate", "ci_low", "ci_high"):
            value = entry.get("primary", {}).get(key)
            if isinstance(value, float) and entry["id"] in share_ids:
                assert value == round(value, 2), (entry["id"], key, value)
    kept = root / ".vsr-release" / "evidence"
    full = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in kept.glob("*.json")}
    assert full, "the full-precision evidence is kept privately for reruns"
    results = tmp_path / "results"
    shutil.copytree(root / "results", results)

    def primaries(ev: dict) -> dict:
        """Each primary block of an evidence file: its own, and each part's (a chapter deciding several claims,
        such as the county chapter, records them as parts)."""
        out = {"": ev["primary"]} if "primary" in ev else {}
        out.update({k: p["primary"] for k, p in (ev.get("parts") or {}).items() if "primary" in p})
        return out

    for name, evidence in full.items():
        coarse = primaries(json.loads((results / name / "evidence.json").read_text(encoding="utf-8")))
        full_blocks = primaries(evidence)
        assert set(full_blocks) == set(coarse), name
        for key, block in full_blocks.items():
            estimate = block.get("estimate")
            if isinstance(estimate, float) and estimate != coarse[key].get("estimate"):
                rounded_somewhere = True
        (results / name / "evidence.json").write_text(json.dumps(evidence), encoding="utf-8")
    assert rounded_somewhere, "some published estimate differs from its full-precision value"
    decided = {e["id"]: e["verdict"] for e in build_ledger(results)}
    assert decided == {e["id"]: e["verdict"] for e in published}
