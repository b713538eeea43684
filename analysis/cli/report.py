"""The ``report`` command: run the report notebooks into HTML reports (see :mod:`analysis.reports`).

Only the standard library is imported here; the runner (papermill, nbconvert, pandas) is
imported by the handler, so ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from analysis.cli import CLIError
from analysis.cli.common import (
    add_column_options,
    add_extract_options,
    column_options,
    extract_options,
)


def _assignment(text: str) -> tuple[str, Any]:
    from analysis.reports.registry import ParameterError, parse_assignment

    try:
        return parse_assignment(text)
    except ParameterError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _workers(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a whole number, 0 for every core; got {text!r}")
    return value


def _cmd_report(args: argparse.Namespace) -> int:
    from analysis import files
    from analysis.reports.registry import (
        ParameterError,
        ReportError,
        _display_path,
        _readable_message,
        discover,
        format_listing,
        validate_parameters,
    )
    from analysis.reports.runner import run_reports

    parameters: dict[str, Any] = {}
    for name, value in args.parameters or []:
        parameters[name] = value
    # --workers and the column options are the notebooks' `workers` and `columns` parameters.
    if args.workers is not None:
        parameters["workers"] = args.workers
    columns = {k: v for k, v in column_options(args).items() if v is not None}
    if columns:
        parameters["columns"] = {**parameters.get("columns", {}), **columns}
    try:
        # --reported-speech and --static-sentiment are the notebooks' `extract_options`.
        options = extract_options(args)
    except ValueError as exc:
        raise CLIError(str(exc)) from exc
    if options:
        given = parameters.get("extract_options", [])
        parameters["extract_options"] = [*given, *options] if isinstance(given, list) else given
    try:
        if args.list:
            notebooks = discover(args.notebooks)
            validate_parameters(notebooks, parameters)
            print(format_listing(notebooks))
            return 0
        result = run_reports(
            args.corpus,
            args.out,
            parameters,
            notebooks_dir=args.notebooks,
            force=args.force,
        )
    except ParameterError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (ReportError, files.OutputFolderError) as exc:
        raise CLIError(_readable_message(str(exc))) from exc
    except files.DiskFullError as exc:  # its strerror names the path; str() adds "[Errno 28]"
        raise CLIError(_readable_message(exc.strerror or str(exc))) from exc
    if result.failed:
        pages = ", ".join(
            f"{name} (see {_display_path(result.out / (name + '.html'))})" for name in result.failed
        )
        raise CLIError(f"{len(result.failed)} report notebook(s) failed: {pages}")
    return 0


def register(subparsers) -> None:
    """Add the ``report`` command."""
    p = subparsers.add_parser(
        "report",
        help="execute the report notebooks into HTML reports",
        description="Execute every report notebook (notebooks/NN_*.ipynb) with papermill on the "
        "project's kernel and write <out>/<notebook>.ipynb, <notebook>.html, index.html and "
        "manifest.json. Notebooks whose inputs, parameters and code are unchanged since the "
        "last run into the same folder are reused.",
    )
    p.add_argument(
        "--corpus",
        nargs="+",
        metavar="PATH",
        type=Path,
        help="corpus files or folders for every notebook's `corpus` parameter (default seeds/)",
    )
    p.add_argument(
        "--out",
        metavar="DIR",
        type=Path,
        default=None,
        help="report folder (default reports/); replaced as a whole at the end of the run",
    )
    p.add_argument(
        "-p",
        "--parameter",
        dest="parameters",
        action="append",
        type=_assignment,
        metavar="NAME=VALUE",
        help="set a parameter of every notebook that takes it; VALUE is read as JSON when it "
        "parses (8, 0.5, true, [1, 2]), else as a string. Repeatable.",
    )
    p.add_argument("--list", action="store_true", help="list the notebooks and their parameters")
    p.add_argument(
        "--notebooks",
        metavar="DIR",
        type=Path,
        default=None,
        help="folder of report notebooks (default notebooks/)",
    )
    p.add_argument("--force", action="store_true", help="execute every notebook, reuse nothing")
    p.add_argument(
        "--workers",
        type=_workers,
        default=None,
        metavar="N",
        help=(
            "processes that parse the corpus (once for every notebook), and notebooks run "
            "at once (default 0: every core)"
        ),
    )
    add_column_options(p)
    add_extract_options(p)
    p.set_defaults(func=_cmd_report)
