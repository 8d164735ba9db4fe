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
# **Four claims in one sentence.** The sentence says four things at once: merged municipalities (F3a), large ones
# (F3b), central ones (F3c) and network-oriented ones (F3d) have each come further, other things being equal. A
# joint Wald test would reject as soon as *one* of the four coefficients differs from zero, so it cannot support
# a claim about all four. Each component therefore gets its own one-sided test in one proportional-odds model of
# `maturity_stage` (raking weights, HC0 standard errors, county fixed effects), its own estimate and confidence
# interval, and its own line in the ledger.
#
# **Decision rule (`intersection_union`, pre-specified in `claims.yml`).** F3 is **supported** only when all
# four components are: its p-value is the *largest* of the four one-sided p-values (the intersection–union test,
# which needs no adjustment across the four). It is **not supported** when any component is significantly
# negative or shown negligible by an equivalence test (TOST against ± 0.2 log-odds); those routes are a union
# over four components, so their p-values are multiplied by four (Bonferroni). Otherwise **inconclusive**.
# In the ledger every route passes the same Holm adjustment as F3's primary test; the components F3a–F3d are
# decided at F3's place in the family. Whether size is *necessary* is F4's question.
#
# **Reference county.** The county fixed effects are measured against the county with the most municipalities
# in the frame (Viken), fixed from the register; sorting by code would make Oslo — one municipality, dropped from
# every fit by separation — the nominal reference.

# %% tags=["parameters"]
survey = "synthetic:vsr-narrative:2021"
param_set = "f3-who-came-furthest"
results_dir = None
claim = "F3"
terms = ["merged_2017_2020", "log_population", "centrality", "network_member"]
fixed_effects = ["county_code"]
top_stage = 4
speccurve_models = ["ordinal", "logit", "ols"]
speccurve_cuts = [2, 4]
power_reps = 200
imputations = 20
bootstrap_reps = 9999
seed = 2021

# %%
from vsr_analysis.chapter import start, markdown
ctx = start(survey=survey, param_set=param_set, results_dir=results_dir, parameters=dict(
    claim=claim, terms=terms, fixed_effects=fixed_effects, top_stage=top_stage, speccurve_models=speccurve_models,
    speccurve_cuts=speccurve_cuts, power_reps=power_reps, imputations=imputations, bootstrap_reps=bootstrap_reps, seed=seed))

# %%
import warnings
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
import seaborn as sns
from vsr_analysis.claims import conjunction_evidence as conj
from vsr_analysis.claims.ledger import load_claims_spec
from vsr_analysis.claims.model_robustness import with_large_reference
from vsr_analysis.stats.ordinal_model import fit_ordinal, fit_cumulative_logits, ModelWarning
from vsr_analysis.stats import specification_curve as speccurve
from vsr_analysis.stats import power_simulated as power
from vsr_analysis.stats.figure_style import legend_below, wrap

spec = load_claims_spec()
alpha = float(spec["alpha"])
sesoi = float(next(c for c in spec["claims"] if c["id"] == "F3a")["rule_parameters"]["sesoi_log_odds"])
palette = sns.color_palette("colorblind")
LABELS = {"log_population": "F3b large: log population", "centrality": "F3c central: centrality (index / 100)",
          "merged_2017_2020": "F3a merged 2017–2020", "network_member": "F3d member of an SDG network"}
resp, reference = with_large_reference(ctx.respondents, ctx.frame)
used = resp.dropna(subset=["maturity_stage", *terms])
markdown(f"{len(used)} responding municipalities with a maturity stage and all four characteristics (of "
         f"{len(ctx.frame)} in the frame); reference county code {reference}. Raking weights: design effect "
         f"{ctx.data.weight_info['design_effect']:.2f}, effective n {ctx.data.weight_info['effective_n']:.0f}.")
ctx.stop_unless_estimable(len(used), "a maturity stage and all four characteristics", parts=tuple(terms))
ctx.stop_unless_varies(used, ["maturity_stage", *terms], "the maturity stage or a characteristic", parts=tuple(terms))

# %% [markdown]
# ## The four components

# %%
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always", ModelWarning)
    fit = fit_ordinal(resp, "maturity_stage", terms, weights="weight", fixed_effects=fixed_effects)
for w in caught:
    markdown(f"Model note: {w.message}")
comp = conj.component_tests(fit.params, fit.bse, terms, sesoi, alpha)
_ = ctx.table("components", comp.assign(term=comp["term"].map(LABELS)), "Each component of F3: coefficient "
              "(log-odds of a higher stage; weighted, HC0, county fixed effects), 95 % CI, one-sided p-values "
              "for a positive and for a negative effect, and the equivalence (TOST) p-value")
carried = [LABELS[t] for t in comp.loc[comp["p_greater"] < alpha, "term"]]
markdown(f"At the unadjusted level, the components that carry the claim are: **{', '.join(carried) or 'none'}**. "
         f"The intersection–union p-value (the largest one-sided p) is **{comp['p_greater'].max():.3g}** "
         f"({LABELS[comp.loc[comp['p_greater'].idxmax(), 'term']]}).")
col = conj.collinearity(used, terms)
markdown(f"**Size and centrality overlap.** Among the respondents the weighted correlation of log population "
         f"and centrality is **{col['r_size_centrality']:.2f}**; their variance inflation factors are "
         f"{col['vif']['log_population']:.1f} and {col['vif']['centrality']:.1f}. In the joint model each is "
         "estimated from what the other leaves over, so each alone can be uncertain although together they "
         "clearly matter — the reason a joint test says little about the four separate claims.")

