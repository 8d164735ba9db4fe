"""Verdict cards and the claims page: a policy reader's scale, readable p-values, the simulation's chances."""

import math
import re
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pandas as pd
import pytest

from vsr_analysis.build import claims_glance, generated_pages, oc_summary
from vsr_analysis.build import verdict_card as vc
from vsr_analysis.build.glossary import TERMS, TermLinker, anchor, glossary_terms, plain
from vsr_analysis.build.sphinx_reproduce import bibtex_from_cff, simulate_command, timings_from_readme
from vsr_analysis.claims.ledger import load_claims_spec

ROOT = Path(__file__).resolve().parents[1]
SYNTHETIC = SimpleNamespace(kind="synthetic", spec="synthetic:vsr-narrative:2021")


def _entry(cid, rule, verdict="supported", multiplicity="Holm across the confirmatory family", **primary):
    base = {
        "method": "m",
        "estimate": 0.5,
        "ci_low": 0.2,
        "ci_high": 0.8,
        "p_value": 1e-5,
        "p_value_adjusted": 8.8e-130,
    }
    base.update(primary)
    return {
        "id": cid,
        "finding": f"finding {cid}",
        "verdict": verdict,
        "reason": f"one-sided p = {base['p_value_adjusted']} < 0.05",
        "rule": rule,
        "multiplicity": multiplicity,
        "parameter_set": cid.lower(),
        "primary": base,
        "n": 100,
    }


def test_log_odds_become_an_odds_ratio_with_the_comparison_named():
    e = _entry("F1", "directional", estimate=0.43, ci_low=0.22, ci_high=0.64)
    est = vc.estimate(e, {"rule_parameters": {"sesoi_log_odds": 0.2}}, None)
    assert est.value == f"odds ratio {math.exp(0.43):.2f} [{math.exp(0.22):.2f}, {math.exp(0.64):.2f}]"
    assert "odds ratio" in est.value and "two-sided" in est.needed
    # population enters as ln(inhabitants): the odds ratio is stated per doubling
    comp = vc.estimate(_entry("F3b", "one_sided", estimate=0.87), {"evidence_part": "log_population"})
    assert comp.value.startswith(f"odds ratio {math.exp(0.87 * math.log(2)):.2f} ")
    assert "doubling" in comp.unit


def test_conjunction_takes_the_weakest_parts_interval_from_the_evidence():
    e = _entry("F5", "intersection_union", estimate=1.1, ci_low=None, ci_high=None, weakest_component="network_kinds")
    ev = {"parts": {"network_kinds": {"primary": {"ci_low": 0.6, "ci_high": 1.6}}}}
    est = vc.estimate(e, {}, ev)
    assert f"[{math.exp(0.6):.2f}, {math.exp(1.6):.2f}]" in est.value and "weakest part" in est.unit


def test_share_is_a_percentage_with_its_distance_from_the_level_in_percentage_points():
    est = vc.estimate(
        _entry("F6", "share_above", estimate=0.62, ci_low=0.55, ci_high=0.68), {"rule_parameters": {"threshold": 0.5}}
    )
    assert est.value == "62 % [55 %, 68 %]; +12 percentage points from the 50 % level"
    assert "356 municipalities" in est.unit and "above 50 %" in est.needed


def test_p_values_are_readable_and_named_as_what_they_are():
    assert vc.fmt_p(8.8e-130) == "< 0.001" and vc.fmt_p(0.0123) == "0.012" and vc.fmt_p(None) == "–"
    label, value = vc.p_label(_entry("F6", "share_above"))
    assert label == "one-sided p, Holm-adjusted" and value == "< 0.001"
    assert vc.p_label(_entry("F4", "existence"))[1].startswith("not used")
    reason = vc.readable_reason(_entry("F2", "share_above"))
    assert "e-130" not in reason and "Holm-adjusted one-sided p < 0.001" in reason


