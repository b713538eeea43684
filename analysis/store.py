"""The feature store: one parse per article feeds every feature table, cached and written as Parquet.

``extract_corpus`` streams a corpus in batches, parses each article that is not cached yet (keyed
by the article's content hash and the pipeline's version), runs every feature extractor on the
parse, and writes each table as a partitioned Parquet dataset ``DIR/<table>.parquet/part-*.parquet``
(``pandas.read_parquet(DIR / "mentions.parquet")`` reads it whole; pass ``filters`` to read less).
Work runs in worker processes (``engine="local"``) or as Dask tasks (``engine="dask"``); both call
the same :func:`process_chunk` and give identical tables.

Nothing one article does stops the run: an article that fails to parse, an extractor that fails,
rows that cannot be written become rows of the rejects table. ``DIR`` is written only when it is
new, empty or an earlier feature store (:func:`analysis.files.check_output_folder`), built as a
temporary sibling and swapped in, so an interrupted or failed run leaves the previous ``DIR``.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import functools
import gc
import gzip
import hashlib
import importlib
import inspect
import io
import json
import os
import signal
import sys
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis import config, files
from analysis.tables import arrow_safe, json_text, needs_text, replace_surrogates

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
#: What the output folder's marker says wrote it (see :func:`analysis.files.mark_output_folder`).
STORE_KIND = "feature store"
#: Longest error message kept in a rejects row (an exception may quote a whole article).
MAX_REASON = 500


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
    # surrogatepass: a lone surrogate (from a JSON escape) is hashed too; valid text is unchanged.
    h.update(str(article["text"]).encode("utf-8", "surrogatepass"))
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


#: Version of the cache entry format (a gzipped header line, then the JSON rows).
CACHE_FORMAT = 1
#: Largest cache entry read back, decompressed; anything bigger is treated as damaged, so a
#: hostile entry cannot exhaust memory.
MAX_CACHE_ENTRY = 256 * 2**20


class CacheEntryError(ValueError):
    """A cache entry that is damaged or not in the expected format."""


def _plain(value) -> bool:
    # Exact types only: JSON gives these back as they were (a tuple or a NumPy float would come
    # back as another type, so rows holding one are not cached).
    if value is None or type(value) in (str, int, float, bool):
        return True
    return type(value) is list and all(_plain(v) for v in value)


def encode_cache_entry(stored: Mapping[str, list[dict]]) -> bytes:
    """One cache entry: gzip of a JSON header (format, sha256 of the payload), newline, JSON rows.

    Raises ``TypeError`` when a row holds a value other than None, bool, int, float, str or a
    list of those: JSON would not give it back with the same type.
    """
    for table, rows in stored.items():
        for row in rows:
            for column, value in row.items():
                if not _plain(value):
                    raise TypeError(
                        f"{table}.{column} holds a {type(value).__name__}, which the cache "
                        "cannot give back unchanged"
                    )
    # ensure_ascii keeps lone surrogates as escapes, so strings read back exactly; NaN and
    # infinities are written as JSON's NaN and Infinity, which json reads back.
    payload = json.dumps(stored, ensure_ascii=True, separators=(",", ":")).encode("ascii")
    header = json.dumps({"format": CACHE_FORMAT, "sha256": hashlib.sha256(payload).hexdigest()})
    return gzip.compress(header.encode("ascii") + b"\n" + payload, compresslevel=1, mtime=0)


def decode_cache_entry(data: bytes) -> dict[str, list[dict]]:
    """The rows of a cache entry made by :func:`encode_cache_entry`; ``CacheEntryError`` if damaged.

    JSON cannot run code, unlike the pickles of earlier versions: a cache folder others can
    write is at worst wrong, never a way to run code in every reader. The checksum catches
    damage (a truncated or altered file), the shape check anything else.
    """
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as gz:
            raw = gz.read(MAX_CACHE_ENTRY + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise CacheEntryError(f"not a readable gzip file ({exc})") from None
    if len(raw) > MAX_CACHE_ENTRY:
        raise CacheEntryError(f"larger than {MAX_CACHE_ENTRY} bytes")
    head, _, payload = raw.partition(b"\n")
    try:
        header = json.loads(head)
    except ValueError:
        raise CacheEntryError("no entry header (not written by this version)") from None
    if not isinstance(header, dict) or header.get("format") != CACHE_FORMAT:
        raise CacheEntryError("unknown entry format")
    if hashlib.sha256(payload).hexdigest() != header.get("sha256"):
        raise CacheEntryError("checksum mismatch (the file was altered or damaged)")
    try:
        stored = json.loads(payload)
    except (ValueError, RecursionError):
        raise CacheEntryError("rows are not valid JSON") from None
    if not isinstance(stored, dict) or not all(
        isinstance(rows, list)
        and all(
            isinstance(row, dict)
            and "article_id" not in row
            and all(isinstance(k, str) and _plain(v) for k, v in row.items())
            for row in rows
        )
        for rows in stored.values()
    ):
        raise CacheEntryError("rows are not in the expected shape")
    return stored


class FeatureCache:
    """Per-article feature rows on disk, keyed by pipeline version and article content hash.

    One small gzipped JSON file per article under ``root/<pipeline>/<2 hex>/<hash>.json.gz``
    (:func:`encode_cache_entry`: a checksum, then the rows), written to a temporary name and
    renamed, so concurrent workers and interrupted runs never leave a half-written entry. Rows
    are stored without ``article_id`` and relabelled on read, so an article moved or renamed is
    still found.

    The cache never fails a run: a damaged or unreadable entry is a miss, and a folder that
    cannot be written (read-only, full) leaves rows uncached. Each such problem is counted in
    :attr:`problems` (``{kind: [count, first message]}``) for the caller to report once.
    """

    def __init__(self, root: str | os.PathLike, pipeline: str):
        self.root = Path(root)
        self.dir = self.root / pipeline
        self.problems: dict[str, list] = {}
        self._writable = True
        self._reported: set[str] = set()  # keys whose entry get() already reported

    def _path(self, key: str) -> Path:
        return self.dir / key[:2] / f"{key}.json.gz"

    def _problem(self, kind: str, message: str) -> None:
        self.problems.setdefault(kind, [0, message])[0] += 1

    def get(self, key: str, article_id: str) -> dict | None:
        """The rows cached for ``key``, labelled ``article_id``; None when missing or damaged."""
        path = self._path(key)
        try:
            data = path.read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            # NotADirectory: the cache folder is a file. No entry to read; put() reports that
            # the folder cannot be written, once.
            return None
        except OSError as exc:
            self._problem("unreadable", f"{path}: cannot be read ({exc.strerror or exc})")
            self._reported.add(key)
            return None
        try:
            stored = decode_cache_entry(data)
        except CacheEntryError as exc:
            self._problem("damaged", f"{path}: {exc}")
            self._reported.add(key)
            return None
        return {t: [{"article_id": article_id, **r} for r in rows] for t, rows in stored.items()}

    def put(self, key: str, tables: Mapping[str, list[dict]]) -> bool:
        """Store the rows of one article; False (and a problem noted) when they were not stored."""
        if not self._writable:
            return False
        stored = {
            t: [{k: v for k, v in r.items() if k != "article_id"} for r in rows]
            for t, rows in tables.items()
        }
        try:
            data = encode_cache_entry(stored)
        except TypeError as exc:
            self._problem("unstorable", f"rows not cached: {exc}")
            return False
        path = self._path(key)
        try:
            files.remove_stale(path)  # a temporary entry of a worker that was killed
            files.write_bytes(path, data)
        except OSError as exc:
            if exc.errno in _ENTRY_ERRNOS:
                # Something else sits at this entry's name (a folder): only this entry is lost.
                # It is the problem get() already reported for it, so it is not counted twice.
                if key not in self._reported:
                    self._problem("unwritable", f"{path}: cannot be written ({exc.strerror})")
                return False
            # Read-only, full or not a folder: stop trying for this chunk (one failed write).
            self._writable = False
            # The warning names the cache folder already.
            self._problem("unwritable", f"cannot be written ({exc.strerror or exc})")
            return False
        return True


#: Errors of renaming an entry into place that concern that one name, not the cache folder.
_ENTRY_ERRNOS = frozenset({errno.EISDIR, errno.ENOTEMPTY, errno.EEXIST})


# --- the unit of work -----------------------------------------------------------------------------


@dataclass
class ChunkResult:
    """What one chunk of articles gives back: table rows, rejects, counts and cache warnings."""

    tables: dict[str, list[dict]] = field(default_factory=dict)
    errors: list[dict] = field(default_factory=list)
    articles: int = 0
    parsed: int = 0
    cached: int = 0
    words: int = 0
    warnings: list[tuple[str, int, str]] = field(default_factory=list)

    def reject(self, article: Mapping, reason: str) -> None:
        """Add a rejects row for ``article`` (its source, and a reason naming it)."""
        self.errors.append(_reject_row(article, reason))


def _reject_row(article: Mapping, reason: str) -> dict:
    if len(reason) > MAX_REASON:
        reason = reason[: MAX_REASON - 3] + "..."
    aid = article.get("article_id")
    return {"source": str(article.get("source") or aid), "reason": f"article {aid}: {reason}"}


def _error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _parse_each(nlp, texts: list, batch_size: int) -> list:
    """One ``Doc`` per text, or the exception that text raised.

    The chunk is parsed in one ``nlp.pipe`` batch; if that fails, each text is parsed alone, so
    one bad article costs only itself.
    """
    from analysis.nlp import parse

    try:
        return list(parse(texts, nlp=nlp, batch_size=batch_size))
    except Exception:  # which article broke the batch is found below
        pass
    docs: list = []
    for text in texts:
        try:
            docs.append(next(iter(parse([text], nlp=nlp, batch_size=1))))
        except Exception as exc:
            docs.append(exc)
    return docs


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
    rows stored in the cache. An article that cannot be parsed, or on which an extractor fails,
    becomes a rejects row naming it; the other articles of the chunk are unaffected.
    """
    from analysis.nlp import load_nlp

    extractors = available_extractors(tables)
    pipeline = pipeline_key(model, tables)
    cache = FeatureCache(cache_dir, pipeline) if cache_dir else None
    result = ChunkResult(tables={ex.table: [] for ex in extractors}, articles=len(articles))
    todo: list[tuple[dict, str]] = []
    for art in articles:
        try:
            result.words += int(art.get("n_words") or 0)
            key = article_key(art)
        except Exception as exc:  # a malformed row costs only itself
            result.reject(art, f"cannot be read: {_error_text(exc)}")
            continue
        hit = cache.get(key, art["article_id"]) if cache else None
        if hit is not None and all(ex.table in hit for ex in extractors):
            for table in result.tables:
                result.tables[table].extend(hit[table])
            result.cached += 1
        else:
            todo.append((art, key))
    if todo:
        nlp = load_nlp(model)
        docs = _parse_each(nlp, [a["text"] for a, _ in todo], batch_size)
        for (art, key), doc in zip(todo, docs, strict=True):
            if isinstance(doc, Exception):
                result.reject(art, f"parse failed: {_error_text(doc)}")
                continue
            rows, errors = extract_article(doc, art, extractors)
            for table, table_rows in rows.items():
                result.tables[table].extend(table_rows)
            for err in errors:
                result.reject(art, err)
            if cache is not None and not errors:
                cache.put(key, rows)
            result.parsed += 1
    if cache is not None:
        result.warnings = [(kind, n, msg) for kind, (n, msg) in cache.problems.items()]
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
    """Yield chunk results in order from a process pool, with at most ``window`` chunks in flight.

    Closing the generator or an exception while it runs (Ctrl-C, SIGTERM) ends the workers at
    once: queued chunks are cancelled and running ones killed, instead of waiting for them.
    """
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
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=mp.get_context(method),
        initializer=_worker_init,
        initargs=(os.getpid(),),
    )
    try:
        yield from _windowed(lambda c: pool.submit(process_chunk, c, **kwargs), chunks, window)
    except BaseException:  # KeyboardInterrupt, GeneratorExit, or a failure in the parent
        _stop_pool(pool)
        raise
    pool.shutdown(wait=True)


