"""``vsr map --init``: write a draft column map from a survey file's header (:mod:`vsr_analysis.data.survey_map`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_parser(sub) -> None:
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


def cli_map(args: argparse.Namespace) -> int:
    """``vsr map --init FILE [--sheet NAME] [--out PATH] [--force]``: write a draft map (0), 1 unreadable, 2 usage."""
    from vsr_analysis.data.codebook import load_codebook
    from vsr_analysis.data.survey_file import SurveyValidationError, read_table
    from vsr_analysis.data.survey_map import draft_map
    from vsr_analysis.paths import atomic_write

    prog = "vsr map"
    path = Path(args.init)
    out = Path(args.out)
    if not path.exists():
        print(f"{prog}: error: no such file: {args.init}", file=sys.stderr)
        return 2
    if path.is_dir():
        print(f"{prog}: error: {args.init} is a directory, not a survey file", file=sys.stderr)
        return 2
    if out.exists() and not args.force:
        print(f"{prog}: error: {args.out} exists; give another --out or --force to replace it", file=sys.stderr)
        return 2
    try:
        table = read_table(path, getattr(args, "sheet", None))
    except SurveyValidationError as exc:
        print(exc.report(), file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"{prog}: error: cannot read {args.init}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    text, summary = draft_map(
        [(h or "").replace("\ufeff", "").strip() for h in table.header],
        load_codebook(),
        path.name,
        table.column_labels,
    )
    atomic_write(out, text)
    unmatched = summary["unmatched"]
    print(
        f"wrote {out}: {summary['matched']} column(s) matched, {summary['ignored']} ignored as survey-tool columns, "
        f"{len(unmatched)} NOT MATCHED"
        + (f" ({', '.join(map(repr, unmatched))}): edit the map before using it" if unmatched else "")
    )
    if summary["missing_required"]:
        print(f"required items no column was matched to: {', '.join(summary['missing_required'])}")
    return 0
