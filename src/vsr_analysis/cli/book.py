"""``vsr book``: build the Jupyter Book (:mod:`vsr_analysis.build.book`)."""

from __future__ import annotations

import argparse
import sys


def add_parser(sub) -> None:
    book = sub.add_parser(
        "book",
        help="build the Jupyter Book (warnings are errors, offline)",
        description="Build the Jupyter Book into _build/html with `jupyter-book build -W -n --keep-going`.",
    )
    book.add_argument("--all", action="store_true", help="rebuild every page, not only the changed ones")


def cli_book(args: argparse.Namespace) -> int:
    from vsr_analysis import paths
    from vsr_analysis.build.book import BookError, build_book, stored_run_warnings

    for warning in stored_run_warnings():
        print(f"vsr book: warning: {warning}", file=sys.stderr)
    try:
        index = build_book(rebuild_all=getattr(args, "all", False))
    except BookError as exc:
        print(f"vsr book: error: {exc}", file=sys.stderr)
        return 1
    print(f"vsr book: open {index.relative_to(paths.project_root())}", file=sys.stderr)
    return 0