def _oc():
    return pd.DataFrame(
        [
            ("a", "F1", "holds", 900, 0.9),
            ("b", "F1", "holds", 100, 0.5),
            ("null", "F1", "fails", 1000, 0.02),
            ("c", "F1", "fails", 10, 0.3),  # too few seeds to be the worst case
        ],
        columns=["scenario", "claim", "truth", "n_seeds", "supported"],
    )


def test_chance_of_supported_is_pooled_over_seeds_with_the_worst_scenario():
    c = vc.chances(_oc(), "F1")
    assert c.if_true == pytest.approx((900 * 0.9 + 100 * 0.5) / 1000) and c.n_true == 1000
    assert c.lowest_true == ("b", 0.5)
    assert c.if_false == pytest.approx((1000 * 0.02 + 10 * 0.3) / 1010) and c.highest_false == ("null", 0.02)
    assert vc.chances(_oc(), "F9").if_true is None


def test_oc_table_of_the_page_is_read_and_a_stale_stored_run_is_said(tmp_path):
    res, stored = tmp_path / "results", tmp_path / "stored"
    (res / vc.OC_PAGE).mkdir(parents=True)
    stored.mkdir()
    _oc().assign(data="SIMULATED")[["data", *_oc().columns]].to_csv(res / vc.OC_PAGE / "operating_characteristics.csv")
    _oc().to_csv(stored / "operating_characteristics.csv", index=False)
    oc, text = vc.load_oc(res, stored)
    assert "null" in set(oc["scenario"]) and "stored simulation run" in text
    _oc().assign(supported=0.1).to_csv(stored / "operating_characteristics.csv", index=False)
    assert "small run made while this book was built" in vc.load_oc(res, stored)[1]


def _chapter(path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("parameters"),
        nbformat.v4.new_markdown_cell("# F6 — the title\n\n**What the report says.** A long introduction."),
        nbformat.v4.new_code_cell("ctx.evidence()"),
    ]
    nbformat.write(nb, path)


def test_card_goes_right_under_the_title_once_and_the_introduction_follows(tmp_path, monkeypatch):
    _chapter(tmp_path / "master-plan.ipynb")
    entry = _entry("F6", "share_above", estimate=0.62, ci_low=0.55, ci_high=0.68)
    entry["parameter_set"] = "master-plan"
    for verdict in ("supported", "inconclusive"):  # a second run replaces the first card
        entry["verdict"] = verdict
        assert vc.stamp_verdict_cards(tmp_path, [entry], tmp_path / "results", simulated=True) == ["master-plan"]
    nb = nbformat.read(tmp_path / "master-plan.ipynb", as_version=4)
    sources = [c.source for c in nb.cells]
    cards = [i for i, c in enumerate(nb.cells) if vc.TAG in c.metadata.get("tags", [])]
    assert cards == [2] and sources[1] == "# F6 — the title"
    assert sources[3].startswith("**What the report says.**")
    card = sources[2]
    assert "verdict: inconclusive (SIMULATED data)" in card and "{term}`inconclusive <Inconclusive>`" in card
    assert "62 % [55 %, 68 %]" in card and "one-sided p, {term}`Holm <Holm>`-adjusted:** < 0.001" in card


def test_claims_page_lists_the_reports_ten_findings_with_components_nested():
    spec = load_claims_spec()
    ledger = [_entry(c["id"], c["rule"]) for c in spec["claims"]]
    page = generated_pages.claims_page(ledger, SYNTHETIC, results_dir=None)
    findings = [c["id"] for c in spec["claims"] if not claims_glance.is_component(c["id"])]
    county = [c["id"] for c in spec["claims"] if c["population"]["units"] == "county_authorities"]
    assert len(findings) - len(county) == 10 and county
    assert f"The report makes **{len(findings) - len(county)} findings**" in page
    assert f"the ledger decides **{len(findings)} claims**" in page
    rows = re.findall(r'<tr id="claim-([a-z0-9-]+)" class="(finding|component)"', page)
    assert [r for r, k in rows if k == "finding"] == [f.lower() for f in findings]
    assert [r for r, k in rows if k == "component"] == ["f3a", "f3b", "f3c", "f3d"]
    assert rows.index(("f3a", "component")) == rows.index(("f3", "finding")) + 1
    assert "e-130" not in page and "&lt; 0.001" in page and "one-sided p, Holm-adjusted" in page
    assert "inconclusive" in page and vc.VERDICT_MEANING["inconclusive"] in page
    assert page.count("simulated") >= len(ledger)  # every badge carries the label


