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

import errno
import hashlib
import importlib
import json
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis import config, features, files
from analysis.articles import PUBLISHED_DTYPE
from analysis.cache import FeatureCache, article_key, pipeline_key
from analysis.engines import _chunks, _run_dask, _run_local
from analysis.parts import _error_text, _is_disk_full, _PartWriter, _reject_row
from analysis.tables import arrow_safe

#: Feature tables in computation order (the registry, :mod:`analysis.features`, declares them).
FEATURES = features.TABLES
DEFAULT_PART_SIZE = config.DEFAULT_PART_SIZE
DEFAULT_CHUNK_SIZE = config.DEFAULT_CHUNK_SIZE
#: What the output folder's marker says wrote it (see :func:`analysis.files.mark_output_folder`).
STORE_KIND = "feature store"


# --- extractors -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Extractor:
    table: str
    func: Callable
    context: tuple[str, ...]  # names of earlier tables the function takes as keyword arguments


def available_extractors(tables: Iterable[str] | None = None) -> list[Extractor]:
    """The extractors of the registry (:data:`analysis.features.FEATURES`), or of ``tables``.

    An unknown table name is a ``ValueError`` listing the valid ones; an extractor that cannot
    be imported raises (a broken install fails loudly instead of leaving a table out).
    """
    return [Extractor(f.table, f.load(), f.needs) for f in features.select(tables)]


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
    workers: int | None = None,
    model: str | None = None,
    progress: bool | None = None,
    columns: Mapping[str, str | None] | None = None,
    actors=None,
    loaded=None,
) -> Path:
    """Return the feature store folder of ``corpus``, extracting what is not cached yet.

    The one call a notebook makes: the folder (under the cache directory) is named by the corpus
    paths, the record ``columns`` and the pipeline version, every article parsed once is read back
    from the per-article cache, and :func:`read_table` then reads any table from it. A store
    already filled from the same articles (same ids, texts and metadata) and the same actors
    file is returned as it is, so the notebooks of one report run fill it once. ``workers``
    ``None`` or 0 uses every core; ``columns`` are :func:`analysis.corpus.load_corpus`'s column
    keywords (``text_column`` ...); ``actors`` is the user's actors file
    (:func:`analysis.actors.read_actors_file`), by default a corpus folder's ``actors.csv``.
    ``loaded`` is ``(articles, rejects)`` as :func:`analysis.corpus.load_corpus` just returned
    them for the same corpus and ``columns``, so the corpus is not read twice.
    """
    return fill_feature_store(
        corpus,
        tables=tables,
        workers=workers,
        model=model,
        progress=progress,
        columns=columns,
        actors=actors,
        loaded=loaded,
    )[0]


def fill_feature_store(
    corpus: str | os.PathLike | Iterable[str | os.PathLike],
    *,
    tables: Iterable[str] | None = None,
    workers: int | None = None,
    model: str | None = None,
    progress: bool | None = None,
    columns: Mapping[str, str | None] | None = None,
    actors=None,
    loaded=None,
) -> tuple[Path, ExtractSummary | None]:
    """:func:`feature_store`, also returning the run's :class:`ExtractSummary` (``None`` when the
    store was already filled from the same articles and nothing ran)."""
    from analysis.actors import find_actors_file, read_actors_file
    from analysis.corpus import column_options, load_corpus, resolved_inputs

    paths = [corpus] if isinstance(corpus, str | os.PathLike) else list(corpus)
    resolved = resolved_inputs(paths)
    table_names = tuple(tables) if tables is not None else None
    chosen = column_options(columns)
    key = pipeline_key(model, table_names)
    name = hashlib.sha1(json.dumps([resolved, table_names, key, chosen]).encode()).hexdigest()[:16]
    out = config.CACHE_DIR / "stores" / name
    if loaded is None:
        loaded = load_corpus(paths, progress=progress, **chosen)
    articles, rejects = loaded
    if articles.empty:
        raise ValueError(f"no article loaded from {', '.join(resolved)}: {len(rejects)} rejected")
    if actors is None:
        actors = find_actors_file(paths)
    edits = read_actors_file(actors) if isinstance(actors, str | os.PathLike) else actors
    # What the store was filled from: every article column (ids, texts, metadata), the rejects
    # and the actors file's edits, so an edited, added or removed article or edit refills it.
    state = {
        "pipeline": key,
        "articles_format": ARTICLES_FORMAT,
        "articles_sha256": files.frame_digest(articles),
        "rejects_sha256": files.frame_digest(rejects),
        "actors_sha256": None if edits is None else files.digest(_edits_state(edits)),
    }
    if _filled_from(out, state):
        return out, None
    summary = extract_corpus(
        articles,
        out,
        rejects=rejects,
        workers=workers or None,
        model=model,
        tables=table_names,
        progress=progress,
        inputs=paths,
        actors=edits,
    )
    files.write_json(out / STATE_NAME, state)
    return out, summary


#: A feature store's record of what it was filled from (see :func:`fill_feature_store`).
STATE_NAME = "filled_from.json"
#: Version of the stored articles table's schema, part of the state: a store written by an
#: earlier version (``published`` as ISO text before version 2) is refilled, never misread.
#: The per-article cache keys on the ISO day, so a refill reads every article from the cache.
ARTICLES_FORMAT = 2


def _edits_state(edits) -> dict:
    return {
        "aliases": sorted(edits.aliases.items()),
        "drops": sorted(edits.drops),
        "labels": sorted(edits.labels.items()),
    }


def _filled_from(out: Path, state: Mapping) -> bool:
    try:
        return files.is_output_folder(out) and files.read_json(out / STATE_NAME) == state
    except (OSError, ValueError):
        return False


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
    tables = [*FEATURES, "articles", "actors", "rejects", "stories"]
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
    actors=None,
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
    actors : path or analysis.actors.ActorEdits, optional
        The user's actors file (:func:`analysis.actors.read_actors_file`), applied to the
        ``actors`` table only; it is read before any work, so a bad file fails early. The
        per-article cache does not depend on it: the actors table is built from the mentions.

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
    if actors is not None:
        from analysis.actors import ActorEdits, read_actors_file

        if not isinstance(actors, ActorEdits):
            actors = read_actors_file(actors)
    summary = ExtractSummary(pipeline=pipeline_key(model, table_names))
    out.parent.mkdir(parents=True, exist_ok=True)
    files.remove_stale(out)  # temporary folders of runs that were killed
    tmp = files.temp_sibling(out)
    start = time.perf_counter()
    rows_iter, total = _article_rows(articles)
    writer = _PartWriter(tmp)
    article_parts = _PartWriter(tmp, dtypes={"articles": {"published": PUBLISHED_DTYPE}})
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
        _write_actors(tmp, actors)
        # Syndicated copies grouped into stories (no parse needed; reads the articles just written).
        from analysis.stories import store_stories

        summary.tables["stories"] = len(store_stories(tmp))
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


def _write_actors(tmp: Path, actors=None) -> None:
    """The corpus-level actors table, from the mentions and articles just written."""
    from analysis.actors import actor_table

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
    _write_parquet(actor_table(frame, arts, actors=actors), tmp / "actors.parquet")
