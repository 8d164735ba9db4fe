"""``vsr simulate``: operating characteristics of the decision rules on Dask (:mod:`vsr_analysis.simulate.engine`);
``vsr simulate --power``: each confirmatory rule's power and minimum detectable effect at a survey's design
(:mod:`vsr_analysis.simulate.power`)."""

from __future__ import annotations

import argparse
import shlex
import sys

from vsr_analysis.cli.arguments import positive_int


def add_parser(sub) -> None:
    parser = sub.add_parser(
        "simulate",
        help="operating characteristics of the decision rules over many synthetic surveys (Dask)",
        description=(
            "For each scenario x seed, generate the synthetic replica as `vsr synth` does, run each claim's "
            "primary analysis and decision rule, and write the share of each verdict and the coverage of the "
            "intervals (operating_characteristics.csv), one row per seed x claim (per_seed.csv) and the "
            "provenance. Runs on a local Dask cluster (--workers) or a running one (--scheduler); resumable."
        ),
    )
    parser.add_argument(
        "--power",
        action="store_true",
        help="instead: each confirmatory rule's power curve and minimum detectable effect at the design of --survey "
        "(default: the default synthetic survey), written to --out (default: data/power-design/)",
    )
    parser.add_argument(
        "--survey", metavar="SPEC", help="--power: the design's survey spec (synthetic:S:N or file:...)"
    )
    parser.add_argument(
        "--reps", type=positive_int, metavar="N", help="--power: replicates per grid point (default 200)"
    )
    parser.add_argument("--scenario", metavar="NAME[,NAME...]", help="scenario(s) in data/scenarios/ (required)")
    parser.add_argument("--seeds", type=positive_int, metavar="N", help="seeds 1..N per scenario (required)")
    parser.add_argument("--claims", metavar="ID[,ID...]", help="claims to run (default: every registered claim)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--workers", type=int, metavar="K", help="worker processes of the local Dask cluster (default: cores)"
    )
    where.add_argument("--scheduler", metavar="ADDRESS", help="a running Dask scheduler, e.g. tcp://host:8786")
    parser.add_argument("--out", metavar="DIR", help="output folder (checkpoints live here too; required)")
    parser.add_argument(
        "--chunk-size", type=positive_int, default=10, metavar="N", help="seeds per task and checkpoint (default 10)"
    )
    parser.add_argument(
        "--permutations",
        type=positive_int,
        metavar="N",
        help="NCA permutations (default: the notebook's, 10,000); a smaller number is recorded in the provenance",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress display")


def _names(text: str | None) -> list[str]:
    return [t.strip() for t in (text or "").split(",") if t.strip()]


def cli_simulate(args: argparse.Namespace) -> int:
    """0 done, 1 invalid scenario statements or a failed run, 2 usage (unknown scenario/claim, other run in --out)."""
    # Imported here, not at the top: the CLI builds this subcommand's parser for every `vsr` call, and the engine
    # pulls in Dask, nbformat and the statistics (seconds of start-up that `vsr validate` should not pay).
    from vsr_analysis.simulate.engine import (
        OC_FILE,
        PER_SEED_FILE,
        PROVENANCE_FILE,
        SimulationError,
        make_plan,
        simulate,
    )

    if args.workers is not None and args.workers < 0:
        print("vsr simulate: error: --workers must be 0 (no Dask, this process) or more", file=sys.stderr)
        return 2
    if args.power:
        return cli_power(args)
    missing = [f"--{n}" for n in ("scenario", "seeds", "out") if getattr(args, n) is None]
    if missing:
        print(f"vsr simulate: error: the following arguments are required: {', '.join(missing)}", file=sys.stderr)
        return 2
    try:
        plan = make_plan(
            _names(args.scenario),
            args.seeds,
            _names(args.claims) or None,
            chunk_size=args.chunk_size,
            overrides={"permutations": args.permutations},
        )
    except SimulationError as exc:
        print(f"vsr simulate: error: {exc}", file=sys.stderr)
        return 1 if "disagree" in str(exc) else 2
    if plan.unregistered:
        print(
            f"vsr simulate: note: not simulated (no package analysis registered): {', '.join(plan.unregistered)}",
            file=sys.stderr,
        )
    command = "vsr " + " ".join(shlex.quote(a) for a in sys.argv[1:]) if sys.argv else None
    try:
        summary = simulate(
            plan, args.out, workers=args.workers, scheduler=args.scheduler, progress=not args.quiet, command=command
        )
    except SimulationError as exc:
        print(f"vsr simulate: error: {exc}", file=sys.stderr)
        return 2
    print(
        f"vsr simulate: {summary.seeds_total} seeds x {len(plan.claims)} claims "
        f"({summary.seeds_computed} computed now, {summary.wall_seconds:.1f} s wall); SIMULATED DATA"
    )
    for name in (OC_FILE, PER_SEED_FILE, PROVENANCE_FILE):
        print(f"wrote {summary.out / name}")
    return 0


def cli_power(args: argparse.Namespace) -> int:
    """``vsr simulate --power``: the power table at a survey's design (0 done, 1 failed, 2 usage)."""
    from pathlib import Path

    from vsr_analysis import paths
    from vsr_analysis.loading import load_frame
    from vsr_analysis.simulate import power

    survey = args.survey or power.DEFAULT_SURVEY
    out = Path(args.out) if args.out else paths.project_root() / power.STORED_DIR
    try:
        data = load_frame(survey)
    except (OSError, ValueError) as exc:
        print(f"vsr simulate --power: error: {exc}", file=sys.stderr)
        return 2
    plan = power.make_plan(survey, args.reps or power.DEFAULT_REPS, claims=_names(args.claims) or None)
    command = "vsr " + " ".join(shlex.quote(a) for a in sys.argv[1:]) if sys.argv else None
    result = power.compute(plan, data, workers=args.workers, scheduler=args.scheduler)
    power.write_stored(out, plan, data, result, command)
    print(
        f"vsr simulate --power: {len(plan.claims)} claims x {plan.reps} replicates, {result.evaluations} evaluations, "
        f"{result.cpu_seconds / max(result.evaluations, 1):.3f} CPU s each, {result.wall_seconds:.0f} s wall; SIMULATED"
    )
    for name in (power.MDE_FILE, power.CURVE_FILE, power.PROVENANCE_FILE):
        print(f"wrote {out / name}")
    return 0
