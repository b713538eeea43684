"""The ``topics`` command: fit a topic model to a corpus and write topics.csv, doc_topics.csv, metrics.json.

Only the standard library is imported here; pandas, scikit-learn and spaCy are imported by the
handlers, so ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from analysis.cli import CLIError
from analysis.topics.params import METHODS, STREAM_EPOCHS, UNITS


def _k_arg(value: str):
    if value == "auto":
        return "auto"
    try:
        k = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--k must be a positive integer or 'auto', got {value!r}"
        ) from None
    if k < 1:
        raise argparse.ArgumentTypeError(f"--k must be a positive integer or 'auto', got {value!r}")
    return k


def register(subparsers) -> None:
    """Add the ``topics`` sub-command to the CLI."""
    p = subparsers.add_parser(
        "topics",
        help="fit a topic model; write topics.csv, doc_topics.csv, metrics.json",
        description="Fit topics (NMF by default) to a corpus and write topics.csv "
        "(topic, rank, term, weight, score; rank follows score), doc_topics.csv "
        "(article_id, topic, weight) and "
        "metrics.json (k, npmi, diversity, per-topic values, the stop-word files used).",
    )
    p.add_argument(
        "paths", nargs="*", metavar="PATH", help="corpus files or folders (or use --store)"
    )
    p.add_argument("-o", "--out", required=True, metavar="DIR", help="output folder")
    p.add_argument("--k", type=_k_arg, default=8, help="number of topics or 'auto' (default 8)")
    p.add_argument("--method", choices=METHODS, default="nmf", help="factorisation (default nmf)")
    p.add_argument(
        "--unit", choices=UNITS, default="article", help="document unit (default article)"
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument(
        "--tokens",
        choices=["whitespace"],
        default=None,
        help="input text is already tokenised: split on whitespace and use tokens as they are",
    )
    stop = p.add_mutually_exclusive_group()
    stop.add_argument(
        "--stop-words",
        metavar="FILE",
        help="words and phrases to keep out of the topics, one a line, # comments (default: a "
        "stopwords.txt at the top of a corpus folder or beside a corpus file, if there is one); recorded in metrics.json",
    )
    stop.add_argument(
        "--no-stop-words",
        action="store_true",
        help="ignore a stopwords.txt found with the corpus PATHs",
    )
    scale = p.add_argument_group("large corpora (bounded memory)")
    scale.add_argument(
        "--stream",
        action="store_true",
        help="read the corpus in batches: terms through the feature store (cached per article), "
        "MiniBatchNMF (or online LDA with --method lda) fitted by partial_fit, doc_topics.csv "
        "appended batch by batch",
    )
    scale.add_argument(
        "--store",
        metavar="DIR",
        help="feature store folder (implies --stream): with PATHs the terms table is extracted "
        "into it; without PATHs its existing terms table is read",
    )
    scale.add_argument(
        "--part-size",
        type=int,
        default=1000,
        help="articles per batch (per Parquet part of the store; default 1000)",
    )
    scale.add_argument(
        "--epochs",
        type=int,
        default=STREAM_EPOCHS,
        help=f"partial_fit passes over the corpus (default {STREAM_EPOCHS})",
    )
    scale.add_argument(
        "--workers", type=int, default=None, help="extraction processes (default: all cores)"
    )
    from analysis.cli.common import add_column_options

    add_column_options(p)
    p.set_defaults(func=_run)


def _stop_words_from_args(args):
    """The stop words of ``--stop-words``, else of the ``stopwords.txt`` files found with the PATHs."""
    from analysis.lexicon import UserListError
    from analysis.topics.stopwords import find_stop_words, read_stop_words

    if args.no_stop_words:
        return None
    files = [Path(args.stop_words)] if args.stop_words else find_stop_words(args.paths)
    if not files:
        return None
    try:
        stop = read_stop_words(*files)
    except UserListError as exc:
        raise CLIError(str(exc)) from exc
    print(
        f"topics: stop words from {', '.join(map(str, files))} ({len(stop.terms)} terms)",
        file=sys.stderr,
    )
    return stop


def _model_from_args(args, stop_words=None):
    """The TopicModel the ``topics`` command's options describe (in-memory and streaming alike)."""
    from analysis.topics import TopicModel

    return TopicModel(
        n_topics=args.k,
        method=args.method,
        unit=args.unit,
        random_state=args.seed,
        tokens=args.tokens,
        verbose=True,
        stop_words=stop_words,
    )


