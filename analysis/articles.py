"""The articles table: its columns, unique ids, duplicate keys and the Arrow runs it is built from."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
import unicodedata
from array import array
from collections import Counter
from pathlib import Path

import pandas as pd

from analysis.inputs import _warn
from analysis.tables import column_kinds, json_text, needs_text
from analysis.writers import WRITE_BATCH

ARTICLE_COLUMNS = [
    "article_id",
    "source",
    "headline",
    "dateline",
    "dateline_text",
    "agency",
    "published",
    "text",
    "n_paragraphs",
    "n_words",
    "duplicate_of",
    "outlet",
    "encoding",
]
REJECT_COLUMNS = ["source", "reason"]


class _UniqueIds:
    """Unique article ids, first come first served, so the rule is the same in every order of use.

    A repeated id becomes ``ID~2``, ``ID~3``... taking the first suffix no article holds yet,
    so a renamed id never collides with an id given in the input (``g1``, ``g1``, ``g1~2``
    become ``g1``, ``g1~2``, ``g1~2~2``).
    """

    def __init__(self) -> None:
        self.taken: set[str] = set()
        self.next_suffix: dict[str, int] = {}

    def claim(self, article_id: str, source: str) -> str:
        if article_id not in self.taken:
            self.taken.add(article_id)
            return article_id
        k = self.next_suffix.get(article_id, 2)
        while f"{article_id}~{k}" in self.taken:
            k += 1
        self.next_suffix[article_id] = k + 1
        new = f"{article_id}~{k}"
        self.taken.add(new)
        _warn(f"{source}: duplicate id {article_id!r} renamed {new!r}")
        return new


_DIGITS_RE = re.compile(r"([0-9]+)")


def article_order(article_id: str) -> tuple:
    """The sort key of an article id: plain text order, but runs of digits compare as numbers.

    ``144`` sorts before ``13869`` and ``a2`` before ``a10``; everything else keeps the order of
    the text (``-0`` and `` 42`` before ``007``, digits before letters). A digit run is keyed
    ``("0", length, digits)`` and a text run ``(text, 0, "")``: a text run never starts with a
    digit, so the first item compares the two kinds as their first characters would, and a
    number is compared by length then digits rather than through ``int`` (no id is too long).
    The id itself breaks ties (``007`` and ``7``), so the order is total.
    """
    chunks = []
    for i, part in enumerate(_DIGITS_RE.split(article_id)):
        if i % 2:
            digits = part.lstrip("0")
            chunks.append(("0", len(digits), digits))
        elif part:
            chunks.append((part, 0, ""))
    return (tuple(chunks), article_id)


def _duplicate_key(text: str) -> bytes:
    return hashlib.sha1(normalised_text(text).encode("utf-8")).digest()


def _blank(value) -> bool:
    return value is None or value == "" or (isinstance(value, float) and math.isnan(value))


def _text(value) -> str:
    return value if isinstance(value, str) else json_text(value)


def _text_value(value) -> str | None:
    return None if _blank(value) else _text(value)


def normalised_text(text: str) -> str:
    """The text used to find exact duplicates: NFKC, whitespace runs (line ends too) folded to one space."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


# --- the articles table --------------------------------------------------------------------------

#: Arrow types of the article columns (metadata columns take the type of their values).
_COLUMN_TYPES = {
    c: "int64" if c in ("n_paragraphs", "n_words") else "string" for c in ARTICLE_COLUMNS
}
#: ``published`` is a timezone-naive timestamp (the day at midnight): ``datetime64[us]`` in
#: pandas, a Parquet TIMESTAMP that R arrow and DuckDB read as one.
_COLUMN_TYPES["published"] = "timestamp[us]"
#: The pandas dtype of ``published``.
PUBLISHED_DTYPE = "datetime64[us]"


def published_timestamp(iso_day: str | None) -> pd.Timestamp | None:
    """The ``published`` value of an ISO day (``2024-03-05``): midnight of that day, or None."""
    if iso_day is None:
        return None
    return pd.Timestamp(iso_day).as_unit("us")


def published_day(value) -> str | None:
    """The ISO text of a ``published`` value: ``YYYY-MM-DD`` for a day; None when missing.

    The loader's values are days (midnight); a timestamp with a time of day keeps it
    (``isoformat``), and text given by a caller rather than the loader (a month such as
    ``2010-05``) is returned as it is, so it keeps its meaning.
    """
    if value is None or isinstance(value, str):
        return value
    if pd.isna(value):  # NaN, NaT, pandas.NA
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    return value.isoformat() if isinstance(value, dt.date) else str(value)


