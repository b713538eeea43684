"""``load``: read a corpus and write the articles table (JSONL on stdout without ``-o``)."""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
from pathlib import Path

from analysis.cli import CLIError
from analysis.cli.common import (
    add_column_options,
    column_options,
    no_article,
    report_cp1252,
    report_rejects,
    table_path,
)


def run(args: argparse.Namespace) -> int:
    import pyarrow as pa

    from analysis.corpus import collect_corpus, write_slices
    from analysis.files import remove, remove_stale

    # Streamed into Arrow runs spilled to a temporary folder and merged slice by slice: no
    # DataFrame of the corpus, so peak memory stays a small multiple of the input even for a
    # large file (benchmarks/bench_load_memory.py). The system allocator returns the memory of
    # each freed batch; Arrow's default (mimalloc) kept a third more resident. This process
    # runs only this command.
    pa.set_memory_pool(pa.system_memory_pool())
    output = Path(args.output) if args.output else None
    if output is not None:
        remove_stale(output)  # temporary siblings left by a run that was killed
    try:
        spill = Path(tempfile.mkdtemp(prefix=".load-spill-", dir=output.parent if output else None))
    except OSError as exc:
        raise CLIError(f"{output.parent if output else 'temporary folder'}: {exc}") from exc
    try:
        collected, rejects = collect_corpus(args.paths, spill=spill, **column_options(args))
        report_rejects(rejects)
        if not len(collected):
            raise no_article(args.paths, len(rejects))
        report_cp1252(source for _, source in sorted(collected.cp1252))
        if output is not None:
            try:
                write_slices(collected.schema, collected.sorted_slices(), output)
            except (OSError, ValueError) as exc:
                raise CLIError(f"{output}: cannot write: {exc}") from exc
        else:
            _write_stdout(collected)
    finally:
        remove(spill)
    print(f"loaded {len(collected)} articles, rejected {len(rejects)} inputs", file=sys.stderr)
    return 0


def _write_stdout(collected) -> None:
    from analysis.corpus import write_jsonl

    # JSONL is UTF-8 whatever the terminal's encoding.
    buffer = getattr(sys.stdout, "buffer", None)
    out = (
        io.TextIOWrapper(buffer, encoding="utf-8", newline="", write_through=True)
        if buffer is not None
        else sys.stdout
    )
    try:
        write_jsonl(collected.schema, collected.sorted_slices(), out)
        out.flush()
    except BrokenPipeError as exc:
        raise CLIError("stdout: closed before every article was written") from exc
    finally:
        if out is not sys.stdout:
            out.detach()


def register(subparsers) -> None:
    """Add the ``load`` command."""
    p = subparsers.add_parser(
        "load",
        help="load a corpus and write the articles table",
        description="Load articles from .txt folders, .jsonl, .csv and .parquet files; write the "
        "articles table (JSONL on stdout without -o) and list rejected inputs on stderr.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="files or folders")
    p.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        type=table_path,
        help="output .jsonl, .csv or .parquet",
    )
    add_column_options(p)
    p.set_defaults(func=run)
