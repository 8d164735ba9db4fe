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
# # Political ownership (F1) and networks (F5): are they associated with higher maturity?
#
# **What the report says.** F1: "Political commitment is vital. The political focus impacts on the direction
# and speed of the SDG localisation" (VNR 2021, ch. 7.1). F5: "Networks, knowledge-sharing and collaboration
# across levels of government play a huge role" (VSR 2021).
#
# **How it is tested.** Both findings say that one characteristic — the council's political priority for the
# SDG work, or membership of an SDG network — goes with a more mature municipality, other things being equal.
# Each is tested as the coefficient of that characteristic in a proportional-odds (ordinal logit) model of the
# self-classified maturity stage (0–5), weighted to the register frame (raking), with county fixed effects and
# robust (HC0) standard errors, holding size, centrality and a recent merger constant. This page is one of the
# two parameter sets of the same template; the box below states which claim it tests, with the hypothesis and
# decision rule exactly as pre-specified in `claims.yml`.
#
# **Decision rule (`directional`).** *Supported* when the coefficient is positive and significant at the
# (Holm-adjusted) level; *not supported* when it is significant with the opposite sign, or when an equivalence
# test (TOST, {cite}`lakens2017`) shows it lies inside the smallest effect size of interest (± 0.2 on the
# log-odds scale); otherwise *inconclusive*. The average marginal effect on P(stage ≥ 4) and a Necessary
# Condition Analysis ({cite}`dul2016`) are reported as support; they do not enter the verdict.

# %% tags=["parameters"]
survey = "synthetic:vsr-narrative:2021"
param_set = "f1-political-ownership"
results_dir = None
claim = "F1"
term = "political_anchoring"
term_label = "political anchoring: the council has given the SDG work clear political priority (1 strongly disagree to 5 strongly agree)"
term_short = "political anchoring"
controls = ["log_population", "centrality", "merged_2017_2020", "network_member"]
fixed_effects = ["county_code"]
sensitivity_controls = ["admin_anchoring"]
register_term = None
top_stage = 4
permutations = 10000
seed = 2021

# %%
from vsr_analysis.chapter import start, markdown
ctx = start(survey=survey, param_set=param_set, results_dir=results_dir, parameters=dict(
    claim=claim, term=term, controls=controls, fixed_effects=fixed_effects,
    sensitivity_controls=sensitivity_controls, register_term=register_term, top_stage=top_stage,
    permutations=permutations, seed=seed))

# %%
import warnings
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
import seaborn as sns
from vsr_analysis.claims.ledger import decide, load_claims_spec
from vsr_analysis.data.codebook import load_codebook
from vsr_analysis.stats.descriptives import agreement, as_float, interval_errors
from vsr_analysis.stats.marginal_effects import ordinal_term_effect
from vsr_analysis.stats.ordinal_model import fit_cumulative_logits
from vsr_analysis.stats.nca import bottleneck, effect_size_label, nca
from vsr_analysis.stats.dispersion import weighted_distribution

spec = load_claims_spec()
alpha = float(spec["alpha"])
claim_entry = next(c for c in spec["claims"] if c["id"] == claim)
sesoi = float(claim_entry["rule_parameters"]["sesoi_log_odds"])
stage_labels = load_codebook().maturity_labels("en")
LABELS = {
    "political_anchoring": "political anchoring (1–5)",
    "admin_anchoring": "administrative anchoring (1–5)",
    "network_member": "member of an SDG network (self-report)",
    "network_register": "on a public network list (KS network, U4SSC)",
    "log_population": "ln(inhabitants 2021)",
    "centrality": "SSB centrality index / 100",
    "merged_2017_2020": "merged 2017–2020",
}
markdown(
    f":::{{admonition}} Claim {claim}: {claim_entry['finding']}\n:class: important\n"
    f"**Source.** {claim_entry['source']}\n\n"
    f"**Hypothesis.** {claim_entry['hypothesis'].strip()}\n\n"
    f"**Primary test.** {claim_entry['primary_test']}\n\n"
    f"**Decision rule.** `{claim_entry['rule']}`, direction {claim_entry['rule_parameters']['direction']}, "
    f"smallest effect size of interest ± {sesoi:g} log-odds (TOST), α = {alpha:g} (Holm-adjusted in the ledger).\n:::"
)

