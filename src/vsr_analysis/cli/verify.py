"""``vsr verify``: re-execute the pipeline and compare with the published results (:mod:`vsr_analysis.build.verify`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from vsr_analysis.cli.arguments import positive_int


def add_parser(sub) -> None:
    verify = sub.add_parser(
        "verify",
        help="re-execute the pipeline and compare the new ledger and tables with the current ones",
        description=(
            "Re-run the run spec into a temporary folder on the same inputs and report every difference "
            "between the new claims ledger / result tables and those in results/. Exit 0 if identical."
        ),
    )
    verify.add_argument("--jobs", type=positive_int, metavar="N", default=None)
    verify.add_argument("--survey", metavar="PATH", help="the survey file, when the published results came from one")
    verify.add_argument("--map", metavar="FILE", help="the column map the published run used with --survey")
    verify.add_argument(
        "--report", metavar="FILE", help="also write a Markdown reproduction report of every codecheck.yml file"
    )


def cli_verify(args: argparse.Namespace) -> int:
    from vsr_analysis import paths
    from vsr_analysis.build.publish import MixedOutputsError
    from vsr_analysis.build.verify import comparable_files, verify

    try:
        report = getattr(args, "report", None)
        differences = verify(
            jobs=args.jobs,
            survey=getattr(args, "survey", None),
            report=Path(report).resolve() if report else None,
            survey_map=getattr(args, "map", None),
        )
    except (FileNotFoundError, ValueError) as exc:
        print(f"vsr verify: error: {exc}", file=sys.stderr)
        return 2
    except MixedOutputsError as exc:
        print(f"vsr verify: error: the published outputs are not one whole run: {exc}", file=sys.stderr)
        return 1
    if differences:
        print("vsr verify: DIFFERENT from the published results:", file=sys.stderr)
        for line in differences:
            print(f"  {line}", file=sys.stderr)
        return 1
    n = len(comparable_files(paths.results_dir()))
    print(f"vsr verify: identical ({n} files: claims.json, evidence and result tables)")
    return 0
