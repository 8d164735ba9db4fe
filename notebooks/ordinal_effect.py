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
# # One characteristic and maturity: an ordinal effect
#
# **How it is tested.** The claim (its box below) says that one characteristic — the term the run spec names — goes
# with a more mature municipality, other things being equal. It is tested as the coefficient of that characteristic
# in a proportional-odds (ordinal logit) model of the self-classified maturity stage (0–5), weighted to the register
# frame (raking), with county fixed effects and robust (HC0) standard errors, holding the run spec's controls (size,
# centrality, a recent merger, network membership) constant. The county fixed effects are measured against the
# county with the most municipalities (Viken), fixed from the register; sorting by code would make Oslo — a county
# of one municipality, dropped from every fit by separation — the nominal reference. This page is one parameter
# set of the template shared by every claim on one characteristic's ordinal effect; what holds for its claim alone
# follows the box.
#
# **Decision rule (`directional`).** *Supported* when the coefficient is positive and significant;
# *not supported* when it is significant with the opposite sign, or when an equivalence test (TOST,
# {cite}`lakens2017`) shows it lies inside the smallest effect size of interest (± 0.2 on the log-odds scale);
# otherwise *inconclusive*. In the ledger every one of these routes passes the same Holm adjustment, so a
# "negligible" verdict is no easier to reach than a "supported" one.

# %% tags=["parameters"]
survey = "synthetic:vsr-narrative:2021"
param_set = "political-ownership"
results_dir = None
claim = None  # the claim this parameter set decides; None: the claim whose parameter_set it is
term = "political_anchoring"
term_label = "political anchoring: the council has given the SDG work clear political priority (1 strongly disagree to 5 strongly agree)"
term_short = "political anchoring"
controls = ["log_population", "centrality", "merged_2017_2020", "network_member"]
fixed_effects = ["county_code"]
sensitivity_controls = ["admin_anchoring"]
register_term = None
top_stage = 4
permutations = 10000
imputations = 20
bootstrap_reps = 9999
seed = 2021

# %%
from vsr_analysis.api import claim_prose, markdown, start

ctx = start(survey=survey, param_set=param_set, results_dir=results_dir)  # stamps every parameter
claim = ctx.parameters["claim"]

# %%
import seaborn as sns

from vsr_analysis.api import as_numbers, group_release, load_codebook, ordinal_term_effect, with_large_reference
from vsr_analysis.api import term_effect_report as report
from vsr_analysis.api import term_effect_text as tt

alpha, claim_entry = ctx.alpha, ctx.claim
sesoi = float(claim_entry["rule_parameters"]["sesoi_log_odds"])
stage_labels = load_codebook().maturity_labels("en")
markdown(report.claim_box(claim_entry, alpha, sesoi))
if prose := claim_prose(claim):  # what holds for this claim alone (its entry's prose file)
    markdown(prose)
resp, reference = with_large_reference(ctx.respondents, ctx.frame)
used = resp.dropna(subset=["maturity_stage", term, *controls])
markdown(tt.respondents_text(len(resp), len(ctx.frame), len(used), term_short, term_label, reference))
ctx.stop_unless_estimable(len(used), f"a maturity stage, the {term_short} item and every covariate")
ctx.stop_unless_varies(used, ["maturity_stage", term, *controls], "the maturity stage, the term or a covariate")

# %% [markdown]
# ## The term and the maturity stage
#
# The weighted distribution of maturity stages at each level of the term, before any adjustment.

# %%
crosstab = report.stage_by_level(used, term, term_short, top_stage)
ctx.table(
    "stage_by_term",
    crosstab,
    f"Weighted distribution of maturity stages by {term_short} (row percentages)",
    count_columns=["municipalities"],
    float_digits=1,
    cells=group_release.distribution_cells(
        crosstab, term_short, report.stage_by_level_groups(used, term), "maturity_stage", range(6), top_stage
    ),
)
markdown(f"{ctx.ref('stage_by_term')} draws these distributions.")
shown = as_numbers(ctx.released("stage_by_term"), [term_short])  # the figure is drawn from what was released
fig = report.stage_by_term_figure(shown, term_short, stage_labels)
ctx.figure(fig, "stage_by_term", **tt.figure_words("stage_by_term", term_short))

# %% [markdown]
# ## Primary analysis: the weighted proportional-odds model
#
# `logit P(stage ≤ k) = ζ_k − x'β`: a positive coefficient moves municipalities towards the higher stages.
# Weighted with the raking weights, county fixed effects, HC0 sandwich standard errors. The county-clustered
# alternative is a robustness row below.

# %%
primary = ordinal_term_effect(
    resp, term, controls, weights="weight", fixed_effects=fixed_effects, cut=top_stage, sesoi=sesoi, alpha=alpha
)
ctx.table(
    "coefficients",
    tt.coefficient_table(primary.fit),
    "Weighted proportional-odds model of the maturity stage (log-odds, HC0 SEs; county fixed effects not shown)",
    numbered=True,
)
for note in primary.notes:
    markdown(f":::{{note}}\n{note}\n:::")
