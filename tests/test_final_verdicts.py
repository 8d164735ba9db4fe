"""Chapters carry the ledger's final verdict next to their own unadjusted decision, once, never stale."""

import nbformat

from vsr_analysis.build.final_verdicts import TAG, final_verdict_markdown, stamp_final_verdicts
from vsr_analysis.build.page_titles import set_page_title


def _chapter(path, claim="F9"):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Template heading\n\nIntro."),
        nbformat.v4.new_code_cell("ctx.evidence()"),
    ]
    nb.cells[1].outputs = [
        nbformat.v4.new_output(
            "display_data", data={"text/markdown": f":::{{admonition}} Decision for {claim}: supported\n:::"}
        )
    ]
    nb.cells.append(nbformat.v4.new_code_cell("more()"))
    nbformat.write(nb, path)


def _entry(verdict, p_adj):
    return {
        "id": "F9",
        "verdict": verdict,
        "reason": "p = 0.04 < 0.05",  # the ledger's reason names the p-value the verdict used
        "parameter_set": "f9",
        "confirmatory": True,
        "multiplicity": "Holm across the confirmatory family",
        "alpha": 0.05,
        "primary": {"p_value": 0.04, "p_value_adjusted": p_adj},
    }


def test_final_verdict_goes_right_after_the_decision_box_and_replaces_an_older_one(tmp_path):
    _chapter(tmp_path / "f9.ipynb")
    assert stamp_final_verdicts(tmp_path, [_entry("supported", 0.04)]) == []
    assert stamp_final_verdicts(tmp_path, [_entry("inconclusive", 0.12)]) == []  # a later run, Holm changed it
    nb = nbformat.read(tmp_path / "f9.ipynb", as_version=4)
    stamped = [i for i, c in enumerate(nb.cells) if TAG in c.metadata.get("tags", [])]
    assert stamped == [2]
    assert "Final verdict for F9 (ledger): inconclusive" in nb.cells[2].source
    # a pointer to the verdict card, with the ledger's reason and its p-value labelled as Holm-adjusted
    assert "verdict card at the top of this page" in nb.cells[2].source
    assert "Holm-adjusted p = 0.040" in nb.cells[2].source


def test_missing_decision_box_is_reported(tmp_path):
    nbformat.write(nbformat.v4.new_notebook(), tmp_path / "f9.ipynb")
    assert stamp_final_verdicts(tmp_path, [_entry("supported", 0.04)]) == ["f9"]


def test_secondary_analysis_is_labelled_as_such():
    text = final_verdict_markdown({"verdict": "supported", "parameter_set": "x"}, secondary_of="F4")
    assert "secondary analysis of F4" in text


def test_page_title_replaces_the_template_heading():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Shared template heading\n\nIntro.")]
    set_page_title(nb, "F5: networks matter")
    assert nb.cells[0].source.splitlines()[0] == "# F5: networks matter"
    empty = nbformat.v4.new_notebook()
    set_page_title(empty, "Only a title")
    assert empty.cells[0].source == "# Only a title"


def test_component_claims_are_stamped_after_their_parents_box_in_ledger_order(tmp_path):
    _chapter(tmp_path / "f3.ipynb", claim="F3")
    entries = [dict(_entry("inconclusive", 0.2), id=i, parameter_set="f3") for i in ("F3", "F3a", "F3b")]
    for _ in range(2):  # a second run gives the same notebook
        assert stamp_final_verdicts(tmp_path, entries) == []
        nb = nbformat.read(tmp_path / "f3.ipynb", as_version=4)
        stamped = [c.source.split("\n")[0] for c in nb.cells if TAG in c.metadata.get("tags", [])]
        assert [s.split("Final verdict for ")[1].split(" ")[0] for s in stamped] == ["F3", "F3a", "F3b"]
