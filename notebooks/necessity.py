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
# # Is being "big and strong" a prerequisite?
#
# **What the report says.** "Recently merged, large, central and network-oriented municipalities have come
# further, but being 'big and strong' is not a prerequisite for success" (VSR 2021); "Flere mindre kommuner
# gjør en formidabel innsats" (ks.no).
#
# **An existence claim.** "Not a prerequisite" says that the top of the maturity ladder *can* be reached without
# being big; "several smaller municipalities" says that it has been, more than once. Such a claim is shown by
# examples, not by a p-value: the primary evidence is the number of **validated counterexamples** —
# responding municipalities below the threshold for "big" whose self-classified stage 4 or 5 is confirmed by the
# items the ladder requires for that stage (the SDGs in the budget or the management system for stage 4,
# measuring progress for stage 5). A municipality that classifies itself at stage 4 but answers "no" to both
# budget and management is not counted, so one misreport cannot carry the verdict.
#
# **Decision rule (`existence`, pre-specified in `claims.yml`).** **Supported** when at least three validated
# counterexamples exist. **Not supported** when none exists *and* Necessary Condition Analysis (NCA;
# {cite}`dul2016`) finds a significant ceiling (permutation test, {cite}`dul2020`) whose bottleneck puts the
# required size for stage ≥ 4 at or above the threshold. Otherwise **inconclusive**. "Big" means more
# inhabitants than the frame's median municipality (1 Jan 2021); 10,000 and 20,000 are sensitivity thresholds.
# The parameter set `centrality-not-a-prerequisite` applies the same rule to centrality.
#
# **Why an existence claim is outside the Holm family.** Its verdict rests on a count. NCA's p-value only enters the
# "not supported" route, and there it is read at the unadjusted level: a *small* NCA p-value points *towards* size
# being required — against the claim — so it can never make the claim easier to support.

# %% tags=["parameters"]
survey = "synthetic:vsr-narrative:2021"
param_set = "size-not-a-prerequisite"
results_dir = None
claim = None  # the claim this parameter set decides; None: the claim whose parameter_set it is
condition = "population_2021"
condition_label = "inhabitants (1 Jan 2021)"
log_scale = True
threshold = None
threshold_label = "the frame's median population"
sensitivity_thresholds = [10000.0, 20000.0]
top_stage = 4
permutations = 10000
seed = 2021
multiverse = True

# %%
from vsr_analysis.api import markdown, start

ctx = start(survey=survey, param_set=param_set, results_dir=results_dir)  # stamps every parameter
claim = ctx.parameters["claim"]

# %%
import numpy as np

from vsr_analysis.api import load_claims_spec, load_codebook, nca, necessity_figures
from vsr_analysis.api import necessity_evidence as prerequisite
from vsr_analysis.api import necessity_text as nt

spec = load_claims_spec()
claim_entry = next(c for c in spec["claims"] if c["id"] == claim)
frame, confidential = ctx.frame, ctx.data.confidential
# The threshold is fixed from the register frame (all 356 municipalities), before any survey answer is read.
cut = float(frame[condition].median()) if threshold is None else float(threshold)
resp = ctx.respondents.dropna(subset=["maturity_stage", condition])
ctx.stop_unless_estimable(len(resp), "a maturity stage and the condition", kind="count")
ctx.stop_unless_varies(resp, ["maturity_stage"], "the maturity stage")
x_raw = resp[condition].astype(float).to_numpy()
y = resp["maturity_stage"].astype(float).to_numpy()
# NCA's effect size depends on the X scale; population is analysed on a log10 scale (Oslo is 200 times the
# median), while the bottleneck is reported back in inhabitants (as a register band on a confidential run).
x = np.log10(x_raw) if log_scale else x_raw
markdown(nt.threshold_text(cut, condition_label, threshold_label, len(resp), len(frame)))

# %% [markdown]
# ## The primary evidence: validated counterexamples

# %%
ce = nca(x, y, ceiling="ce_fdh", permutations=permutations, seed=seed)
where = (resp, frame, condition, cut)  # every existence analysis: who, against what, and the threshold
common = dict(log_scale=log_scale, nca_result=ce, confidential=confidential)
ev = prerequisite.existence_evidence(*where, top_stage, **common)
inputs = ev.as_rule_inputs()
markdown(nt.counterexamples_text(inputs, top_stage))
table, caption, counts = prerequisite.small_at_top_table(resp, condition, cut, top_stage, synthetic=ctx.synthetic)
_ = ctx.table("below_threshold_at_top", table, caption, count_columns=counts)