resp = ctx.respondents
used = resp.dropna(subset=["maturity_stage", term, *controls])
markdown(f"{len(resp)} of {len(ctx.frame)} municipalities responded; **{len(used)}** answered the maturity question "
         f"and the {term_short} item and have every covariate, and enter the model. Term: **{term_label}**.")

# %% [markdown]
# ## The term and the maturity stage
#
# The weighted distribution of maturity stages at each level of the term, before any adjustment.

# %%
levels = sorted(int(v) for v in used[term].dropna().unique())
level_name = (lambda lv: {0: "no", 1: "yes"}[lv]) if levels == [0, 1] else str
rows = []
for lv in levels:
    sub = used[as_float(used[term]) == lv]
    dist = weighted_distribution(as_float(sub["maturity_stage"]), sub["weight"].to_numpy(), levels=list(range(6)))
    row = {term_short: level_name(lv), "municipalities": len(sub)}
    row.update({f"stage {int(r.level)} (%)": 100 * r.share for r in dist.itertuples()})
    row[f"stage ≥ {top_stage} (%)"] = 100 * float(dist.loc[dist["level"] >= top_stage, "share"].sum())
    rows.append(row)
crosstab = pd.DataFrame(rows)
_ = ctx.table("stage_by_term", crosstab,
          f"Weighted distribution of maturity stages by {term_short} (row percentages)",
          count_columns=["municipalities"], float_digits=1)

# %%
sns.set_theme(style="whitegrid", palette="colorblind")
long = crosstab.melt(id_vars=[term_short], value_vars=[f"stage {s} (%)" for s in range(6)],
                     var_name="stage", value_name="percent")
long["stage"] = long["stage"].str.extract(r"stage (\d)")[0].astype(int).map(lambda s: f"{s} {stage_labels[s]}")
pivot = long.pivot(index=term_short, columns="stage", values="percent")
fig, ax = plt.subplots(figsize=(7.5, 0.6 * len(pivot) + 2))
left = np.zeros(len(pivot))
colors = sns.color_palette("colorblind", 6)
for i, col in enumerate(pivot.columns):
    ax.barh([str(v) for v in pivot.index], pivot[col], left=left, color=colors[i], label=col)
    left += pivot[col].to_numpy()
ax.set_xlabel("Share of municipalities (%, weighted)")
ax.set_ylabel(term_short.capitalize())
ax.set_title(f"Maturity stage by {term_short}")
ax.legend(title="Maturity stage", bbox_to_anchor=(1.02, 1), loc="upper left", fontsize=8)
_ = ctx.figure(fig, "stage_by_term",
           alt=f"Stacked horizontal bars: for each level of {term_short}, the weighted share of municipalities at each maturity stage 0 to 5",
           caption=f"Weighted distribution of the maturity ladder at each level of {term_short} (unadjusted).")

# %% [markdown]
# ## Primary analysis: the weighted proportional-odds model
#
# `logit P(stage ≤ k) = ζ_k − x'β`: a positive coefficient moves municipalities towards the higher stages.
# The model is weighted with the raking weights, has county fixed effects (with only 11 counties, cluster-robust
# standard errors would be unreliable) and HC0 sandwich standard errors.

# %%
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    primary = ordinal_term_effect(resp, term, controls, weights="weight", fixed_effects=fixed_effects,
                                  cut=top_stage, sesoi=sesoi, alpha=alpha)
coef = primary.fit.coef_table()
coef.insert(1, "covariate", coef["term"].map(lambda t: LABELS.get(t, t)))
_ = ctx.table("coefficients", coef,
          "Weighted proportional-odds model of the maturity stage (coefficients on the log-odds scale, HC0 SEs; "
          "county fixed effects not shown)")
for note in primary.notes:
    markdown(f":::{{note}}\n{note}\n:::")
markdown(
    f"The coefficient of **{term_short}** is **{primary.estimate:.3f}** (95 % CI {primary.ci_low:.3f} to "
    f"{primary.ci_high:.3f}; two-sided Wald p = **{primary.p_value:.4f}**), an odds ratio of "
    f"**{primary.odds_ratio:.2f}** ({primary.or_ci_low:.2f} to {primary.or_ci_high:.2f}) for "
    f"{'each point on the scale' if len(levels) > 2 else 'members against non-members'}. "
    f"n = {primary.n} municipalities."
)

# %% [markdown]
# ### Average marginal effect on reaching the top stages
#
# The change in the probability of being at stage 4 (operationalised) or 5 (measuring and reporting),
# averaged over the municipalities in the model (weighted); delta-method interval.

