"""``search``: a boolean keyword query over a corpus, printed as keyword-in-context lines."""

from __future__ import annotations

import argparse
import shutil
import sys

from analysis.cli import CLIError
from analysis.cli.common import add_column_options, column_options, load_or_fail, positive_int


def run(args: argparse.Namespace) -> int:
    from analysis.search import QueryError, parse_query, search

    try:
        parse_query(args.query)  # a bad query fails before the corpus is read
    except QueryError as exc:
        raise CLIError(f"query {args.query!r}: {exc}") from exc
    articles, _ = load_or_fail(args.paths, **column_options(args))
    lines = search(articles, args.query, width=args.width, limit=args.limit)
    n_articles = lines["article_id"].nunique()
    if args.output:
        from analysis.corpus import write_table

        try:
            write_table(lines, args.output)
        except OSError as exc:
            raise CLIError(f"{args.output}: cannot write: {exc}") from exc
    else:
        _print_lines(lines, args.width)
    print(
        f"{len(lines)} lines in {n_articles} of {len(articles)} articles match {args.query!r}",
        file=sys.stderr,
    )
    return 0


def _print_lines(lines, width: int) -> None:
    columns = shutil.get_terminal_size((120, 20)).columns
    id_width = min(24, max((len(str(a)) for a in lines["article_id"]), default=0))
    side = max(10, min(width, (columns - id_width - 20) // 2))
    for row in lines.itertuples(index=False):
        left = row.left[-side:].rjust(side)
        right = row.right[:side]
        print(f"{str(row.article_id)[:id_width]:<{id_width}}  {left} [{row.keyword}] {right}")


def register(subparsers) -> None:
    """Add the ``search`` command."""
    p = subparsers.add_parser(
        "search",
        help="find articles by a boolean keyword query; keyword-in-context lines",
        description="Search a corpus for a boolean keyword query and print one keyword-in-context "
        'line per hit. Query: words (AND implied), "quoted phrases", OR, NOT or a leading -, '
        "parentheses, * at a word's end. Case-insensitive; a word also matches its plural "
        "and possessive.",
        epilog="example: python -m analysis search seeds 'haqqani AND (army OR \"prime minister\")'",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="corpus files or folders")
    p.add_argument("query", metavar="QUERY", help="the query (quote it for the shell)")
    p.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write the lines as .jsonl, .csv or .parquet instead of printing them",
    )
    p.add_argument(
        "--width", type=positive_int, default=60, help="characters of context each side (60)"
    )
    p.add_argument("--limit", type=positive_int, help="stop after this many lines")
    add_column_options(p)
    p.set_defaults(func=run)
