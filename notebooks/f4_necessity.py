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
# # F4 — Is being "big and strong" a prerequisite?
#
# **What the report says.** "Recently merged, large, central and network-oriented municipalities have come
# further, but being 'big and strong' is not a prerequisite for success" (VSR 2021); "Flere mindre kommuner
# gjør en formidabel innsats" (ks.no).
#
# **Why this is a necessity claim.** "Not a prerequisite" says that the top of the maturity ladder can be
# reached *without* being big. That is a statement about the empty upper-left corner of a scatter plot of
# size against maturity — a *necessary condition* — not about an average effect. F3 tests the average;
# this chapter tests necessity with Necessary Condition Analysis (NCA; {cite}`dul2016`) and with the
# direct evidence: small municipalities at the top stages.
#
# **Hypothesis and decision rule (pre-specified in `claims.yml`).** "Big" means more inhabitants than the
# frame's median municipality (1 Jan 2021); "top stages" means stage 4 (operationalised) or 5 (measuring
# and reporting). The claim is **supported** when the CE-FDH ceiling's minimum size for stage ≥ 4 lies below
# the threshold *and* at least three municipalities below the threshold are at stage ≥ 4. It is **not
# supported** when the NCA ceiling is significant (permutation test, {cite}`dul2020`) and its bottleneck
# puts the required size for stage ≥ 4 at or above the threshold. Otherwise it is **inconclusive**.
# Sensitivity thresholds of 10,000 and 20,000 inhabitants are reported beside the primary one; the
# parameter set `f4-central-not-a-prerequisite` applies the same rule to centrality ("central" = SSB
# centrality classes 1–2, index ≥ 870).

# %% tags=["parameters"]
survey = "synthetic:vsr-narrative:2021"
param_set = "f4-not-a-prerequisite"
results_dir = None
claim = "F4"
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
from vsr_analysis.chapter import start, markdown
ctx = start(survey=survey, param_set=param_set, results_dir=results_dir, parameters=dict(
    claim=claim, condition=condition, threshold=threshold, sensitivity_thresholds=sensitivity_thresholds,
    top_stage=top_stage, permutations=permutations, seed=seed, multiverse=multiverse))

# %%
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
import seaborn as sns
from vsr_analysis.claims import necessity_evidence as prerequisite
from vsr_analysis.stats.nca import nca, bottleneck, effect_size_label
from vsr_analysis.data.codebook import load_codebook

frame = ctx.frame
# The threshold is fixed from the register frame (all 356 municipalities), before any survey answer is read.
cut = float(frame[condition].median()) if threshold is None else float(threshold)
resp = ctx.respondents.dropna(subset=["maturity_stage"])
x_raw = resp[condition].astype(float).to_numpy()
y = resp["maturity_stage"].astype(float).to_numpy()
# NCA's effect size depends on the X scale; population is analysed on a log10 scale (Oslo is 200 times the
# median), while the bottleneck is reported back in inhabitants.
to_x = (lambda v: np.log10(v)) if log_scale else (lambda v: np.asarray(v, dtype=float))
from_x = (lambda v: 10 ** v) if log_scale else (lambda v: v)
x = to_x(x_raw)
markdown(f"The threshold for this analysis is **{cut:,.0f} {condition_label}** ({threshold_label}). "
         f"{len(resp)} of {len(frame)} municipalities answered the maturity question.")

# %% [markdown]
# ## Necessary Condition Analysis
#
# Two ceiling lines are fitted through the upper-left "peers": the step function CE-FDH (suited to the
# discrete 0–5 ladder) and the straight CR-FDH line. The effect size *d* is the share of the scope that lies
# above the ceiling (benchmarks: < 0.1 small, 0.1–0.3 medium, 0.3–0.5 large, ≥ 0.5 very large); the p-value
# comes from a permutation test that breaks any link between X and Y.

# %%
nca_results = prerequisite.nca_table(x, y, permutations=permutations, seed=seed)
ce = nca(x, y, ceiling="ce_fdh", permutations=permutations, seed=seed)
_ = ctx.table("nca", nca_results, "NCA ceiling lines for maturity stage (X on the analysis scale)")

# %%
levels = [1, 2, 3, 4, 5]
bn = bottleneck(x, y, levels, ceiling="ce_fdh")
bn_table = pd.DataFrame({
    "maturity stage ≥": bn["y_level"].astype(int),
    "stage name": [load_codebook().maturity_labels("en")[int(v)] for v in bn["y_level"]],
    f"required {condition_label} (CE-FDH)": [
        "not necessary" if np.isnan(v) else ("no observed level suffices" if np.isinf(v) else f"{from_x(v):,.0f}")
        for v in bn["required_x"]],
    "share of municipalities below it (%)": bn["required_x_percentile"],
})
_ = ctx.table("bottleneck", bn_table, "Bottleneck table: the size the ceiling requires for each stage")

