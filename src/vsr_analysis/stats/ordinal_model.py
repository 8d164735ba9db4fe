"""Ordinal, binary-logit and OLS fits with robust standard errors and marginal effects.

The workhorse is :func:`fit_ordinal`, a proportional-odds (cumulative) logit

    logit P(Y <= k | x) = zeta_k - x'beta,        k = 1, ..., K-1,

the convention of ``statsmodels.miscmodels.ordinal_model.OrderedModel`` and R's ``MASS::polr``: there is no
constant, a positive ``beta`` moves the distribution towards the *higher* outcome levels, and the thresholds
``zeta`` are increasing.  This module is the public model API (design matrices, fixed effects, separation
checks, tables, predictions, marginal effects); the fitting itself is the damped Newton engine of
:mod:`vsr_analysis.stats.cumulative_logit` (analytic score and Hessian; the (pseudo-)log-likelihood is concave in
``(beta, zeta)`` for the logistic link, Pratt 1981, so it converges to the unique maximum when one exists).

Standard errors are always the HC0 sandwich ``A^-1 B A^-1`` with ``A`` minus the Hessian of the (weighted)
log-likelihood and ``B = sum_i w_i^2 s_i s_i'`` the outer product of the per-observation scores ``s_i``
(``w_i = 1`` without weights).  With sampling weights this is the usual pseudo-maximum-likelihood ("linearisation")
variance with no stratification and no finite-population correction; it treats each weighted municipality as an
independent draw (a with-replacement approximation), which is conservative when n/N is large.

Analysis-frame columns used in the examples: ``maturity_stage`` (0-5), ``log_population``, ``centrality``
(= ``centrality_score``/100, higher = more central), ``merged_2017_2020`` (0/1), ``network_member`` (0/1),
``political_anchoring`` (1-5), ``county_code``, ``weight``.

Example::

    fit = fit_ordinal(df, "maturity_stage",
                      ["log_population", "centrality", "merged_2017_2020", "network_member"],
                      weights="weight", fixed_effects=["county_code"])
    fit.coef_table()                       # estimates, HC0 SEs, odds ratios
    fit.wald(["log_population", "centrality", "merged_2017_2020", "network_member"])
    fit.ame(cut=4)                         # average marginal effects on P(stage >= 4)
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import special, stats

from vsr_analysis.stats.cumulative_logit import SingleFit, fit_one

__all__ = [
    "OrdinalFit",
    "CumulativeLogits",
    "ModelWarning",
    "fit_ordinal",
    "fit_cumulative_logits",
    "fit_binary_logit",
    "fit_ols",
]


class ModelWarning(UserWarning):
    """Dropped fixed-effect levels, suspected separation or non-convergence."""


# --------------------------------------------------------------------------------------------------------------
# design matrices
# --------------------------------------------------------------------------------------------------------------


def _tidy_level(v: Any) -> Any:
    """Python scalar for a level; integral floats become ints (0.0 -> 0) so names read "0|1"."""
    if isinstance(v, (np.generic,)):
        v = v.item()
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def _sorted_levels(values: Iterable[Any]) -> list[Any]:
    uniq = list(dict.fromkeys(_tidy_level(v) for v in values))
    try:
        return sorted(uniq)
    except TypeError:
        return sorted(uniq, key=str)


def _as_list(x: str | Sequence[str] | None) -> list[str]:
    if x is None:
        return []
    if isinstance(x, str):
        return [x]
    return list(x)


@dataclass
class _Design:
    X: pd.DataFrame  # float design without constant (covariates then fixed-effect dummies)
    y: pd.Series  # outcome on the kept rows (tidied levels)
    w: np.ndarray | None  # weights on the kept rows
    covariates: list[str]
    fe_levels: dict[str, list[Any]]  # kept levels per fixed-effect column, reference level first
    fe_terms: list[str]
    notes: list[str] = field(default_factory=list)


def _check_columns(data: pd.DataFrame, cols: Sequence[str]) -> None:
    missing = [c for c in cols if c not in data.columns]
    if missing:
        raise KeyError(f"column(s) not in data: {', '.join(map(str, missing))}")


def _numeric(col: pd.Series, name: str) -> np.ndarray:
    if pd.api.types.is_bool_dtype(col):
        return col.astype(float).to_numpy()
    try:
        return pd.to_numeric(col).astype(float).to_numpy()
    except (ValueError, TypeError) as exc:
        raise ValueError(f"covariate {name!r} is not numeric ({exc})") from None


def _fe_dummies(fe_values: dict[str, pd.Series], fe_levels: dict[str, list[Any]]) -> tuple[pd.DataFrame, list[str]]:
    cols = {}
    for col, levels in fe_levels.items():
        vals = fe_values[col].map(_tidy_level)
        for lev in levels[1:]:
            cols[f"{col}[{lev}]"] = (vals == lev).astype(float).to_numpy()
    index = next(iter(fe_values.values())).index if fe_values else None
    return pd.DataFrame(cols, index=index), list(cols)


def _prepare(
    data: pd.DataFrame,
    y: pd.Series,
    outcome: str,
    covariates: Sequence[str],
    weights: str | None,
    fixed_effects: Sequence[str] | None,
    kind: str,
) -> _Design:
    """Complete cases, numeric covariates, fixed-effect dummies, separation and rank checks.

    ``kind`` is "ordinal"/"binary" (a fixed-effect level whose rows are all at the lowest or all at the highest
    outcome level is quasi-separated: its rows are dropped with a warning) or "ols" (levels with a single row are
    dropped because their HC3 leverage is 1).
    """
    covariates = list(covariates)
    fes = _as_list(fixed_effects)
    used = covariates + fes + ([weights] if weights else [])
    _check_columns(data, used)
    if len(set(covariates)) != len(covariates):
        raise ValueError("covariates contain duplicates")
    notes: list[str] = []

    mask = np.array(y.notna().to_numpy(), dtype=bool)
    for c in used:
        mask &= data[c].notna().to_numpy()
    if weights:
        wv = pd.to_numeric(data[weights]).astype(float).to_numpy()
        if np.any(wv[mask] < 0):
            raise ValueError(f"weights column {weights!r} has negative values")
        zero = mask & (wv == 0)
        if zero.any():
            notes.append(f"{int(zero.sum())} row(s) with weight 0 dropped")
        mask &= wv > 0
    keep = pd.Series(mask, index=data.index)

    def levels_of(yy: pd.Series) -> list[Any]:
        return _sorted_levels(yy.to_numpy())

    # fixed-effect separation / singleton handling (iterate: dropping rows can change the outcome's range)
    for _ in range(20):
        yk = y[keep]
        changed = False
        if yk.empty:
            break
        ylev = levels_of(yk)
        for col in fes:
            vals = data.loc[keep, col].map(_tidy_level)
            ys = yk.map(_tidy_level)
            bad = []
            for lev, grp in ys.groupby(vals, sort=False):
                if kind in ("ordinal", "binary"):
                    if len(ylev) >= 2 and (bool((grp == ylev[0]).all()) or bool((grp == ylev[-1]).all())):
                        bad.append(lev)
                elif kind == "ols" and len(grp) < 2:
                    bad.append(lev)
            if bad:
                why = (
                    "every row at the lowest or highest outcome level (separation)"
                    if kind != "ols"
                    else "a single row (no within-level variation)"
                )
                # Neither the levels nor their number of rows: on a real survey file a level can be one unit
                # (a county with one municipality), and "dropped: all rows at the lowest or highest level" then
                # publishes its answer.
                msg = f"fixed effect {col!r}: levels with {why} were dropped with their rows"
                notes.append(msg)
                warnings.warn(msg, ModelWarning, stacklevel=3)
                keep &= ~(data[col].map(_tidy_level).isin(bad) & keep)
                changed = True
        if not changed:
            break

    sub = data.loc[keep]
    yk = y[keep].map(_tidy_level)
    if len(sub) == 0:
        raise ValueError("no complete rows left to fit")
    Xc = pd.DataFrame({c: _numeric(sub[c], c) for c in covariates}, index=sub.index)
    for c in covariates:
        if np.nanstd(Xc[c].to_numpy()) == 0:
            raise ValueError(f"covariate {c!r} has no variation in the {len(sub)} rows used")
    fe_levels = {col: _sorted_levels(sub[col].to_numpy()) for col in fes}
    D, fe_terms = _fe_dummies({col: sub[col] for col in fes}, fe_levels) if fes else (pd.DataFrame(index=sub.index), [])
    X = pd.concat([Xc, D], axis=1) if fes else Xc

    # rank check against the constant (thresholds/intercept play that role); one SVD when the whole design has
    # full column rank (the usual case), else column by column to find what to drop
    basis = np.ones((len(X), 1))
    kept_cols = []
    full = np.column_stack([basis, X.to_numpy(dtype=float)])
    full_rank = np.linalg.matrix_rank(full) == full.shape[1]
    for c in X.columns:
        if full_rank:
            kept_cols.append(c)
            continue
        cand = np.column_stack([basis, X[c].to_numpy()])
        if np.linalg.matrix_rank(cand) > basis.shape[1]:
            basis = cand
            kept_cols.append(c)
        elif c in covariates:
            raise ValueError(f"covariate {c!r} is collinear with the constant or earlier covariates")
        else:
            msg = "a fixed-effect dummy was dropped: collinear with the covariates"  # its level is not named
            notes.append(msg)
            warnings.warn(msg, ModelWarning, stacklevel=3)
    if len(kept_cols) != X.shape[1]:
        dropped = set(X.columns) - set(kept_cols)
        X = X[kept_cols]
        fe_terms = [t for t in fe_terms if t not in dropped]
    if X.shape[0] <= X.shape[1] + 1:
        raise ValueError(f"too few rows ({X.shape[0]}) for {X.shape[1]} terms")
    return _Design(
        X=X,
        y=yk,
        w=None if not weights else pd.to_numeric(sub[weights]).astype(float).to_numpy(),
        covariates=covariates,
        fe_levels=fe_levels,
        fe_terms=fe_terms,
        notes=notes,
    )


def _separation_notes(X: pd.DataFrame, res: SingleFit, p: int) -> list[str]:
    notes = []
    sd = X.std(ddof=0).to_numpy()
    big = np.abs(res.theta[:p]) * np.where(sd > 0, sd, 1.0)
    for name, b in zip(X.columns, big):
        if b > 10:
            notes.append(f"term {name!r}: standardised coefficient {b:.1f} is implausibly large (quasi-separation?)")
    if not res.converged:
        notes.append(f"Newton iterations did not converge in {res.n_iter} steps")
    return notes


def _ztable(
    terms: Sequence[str], est: np.ndarray, se: np.ndarray, level: float, *, dist: str = "z", df: float | None = None
) -> pd.DataFrame:
    est = np.asarray(est, float)
    se = np.asarray(se, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = est / se
    if dist == "t" and df is not None:
        p = 2 * stats.t.sf(np.abs(z), df)
        q = stats.t.ppf(0.5 + level / 2, df)
    else:
        p = 2 * stats.norm.sf(np.abs(z))
        q = stats.norm.ppf(0.5 + level / 2)
    return pd.DataFrame(
        {
            "term": list(terms),
            "estimate": est,
            "se": se,
            "z": z,
            "p_value": p,
            "ci_low": est - q * se,
            "ci_high": est + q * se,
        }
    )


# --------------------------------------------------------------------------------------------------------------
# ordinal fit
# --------------------------------------------------------------------------------------------------------------


@dataclass
class OrdinalFit:
    """A fitted proportional-odds model (see :func:`fit_ordinal`).

    ``params`` holds the covariates (and fixed-effect dummies ``col[level]``) followed by the thresholds named
    ``"lower|upper"`` (e.g. ``"3|4"``), on the natural scale (not statsmodels' log-increments).  ``cov`` is the HC0
    sandwich covariance of all of them.
    """

    outcome: str
    covariates: list[str]
    fixed_effects: list[str]
    weights: str | None
    params: pd.Series
    cov: pd.DataFrame
    n: int
    outcome_levels: list[Any]
    loglik: float
    converged: bool
    n_iter: int
    notes: list[str]
    fe_levels: dict[str, list[Any]]
    terms: list[str]  # design columns (covariates + dummies)
    _X: np.ndarray = field(repr=False)
    _y: np.ndarray = field(repr=False)
    _w: np.ndarray = field(repr=False)

    # ---- basic accessors
    @property
    def bse(self) -> pd.Series:
        return pd.Series(np.sqrt(np.clip(np.diag(self.cov.to_numpy()), 0, None)), index=self.params.index)

    @property
    def thresholds(self) -> pd.Series:
        return self.params.iloc[len(self.terms) :]

    def coef_table(self, level: float = 0.95, *, include_fixed_effects: bool = False) -> pd.DataFrame:
        """term, estimate, se, z, p_value, ci_low, ci_high, odds_ratio for the covariates (not thresholds)."""
        terms = self.terms if include_fixed_effects else self.covariates
        est = self.params[terms].to_numpy()
        tab = _ztable(terms, est, self.bse[terms].to_numpy(), level)
        tab["odds_ratio"] = np.exp(est)
        return tab

    def wald(self, terms: Sequence[str], value: Sequence[float] | float = 0.0) -> dict[str, float]:
        """Joint Wald test (HC0) that the named coefficients all equal ``value`` (default 0)."""
        terms = _as_list(terms)
        unknown = [t for t in terms if t not in self.params.index]
        if unknown:
            raise KeyError(f"unknown term(s): {', '.join(unknown)}")
        r = self.params[terms].to_numpy() - np.broadcast_to(np.asarray(value, float), (len(terms),))
        V = self.cov.loc[terms, terms].to_numpy()
        chi2 = float(r @ np.linalg.solve(V, r))
        df = len(terms)
        return {"chi2": chi2, "df": df, "p_value": float(stats.chi2.sf(chi2, df))}

    # ---- prediction
    def _design_for(self, newdata: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        _check_columns(newdata, self.covariates + self.fixed_effects)
        ok = np.ones(len(newdata), dtype=bool)
        for c in self.covariates + self.fixed_effects:
            ok &= newdata[c].notna().to_numpy()
        cols = [_numeric(newdata[c], c) for c in self.covariates]
        for col in self.fixed_effects:
            vals = newdata[col].map(_tidy_level)
            unknown = set(vals[ok]) - set(self.fe_levels[col])
            if unknown:
                raise ValueError(f"fixed effect {col!r}: level(s) not in the fit: {sorted(map(str, unknown))}")
            for lev in self.fe_levels[col][1:]:
                name = f"{col}[{lev}]"
                if name in self.terms:
                    cols.append((vals == lev).astype(float).to_numpy())
        X = np.column_stack(cols) if cols else np.zeros((len(newdata), 0))
        return X, ok

    def _probs(self, theta: np.ndarray, X: np.ndarray) -> np.ndarray:
        beta = theta[: len(self.terms)]
        cuts = theta[len(self.terms) :]
        eta = X @ beta
        F = special.expit(cuts[None, :] - eta[:, None])
        F = np.hstack([np.zeros((len(eta), 1)), F, np.ones((len(eta), 1))])
        return np.diff(F, axis=1)

    def predict_proba(self, newdata: pd.DataFrame) -> pd.DataFrame:
        """Predicted probabilities of every outcome level (columns = ``outcome_levels``); NaN where data missing."""
        X, ok = self._design_for(newdata)
        X = np.where(ok[:, None], X, 0.0)
        P = self._probs(self.params.to_numpy(), X)
        P[~ok] = np.nan
        return pd.DataFrame(P, index=newdata.index, columns=list(self.outcome_levels))

    def predict_ge(self, newdata: pd.DataFrame, cut: Any) -> pd.Series:
        """Predicted P(Y >= cut)."""
        k = self._cut_index(cut)
        P = self.predict_proba(newdata)
        return P.iloc[:, k:].sum(axis=1, min_count=1).rename(f"P({self.outcome}>={cut})")

    def _cut_index(self, cut: Any) -> int:
        cut = _tidy_level(cut)
        if cut not in self.outcome_levels or cut == self.outcome_levels[0]:
            raise ValueError(f"cut {cut!r} must be an outcome level above the lowest {self.outcome_levels}")
        return self.outcome_levels.index(cut)

    # ---- average marginal effects
    def ame(self, cut: Any, terms: Sequence[str] | None = None, level: float = 0.95) -> pd.DataFrame:
        """Average marginal effect of each covariate on P(Y >= cut), with delta-method SEs.

        Averages over the estimation sample (weighted by the sampling weights when the fit is weighted).
        Covariates taking only the values 0/1 get the discrete change P(.|x=1) - P(.|x=0); others the derivative
        ``beta_j * f(zeta - x'beta)``.  The delta-method gradient is a central finite difference of the AME in all
        parameters; the covariate distribution is treated as fixed (as Stata's ``margins`` does by default).
        """
        k = self._cut_index(cut)
        terms = list(self.covariates if terms is None else _as_list(terms))
        idx = {t: i for i, t in enumerate(self.terms)}
        for t in terms:
            if t not in idx:
                raise KeyError(f"unknown term {t!r}")
        X, w = self._X, self._w / self._w.sum()
        binary = {t: bool(np.isin(np.unique(X[:, idx[t]]), [0.0, 1.0]).all()) for t in terms}
        p = len(self.terms)

        def ame_vec(theta: np.ndarray) -> np.ndarray:
            beta, cuts = theta[:p], theta[p:]
            c = cuts[k - 1]
            eta = X @ beta
            out = []
            for t in terms:
                j = idx[t]
                if binary[t]:
                    e1 = eta + (1.0 - X[:, j]) * beta[j]
                    e0 = eta - X[:, j] * beta[j]
                    out.append(float(w @ (special.expit(e1 - c) - special.expit(e0 - c))))
                else:
                    F = special.expit(eta - c)
                    out.append(float(w @ (F * (1 - F))) * beta[j])
            return np.array(out)

        theta = self.params.to_numpy()
        est = ame_vec(theta)
        G = np.empty((len(terms), theta.size))
        for i in range(theta.size):
            h = 1e-6 * max(1.0, abs(theta[i]))
            tp, tm = theta.copy(), theta.copy()
            tp[i] += h
            tm[i] -= h
            G[:, i] = (ame_vec(tp) - ame_vec(tm)) / (2 * h)
        V = G @ self.cov.to_numpy() @ G.T
        tab = _ztable(terms, est, np.sqrt(np.clip(np.diag(V), 0, None)), level)
        tab.insert(1, "cut", cut)
        tab["kind"] = ["discrete" if binary[t] else "derivative" for t in terms]
        return tab

    # ---- export
    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable summary (no unit-level data)."""
        ct = self.coef_table()
        return {
            "model": "proportional-odds logit (logit P(Y<=k) = zeta_k - x'beta), HC0 sandwich SEs",
            "outcome": self.outcome,
            "covariates": list(self.covariates),
            "fixed_effects": list(self.fixed_effects),
            "weights": self.weights,
            "n": int(self.n),
            "outcome_levels": [_tidy_level(v) for v in self.outcome_levels],
            "loglik": float(self.loglik),
            "converged": bool(self.converged),
            "notes": list(self.notes),
            "params": {k: float(v) for k, v in self.params.items()},
            "bse": {k: float(v) for k, v in self.bse.items()},
            "coef_table": [
                {k: (float(v) if isinstance(v, (float, np.floating)) else v) for k, v in row.items()}
                for row in ct.to_dict(orient="records")
            ],
        }


def _outcome_codes(y: pd.Series) -> tuple[np.ndarray, list[Any]]:
    if isinstance(y.dtype, pd.CategoricalDtype) and y.dtype.ordered:
        present = set(y.dropna().map(_tidy_level))
        levels = [_tidy_level(c) for c in y.dtype.categories if _tidy_level(c) in present]
        y = y.map(_tidy_level)
    else:
        levels = _sorted_levels(y.to_numpy())
    lookup = {v: i for i, v in enumerate(levels)}
    codes = np.array([lookup[v] for v in y.map(_tidy_level)], dtype=int)
    return codes, levels


def fit_ordinal(
    data: pd.DataFrame,
    outcome: str,
    covariates: Sequence[str],
    *,
    weights: str | None = None,
    fixed_effects: Sequence[str] | None = None,
    max_iter: int = 200,
) -> OrdinalFit:
    """Fit a proportional-odds logit ``logit P(Y <= k) = zeta_k - x'beta`` with HC0 sandwich covariance.

    Parameters
    ----------
    data : the analysis frame (one row per unit).
    outcome : ordered outcome column (numbers, or an *ordered* categorical).  Only observed levels get thresholds;
        an unobserved level in the middle of the scale simply does not appear in ``outcome_levels``.
    covariates : numeric columns (0/1 indicators allowed).  No constant: the thresholds take its place.
    weights : optional column of sampling weights; the weighted pseudo-log-likelihood ``sum w_i log p_i`` is
        maximised and the sandwich uses weighted scores.  Rows with weight 0 are dropped.
    fixed_effects : optional categorical columns expanded to dummies ``col[level]`` (first level dropped).  A level
        whose rows are all at the lowest or all at the highest outcome level would push its coefficient to
        infinity (quasi-separation): such levels are dropped *with their rows* and a :class:`ModelWarning`.

    Rows with a missing value in any used column are dropped; ``n`` is the number of rows used.  A covariate
    without variation, or collinear with others, raises ``ValueError``.  Non-convergence or implausibly large
    standardised coefficients (|beta * sd(x)| > 10, a sign of separation) give a :class:`ModelWarning` and are
    listed in ``notes``; ``converged`` is False when Newton did not converge.
    """
    _check_columns(data, [outcome])
    y = data[outcome]
    d = _prepare(data, y, outcome, covariates, weights, fixed_effects, "ordinal")
    codes, levels = _outcome_codes(d.y)
    if len(levels) < 2:
        raise ValueError(f"outcome {outcome!r} has fewer than two observed levels")
    res = fit_one(d.X.to_numpy(), codes, len(levels), d.w, max_iter=max_iter)
    terms = list(d.X.columns)
    cut_names = [f"{levels[i]}|{levels[i + 1]}" for i in range(len(levels) - 1)]
    names = terms + cut_names
    notes = d.notes + _separation_notes(d.X, res, len(terms))
    for note in notes[len(d.notes) :]:
        warnings.warn(note, ModelWarning, stacklevel=2)
    return OrdinalFit(
        outcome=outcome,
        covariates=list(covariates),
        fixed_effects=_as_list(fixed_effects),
        weights=weights,
        params=pd.Series(res.theta, index=names, name="estimate"),
        cov=pd.DataFrame(res.cov, index=names, columns=names),
        n=len(codes),
        outcome_levels=levels,
        loglik=res.loglik,
        converged=res.converged,
        n_iter=res.n_iter,
        notes=notes,
        fe_levels=d.fe_levels,
        terms=terms,
        _X=d.X.to_numpy(),
        _y=codes,
        _w=res.w,
    )


# --------------------------------------------------------------------------------------------------------------
# binary logits, cumulative logits and OLS
# --------------------------------------------------------------------------------------------------------------


def _binary_outcome(data: pd.DataFrame, outcome: str, cut: Any | None) -> pd.Series:
    y = data[outcome]
    if cut is not None:
        num = pd.to_numeric(y) if not isinstance(y.dtype, pd.CategoricalDtype) else y.cat.codes.where(y.notna())
        if isinstance(y.dtype, pd.CategoricalDtype):
            cats = [_tidy_level(c) for c in y.dtype.categories]
            cut = cats.index(_tidy_level(cut))
        return (num >= cut).astype(float).where(y.notna())
    vals = set(_sorted_levels(y.dropna().to_numpy()))
    if not vals <= {0, 1}:
        raise ValueError(f"outcome {outcome!r} must be 0/1 (or give cut=)")
    return y.astype(float)


def _fit_binary_core(data, yb, outcome, covariates, weights, fixed_effects, max_iter=200):
    d = _prepare(data, yb, outcome, covariates, weights, fixed_effects, "binary")
    codes = d.y.to_numpy().astype(int)
    if len(np.unique(codes)) < 2:
        raise ValueError("binary outcome has only one value in the rows used")
    res = fit_one(d.X.to_numpy(), codes, 2, d.w, max_iter=max_iter)
    p = d.X.shape[1]
    # reparameterise (beta, cut) -> (intercept = -cut, beta)
    J = np.zeros((p + 1, p + 1))
    J[0, p] = -1.0
    J[1:, :p] = np.eye(p)
    est = J @ res.theta
    cov = J @ res.cov @ J.T
    notes = d.notes + _separation_notes(d.X, res, p)
    for note in notes[len(d.notes) :]:
        warnings.warn(note, ModelWarning, stacklevel=3)
    return d, res, est, cov, notes


def fit_binary_logit(
    data: pd.DataFrame,
    outcome: str,
    covariates: Sequence[str],
    *,
    cut: Any | None = None,
    weights: str | None = None,
    fixed_effects: Sequence[str] | None = None,
    level: float = 0.95,
    include_fixed_effects: bool = False,
) -> pd.DataFrame:
    """Logit of a 0/1 outcome (or of ``1[outcome >= cut]``) with HC0 sandwich SEs; tidy table.

    Columns: term (``Intercept`` first), estimate, se, z, p_value, ci_low, ci_high, odds_ratio, n, converged.
    Weights and fixed effects are handled as in :func:`fit_ordinal` (separated levels dropped with a warning).
    """
    _check_columns(data, [outcome])
    yb = _binary_outcome(data, outcome, cut)
    d, res, est, cov, _ = _fit_binary_core(data, yb, outcome, covariates, weights, fixed_effects)
    terms = ["Intercept"] + list(d.X.columns)
    tab = _ztable(terms, est, np.sqrt(np.clip(np.diag(cov), 0, None)), level)
    tab["odds_ratio"] = np.exp(tab["estimate"])
    tab["n"] = len(d.y)
    tab["converged"] = res.converged
    if not include_fixed_effects:
        tab = tab[~tab["term"].isin(d.fe_terms)].reset_index(drop=True)
    return tab


@dataclass
class CumulativeLogits:
    """Separate binary logits of ``1[Y >= cut]`` for each cut, and a check of proportional odds.

    ``table``: cut, term, estimate, se, z, p_value, ci_low, ci_high, n, converged (one row per cut x term;
    slopes are on the same scale and sign as the proportional-odds ``beta``).

    ``equal_slopes``: per covariate, the Wald statistic for "the slope is the same at every cut" (df = number of
    cuts - 1) plus the smallest and largest estimate and their range.  The covariance of the estimates *across*
    cuts comes from stacking the cut-specific score equations (one joint sandwich, like Stata's ``suest``), so
    the test is robust and honours weights.  This is a Brant-type test (Brant 1990 uses the model-based
    covariance of the same separate logits), **not** Brant's test itself; with sparse top or bottom cuts its
    small-sample behaviour is poor, so read it as a diagnostic beside the ranges.  Cuts whose fit did not
    converge, or whose information matrix is singular (a cut with one unit on one side), are left out of the
    tests.  ``global_test``: the same for all covariates jointly.
    """

    table: pd.DataFrame
    equal_slopes: pd.DataFrame
    global_test: dict[str, float]
    cuts: list[Any]
    notes: list[str]


def _invertible(matrix: np.ndarray, max_condition: float = 1e12) -> bool:
    """Whether ``matrix`` can be inverted reliably (finite, condition number below ``max_condition``)."""
    return bool(np.all(np.isfinite(matrix)) and np.linalg.cond(matrix) < max_condition)


def fit_cumulative_logits(
    data: pd.DataFrame,
    outcome: str,
    covariates: Sequence[str],
    *,
    cuts: Sequence[Any] | None = None,
    weights: str | None = None,
    fixed_effects: Sequence[str] | None = None,
    level: float = 0.95,
) -> CumulativeLogits:
    """Binary logits of ``1[outcome >= k]`` for every cut ``k`` (default: every observed level but the lowest).

    The proportional-odds model says the slopes are equal across cuts; see :class:`CumulativeLogits` for the
    equal-slopes test that is returned with the tidy table.  Rows used: complete cases in the used columns
    (fixed-effect levels separated at a given cut are dropped for that cut only).
    """
    _check_columns(data, [outcome] + list(covariates))
    y = data[outcome]
    if isinstance(y.dtype, pd.CategoricalDtype):
        raise ValueError("use a numeric outcome for fit_cumulative_logits")
    levels = _sorted_levels(y.dropna().to_numpy())
    cuts = list(levels[1:] if cuts is None else [_tidy_level(c) for c in cuts])
    n_all = len(data)
    rows, blocks, notes = [], [], []
    for cut in cuts:
        yb = _binary_outcome(data, outcome, cut)
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                d, res, est, cov, fit_notes = _fit_binary_core(data, yb, outcome, covariates, weights, fixed_effects)
            for wmsg in caught:
                warnings.warn(f"cut {cut}: {wmsg.message}", ModelWarning, stacklevel=2)
        except ValueError as exc:
            notes.append(f"cut {cut}: not fitted ({exc})")
            warnings.warn(notes[-1], ModelWarning, stacklevel=2)
            continue
        notes += [f"cut {cut}: {m}" for m in fit_notes]
        terms = ["Intercept"] + list(d.X.columns)
        tab = _ztable(terms, est, np.sqrt(np.clip(np.diag(cov), 0, None)), level)
        tab.insert(0, "cut", cut)
        tab["n"] = len(d.y)
        tab["converged"] = res.converged
        rows.append(tab[~tab["term"].isin(d.fe_terms)])
        if res.converged and _invertible(-res.hessian):
            pos = data.index.get_indexer(d.X.index)
            blocks.append((cut, pos, res, list(d.X.columns)))
        elif res.converged:
            # e.g. a single unit at or above the top cut: the logit separates it and its information is singular
            notes.append(f"cut {cut}: information matrix singular (too few units on one side); left out of the tests")
            warnings.warn(notes[-1], ModelWarning, stacklevel=2)
    if not rows:
        raise ValueError("no cut could be fitted")
    table = pd.concat(rows, ignore_index=True)

    # joint sandwich over the stacked estimating equations
    es_rows = []
    global_test = {"chi2": float("nan"), "df": 0, "p_value": float("nan")}
    if len(blocks) >= 2:
        sizes = [b[2].k for b in blocks]
        offsets = np.concatenate([[0], np.cumsum(sizes)])
        total = int(offsets[-1])
        Sfull = np.zeros((n_all, total))
        Ainv = np.zeros((total, total))
        theta = np.zeros(total)
        for bi, (_, pos, res, _) in enumerate(blocks):
            sl = slice(offsets[bi], offsets[bi + 1])
            Sfull[pos, sl] = res.scores * res.w[:, None]
            Ainv[sl, sl] = np.linalg.inv(-res.hessian)
            theta[sl] = res.theta
        V = Ainv @ (Sfull.T @ Sfull) @ Ainv
        used_cuts = [b[0] for b in blocks]

        def where(term: str) -> list[int] | None:
            out = []
            for bi, b in enumerate(blocks):
                if term not in b[3]:
                    return None
                out.append(int(offsets[bi]) + b[3].index(term))
            return out

        all_R = []
        for term in covariates:
            pos = where(term)
            if pos is None:
                continue
            R = np.zeros((len(pos) - 1, total))
            for i in range(len(pos) - 1):
                R[i, pos[i]] = 1.0
                R[i, pos[i + 1]] = -1.0
            all_R.append(R)
            r = R @ theta
            chi2 = float(r @ np.linalg.solve(R @ V @ R.T, r))
            ests = theta[pos]
            es_rows.append(
                {
                    "term": term,
                    "chi2": chi2,
                    "df": len(pos) - 1,
                    "p_value": float(stats.chi2.sf(chi2, len(pos) - 1)),
                    "min_estimate": float(ests.min()),
                    "max_estimate": float(ests.max()),
                    "range": float(ests.max() - ests.min()),
                    "cuts": ",".join(map(str, used_cuts)),
                }
            )
        if all_R:
            R = np.vstack(all_R)
            r = R @ theta
            chi2 = float(r @ np.linalg.lstsq(R @ V @ R.T, r, rcond=None)[0])
            global_test = {"chi2": chi2, "df": int(R.shape[0]), "p_value": float(stats.chi2.sf(chi2, R.shape[0]))}
    equal_slopes = pd.DataFrame(
        es_rows, columns=["term", "chi2", "df", "p_value", "min_estimate", "max_estimate", "range", "cuts"]
    )
    return CumulativeLogits(table=table, equal_slopes=equal_slopes, global_test=global_test, cuts=cuts, notes=notes)


def fit_ols(
    data: pd.DataFrame,
    outcome: str,
    covariates: Sequence[str],
    *,
    weights: str | None = None,
    fixed_effects: Sequence[str] | None = None,
    level: float = 0.95,
    include_fixed_effects: bool = False,
) -> pd.DataFrame:
    """OLS (WLS with sampling weights) with a constant and HC3 standard errors; tidy table.

    Uses ``statsmodels`` (``cov_type="HC3"``; with weights, HC3 on the sqrt-weight-transformed data).  Inference
    uses the normal distribution, as statsmodels does for robust covariances.  Fixed-effect levels with a single
    row (leverage 1, undefined HC3) are dropped with a warning.  Columns as :func:`fit_binary_logit` without
    ``odds_ratio``.
    """
    import statsmodels.api as sm

    _check_columns(data, [outcome])
    y = pd.to_numeric(data[outcome]).astype(float)
    d = _prepare(data, y, outcome, covariates, weights, fixed_effects, "ols")
    X = sm.add_constant(d.X, has_constant="add").rename(columns={"const": "Intercept"})
    yy = d.y.astype(float).to_numpy()
    model = sm.WLS(yy, X.to_numpy(), weights=d.w) if d.w is not None else sm.OLS(yy, X.to_numpy())
    res = model.fit(cov_type="HC3")
    tab = _ztable(list(X.columns), res.params, res.bse, level)
    tab["n"] = len(yy)
    tab["converged"] = True
    if not include_fixed_effects:
        tab = tab[~tab["term"].isin(d.fe_terms)].reset_index(drop=True)
    return tab