def test_claims_page_links_each_claim_to_its_own_row_of_the_oc_page(tmp_path):
    spec = load_claims_spec()
    ledger = [_entry(c["id"], c["rule"]) for c in spec["claims"]]
    (tmp_path / vc.OC_PAGE).mkdir()
    oc = pd.DataFrame(
        [(s, c["id"], "holds", 10, 0.8) for c in spec["claims"] for s in ("x", "y")],
        columns=["scenario", "claim", "truth", "n_seeds", "supported"],
    )
    oc.to_csv(tmp_path / vc.OC_PAGE / "operating_characteristics.csv", index=False)
    page = generated_pages.claims_page(ledger, SYNTHETIC, True, tmp_path)
    links = re.findall(r'class="oc-link" href="([^"]+)"', page)
    assert links == [f"../executed/{vc.OC_PAGE}.html#oc-{e['id'].lower()}" for e in ledger]
    assert "80 %" in page and "no scenario makes it false" in page
    summary = oc_summary.summary_html(oc)
    assert all(f'id="oc-{c["id"].lower()}"' in summary for c in spec["claims"])


def test_glossary_defines_every_linked_term_and_links_each_once_per_page():
    defined = glossary_terms()
    assert set(TERMS) <= set(defined), sorted(set(TERMS) - set(defined))
    t = TermLinker("../")
    assert t.md("HC0") == "{term}`HC0 <HC0>`" and t.md("HC0") == "HC0"
    assert t.html("Wilson interval").endswith(f'glossary.html#{anchor("Wilson interval")}">Wilson interval</a>')
    assert anchor("Bell–McCaffrey") == "term-BellMcCaffrey" and anchor("Wilson interval") == "term-Wilson-interval"
    with pytest.raises(KeyError):
        t.md("not a term")
    assert plain("coefficient of `merged_2017_2020` alone") == "coefficient of merged 2017–2020 alone"


def test_reproduce_page_material_is_made_from_the_projects_files():
    import yaml

    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    bib = bibtex_from_cff(ROOT / "CITATION.cff")
    assert bib.startswith("@software{") and cff["title"] in bib and f"version = {{{cff['version']}}}" in bib
    assert bib.count("\n@") == len(cff.get("references", []))
    times = timings_from_readme(ROOT / "README.md")
    readme = (ROOT / "README.md").read_text()
    cold = re.search(r"^\| cold build[^|]*\| ([^|]+?) \|", readme, flags=re.M).group(1)
    assert f"**{cold}**" in times and "measured 20" in times
    assert "vsr simulate" in simulate_command(ROOT / "data" / "operating-characteristics")


def test_existence_claim_card_says_it_rests_on_a_count_not_a_test():
    e = _entry("F4", "existence", estimate=12, ci_low=None, ci_high=None, p_value=None, p_value_adjusted=None)
    card = vc.card_markdown(e, {"rule_parameters": {"min_cases": 3}}, None, None, "", simulated=True)
    assert "12 — municipalities below the threshold" in card and "at least 3" in card and "a count" in card
    assert "municipalities municipalities" not in card
    assert "5 % level" not in card and "95 %" not in card
    share = vc.card_markdown(_entry("F6", "share_above"), {}, None, None, "", simulated=False)
    assert "5 % level" in share and "95 %" in share and "SIMULATED" not in share


