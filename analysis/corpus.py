"""Corpus loading: articles and rejects tables from .txt folders, .jsonl, .csv and .parquet files.

A ``.txt`` file is one article in wire layout (headline line, dateline, paragraphs, trailing agency
tag), with its sub-folder in a ``folder`` column and, when a ``metadata.csv`` in its folder (or
above) names it, that row's date, outlet and other columns; a record of a
``.jsonl``/``.csv``/``.parquet`` file is one article whose ``text`` field is emitted unchanged,
so character offsets of every feature index into the input. Nothing is dropped silently: every
input that cannot be read (and every ``metadata.csv`` row that cannot be used) becomes a row of
the rejects table.

This module is the loader's public face; the work is done by :mod:`analysis.wire` (layout),
:mod:`analysis.inputs` (files), :mod:`analysis.records` (rows), :mod:`analysis.articles` (the
table) and :mod:`analysis.writers` (output), whose public names are re-exported here.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis import config
from analysis.articles import (
    ARTICLE_COLUMNS,
    REJECT_COLUMNS,
    _ArticleTable,
    _duplicate_key,
    _empty_articles,
    _to_frame,
    _UniqueIds,
    article_order,
    normalised_text,
)
from analysis.inputs import (
    OUTPUT_FOLDER_SKIPPED,
    RejectedInput,
    _open_regular,
    decode_bytes,
    display_path,
    iter_input_files,
)
from analysis.records import (
    MAX_NESTING,
    METADATA_FILE,
    RECORD_BATCH,
    USER_LIST_FILES,
    FileMetadata,
    _article_from_txt,
    _articles_from_records,
    _internal_error,
    read_folder_metadata,
)
from analysis.wire import (
    AGENCIES,
    Dateline,
    WireStructure,
    count_words,
    normalise_newlines,
    paragraph_spans,
    parse_dateline,
    parse_wire,
    published_date,
)
from analysis.writers import OUTPUT_SUFFIXES, WRITE_BATCH, write_jsonl, write_slices, write_table

# The loader's public names, wherever they live: ``from analysis.corpus import X`` keeps working.
__all__ = [
    "AGENCIES",
    "ARTICLE_COLUMNS",
    "DEFAULT_COLUMNS",
    "MAX_NESTING",
    "METADATA_FILE",
    "OUTPUT_FOLDER_SKIPPED",
    "OUTPUT_SUFFIXES",
    "RECORD_BATCH",
    "REJECT_COLUMNS",
    "WRITE_BATCH",
    "Dateline",
    "RejectedInput",
    "WireStructure",
    "article_order",
    "collect_corpus",
    "count_words",
    "decode_bytes",
    "display_path",
    "iter_corpus",
    "iter_input_files",
    "load_corpus",
    "normalise_newlines",
    "normalised_text",
    "paragraph_spans",
    "parse_dateline",
    "parse_wire",
    "published_date",
    "read_folder_metadata",
    "write_jsonl",
    "write_slices",
    "write_table",
]

#: Record columns recognised by default, in order of preference (see ``load_corpus``).
DEFAULT_COLUMNS = config.DEFAULT_COLUMNS

# --- loading -------------------------------------------------------------------------------------


@dataclass
class _Options:
    text_column: str | None = None
    id_column: str | None = None
    headline_column: str | None = None
    date_column: str | None = None
    outlet_column: str | None = None


def column_options(columns) -> dict:
    """The column options of :func:`load_corpus` that are set (``None`` values left out), sorted."""
    return {k: v for k, v in sorted((columns or {}).items()) if v is not None}


def resolved_inputs(paths) -> list[str]:
    """The corpus inputs as sorted absolute paths: what names one corpus whatever the folder."""
    return sorted(str(Path(p).resolve()) for p in paths)


def load_corpus(
    paths: str | os.PathLike | Iterable[str | os.PathLike],
    *,
    text_column: str | None = None,
    id_column: str | None = None,
    headline_column: str | None = None,
    date_column: str | None = None,
    outlet_column: str | None = None,
    progress: bool | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Load articles from any mix of ``.txt`` folders and ``.jsonl``/``.csv``/``.parquet`` files.

    Parameters
    ----------
    paths : path or iterable of paths
        Files and folders (walked recursively, in sorted order).
    text_column, id_column, headline_column, date_column, outlet_column : str, optional
        Record column names; by default the first present of ``text``/``body``/``content``,
        ``id``/``article_id``, ``headline``/``title``, ``published``/``date``, and
        ``outlet``/``source``. Every other column passes through as metadata; one named like
        an output column (``dateline``, ``source``...) comes back as ``input_<name>``. The date
        and outlet options also pick the columns of a folder's ``metadata.csv``.
    progress : bool, optional
        Show a progress bar on stderr; by default when there are many files.

    Returns
    -------
    articles : DataFrame
        One row per article (columns :data:`ARTICLE_COLUMNS`, then ``folder`` for ``.txt``
        files, metadata and ``published_raw``), sorted by ``article_id`` in natural order
        (:func:`analysis.articles.article_order`). ``article_id`` is text as given;
        ``published`` a timezone-naive ``datetime64`` column (midnight of the day, ``NaT`` when unknown). Exact duplicates are kept and point at the first copy in ``duplicate_of``.
        Every column can be written to Parquet, JSONL and CSV (see :func:`analysis.tables.arrow_safe`).
    rejects : DataFrame
        One row per rejected input with ``source`` (file, with line or row) and ``reason``.
    """
    opts = _Options(text_column, id_column, headline_column, date_column, outlet_column)
    collected, rejects = _collect(paths, opts, progress)
    articles = _to_frame(collected.table()) if len(collected) else _empty_articles()
    return articles, _rejects_frame(rejects)