def _worker_init(parent: int) -> None:
    """Set a worker up: the parent alone handles Ctrl-C and SIGTERM, and the worker dies with it."""
    # Ctrl-C reaches every process of the terminal's group; the parent stops the workers itself.
    # A forked worker inherits the command line's SIGTERM handler, which would only raise an
    # exception its task loop catches; the default action lets the parent end it at once.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _exit_with_parent(parent)


def _exit_with_parent(parent: int) -> None:
    """End this process when ``parent`` dies, even by SIGKILL, so no worker is left orphaned."""
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            libc = ctypes.CDLL(None, use_errno=True)
            # prctl(PR_SET_PDEATHSIG, SIGKILL): the kernel kills us when the parent exits.
            armed = libc.prctl(1, int(signal.SIGKILL), 0, 0, 0) == 0
        except (OSError, AttributeError):
            armed = False
        if armed:
            if os.getppid() != parent:  # the parent died before the request took effect
                os._exit(1)
            return

    def watch() -> None:  # elsewhere: poll; a changed parent id means the parent has gone
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _stop_pool(pool, grace: float = 2.0) -> None:
    """Cancel queued chunks and end the workers of ``pool`` now, killing any that lingers."""
    # ProcessPoolExecutor has no public way to end running workers before Python 3.14
    # (terminate_workers); shutdown() alone waits for every running and queued chunk.
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in processes:
        with contextlib.suppress(Exception):
            proc.terminate()
    deadline = time.monotonic() + grace
    for proc in processes:
        with contextlib.suppress(Exception):
            proc.join(max(0.0, deadline - time.monotonic()))
            if proc.is_alive():
                proc.kill()
                proc.join(1.0)


