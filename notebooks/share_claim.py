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
# # Plans and management (F6, F7): how widespread, and where on the ladder?
#
# **What the report says.** F6: "For many, the development of society is steered by the sustainability goals
# being the basis for the social part of the municipal plan" (ks.no on the VSR). F7: "Only the most mature have
# operationalised and integrated the SDGs into strategic plans and management processes" (VSR 2021).
#
# **How it is tested.** Both findings are statements about a *share* of municipalities, weighted to the
# register frame of 356 by raking: F6 the share using the SDGs as a basis for the social element of the master
# plan; F7 the share of municipalities with the SDGs built into their management system that are at the top of
# the ladder (stage 3 or higher). The primary test is one-sided — is the share above the pre-specified level? —
# with a Wilson interval at Kish's effective sample size {cite}`kish1965` and a finite-population correction.
# This page is one parameter set of a template shared by F6 and F7; the box below states which claim it tests,
# with the hypothesis and decision rule exactly as pre-specified in `claims.yml`.
#
# **Decision rule (`share_above`).** *Supported* when the one-sided test rejects at the (Holm-adjusted) level;
# *not supported* when the upper confidence limit lies below the level; otherwise *inconclusive*. Shares by size
# band and centrality class are descriptive support. For F7, the chapter also asks whether the ladder is
# cumulative (a Guttman-like scale): is the top only reached through the lower rungs?

# %% tags=["parameters"]
survey = "synthetic:vsr-narrative:2021"
param_set = "f6-master-plan"
results_dir = None
claim = "F6"
item = "sdg_in_master_plan"
item_label = "the SDGs are a basis for the social element of the master plan"
min_stage = None
subset_item = None
subset_label = None
alt_min_stage = None
guttman_check = False
frame_size = 356

# %%
from vsr_analysis.chapter import start, markdown
ctx = start(survey=survey, param_set=param_set, results_dir=results_dir, parameters=dict(
    claim=claim, item=item, min_stage=min_stage, subset_item=subset_item, alt_min_stage=alt_min_stage,
    guttman_check=guttman_check, frame_size=frame_size))

# %%
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
import seaborn as sns
from vsr_analysis.claims.ledger import decide, load_claims_spec
from vsr_analysis.data.codebook import load_codebook
from vsr_analysis.stats.descriptives import (COMPONENT_ITEMS, as_float, guttman_scale, interval_errors,
                                       ladder_consistency, share_by_group)
from vsr_analysis.stats.dispersion import weighted_distribution
from vsr_analysis.stats.shares import share_test

spec = load_claims_spec()
alpha = float(spec["alpha"])
claim_entry = next(c for c in spec["claims"] if c["id"] == claim)
threshold = float(claim_entry["rule_parameters"]["threshold"])
codebook = load_codebook()
stage_labels = codebook.maturity_labels("en")
markdown(
    f":::{{admonition}} Claim {claim}: {claim_entry['finding']}\n:class: important\n"
    f"**Source.** {claim_entry['source']}\n\n"
    f"**Hypothesis.** {claim_entry['hypothesis'].strip()}\n\n"
    f"**Primary test.** {claim_entry['primary_test']}\n\n"
    f"**Decision rule.** `{claim_entry['rule']}` with level {threshold:g}, α = {alpha:g} (Holm-adjusted in the ledger).\n:::"
)

frame = ctx.frame
resp = ctx.respondents
sampling_fraction = len(resp) / frame_size


def outcome_of(df):
    """The 0/1 outcome of this claim (NaN where not answered)."""
    v = as_float(df[item])
    return np.where(np.isnan(v), np.nan, (v >= min_stage).astype(float)) if min_stage is not None else v


data = resp.assign(outcome=outcome_of(resp))
if subset_item:
    data = data[as_float(data[subset_item]) == 1]
data = data[np.isfinite(data["outcome"].to_numpy(dtype=float))]
outcome_label = f"at stage ≥ {min_stage}" if min_stage is not None else item_label
domain_text = f"among the municipalities where {subset_label}" if subset_item else "among all municipalities"
# A domain's population size is unknown: its finite-population correction uses the survey's sampling fraction.
domain_fpc = (len(data) / sampling_fraction) if subset_item else frame_size
markdown(f"The outcome is **{outcome_label}**, {domain_text}. {len(resp)} of {frame_size} municipalities "
         f"responded; **{len(data)}** are in the analysis.")