def test_nca_ceiling_in_a_reason_carries_the_conditions_unit():
    reason = "12 validated counterexample(s) (needed 3); the ceiling requires 1,518"
    for pset, unit in (
        ("size-not-a-prerequisite", "inhabitants"),
        ("centrality-not-a-prerequisite", "points of the SSB centrality index"),
    ):
        text = vc.readable_reason({"reason": reason, "parameter_set": pset, "multiplicity": "none"})
        assert f"requires 1,518 {unit}" in text
    assert vc.readable_reason({"reason": reason, "parameter_set": "master-plan"}).endswith("requires 1,518")


def test_plain_labels_and_a_missing_method():
    from vsr_analysis.build.glossary import plain

    assert plain(None) == ""  # a chapter that recorded no method (one respondent): no crash on the claims page
    assert "merged 2017" in plain("the coefficient of merged_2017_2020")


def test_terms_stay_plain_in_a_book_without_the_glossary(tmp_path, monkeypatch):
    """A book built from a trimmed _toc.yml without the glossary: no {term} role (Sphinx would warn, and warnings
    are errors), and in_book says which pages are there."""
    from vsr_analysis import paths
    from vsr_analysis.build import glossary

    toc = tmp_path / "_toc.yml"
    toc.write_text("format: jb-book\nroot: book/index\nchapters:\n- file: book/generated/claims\n")
    monkeypatch.setattr(paths, "project_root", lambda: tmp_path)
    assert glossary.in_book("book/generated/claims") and glossary.in_book("book/index")
    assert not glossary.in_book("book/glossary")
    linker = glossary.TermLinker()
    assert linker.md("Holm") == "Holm" and "{term}" not in linker.md("TOST", "equivalence test")
    toc.write_text(toc.read_text() + "- file: book/glossary\n")
    assert glossary.TermLinker().md("Holm") == "{term}`Holm <Holm>`"


def test_a_chapter_deciding_two_claims_gets_a_card_for_each(tmp_path):
    """The county chapter decides F8-county and F10-county (each an evidence part, neither a component of F8 or
    F10): one card each under the title, in ledger order, replaced (not doubled) by a second stamp."""
    _chapter(tmp_path / "county-authorities.ipynb")
    spec = {c["id"]: c for c in load_claims_spec()["claims"]}
    assert vc.component_of(spec["F3a"]) == "F3"
    assert vc.component_of(spec["F8-county"]) is None and vc.component_of(spec["F10-county"]) is None
    assert not claims_glance.is_component("F8-county") and not claims_glance.is_component("F10-county")
    exploratory = "exploratory (no family-wise adjustment)"
    entries = [
        {**_entry("F8-county", "share_above", multiplicity=exploratory, estimate=0.7), "n": 10},
        _entry("F10-county", "noninferior", multiplicity=exploratory, estimate=0.27, ci_low=0.04, ci_high=0.5),
    ]
    for e in entries:
        e["parameter_set"] = "county-authorities"
    for _ in range(2):
        vc.stamp_verdict_cards(tmp_path, entries, tmp_path / "results", simulated=True)
    nb = nbformat.read(tmp_path / "county-authorities.ipynb", as_version=4)
    cards = [c.source for c in nb.cells if vc.TAG in c.metadata.get("tags", [])]
    assert [c.split(" — ")[0] for c in cards] == [":::{admonition} F8-county", ":::{admonition} F10-county"]
    assert "of the 10 county authorities that answered" in cards[0]
    margin = 100 * float(spec["F10-county"]["rule_parameters"]["margin"])
    assert "+27 percentage points" in cards[1] and f"−{margin:.0f} percentage points" in cards[1]
    assert vc.EXPLORATORY_SUPPORTED in cards[1] and "after adjustment" not in cards[1]


def _mde_table(ids) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"claim": cid, "kind": "share_vs_threshold", "effect_scale": "true share of the outcome in the frame",
             "null_effect": 0.5, "holm_adjusted": True, "mde_alpha": 0.5 + (i + 1) / 1000, "mde_se_alpha": 0.004,
             "status_alpha": "interpolated", "mde_holm": 0.6, "mde_se_holm": 0.005, "status_holm": "interpolated"}
            for i, cid in enumerate(ids)
        ]
    )  # fmt: skip