# %%
ame_table = primary.fit.ame(cut=top_stage)
ame_table.insert(1, "covariate", ame_table["term"].map(lambda t: LABELS.get(t, t)))
_ = ctx.table("ame", ame_table, f"Average marginal effects on P(stage ≥ {top_stage}) (weighted model)")

# %%
# Average predicted distribution over stages with the term set to each level (other covariates as observed).
fit = primary.fit
model_rows = used.copy()
for col in fit.fixed_effects:   # levels dropped from the fit (separation) cannot be predicted
    model_rows = model_rows[model_rows[col].isin(fit.fe_levels[col])]
pred_rows = []
for lv in levels:
    cf = model_rows.assign(**{term: float(lv)})
    probs = fit.predict_proba(cf)
    ok = probs.notna().all(axis=1).to_numpy()
    ww = cf["weight"].to_numpy()[ok]
    avg = (probs[ok].to_numpy() * ww[:, None]).sum(axis=0) / ww.sum()
    for stage, p in zip(fit.outcome_levels, avg):
        pred_rows.append({term_short: level_name(lv), "stage": int(stage), "probability": float(p)})
pred = pd.DataFrame(pred_rows)
pred_ge = (pred[pred["stage"] >= top_stage].groupby(term_short)["probability"].sum()
           .rename(f"P(stage ≥ {top_stage})").reset_index())
_ = ctx.table("predicted_top", pred_ge, f"Average predicted probability of stage ≥ {top_stage} at each level of {term_short}")

fig, ax = plt.subplots(figsize=(7.5, 4))
pred["stage label"] = pred["stage"].map(lambda s: f"{s} {stage_labels[s]}")
sns.barplot(data=pred, x="stage label", y="probability", hue=term_short, palette="colorblind", ax=ax)
ax.set_xlabel("Maturity stage")
ax.set_ylabel("Average predicted probability")
ax.set_title(f"Predicted maturity stage by {term_short} (weighted model)")
ax.tick_params(axis="x", labelrotation=20)
ax.legend(title=term_short.capitalize(), fontsize=8)
_ = ctx.figure(fig, "predicted_stages",
           alt=f"Grouped bars: average predicted probability of each maturity stage, one bar per level of {term_short}",
           caption=f"Predicted probabilities from the weighted model with {term_short} set to each level and every "
                   "other covariate as observed, averaged over the municipalities (weighted).")

# %% [markdown]
# ### Is the effect negligible? The equivalence test
#
# A non-significant coefficient is not evidence of no effect. The two one-sided tests (TOST) ask whether the
# coefficient lies inside the pre-specified band of negligible effects.

# %%
markdown(f"TOST against ± {sesoi:g} log-odds: p = **{primary.equivalence_p:.4f}** "
         f"({'the effect is shown to be negligible' if primary.equivalence_p < alpha else 'equivalence not shown'} "
         f"at α = {alpha:g}). The 90 % interval of the coefficient is "
         f"{primary.estimate - 1.6449 * primary.se:.3f} to {primary.estimate + 1.6449 * primary.se:.3f}.")


# %% [markdown]
# ### Proportional odds: one slope for every cut?
#
# The model assumes the term shifts every cumulative split of the ladder by the same amount. Separate weighted
# binary logits of 1[stage ≥ k] for each cut k show whether that holds (a Brant-type Wald test with a joint
# sandwich covariance; a diagnostic, not part of the decision).

