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
# # Weighting for non-response
#
# The register is known for all 356 municipalities, respondents or not, so the respondents can be weighted
# back to the whole frame. The compendium rakes (iterative proportional fitting) the respondents to the
# frame's counts on three pre-specified margins: **size band**, **centrality class** (classes 1 and 2 pooled:
# class 1 has only six municipalities) and **merger 2017–2020**. Every primary result is weighted, with the
# unweighted one beside it. The design effect (Kish: 1 + CV² of the weights) says how much precision the
# weighting costs.

# %% tags=["parameters"]
survey = "synthetic:vsr-narrative:2021"
param_set = "weighting"
results_dir = None

# %%
from vsr_analysis.chapter import start, markdown
ctx = start(survey=survey, param_set=param_set, results_dir=results_dir, parameters={})

# %%
import pandas as pd
import matplotlib.pyplot as plt
import seaborn as sns
from vsr_analysis.data.analysis_frame import RAKING_MARGINS

frame = ctx.frame
info = ctx.data.weight_info
markdown(f"{info['respondents']} of {info['frame']} municipalities responded "
         f"({info['respondents'] / info['frame']:.0%}). Design effect **{info['design_effect']:.3f}**, "
         f"effective sample size **{info['effective_n']:.0f}**; weights range from {info['min_weight']:.2f} to "
         f"{info['max_weight']:.2f}.")
rows = []
for margin in RAKING_MARGINS:
    for level, group in frame.groupby(margin, sort=True):
        resp = group[group["responded"]]
        rows.append({"margin": margin, "level": str(level), "frame (municipalities)": len(group),
                     "respondents": len(resp), "response rate": len(resp) / len(group),
                     "weighted respondents": resp["weight"].sum()})
margins = pd.DataFrame(rows)
_ = ctx.table("margins", margins, "Raking margins: the frame, the respondents and the weighted respondents",
          count_columns=["frame (municipalities)", "respondents"])

# %%
sns.set_theme(style="whitegrid", palette="colorblind")
resp = frame[frame["responded"]]
fig, ax = plt.subplots(figsize=(7, 3.6))
sns.histplot(resp["weight"], bins=25, ax=ax, color=sns.color_palette("colorblind")[0])
ax.set_xlabel("Raking weight")
ax.set_ylabel("Responding municipalities")
ax.set_title("Distribution of the raking weights")
ctx.figure(fig, "weights", alt="Histogram of the raking weights of the responding municipalities",
           caption="A weight above 1 means the municipality stands for more than itself: its kind answered less often.")

# %% [markdown]
# ## A check: response-propensity weights
#
# Raking matches the frame on three margins. A response-propensity model instead predicts each
# municipality's chance of answering from its register characteristics (log population, centrality, merger and
# county) and weights respondents by the inverse of that chance. If both weightings agree, the weighted results
# do not hinge on the method.

# %%
import numpy as np
from vsr_analysis.stats.propensity import compare_weights, propensity_weights
from vsr_analysis.stats.raking import design_effect
from vsr_analysis.stats.intervals import weighted_share

pw, propensity = propensity_weights(frame, "responded", ["log_population", "centrality", "merged_2017_2020"],
                                    fixed_effects=["county_code"])
agreement = compare_weights(frame["weight"].where(frame["responded"]), pw)
resp = frame[frame["responded"]].copy()
resp["propensity_weight"] = pw[frame["responded"]]
started = (resp["maturity_stage"] >= 1).astype(float).where(resp["maturity_stage"].notna())
top = (resp["maturity_stage"] >= 4).astype(float).where(resp["maturity_stage"].notna())
rows = []
for label, column in (("unweighted", None), ("raking", "weight"), ("response propensity", "propensity_weight")):
    w = None if column is None else resp[column]
    rows.append({"weights": label,
                 "design effect": 1.0 if column is None else design_effect(resp[column]),
                 "share at stage ≥ 1": weighted_share(started, w).estimate,
                 "share at stage ≥ 4": weighted_share(top, w).estimate})
_ = ctx.table("weighting_comparison", pd.DataFrame(rows),
              "The same shares under no weights, raking weights and response-propensity weights")
markdown(f"The two sets of weights correlate at r = **{agreement['correlation']:.2f}** over the "
         f"{agreement['n']} respondents (their ratio ranges from {agreement['ratio_min']:.2f} to "
         f"{agreement['ratio_max']:.2f}). Predicted response propensities range from {propensity.min():.2f} to "
         f"{propensity.max():.2f}.")
