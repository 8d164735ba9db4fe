"""The synthetic replica's page (``notebooks/synthetic_replica``): its tables, sentences and figure, built from what
``synth.replica`` returns (the scenarios, the truth file, the generated rows), so that this module needs no part of
``synth`` itself.

Every number shown here is SIMULATED; the page never reads a real survey file.
"""

from __future__ import annotations

from collections.abc import Callable

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from vsr_analysis.stats.figure_style import legend_below

#: The covariates of the generating model in words.
COVARIATE_LABELS = {
    "log_population": "ln population 2021",
    "centrality": "centrality index / 100",
    "merged_2017_2020": "merged 2017–2020",
    "network_member": "member of an SDG network",
    "political_anchoring": "political anchoring (1–5)",
}
#: The columns of the targets table the page shows, and their headers.
TARGET_COLUMNS = [
    "target",
    "statistic",
    "low",
    "high",
    "expected",
    "realised",
    "n",
    "margin",
    "within",
    "reason",
    "sources",
]


def scenario_text(scenario: str, seed: int, sc: dict, rm: dict) -> str:
    """The scenario's title and summary, and the file's response (``truth["response_model"]``)."""
    return (
        f"**Scenario `{scenario}`, seed {seed}: {sc['title']}.** {' '.join(sc['summary'].split())}\n\n"
        f"The file has {rm['n_respondents']} responding municipalities of {rm['n_frame']} "
        f"(response rate {rm['realised_rate']:.1%}; the model's expected rate is {rm['expected_rate']:.0%}) "
        f"and {rm['n_county_respondents']} county authorities."
    )


def scenarios_table(scenarios: dict[str, dict], shown: str, fmt_value: Callable[[float], str]) -> pd.DataFrame:
    """One row per scenario (name -> loaded scenario file): its story, the maturity model's coefficients, its
    ceiling (``fmt_value`` formats it) and whether it is the one ``shown``."""
    rows = []
    for name, s in scenarios.items():
        coefs = ", ".join(f"{k} {v['value']:g}" for k, v in s["maturity"]["coefficients"].items())
        ceiling = s["maturity"]["ceiling"]["value"]
        rows.append(
            {
                "scenario": name,
                "story": s["title"],
                "coefficients of the maturity model": coefs,
                "ceiling": fmt_value(ceiling) if ceiling else "none",
                "shown here": "yes" if name == shown else "",
            }
        )
    return pd.DataFrame(rows)


def targets_shown(targets: pd.DataFrame) -> pd.DataFrame:
    """The targets table as the page shows it (:data:`TARGET_COLUMNS`, the bounds named for what they are)."""
    return targets[TARGET_COLUMNS].rename(columns={"low": "target low / min", "high": "target high / max"})


def published_facts(stats_: dict, rm: dict, ks_self: int) -> pd.DataFrame:
    """The published facts (2018, 2021, 2024) beside the replica's counterparts (``marginal_statistics``)."""

    def fact(text, value, source, counterpart, synthetic):
        return {
            "published fact": text,
            "value": value,
            "source": source,
            "synthetic counterpart": counterpart,
            "synthetic value": synthetic,
        }

    started = f"{stats_['stage_ge1'][0]:.0%}"
    return pd.DataFrame(
        [
            fact("Deloitte 2018: SDGs seen as important", "84 %", "deloitte2018", "started (stage ≥ 1)", started),
            fact(
                "Deloitte 2018: SDGs referred to or integrated in plans",
                "about 25 %",
                "deloitte2018",
                "SDGs in the master plan (item)",
                f"{stats_['sdg_in_master_plan'][0]:.0%}",
            ),
            fact(
                "Nordic VSR 2024: active work with the SDGs",
                "over 95 %",
                "nordic_vsr2024",
                "started (stage ≥ 1)",
                started,
            ),
            fact(
                "Nordic VSR 2024: measure progress",
                "45 %",
                "nordic_vsr2024",
                "measures progress (item)",
                f"{stats_['measures_progress'][0]:.0%}",
            ),
            fact(
                "Vestland 2021 mapping: response rate",
                "30 of 43 (70 %)",
                "vestland2021",
                "response rate",
                f"{rm['realised_rate']:.0%}",
            ),
            fact(
                "KS sustainability network: member municipalities",
                "12",
                "ks_network2020",
                "respondents reporting the KS network",
                str(ks_self),
            ),
        ]
    )


