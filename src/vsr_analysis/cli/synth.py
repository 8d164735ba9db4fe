"""``vsr synth``: write one synthetic replica file and its truth (:mod:`vsr_analysis.synth.files`)."""

from __future__ import annotations

import argparse
import sys

from vsr_analysis.cli.arguments import seed_value


def add_parser(sub) -> None:
    synth = sub.add_parser(
        "synth",
        help="generate a synthetic survey file for the real 356 municipalities",
        description=(
            "Write a simulated survey file in the instrument's format, with its true parameters in a JSON "
            "file beside it. Same scenario and seed give a byte-identical file."
        ),
    )
    synth.add_argument("--scenario", default="vsr-narrative", metavar="NAME")
    synth.add_argument("--seed", type=seed_value, default=2021, metavar="N")
    synth.add_argument(
        "--out", metavar="PATH", default=None, help="output CSV (default: data/synthetic/<scenario>-<seed>.csv)"
    )


def cli_synth(args: argparse.Namespace) -> int:
    """``vsr synth``: 0 written, 1 invalid data (register/scenario file), 2 usage (unknown scenario)."""
    from vsr_analysis.synth.files import read_truth, truth_path, write
    from vsr_analysis.synth.scenario import ScenarioError, available_scenarios

    scenario = getattr(args, "scenario", None) or "vsr-narrative"
    seed = getattr(args, "seed", None)
    seed = 2021 if seed is None else seed
    if scenario not in available_scenarios():
        print(
            f"vsr synth: error: unknown scenario {scenario!r}; available scenarios: "
            f"{', '.join(available_scenarios()) or 'none'}",
            file=sys.stderr,
        )
        return 2
    try:
        path = write(scenario, seed, getattr(args, "out", None))
    except ScenarioError as exc:
        print(f"vsr synth: error: {exc}", file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"vsr synth: error: {exc}", file=sys.stderr)
        return 1
    truth = read_truth(path)
    rm = truth["response_model"]
    print(
        f"wrote {path} ({rm['n_respondents']} of {rm['n_frame']} municipalities, "
        f"{rm['n_county_respondents']} county authorities; SIMULATED DATA)"
    )
    print(f"wrote {truth_path(path)} (true parameters)")
    return 0
