"""``target-sentiment``: sentiment toward a target span in each row of a .jsonl or .csv file."""

from __future__ import annotations

import argparse

from analysis.cli.common import add_row_file_options, positive_int


def run(args: argparse.Namespace) -> int:
    from analysis.cli.rowfiles import RowError, run_rows, text_value, whole_number
    from analysis.target import (
        INPUT_COLUMNS,
        LABELS,
        TargetOffsetError,
        _check_offsets,
        target_sentiments,
    )

    def prepare(row, warn) -> tuple[str, int, int]:
        missing = [c for c in INPUT_COLUMNS if c not in row.values]
        if missing:
            raise RowError(f"missing column(s) {', '.join(missing)}")
        text = text_value(row, "text", warn, null=None)
        start = whole_number(row.field("target_start"), "target_start", len(text))
        end = whole_number(row.field("target_end"), "target_end", len(text))
        try:
            _check_offsets(text, start, end)
        except TargetOffsetError as exc:
            raise RowError(str(exc)) from None
        return text, start, end

    def score(items: list[tuple[str, int, int]]) -> list[dict]:
        texts, starts, ends = zip(*items, strict=True)
        frame = target_sentiments(texts, starts, ends, batch_size=args.batch_size)
        return [
            {"polarity": r.polarity, **{k: round(float(getattr(r, k)), 6) for k in LABELS}}
            for r in frame.itertuples(index=False)
        ]

    return run_rows(
        args.file,
        args.output,
        prepare=prepare,
        score=score,
        rejects_path=args.rejects,
        what="targets",
    )


def register(subparsers) -> None:
    """Add the ``target-sentiment`` command."""
    p = subparsers.add_parser(
        "target-sentiment",
        help="sentiment toward a target span in each row",
        description="Read rows with text, target_start and target_end (character offsets) from a "
        ".jsonl or .csv file and write them back with polarity (negative, neutral, positive) and "
        "the three probabilities. Every input column comes back as written. A row that cannot "
        "be read or scored (bad offsets included) is rejected (listed on stderr as FILE:LINE: "
        "reason) and the others are written; exit 1 when no row could be written.",
    )
    add_row_file_options(p)
    p.add_argument(
        "--batch-size",
        type=positive_int,
        default=None,
        help="targets per model call (default 32 for the batch-invariant model, whose results "
        "never depend on the other rows, else 1)",
    )
    p.set_defaults(func=run)
