"""One term's effect in the proportional-odds model of maturity: the evidence for a directional claim.

:func:`ordinal_term_effect` fits ``models.fit_ordinal`` and collects, for one term, what the ``directional``
decision rule (``claims.ledger.rule_directional``) and its chapter report:

* the coefficient (log-odds per unit of the term) with its HC0 standard error, 95 % CI and two-sided Wald
  p-value - the primary test;
* the odds ratio with its CI (exp of the coefficient's limits);
* the average marginal effect on P(stage >= cut) with a delta-method CI;
* the equivalence test (TOST, ``intervals.tost_from_estimate``) of the coefficient against the pre-specified
  smallest effect size of interest ``(-sesoi, sesoi)`` on the log-odds scale - ``equivalence_p`` in the rule.

Example::

    eff = ordinal_term_effect(frame, "political_anchoring",
                              ["log_population", "centrality", "merged_2017_2020", "network_member"],
                              weights="weight", fixed_effects=["county_code"], cut=4, sesoi=0.2)
    eff.summary()        # one row: estimate, se, p_value, odds ratio, AME, TOST p
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from vsr_analysis.stats.intervals import tost_from_estimate
from vsr_analysis.stats.ordinal_model import OrdinalFit, fit_ordinal

__all__ = ["TermEffect", "ordinal_term_effect"]


@dataclass
class TermEffect:
    term: str
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    odds_ratio: float
    or_ci_low: float
    or_ci_high: float
    ame: float
    ame_ci_low: float
    ame_ci_high: float
    ame_p_value: float
    cut: int
    sesoi: float
    equivalence_p: float
    n: int
    weighted: bool
    converged: bool
    notes: list[str] = field(default_factory=list)
    fit: OrdinalFit | None = field(default=None, repr=False)

    def summary(self, label: str | None = None) -> dict:
        """A flat row for a results table (no fit object)."""
        row = {
            "model": label or ("weighted" if self.weighted else "unweighted"),
            "term": self.term,
            "n": self.n,
            "estimate": self.estimate,
            "se": self.se,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "p_value": self.p_value,
            "odds_ratio": self.odds_ratio,
            "or_ci_low": self.or_ci_low,
            "or_ci_high": self.or_ci_high,
            f"ame_p_ge_{self.cut}": self.ame,
            "ame_ci_low": self.ame_ci_low,
            "ame_ci_high": self.ame_ci_high,
            "tost_p": self.equivalence_p,
            "converged": self.converged,
        }
        return row

    def as_dict(self) -> dict:
        d = self.summary()
        d.update(sesoi_log_odds=self.sesoi, cut=self.cut, weighted=self.weighted, notes=list(self.notes))
        return d


def ordinal_term_effect(
    data: pd.DataFrame,
    term: str,
    controls: Sequence[str],
    *,
    outcome: str = "maturity_stage",
    weights: str | None = None,
    fixed_effects: Sequence[str] | None = None,
    cut: int = 4,
    sesoi: float = 0.2,
    alpha: float = 0.05,
) -> TermEffect:
    """Fit ``outcome ~ term + controls (+ fixed effects)`` and summarise ``term`` (see the module docstring).

    ``controls`` may not contain ``term``.  Model warnings (dropped fixed-effect levels, separation) are caught
    and returned in ``notes`` instead of being printed.  The TOST uses z-tests at level ``alpha``.
    """
    controls = [c for c in controls if c != term]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = fit_ordinal(data, outcome, [term, *controls], weights=weights, fixed_effects=fixed_effects)
    notes = list(dict.fromkeys([*fit.notes, *(str(w.message) for w in caught)]))
    row = fit.coef_table().set_index("term").loc[term]
    est, se = float(row["estimate"]), float(row["se"])
    ame = fit.ame(cut=cut, terms=[term]).iloc[0]
    tost = tost_from_estimate(est, se, sesoi, alpha) if se > 0 and math.isfinite(se) else {"p_value": float("nan")}
    return TermEffect(
        term=term,
        estimate=est,
        se=se,
        ci_low=float(row["ci_low"]),
        ci_high=float(row["ci_high"]),
        p_value=float(row["p_value"]),
        odds_ratio=float(np.exp(est)),
        or_ci_low=float(np.exp(row["ci_low"])),
        or_ci_high=float(np.exp(row["ci_high"])),
        ame=float(ame["estimate"]),
        ame_ci_low=float(ame["ci_low"]),
        ame_ci_high=float(ame["ci_high"]),
        ame_p_value=float(ame["p_value"]),
        cut=int(cut),
        sesoi=float(sesoi),
        equivalence_p=float(tost["p_value"]),
        n=int(fit.n),
        weighted=weights is not None,
        converged=bool(fit.converged),
        notes=notes,
        fit=fit,
    )
