"""``sentiment``: sentence sentiment of each row of a .jsonl or .csv file."""

from __future__ import annotations

import argparse

from analysis import config
from analysis.cli.common import add_row_file_options


def run(args: argparse.Namespace) -> int:
    from analysis.cli.rowfiles import run_rows, text_value
    from analysis.sentiment import SCORE_COLUMNS, SentimentScorer

    column = args.text_column
    scorer = SentimentScorer(use_model=not args.rules_only, model=args.model)

    def prepare(row, warn) -> str:
        # A null text scores like an empty one: neutral.
        return text_value(row, column, warn, null="")

    def score(texts: list[str]) -> list[dict]:
        frame = scorer.transform(texts)
        return [
            {
                **{c: round(float(v), 4) for c, v in zip(SCORE_COLUMNS, values[:-1], strict=True)},
                "label": values[-1],
            }
            for values in frame[[*SCORE_COLUMNS, "label"]].itertuples(index=False)
        ]

    return run_rows(args.file, args.output, prepare=prepare, score=score, rejects_path=args.rejects)


def register(subparsers) -> None:
    """Add the ``sentiment`` command."""
    p = subparsers.add_parser(
        "sentiment",
        help="sentence sentiment of each row",
        description="Read rows from a .jsonl or .csv file and write them back with compound "
        "(-1..1), positive, negative and neutral, and label (negative, neutral or positive). "
        "Every input column comes back as written. "
        "A row that cannot be read or scored is rejected (listed on stderr as FILE:LINE: "
        "reason) and the others are written; exit 1 when no row could be written. An empty "
        "text scores compound 0, neutral 1. Score one sentence per row (aggregate longer "
        "texts yourself).",
    )
    add_row_file_options(p)
    p.add_argument("--text-column", default="text", help="column holding the text (default text)")
    p.add_argument(
        "--rules-only", action="store_true", help="skip the learned model (faster, less accurate)"
    )
    p.add_argument(
        "--model",
        choices=sorted(config.SENTENCE_SENTIMENT_MODELS),
        default=None,
        help=f"learned model to blend in (default {config.SENTENCE_SENTIMENT_MODEL}; static is "
        "the fastest, transformer the one it was distilled from)",
    )
    p.set_defaults(func=run)
