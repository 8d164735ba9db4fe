"""Specification curve (multiverse) helpers: run many defensible specifications, summarise agreement.

Following Simonsohn, Simmons & Nelson (2020, *Nature Human Behaviour* 4:1208-1214) and Steegen et al. (2016),
the focal coefficient is re-estimated under every combination of reasonable analytic choices, and the curve is
summarised by the share of specifications whose estimate has the same sign as the primary specification's, and
the share that are significant in that direction.

A *specification* is a plain ``dict``; :func:`default_fit_fn` understands these keys::

    model         "ordinal" (fit_ordinal), "logit" (fit_binary_logit of 1[outcome >= cut]) or "ols" (fit_ols)
    outcome       outcome column, e.g. "maturity_stage" (or an item-based score for "ols")
    cut           the stage for "logit" (None otherwise)
    size          size coding: "log_population", "size_band_rank" or "population_10k"
    centrality    centrality coding: "centrality", "centrality_class_rev" or "central"
    controls      tuple of further covariates, e.g. ("merged_2017_2020", "network_member")
    weights       None or the weight column ("weight")
    fixed_effects tuple of fixed-effect columns, () or ("county_code",)
    focal         the column whose coefficient is reported
    primary       True for the one pre-specified primary specification

All codings are oriented so that **higher = bigger / more central**, which keeps signs comparable across
specifications: :func:`prepare_columns` derives ``size_band_rank`` (bands ranked by their median
``population_2021``; needs no knowledge of the band labels), ``population_10k`` (``population_2021``/10,000),
``centrality_class_rev`` (7 - ``centrality_class``; class 1 is the most central in SSB's index), ``central``
(1 when ``centrality_class`` <= 2) and ``centrality`` (``centrality_score``/100) when absent.
``centrality_score`` itself is only a rescaling of ``centrality`` and so not a separate specification.

Estimates from different model families are on different scales (log-odds vs stage units); compare signs and
significance, not magnitudes, across families.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from vsr_analysis.stats import ordinal_model as models

__all__ = ["prepare_columns", "default_specs", "default_fit_fn", "specification_curve", "summarise"]


def prepare_columns(df: pd.DataFrame) -> pd.DataFrame:
    """Return a copy with the derived codings used by :func:`default_specs` (only those that can be made)."""
    out = df.copy()
    if "centrality" not in out and "centrality_score" in out:
        out["centrality"] = pd.to_numeric(out["centrality_score"]) / 100.0
    if "centrality_class" in out:
        cls = pd.to_numeric(out["centrality_class"])
        if "centrality_class_rev" not in out:
            out["centrality_class_rev"] = 7 - cls
        if "central" not in out:
            out["central"] = (cls <= 2).astype(float).where(cls.notna())
    if "population_2021" in out:
        pop = pd.to_numeric(out["population_2021"]).astype(float)
        if "population_10k" not in out:
            out["population_10k"] = pop / 10_000.0
        if "log_population" not in out:
            out["log_population"] = np.log(pop)
        if "size_band" in out and "size_band_rank" not in out:
            med = pop.groupby(out["size_band"]).median().sort_values()
            rank = {band: i + 1 for i, band in enumerate(med.index)}
            out["size_band_rank"] = out["size_band"].map(rank).astype(float)
    return out


def default_specs(
    focal: str = "size",
    *,
    outcome: str = "maturity_stage",
    cuts: Sequence[Any] = (1, 2, 3, 4, 5),
    score_outcome: str | None = None,
    size_codings: Sequence[str] = ("log_population", "size_band_rank", "population_10k"),
    centrality_codings: Sequence[str] = ("centrality", "centrality_class_rev", "central"),
    control_sets: Sequence[Sequence[str]] | None = None,
    weight_options: Sequence[str | None] = (None, "weight"),
    fixed_effect_options: Sequence[Sequence[str]] = ((), ("county_code",)),
    models_: Sequence[str] = ("ordinal", "logit", "ols"),
) -> list[dict[str, Any]]:
    """The grid of specifications for one focal characteristic of the group-comparison conjunction.

    ``focal``: ``"size"`` (the size coding's coefficient), ``"centrality"`` (the centrality coding's), or a
    column such as ``"merged_2017_2020"`` / ``"network_member"`` (always included as a covariate).

    Grid = size coding x centrality coding x (ordinal on ``outcome``; logit of 1[outcome >= cut] for each cut;
    OLS on ``outcome``; OLS on ``score_outcome`` if given) x weights (none / raked ``weight``) x control set
    (default: none / ``merged_2017_2020`` + ``network_member``) x fixed effects (none / ``county_code``).
    With the defaults that is 3 x 3 x 7 x 2 x 2 x 2 = 504 specifications.  The primary specification (flagged
    ``primary=True``) is the pre-specified model: ordinal, ``log_population``, ``centrality``, both controls,
    raked weights and county fixed effects - provided those options are in the grid.

    Example::

        df = prepare_columns(frame[frame["responded"]])
        curve = specification_curve(df, default_specs("size"))
        summarise(curve, alpha=0.05)
    """
    if control_sets is None:
        control_sets = ((), ("merged_2017_2020", "network_member"))
    outcomes_models: list[tuple[str, str, Any]] = []
    for m in models_:
        if m == "ordinal":
            outcomes_models.append(("ordinal", outcome, None))
        elif m == "logit":
            outcomes_models += [("logit", outcome, c) for c in cuts]
        elif m == "ols":
            outcomes_models.append(("ols", outcome, None))
            if score_outcome:
                outcomes_models.append(("ols", score_outcome, None))
        else:
            raise ValueError(f"unknown model {m!r}")
    specs = []
    for size, cent, (model, out, cut), wt, ctrl, fe in itertools.product(
        size_codings, centrality_codings, outcomes_models, weight_options, control_sets, fixed_effect_options
    ):
        if focal == "size":
            foc = size
        elif focal == "centrality":
            foc = cent
        else:
            foc = focal
        controls = tuple(dict.fromkeys([*ctrl, *([foc] if foc not in (size, cent) else [])]))
        primary = (
            model == "ordinal"
            and out == outcome
            and size == "log_population"
            and cent == "centrality"
            and set(controls) >= {"merged_2017_2020", "network_member"}
            and len(ctrl) > 0
            and wt == "weight"
            and tuple(fe) == ("county_code",)
        )
        specs.append(
            {
                "model": model,
                "outcome": out,
                "cut": cut,
                "size": size,
                "centrality": cent,
                "controls": controls,
                "weights": wt,
                "fixed_effects": tuple(fe),
                "focal": foc,
                "primary": bool(primary),
            }
        )
    for i, s in enumerate(specs):
        s["id"] = i
    return specs


def _covariates(spec: Mapping[str, Any]) -> list[str]:
    cols = [spec.get("size"), spec.get("centrality"), *spec.get("controls", ())]
    return list(dict.fromkeys(c for c in cols if c))


def default_fit_fn(data: pd.DataFrame, spec: Mapping[str, Any]) -> dict[str, float]:
    """Fit one specification and return ``{"estimate", "se", "p_value", "n"}`` for ``spec["focal"]``."""
    covs = _covariates(spec)
    focal = spec["focal"]
    if focal not in covs:
        raise ValueError(f"focal term {focal!r} is not among the covariates {covs}")
    kw = {"weights": spec.get("weights"), "fixed_effects": list(spec.get("fixed_effects") or []) or None}
    model = spec.get("model", "ordinal")
    if model == "ordinal":
        fit = models.fit_ordinal(data, spec["outcome"], covs, **kw)
        if not fit.converged:
            raise ValueError("ordinal fit did not converge")
        tab, n = fit.coef_table(), fit.n
    elif model == "logit":
        tab = models.fit_binary_logit(data, spec["outcome"], covs, cut=spec.get("cut"), **kw)
        if not bool(tab["converged"].all()):
            raise ValueError("logit fit did not converge")
        n = int(tab["n"].iloc[0])
    elif model == "ols":
        tab = models.fit_ols(data, spec["outcome"], covs, **kw)
        n = int(tab["n"].iloc[0])
    else:
        raise ValueError(f"unknown model {model!r}")
    row = tab.loc[tab["term"] == focal].iloc[0]
    return {"estimate": float(row["estimate"]), "se": float(row["se"]), "p_value": float(row["p_value"]), "n": n}


def _flat(v: Any) -> Any:
    if v is None:
        return "none"
    if isinstance(v, (list, tuple)):
        return "+".join(map(str, v)) if v else "none"
    return v


def specification_curve(
    data: pd.DataFrame,
    specs: Iterable[Mapping[str, Any]],
    fit_fn: Callable[[pd.DataFrame, Mapping[str, Any]], Any] = default_fit_fn,
    *,
    level: float = 0.95,
) -> pd.DataFrame:
    """Run every specification through ``fit_fn(data, spec)`` and collect the focal estimates.

    ``fit_fn`` returns ``(estimate, se, p)`` or a dict with ``estimate``, ``se``, ``p_value`` (and optionally
    ``n``).  A specification that raises ``ValueError``/``LinAlgError`` (or whose fit does not converge in
    :func:`default_fit_fn`) is kept with NaN results and the message in ``error``; model warnings (e.g. dropped
    fixed-effect levels, suspected separation) are counted in ``n_warnings`` and their distinct messages joined in
    ``warnings`` - worth filtering on, since a quasi-separated logit at a sparse cut still returns an estimate.

    Returns one row per specification: the spec keys (lists/tuples joined with ``"+"``, None as ``"none"``),
    estimate, se, p_value, ci_low, ci_high, n, error, n_warnings, warnings and ``rank`` (1 = smallest estimate, the
    x-axis of the usual curve plot).
    """
    q = stats.norm.ppf(0.5 + level / 2)
    rows = []
    for i, spec in enumerate(specs):
        row = {k: _flat(v) for k, v in spec.items()}
        row.setdefault("id", i)
        est = se = p = np.nan
        n = np.nan
        err = ""
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                res = fit_fn(data, spec)
                if isinstance(res, Mapping):
                    est, se, p = res["estimate"], res["se"], res["p_value"]
                    n = res.get("n", np.nan)
                else:
                    est, se, p = res[:3]
            except (ValueError, KeyError, np.linalg.LinAlgError) as exc:
                err = f"{type(exc).__name__}: {exc}"
        row.update(
            {
                "estimate": float(est),
                "se": float(se),
                "p_value": float(p),
                "ci_low": float(est - q * se),
                "ci_high": float(est + q * se),
                "n": n,
                "error": err,
                "n_warnings": len(caught),
                "warnings": "; ".join(dict.fromkeys(str(w.message) for w in caught)),
            }
        )
        rows.append(row)
    out = pd.DataFrame(rows)
    if "primary" not in out:
        out["primary"] = False
    out["primary"] = out["primary"].astype(bool)
    out["rank"] = out["estimate"].rank(method="first").astype("Int64")
    return out


def summarise(df: pd.DataFrame, alpha: float = 0.05, *, primary_id: Any | None = None) -> dict[str, Any]:
    """Agreement of the curve with the primary specification.

    The primary row is the one with ``id == primary_id`` or else the one flagged ``primary``.  Among the
    specifications that produced an estimate: ``share_same_sign`` (estimate has the primary's sign),
    ``share_significant_same`` (same sign and two-sided p < alpha), ``share_significant_opposite``.
    """
    if primary_id is not None:
        prim = df.loc[df["id"] == primary_id]
    else:
        prim = df.loc[df["primary"].astype(bool)] if "primary" in df else df.iloc[0:0]
    if len(prim) != 1:
        raise ValueError(f"need exactly one primary specification, found {len(prim)}")
    pest = float(prim["estimate"].iloc[0])
    if not np.isfinite(pest) or pest == 0:
        raise ValueError("the primary specification has no usable estimate")
    sign = np.sign(pest)
    ok = df[np.isfinite(df["estimate"].to_numpy(float))]
    est = ok["estimate"].to_numpy(float)
    sig = ok["p_value"].to_numpy(float) < alpha
    same = np.sign(est) == sign
    m = len(ok)
    return {
        "n_specs": int(len(df)),
        "n_estimated": int(m),
        "n_failed": int(len(df) - m),
        "primary_estimate": pest,
        "primary_p_value": float(prim["p_value"].iloc[0]),
        "primary_sign": int(sign),
        "share_same_sign": float(same.mean()) if m else float("nan"),
        "share_significant_same": float((same & sig).mean()) if m else float("nan"),
        "share_significant_opposite": float((~same & sig).mean()) if m else float("nan"),
        "median_estimate_ordinal": float(np.median(est[ok["model"].to_numpy() == "ordinal"]))
        if "model" in ok and (ok["model"] == "ordinal").any()
        else float("nan"),
        "alpha": alpha,
    }