# %%
alone = conj.each_alone(resp, terms, weights="weight", fixed_effects=fixed_effects)
markdown(f"{ctx.ref('forest')} shows the four coefficients from the joint model and with each entered alone.")
fig, ax = plt.subplots(figsize=(5.4, 4.6))
conj.forest(ax, {"all four in one model (primary)": comp, "each entered alone": alone},
            {k: wrap(v, 20) for k, v in LABELS.items()}, palette)
ax.set_xlabel(wrap(ax.get_xlabel(), 36))
legend_below(ax)  # one entry per line, below the data
ax.set_title(wrap("F3's components: coefficients with 95 % intervals", 40))
ctx.figure(fig, "forest", alt="Forest plot of the four F3 coefficients with 95 % intervals, from the joint model and with each entered alone",
           caption="Coefficients (log-odds of a higher stage) with 95 % intervals. Entered alone, size and "
                   "centrality each also stand for the other; in the joint model they share what they explain.")

# %%
ame = fit.ame(top_stage, terms).assign(term=lambda t: t["term"].map(LABELS))
_ = ctx.table("ame", ame, f"Average marginal effects on P(stage ≥ {top_stage}) (delta-method CIs)")

# %% [markdown]
# ## Robustness: county clusters and missing answers
#
# Municipalities of one county share its support and networks, and eleven counties are too few for ordinary
# cluster-robust standard errors. Three checks: the primary model with county-clustered standard errors and a
# wild cluster bootstrap p-value (Webb weights); a linear model of the stage with CR2 standard errors and
# Bell–McCaffrey degrees of freedom; and multiple imputation of skipped items (chained equations, predictive mean
# matching, 20 data sets, raking weights recomputed on each, Rubin's rules) in place of dropping municipalities
# with a missing answer. One-sided p-values are the two-sided ones halved in the estimate's direction.

# %%
rob = conj.component_robustness(resp, ctx.frame, fit, terms, fixed_effects, alpha=alpha, m=imputations,
                                reps=bootstrap_reps, seed=seed)
_ = ctx.table("robustness", rob.assign(term=rob["term"].map(LABELS)), "Each component under each robustness "
              "check (unadjusted α; only the primary model enters the ledger)", count_columns=["n"])

# %% [markdown]
# ## Does proportional odds hold?
#
# Separate binary logits of 1[stage ≥ k] for each cut; under proportional odds their slopes agree. The
# equal-slopes test stacks the cut-specific score equations into one robust covariance (a Brant-type diagnostic).

# %%
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ModelWarning)
    cum = fit_cumulative_logits(resp, "maturity_stage", terms, weights="weight")
eq = cum.equal_slopes.assign(term=lambda t: t["term"].map(LABELS))
_ = ctx.table("equal_slopes", eq, "Equal-slopes test per characteristic (robust, stacked)")

# %% [markdown]
# ## Specification curve
#
# The same question asked every reasonable way ({cite}`simonsohn2020`): size as log population, size band or
# population / 10,000; centrality as index, class or a central/not dummy; ordinal, logit at stage ≥ 2 and ≥ 4,
# or OLS; weighted or not; with or without the other characteristics and county fixed effects.

# %%
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    curves_out = {focal: speccurve.specification_curve(speccurve.prepare_columns(resp), speccurve.default_specs(
        focal, models_=tuple(speccurve_models), cuts=tuple(speccurve_cuts))) for focal in ("size", "centrality")}
summary = pd.DataFrame([{"characteristic": focal, **speccurve.summarise(c)} for focal, c in curves_out.items()])
_ = ctx.table("specification_curve_summary", summary, "Agreement of the specifications with the primary model")

# %% [markdown]
# ## Power: what could this survey detect?

# %%
rows = []
for t in terms:
    continuous = t in ("log_population", "centrality")
    effect = float(fit.params[t] * (used[t].std() if continuous else 1.0))
    res = power.power_ordinal_effect(len(used), effect, covariate="normal" if continuous else "binary",
                                     p_binary=0.5 if continuous else float(used[t].mean()), reps=power_reps, seed=seed)
    rows.append({"term": LABELS[t], "effect assumed (log-odds; per SD if continuous)": effect, "power at α = 0.05": res["power"]})
_ = ctx.table("power", pd.DataFrame(rows), "Simulated power for each characteristic at the estimated effect (a design check)")

# %% [markdown]
# ## Verdict

# %%
conjunction = conj.conjunction_evidence(comp, fit.n, "intersection-union test: largest of four one-sided Wald "
                                        "p-values (HC0) in a weighted proportional-odds model with county FE")
evidence = ctx.evidence(claim=claim, primary=conjunction["primary"], n=fit.n, rule_inputs=conjunction["rule_inputs"],
                        parts=conjunction["parts"], collinearity=col,
                        sensitivity=[*rob.to_dict("records"), *summary.to_dict("records")])
if ctx.data.truth:
    truth = ctx.data.truth.get("coefficients", {})
    cover = comp.assign(truth=comp["term"].map(truth))[["term", "truth", "estimate", "ci_low", "ci_high"]]
    cover["covered by 95 % CI"] = (cover["ci_low"] <= cover["truth"]) & (cover["truth"] <= cover["ci_high"])
    _ = ctx.table("truth_vs_estimate", cover.assign(term=cover["term"].map(LABELS)),
                  "Simulated data only: the true coefficients of the simulation beside the estimates")
