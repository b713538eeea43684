"""The ``stories`` command: syndicated copies grouped into stories, without a parse.

Only the standard library is imported here; pandas, numpy and datasketch are imported by the
handler, so ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from analysis.cli import CLIError

#: Output types, by file suffix.
SUFFIXES = (".csv", ".jsonl", ".parquet")


def _share(value: str) -> float:
    try:
        share = float(value)
    except ValueError:
        share = float("nan")
    if not 0.0 < share <= 1.0:
        raise argparse.ArgumentTypeError(f"must be a number in (0, 1], got {value!r}")
    return share


def register(subparsers) -> None:
    """Add the ``stories`` sub-command to the CLI."""
    from analysis.cli.common import add_column_options

    p = subparsers.add_parser(
        "stories",
        help="group syndicated copies into stories; write the stories table",
        description="Find the copies of one story in a corpus (an agency original and the "
        "outlets' edited copies) and write one row per article: article_id, story_id, "
        "origin_id, similarity, n_copies, outlet, agency, published. No parse is needed; "
        "memory holds hashes per article, never texts.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="corpus files or folders")
    p.add_argument(
        "-o", "--output", required=True, metavar="FILE", help="output .csv, .jsonl or .parquet"
    )
    p.add_argument(
        "--threshold",
        type=_share,
        default=None,
        metavar="SHARE",
        help="share of the shorter text's word 5-grams the origin must contain for a copy to "
        "join its story (default 0.6, analysis.stories.DEFAULT_THRESHOLD)",
    )
    add_column_options(p)
    p.set_defaults(func=_run)


def _check_output(out: Path, inputs: list[str]) -> None:
    if out.suffix.lower() not in SUFFIXES:
        raise CLIError(f"{out}: output must be one of {', '.join(SUFFIXES)}")
    if out.is_dir():
        raise CLIError(f"{out}: is a folder; give a file name ending in {', '.join(SUFFIXES)}")
    target = out.resolve()
    for raw in inputs:
        src = Path(raw).resolve()
        if target == src:
            raise CLIError(f"{out}: is an input of this run; the corpus is never overwritten")
        if src.is_dir() and target.is_relative_to(src):
            raise CLIError(
                f"{out}: is inside the corpus folder {raw} (the next run would read it as "
                "articles); write it elsewhere"
            )


def write_stories(frame, path: Path) -> None:
    """Write the stories table to ``path`` (.csv, .jsonl or .parquet) atomically."""
    from analysis.files import atomic_path
    from analysis.tables import arrow_safe

    frame = arrow_safe(frame)
    suffix = path.suffix.lower()
    with atomic_path(path) as tmp:
        if suffix == ".csv":
            frame.to_csv(tmp, index=False)
        elif suffix == ".jsonl":
            frame.to_json(tmp, orient="records", lines=True, force_ascii=False)
        else:
            frame.to_parquet(tmp, index=False)


def _watched(rows, bar):
    """``rows`` as they stream, counted on the progress bar, with the loader's warnings."""
    for row in rows:
        if row.get("encoding") == "cp1252":
            print(f"warning: {row['source']}: not valid UTF-8; decoded as cp1252", file=sys.stderr)
        bar.update()
        yield row


def _run(args) -> int:
    import pandas as pd
    from tqdm.auto import tqdm

    from analysis.cli.common import column_options, report_rejects
    from analysis.corpus import iter_corpus
    from analysis.stories import DEFAULT_THRESHOLD, StoryIndex

    out = Path(args.output)
    _check_output(out, args.paths)
    index = StoryIndex(threshold=args.threshold or DEFAULT_THRESHOLD)
    rejects: list[dict] = []
    rows = iter_corpus(args.paths, rejects=rejects, progress=False, **column_options(args))
    with tqdm(desc="stories: sketching", unit=" articles", file=sys.stderr, mininterval=1) as bar:
        index.add_rows(_watched(rows, bar))
    report_rejects(pd.DataFrame(rejects, columns=["source", "reason"]))
    if not len(index):
        raise CLIError(
            f"no article loaded from {', '.join(map(str, args.paths))} ({len(rejects)} rejected)"
        )
    table = index.table(progress=True)
    try:
        write_stories(table, out)
    except OSError as exc:
        raise CLIError(f"{out}: cannot write: {exc}") from exc
    copies = table[table["n_copies"] > 1]
    print(
        f"stories: {len(table)} articles in {table['story_id'].nunique()} stories "
        f"({copies['story_id'].nunique()} told more than once, by {len(copies)} articles); "
        f"{len(rejects)} inputs rejected -> {out}",
        file=sys.stderr,
    )
    return 0