# %% [markdown]
# ## The direct evidence: municipalities below the threshold at the top stages

# %%
ev = prerequisite.evidence_for(x_raw, y, cut, top_stage)
small_top = resp[(resp[condition] < cut) & (resp["maturity_stage"] >= top_stage)]
markdown(f"**{ev.cases_below_threshold_at_top}** of the {ev.n_below_threshold} responding municipalities "
         f"below the threshold are at stage {top_stage} or higher. The smallest municipality at stage ≥ "
         f"{top_stage} has **{ev.required_x:,.0f}** {condition_label}." if ev.required_x is not None else
         f"No responding municipality is at stage {top_stage} or higher, so nothing can be said about what it requires.")
if ev.minimum_size_condition:
    markdown(f":::{{note}}\nThe ceiling binds only below {ev.required_x:,.0f} {condition_label}: that is a "
             "*minimum-size* condition for the smallest municipalities, not a \"big and strong\" condition.\n:::")
if ctx.synthetic:
    cols = ["knr", "name", "county", condition, "centrality_class", "maturity_stage"]
    _ = ctx.table("below_threshold_at_top", small_top[cols].sort_values(condition),
              "Municipalities below the threshold at the top stages (synthetic data: listed)")
else:
    counts = (small_top.groupby("size_band").size().rename("municipalities").reset_index())
    _ = ctx.table("below_threshold_at_top", counts,
              "Municipalities below the threshold at the top stages, by size band (small cells suppressed)",
              count_columns=["municipalities"])

# %%
group = (resp[condition] >= cut).astype(int)
contrast = prerequisite.upper_tail_contrast(resp["maturity_stage"], group, top_stage,
                                            weights=resp["weight"], reps=2000, seed=seed)
contrast_table = pd.DataFrame([{
    "group": f"at or above the threshold", "share at stage ≥ %d" % top_stage: contrast["share_1"]}, {
    "group": f"below the threshold", "share at stage ≥ %d" % top_stage: contrast["share_0"]}])
_ = ctx.table("upper_tail", contrast_table, "Weighted share at the top stages above and below the threshold")
markdown(f"Upper-tail contrast (above − below): **{contrast['estimate']:.3f}**, 95 % bootstrap CI "
         f"[{contrast['ci_low']:.3f}, {contrast['ci_high']:.3f}] ({contrast['reps']} stratified resamples). "
         "A positive difference is compatible with F3 (bigger municipalities are more often at the top); it "
         "does not make size *necessary*.")

# %% [markdown]
# ## The scatter and its ceilings

# %%
sns.set_theme(style="whitegrid", palette="colorblind")
fig, ax = plt.subplots(figsize=(7.5, 4.5))
jitter = np.random.default_rng(seed).uniform(-0.12, 0.12, size=len(y))
ax.scatter(x_raw, y + jitter, s=14, alpha=0.6, color=sns.color_palette("colorblind")[0], label="municipality")
cr = nca(x, y, ceiling="cr_fdh")
xs = np.linspace(x.min(), x.max(), 300)
ax.step(from_x(xs), ce.ceiling_y(xs), where="post", color=sns.color_palette("colorblind")[1], lw=2, label="CE-FDH ceiling")
ax.plot(from_x(xs), np.clip(cr.ceiling_y(xs), y.min(), y.max()), color=sns.color_palette("colorblind")[2], lw=2, ls="--", label="CR-FDH ceiling")
ax.axvline(cut, color="grey", lw=1, ls=":", label="threshold")
if log_scale:
    ax.set_xscale("log")
ax.set_xlabel(condition_label.capitalize())
ax.set_ylabel("Maturity stage (0 = not started … 5 = measuring)")
ax.set_title("Maturity stage against " + condition_label)
ax.legend(loc="lower right", fontsize=8)
ctx.figure(fig, "scatter_ceiling",
           alt=f"Scatter plot of maturity stage against {condition_label} with CE-FDH and CR-FDH ceiling lines and the threshold",
           caption="Each point is a responding municipality (stages jittered vertically). An empty upper-left "
                   "corner would mean that the top stages need a minimum " + condition_label + ".")

# %% [markdown]
# ## Sensitivity: other definitions of "big"