def _run_dask(
    chunks: Iterator[list[dict]], workers: int, window: int, scheduler: str | None, **kwargs
) -> Iterator[ChunkResult]:
    """Yield chunk results in order from Dask tasks on ``scheduler`` or a new LocalCluster.

    The client, and a LocalCluster this run started, are closed however the run ends (an
    interrupt included), so no Dask worker outlives it.
    """
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise RuntimeError(
            "the Dask engine needs the 'dask' extra: pip install 'analysis[dask]'"
        ) from exc
    client = cluster = None
    try:
        # An interrupt while the cluster starts would leave it half-made and unclosable (Dask's
        # exit hook then fails with a traceback): it waits until both objects exist.
        with _signals_held():
            if scheduler:
                client = Client(scheduler)
            else:
                cluster = LocalCluster(
                    n_workers=max(1, workers),
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                )
                client = Client(cluster)
        n = max(1, len(client.scheduler_info().get("workers", {})) or workers)
        yield from _windowed(
            lambda c: client.submit(process_chunk, c, pure=False, **kwargs),
            chunks,
            max(window, 2 * n),
        )
    finally:
        if cluster is not None:
            with contextlib.suppress(Exception):
                cluster.close()
        if client is not None:
            with contextlib.suppress(Exception):
                client.close()


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Run the block undisturbed by Ctrl-C and SIGTERM (a SIGTERM is raised after the block).

    A SIGTERM that arrives meanwhile becomes ``KeyboardInterrupt`` once the block ends. Ctrl-C
    is ignored meanwhile: processes started in the block (Dask's workers) inherit that,
    so Ctrl-C, which the terminal sends to every process of the group, cannot kill one half
    started (the cluster would then fail to start, or be left half-made); the parent alone
    stops them. A Ctrl-C pressed in the block is lost; one pressed after it stops the run.
    """
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread can set signal handlers
        return
    caught: list[int] = []
    previous = {
        signal.SIGINT: signal.signal(signal.SIGINT, signal.SIG_IGN),
        signal.SIGTERM: signal.signal(signal.SIGTERM, lambda signum, frame: caught.append(signum)),
    }
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if caught:
        raise KeyboardInterrupt(f"signal {caught[0]}")


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


def _is_disk_full(exc: OSError) -> bool:
    return isinstance(exc, files.DiskFullError) or exc.errno in (errno.ENOSPC, errno.EDQUOT)


#: Errors pyarrow raises for values it cannot convert or Parquet cannot hold (not disk errors).
def _conversion_errors() -> tuple[type[BaseException], ...]:
    import pyarrow as pa

    return (pa.ArrowException, ValueError, TypeError, OverflowError, NotImplementedError)


def _to_arrow(frame: pd.DataFrame):
    """``frame`` as an Arrow table that Parquet can hold, or raise a conversion error."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    # Some types convert but cannot be written (a struct with no field, from ``{}``): try the
    # schema alone, which costs nothing.
    pq.write_table(table.slice(0, 0), pa.BufferOutputStream())
    return table


class _PartWriter:
    """Accumulates rows per table and writes ``<table>.parquet/part-NNNNN.parquet`` files.

    A part is written as it is whenever Arrow accepts it, so ordinary tables are unchanged. A
    column Arrow refuses (metadata that is a number in one article and a string in the next,
    ``{}``, an integer beyond 64 bits, a lone surrogate) goes through
    :func:`analysis.tables.arrow_safe`; rows that still cannot be written are left out and
    their article listed in :attr:`rejects`, so no value stops the run.
    """

    def __init__(self, out: Path):
        self.out = out
        self.rows: dict[str, list[dict]] = {}
        self.n_parts: dict[str, int] = {}
        self.rejects: list[dict] = []

    def add(self, table: str, rows: list[dict]) -> None:
        self.rows.setdefault(table, []).extend(rows)

    def flush(self) -> None:
        for table, rows in self.rows.items():
            if not rows:
                continue
            frame = _frame(rows)
            sort = [
                c for c in ("article_id", "start", "sentence", "paragraph") if c in frame.columns
            ]
            frame = frame.sort_values(sort, kind="stable").reset_index(drop=True) if sort else frame
            self._write(table, frame)
        self.rows = {}

    def _write(self, table: str, frame: pd.DataFrame) -> None:
        import pyarrow.parquet as pq

        folder = self.out / f"{table}.parquet"
        folder.mkdir(parents=True, exist_ok=True)
        n = self.n_parts.get(table, 0)
        arrow = self._writable(table, frame)
        if arrow is None:
            return
        pq.write_table(arrow, folder / f"part-{n:05d}.parquet")
        self.n_parts[table] = n + 1

    def _writable(self, table: str, frame: pd.DataFrame):
        errors = _conversion_errors()
        try:
            return _to_arrow(frame)
        except errors as exc:
            if isinstance(exc, OSError):
                raise
        # Only the columns Arrow refuses are converted, so the others keep their types.
        bad = []
        for name in frame.columns:
            try:
                _to_arrow(frame[[name]])
            except errors:
                bad.append(name)
        if bad:
            frame = frame.copy()
            frame[bad] = arrow_safe(frame[bad].astype(object))
        try:
            return _to_arrow(frame)
        except errors:
            pass
        # Still refused: find the articles whose rows cannot be written and leave those out.
        if "article_id" not in frame.columns or frame.empty:
            return None
        keep = []
        for aid, group in frame.groupby("article_id", sort=False, dropna=False):
            try:
                _to_arrow(group)
            except errors as exc:
                self.rejects.append(
                    _reject_row(
                        {"article_id": aid, "source": _first(group, "source")},
                        f"{table} rows cannot be written: {_error_text(exc)}",
                    )
                )
            else:
                keep.append(group)
        if not keep:
            return None
        try:
            return _to_arrow(pd.concat(keep, ignore_index=True))
        except errors as exc:
            for group in keep:
                aid = group["article_id"].iloc[0]
                self.rejects.append(
                    _reject_row(
                        {"article_id": aid, "source": _first(group, "source")},
                        f"{table} rows cannot be written: {_error_text(exc)}",
                    )
                )
            return None

    def finish(self, tables: Iterable[str]) -> None:
        self.flush()
        for table in tables:
            folder = self.out / f"{table}.parquet"
            if not self.n_parts.get(table):
                if folder.exists():
                    files.remove(folder)
                self._write(table, pd.DataFrame(columns=TABLE_COLUMNS.get(table, ["article_id"])))
            else:
                _unify_parts(folder)


def _frame(rows: list[dict]) -> pd.DataFrame:
    """``pd.DataFrame(rows)``, with lone surrogates replaced (pandas' ``str`` cannot hold one)."""
    try:
        return pd.DataFrame(rows)
    except UnicodeError:
        pass

    def clean(value):
        if isinstance(value, str):
            return replace_surrogates(value)
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    return pd.DataFrame([{k: clean(v) for k, v in row.items()} for row in rows])


def _first(frame: pd.DataFrame, column: str):
    return frame[column].iloc[0] if column in frame.columns and len(frame) else None


def _arrow_kind(arrow_type) -> str | None:
    """The kind of :mod:`analysis.tables` an Arrow type holds (None for the null type)."""
    import pyarrow as pa

    t = pa.types
    if t.is_null(arrow_type):
        return None
    if t.is_boolean(arrow_type):
        return "bool"
    if t.is_integer(arrow_type):
        return "int"
    if t.is_floating(arrow_type) or t.is_decimal(arrow_type):
        return "number"
    if t.is_string(arrow_type) or t.is_large_string(arrow_type):
        return "str"
    if t.is_temporal(arrow_type):
        return "date"
    if t.is_nested(arrow_type):
        return "nested"
    if t.is_binary(arrow_type) or t.is_large_binary(arrow_type):
        return "bytes"
    return "other"


def _as_text(value):
    # The rule of analysis.tables.arrow_safe: missing stays missing, strings as they are,
    # everything else as its JSON text.
    if value is None or (isinstance(value, float) and value != value):
        return None
    return json_text(value)


def _unify_parts(folder: Path) -> None:
    """Rewrite parts whose schemas differ so the dataset reads as one table.

    A column all null in one part takes the type of the others; integers and floats in different
    parts become floats; lists or records of different element types are promoted by Arrow; a
    column whose kinds differ across parts (numbers in one, strings or lists in another), or
    whose types Arrow cannot promote, becomes text in every part, by the rule of
    :func:`analysis.tables.arrow_safe`.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    parts = sorted(folder.glob("part-*.parquet"))
    schemas = [pq.read_schema(p) for p in parts]
    if all(s.equals(schemas[0]) for s in schemas[1:]):
        return
    seen: dict[str, list] = {}
    for schema in schemas:
        for f in schema:
            seen.setdefault(f.name, []).append(f.type)
    fields, as_text = [], set()
    for name, types in seen.items():
        typed = [t for t in types if _arrow_kind(t) is not None]
        kinds = {_arrow_kind(t) for t in typed}
        merged = None
        if not typed:
            merged = pa.null()
        elif len(kinds) == 1 or not needs_text(kinds):
            # One kind (lists in every part, say) or only numbers: Arrow's own promotion.
            with contextlib.suppress(pa.ArrowException):
                merged = (
                    pa.unify_schemas(
                        [pa.schema([pa.field(name, t)]) for t in typed],
                        promote_options="permissive",
                    )
                    .field(name)
                    .type
                )
        if merged is None:
            merged = pa.string()
            as_text.add(name)
        fields.append(pa.field(name, merged))
    unified = pa.schema(fields, metadata=schemas[0].metadata)
    for part, schema in zip(parts, schemas, strict=True):
        if schema.equals(unified):
            continue
        table = pq.read_table(part)
        columns = []
        for f in unified:
            if f.name not in table.column_names:
                columns.append(pa.nulls(len(table), f.type))
            elif f.name in as_text and _arrow_kind(table[f.name].type) not in ("str", None):
                values = [_as_text(v) for v in table[f.name].to_pylist()]
                columns.append(pa.array(values, type=pa.string()))
            else:
                columns.append(table[f.name].cast(f.type))
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
    cache, and :func:`read_table` then reads any table from it. The folder is marked as a
    feature store like any ``extract`` output.
    """
    from analysis.corpus import load_corpus

    paths = [corpus] if isinstance(corpus, str | os.PathLike) else list(corpus)
    resolved = sorted(str(Path(p).resolve()) for p in paths)
    table_names = tuple(tables) if tables is not None else None
    load_pipeline(model)
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
        inputs=paths,
    )
    return out


