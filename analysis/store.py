"""The feature store: one parse per article feeds every feature table, cached and written as Parquet.

``extract_corpus`` streams a corpus in batches, parses each article that is not cached yet (keyed
by the article's content hash and the pipeline's version), runs every feature extractor on the
parse, and writes each table as a partitioned Parquet dataset ``DIR/<table>.parquet/part-*.parquet``
(``pandas.read_parquet(DIR / "mentions.parquet")`` reads it whole; pass ``filters`` to read less).
Work runs in worker processes (``engine="local"``) or as Dask tasks (``engine="dask"``); both call
the same :func:`process_chunk` and give identical tables.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import hashlib
import importlib
import inspect
import json
import os
import pickle
import shutil
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis import config

#: Feature tables in the order they are computed; later extractors may take earlier tables as
#: keyword arguments (an extractor whose signature has ``quotes=`` receives the article's quotes).
FEATURES: tuple[tuple[str, str], ...] = (
    ("mentions", "analysis.entities:extract_mentions"),
    ("quotes", "analysis.quotes:extract_quotes"),
    ("sentences", "analysis.nlp:extract_sentences"),
    ("numbers", "analysis.numbers:extract_numbers"),
    ("counts", "analysis.numbers:extract_counts"),
    ("dates", "analysis.dates:extract_dates"),
    ("sentiment", "analysis.sentiment:extract_sentiment"),
    ("tone", "analysis.tone:extract_tone"),
    ("terms", "analysis.topics:extract_terms"),
)
#: Columns of each table when it has no rows at all (DESIGN.md), so every table file exists.
TABLE_COLUMNS: dict[str, list[str]] = {
    "sentences": ["article_id", "paragraph", "sentence", "start", "end", "text", "in_quote"],
    "mentions": ["article_id", "start", "end", "text", "label", "title", "actor"],
    "quotes": ["article_id", "start", "end", "quote", "kind", "cue", "speaker", "speaker_start",
               "speaker_end", "speaker_kind"],
    "numbers": ["article_id", "start", "end", "text", "value", "unit", "object", "kind"],
    "counts": ["article_id", "start", "end", "kind", "number", "object"],
    "dates": ["article_id", "start", "end", "text", "resolved", "resolution"],
    "sentiment": ["article_id", "sentence", "compound", "positive", "negative", "neutral", "voice"],
    "tone": ["article_id", "tone", "positive_score", "negative_score", "polarity",
             "activity_density", "self_group_density", "word_count"],
    "terms": ["article_id", "paragraph", "terms", "starts", "ends", "actor"],
}  # fmt: skip
#: Articles per output part file: bounds memory whatever the corpus size.
DEFAULT_PART_SIZE = 1000
#: Articles per task sent to a worker.
DEFAULT_CHUNK_SIZE = 32


# --- extractors -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Extractor:
    table: str
    func: Callable
    context: tuple[str, ...]  # names of earlier tables the function takes as keyword arguments


def available_extractors(tables: Iterable[str] | None = None) -> list[Extractor]:
    """Return the extractors of :data:`FEATURES` (or of ``tables``) whose module is installed."""
    wanted = set(tables) if tables is not None else None
    out: list[Extractor] = []
    names = [t for t, _ in FEATURES]
    unknown = sorted((wanted or set()) - set(names))
    if unknown:
        raise ValueError(
            f"feature table {', '.join(map(repr, unknown))} is not available; choose from {', '.join(names)}"
        )
    for table, target in FEATURES:
        if wanted is not None and table not in wanted:
            continue
        module_name, func_name = target.split(":")
        try:
            func = getattr(importlib.import_module(module_name), func_name)
        except (ImportError, AttributeError):
            if wanted is not None:
                raise ValueError(f"feature table {table!r} is not available ({target})") from None
            continue
        params = inspect.signature(func).parameters
        out.append(Extractor(table, func, tuple(n for n in names if n in params and n != table)))
    return out


def extract_article(doc, article: Mapping, extractors: list[Extractor]) -> tuple[dict, list[str]]:
    """Run every extractor on one parsed article; return ``(tables, errors)``.

    An extractor that fails on an article does not stop the run: its error is returned, to be
    listed in the rejects table, and the other tables are still filled.
    """
    tables: dict[str, list[dict]] = {}
    errors: list[str] = []
    for ex in extractors:
        kwargs = {name: tables.get(name, []) for name in ex.context}
        try:
            tables[ex.table] = list(ex.func(doc, article, **kwargs))
        except Exception as exc:  # one bad article must not lose the corpus
            tables[ex.table] = []
            errors.append(f"{ex.table}: {type(exc).__name__}: {exc}")
    return tables, errors


# --- cache ----------------------------------------------------------------------------------------


def article_key(article: Mapping) -> str:
    """Content hash of what the features depend on: the text and the published date."""
    h = hashlib.sha1()
    h.update(str(article["text"]).encode("utf-8"))
    h.update(b"\x00")
    published = article.get("published")
    h.update(b"" if published is None or published != published else str(published).encode())
    return h.hexdigest()


@functools.lru_cache(maxsize=8)
def pipeline_key(model: str | None = None, tables: tuple[str, ...] | None = None) -> str:
    """Version of the pipeline: spaCy and its model, the package, and the extractors' source code.

    Any change to the code of a feature module changes the key, so stale cache entries are never
    reused; they are simply not found.
    """
    import spacy

    from analysis import __version__
    from analysis.nlp import load_nlp, model_name

    name = model_name(model)
    nlp = load_nlp(name)
    h = hashlib.sha1()
    h.update(f"{__version__}|{spacy.__version__}|{name}|{nlp.meta.get('version')}".encode())
    modules = {"analysis.nlp", "analysis.corpus", "analysis.store"}
    modules |= {
        target.split(":")[0] for table, target in FEATURES if tables is None or table in tables
    }
    for module_name in sorted(modules):
        try:
            spec = importlib.util.find_spec(module_name)
        except (ImportError, ValueError):
            spec = None
        if spec and spec.origin and os.path.exists(spec.origin):
            h.update(module_name.encode())
            h.update(Path(spec.origin).read_bytes())
    # Word lists and the shipped models change results as much as code does.
    data_files = sorted(config.RESOURCES_DIR.glob("*")) + sorted(config.MODELS_DIR.glob("*/*"))
    for data_file in data_files:
        if data_file.is_file():
            h.update(data_file.name.encode())
            h.update(data_file.read_bytes())
    return h.hexdigest()[:16]


class FeatureCache:
    """Per-article feature rows on disk, keyed by pipeline version and article content hash.

    One small gzipped pickle per article under ``root/<pipeline>/<2 hex>/<hash>.pkl.gz``, written
    to a temporary name and renamed, so concurrent workers and interrupted runs never leave a
    half-written entry. Rows are stored without ``article_id`` and relabelled on read, so an
    article moved or renamed is still found.
    """

    def __init__(self, root: str | os.PathLike, pipeline: str):
        self.dir = Path(root) / pipeline

    def _path(self, key: str) -> Path:
        return self.dir / key[:2] / f"{key}.pkl.gz"

    def get(self, key: str, article_id: str) -> dict | None:
        path = self._path(key)
        try:
            with gzip.open(path, "rb") as f:
                stored = pickle.load(f)
        except (OSError, EOFError, pickle.UnpicklingError):
            return None
        return {t: [{"article_id": article_id, **r} for r in rows] for t, rows in stored.items()}

    def put(self, key: str, tables: Mapping[str, list[dict]]) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        stored = {
            t: [{k: v for k, v in r.items() if k != "article_id"} for r in rows]
            for t, rows in tables.items()
        }
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with gzip.open(tmp, "wb", compresslevel=1) as f:
            pickle.dump(stored, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)


# --- the unit of work -----------------------------------------------------------------------------


@dataclass
class ChunkResult:
    """What one chunk of articles gives back: table rows, errors, and how many were parsed."""

    tables: dict[str, list[dict]] = field(default_factory=dict)
    errors: list[dict] = field(default_factory=list)
    parsed: int = 0
    cached: int = 0
    words: int = 0


def process_chunk(
    articles: list[dict],
    *,
    model: str | None = None,
    cache_dir: str | None = None,
    tables: tuple[str, ...] | None = None,
    batch_size: int = 32,
) -> ChunkResult:
    """Parse and extract one chunk of articles (the task a worker or a Dask task runs).

    Cached articles are read back; the others are parsed with ``nlp.pipe`` in one batch and their
    rows stored in the cache.
    """
    from analysis.nlp import load_nlp, parse

    extractors = available_extractors(tables)
    pipeline = pipeline_key(model, tables)
    cache = FeatureCache(cache_dir, pipeline) if cache_dir else None
    result = ChunkResult(tables={ex.table: [] for ex in extractors})
    todo: list[tuple[dict, str]] = []
    for art in articles:
        key = article_key(art)
        result.words += int(art.get("n_words") or 0)
        hit = cache.get(key, art["article_id"]) if cache else None
        if hit is not None and all(ex.table in hit for ex in extractors):
            for table in result.tables:
                result.tables[table].extend(hit[table])
            result.cached += 1
        else:
            todo.append((art, key))
    if todo:
        nlp = load_nlp(model)
        docs = parse((a["text"] for a, _ in todo), nlp=nlp, batch_size=batch_size)
        for (art, key), doc in zip(todo, docs, strict=True):
            rows, errors = extract_article(doc, art, extractors)
            for table, table_rows in rows.items():
                result.tables[table].extend(table_rows)
            for err in errors:
                result.errors.append(
                    {
                        "source": art.get("source") or art["article_id"],
                        "reason": f"article {art['article_id']}: {err}",
                    }
                )
            if cache is not None and not errors:
                cache.put(key, rows)
            result.parsed += 1
    return result


# --- engines --------------------------------------------------------------------------------------


def _chunks(articles: Iterable[dict], size: int) -> Iterator[list[dict]]:
    chunk: list[dict] = []
    for art in articles:
        chunk.append(art)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _run_local(
    chunks: Iterator[list[dict]], workers: int, window: int, **kwargs
) -> Iterator[ChunkResult]:
    """Yield chunk results in order from a process pool, with at most ``window`` chunks in flight."""
    if workers <= 1:
        for chunk in chunks:
            yield process_chunk(chunk, **kwargs)
        return
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    from analysis.nlp import load_nlp

    # Forked workers inherit the pipeline the parent loaded (copy-on-write), so they start at once;
    # the parent holds no ONNX session or thread pool that forking could break. Elsewhere, spawn.
    method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
    if method == "fork":
        load_nlp(kwargs.get("model"))
    with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context(method)) as pool:
        yield from _windowed(lambda c: pool.submit(process_chunk, c, **kwargs), chunks, window)


def _run_dask(
    chunks: Iterator[list[dict]], workers: int, window: int, scheduler: str | None, **kwargs
) -> Iterator[ChunkResult]:
    """Yield chunk results in order from Dask tasks on ``scheduler`` or a new LocalCluster."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise RuntimeError(
            "the Dask engine needs the 'dask' extra: pip install 'analysis[dask]'"
        ) from exc
    if scheduler:
        client = Client(scheduler)
        cluster = None
    else:
        cluster = LocalCluster(
            n_workers=max(1, workers), threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = Client(cluster)
    try:
        n = max(1, len(client.scheduler_info().get("workers", {})) or workers)
        yield from _windowed(
            lambda c: client.submit(process_chunk, c, pure=False, **kwargs),
            chunks,
            max(window, 2 * n),
        )
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _windowed(submit: Callable, chunks: Iterator[list[dict]], window: int) -> Iterator[ChunkResult]:
    # Keep the workers busy (several chunks queued each) without reading the whole corpus ahead.
    pending: deque = deque()
    for chunk in chunks:
        pending.append(submit(chunk))
        if len(pending) >= window:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


# --- writing --------------------------------------------------------------------------------------


class _PartWriter:
    """Accumulates rows per table and writes ``<table>.parquet/part-NNNNN.parquet`` files."""

    def __init__(self, out: Path):
        self.out = out
        self.rows: dict[str, list[dict]] = {}
        self.n_parts: dict[str, int] = {}

    def add(self, table: str, rows: list[dict]) -> None:
        self.rows.setdefault(table, []).extend(rows)

    def flush(self) -> None:
        for table, rows in self.rows.items():
            if not rows:
                continue
            frame = pd.DataFrame(rows)
            sort = [
                c for c in ("article_id", "start", "sentence", "paragraph") if c in frame.columns
            ]
            frame = frame.sort_values(sort, kind="stable").reset_index(drop=True) if sort else frame
            self._write(table, frame)
        self.rows = {}

    def _write(self, table: str, frame: pd.DataFrame) -> None:
        folder = self.out / f"{table}.parquet"
        folder.mkdir(parents=True, exist_ok=True)
        n = self.n_parts.get(table, 0)
        frame.to_parquet(folder / f"part-{n:05d}.parquet", index=False)
        self.n_parts[table] = n + 1

    def finish(self, tables: Iterable[str]) -> None:
        self.flush()
        for table in tables:
            folder = self.out / f"{table}.parquet"
            if not self.n_parts.get(table):
                self._write(table, pd.DataFrame(columns=TABLE_COLUMNS.get(table, ["article_id"])))
            else:
                _unify_parts(folder)


def _unify_parts(folder: Path) -> None:
    """Rewrite parts whose schema differs (a column all null in one part), so the dataset reads."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    parts = sorted(folder.glob("part-*.parquet"))
    schemas = [pq.read_schema(p) for p in parts]
    if all(s.equals(schemas[0]) for s in schemas[1:]):
        return
    unified = pa.unify_schemas(schemas, promote_options="permissive")
    for part, schema in zip(parts, schemas, strict=True):
        if schema.equals(unified):
            continue
        table = pq.read_table(part)
        columns = []
        for f in unified:
            if f.name in table.column_names:
                columns.append(table[f.name].cast(f.type))
            else:
                columns.append(pa.nulls(len(table), f.type))
        pq.write_table(pa.Table.from_arrays(columns, schema=unified), part)


def read_table(
    store: str | os.PathLike, table: str, *, columns: list[str] | None = None, filters=None
) -> pd.DataFrame:
    """Read one table of a feature store folder (``columns`` and pyarrow ``filters`` read less)."""
    path = Path(store) / f"{table}.parquet"
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such table in the feature store {store}")
    return pd.read_parquet(path, columns=columns, filters=filters)


def feature_store(
    corpus: str | os.PathLike | Iterable[str | os.PathLike],
    *,
    tables: Iterable[str] | None = None,
    workers: int | None = 1,
    model: str | None = None,
    progress: bool | None = None,
) -> Path:
    """Return the feature store folder of ``corpus``, extracting what is not cached yet.

    The one call a notebook makes: the folder (under the cache directory) is named by the corpus
    paths and the pipeline version, every article parsed once is read back from the per-article
    cache, and :func:`read_table` then reads any table from it.
    """
    from analysis.corpus import load_corpus

    paths = [corpus] if isinstance(corpus, str | os.PathLike) else list(corpus)
    resolved = sorted(str(Path(p).resolve()) for p in paths)
    table_names = tuple(tables) if tables is not None else None
    name = hashlib.sha1(
        json.dumps([resolved, table_names, pipeline_key(model, table_names)]).encode()
    ).hexdigest()[:16]
    out = config.CACHE_DIR / "stores" / name
    articles, rejects = load_corpus(paths)
    if articles.empty:
        raise ValueError(f"no article loaded from {', '.join(resolved)}: {len(rejects)} rejected")
    extract_corpus(
        articles,
        out,
        rejects=rejects,
        workers=workers,
        model=model,
        tables=table_names,
        progress=progress,
    )
    return out


# --- the corpus-level run -------------------------------------------------------------------------


@dataclass
class ExtractSummary:
    """Counts and timings of one ``extract_corpus`` run."""

    articles: int = 0
    parsed: int = 0
    cached: int = 0
    words: int = 0
    rejects: int = 0
    seconds: float = 0.0
    tables: dict[str, int] = field(default_factory=dict)
    pipeline: str = ""

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def extract_corpus(
    articles: pd.DataFrame | Iterable[Mapping],
    out: str | os.PathLike,
    *,
    rejects: pd.DataFrame | list[dict] | None = None,
    workers: int | None = None,
    engine: str = "local",
    scheduler: str | None = None,
    model: str | None = None,
    tables: Iterable[str] | None = None,
    cache_dir: str | os.PathLike | None = config.CACHE_DIR / "features",
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    part_size: int = DEFAULT_PART_SIZE,
    progress: bool | None = None,
) -> ExtractSummary:
    """Extract every feature table of ``articles`` into the folder ``out``.

    Parameters
    ----------
    articles : DataFrame or iterable of mappings
        The articles table (see :func:`analysis.corpus.load_corpus`), or a stream of its rows.
    out : path
        Output folder; written in a temporary folder beside it and swapped in at the end, so an
        interrupted run leaves the previous output intact.
    workers : int, optional
        Worker processes (local) or Dask workers for a new LocalCluster; default all cores.
    engine : {"local", "dask"}
    scheduler : str, optional
        Address of an existing Dask scheduler (``tcp://host:8786``); with ``engine="dask"``.
    cache_dir : path or None
        Per-article cache keyed by content hash and pipeline version; ``None`` disables it.
    chunk_size, part_size : int
        Articles per task, and per output part file (peak memory grows with these, not with the
        corpus).

    Returns
    -------
    ExtractSummary
    """
    if engine not in ("local", "dask"):
        raise ValueError(f"unknown engine {engine!r}; expected 'local' or 'dask'")
    workers = workers or os.cpu_count() or 1
    table_names = tuple(tables) if tables is not None else None
    extractors = available_extractors(table_names)
    names = [ex.table for ex in extractors]
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    summary = ExtractSummary(pipeline=pipeline_key(model, table_names))
    start = time.perf_counter()
    rows_iter, total = _article_rows(articles)
    writer = _PartWriter(tmp)
    article_parts = _PartWriter(tmp)
    errors: list[dict] = []
    kwargs = {
        "model": model,
        "cache_dir": str(cache_dir) if cache_dir else None,
        "tables": table_names,
    }
    show = (
        progress
        if progress is not None
        else (total or 0) >= config.PROGRESS_MIN_ITEMS or total is None
    )
    bar = None
    if show:
        from tqdm.auto import tqdm

        bar = tqdm(total=total, desc="extracting", unit="article", file=sys.stderr)
    window = max(4, 4 * workers)
    try:
        articles_seen: list[dict] = []

        def tee(stream):
            for art in stream:
                articles_seen.append(art)
                yield art

        chunks = _chunks(tee(rows_iter), chunk_size)
        if engine == "local":
            results = _run_local(chunks, workers, window, **kwargs)
        else:
            results = _run_dask(chunks, workers, window, scheduler, **kwargs)
        in_part = 0
        for res in results:
            n = res.parsed + res.cached
            for table, rows in res.tables.items():
                writer.add(table, rows)
                summary.tables[table] = summary.tables.get(table, 0) + len(rows)
            errors.extend(res.errors)
            summary.parsed += res.parsed
            summary.cached += res.cached
            summary.words += res.words
            summary.articles += n
            done, articles_seen[:] = articles_seen[:n], articles_seen[n:]
            article_parts.add("articles", done)
            in_part += n
            if in_part >= part_size:
                writer.flush()
                article_parts.flush()
                in_part = 0
            if bar is not None:
                bar.update(n)
        if summary.articles == 0:
            raise ValueError(
                f"no article to extract ({0 if rejects is None else len(rejects)} inputs rejected)"
            )
        writer.finish(names)
        article_parts.finish(["articles"])
        _write_actors(tmp)
        all_rejects = pd.concat(
            [
                pd.DataFrame(rejects if rejects is not None else [], columns=["source", "reason"]),
                pd.DataFrame(errors, columns=["source", "reason"]),
            ],
            ignore_index=True,
        )
        all_rejects.astype("object").to_parquet(tmp / "rejects.parquet", index=False)
        summary.rejects = len(all_rejects)
        summary.seconds = time.perf_counter() - start
        (tmp / "summary.json").write_text(
            json.dumps(summary.as_dict(), indent=2) + "\n", encoding="utf-8"
        )
        _swap_in(tmp, out)
    finally:
        if bar is not None:
            bar.close()
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return summary


def _article_rows(articles) -> tuple[Iterator[dict], int | None]:
    if isinstance(articles, pd.DataFrame):
        frame = articles.astype(object).where(articles.notna(), None)
        return (dict(r) for r in frame.to_dict("records")), len(frame)
    total = len(articles) if hasattr(articles, "__len__") else None
    return (dict(a) for a in articles), total


def _write_actors(tmp: Path) -> None:
    """The corpus-level actors table, from the mentions and articles just written."""
    try:
        from analysis.entities import actor_table
    except ImportError:
        return
    mentions = tmp / "mentions.parquet"
    if not mentions.exists():
        return
    # Only the columns the actors table needs, so memory stays small on large corpora.
    frame = pd.read_parquet(mentions, columns=["article_id", "text", "label", "actor"])
    arts = pd.read_parquet(tmp / "articles.parquet", columns=["article_id", "published"])
    actor_table(frame, arts).to_parquet(tmp / "actors.parquet", index=False)


def _swap_in(tmp: Path, out: Path) -> None:
    old = out.with_name(f".{out.name}.old-{os.getpid()}")
    if out.exists():
        os.replace(out, old)
    os.replace(tmp, out)
    if old.exists():
        shutil.rmtree(old, ignore_errors=True)


# --- command line ---------------------------------------------------------------------------------


def _cmd_extract(args: argparse.Namespace) -> int:
    from analysis.cli import CLIError
    from analysis.cli.common import column_options, report_rejects
    from analysis.corpus import iter_corpus

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
            tables=args.tables.split(",") if args.tables else None,
            cache_dir=None if args.no_cache else args.cache_dir,
            chunk_size=args.chunk_size,
            part_size=args.part_size,
        )
    except (ValueError, RuntimeError, OSError) as exc:
        report_rejects(pd.DataFrame(rejects, columns=["source", "reason"]))
        raise CLIError(f"{args.output}: {exc}") from exc
    report_rejects(pd.DataFrame(rejects, columns=["source", "reason"]))
    print(
        f"extracted {summary.articles} articles ({summary.parsed} parsed, {summary.cached} from cache) "
        f"in {summary.seconds:.1f}s into {args.output}: "
        + ", ".join(f"{t} {n}" for t, n in summary.tables.items())
        + f"; {summary.rejects} rejects",
        file=sys.stderr,
    )
    return 0


def register(subparsers) -> None:
    """Add the ``extract`` command."""
    from analysis.cli.common import add_column_options

    p = subparsers.add_parser(
        "extract",
        help="parse a corpus once and write every feature table as Parquet",
        description="Parse each article once with spaCy and write every feature table as "
        "DIR/<table>.parquet (partitioned), plus articles, actors and rejects. Articles already "
        "parsed by the same pipeline are read from the cache.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="files or folders")
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="output folder")
    p.add_argument(
        "--workers", type=int, default=None, help="worker processes (default: all cores)"
    )
    p.add_argument("--engine", choices=("local", "dask"), default="local")
    p.add_argument(
        "--scheduler", metavar="ADDRESS", help="existing Dask scheduler (with --engine dask)"
    )
    p.add_argument(
        "--model", default=None, help="spaCy pipeline (default: en_core_web_sm if installed)"
    )
    p.add_argument("--tables", default=None, help="comma-separated subset of feature tables")
    p.add_argument(
        "--cache-dir", default=str(config.CACHE_DIR / "features"), help="per-article cache"
    )
    p.add_argument("--no-cache", action="store_true", help="parse everything, store nothing")
    p.add_argument("--chunk-size", type=int, default=DEFAULT_CHUNK_SIZE, help="articles per task")
    p.add_argument(
        "--part-size", type=int, default=DEFAULT_PART_SIZE, help="articles per Parquet part"
    )
    add_column_options(p)
    p.set_defaults(func=_cmd_extract)
