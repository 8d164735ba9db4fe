# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # F3 — Have the merged, large, central and network-oriented come furthest?
#
# **What the report says.** "Recently merged, large, central and network-oriented municipalities have come
# further" (VSR 2021).
#
# **Hypothesis (pre-specified in `claims.yml`).** Jointly, log population, centrality (SSB index / 100),
# a merger in 2017–2020 and network membership are associated with higher maturity stages, and none of the
# four is associated with *lower* stages. This is a claim about averages; whether size is *necessary* is
# F4's question.
#
# **Primary test and decision rule.** The joint Wald test (4 df, HC0 sandwich covariance) of the four
# coefficients in a proportional-odds model of `maturity_stage`, with county fixed effects and raking weights.
# **Supported** when it rejects at the Holm-adjusted level and none of the four coefficients is significantly
# negative; **not supported** when any is significantly negative; otherwise **inconclusive**. Each component is
# also reported on its own, with average marginal effects on P(stage ≥ 4), a check of proportional odds, a
# specification curve and a power analysis.

# %% tags=["parameters"]
survey = "synthetic:vsr-narrative:2021"
param_set = "f3-who-came-furthest"
results_dir = None
claim = "F3"
terms = ["log_population", "centrality", "merged_2017_2020", "network_member"]
fixed_effects = ["county_code"]
top_stage = 4
speccurve_models = ["ordinal", "logit", "ols"]
speccurve_cuts = [2, 4]
power_reps = 200
seed = 2021

# %%
from vsr_analysis.chapter import start, markdown
ctx = start(survey=survey, param_set=param_set, results_dir=results_dir, parameters=dict(
    claim=claim, terms=terms, fixed_effects=fixed_effects, top_stage=top_stage,
    speccurve_models=speccurve_models, speccurve_cuts=speccurve_cuts, power_reps=power_reps, seed=seed))

# %%
import warnings
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
import seaborn as sns
from vsr_analysis.stats.ordinal_model import fit_ordinal, fit_cumulative_logits, ModelWarning
from vsr_analysis.stats import specification_curve as speccurve
from vsr_analysis.stats import power_simulated as power

sns.set_theme(style="whitegrid", palette="colorblind")
LABELS = {"log_population": "log population", "centrality": "centrality (index / 100)",
          "merged_2017_2020": "merged 2017–2020", "network_member": "member of an SDG network"}
resp = ctx.respondents.dropna(subset=["maturity_stage", *terms])
markdown(f"{len(resp)} responding municipalities with a maturity stage and all four characteristics "
         f"(of {len(ctx.frame)} in the frame). Raking weights: design effect "
         f"{ctx.data.weight_info['design_effect']:.2f}, effective n {ctx.data.weight_info['effective_n']:.0f}.")

# %% [markdown]
# ## The primary model

# %%
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always", ModelWarning)
    fit = fit_ordinal(resp, "maturity_stage", terms, weights="weight", fixed_effects=fixed_effects)
    fit_unw = fit_ordinal(resp, "maturity_stage", terms, weights=None, fixed_effects=fixed_effects)
for w in caught:
    markdown(f"Model note: {w.message}")
coefs = fit.coef_table().assign(term=lambda t: t["term"].map(LABELS))
coefs_unw = fit_unw.coef_table()
table = coefs[["term", "estimate", "se", "p_value", "ci_low", "ci_high", "odds_ratio"]].copy()
table["estimate (unweighted)"] = coefs_unw["estimate"].to_numpy()
table["p (unweighted)"] = coefs_unw["p_value"].to_numpy()
_ = ctx.table("coefficients", table, "Proportional-odds coefficients (log-odds of a higher stage), weighted with "
          "HC0 standard errors, county fixed effects; unweighted estimates beside them")
wald = fit.wald(terms)
wald_unw = fit_unw.wald(terms)
markdown(f"Joint Wald test of the four characteristics: χ²({wald['df']:.0f}) = **{wald['chi2']:.2f}**, "
         f"p = **{wald['p_value']:.2g}** (weighted); unweighted χ² = {wald_unw['chi2']:.2f}, "
         f"p = {wald_unw['p_value']:.2g}.")

# %%
ame = fit.ame(top_stage, terms)
ame["term"] = ame["term"].map(LABELS)
_ = ctx.table("ame", ame, f"Average marginal effects on P(stage ≥ {top_stage}) (delta-method CIs; discrete change "
          "for the 0/1 characteristics, per unit for the continuous ones)")

# %% [markdown]
# ## Predicted stages by size and centrality

# %%
grid = pd.DataFrame({"log_population": np.linspace(resp["log_population"].min(), resp["log_population"].max(), 60)})
curves = []
for label, cent in (("central (index 900)", 9.0), ("middle (index 750)", 7.5), ("peripheral (index 550)", 5.5)):
    g = grid.assign(centrality=cent, merged_2017_2020=0, network_member=0)
    for fe in fixed_effects:
        g[fe] = resp[fe].mode().iloc[0]
    p = fit.predict_ge(g, top_stage)
    curves.append(pd.DataFrame({"population": np.exp(g["log_population"]), "p": np.asarray(p), "centrality": label}))
curves = pd.concat(curves)
fig, ax = plt.subplots(figsize=(7.5, 4.2))
sns.lineplot(data=curves, x="population", y="p", hue="centrality", ax=ax, lw=2)
ax.set_xscale("log")
ax.set_xlabel("Inhabitants (1 Jan 2021, log scale)")
ax.set_ylabel(f"Predicted probability of stage ≥ {top_stage}")
ax.set_title("Predicted probability of the top stages by size and centrality")
ax.legend(title="Centrality", fontsize=8)
ctx.figure(fig, "predicted_top_stage",
           alt=f"Line chart of the predicted probability of maturity stage {top_stage} or higher against population for central, middle and peripheral municipalities",
           caption="Predictions of the primary model for a municipality that did not merge, is not in a network, "
                   "in the most common county.")

