"""The network claim's evidence: networks *and* collaboration across levels of government, as the instrument measures them.

"Networks, knowledge-sharing and collaboration across levels of government play a huge role" (VSR 2021) names
three things. The survey measures two of them:

* **networks**: which kinds of SDG network a municipality belongs to (``network_ks``, ``network_regional``,
  ``network_international``); :func:`with_network_kinds` counts them (0-3; 0 for a non-member), so that a
  municipality in the KS, a county and an international network counts for more than one in a single network;
* **collaboration across levels of government**: whether it works with the county authority on the SDGs
  (``cooperates_with_county``).

Knowledge sharing has no item and is left untested (``untestable_part`` in ``claims.yml``).

Both measured parts must go with higher maturity for the finding to be supported: an intersection-union test of
two one-sided Wald tests (HC0), each characteristic in its own weighted proportional-odds model of
``maturity_stage`` with the same controls as the anchoring claim (size, centrality, merger) and county fixed effects, so that a
network or county partner is compared among municipalities of the same size and place ("play a role" is more
than "the large ones are in networks", which the marginal group comparison of network members already reports). The
network measure is the count of kinds, not the group comparison's membership indicator, so the two are not one coefficient
counted twice.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from vsr_analysis.claims.conjunction_evidence import component_tests, conjunction_evidence
from vsr_analysis.stats.ordinal_model import fit_ordinal

NETWORK_KINDS = ("network_ks", "network_regional", "network_international")
#: The network claim's two measured parts: the model term and what it stands for.
NETWORK_TERM_LABELS = {
    "network_kinds": "networks: number of kinds of SDG network (KS, regional or county, international; 0-3)",
    "cooperates_with_county": "collaboration across levels of government: works with the county authority (0/1)",
}
NETWORK_METHOD = (
    "intersection-union test: largest of two one-sided Wald p-values (HC0), network_kinds and "
    "cooperates_with_county, each in its own weighted proportional-odds model of maturity_stage with size, "
    "centrality, merger and county fixed effects"
)


def with_network_kinds(data: pd.DataFrame) -> pd.DataFrame:
    """``data`` with ``network_kinds``: 0 for a non-member, else the number of kinds named (missing if a member
    left a kind unanswered, or membership is missing)."""
    member = pd.to_numeric(data["network_member"], errors="coerce").astype(float)
    kinds = sum(pd.to_numeric(data[k], errors="coerce").astype(float) for k in NETWORK_KINDS)
    count = np.where(member == 0, 0.0, np.where(member == 1, kinds, np.nan))
    return data.assign(network_kinds=count)


def conjunction_of(terms: Sequence[str]) -> str:
    """The id of the conjunction claim of ``claims.yml`` whose components are ``terms`` (its declared ``terms``)."""
    from vsr_analysis.claims.spec import cached_claims

    found = [c.id for c in cached_claims().of_kind("conjunction") if set(c.analysis.parameters["terms"]) == set(terms)]
    if len(found) != 1:
        raise LookupError(f"claims.yml: expected one conjunction of {list(terms)}, found {found or 'none'}")
    return found[0]


def network_kinds_evidence(
    data: pd.DataFrame,
    *,
    terms: Sequence[str] = NETWORK_TERM_LABELS,
    controls: Sequence[str],
    fixed_effects: Sequence[str],
    sesoi: float,
    alpha: float,
    weights: str | None = "weight",
    claim_id: str | None = None,
) -> tuple[pd.DataFrame, dict]:
    """The network claim's primary analysis: the component table (one row per measured part, with ``n``) and the evidence.

    ``primary.p_value`` is the larger of the two one-sided p-values; the "not supported" routes (a part
    significantly negative or shown negligible) are Bonferroni-adjusted over the two parts, as for the group-comparison conjunction.
    """
    d = with_network_kinds(data)
    tables = []
    for term in terms:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = fit_ordinal(
                d, "maturity_stage", [term, *controls], weights=weights, fixed_effects=list(fixed_effects) or None
            )
        tables.append(component_tests(fit.params, fit.bse, [term], sesoi, alpha).assign(n=int(fit.n)))
    table = pd.concat(tables, ignore_index=True)
    table["claim"] = claim_id or conjunction_of(terms)
    n = int(table["n"].min())
    part = "one-sided Wald test (HC0) of {term} > 0 in a weighted proportional-odds model with size, centrality, merger and county fixed effects"
    return table, {**conjunction_evidence(table, n, NETWORK_METHOD, part_method=part), "n": n}