def _run(args) -> int:
    from analysis.cli.common import column_options, load_or_fail
    from analysis.topics import write_outputs

    if not args.paths and not args.store:
        raise CLIError("topics: give corpus PATHs or --store DIR")
    # Read before the corpus: a bad stop-word file fails at once.
    stop_words = _stop_words_from_args(args)
    if args.stream or args.store:
        return _run_stream(args, stop_words)
    articles, _ = load_or_fail(args.paths, **column_options(args))
    print(f"topics: {len(articles)} articles, k={args.k}, method={args.method}", file=sys.stderr)
    model = _model_from_args(args, stop_words)
    try:
        model.fit(articles)
    except ValueError as exc:
        raise CLIError(f"{', '.join(map(str, args.paths))}: {exc}") from exc
    try:
        paths = write_outputs(model, args.out)
    except OSError as exc:
        raise CLIError(f"{args.out}: {exc}") from exc
    print(
        f"topics: k={model.n_topics_} npmi={model.npmi_:.3f} diversity={model.diversity_:.3f} "
        f"-> {paths['metrics'].parent}",
        file=sys.stderr,
    )
    return 0


def _whitespace_batches(paths, part_size: int, rejects: list[dict], columns: dict):
    """Batches of articles (article_id, text) read straight from the files, for pre-tokenised input."""
    import pandas as pd

    from analysis.corpus import iter_corpus

    def batches():
        rejects.clear()
        rows: list[dict] = []
        for art in iter_corpus(paths, rejects=rejects, **columns):
            rows.append({"article_id": art["article_id"], "text": art["text"] or ""})
            if len(rows) >= part_size:
                yield pd.DataFrame(rows)
                rows = []
        if rows:
            yield pd.DataFrame(rows)

    return batches


def _run_stream(args, stop_words=None) -> int:
    """``topics --stream``: extract terms through the feature store and fit batch by batch."""
    import pandas as pd

    from analysis.cli.common import column_options, report_rejects
    from analysis.corpus import iter_corpus
    from analysis.store import DEFAULT_CHUNK_SIZE, extract_corpus
    from analysis.topics import store_batches, write_outputs

    if args.part_size < 1 or args.epochs < 1:
        raise CLIError(f"{args.out}: --part-size and --epochs must be at least 1")
    out = Path(args.out)
    rejects: list[dict] = []
    where = ", ".join(map(str, args.paths)) or str(args.store)
    with tempfile.TemporaryDirectory(prefix="topics-store-") as scratch:
        try:
            if args.tokens == "whitespace":
                if not args.paths:
                    raise CLIError(f"{args.store}: --tokens whitespace reads PATHs, not a store")
                batches = _whitespace_batches(
                    args.paths, args.part_size, rejects, column_options(args)
                )
            else:
                store = Path(args.store) if args.store else Path(scratch) / "store"
                if args.paths:
                    summary = extract_corpus(
                        iter_corpus(args.paths, rejects=rejects, **column_options(args)),
                        store,
                        rejects=rejects,
                        workers=args.workers,
                        tables=("terms",),
                        # Parts are cut at chunk ends: a chunk must not exceed a part.
                        chunk_size=min(DEFAULT_CHUNK_SIZE, args.part_size),
                        part_size=args.part_size,
                    )
                    print(
                        f"topics: {summary.articles} articles ({summary.parsed} parsed, "
                        f"{summary.cached} from cache) -> {store}",
                        file=sys.stderr,
                    )
                batches = store_batches(store)
            model = _model_from_args(args, stop_words)
            model.fit_stream(batches, epochs=args.epochs, doc_topics=out / "doc_topics.csv")
        except (ValueError, FileNotFoundError) as exc:
            report_rejects(pd.DataFrame(rejects, columns=["source", "reason"]))
            raise CLIError(f"{where}: {exc}") from exc
        except OSError as exc:
            raise CLIError(f"{args.out}: {exc}") from exc
    report_rejects(pd.DataFrame(rejects, columns=["source", "reason"]))
    try:
        paths = write_outputs(model, out, doc_topics=False)
    except OSError as exc:
        raise CLIError(f"{args.out}: {exc}") from exc
    print(
        f"topics: k={model.n_topics_} npmi={model.npmi_:.3f} diversity={model.diversity_:.3f} "
        f"({model.n_articles_} articles, streamed) -> {paths['metrics'].parent}",
        file=sys.stderr,
    )
    return 0
