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
# # Have the merged, large, central and network-oriented come furthest?
#
# **What the report says.** "Recently merged, large, central and network-oriented municipalities have come
# further" (VSR 2021).
#
# **What the sentence claims: four group comparisons.** The sentence names four groups that have come far: the
# recently merged (F3a), the large (F3b), the central (F3c) and the network-oriented (F3d). A reader takes it as
# a statement about those groups as they are, a **marginal** comparison: merged municipalities are further on
# than the others, large ones further than small ones, and so on. It does not say "other things being equal",
# and the characteristics travel together (large municipalities are also the central ones), so holding the other
# three constant would test a different claim (which characteristic matters *beyond* the others).
#
# **Primary tests (pre-specified in `claims.yml`).** Each characteristic alone in a weighted proportional-odds
# model of `maturity_stage` (raking weights, HC0 standard errors, no county fixed effects: county is not part of
# the groups the finding names), one-sided Wald test of a positive coefficient, with its estimate and confidence
# interval and its own line in the ledger.
#
# **Decision rule (`intersection_union`).** F3 is **supported** only when all four components are: its p-value is
# the *largest* of the four one-sided p-values (the intersection–union test, which needs no adjustment across the
# four). It is **not supported** when any component is significantly negative or shown negligible by an
# equivalence test (TOST against ± 0.2 log-odds); those routes are a union over four components, so their
# p-values are multiplied by four (Bonferroni). Otherwise **inconclusive**. F3 is one member of the Holm family;
# every route passes the same Holm adjustment as F3's primary test, and the components F3a–F3d are decided at
# F3's place in the family. Whether size is *necessary* is F4's question.
#
# **The joint model is an explanation, not the verdict.** Further down, all four characteristics enter one model
# with county fixed effects (reference county: the one with most municipalities in the frame, Viken) to show
# which characteristic matters beyond the others. Its coefficients never enter the ledger.

# %% tags=["parameters"]
survey = "synthetic:vsr-narrative:2021"
param_set = "who-came-furthest"
results_dir = None
claim = None  # the claim this parameter set decides; None: the claim whose parameter_set it is
terms = ["merged_2017_2020", "log_population", "centrality", "network_member"]
fixed_effects = []
joint_fixed_effects = ["county_code"]
top_stage = 4
speccurve_models = ["ordinal", "logit", "ols"]
speccurve_cuts = [2, 4]
imputations = 20
bootstrap_reps = 9999
seed = 2021

# %%
from vsr_analysis.api import markdown, start

ctx = start(survey=survey, param_set=param_set, results_dir=results_dir)  # stamps every parameter
claim = ctx.parameters["claim"]

# %%
import warnings

import seaborn as sns

from vsr_analysis.api import ModelWarning, fit_cumulative_logits, fit_ordinal, load_claims_spec, with_large_reference
from vsr_analysis.api import conjunction_evidence as conj
from vsr_analysis.api import conjunction_report as report

spec = load_claims_spec()
alpha = float(spec["alpha"])
parts = {c["evidence_part"]: c for c in spec["claims"] if (c.get("analysis") or {}).get("part_of") == claim}
sesoi = float(parts[terms[0]]["rule_parameters"]["sesoi_log_odds"])  # the components' smallest effect of interest
palette = sns.color_palette("colorblind")
LABELS = report.component_labels(parts)
resp, reference = with_large_reference(ctx.respondents, ctx.frame)
used = resp.dropna(subset=["maturity_stage", *terms])
markdown(
    f"{len(used)} responding municipalities with a maturity stage and all four characteristics (of "
    f"{len(ctx.frame)} in the frame). Raking weights: design effect "
    f"{ctx.data.weight_info['design_effect']:.2f}, effective n {ctx.data.weight_info['effective_n']:.0f}."
)
ctx.stop_unless_estimable(len(used), "a maturity stage and all four characteristics", parts=tuple(terms))
ctx.stop_unless_varies(used, ["maturity_stage", *terms], "the maturity stage or a characteristic", parts=tuple(terms))

# %% [markdown]
# ## The four group comparisons (the primary tests)

# %%
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always", ModelWarning)
    comp, conjunction = conj.characteristics_evidence(
        resp, terms, sesoi=sesoi, alpha=alpha, fixed_effects=fixed_effects
    )
for w in caught:
    markdown(f"Model note: {w.message}")
_ = ctx.table(
    "components",
    comp.assign(term=comp["term"].map(LABELS)),
    f"Each component of {claim}, each "
    "characteristic alone: coefficient (log-odds of a higher stage; weighted, HC0, no county fixed "
    "effects), 95 % CI, one-sided p-values for a positive and for a negative effect, the equivalence "
    "(TOST) p-value, and the units in each fit",
    count_columns=["n"],
)
markdown(report.components_text(comp, LABELS, alpha, claim))
ame = conj.marginal_ames(resp, terms, top_stage, fixed_effects=fixed_effects).assign(
    term=lambda t: t["term"].map(LABELS)
)
_ = ctx.table(
    "ame", ame, f"Each characteristic alone: average marginal effect on P(stage ≥ {top_stage}) (delta-method CIs)"
)

