"""No template's code names a claim (issue 25): the run spec passes the claim a parameter set decides, a run by
hand takes the claim of the template's default parameter set, and titles, labels and the smallest effects of
interest come from the claim's entry in claims.yml (its id, its components). The book's prose (markdown cells)
may still speak of a finding by its name."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from vsr_analysis import paths
from vsr_analysis.claims.ledger import load_claims_spec
from vsr_analysis.inputs.runspec import load_runspec, template_parameters

TEMPLATES = sorted({p.template for p in load_runspec(paths.project_root() / "runspec.yml").parameter_sets})
CLAIM_IDS = [c["id"] for c in load_claims_spec()["claims"]]
#: a claim id as a word (F3 but not STRUCTURAL_TERMS, who-came-furthest or F30)
CLAIM_ID = re.compile(
    r"(?<![\w-])(" + "|".join(map(re.escape, sorted(CLAIM_IDS, key=len, reverse=True))) + r")(?![\w])"
)


def _code(template: Path) -> list[str]:
    nb = json.loads(template.read_text(encoding="utf-8"))
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.stem)
def test_no_claim_id_in_a_templates_code(template):
    found = [m.group(0) for code in _code(template) for m in CLAIM_ID.finditer(code)]
    assert not found, f"{template.name} names claim(s) {sorted(set(found))} in its code"


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.stem)
def test_a_claim_parameter_defaults_to_none(template):
    defaults = template_parameters(template)
    assert defaults.get("claim") is None