def load_pipeline(model: str | None = None):
    """Load the spaCy pipeline ``model``, or raise ``ValueError`` naming it and what is installed."""
    from analysis.nlp import load_nlp, model_name

    try:
        return load_nlp(model)
    except (RuntimeError, OSError, ImportError, ValueError) as exc:
        import spacy.util

        installed = sorted(set(spacy.util.get_installed_models()) | _installed_candidates())
        try:
            name = model_name(model)
        except RuntimeError:
            name = model
        if name in installed or (name and Path(name).exists()):
            problem = f"cannot be loaded ({exc})"
        else:
            problem = "is not installed (neither a pipeline package nor a pipeline folder)"
        raise ValueError(
            f"spaCy pipeline {name!r} {problem}; installed: {', '.join(installed) or 'none'}"
        ) from exc


def _installed_candidates() -> set[str]:
    return {name for name in config.SPACY_MODELS if importlib.util.find_spec(name) is not None}


#: What ``extract`` writes into its folder: tables, the summary and its marker.
def _store_names() -> set[str]:
    tables = [t for t, _ in FEATURES] + ["articles", "actors", "rejects"]
    return {f"{t}.parquet" for t in tables} | {"summary.json", files.MARKER}


def _adopt_earlier_store(out: Path) -> None:
    """Mark ``out`` if an earlier version of ``extract`` wrote it (before folders were marked).

    Only a folder holding nothing but the tables and ``summary.json`` that ``extract`` writes,
    with a summary of its own shape, counts as one: the next run may then replace it.
    """
    if not out.is_dir() or files.is_output_folder(out):
        return
    try:
        names = {p.name for p in out.iterdir()}
    except OSError:
        return
    summary = files.read_json(out / "summary.json")
    keys = {"articles", "parsed", "cached", "pipeline", "tables"}
    if (
        "summary.json" in names
        and names <= _store_names() | files.EMPTY_FOLDER_NAMES
        and isinstance(summary, dict)
        and keys <= set(summary)
    ):
        files.mark_output_folder(out, kind=STORE_KIND)


