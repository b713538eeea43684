"""Options and checks shared by the commands: record columns, corpus loading, numbers, outputs.

Importing this module loads no pandas: ``--help`` stays fast, the heavy imports happen inside
the functions a command runs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from analysis import config
from analysis.cli import CLIError


def add_column_options(parser: argparse.ArgumentParser) -> None:
    """Add the record column options shared by every command that reads a corpus."""
    group = parser.add_argument_group(
        "record columns (.jsonl, .csv, .parquet; date and outlet of a folder's metadata.csv)"
    )
    for option, names in config.DEFAULT_COLUMNS.items():
        flag = "--" + option.replace("_", "-")
        group.add_argument(
            flag,
            dest=option,
            default=None,
            metavar="NAME",
            help=f"default: first of {', '.join(names)}",
        )


def add_row_file_options(parser: argparse.ArgumentParser) -> None:
    """Add what every per-row command takes: the input ``FILE``, ``-o/--output`` and ``--rejects``."""
    parser.add_argument("file", metavar="FILE", help="input .jsonl or .csv")
    parser.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="FILE.{jsonl,csv}",
        help="output .jsonl or .csv (written atomically; never the input file)",
    )
    parser.add_argument(
        "--rejects",
        metavar="FILE.{jsonl,csv}",
        help="also write the rejected rows here (source, line, end_line, reason)",
    )


def add_extract_options(parser: argparse.ArgumentParser) -> None:
    """``--reported-speech`` and ``--static-sentiment``: the opt-in extractors
    (:data:`analysis.features.OPTIONS`) of ``extract`` and ``report``."""
    parser.add_argument(
        "--reported-speech",
        action="store_true",
        help="add reported speech (indirect and mixed attributions) to the quotes table with "
        "the learned attribution tagger (about 1.3x the extract time; its own cache entries)",
    )
    parser.add_argument(
        "--static-sentiment",
        action="store_true",
        help="score the sentiment table with the static sentence model instead of the "
        "transformer (extract about 1.2x faster, scores slightly less accurate; its own cache "
        "entries)",
    )


def extract_options(args: argparse.Namespace) -> list[str]:
    """The options of :func:`add_extract_options` that are set, by their names in
    :data:`analysis.features.OPTIONS`; ``ValueError`` when one's model is not installed."""
    from analysis.features import OPTIONS

    # Each flag's argparse name is its option's name ("--reported-speech": reported_speech).
    options = [name for name in OPTIONS if getattr(args, name, False)]
    if "reported_speech" in options and not (config.ATTRIBUTION_MODEL_DIR / "model.onnx").is_file():
        raise ValueError(
            f"--reported-speech: the attribution model is not installed in "
            f"{config.ATTRIBUTION_MODEL_DIR}"
        )
    return options


def add_actors_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--actors FILE``: the user's merges, drops and labels of actors."""
    parser.add_argument(
        "--actors",
        metavar="FILE",
        default=None,
        help="actors file (CSV rows alias,NAME,ACTOR / drop,NAME / label,ACTOR,LABEL); "
        "default: actors.csv at the top of a corpus folder, if there is one",
    )


def actors_option(args: argparse.Namespace):
    """The edits of ``--actors FILE``, else of a corpus folder's ``actors.csv``, else None.

    Raises
    ------
    ValueError
        The file cannot be used (:class:`analysis.actors.ActorsFileError`, naming file and line).
    """
    from analysis.actors import find_actors_file, read_actors_file

    path = args.actors if args.actors is not None else find_actors_file(args.paths)
    if path is None:
        return None
    edits = read_actors_file(path)
    print(f"actors file: {path}", file=sys.stderr)
    return edits


def column_options(args: argparse.Namespace) -> dict:
    """The ``load_corpus`` column keyword arguments from parsed command-line ``args``."""
    return {k: getattr(args, k, None) for k in config.DEFAULT_COLUMNS}


def report_rejects(rejects, stream=None) -> None:
    """Print one line per rejected input: ``rejected: <source>: <reason>``."""
    stream = stream or sys.stderr
    for source, reason in zip(rejects["source"], rejects["reason"], strict=True):
        print(f"rejected: {source}: {reason}", file=stream)


def report_cp1252(sources) -> None:
    """Warn once per input that was not UTF-8 and was read as cp1252."""
    for source in sources:
        print(f"warning: {source}: not valid UTF-8; decoded as cp1252", file=sys.stderr)


def no_article(paths, n_rejects: int) -> CLIError:
    """The error of a corpus with no loadable article, naming its paths."""
    from analysis.corpus import display_path

    names = ", ".join(display_path(p) for p in paths)
    return CLIError(f"no article loaded from {names} ({n_rejects} rejected)")


def load_or_fail(paths, **options):
    """``load_corpus`` for commands: rejects go to stderr, and no article at all is a CLIError."""
    from analysis.corpus import load_corpus

    articles, rejects = load_corpus(paths, **options)
    report_rejects(rejects)
    report_cp1252(articles.loc[articles["encoding"] == "cp1252", "source"])
    if articles.empty:
        raise no_article(paths, len(rejects))
    return articles, rejects


def table_path(value: str) -> str:
    """argparse type of an output table: ``.jsonl``, ``.csv`` or ``.parquet``."""
    if Path(value).suffix.lower() not in config.TABLE_SUFFIXES:
        raise argparse.ArgumentTypeError(
            f"{value}: unsupported output type {Path(value).suffix or '(no suffix)'!r}; "
            "use .jsonl, .csv or .parquet"
        )
    return value


def positive_int(text: str) -> int:
    """argparse type of a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, got {text!r}")
    return value