# %%
def cumulative(cuts=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit_cumulative_logits(resp, "maturity_stage", [term, *[c for c in controls if c != term]],
                                     cuts=cuts, weights="weight", fixed_effects=fixed_effects)

try:
    cl = cumulative()
    slopes = cl.table[cl.table["term"] == term]
    # A cut at which the term separates the outcome (e.g. no member at stage 0) has no finite slope; the fit
    # then stops at a huge estimate with a zero or implausible standard error.  Such cuts are shown but left
    # out of the equal-slopes test.
    sd = float(np.nanstd(as_float(used[term])))
    separated = (~slopes["converged"].astype(bool)) | (slopes["se"] <= 1e-8) | (slopes["estimate"].abs() * sd > 10)
    cuts_tab = slopes[["cut", "estimate", "se", "ci_low", "ci_high", "p_value", "n"]].assign(
        note=np.where(separated, "separation: no finite slope", ""))
    _ = ctx.table("cut_slopes", cuts_tab, f"Slope of {term_short} in separate logits of stage ≥ k (weighted)",
                  count_columns=["n"])
    good_cuts = slopes.loc[~separated, "cut"].tolist()
    if separated.any():
        markdown(f"At cut(s) {', '.join(str(c) for c in slopes.loc[separated, 'cut'])} the term separates the "
                 "outcome (for example, no municipality at one level of the term lies below the cut), so no finite "
                 "slope exists there; the equal-slopes test uses the other cuts.")
    es = cumulative(good_cuts).equal_slopes if len(good_cuts) >= 2 else pd.DataFrame()
    es = es[es["term"] == term] if len(es) else es
    if len(es):
        r = es.iloc[0]
        markdown(f"Equal-slopes test for {term_short} over cuts {', '.join(map(str, good_cuts))}: "
                 f"χ² = {r['chi2']:.2f} on {int(r['df'])} df, p = {r['p_value']:.3f}; the slopes range from "
                 f"{r['min_estimate']:.3f} to {r['max_estimate']:.3f}.")
except ValueError as exc:
    markdown(f"The cut-specific logits could not be fitted ({exc}).")

# %% [markdown]
# ## Support: is the term a *necessary* condition for the higher stages?
#
# Necessary Condition Analysis ({cite}`dul2016`) asks a different question from the model: whether high
# maturity *requires* the term (an empty upper-left corner in the scatter), not whether it raises the average.
# CE-FDH ceiling (the term is discrete), effect size d with a permutation test ({cite}`dul2020`).

# %%
x_nca = as_float(used[term])
y_nca = as_float(used["maturity_stage"])
ce = nca(x_nca, y_nca, ceiling="ce_fdh", permutations=permutations, seed=seed)
bn = bottleneck(x_nca, y_nca, [1, 2, 3, 4, 5], ceiling="ce_fdh")
bn_table = pd.DataFrame({
    "maturity stage ≥": bn["y_level"].astype(int),
    "stage name": [stage_labels[int(v)] for v in bn["y_level"]],
    f"required {term_short} (CE-FDH)": ["not necessary" if s == "NN" else ("no observed level suffices" if s == "NA"
                                        else f"{v:g}") for v, s in zip(bn["required_x"], bn["status"])],
})
_ = ctx.table("nca_bottleneck", bn_table, f"Bottleneck table: the level of {term_short} the CE-FDH ceiling requires")
markdown(f"NCA effect size d = **{ce.effect_size:.3f}** ({effect_size_label(ce.effect_size)}; Dul's benchmarks: "
         f"< 0.1 small), permutation p = **{ce.p_value:.4f}** ({permutations:,} permutations). A small d means "
         f"municipalities at every level of {term_short} reach the higher stages: it may help on average without "
         "being a prerequisite.")

# %% [markdown]
# ## Register network lists against self-reported membership
#
# Shown for the networks claim only: the public lists (the KS sustainability network's 12 members of May 2020,
# the U4SSC cities) are register facts for every municipality; the survey asks about *any* SDG network,
# including the county-run regional ones, so the self-report is expected to be much wider than the lists.

# %%
if register_term:
    ag = agreement(used[register_term], used[term], labels=("on a public list", "reports membership"))
    tab = ag["table"].copy()
    cross = pd.DataFrame({
        "public network list": ["not on a list", "on a list"],
        "reports no membership": tab[0].to_numpy(), "reports membership": tab[1].to_numpy(),
    })
    cross["municipalities"] = cross["reports no membership"] + cross["reports membership"]
    ctx.table("register_vs_self_report", cross,
              "Respondents by public network list and self-reported network membership (counts)",
              count_columns=["reports no membership", "reports membership", "municipalities"])
    listed = int(tab.loc[1].sum())
    text = f"Agreement: **{ag['agreement']:.1%}** of {ag['n']} respondents; Cohen's κ = **{ag['kappa']:.2f}**."
    if ctx.synthetic:   # cell counts in prose only for simulated data (a real file's small cells are suppressed)
        text += (f" Of the {listed} listed municipalities that answered, {int(tab.loc[1, 1])} report membership; "
                 f"{ag['only_b']} respondents report membership without being on a public list (regional networks).")
    markdown(text)
else:
    markdown("Not applicable to this parameter set.")

# %% [markdown]
# ## Robustness
#
# The primary (weighted) result beside the unweighted fit, the fit with further controls, and — for the
# networks claim — the register list in place of the self-report. Each row shows the decision the rule would
# give on that specification alone (unadjusted α); only the primary row enters the ledger.

# %%
specs = [("primary: weighted, county fixed effects", dict(term=term, controls=controls, weights="weight"))]
specs.append(("unweighted, county fixed effects", dict(term=term, controls=controls, weights=None)))
if sensitivity_controls:
    specs.append((f"weighted, also controlling for {', '.join(LABELS.get(c, c) for c in sensitivity_controls)}",
                  dict(term=term, controls=[*controls, *sensitivity_controls], weights="weight")))
if register_term:
    specs.append((f"weighted, term = {LABELS.get(register_term, register_term)}",
                  dict(term=register_term, controls=controls, weights="weight")))
rob_rows = []
for label, s in specs:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            e = primary if label.startswith("primary") else ordinal_term_effect(
                resp, s["term"], s["controls"], weights=s["weights"], fixed_effects=fixed_effects,
                cut=top_stage, sesoi=sesoi, alpha=alpha)
        d = decide(claim_entry, {"primary": {"estimate": e.estimate, "p_value": e.p_value},
                                 "rule_inputs": {"equivalence_p": e.equivalence_p}}, alpha, e.p_value)
        row = e.summary(label)
        row["decision"] = d.verdict
    except ValueError as exc:
        row = {"model": label, "term": s["term"], "decision": f"not fitted ({exc})"}
    rob_rows.append(row)
robust = pd.DataFrame(rob_rows)
_ = ctx.table("robustness", robust, "The term's coefficient under each specification (log-odds; decision at unadjusted α)",
          count_columns=["n"])

fig, ax = plt.subplots(figsize=(7.5, 0.55 * len(robust) + 1.5))
ok = robust["estimate"].notna() if "estimate" in robust else pd.Series(False, index=robust.index)
rr = robust[ok].reset_index(drop=True)
ypos = np.arange(len(rr))[::-1]
ax.errorbar(rr["estimate"], ypos, xerr=interval_errors(rr["estimate"], rr["ci_low"], rr["ci_high"]),
            fmt="o", color=sns.color_palette("colorblind")[0], capsize=3)
ax.axvspan(-sesoi, sesoi, color=sns.color_palette("colorblind")[7], alpha=0.25, label=f"negligible (± {sesoi:g})")
ax.axvline(0, color="grey", lw=1)
ax.set_yticks(ypos)
ax.set_yticklabels(rr["model"], fontsize=8)
ax.set_xlabel("Coefficient (log-odds of a higher stage), 95 % CI")
ax.set_title(f"Coefficient of {term_short} under each specification")
ax.legend(loc="lower right", fontsize=8)
_ = ctx.figure(fig, "robustness",
           alt=f"Dot plot with confidence intervals of the coefficient of {term_short} for each model specification, with the band of negligible effects shaded",
           caption="Estimates with 95 % confidence intervals; the shaded band is the pre-specified range of "
                   "negligible effects used by the equivalence test.")

# %% [markdown]
# ## Verdict

# %%
evidence = ctx.evidence(
    claim=claim,
    primary={"method": f"weighted proportional-odds model, coefficient of {term}, HC0 two-sided Wald test "
                       f"(controls: {', '.join(controls)}; fixed effects: {', '.join(fixed_effects) or 'none'})",
             "estimate": primary.estimate, "ci_low": primary.ci_low, "ci_high": primary.ci_high,
             "p_value": primary.p_value},
    n=primary.n,
    rule_inputs={"equivalence_p": primary.equivalence_p},
    sensitivity=robust.to_dict(orient="records"),
    odds_ratio={"estimate": primary.odds_ratio, "ci_low": primary.or_ci_low, "ci_high": primary.or_ci_high},
    average_marginal_effect={"cut": top_stage, "estimate": primary.ame, "ci_low": primary.ame_ci_low,
                             "ci_high": primary.ame_ci_high, "p_value": primary.ame_p_value},
    equivalence={"sesoi_log_odds": sesoi, "p_value": primary.equivalence_p},
    nca={"ceiling": "ce_fdh", "effect_size": ce.effect_size, "effect_size_label": effect_size_label(ce.effect_size),
         "p_value": ce.p_value, "permutations": permutations},
    model_notes=primary.notes,
)