# %% [markdown]
# ## Primary test

# %%
primary = share_test(data["outcome"], data["weight"], threshold, population_size=domain_fpc)
markdown(f"Weighted share {outcome_label} {domain_text}: **{primary['estimate']:.3f}** (95 % CI "
         f"{primary['ci_low']:.3f} to {primary['ci_high']:.3f}); one-sided p (share > {threshold:g}) = "
         f"**{primary['p_value']:.3g}**; n = {primary['n']}, effective n {primary['n_eff']:.0f} after the "
         "finite-population correction.")

# %% [markdown]
# ## By size and centrality
#
# Weighted shares with 95 % Wilson intervals. For groups of the whole frame the finite-population correction
# uses the register's count of municipalities in the group; where every municipality of a group answered, the
# interval has zero width, as no sampling error is left (item non-response aside).

# %%
band_order = frame.groupby("size_band")["population_2021"].min().sort_values().index.tolist()
band_pop = frame["size_band"].value_counts().to_dict()
class_pop = frame["centrality_class"].value_counts().to_dict()
class_names = {1: "1 most central", 2: "2", 3: "3", 4: "4", 5: "5", 6: "6 least central"}
kw = dict(sampling_fraction=sampling_fraction) if subset_item else {}
by_size = share_by_group(data, "outcome", "size_band", order=band_order, population_size=domain_fpc,
                         group_population=None if subset_item else band_pop, total_label="all sizes", **kw)
by_size = by_size.rename(columns={"group": "size band (inhabitants)", "n": "municipalities", "n_yes": "of them yes"})
_ = ctx.table("by_size_band", by_size, f"Share {outcome_label} by size band ({domain_text}; weighted, 95 % Wilson CI)",
              count_columns=["municipalities", "of them yes"])
by_cent = share_by_group(data, "outcome", "centrality_class", order=[1, 2, 3, 4, 5, 6], population_size=domain_fpc,
                         group_population=None if subset_item else class_pop, total_label="all classes", **kw)
by_cent["group"] = [class_names.get(int(g), g) if str(g).isdigit() else g for g in by_cent["group"]]
by_cent = by_cent.rename(columns={"group": "centrality class", "n": "municipalities", "n_yes": "of them yes"})
_ = ctx.table("by_centrality_class", by_cent,
              f"Share {outcome_label} by SSB centrality class ({domain_text}; weighted, 95 % Wilson CI)",
              count_columns=["municipalities", "of them yes"])

# %%
sns.set_theme(style="whitegrid", palette="colorblind")
colors = sns.color_palette("colorblind")
fig, axes = plt.subplots(1, 2, figsize=(10, 4.2), sharey=True)
for ax, tab, col, title in [(axes[0], by_size, "size band (inhabitants)", "By size band"),
                            (axes[1], by_cent, "centrality class", "By centrality class")]:
    t = tab[tab["municipalities"] > 0].reset_index(drop=True)
    xs = np.arange(len(t))
    is_total = np.arange(len(t)) == len(t) - 1
    ax.errorbar(xs[~is_total], 100 * t["share"][~is_total],
                yerr=interval_errors(t["share"], t["ci_low"], t["ci_high"], 100)[:, ~is_total],
                fmt="o", color=colors[0], capsize=3, label="group")
    ax.errorbar(xs[is_total], 100 * t["share"][is_total],
                yerr=interval_errors(t["share"], t["ci_low"], t["ci_high"], 100)[:, is_total],
                fmt="D", color=colors[1], capsize=3, label="all")
    ax.axhline(100 * threshold, color=colors[3], ls="--", lw=1.2, label=f"level in the claim ({threshold:.0%})")
    ax.set_xticks(xs)
    ax.set_xticklabels(t[col], rotation=30, ha="right", fontsize=8)
    ax.set_xlabel(col.capitalize())
    ax.set_title(title)