def check_store_folder(
    out: str | os.PathLike, *, option: str = "out", inputs: Iterable[str | os.PathLike] = ()
) -> Path:
    """Return ``out`` if ``extract`` may write it, else raise :class:`analysis.files.OutputFolderError`.

    The folder must be new, empty or an earlier feature store, and neither be nor hold nor lie
    inside one of ``inputs`` (:func:`analysis.files.check_output_folder`); ``option`` is what
    the message tells the user to change.
    """
    try:
        files.check_output_folder(out, kind=STORE_KIND, option=option, inputs=inputs)
    except files.OutputFolderError:
        _adopt_earlier_store(Path(os.path.abspath(out)))
        return files.check_output_folder(out, kind=STORE_KIND, option=option, inputs=inputs)
    return Path(os.path.abspath(out))


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
    #: Cache problems met (damaged or unreadable entries, a folder that cannot be written):
    #: ``{kind: count}``; each kind was reported once on stderr.
    cache_problems: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def _at_least_one(name: str, value) -> None:
    if value is not None and (not isinstance(value, int) or value < 1):
        raise ValueError(f"{name} must be a whole number of at least 1, not {value!r}")


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
    inputs: Iterable[str | os.PathLike] = (),
) -> ExtractSummary:
    """Extract every feature table of ``articles`` into the folder ``out``.

    Parameters
    ----------
    articles : DataFrame or iterable of mappings
        The articles table (see :func:`analysis.corpus.load_corpus`), or a stream of its rows.
    out : path
        Output folder: new, empty, or written by an earlier run (it carries the marker of
        :func:`analysis.files.mark_output_folder`); any other folder is refused with
        :class:`analysis.files.OutputFolderError`. Written in a temporary folder beside it and
        swapped in at the end, so an interrupted or failed run leaves the previous output intact.
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
    inputs : paths
        The corpus files and folders ``articles`` come from: ``out`` may not be, hold, or lie
        inside any of them.

    Returns
    -------
    ExtractSummary

    Raises
    ------
    analysis.files.OutputFolderError
        ``out`` is not a folder this function may write.
    analysis.files.DiskFullError
        The disk filled up; the message names ``out`` and the previous output is unchanged.
    ValueError
        Bad arguments, an unknown table, a spaCy pipeline that cannot be loaded, or no article.
    """
    if engine not in ("local", "dask"):
        raise ValueError(f"unknown engine {engine!r}; expected 'local' or 'dask'")
    _at_least_one("workers", workers)
    _at_least_one("chunk_size", chunk_size)
    _at_least_one("part_size", part_size)
    workers = workers or os.cpu_count() or 1
    table_names = tuple(tables) if tables is not None else None
    extractors = available_extractors(table_names)
    names = [ex.table for ex in extractors]
    out = check_store_folder(out, inputs=inputs)
    # Everything that can fail cheaply fails before any folder is made.
    load_pipeline(model)
    summary = ExtractSummary(pipeline=pipeline_key(model, table_names))
    out.parent.mkdir(parents=True, exist_ok=True)
    files.remove_stale(out)  # temporary folders of runs that were killed
    tmp = files.temp_sibling(out)
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
    results = None
    window = max(4, 4 * workers)
    try:
        tmp.mkdir()
        if show:
            from tqdm.auto import tqdm

            bar = tqdm(total=total, desc="extracting", unit="article", file=sys.stderr)
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
            n = res.articles
            for table, rows in res.tables.items():
                writer.add(table, rows)
                summary.tables[table] = summary.tables.get(table, 0) + len(rows)
            errors.extend(res.errors)
            _report_cache_problems(res.warnings, summary, cache_dir)
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
                pd.DataFrame(
                    errors + writer.rejects + article_parts.rejects, columns=["source", "reason"]
                ),
            ],
            ignore_index=True,
        )
        _write_parquet(arrow_safe(all_rejects.astype("object")), tmp / "rejects.parquet")
        summary.rejects = len(all_rejects)
        summary.seconds = time.perf_counter() - start
        files.write_text(tmp / "summary.json", json.dumps(summary.as_dict(), indent=2) + "\n")
        files.mark_output_folder(tmp, kind=STORE_KIND)
        files.swap_in(tmp, out)
    except OSError as exc:
        if _is_disk_full(exc):
            raise files.DiskFullError(
                exc.errno or errno.ENOSPC,
                f"{out}: no space left on the device while writing the feature store; "
                "the previous output is unchanged",
            ) from exc
        raise
    finally:
        if results is not None:
            results.close()  # ends the workers now if the run stopped early
        if bar is not None:
            bar.close()
        files.remove(tmp)
    return summary