# %% [markdown]
# ## Necessary Condition Analysis: how much does size constrain?
#
# NCA fits a ceiling through the upper-left "peers" of the scatter: the step function CE-FDH (suited to the
# discrete 0–5 ladder) and the straight CR-FDH line. The effect size *d* is the share of the scope above the
# ceiling (< 0.1 small, 0.1–0.3 medium, 0.3–0.5 large); the permutation test breaks any link between X and the
# stage. **Which way a small p points:** a small p says the empty corner is unlikely to be chance, i.e. that
# size *does* constrain the stage — evidence against the claim, not for it. The bottleneck says how much size the
# ceiling requires for each stage.

# %%
ctx.table(
    "nca",
    prerequisite.nca_table(x, y, permutations, seed, confidential=confidential),
    "NCA ceiling lines for maturity stage (X on the analysis scale)",
)
bn_table = prerequisite.bottleneck_table(
    x, y, frame, condition, log_scale=log_scale, confidential=confidential, labels=load_codebook().maturity_labels("en")
)
ctx.table(
    "bottleneck",
    bn_table,
    nt.bottleneck_caption(condition_label, confidential),
)
markdown(nt.nca_text(ce, permutations, ev, top_stage))

# %%
tail_table, contrast = nt.upper_tail(resp, condition, cut, top_stage, confidential=confidential, seed=seed)
ctx.table("upper_tail", tail_table, "Weighted share at the top stages above and below the threshold")
markdown(nt.upper_tail_text(contrast))

# %% [markdown]
# ## The scatter and its ceilings
#
# On simulated data every municipality is drawn. On a real survey file a point would show one municipality's
# answer at its public population, so the chapter shows respondents counted by register band and stage
# instead, with cells of one or two suppressed.

# %%
markdown(f"{ctx.ref('scatter_ceiling')} shows the respondents against {condition_label} and the ceilings.")
if confidential:  # the figure's data, through the disclosure engine; the grid is drawn from what was released
    binned, cells = necessity_figures.binned_release(resp, frame, condition)
    ctx.table("binned_counts", binned, "Respondents by register band and stage", cells=cells, show=False)
fig, alt, caption = nt.scatter_figure(
    resp,
    frame,
    condition,
    condition_label,
    cut,
    log_scale=log_scale,
    x=x,
    y=y,
    ce=ce,
    seed=seed,
    released=ctx.released("binned_counts") if confidential else None,
)
ctx.figure(fig, "scatter_ceiling", alt=alt, caption=caption)

# %% [markdown]
# ## Sensitivity: other definitions of "big" and of "the top"

# %%
sens = prerequisite.existence_sensitivity(
    *where, sensitivity_thresholds, top_stage, claim=claim_entry, alpha=float(spec["alpha"]), **common
)
ctx.table(
    "sensitivity",
    sens,
    "The existence rule under each threshold and each definition of the top (the primary definition is marked)",
    count_columns=["claimed_counterexamples", "validated_counterexamples"],
)
markdown(nt.agreement_text(sens))

# %% [markdown]
# ## Specification curve for necessity
#
# The outcome (self-classified stage, or an item-based score counting the five component items), the top
# (stage ≥ 4, or 5 alone), how NCA sees size (log10 population, population, rank), the ceiling (CE-FDH or CR-FDH)
# and the threshold (median, 10,000, 20,000); each specification gets the rule's decision (2,000 permutations).

# %%
if multiverse and condition == "population_2021":
    curve = prerequisite.necessity_multiverse(
        ctx.respondents, frame, permutations=2000, seed=seed, confidential=confidential
    )
    ctx.table(
        "necessity_multiverse",
        curve,
        "Every specification: NCA effect size and p, required size, "
        "validated small municipalities at the top, and the rule's decision",
        count_columns=["validated small at the top"],
        show=False,
    )
    summary_rows = nt.multiverse_summary(curve)
    ctx.table(
        "necessity_multiverse_summary",
        summary_rows,
        "Decisions by outcome, top and threshold (each row "
        "sums 6 specifications: 3 size codings × 2 ceilings); all rows in necessity_multiverse.csv",
    )
    markdown(nt.multiverse_text(curve, param_set))
else:
    markdown(f"The specification curve is computed for population only (see the {claim} chapter).")

# %% [markdown]
# ## Verdict

# %%
evidence = ctx.evidence(
    claim=claim,
    primary=nt.primary_record(inputs, top_stage),
    n=ev.n,
    rule_inputs=inputs,
    sensitivity=ctx.released("sensitivity").to_dict(orient="records"),  # as published: "<3" stays "<3"
    nca=nt.nca_record(ce, log_scale=log_scale, permutations=permutations, required_label=ev.required_label),
    upper_tail_contrast=contrast,
)