axes[0].set_ylabel(f"Share {outcome_label} (%, weighted)")
axes[0].set_ylim(0, 100)
axes[1].legend(fontsize=8, loc="lower right")
fig.suptitle(f"{claim}: share {outcome_label}, {domain_text}", fontsize=11)
_ = ctx.figure(fig, "shares_by_group",
               alt=f"Two panels of point estimates with 95 % intervals: the weighted share {outcome_label} by size band and by centrality class, with the claim's level as a dashed line",
               caption=f"Weighted share {outcome_label} {domain_text}, by size band and by SSB centrality class "
                       "(1 = most central), with 95 % Wilson intervals; the dashed line is the level in the claim.")

# %% [markdown]
# ## Is the ladder cumulative? (Guttman-like check)
#
# The ladder assumes that the rungs are climbed in order: the planning strategy (stage 2), the master plan
# (stage 3), budget and management (stage 4), indicators (stage 5). If so, the five component items form a
# Guttman scale: a municipality with *s* items has the *s* easiest ones. The coefficient of reproducibility
# (CR, Goodenough–Edwards error counting; Guttman's benchmark ≥ 0.90) and the coefficient of scalability
# (CS = (CR − MMR)/(1 − MMR), benchmark ≥ 0.60) say how close the data come. Shown for F7 only.

# %%
if guttman_check:
    items = resp[list(COMPONENT_ITEMS)]
    g_emp = guttman_scale(items)
    g_lad = guttman_scale(items, order=list(COMPONENT_ITEMS))
    gut = pd.DataFrame([
        {"item order": "by how often each item is present (empirical)", "municipalities": g_emp["n"],
         "errors": g_emp["errors"], "reproducibility (CR)": g_emp["reproducibility"],
         "minimal marginal reproducibility": g_emp["minimal_marginal_reproducibility"],
         "scalability (CS)": g_emp["scalability"], "share with a perfect pattern": g_emp["perfect_share"],
         "order": " < ".join(g_emp["order"])},
        {"item order": "the ladder's order", "municipalities": g_lad["n"], "errors": g_lad["errors"],
         "reproducibility (CR)": g_lad["reproducibility"],
         "minimal marginal reproducibility": g_lad["minimal_marginal_reproducibility"],
         "scalability (CS)": g_lad["scalability"], "share with a perfect pattern": g_lad["perfect_share"],
         "order": " < ".join(g_lad["order"])},
    ])
    _ = ctx.table("guttman", gut, "Guttman scalogram statistics of the five component items",
                  count_columns=["municipalities"])

    # Is each higher rung reached only through the rung below?  P(lower item | higher item).
    rungs = list(COMPONENT_ITEMS)
    steps = []
    for lower, higher in zip(rungs[:-1], rungs[1:]):
        sub = resp[as_float(resp[higher]) == 1]
        lo = as_float(sub[lower])
        ok = np.isfinite(lo)
        wts = sub["weight"].to_numpy()[ok]
        steps.append({"higher rung": codebook.item(higher).label["en"], "lower rung": codebook.item(lower).label["en"],
                      "municipalities with the higher rung": int(ok.sum()),
                      "share also with the lower rung (weighted)": float(wts @ lo[ok] / wts.sum()) if ok.any() else np.nan})
    _ = ctx.table("rung_order", pd.DataFrame(steps),
                  "Is each rung reached through the one below? Share of municipalities with a rung that also have the previous one",
                  count_columns=["municipalities with the higher rung"])

    cons = ladder_consistency(resp["maturity_stage"], resp[list(COMPONENT_ITEMS)])
    cons = cons.assign(weight=resp["weight"].to_numpy())

    def wmean(sub, col):
        ok = sub[col].notna()
        return float(np.average(sub.loc[ok, col], weights=sub.loc[ok, "weight"])) if ok.any() else np.nan

    crow = []
    for s in [*range(6), "all"]:
        sub = cons[cons["consistent"].notna() & ((cons["stage"] == s) if s != "all" else True)]
        crow.append({"stage": s, "stage name": stage_labels[s] if s != "all" else "", "municipalities": len(sub),
                     "items the stage implies are present": wmean(sub, "implied_present"),
                     "no item of a higher stage": wmean(sub, "none_beyond"),
                     "consistent (both)": wmean(sub, "consistent")})
    consistency = pd.DataFrame(crow)
    _ = ctx.table("ladder_consistency", consistency,
                  "Do the component items match the self-classified stage? (weighted shares)",
                  count_columns=["municipalities"])
    markdown(f"Reproducibility in the ladder's order: **CR = {g_lad['reproducibility']:.3f}** (scalability "
             f"CS = {g_lad['scalability']:.2f}); {consistency.iloc[-1]['consistent (both)']:.1%} of the "
             "municipalities hold exactly the items their stage implies.")

    # Where on the ladder are the municipalities with the SDGs in their management system?
    mg = resp[as_float(resp["sdg_in_management"]) == 1].dropna(subset=["maturity_stage"])
    dm = weighted_distribution(as_float(mg["maturity_stage"]), mg["weight"].to_numpy(), levels=list(range(6)))
    fig, ax = plt.subplots(figsize=(7.5, 3.8))
    ax.bar([f"{s}\n{stage_labels[s]}" for s in range(6)], 100 * dm["share"], color=colors[0])
    ax.errorbar([f"{s}\n{stage_labels[s]}" for s in range(6)], 100 * dm["share"],
                yerr=interval_errors(dm["share"], dm["ci_low"], dm["ci_high"], 100),
                fmt="none", ecolor="black", capsize=3, lw=1)
    ax.set_xlabel("Maturity stage (self-classification)")
    ax.set_ylabel("Share (%, weighted)")
    ax.set_title("Stages of the municipalities with the SDGs in their management system")
    ax.tick_params(axis="x", labelsize=8)
    _ = ctx.figure(fig, "management_by_stage",
                   alt="Bar chart of the weighted distribution over maturity stages of the municipalities that report the SDGs built into their management system",
                   caption="Where the municipalities with the SDGs in their management system place themselves on "
                           "the ladder (weighted shares, 95 % Wilson intervals).")
    guttman_summary = {"empirical": {k: g_emp[k] for k in ("n", "errors", "reproducibility", "scalability", "perfect_share", "order")},
                       "ladder_order": {k: g_lad[k] for k in ("n", "errors", "reproducibility", "scalability", "perfect_share", "order")},
                       "consistent_share": float(consistency.iloc[-1]["consistent (both)"])}
