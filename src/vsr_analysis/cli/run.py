"""``vsr run``: execute the run spec's notebooks and write the claims ledger (:mod:`vsr_analysis.build.runner`)."""

from __future__ import annotations

import argparse
import sys
import time

from vsr_analysis.cli.arguments import positive_int, seed_value


def add_parser(sub) -> None:
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
    run.add_argument(
        "--seed", type=seed_value, metavar="N", help="seed of the synthetic replica (default from run spec)"
    )
    run.add_argument("--sheet", metavar="NAME", help="XLSX/ODS sheet of the --survey file (default: the first)")
    run.add_argument("--map", metavar="FILE", help="column map of the --survey file (see `vsr map --init`)")
    run.add_argument(
        "--all", action="store_true", help="list every problem of an invalid --survey file (default: the first 50)"
    )
    run.add_argument(
        "--jobs",
        type=positive_int,
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
        "--timeout", type=positive_int, metavar="SECONDS", help="per-cell execution timeout (default from run spec)"
    )


def cli_run(args: argparse.Namespace) -> int:
    from vsr_analysis import paths
    from vsr_analysis.build.run_lock import RunLocked
    from vsr_analysis.build.runner import RunFailed, run
    from vsr_analysis.data.survey_file import REPORT_LIMIT
    from vsr_analysis.data.survey_source import SurveyInvalidError
    from vsr_analysis.data.survey_spec import SourceError
    from vsr_analysis.errors import UsageError
    from vsr_analysis.inputs.runspec import RunSpecError, load_runspec
    from vsr_analysis.loading import resolve_source

    if getattr(args, "sheet", None) and not args.survey:
        raise UsageError("--sheet needs --survey (it names a sheet of the survey file)")
    if getattr(args, "map", None) and not args.survey:
        raise UsageError("--map needs --survey (it maps the columns of the survey file)")
    try:
        spec = load_runspec(args.runspec)
        source = resolve_source(
            survey=args.survey,
            scenario=args.scenario or spec.scenario,
            seed=args.seed if args.seed is not None else spec.seed,
            sheet=getattr(args, "sheet", None),
            survey_map=getattr(args, "map", None),
            report_limit=None if getattr(args, "all", False) else REPORT_LIMIT,
        )
    except SurveyInvalidError as exc:
        print(f"vsr run: error: {exc}", file=sys.stderr)  # invalid data: exit 1, as `vsr validate`
        return 1
    except (RunSpecError, SourceError) as exc:
        raise UsageError(str(exc)) from None
    print(f"vsr run: survey {source.label}; {len(spec.parameter_sets)} parameter set(s)", file=sys.stderr)
    start = time.perf_counter()
    try:
        outcomes = run(spec, source, jobs=args.jobs, only=args.only, force=args.force, timeout=args.timeout)
    except RunSpecError as exc:
        raise UsageError(str(exc)) from None
    except (RunFailed, RunLocked) as exc:
        print(f"vsr run: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"vsr run: error: could not write outputs ({exc}); previous outputs were left untouched", file=sys.stderr)
        return 1
    n_exec = sum(o.status == "executed" for o in outcomes)
    n_reuse = sum(o.status == "reused" for o in outcomes)
    print(
        f"vsr run: {n_exec} executed, {n_reuse} reused in {time.perf_counter() - start:.1f} s; "
        f"ledger {paths.claims_json_path().relative_to(paths.project_root())}",
        file=sys.stderr,
    )
    return 0
