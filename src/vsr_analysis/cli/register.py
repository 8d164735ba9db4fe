"""``vsr register build|fetch``: the Statistics Norway register table, built from raw exports
(:mod:`vsr_analysis.ssb.register_build`) or its raw inputs fetched from SSB's APIs (:mod:`vsr_analysis.ssb.fetch`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from vsr_analysis.cli.arguments import positive_int


def add_parser(sub) -> None:
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
    reg_fetch.add_argument("--timeout", type=positive_int, default=30, metavar="SECONDS")
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


def cli_register(args: argparse.Namespace) -> int:
    """``vsr register ACTION``: the action's exit code."""
    if args.register_command == "build":
        return cli_build(args)
    return cli_fetch(args)


def cli_build(args: argparse.Namespace) -> int:
    """``vsr register build --raw DIR [--out DIR]``: 0 ok, 1 invalid data (nothing written), 2 usage error."""
    from vsr_analysis import paths
    from vsr_analysis.ssb.raw_exports import RegisterError
    from vsr_analysis.ssb.register_build import assemble, counts_text, render_files, write_files

    raw = Path(args.raw)
    if not raw.is_dir():
        print(f"vsr register build: error: --raw {raw} is not a folder", file=sys.stderr)
        return 2
    out = paths.register_dir() if getattr(args, "out", None) is None else Path(args.out)
    try:
        result = assemble(raw)
        files = render_files(result)
        write_files(files, out)
    except RegisterError as exc:
        print(f"vsr register build: invalid data, nothing written:\n{exc}", file=sys.stderr)
        return 1
    f = result.figures
    print(f"wrote {len(files)} files to {out}")
    print(
        f"  2020: {f['n_2020']} municipalities, population {f['total_2020']:,} (2020) / {f['total_2021']:,} (2021); "
        f"{f['merged']} merged from {f['pre_reform_in_merged']} pre-reform"
    )
    print(f"  centrality classes (derived): {counts_text(f['class_counts'])}")
    print(f"  2024: {f['n_2024']} municipalities; history: {f['history_codes']} old codes")
    return 0


def cli_fetch(args: argparse.Namespace) -> int:
    """``vsr register fetch --out DIR [--timeout S] [--api v2|v1] [--rest-from DIR]``: 0 ok, 1 download or
    parse failed (nothing written)."""
    from vsr_analysis.ssb.fetch import NON_API_RAW_KEYS, FetchError, fetch
    from vsr_analysis.ssb.raw_exports import RAW_FILES

    try:
        result = fetch(
            Path(args.out),
            timeout=getattr(args, "timeout", 30) or 30,
            api=getattr(args, "api", "v2") or "v2",
            rest_from=getattr(args, "rest_from", None),
        )
    except FetchError as exc:
        print(f"vsr register fetch: error: {exc}\nNothing was written.", file=sys.stderr)
        return 1
    print(f"wrote {len(result.files)} files to {args.out} ({result.n_requests} requests)")
    print(f"  KLASS 131 (2020): {result.n_codes} codes; {result.n_changes} code changes 2013-2020")
    print("  07459 population: " + ", ".join(f"{y}: {v:,}" for y, v in sorted(result.population_totals.items())))
    print(f"  09280 area 2020: {result.area_total:,.2f} km2")
    for row in result.unpaired_changes:
        print(
            f"  note: KLASS change without a code ({row['oldCode'] or '-'} -> {row['newCode'] or '-'}, "
            f"{row['changeOccurred']}) is kept in responses/ but not in the change lists"
        )
    if result.copied:
        print(f"  copied {len(result.copied)} raw inputs the APIs do not offer from {args.rest_from}")
    else:
        print(
            "  the build also needs raw inputs SSB's APIs do not offer: "
            + ", ".join(RAW_FILES[k] for k in NON_API_RAW_KEYS)
            + "; copy them into the folder or use --rest-from DIR"
        )
    return 0
