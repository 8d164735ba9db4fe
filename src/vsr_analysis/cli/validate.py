"""``vsr validate``: check a survey file against the codebook (:mod:`vsr_analysis.data.survey_file`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_parser(sub) -> None:
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


def cli_validate(args: argparse.Namespace) -> int:
    """``vsr validate PATH [--sheet NAME] [--map FILE]``: 0 valid, 1 invalid data (report on stderr), 2 usage
    error (including an unusable map)."""
    from vsr_analysis.data.codebook import CodebookError
    from vsr_analysis.data.survey_file import (
        REPORT_LIMIT,
        RegisterUnavailableError,
        SurveyValidationError,
        load_survey,
    )
    from vsr_analysis.data.survey_map import MapError, load_map
    from vsr_analysis.data.survey_table import short_message

    path = Path(args.path)
    sheet = getattr(args, "sheet", None)
    prog = "vsr validate"
    if not path.exists():
        print(f"{prog}: error: no such file: {args.path}", file=sys.stderr)
        return 2
    if path.is_dir():
        print(f"{prog}: error: {args.path} is a directory, not a survey file", file=sys.stderr)
        return 2
    try:
        smap = load_map(args.map) if getattr(args, "map", None) else None
        result = load_survey(path, sheet, survey_map=smap)
    except MapError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
    except SurveyValidationError as exc:
        print(exc.report(limit=None if getattr(args, "all", False) else REPORT_LIMIT), file=sys.stderr)
        for w in exc.warnings:
            print(f"warning: {w}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"{prog}: error: cannot read {args.path}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except (RegisterUnavailableError, CodebookError) as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # a bug, not a data problem: still no traceback for the user
        print(
            f"{prog}: internal error while checking {args.path} ({type(exc).__name__}: {short_message(exc)}); "
            "please report this",
            file=sys.stderr,
        )
        return 1
    n = len(result.warnings)
    print(
        f"OK: {result.n_municipalities} municipalities, {result.n_counties} county authorities; "
        f"{n} warning{'s' if n != 1 else ''}"
    )
    details = [result.file_format]
    if result.encoding:
        details.append(f"encoding {result.encoding}")
    if result.delimiter:
        details.append(f"delimiter {result.delimiter!r}")
    if result.sheet:
        details.append(f"sheet {result.sheet!r}")
    print(f"{result.path.name}: {', '.join(details)}; sha256 {result.sha256}")
    if result.survey_map is not None:
        print(f"map {result.survey_map.name}: sha256 {result.survey_map.sha256}")
    if result.missing_code_counts:
        counts = ", ".join(f"{k} {v}" for k, v in result.missing_code_counts.items())
        print(f"declared missing codes loaded as missing: {counts}")
    if result.declared_missing_counts:
        counts = ", ".join(f"{k} {v}" for k, v in result.declared_missing_counts.items())
        print(f"missing values declared by the file (user-missing) or the map loaded as missing: {counts}")
    if result.labels_converted:
        print(f"answer texts converted to their codebook codes: {result.labels_converted}")
    for w in result.warnings:
        print(f"warning: {w}")
    return 0
