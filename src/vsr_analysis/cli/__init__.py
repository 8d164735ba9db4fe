"""The ``vsr`` command.

Each subcommand is a thin shell around a package function that returns an exit code:
0 success, 1 invalid data or a failed analysis (with a report), 2 usage error.  Data problems are reported
as messages naming file, row and column, never as Python tracebacks.

Every argument parser and every handler (a function of the parsed ``argparse.Namespace`` that prints and returns
the exit code) lives in this package, one module per subcommand: :mod:`.run`, :mod:`.book`, :mod:`.verify`,
:mod:`.codecheck`, :mod:`.register` (build and fetch), :mod:`.validate`, :mod:`.map`, :mod:`.synth`,
:mod:`.simulate` (and ``--power``); :mod:`.arguments` holds the argument types they share.  No module outside
``cli/`` imports argparse or takes a Namespace (``tests/test_architecture.py``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from vsr_analysis import __version__
from vsr_analysis.cli import book, codecheck, register, run, simulate, synth, validate, verify
from vsr_analysis.cli import map as map_
from vsr_analysis.errors import UsageError  # defined apart so `python -m vsr_analysis.cli` shares the class

#: Each subcommand: the function that adds its parser and the handler that runs it, in the order ``vsr --help``
#: lists them. The modules import little more than argparse at the top; a handler imports the package modules it
#: calls when it runs, so that `vsr --help` stays fast and a broken optional module cannot stop unrelated
#: subcommands.
COMMANDS = {
    "run": (run.add_parser, run.cli_run),
    "book": (book.add_parser, book.cli_book),
    "verify": (verify.add_parser, verify.cli_verify),
    "codecheck": (codecheck.add_parser, codecheck.cli_codecheck),
    "register": (register.add_parser, register.cli_register),
    "validate": (validate.add_parser, validate.cli_validate),
    "map": (map_.add_parser, map_.cli_map),
    "synth": (synth.add_parser, synth.cli_synth),
    "simulate": (simulate.add_parser, simulate.cli_simulate),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vsr",
        description="Reproducible tests of the claims of Norway's Voluntary Subnational Review (KS 2021).",
    )
    parser.add_argument("--version", action="version", version=f"vsr-analysis {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for add_parser, _ in COMMANDS.values():
        add_parser(sub)
    return parser


def _dispatch(args: argparse.Namespace) -> int:
    if args.command not in COMMANDS:
        raise UsageError(f"unknown command {args.command!r}")
    _, handler = COMMANDS[args.command]
    return handler(args)


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