# %% [markdown]
# ## Explanation, not the verdict: which characteristic matters beyond the others?
#
# The joint model puts all four characteristics into one weighted proportional-odds model with county fixed
# effects. Each coefficient then says how much a characteristic goes with maturity *beyond* the other three:
# another question than the finding's, shown to explain the four comparisons, never entering the ledger.

# %%
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ModelWarning)
    fit = fit_ordinal(resp, "maturity_stage", terms, weights="weight", fixed_effects=joint_fixed_effects)
joint = conj.component_tests(fit.params, fit.bse, terms, sesoi, alpha)
_ = ctx.table(
    "joint_model",
    joint.assign(term=joint["term"].map(LABELS)),
    "Explanation only: the four "
    f"coefficients in one model (weighted, HC0, county fixed effects; reference county code {reference}) "
    "with one-sided p-values (not adjusted, not a verdict)",
)
col = conj.collinearity(used, terms)
markdown(report.collinearity_text(col))
markdown(f"{ctx.ref('forest')} shows the four coefficients of the group comparisons beside the joint model's.")
fig = report.forest_figure(comp, joint, LABELS, claim, palette)
ctx.figure(
    fig,
    "forest",
    alt=f"Forest plot of the four {claim} coefficients with 95 % intervals, each alone and in the joint model",
    caption="Coefficients (log-odds of a higher stage) with 95 % intervals. Alone (the primary tests), each "
    "characteristic also carries what goes with it; in the joint model they share what they explain.",
)

# %% [markdown]
# ### The joint model's robustness: county clusters and missing answers
#
# Municipalities of one county share its support and networks, and eleven counties are too few for ordinary
# cluster-robust standard errors. Three checks of the joint model: county-clustered standard errors and a wild
# cluster bootstrap p-value (Webb weights); a linear model of the stage with CR2 standard errors and
# Bell–McCaffrey degrees of freedom; and multiple imputation of skipped items (chained equations, predictive mean
# matching, 20 data sets, raking weights recomputed on each, Rubin's rules). One-sided p-values are the two-sided
# ones halved in the estimate's direction.

# %%
rob = conj.component_robustness(
    resp, ctx.frame, fit, terms, joint_fixed_effects, alpha=alpha, m=imputations, reps=bootstrap_reps, seed=seed
)
rob = rob.assign(model="joint model (explanation): " + rob["model"])
_ = ctx.table(
    "robustness",
    rob.assign(term=rob["term"].map(LABELS)),
    "The joint model's components under each robustness check (unadjusted α; explanation only, none enters the ledger)",
    count_columns=["n"],
)

# %% [markdown]
# ### Does proportional odds hold?
#
# Separate binary logits of 1[stage ≥ k] for each cut, with all four characteristics; under proportional odds
# their slopes agree. The equal-slopes test stacks the cut-specific score equations into one robust covariance (a
# Brant-type diagnostic).

# %%
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ModelWarning)
    cum = fit_cumulative_logits(resp, "maturity_stage", terms, weights="weight")
eq = cum.equal_slopes.assign(term=lambda t: t["term"].map(LABELS))
_ = ctx.table("equal_slopes", eq, "Equal-slopes test per characteristic (robust, stacked)")

# %% [markdown]
# ### Specification curve of the partial effects
#
# The joint model's question asked every reasonable way ({cite}`simonsohn2020`): size as log population, size
# band or population / 10,000; centrality as index, class or a central/not dummy; ordinal, logit at stage ≥ 2 and
# ≥ 4, or OLS; weighted or not; with or without the other characteristics and county fixed effects.

# %%
summary = report.specification_summary(resp, speccurve_models, speccurve_cuts)
_ = ctx.table(
    "specification_curve_summary", summary, "Agreement of the specifications with the joint model (explanation)"
)

# %% [markdown]
# ## Power: what could this survey detect?
#
# The smallest effect at which F3's rule says *supported* with 80 % power at this survey's design, and the same
# for each component, is stated in the verdict card above; the *Power and design* chapter computes it with this
# chapter's own analysis and the ledger's rule (outcomes drawn at stated effects, never at the estimate).

# %% [markdown]
# ## Verdict

# %%
from vsr_analysis.api import marginal_truth_table

evidence = ctx.evidence(
    claim=claim,
    primary=conjunction["primary"],
    n=conjunction["n"],
    rule_inputs=conjunction["rule_inputs"],
    parts=conjunction["parts"],
    collinearity=col,
    sensitivity=[*rob.to_dict("records"), *summary.to_dict("records")],
)
if ctx.data.truth:
    cover = marginal_truth_table(comp, ctx.data.truth, fixed_effects=fixed_effects)
    _ = ctx.table(
        "truth_vs_estimate",
        cover.assign(term=cover["term"].map(LABELS)),
        "Simulated data only: the value each group comparison estimates in the simulation (the pseudo-true "
        "marginal coefficient), beside the estimates",
    )