def thresholds_table(truth: dict, fit) -> pd.DataFrame:
    """The true thresholds ζ beside the fitted model's."""
    return pd.DataFrame(
        {
            "threshold": list(truth["thresholds"]),
            "truth": list(truth["thresholds"].values()),
            "estimate": fit.thresholds.to_numpy()[: len(truth["thresholds"])],
        }
    )


def small_at_top(frame: pd.DataFrame, truth: dict) -> pd.DataFrame:
    """SIMULATED: the responding municipalities below the frame's median population that the replica put at stage
    4 or 5 (``truth["small_at_stage_ge4"]``), with their register facts and whether they are peripheral."""
    names = frame.set_index("knr")
    peripheral = set(truth["small_peripheral_at_stage_ge4"]["knr"])
    return pd.DataFrame(
        [
            {
                "knr": k,
                "municipality": names.at[k, "name"],
                "population 2021": int(names.at[k, "population_2021"]),
                "centrality class": int(names.at[k, "centrality_class"]),
                "simulated stage": int(names.at[k, "maturity_stage"]),
                "peripheral (class 5–6)": "yes" if k in peripheral else "",
            }
            for k in truth["small_at_stage_ge4"]["knr"]
        ]
    )


def small_at_top_text(truth: dict) -> str:
    """How many small municipalities at the top the scenario expects and the file has (and how many peripheral)."""
    small, peripheral = truth["small_at_stage_ge4"], truth["small_peripheral_at_stage_ge4"]
    return (
        f"Median population of the frame: {truth['frame_median_population']:,.0f}. Expected number of responding "
        f"municipalities below it at stage ≥ 4 under this scenario: {small['expected_count']:.1f}; "
        f"in this file: {len(small['knr'])} (of which {len(set(peripheral['knr']))} peripheral; expected "
        f"{peripheral['expected_count']:.1f})."
    )


def stage_by_band_figure(
    frame: pd.DataFrame, respondents: pd.DataFrame, stage_labels: dict, scenario: str, seed: int
) -> tuple[plt.Figure, str]:
    """SIMULATED: stacked bars of the stage shares in each size band (bands ordered by population): (figure,
    caption with the respondents per band)."""
    order_bands = frame.groupby("size_band")["population_2021"].min().sort_values().index.tolist()
    plot = respondents.dropna(subset=["maturity_stage"])
    plot = pd.DataFrame(
        {
            "size_band": pd.Categorical(plot["size_band"].astype(str), categories=order_bands, ordered=True),
            "stage": plot["maturity_stage"].astype(int).map(lambda k: f"{k} {stage_labels[k]}").to_numpy(),
        }
    )
    # highest stage first, so that it sits on top of each bar and of the legend
    hue_order = [f"{k} {stage_labels[k]}" for k in sorted(stage_labels, reverse=True)]
    palette = dict(zip(reversed(hue_order), sns.color_palette("colorblind", len(hue_order))))
    fig, ax = plt.subplots(figsize=(5.4, 5.2))
    sns.histplot(
        data=plot,
        x="size_band",
        hue="stage",
        hue_order=hue_order,
        multiple="fill",
        stat="count",
        discrete=True,
        shrink=0.85,
        palette=palette,
        alpha=1.0,
        edgecolor="white",
        linewidth=0.8,
        ax=ax,
    )
    ax.grid(axis="x", visible=False)
    ax.set_xticks(range(len(order_bands)), order_bands, rotation=45, ha="right", rotation_mode="anchor")
    ax.set_xlabel("Population size band\n(inhabitants, 1 January 2021)")
    ax.set_ylabel("Share of responding municipalities")
    ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    legend_below(ax, ncol=2, title="Maturity stage (simulated)")  # below the bars: beside them it would widen it
    ax.set_title(f"SIMULATED: maturity stage by size band\n(scenario {scenario}, seed {seed})")
    counts = plot["size_band"].value_counts()
    caption = (
        "SIMULATED data. Share of responding municipalities at each maturity stage, by population "
        "size band (n per band: " + ", ".join(f"{b} {counts.get(b, 0)}" for b in order_bands) + ")."
    )
    return fig, caption