def test_the_card_and_the_claims_page_state_the_mde_the_power_page_wrote(tmp_path):
    from vsr_analysis.claims.power_statement import MDE_TABLE, PAGE

    spec = load_claims_spec()
    ledger = [_entry(c["id"], c["rule"]) for c in spec["claims"]]
    res = tmp_path / "results"
    (res / PAGE).mkdir(parents=True)
    table = _mde_table([c["id"] for c in spec["claims"]])
    table.assign(data="SIMULATED")[["data", *table.columns]].to_csv(res / PAGE / f"{MDE_TABLE}.csv", index=False)
    page = generated_pages.claims_page(ledger, SYNTHETIC, True, res)
    assert "<th>Detectable with 80 % power</th>" in page and "What could the survey detect?" in page
    cells = re.findall(r'<td data-label="Detectable with 80 % power">([^<]*)</td>', page)
    assert len(cells) == len(ledger)
    for i, cell in enumerate(cells):  # each row its own claim's MDE, from the table
        assert f"{100 * (0.5 + (i + 1) / 1000):.1f} %" in cell and "60.0 %" in cell
    _chapter(tmp_path / "master-plan.ipynb")
    entry = _entry("F6", "share_above", estimate=0.62, ci_low=0.55, ci_high=0.68)
    entry["parameter_set"] = "master-plan"
    vc.stamp_verdict_cards(tmp_path, [entry], res, simulated=True)
    card = next(c.source for c in nbformat.read(tmp_path / "master-plan.ipynb", 4).cells if vc.TAG in c.metadata.get("tags", []))  # fmt: skip
    f6 = table[table["claim"] == "F6"].iloc[0]
    assert "Smallest effect detected with 80 % power" in card and f"{100 * f6['mde_alpha']:.1f} %" in card
    assert "power-design.html" in card
    # without the power page's table neither says anything about power
    (res / PAGE / f"{MDE_TABLE}.csv").unlink()
    bare = generated_pages.claims_page(ledger, SYNTHETIC, True, res)
    assert set(re.findall(r'<td data-label="Detectable with 80 % power">([^<]*)</td>', bare)) == {"–"}
    assert "What could the survey detect?" not in bare


def test_chance_text_and_the_claims_pages_detail_are_one_function():
    c = vc.chances(_oc(), "F1")
    for truth in ("true", "false"):
        rate, detail = vc.chance_detail(c, truth)
        assert vc.chance_text(c, truth) == f"{rate} {detail}" and claims_glance._worst(c, truth) == detail
    none = vc.Chances(None, 0, None, None, 0, None)
    assert vc.chance_text(none, "false") == claims_glance._worst(none, "false") == "no scenario makes it false"


def test_a_small_scenario_that_did_worse_than_the_named_worst_is_said_with_its_size():
    # "c" makes F1 false in 10 surveys only: too few to be named the worst scenario, but its 3 of 10 must be seen
    c = vc.chances(_oc(), "F1")
    assert c.highest_false == ("null", 0.02) and c.few_false == ("c", 3, 10) and c.few_true is None
    assert vc.chance_text(c, "false").endswith(
        "highest 2.0 % (null); in c, where it is false in only 10 surveys, 3 of 10"
    )
    assert "in c" in claims_glance._worst(c, "false") and "in c" not in vc.chance_text(c, "true")
    assert "in c, where it is false in only 10 surveys, 3 of 10" in oc_summary.summary_html(_oc())
    # a small scenario that did better than the named worst is not mentioned
    better = _oc().assign(supported=[0.9, 0.5, 0.02, 0.0])
    one = _oc().assign(n_seeds=[900, 100, 1000, 1], supported=[0.9, 0.5, 0.02, 1.0])
    assert vc.chance_text(vc.chances(one, "F1"), "false").endswith("where it is false in only 1 survey, 1 of 1")
    assert vc.chances(better, "F1").few_false is None and "in c" not in vc.chance_text(
        vc.chances(better, "F1"), "false"
    )
