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
# # Necessary Condition Analysis, explained
#
# "Being big is not a prerequisite" is a claim about **necessity**: that the top of the maturity ladder can be
# reached without being big. A regression answers a different question — whether bigger municipalities are
# *on average* more mature. Necessary Condition Analysis (NCA; {cite}`dul2016`) looks at the corner of the
# scatter plot that a necessary condition would leave empty.
#
# {numref}`Figure %s <fig-nca-explained-nca-explained>` uses a small made-up data set (not survey data) to show the pieces: the **scope** (the
# rectangle of observed values), the **CE-FDH** step ceiling through the upper-left *peers*, the straight
# **CR-FDH** ceiling fitted through the same peers, and the **ceiling zone** — the empty area above the
# ceiling. The effect size is d = ceiling zone / scope.

# %% tags=["parameters"]
survey = "synthetic:vsr-narrative:2021"
param_set = "nca-explained"
results_dir = None
n_points = 40
seed = 7

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from vsr_analysis.api import (
    bottleneck,
    display_frame,
    effect_size_label,
    markdown,
    nca,
    output_folder,
    save_figure,
    set_style,
    write_table,
)

out = output_folder(param_set, results_dir)  # results_dir from `vsr run`; by hand: scratch/<param_set>/
rng = np.random.default_rng(seed)
# Illustration only: X uniform on 0-10, and Y can be at most 1 + 0.4 X (a true ceiling), below it anything.
x = rng.uniform(0, 10, n_points)
y = np.floor(rng.uniform(0, 1, n_points) * (1 + 0.45 * x)).clip(0, 5)
ce = nca(x, y, ceiling="ce_fdh", permutations=2000, seed=seed)
cr = nca(x, y, ceiling="cr_fdh", permutations=2000, seed=seed)

# %%
set_style()
pal = sns.color_palette("colorblind")
fig, ax = plt.subplots(figsize=(5.4, 4.6))
x0, x1, y0, y1 = ce.scope
xs = np.linspace(x0, x1, 400)
step = ce.ceiling_y(xs)
ax.fill_between(xs, step, y1, step="post", color=pal[1], alpha=0.18, label="ceiling zone (CE-FDH)")
ax.add_patch(plt.Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, ls=":", color="grey", label="scope"))
ax.scatter(x, y, s=22, color=pal[0], label="observation", zorder=3)
ax.step(xs, step, where="post", color=pal[1], lw=2, label="CE-FDH ceiling")
ax.plot(xs, np.clip(cr.ceiling_y(xs), y0, y1), color=pal[2], lw=2, ls="--", label="CR-FDH ceiling")
ax.scatter(ce.peers[:, 0], ce.peers[:, 1], s=60, facecolors="none", edgecolors="black", label="peers", zorder=4)
ax.set_xlabel("Condition X (illustrative units)")
ax.set_ylabel("Outcome Y (illustrative stage)")
ax.set_title("An empty upper-left corner:\nX is necessary for high Y")
ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, frameon=False)  # below the data
save_figure(
    fig,
    out,
    "nca_explained",
    link=f"../../results/{param_set}/nca_explained.svg",
    alt="Illustrative scatter plot with the scope rectangle, the shaded ceiling zone, the CE-FDH step "
    "ceiling, the CR-FDH line and the circled peers",
    caption="An illustration on made-up data. Every point lies on or below the CE-FDH step; the shaded "
    "zone above it is empty.",
)

# %%
table = pd.DataFrame(
    [
        {
            "ceiling": "CE-FDH",
            "ceiling zone": ce.ceiling_zone,
            "scope": ce.scope_area,
            "d": ce.effect_size,
            "size": effect_size_label(ce.effect_size),
            "permutation p": ce.p_value,
            "accuracy": ce.accuracy,
        },
        {
            "ceiling": "CR-FDH",
            "ceiling zone": cr.ceiling_zone,
            "scope": cr.scope_area,
            "d": cr.effect_size,
            "size": effect_size_label(cr.effect_size),
            "permutation p": cr.p_value,
            "accuracy": cr.accuracy,
        },
    ]
)
# the download says what the rows come from, as every result table of the book does
label = "SIMULATED (made-up illustration data of this page; not survey data)"
write_table(out, "nca_explained", table.assign(data=label)[["data", *table.columns]])
from IPython.display import HTML, display

display(HTML(display_frame(table).to_html(index=False, border=0)))
markdown(
    f"Here the CE-FDH ceiling zone covers **{ce.effect_size:.0%}** of the scope ({effect_size_label(ce.effect_size)} "
    f"by Dul's benchmarks), and shuffling Y against X 2,000 times produced an effect that large in a share "
    f"p = {ce.p_value:.4f} of the shuffles ({{cite}}`dul2020`)."
)

# %% [markdown]
# ## Reading the bottleneck table
#
# The bottleneck table reads the ceiling sideways: for each outcome level, the X level the ceiling requires.
# "not necessary" means any observed X is enough for that level.

# %%
from vsr_analysis.api import readable_bottleneck

bn = bottleneck(x, y, [1, 2, 3, 4, 5], ceiling="ce_fdh")
display(HTML(readable_bottleneck(bn).to_html(index=False, border=0, classes="result-table")))
