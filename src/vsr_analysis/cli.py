"""The ``vsr`` command.

Each subcommand is a thin shell around a package function that returns an exit code:
0 success, 1 invalid data or a failed analysis (with a report), 2 usage error.  Data problems are reported
as messages naming file, row and column, never as Python tracebacks.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from vsr_analysis import __version__
from vsr_analysis.errors import UsageError  # defined apart so `python -m vsr_analysis.cli` shares the class


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number >= 1, got {value}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole-number seed, got {text!r}") from None
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"seed must lie in 0 .. 2**32-1, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vsr",
        description="Reproducible tests of the claims of Norway's Voluntary Subnational Review (KS 2021).",
    )
    parser.add_argument("--version", action="version", version=f"vsr-analysis {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    # vsr run ---------------------------------------------------------------------------------
    run = sub.add_parser(
        "run",
        help="execute the run spec's notebooks with papermill and write results/claims.json",
        description=(
            "Execute every notebook of the run spec (runspec.yml) with papermill into book/executed/ and "
            "write the claims ledger results/claims.json. By default the survey is the synthetic replica "
            "(scenario vsr-narrative, seed from the run spec). Outputs are replaced only when every "
            "notebook succeeded; a failure leaves the previous good outputs untouched."
        ),
    )
    source = run.add_mutually_exclusive_group()
    source.add_argument(
        "--survey",
        metavar="PATH",
        help="a real survey file (CSV, XLSX, ODS, SPSS .sav, Stata .dta); treated as confidential",
    )
    source.add_argument(
        "--scenario", metavar="NAME", help="synthetic scenario in data/scenarios/ (default from run spec)"
    )
    run.add_argument("--seed", type=_seed, metavar="N", help="seed of the synthetic replica (default from run spec)")
    run.add_argument("--sheet", metavar="NAME", help="XLSX/ODS sheet of the --survey file (default: the first)")
    run.add_argument("--map", metavar="FILE", help="column map of the --survey file (see `vsr map --init`)")
    run.add_argument(
        "--all", action="store_true", help="list every problem of an invalid --survey file (default: the first 50)"
    )
    run.add_argument(
        "--jobs",
        type=_positive_int,
        metavar="N",
        default=None,
        help="notebooks executed at once (default: number of cores)",
    )
    run.add_argument(
        "--only",
        metavar="NAME",
        action="append",
        help="run only this parameter set (repeatable); others keep their last good outputs",
    )
    run.add_argument("--force", action="store_true", help="re-execute even notebooks whose inputs did not change")
    run.add_argument("--runspec", metavar="PATH", help="run spec to use (default: runspec.yml at the project root)")
    run.add_argument(
        "--timeout", type=_positive_int, metavar="SECONDS", help="per-cell execution timeout (default from run spec)"
    )

    # vsr book --------------------------------------------------------------------------------
    book = sub.add_parser(
        "book",
        help="build the Jupyter Book (warnings are errors, offline)",
        description="Build the Jupyter Book into _build/html with `jupyter-book build -W -n --keep-going`.",
    )
    book.add_argument("--all", action="store_true", help="rebuild every page, not only the changed ones")

    # vsr verify ------------------------------------------------------------------------------
    verify = sub.add_parser(
        "verify",
        help="re-execute the pipeline and compare the new ledger and tables with the current ones",
        description=(
            "Re-run the run spec into a temporary folder on the same inputs and report every difference "
            "between the new claims ledger / result tables and those in results/. Exit 0 if identical."
        ),
    )
    verify.add_argument("--jobs", type=_positive_int, metavar="N", default=None)
    verify.add_argument("--survey", metavar="PATH", help="the survey file, when the published results came from one")
    verify.add_argument("--map", metavar="FILE", help="the column map the published run used with --survey")
    verify.add_argument(
        "--report", metavar="FILE", help="also write a Markdown reproduction report of every codecheck.yml file"
    )

    # vsr codecheck ---------------------------------------------------------------------------
    codecheck = sub.add_parser(
        "codecheck",
        help="write codecheck.yml (CODECHECK manifest) from the run spec and the last default run",
        description=(
            "Write codecheck.yml at the project root (CODECHECK configuration 2.0): the ledger and every "
            "chapter's evidence, tables and figures from the last `vsr run` of the default source, with a "
            "comment each. Nodes a codechecker added are kept. Exit 1 when there is no default run to list."
        ),
    )
    codecheck.add_argument("--check", action="store_true", help="only report whether codecheck.yml is up to date")

    # vsr register ----------------------------------------------------------------------------
    register = sub.add_parser("register", help="build or fetch the Statistics Norway register table")
    reg_sub = register.add_subparsers(dest="register_command", metavar="ACTION")
    reg_sub.required = True
    reg_build = reg_sub.add_parser(
        "build",
        help="build data/register from raw SSB exports",
        description="Parse Statistics Norway's raw exports and write the derived register tables with a checksum manifest.",
    )
    reg_build.add_argument("--raw", metavar="DIR", required=True, help="folder with the raw SSB exports")
    reg_build.add_argument("--out", metavar="DIR", default=None, help="output folder (default: data/register)")
    reg_fetch = reg_sub.add_parser(
        "fetch",
        help="download the raw inputs from SSB's open APIs (PxWebApi 2.0, KLASS)",
        description="Download the raw register inputs from Statistics Norway's open APIs. Needs internet.",
    )
    reg_fetch.add_argument("--out", metavar="DIR", required=True, help="folder to write the raw files into")
    reg_fetch.add_argument("--timeout", type=_positive_int, default=30, metavar="SECONDS")
    reg_fetch.add_argument(
        "--api",
        choices=("v2", "v1"),
        default="v2",
        help="statistics-bank API: v2 = PxWebApi 2.0 (default); v1 = the old api/v0, only where v2 is not reachable",
    )
    reg_fetch.add_argument(
        "--rest-from",
        metavar="DIR",
        default=None,
        help="raw folder to copy the inputs SSB's APIs do not offer from, so that --out is complete for build",
    )

    # vsr validate ----------------------------------------------------------------------------
    validate = sub.add_parser(
        "validate",
        help="check a survey file against the codebook and report every problem",
        description=(
            "Load a survey file (CSV in UTF-8/UTF-8-BOM/Windows-1252, comma or semicolon; XLSX; ODS; SPSS .sav; "
            "Stata .dta; codes or the codebook's answer texts) and check it against the codebook. Reports all "
            "problems at once with row and column. Exit 0 valid, 1 invalid, 2 usage error. The file is never "
            "modified."
        ),
    )
    validate.add_argument("path", metavar="PATH")
    validate.add_argument("--sheet", metavar="NAME", help="XLSX/ODS sheet (default: the first)")
    validate.add_argument(
        "--map", metavar="FILE", help="column map: the file's names -> codebook items, ignored columns, recodes"
    )
    validate.add_argument(
        "--all", action="store_true", help="list every problem (default: the first 50, then a count by kind)"
    )

    # vsr map ---------------------------------------------------------------------------------
    map_ = sub.add_parser(
        "map",
        help="write a draft column map from a survey file's header",
        description=(
            "Match each column of a survey file's header against the codebook's item names and labels and the "
            "usual columns of survey tools, and write a draft map for --map; what could not be matched is "
            "marked NOT MATCHED. The survey file is never modified."
        ),
    )
    map_.add_argument("--init", metavar="FILE", required=True, help="the survey file whose header to map")
    map_.add_argument("--sheet", metavar="NAME", help="XLSX/ODS sheet (default: the first)")
    map_.add_argument("--out", metavar="PATH", default="survey_map.yml", help="map to write (default: survey_map.yml)")
    map_.add_argument("--force", action="store_true", help="replace --out if it exists")

    # vsr synth -------------------------------------------------------------------------------
    synth = sub.add_parser(
        "synth",
        help="generate a synthetic survey file for the real 356 municipalities",
        description=(
            "Write a simulated survey file in the instrument's format, with its true parameters in a JSON "
            "file beside it. Same scenario and seed give a byte-identical file."
        ),
    )
    synth.add_argument("--scenario", default="vsr-narrative", metavar="NAME")
    synth.add_argument("--seed", type=_seed, default=2021, metavar="N")
    synth.add_argument(
        "--out", metavar="PATH", default=None, help="output CSV (default: data/synthetic/<scenario>-<seed>.csv)"
    )

    # vsr simulate ----------------------------------------------------------------------------
    simulate = sub.add_parser(
        "simulate",
        help="operating characteristics of the decision rules over many synthetic surveys (Dask)",
        description=(
            "For each scenario x seed, generate the synthetic replica as `vsr synth` does, run each claim's "
            "primary analysis and decision rule, and write the share of each verdict and the coverage of the "
            "intervals (operating_characteristics.csv), one row per seed x claim (per_seed.csv) and the "
            "provenance. Runs on a local Dask cluster (--workers) or a running one (--scheduler); resumable."
        ),
    )
    from vsr_analysis.simulate.command import add_arguments as _simulate_arguments

    _simulate_arguments(simulate, _positive_int)
    return parser


def _dispatch(args: argparse.Namespace) -> int:
    # Imports are local so that `vsr --help` stays fast and a broken optional module
    # cannot stop unrelated subcommands.
    if args.command == "run":
        from vsr_analysis.build.runner import cli_run

        return cli_run(args)
    if args.command == "book":
        from vsr_analysis.build.book import cli_book

        return cli_book(args)
    if args.command == "verify":
        from vsr_analysis.build.verify import cli_verify

        return cli_verify(args)
    if args.command == "codecheck":
        from vsr_analysis.build.codecheck import cli_codecheck

        return cli_codecheck(args)
    if args.command == "register":
        if args.register_command == "build":
            from vsr_analysis.ssb.register_build import cli_build

            return cli_build(args)
        from vsr_analysis.ssb.fetch import cli_fetch

        return cli_fetch(args)
    if args.command == "validate":
        from vsr_analysis.data.survey_file import cli_validate

        return cli_validate(args)
    if args.command == "map":
        from vsr_analysis.data.survey_map import cli_map

        return cli_map(args)
    if args.command == "synth":
        from vsr_analysis.synth.command import cli_synth

        return cli_synth(args)
    if args.command == "simulate":
        from vsr_analysis.simulate.command import cli_simulate

        return cli_simulate(args)
    raise UsageError(f"unknown command {args.command!r}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(_dispatch(args) or 0)
    except UsageError as exc:
        print(f"vsr {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"vsr {args.command}: interrupted; previous outputs were left untouched", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
