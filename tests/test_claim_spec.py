"""claims.yml as typed claims (claims/spec.py): every entry declares outcome, population and analysis, and a wrong
declaration is refused with the entry and the field named."""

from __future__ import annotations

import copy
import pickle

import pytest
import yaml

from vsr_analysis import paths
from vsr_analysis.claims.ledger import LedgerError, load_claims_spec
from vsr_analysis.claims.spec import (
    ANALYSIS_KINDS,
    POPULATIONS,
    Claim,
    ClaimSpecError,
    claims_from_document,
    load_claims,
)
from vsr_analysis.inputs.runspec import load_runspec, template_parameters


@pytest.fixture(scope="module")
def document() -> dict:
    return yaml.safe_load(paths.claims_spec_path().read_text(encoding="utf-8"))


def test_every_claim_declares_its_meaning():
    spec = load_claims()
    assert spec.ids == tuple(c["id"] for c in load_claims_spec()["claims"])
    for claim in spec.claims:
        assert isinstance(claim, Claim)
        assert claim.analysis.kind in ANALYSIS_KINDS
        assert claim.population.units in POPULATIONS
        assert claim.outcome.items, claim.id
        if claim.is_share:
            assert claim.threshold is not None


def test_typed_claims_are_frozen_and_pickle():
    claim = load_claims().claims[0]
    with pytest.raises(AttributeError):
        claim.rule = "share_above"  # type: ignore[misc]
    with pytest.raises(TypeError):
        claim.rule_parameters["x"] = 1  # type: ignore[index]
    again = pickle.loads(pickle.dumps(claim))
    assert again == claim and again.as_dict() == claim.as_dict()


def test_the_entry_keeps_the_existing_fields(document):
    """The ledger reads the same entry it always did; the declarations are additions."""
    for raw, claim in zip(document["claims"], load_claims().claims, strict=True):
        assert claim.as_dict() == raw
        assert claim.rule == raw["rule"] and claim.parameter_set == raw["parameter_set"]


def test_components_name_their_conjunction():
    spec = load_claims()
    for claim in spec.claims:
        parent = claim.analysis.get("part_of")
        if parent is None:
            continue
        assert spec[parent].analysis.kind == "conjunction"
        assert claim.analysis["term"] in spec[parent].analysis["terms"]
        assert claim.evidence_part == claim.analysis["term"]  # the ledger reads the part by that name


def test_declared_terms_agree_with_the_chapters_parameters():
    """What a chapter analyses (its parameter set in runspec.yml) is what its claim declares."""
    runspec = load_runspec()
    for claim in load_claims().claims:
        pset = runspec.get(claim.parameter_set)
        params = {**template_parameters(pset.template), **pset.parameters}
        kind = claim.analysis.kind
        if kind == "ordinal_coefficient":
            assert params["term"] == claim.analysis["term"]
        if kind == "conjunction" and claim.analysis["components"] == "group_comparison":
            assert list(params["terms"]) == list(claim.analysis["terms"])
        if kind == "existence_count":
            assert params["condition"] == claim.analysis["condition"]
            assert params["top_stage"] == claim.outcome.min_stage == claim.rule_parameters["top_stage"]


def _broken(document, claim_id, change):
    doc = copy.deepcopy(document)
    entry = next(c for c in doc["claims"] if c["id"] == claim_id)
    change(entry)
    return doc