else:
    guttman_summary = None
    markdown("Not part of this parameter set.")


# %% [markdown]
# ## Robustness
#
# The weighted primary result beside the unweighted share; a conservative reading of item non-response
# (a municipality that left the item blank counted as "no"); and, where the run spec names one, a stricter
# definition of the top of the ladder. Each row shows the decision the rule would give (unadjusted α).

# %%
def row_for(label, x, w, fpc):
    t = share_test(x, w, threshold, population_size=fpc)
    d = decide(claim_entry, {"primary": t, "rule_inputs": {}}, alpha, t["p_value"])
    return {"variant": label, "n": t["n"], "share": t["estimate"], "ci_low": t["ci_low"], "ci_high": t["ci_high"],
            "p_value": t["p_value"], "decision": d.verdict}


rows = [row_for("primary: weighted", data["outcome"], data["weight"], domain_fpc),
        row_for("unweighted", data["outcome"], None, domain_fpc)]
base = resp if not subset_item else resp[as_float(resp[subset_item]) == 1]
blank_as_no = np.nan_to_num(outcome_of(base), nan=0.0)
rows.append(row_for("item left blank counted as no (weighted)", blank_as_no, base["weight"],
                    frame_size if not subset_item else len(base) / sampling_fraction))
if alt_min_stage is not None:
    alt = np.where(np.isnan(as_float(data[item])), np.nan, (as_float(data[item]) >= alt_min_stage).astype(float))
    rows.append(row_for(f"stricter top: stage ≥ {alt_min_stage} (weighted)", alt, data["weight"], domain_fpc))
robust = pd.DataFrame(rows)
_ = ctx.table("robustness", robust, "The decision rule under each variant (unadjusted α)", count_columns=["n"])

# %% [markdown]
# ## Verdict

# %%
evidence = ctx.evidence(
    claim=claim,
    primary={"method": f"one-sided test that the raked share {outcome_label} {domain_text} exceeds {threshold:g} "
                       f"(Wilson, Kish effective n, finite-population correction N = {domain_fpc:.0f})",
             "estimate": primary["estimate"], "ci_low": primary["ci_low"], "ci_high": primary["ci_high"],
             "p_value": primary["p_value"]},
    n=primary["n"],
    rule_inputs={},
    sensitivity=robust.to_dict(orient="records"),
    guttman=guttman_summary,
)