def _report_cache_problems(
    warnings: list[tuple[str, int, str]], summary: ExtractSummary, cache_dir
) -> None:
    # One line per kind of problem for the whole run, however many articles or workers meet it.
    for kind, count, message in warnings:
        if kind not in summary.cache_problems:
            what = {
                "damaged": "a damaged entry is ignored and its article parsed again",
                "unreadable": "an unreadable entry is ignored and its article parsed again",
                "unwritable": "rows are not cached",
                "unstorable": "those rows are not cached",
            }.get(kind, "ignored")
            print(
                f"warning: feature cache {cache_dir}: {message}; {what} "
                "(further such cache warnings are not shown; see summary.json)",
                file=sys.stderr,
            )
        summary.cache_problems[kind] = summary.cache_problems.get(kind, 0) + count


def _write_parquet(frame: pd.DataFrame, path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)


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
    import pyarrow.parquet as pq

    names = set(pq.read_schema(next((tmp / "articles.parquet").glob("part-*.parquet"))).names)
    # Rows given by a caller rather than the loader may lack a published date.
    arts = pd.read_parquet(
        tmp / "articles.parquet", columns=[c for c in ("article_id", "published") if c in names]
    )
    if "published" not in arts.columns:
        arts["published"] = pd.NaT
    _write_parquet(actor_table(frame, arts), tmp / "actors.parquet")


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
    from analysis.corpus import column_options, iter_corpus, report_rejects

    tables = args.tables
    # What can be refused is refused before anything is read or any folder made.
    try:
        check_store_folder(args.output, option="-o", inputs=args.paths)
        available_extractors(tables)
        load_pipeline(args.model)
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
        )
    except files.DiskFullError as exc:
        raise CLIError(exc.strerror or str(exc)) from exc  # the message, without "[Errno 28]"
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