@pytest.mark.parametrize(
    ("claim_id", "change", "message"),
    [
        ("F6", lambda e: e.pop("outcome"), r"claim F6: missing 'outcome'"),
        ("F6", lambda e: e["outcome"].update(min_stage="two"), r"claim F6, outcome: 'min_stage' must be"),
        ("F6", lambda e: e["outcome"].update(colour="red"), r"claim F6, outcome: unknown field\(s\) \['colour'\]"),
        ("F10", lambda e: e["outcome"].update(any_of=["x"]), r"claim F10, outcome: name exactly one of"),
        ("F8", lambda e: e["outcome"].update(item="x"), r"claim F8, outcome: name exactly one of"),
        ("F6", lambda e: e["outcome"].update(ranked=["x", "y"]), r"claim F6, outcome: name exactly one of"),
        ("F8", lambda e: e["analysis"].update(top=["x"]), r"claim F8, analysis: 'top' must be some, not all"),
        ("F8", lambda e: e["analysis"].pop("top"), r"claim F8, analysis: kind share_ranking needs"),
        ("F8", lambda e: e["population"].update(units="regions"), r"claim F8, population: 'units' is 'regions'"),
        ("F1", lambda e: e["analysis"].update(kind="regression"), r"claim F1, analysis: 'kind' is 'regression'"),
        ("F1", lambda e: e["analysis"].pop("term"), r"claim F1, analysis: kind ordinal_coefficient needs"),
        ("F1", lambda e: e["analysis"].update(seed=3), r"claim F1, analysis: kind ordinal_coefficient takes no"),
        ("F3a", lambda e: e["analysis"].update(part_of="F99"), r"claim F3a, analysis: part_of names 'F99'"),
        ("F6", lambda e: e["rule_parameters"].pop("threshold"), r"claim F6, rule_parameters: a share analysis"),
        ("F1", lambda e: e["outcome"].update(domain="x"), r"claim F1, outcome: 'any_of' and 'domain' apply"),
        ("F2", lambda e: e.update(rule="most"), r"claim F2, rule: unknown rule 'most'"),
        # the interval a share claim is decided on: declared, known, and only where there is a choice
        ("F6", lambda e: e["analysis"].update(variance="exact"), r"claim F6, analysis: 'variance' is 'exact'; known"),
        ("F6", lambda e: e["analysis"].pop("variance"), r"claim F6, analysis: 'variance' must name the interval"),
        (
            "F8-county",
            lambda e: e["analysis"].update(variance="assumption_light"),
            r"claim F8-county, analysis: 'variance' applies to a share of the municipalities only",
        ),  # fmt: skip
        ("F1", lambda e: e["analysis"].update(variance="assumption_light"), r"claim F1, analysis: kind .* takes no"),
        # a prose file stays inside the project and is Markdown
        ("F7", lambda e: e.update(prose="../elsewhere.md"), r"claim F7, prose: must be the path of a \.md file"),
        ("F7", lambda e: e.update(prose="/etc/passwd.md"), r"claim F7, prose: must be the path of a \.md file"),
        ("F7", lambda e: e.update(prose="book/prose/x.txt"), r"claim F7, prose: must be the path of a \.md file"),
        ("F6", lambda e: e.update(prose=["a.md"]), r"claim F6, prose: must be the path of a \.md file"),
    ],
)
def test_a_wrong_declaration_names_the_entry_and_field(document, claim_id, change, message):
    from vsr_analysis.claims.ledger import RULES

    with pytest.raises(ClaimSpecError, match=message):
        claims_from_document(_broken(document, claim_id, change), rules=RULES)


def test_the_ledgers_loader_refuses_a_wrong_declaration(document, tmp_path):
    path = tmp_path / "claims.yml"
    path.write_text(yaml.safe_dump(_broken(document, "F7", lambda e: e.pop("population"))), encoding="utf-8")
    with pytest.raises(LedgerError, match=r"claim F7: missing 'population'"):
        load_claims_spec(path)
    with pytest.raises(ClaimSpecError, match=r"claim F7: missing 'population'"):
        load_claims(path)


def test_duplicate_ids_are_refused(document):
    doc = copy.deepcopy(document)
    doc["claims"].append(copy.deepcopy(doc["claims"][0]))
    with pytest.raises(ClaimSpecError, match=r"duplicate claim ids \['F1'\]"):
        claims_from_document(doc)


def test_share_claims_declare_the_interval_they_are_decided_on():
    """Every share claim on the municipalities names its decision interval (analysis.variance) and the typed claim
    maps it to the linearisation variance; nothing else has one."""
    from vsr_analysis.claims.spec import SHARE_VARIANCES, share_variance

    spec = load_claims()
    municipal = spec.of_kind("share_vs_threshold", units="municipalities")
    assert municipal
    for claim in spec.claims:
        if claim in municipal:
            assert claim.analysis["variance"] in SHARE_VARIANCES
            assert claim.share_variance == SHARE_VARIANCES[claim.analysis["variance"]]
            assert share_variance(claim.as_dict()) == claim.share_variance
        else:
            assert claim.share_variance is None, claim.id