# %%
rows = []
from vsr_analysis.claims.ledger import decide, load_claims_spec
spec = load_claims_spec()
claim_entry = next(c for c in spec["claims"] if c["id"] == claim)
# The pre-specified rule under every definition of "big" and of "the top": stage >= top_stage (primary) and
# the very top alone (stage 5, measuring and reporting).
for top in sorted({top_stage, 5}):
    for t in [cut, *sensitivity_thresholds]:
        e = prerequisite.evidence_for(x_raw, y, float(t), top)
        d = decide(claim_entry, {"primary": {"p_value": ce.p_value}, "rule_inputs": e.as_rule_inputs()},
                   float(spec["alpha"]), ce.p_value)
        rows.append({"threshold": float(t), "top stages": f"≥ {top}",
                     "below threshold at the top": e.cases_below_threshold_at_top,
                     "responding below threshold": e.n_below_threshold,
                     "required (CE-FDH)": e.required_x, "decision": d.verdict,
                     "primary": bool(t == cut and top == top_stage)})
sens = pd.DataFrame(rows)
_ = ctx.table("sensitivity", sens, "The decision rule under each threshold and each definition of the top "
              "(unadjusted α; the primary definition is marked)",
              count_columns=["below threshold at the top", "responding below threshold"])
agree = (sens["decision"] == sens.loc[sens["primary"], "decision"].iloc[0]).mean()
markdown(f"The primary decision is reached under **{agree:.0%}** of the {len(sens)} definitions.")

# %% [markdown]
# ## Specification curve for necessity
#
# The same question asked every reasonable way: the outcome (the self-classified stage, or an item-based score
# counting the five component items), the top (stage ≥ 4, or 5 alone), how NCA sees size (log10 population,
# population, or its rank), the ceiling (CE-FDH or CR-FDH) and the threshold for "big" (median, 10,000,
# 20,000). Each specification gets the pre-specified rule's decision (unadjusted α; 2,000 permutations each).

# %%
if multiverse and condition == "population_2021":
    curve = prerequisite.necessity_multiverse(ctx.respondents, frame, permutations=2000, seed=seed)
    summary_rows = (curve.groupby(["outcome", "top", "threshold"])["decision"]
                    .agg(supported=lambda s: int((s == "supported").sum()),
                         not_supported=lambda s: int((s == "not supported").sum()),
                         inconclusive=lambda s: int((s == "inconclusive").sum()))
                    .reset_index().rename(columns={"not_supported": "not supported"}))
    _ = ctx.table("necessity_multiverse", curve, "Every specification: NCA effect size and p, required size, "
                  "small municipalities at the top, and the rule's decision",
                  count_columns=["small at the top"], show=False)
    _ = ctx.table("necessity_multiverse_summary", summary_rows,
                  "Decisions by outcome, top and threshold (each cell sums 6 specifications: 3 size codings × 2 "
                  "ceilings); the full table is available for download as necessity_multiverse.csv")
    markdown(f"{(curve['decision'] == 'supported').mean():.0%} of the {len(curve)} specifications reach "
             f"*supported*, {(curve['decision'] == 'not supported').mean():.0%} *not supported*. "
             f"{{download}}`All {len(curve)} specifications (CSV) <../../results/{param_set}/necessity_multiverse.csv>`")
    fig, ax = plt.subplots(figsize=(7.5, 3.6))
    ordered = curve.sort_values("effect size d").reset_index(drop=True)
    palette = {"supported": sns.color_palette("colorblind")[0], "not supported": sns.color_palette("colorblind")[3],
               "inconclusive": sns.color_palette("colorblind")[7]}
    for verdict, part in ordered.groupby("decision"):
        ax.scatter(part.index, part["effect size d"], s=14, color=palette[verdict], label=verdict)
    ax.set_xlabel("Specification (sorted by NCA effect size)")
    ax.set_ylabel("NCA effect size d")
    ax.set_title("Necessity of size across specifications")
    ax.legend(title="decision", fontsize=8)
    ctx.figure(fig, "necessity_multiverse", alt="Specification curve of NCA effect sizes for size, coloured by the decision of the F4 rule",
               caption="Each point is one way of asking whether size is a prerequisite; its colour is the decision "
                       "of the pre-specified rule under that specification.")
else:
    markdown("The specification curve is computed for population only (see the F4 chapter).")

# %% [markdown]
# ## Verdict

# %%
evidence = ctx.evidence(
    claim=claim,
    primary={"method": f"NCA CE-FDH, X = {'log10 ' if log_scale else ''}{condition}; effect size d, permutation test",
             "estimate": ce.effect_size, "ci_low": None, "ci_high": None, "p_value": ce.p_value},
    n=ev.n,
    rule_inputs=ev.as_rule_inputs(),
    sensitivity=sens.to_dict(orient="records"),
    nca_effect_size_label=effect_size_label(ce.effect_size),
    upper_tail_contrast=contrast,
)
markdown(f"NCA effect size d = **{ce.effect_size:.3f}** ({effect_size_label(ce.effect_size)}), permutation "
         f"p = **{ce.p_value:.4f}** ({permutations:,} permutations).")
