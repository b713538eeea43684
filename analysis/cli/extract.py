"""``extract``: parse a corpus once and write every feature table into a feature store folder."""

from __future__ import annotations

import argparse
import gc
import sys

from analysis import config, files
from analysis.cli.common import positive_int

# --- command line ---------------------------------------------------------------------------------


def _cmd_extract(args: argparse.Namespace) -> int:
    try:
        return _extract_command(args)
    except KeyboardInterrupt:
        # The process ends now (exit 130). Freezing the heap spares the garbage collector's
        # passes over spaCy's objects while the interpreter shuts down: several seconds on a
        # busy machine, which Ctrl-C should not cost.
        gc.freeze()
        raise


def _extract_command(args: argparse.Namespace) -> int:
    from analysis.cli import CLIError
    from analysis.cli.common import actors_option, column_options, extract_options, report_rejects
    from analysis.corpus import iter_corpus
    from analysis.features import with_options
    from analysis.store import (
        available_extractors,
        check_store_folder,
        extract_corpus,
        load_pipeline,
    )

    # What can be refused is refused before anything is read or any folder made.
    try:
        # Options among the table names (analysis.features.OPTIONS): each swaps one table's
        # extractor, and so the pipeline key, the cache entries and the store follow it.
        tables = with_options(extract_options(args), args.tables)
        check_store_folder(args.output, option="-o", inputs=args.paths)
        available_extractors(tables)
        load_pipeline(args.model)
        actors = actors_option(args)
    except ValueError as exc:
        raise CLIError(str(exc)) from exc
    # Streamed: memory is bounded by the chunk and part sizes, not by the corpus.
    rejects: list[dict] = []
    articles = iter_corpus(args.paths, rejects=rejects, **column_options(args))
    try:
        summary = extract_corpus(
            articles,
            args.output,
            rejects=rejects,
            workers=args.workers,
            engine=args.engine,
            scheduler=args.scheduler,
            model=args.model,
            tables=tables,
            cache_dir=None if args.no_cache else args.cache_dir,
            chunk_size=args.chunk_size,
            part_size=args.part_size,
            inputs=args.paths,
            actors=actors,
        )
    except files.DiskFullError as exc:
        raise CLIError(exc.strerror or str(exc)) from exc  # the message, without "[Errno 28]"
    except (ValueError, RuntimeError, OSError) as exc:
        report_rejects(_columns(rejects))
        raise CLIError(f"{args.output}: {exc}") from exc
    report_rejects(_columns(rejects))
    print(
        f"extracted {summary.articles} articles ({summary.parsed} parsed, {summary.cached} from cache) "
        f"in {summary.seconds:.1f}s into {args.output}: "
        + ", ".join(f"{t} {n}" for t, n in summary.tables.items())
        + f"; {summary.rejects} rejects",
        file=sys.stderr,
    )
    return 0


def _columns(rejects: list[dict]) -> dict[str, list]:
    return {c: [r[c] for r in rejects] for c in ("source", "reason")}


def _table_list(value: str) -> list[str] | None:
    """argparse type: comma-separated names of :data:`FEATURES`; an unknown name is bad usage."""
    from analysis.features import TABLES as names

    wanted = [t.strip() for t in value.split(",") if t.strip()]
    unknown = [t for t in wanted if t not in names]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown feature table {', '.join(map(repr, unknown))}; choose from {', '.join(names)}"
        )
    return wanted or None


def register(subparsers) -> None:
    """Add the ``extract`` command."""
    from analysis.cli.common import add_actors_option, add_column_options, add_extract_options

    p = subparsers.add_parser(
        "extract",
        help="parse a corpus once and write every feature table as Parquet",
        description="Parse each article once with spaCy and write every feature table as "
        "DIR/<table>.parquet (partitioned), plus articles, actors and rejects. Articles already "
        "parsed by the same pipeline are read from the cache.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="files or folders")
    p.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="DIR",
        help="output folder: new, empty, or written by an earlier extract (never the corpus)",
    )
    p.add_argument(
        "--workers",
        type=positive_int,
        default=None,
        help="worker processes (default: all cores)",
    )
    p.add_argument("--engine", choices=("local", "dask"), default="local")
    p.add_argument(
        "--scheduler", metavar="ADDRESS", help="existing Dask scheduler (with --engine dask)"
    )
    p.add_argument(
        "--model", default=None, help="spaCy pipeline (default: en_core_web_sm if installed)"
    )
    p.add_argument(
        "--tables", type=_table_list, default=None, help="comma-separated subset of feature tables"
    )
    add_extract_options(p)
    p.add_argument(
        "--cache-dir", default=str(config.CACHE_DIR / "features"), help="per-article cache"
    )
    p.add_argument("--no-cache", action="store_true", help="parse everything, store nothing")
    p.add_argument(
        "--chunk-size",
        type=positive_int,
        default=config.DEFAULT_CHUNK_SIZE,
        help="articles per task",
    )
    p.add_argument(
        "--part-size",
        type=positive_int,
        default=config.DEFAULT_PART_SIZE,
        help="articles per Parquet part",
    )
    add_column_options(p)
    add_actors_option(p)
    p.set_defaults(func=_cmd_extract)
