"""How the progress, policy-coherence and county chapters report a share: a share *below* a level, the evidence blocks, tables.

* :func:`calibrated_below_test` - the primary test of a share *below* a level: the share chapters' calibrated
  test (:func:`vsr_analysis.stats.shares.calibrated_share_test`) applied to the complement.
* :func:`share_below_test` - the same with :func:`vsr_analysis.stats.shares.share_test` (a weighted share with the
  global finite-population correction), for descriptive tables such as the county chapter's.
* :func:`primary_result` - the ``primary`` block of the evidence a notebook hands to the ledger.
* :func:`sensitivity_table` - the decision rule applied to each variant of the analysis (unadjusted level).
* :func:`publishable` - a table as a confidential run may show it (small cells suppressed; identity otherwise).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vsr_analysis.stats.shares import share_test


def share_below_test(x, w=None, threshold: float = 0.5, *, population_size: int | None = None) -> dict:
    """Weighted share of ``x`` (0/1, NaN = not answered) with a one-sided test of share < ``threshold``.

    share < t is the same hypothesis as (1 - share) > 1 - t, so this is ``share_test`` on 1 - x: the p-value
    is that test's, the estimate and interval are mapped back (1 - estimate, 1 - high, 1 - low).
    """
    x = np.asarray(x, dtype=float)
    t = share_test(np.where(np.isnan(x), np.nan, 1.0 - x), w, 1.0 - float(threshold), population_size=population_size)
    out = dict(t, threshold=float(threshold))
    if t.get("estimate") is None:
        return out
    out.update(estimate=1.0 - t["estimate"], ci_low=1.0 - t["ci_high"], ci_high=1.0 - t["ci_low"])
    if t.get("z") is not None:
        out["z"] = -t["z"]
    return out


def calibrated_below_test(y, design, threshold: float, domain=None, *, variance: str = "poisson") -> dict:
    """:func:`vsr_analysis.stats.shares.calibrated_share_test` of share < ``threshold``: the test of the
    complement (1 - share > 1 - threshold) on the raked ``design``, estimate and interval mapped back."""
    from vsr_analysis.stats.shares import calibrated_share_test

    y = np.asarray(y, dtype=float)
    t = calibrated_share_test(np.where(np.isnan(y), np.nan, 1.0 - y), design, 1.0 - float(threshold), domain,
                              variance=variance)  # fmt: skip
    out = dict(t, threshold=float(threshold))
    if t.get("estimate") is None:
        return out
    out.update(estimate=1.0 - t["estimate"])
    if t.get("ci_low") is not None:
        out.update(ci_low=1.0 - t["ci_high"], ci_high=1.0 - t["ci_low"])
    if t.get("z") is not None:
        out["z"] = -t["z"]
    return out


def primary_result(test: dict, method: str) -> dict:
    """The ledger's ``primary`` block from a share test's result."""
    return {"method": method, **{k: test.get(k) for k in ("estimate", "ci_low", "ci_high", "p_value")}}


def sensitivity_table(claim_entry: dict, alpha: float, variants: list[tuple[str, dict]]) -> pd.DataFrame:
    """One row per (label, share-test result): n, share, interval, p-value and the rule's decision at ``alpha``."""
    from vsr_analysis.claims.ledger import decide

    rows = []
    for label, t in variants:
        d = decide(claim_entry, {"primary": t, "rule_inputs": {}}, alpha, t.get("p_value"))
        rows.append(
            {
                "variant": label,
                "n": t.get("n", 0),
                "share": t.get("estimate"),
                "ci_low": t.get("ci_low"),
                "ci_high": t.get("ci_high"),
                "p_value": t.get("p_value"),
                "decision": d.verdict,
            }
        )
    return pd.DataFrame(rows)


def publishable(table: pd.DataFrame, count_columns: list[str], confidential: bool) -> pd.DataFrame:
    """What a page may show of ``table``: on a confidential file, small cells suppressed (``disclosure``).

    ``Context.table`` applies the same rule to what it writes; prose and figures are built from this copy so
    that no sentence or bar shows a value the table hides.
    """
    if not confidential:
        return table.copy()
    from vsr_analysis.stats.small_cells import suppress_small_cells

    return suppress_small_cells(table, count_columns)


def numeric(values) -> np.ndarray:
    """A published column as floats: suppressed cells ("<3") and blanks become NaN."""
    return pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").to_numpy(dtype=float)


def as_numbers(released: pd.DataFrame, labels: list[str]) -> pd.DataFrame:
    """A released table (``Context.released``) with its value columns as numbers, a suppressed cell ("<3", "..")
    becoming NaN: figures and sentences are drawn from this, so they show nothing the table hides."""
    out = released.copy()
    for col in out.columns:
        if col not in labels:
            out[col] = pd.to_numeric(out[col], errors="coerce")
    return out