markdown(tt.coefficient_text(primary, term_short, sesoi, alpha, ctx.ref("coefficients", "table")))

# %% [markdown]
# ### Average marginal effect and predicted stages
#
# The change in the probability of stage 4 or 5, averaged over the municipalities (weighted; delta-method
# interval), and the average predicted distribution with the term set to each level.

# %%
ctx.table("ame", primary.fit.ame(cut=top_stage), f"Average marginal effects on P(stage ≥ {top_stage}) (weighted model)")
pred = report.predicted_by_level(primary.fit, used, term, term_short)
pred_ge = tt.predicted_top(pred, term_short, top_stage)
ctx.table(
    "predicted_top", pred_ge, f"Average predicted probability of stage ≥ {top_stage} at each level of {term_short}"
)
markdown(f"{ctx.ref('predicted_stages')} shows the whole predicted distribution at each level.")
fig = report.predicted_stages_figure(pred, term_short, stage_labels)
ctx.figure(fig, "predicted_stages", **tt.figure_words("predicted_stages", term_short))

# %% [markdown]
# ### Proportional odds: one slope for every cut?
#
# Separate weighted binary logits of 1[stage ≥ k]; a Brant-type Wald test with a joint sandwich covariance
# checks whether the slopes agree (a diagnostic, not part of the decision).

# %%
try:
    cs = report.cut_slopes(resp, used, term, controls, fixed_effects)
    ctx.table(
        "cut_slopes",
        cs["table"],
        f"Slope of {term_short} in separate logits of stage ≥ k (weighted)",
        count_columns=["n"],
    )
    markdown(report.cut_slopes_text(cs))
except ValueError as exc:
    markdown(f"The cut-specific logits could not be fitted ({exc}).")

# %% [markdown]
# ## Support: is the term a *necessary* condition for the higher stages?
#
# Necessary Condition Analysis ({cite}`dul2016`) asks whether high maturity *requires* the term (an empty
# upper-left corner), not whether it raises the average. CE-FDH ceiling, permutation test ({cite}`dul2020`).

# %%
ce, bn_table = report.nca_of_term(used, term, permutations, seed)
ctx.table("nca_bottleneck", bn_table, f"Bottleneck: the level of {term_short} the CE-FDH ceiling requires per stage")
markdown(tt.nca_text(ce, term_short))

# %% [markdown]
# ## Register network lists against self-reported membership (where the run spec names a register measure)

# %%
if register_term:
    cross, text = report.register_agreement(used, register_term, term)
    ctx.table(
        "register_vs_self_report",
        cross,
        "Respondents by public network list and self-reported membership (counts)",
        count_columns=["reports no membership", "reports membership"],
    )
    markdown(text)
else:
    markdown("Not applicable to this parameter set.")

# %% [markdown]
# ## Robustness
#
# The primary result beside: the unweighted fit; further controls; for the networks claim, the register list in
# place of the self-report; **county-clustered** standard errors (eleven counties are too few for the usual
# cluster correction, so the p-value comes from a wild cluster bootstrap with Webb weights); a **linear model
# with CR2** standard errors and Bell–McCaffrey degrees of freedom (the small-cluster correction, on the stage
# scale); and **multiple imputation** of skipped items (chained equations with predictive mean matching, 20 data
# sets, raking weights recomputed on each, Rubin's rules) in place of dropping every municipality with a missing
# answer. Each row shows the rule's decision on that row alone (unadjusted α); only the primary row enters the ledger.

# %%
robust = report.robustness_table(
    resp, ctx.frame, primary, claim=claim_entry, alpha=alpha, sesoi=sesoi, **tt.robustness_settings(globals())
)
ctx.table(
    "robustness",
    robust,
    "The term's coefficient under each specification (decision at unadjusted α)",
    count_columns=["n"],
)
markdown(" ".join(report.robustness_sentences(robust, alpha)))
markdown(f"{ctx.ref('robustness')} draws each ordinal specification's estimate with its interval.")
fig = report.robustness_figure(robust, sesoi, sns.color_palette("colorblind"), term_short)
ctx.figure(fig, "robustness", **tt.figure_words("robustness", term_short))

# %% [markdown]
# ## Verdict

# %%
evidence = ctx.evidence(
    claim=claim,
    primary=tt.primary_record(primary, term, controls, reference),
    n=primary.n,
    rule_inputs={"equivalence_p": primary.equivalence_p, "route_p_values": {"equivalence": primary.equivalence_p}},
    sensitivity=robust.to_dict(orient="records"),
    **tt.effect_records(primary, top_stage=top_stage, sesoi=sesoi, ce=ce, permutations=permutations),
    model_notes=primary.notes,
)