# %% [markdown]
# ## Does proportional odds hold?
#
# statsmodels has no Brant test, so each cut of the ladder gets its own binary logit of 1[stage ≥ k]; under
# proportional odds their slopes agree. The equal-slopes test stacks the cut-specific score equations into one
# robust covariance (a Brant-type diagnostic, not Brant's test itself).

# %%
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ModelWarning)
    cum = fit_cumulative_logits(resp, "maturity_stage", terms, weights="weight")
slopes = cum.table.pivot(index="term", columns="cut", values="estimate").reset_index()
slopes.columns = [f"stage ≥ {c}" if c != "term" else "term" for c in slopes.columns]
slopes["term"] = slopes["term"].map(LABELS)
_ = ctx.table("cumulative_logits", slopes, "Slopes of the separate binary logits, by cut")
eq = cum.equal_slopes.copy()
eq["term"] = eq["term"].map(LABELS) if "term" in eq else eq.index.map(LABELS)
_ = ctx.table("equal_slopes", eq, "Equal-slopes test per characteristic (robust, stacked)")

# %% [markdown]
# ## Specification curve
#
# The same question asked in every reasonable way ({cite}`simonsohn2020`): size coded as log population, size
# band or population / 10,000; centrality as index, class or a central/not dummy; ordinal, logit at the cuts
# "decided or more" (stage ≥ 2) and "operationalised or more" (stage ≥ 4), or OLS; weighted or not; with or without the other characteristics and county fixed effects.

# %%
prepared = speccurve.prepare_columns(resp)
curves_out = {}
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    for focal in ("size", "centrality"):
        specs = speccurve.default_specs(focal, models_=tuple(speccurve_models), cuts=tuple(speccurve_cuts))
        curves_out[focal] = speccurve.specification_curve(prepared, specs)
summary = pd.DataFrame([{"characteristic": focal, **speccurve.summarise(c)} for focal, c in curves_out.items()])
_ = ctx.table("specification_curve_summary", summary, "Agreement of the specifications with the primary model")
fig, axes = plt.subplots(1, 2, figsize=(9, 3.6), sharey=False)
for ax, (focal, c) in zip(axes, curves_out.items()):
    c = c.dropna(subset=["estimate"]).sort_values("estimate").reset_index(drop=True)
    z = c["estimate"] / c["se"]
    palette = sns.color_palette("colorblind")
    colors = [palette[0] if p < 0.05 else palette[7] for p in c["p_value"]]
    ax.scatter(range(len(c)), z, s=6, c=colors)
    ax.axhline(0, color="black", lw=0.8)
    ax.set_title(f"{focal.capitalize()}: {len(c)} specifications")
    ax.set_xlabel("Specification (sorted by estimate)")
    ax.set_ylabel("Standardised estimate (z)")
ctx.figure(fig, "specification_curve",
           alt="Two specification curves of standardised estimates for size and centrality, sorted, coloured by significance",
           caption="Each point is one specification; dark points are significant at 5 %. Estimates are shown "
                   "as z-values so that different codings share one axis.")

# %% [markdown]
# ## Power: what could this survey detect?

# %%
sd = resp[terms].std()
rows = []
for t in terms:
    beta = fit.params[t]
    scale = float(sd[t]) if t in ("log_population", "centrality") else 1.0
    effect = float(beta * scale) if t in ("log_population", "centrality") else float(beta)
    cov = "normal" if t in ("log_population", "centrality") else "binary"
    pb = float(resp[t].mean()) if cov == "binary" else 0.5
    res = power.power_ordinal_effect(len(resp), effect, covariate=cov, p_binary=pb, reps=power_reps, seed=seed)
    rows.append({"term": LABELS[t], "effect assumed (log-odds, per SD for continuous)": effect,
                 "power at α = 0.05": res["power"], "replicates": res["reps"]})
_ = ctx.table("power", pd.DataFrame(rows), "Simulated power for each characteristic at the estimated effect, one "
          "covariate at a time (a design check, not a test)")

# %% [markdown]
# ## Verdict

# %%
components = {t: {"estimate": float(fit.params[t]), "p_value": float(r.p_value)}
              for t, r in zip(terms, fit.coef_table().itertuples())}
evidence = ctx.evidence(
    claim=claim,
    primary={"method": "joint Wald test (HC0) of 4 coefficients in a weighted proportional-odds model with county FE",
             "estimate": wald["chi2"], "ci_low": None, "ci_high": None, "p_value": wald["p_value"]},
    n=fit.n,
    rule_inputs={"components": components, "df": wald["df"]},
    sensitivity=[{"analysis": "unweighted", "chi2": wald_unw["chi2"], "p_value": wald_unw["p_value"]},
                 *[{"analysis": f"specification curve ({r['characteristic']})",
                    "share_same_sign": r["share_same_sign"],
                    "share_significant_same": r["share_significant_same"]} for r in summary.to_dict("records")]],
)
if ctx.data.truth:
    truth = ctx.data.truth.get("coefficients", {})
    comp = pd.DataFrame([{"term": LABELS[t], "true coefficient (simulation)": truth.get(t),
                          "estimate": fit.params[t], "covered by 95 % CI": (r.ci_low <= truth.get(t, np.nan) <= r.ci_high)}
                         for t, r in zip(terms, fit.coef_table().itertuples())])
    _ = ctx.table("truth_vs_estimate", comp, "Synthetic data only: the true coefficients of the simulation beside the estimates")