def _positive_int(value: str) -> int:
    """argparse type: a whole number of at least 1 (0 or a negative is bad usage, exit 2)."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, not {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {number}")
    return number


def _table_list(value: str) -> list[str] | None:
    """argparse type: comma-separated names of :data:`FEATURES`; an unknown name is bad usage."""
    names = [t for t, _ in FEATURES]
    wanted = [t.strip() for t in value.split(",") if t.strip()]
    unknown = [t for t in wanted if t not in names]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown feature table {', '.join(map(repr, unknown))}; choose from {', '.join(names)}"
        )
    return wanted or None


def register(subparsers) -> None:
    """Add the ``extract`` command."""
    from analysis.corpus import add_column_options

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
        type=_positive_int,
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
    p.add_argument(
        "--cache-dir", default=str(config.CACHE_DIR / "features"), help="per-article cache"
    )
    p.add_argument("--no-cache", action="store_true", help="parse everything, store nothing")
    p.add_argument(
        "--chunk-size", type=_positive_int, default=DEFAULT_CHUNK_SIZE, help="articles per task"
    )
    p.add_argument(
        "--part-size",
        type=_positive_int,
        default=DEFAULT_PART_SIZE,
        help="articles per Parquet part",
    )
    add_column_options(p)
    p.set_defaults(func=_cmd_extract)