class _ArticleTable:
    """Article rows gathered into Arrow runs, then read back sorted by ``article_id``.

    A run is :attr:`BATCH` rows sorted by id, as Arrow (the texts one UTF-8 copy, the rest
    compact) in memory or, given a ``spill`` folder, in an Arrow file there: a list of row
    dicts, then a DataFrame and its sorted copy, cost 20 times the input. Each run's columns
    are typed by their own values; :meth:`finish` settles each column over all runs by the rule
    of :func:`analysis.tables.arrow_safe` (values whose kinds disagree become text), and
    :meth:`sorted_slices` merges the runs, reading each once.
    """

    BATCH = 1000

    def __init__(self, spill: Path | None = None) -> None:
        self.spill = spill
        self.ids = _UniqueIds()
        self.row_ids: list[str] = []
        self.keys: list[bytes] = []
        self.signatures: dict[tuple, int] = {}
        self.row_signature = array("l")
        self.pos_in_run = array("l")  # row (input order) -> its place in its sorted run
        self.runs: list = []  # pa.Table, or the Path of its Arrow file
        self.run_info: list[dict[str, tuple]] = []  # name -> (type, numeric_text, null_count)
        self.pending: list[dict] = []
        self.cp1252: list[tuple[str, str]] = []
        self.schema = None

    def __len__(self) -> int:
        return len(self.row_ids)

    def add(self, row: dict) -> None:
        row["article_id"] = self.ids.claim(row["article_id"], row["source"])
        self.row_ids.append(row["article_id"])
        if row["encoding"] == "cp1252":  # reported by the command, in the table's order
            self.cp1252.append((row["article_id"], row["source"]))
        self.keys.append(_duplicate_key(row["text"]))
        sig = tuple(row)
        self.row_signature.append(self.signatures.setdefault(sig, len(self.signatures)))
        self.pending.append(row)
        if len(self.pending) >= self.BATCH:
            self._flush()

    def _flush(self) -> None:
        import pyarrow as pa

        rows, self.pending = self.pending, []
        if not rows:
            return
        perm = sorted(range(len(rows)), key=lambda i: article_order(rows[i]["article_id"]))
        rank = [0] * len(rows)
        for r, i in enumerate(perm):
            rank[i] = r
        self.pos_in_run.extend(rank)
        rows = [rows[i] for i in perm]
        arrays, info = {}, {}
        for name in dict.fromkeys(k for r in rows for k in r):
            values = [r.get(name) for r in rows]
            if name in _COLUMN_TYPES:
                arr, flag = pa.array(values, type=_COLUMN_TYPES[name]), None
            else:
                arr, flag = _batch_column(values)
            arrays[name] = arr
            info[name] = (arr.type, flag, arr.null_count)
        run = pa.table(arrays)
        if self.spill is not None:
            path = self.spill / f"run-{len(self.runs):06d}.arrow"
            with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, run.schema) as w:
                w.write_table(run)
            run = path
        self.runs.append(run)
        self.run_info.append(info)

    def finish(self) -> None:
        """Settle the column types, the sorted order, ``duplicate_of`` and the column order."""
        import pyarrow as pa

        self._flush()
        n = len(self.row_ids)
        keys = [article_order(i) for i in self.row_ids]
        self.order = sorted(range(n), key=keys.__getitem__)
        del keys
        # duplicate_of and the column order follow the sorted rows, as load_corpus always did.
        first: dict[bytes, str] = {}
        self.duplicate_of: list[str | None] = [None] * n
        extra: dict[str, None] = {}
        seen: set[int] = set()
        signatures = {i: sig for sig, i in self.signatures.items()}
        for i in self.order:
            key = self.keys[i]
            if key in first:
                self.duplicate_of[i] = first[key]
            else:
                first[key] = self.row_ids[i]
            sig = self.row_signature[i]
            if sig not in seen:
                seen.add(sig)
                extra.update(dict.fromkeys(k for k in signatures[sig] if k not in _COLUMN_TYPES))
        self.keys = []
        self.targets = {}
        for name in [*ARTICLE_COLUMNS, *extra]:
            infos = [info.get(name) for info in self.run_info]
            self.targets[name] = _column_target(name, infos, self.run_lengths())
        self.targets["duplicate_of"] = pa.null() if len(first) == n else pa.string()
        self.schema = pa.schema(
            [(name, t if t is not None else pa.string()) for name, t in self.targets.items()]
        )

    def run_lengths(self) -> list[int]:
        n, b = len(self.row_ids), self.BATCH
        return [min(b, n - start) for start in range(0, n, b)]

    def _run(self, i: int):
        import pyarrow as pa

        run = self.runs[i]
        if isinstance(run, Path):
            # Memory-mapped: only the rows sliced out are read, and nothing stays resident.
            return pa.ipc.open_file(pa.memory_map(str(run))).read_all()
        return run

    def sorted_slices(self, size: int | None = None):
        """Yield the articles as Arrow tables of ``size`` rows, sorted by ``article_id``."""
        import pyarrow as pa

        size = size or WRITE_BATCH
        next_pos = [0] * len(self.runs)
        for start in range(0, len(self.order), size):
            rows = self.order[start : start + size]
            counts = Counter(g // self.BATCH for g in rows)
            pieces, offset = [], {}
            # Each run is sorted like the whole: the rows a slice takes from it are the next ones.
            for run in sorted(counts):
                offset[run] = sum(p.num_rows for p in pieces) - next_pos[run]
                piece = self._run(run).slice(next_pos[run], counts[run])
                pieces.append(self._settle(piece))
                next_pos[run] += counts[run]
            joined = pa.concat_tables(pieces).combine_chunks()
            where = [offset[g // self.BATCH] + self.pos_in_run[g] for g in rows]
            part = joined.take(pa.array(where, type=pa.int64()))
            dup = pa.array(
                [self.duplicate_of[g] for g in rows], type=self.schema.field("duplicate_of").type
            )
            yield part.set_column(part.schema.get_field_index("duplicate_of"), "duplicate_of", dup)
        if not self.order:
            yield self.schema.empty_table()

    def _settle(self, piece):
        import pyarrow as pa

        arrays = []
        for field_ in self.schema:
            target = self.targets[field_.name]
            if field_.name not in piece.column_names or target == pa.null():
                arrays.append(pa.nulls(piece.num_rows, field_.type))
                continue
            arr = piece.column(field_.name).combine_chunks()
            if target is None:
                arrays.append(arr if arr.type == pa.string() else _arrow_text(arr))
            else:
                arrays.append(arr if arr.type == target else arr.cast(target))
        return pa.Table.from_arrays(arrays, schema=self.schema)

    def table(self):
        """All the articles as one sorted Arrow table (for :func:`load_corpus`)."""
        import pyarrow as pa

        parts = [b for part in self.sorted_slices() for b in part.to_batches()]
        return pa.Table.from_batches(parts, schema=self.schema)


def _column_target(name: str, infos: list, lengths: list[int]):
    """The Arrow type of one column over all runs (None: text, as the kinds disagree)."""
    import pyarrow as pa

    present = [(i, n) for i, n in zip(infos, lengths, strict=True) if i is not None]
    if name in _COLUMN_TYPES:
        if name != "published" and all(info[2] == n for info, n in present):
            return pa.null()  # no value at all, as a DataFrame of None always wrote it
        return pa.type_for_alias(_COLUMN_TYPES[name])
    kinds = {"numeric" if info[1] else info[0] for info, _ in present if info[0] != pa.null()}
    if kinds and kinds <= {pa.int64(), pa.float64(), "numeric"}:
        return pa.int64() if kinds == {pa.int64()} else pa.float64()
    if len(kinds) == 1:
        return next(iter(kinds))
    if not kinds:
        return pa.null()
    return None


def _batch_column(values: list) -> tuple:
    """One run of a metadata column as ``(arrow array, numeric_text)``.

    A run mixing integers and floats is kept as their JSON text with ``numeric_text`` set: it
    becomes floats if the whole column is numbers, and stays text (``1`` not ``1.0``) if the
    column also holds strings.
    """
    import pyarrow as pa

    if set(map(type, values)) <= {str, type(None)}:  # the common case, without a look per value
        kinds = {"str"} if any(v is not None for v in values) else set()
    else:
        kinds = column_kinds(values)
    if not kinds:
        return pa.nulls(len(values)), None
    if needs_text(kinds):
        return pa.array([_text_value(v) for v in values], type=pa.string()), None
    if kinds == {"int", "number"}:
        return pa.array([_text_value(v) for v in values], type=pa.string()), "numeric"
    types = {"str": pa.string(), "int": pa.int64(), "number": pa.float64(), "bool": pa.bool_()}
    kind = next(iter(kinds))
    try:
        return pa.array(values, type=types.get(kind), from_pandas=True), None
    except (pa.ArrowException, TypeError, ValueError, OverflowError):
        # Dates of several kinds (dates and times), or values Arrow cannot type: text.
        return pa.array([_text_value(v) for v in values], type=pa.string()), None


def _arrow_text(arr):
    import pyarrow as pa

    return pa.array([_text_value(v) for v in arr.to_pylist()], type=pa.string())


def _to_frame(table) -> pd.DataFrame:
    """The articles table as a DataFrame; integer metadata with gaps stays integers (``Int64``)."""
    import pyarrow as pa

    frame = table.to_pandas(
        types_mapper=lambda t: pd.Int64Dtype() if t == pa.int64() else None,
        split_blocks=True,
    )
    for name in frame.columns:
        if isinstance(frame[name].dtype, pd.Int64Dtype) and not frame[name].hasnans:
            frame[name] = frame[name].astype("int64")
    return frame


def _empty_articles() -> pd.DataFrame:
    return pd.DataFrame(
        {
            c: pd.Series(
                dtype={"int64": "int64", "timestamp[us]": PUBLISHED_DTYPE}.get(
                    _COLUMN_TYPES[c], object
                )
            )
            for c in ARTICLE_COLUMNS
        }
    )
