"""Sentences that say where a robustness row disagrees with the primary result, computed from the table.

A chapter's robustness table puts the primary analysis in its first row and each variant (another weighting,
another variance, a control added, a register-based measure) below it.  A reader should not have to scan the
table to learn that a variant changes the answer: :func:`disagreement_sentences` names every row that

* reaches another decision under the claim's rule than the primary row,
* loses (or gains) significance at the stated level,
* and, for an effect on a scale where 0 means "no effect" (a coefficient), changes sign, or is less than half or
  more than twice the primary estimate,

and says in one sentence when no row does.  Only numbers of the table enter the sentences.
"""

from __future__ import annotations

import math

import pandas as pd

__all__ = ["disagreement_sentences", "p_text"]

VERDICTS = ("supported", "not supported", "inconclusive")


def p_text(p: float) -> str:
    """'p < 0.001' or 'p = 0.012'."""
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _number(value) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


def _row_findings(row: pd.Series, primary: pd.Series, est: str, p_col: str | None, decision: str | None,
                  alpha: float, effect: bool) -> list[str]:  # fmt: skip
    found = []
    # a row that reports something else than a verdict (e.g. "positive and significant" for a linear model on
    # another scale) is not a decision under the claim's rule
    if decision and row.get(decision) in VERDICTS and row.get(decision) != primary.get(decision):
        found.append(f"the rule would say **{row[decision]}** (primary: **{primary[decision]}**)")
    p, p0 = (_number(row.get(p_col)), _number(primary.get(p_col))) if p_col else (None, None)
    if p is not None and p0 is not None:
        if p0 < alpha <= p:
            found.append(f"the test loses significance at α = {alpha:g} ({p_text(p)}; primary {p_text(p0)})")
        elif p < alpha <= p0:
            found.append(f"the test becomes significant at α = {alpha:g} ({p_text(p)}; primary {p_text(p0)})")
    e, e0 = _number(row.get(est)), _number(primary.get(est))
    if effect and e is not None and e0 not in (None, 0.0):
        if e * e0 < 0:
            found.append(f"the estimate changes sign ({e:.3f} against {e0:.3f})")
        elif abs(e) < 0.5 * abs(e0):
            found.append(f"the estimate is less than half the primary one ({e:.3f} against {e0:.3f})")
        elif abs(e) > 2 * abs(e0):
            found.append(f"the estimate is more than twice the primary one ({e:.3f} against {e0:.3f})")
    return found


def disagreement_sentences(
    table: pd.DataFrame,
    *,
    label: str,
    estimate: str,
    alpha: float,
    p_value: str | None = "p_value",
    decision: str | None = "decision",
    effect: bool = False,
    other_scale: tuple[str, ...] | list[str] = (),
) -> list[str]:
    """One sentence per row of ``table`` (after the first, the primary) that disagrees with the primary row.

    ``label`` names the column that describes each row, ``estimate`` the estimate's column; ``p_value`` and
    ``decision`` columns are used when given and present.  ``effect`` marks estimates on a scale where 0 is no
    effect (coefficients), for which a change of sign, or a size below half or above twice the primary, counts
    as a disagreement; rows named in ``other_scale`` (e.g. a linear model beside log-odds) are compared on
    decision and significance only.  With no disagreement the list holds one sentence saying so.
    """
    if len(table) < 2:
        return []
    p_col = p_value if p_value in table.columns else None
    dec_col = decision if decision in table.columns else None
    primary = table.iloc[0]
    sentences = []
    for _, row in table.iloc[1:].iterrows():
        same_scale = effect and row[label] not in other_scale
        found = _row_findings(row, primary, estimate, p_col, dec_col, alpha, same_scale)
        if found:
            sentences.append(f"Under *{row[label]}*, " + "; ".join(found) + ".")
    if not sentences:
        checks = ["the same decision" if dec_col else None, "the same side of α" if p_col else None]
        checks.append("the same sign and an estimate within a factor of two" if effect else None)
        agreed = ", ".join(c for c in checks if c)
        return [f"Every one of the {len(table) - 1} robustness rows agrees with the primary result ({agreed})."]
    return sentences
