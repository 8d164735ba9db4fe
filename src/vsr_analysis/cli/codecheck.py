"""``vsr codecheck``: write or check ``codecheck.yml``, the CODECHECK manifest (:mod:`vsr_analysis.build.codecheck`)."""

from __future__ import annotations

import argparse
import sys


def add_parser(sub) -> None:
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


def cli_codecheck(args: argparse.Namespace) -> int:
    from vsr_analysis.build.codecheck import FILE_NAME, CodecheckError, check, write
    from vsr_analysis.data.yaml_text import read_yaml

    try:
        if getattr(args, "check", False):
            problems = check()
            if problems:
                print(f"vsr codecheck: {FILE_NAME} is out of date (run `make codecheck`):", file=sys.stderr)
                for line in problems:
                    print(f"  {line}", file=sys.stderr)
                return 1
            print(f"vsr codecheck: {FILE_NAME} is up to date")
            return 0
        path = write()
    except CodecheckError as exc:
        print(f"vsr codecheck: error: {exc}", file=sys.stderr)
        return 1
    n = len(read_yaml(path)["manifest"])
    print(f"vsr codecheck: wrote {path.name} ({n} manifest files)")
    return 0