def iter_corpus(
    paths: str | os.PathLike | Iterable[str | os.PathLike],
    *,
    rejects: list[dict] | None = None,
    progress: bool | None = None,
    **columns: str | None,
) -> Iterator[dict]:
    """Stream the articles of ``paths`` one row at a time, for corpora too large for memory.

    The same rows as :func:`load_corpus`, in input order (files sorted, records in file order)
    rather than sorted by ``article_id``; ids are made unique by the same rule and
    ``duplicate_of`` points at the earlier copy as the stream goes. Metadata values are as
    read (nested values as JSON text): a column whose values' types disagree is made text by
    the writer. Rejected inputs are appended to ``rejects``. Memory holds one record batch,
    and an id and a hash per article seen.
    """
    opts = _Options(**{k: columns.get(k) for k in DEFAULT_COLUMNS})
    rejects = rejects if rejects is not None else []
    ids = _UniqueIds()
    first: dict[bytes, str] = {}
    for row in _iter_rows(paths, rejects, opts, progress):
        row["article_id"] = ids.claim(row["article_id"], row["source"])
        key = _duplicate_key(row["text"])
        if key in first:
            row["duplicate_of"] = first[key]
        else:
            first[key] = row["article_id"]
        yield row


def _iter_rows(paths, rejects: list[dict], opts: _Options, progress: bool | None) -> Iterator[dict]:
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    paths = list(paths)
    inputs = list(iter_input_files(paths))
    inputs, described = _folder_metadata(inputs, {Path(p) for p in paths}, opts, rejects)
    show = progress if progress is not None else len(inputs) >= config.PROGRESS_MIN_ITEMS
    iterator: Iterable = inputs
    if show:
        from tqdm.auto import tqdm

        iterator = tqdm(inputs, desc="loading", unit="file", file=sys.stderr)
    for path, problem, root in iterator:
        src = display_path(path)
        if problem:
            rejects.append({"source": src, "reason": problem})
            continue
        try:
            if path.suffix.lower() == ".txt":
                with _open_regular(path) as fh:
                    data = fh.read()
                yield _article_from_txt(path, src, root, data, described.find(path, root))
            else:
                yield from _articles_from_records(path, src, opts, rejects)
        except RejectedInput as exc:
            rejects.append({"source": src, "reason": str(exc)})
        except OSError as exc:
            rejects.append({"source": src, "reason": f"unreadable: {exc.strerror or exc}"})
        except Exception as exc:  # a bug must not cost the user the other files: report it
            rejects.append({"source": src, "reason": _internal_error(exc)})
    rejects.extend(described.unused())


