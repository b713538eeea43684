"""Command-line interface: one `main` shared by `python -m analysis` and the console script.

Each command lives in the module of its concern: the module exposes ``register(subparsers)``,
which adds its sub-command and sets ``func`` to a callable taking the parsed arguments and
returning the exit code. Exit codes: 0 success, 1 failure, 2 bad usage (argparse's own).
"""

from __future__ import annotations

import argparse
import importlib
import sys

#: Modules that contribute sub-commands, in the order `--help` lists them.
COMMAND_MODULES = (
    "analysis.corpus",
    "analysis.store",
    "analysis.reports",
    "analysis.sentiment",
    "analysis.target",
    "analysis.topics",
)


class CLIError(Exception):
    """A failure to report on stderr with exit code 1 (the message names the offending file)."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m analysis",
        description="Analyse collections of English news articles.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except CLIError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