class _Described:
    """The ``metadata.csv`` rows of a corpus's folders, found for each ``.txt`` file."""

    def __init__(self) -> None:
        self.by_folder: dict[Path, tuple[str, dict[str, FileMetadata]]] = {}
        self.used: set[str] = set()

    def find(self, path: Path, root: Path) -> FileMetadata | None:
        """The row describing ``path``: from the nearest ``metadata.csv`` (up to ``root``) naming it."""
        folder = path.parent
        while True:
            if folder in self.by_folder:
                row = self.by_folder[folder][1].get(path.relative_to(folder).as_posix())
                if row is not None:
                    self.used.add(row.source)
                    return row
            if folder == root or folder == folder.parent or not folder.is_relative_to(root):
                return None
            folder = folder.parent

    def unused(self) -> list[dict]:
        """A reject per row naming no ``.txt`` file of the corpus: its metadata was not used."""
        return [
            {
                "source": row.source,
                "reason": f"row {row.source.rpartition(':')[2]}: no .txt file {name!r} beside "
                f"{src}; the row is not used",
            }
            for src, rows in self.by_folder.values()
            for name, row in rows.items()
            if row.source not in self.used
        ]


def _folder_metadata(inputs: list, given: set[Path], opts: _Options, rejects: list[dict]):
    """Split the ``metadata.csv`` files found in walked folders from the corpus inputs.

    A ``metadata.csv`` given by name is a corpus file like any ``.csv``; one found in a folder
    describes the ``.txt`` files below it (see :func:`analysis.records.read_folder_metadata`).
    """
    described = _Described()
    corpus = []
    for path, problem, root in inputs:
        if path.name in USER_LIST_FILES and path.parent == root and path not in given:
            # The folder's actors file or stop words (records.user_list_files): not articles.
            continue
        if path.name != METADATA_FILE or path in given:
            corpus.append((path, problem, root))
            continue
        src = display_path(path)
        if problem:
            rejects.append({"source": src, "reason": problem})
            continue
        try:
            described.by_folder[path.parent] = (src, read_folder_metadata(path, src, opts, rejects))
        except RejectedInput as exc:
            rejects.append({"source": src, "reason": f"{exc}; its metadata is not used"})
        except OSError as exc:
            rejects.append({"source": src, "reason": f"unreadable: {exc.strerror or exc}"})
    return corpus, described


def _reject_order(reject: dict) -> tuple[str, int]:
    # Rejects of one file in line order: "file.jsonl:12" sorts after "file.jsonl:3".
    source = reject["source"]
    head, _, tail = source.rpartition(":")
    return (head, int(tail)) if tail.isdigit() and head else (source, 0)


def _rejects_frame(rejects: list[dict]) -> pd.DataFrame:
    rejects.sort(key=_reject_order)
    return pd.DataFrame(rejects, columns=REJECT_COLUMNS).astype("object")


def _collect(
    paths, opts: _Options, progress: bool | None, spill: Path | None = None
) -> tuple[_ArticleTable, list[dict]]:
    rejects: list[dict] = []
    collected = _ArticleTable(spill)
    for row in _iter_rows(paths, rejects, opts, progress):
        collected.add(row)
    collected.finish()
    return collected, rejects


def collect_corpus(paths, *, spill: Path | None = None, progress: bool | None = None, **columns):
    """Stream ``paths`` into Arrow runs (spilled to the ``spill`` folder) without a DataFrame.

    Returns ``(table, rejects)``: ``table`` has ``len()``, ``schema``, ``sorted_slices()`` (for
    :func:`write_slices` and :func:`write_jsonl`) and ``cp1252`` (the ``(id, source)`` pairs decoded
    as cp1252); ``rejects`` is the rejects frame :func:`load_corpus` returns. This is the ``load``
    command's path: peak memory stays a small multiple of the input even for a large file.
    """
    collected, rejects = _collect(paths, _Options(**columns), progress, spill=spill)
    return collected, _rejects_frame(rejects)
