"""Writing feature tables as partitioned Parquet: parts that always write, schemas that agree."""

from __future__ import annotations

import contextlib
import errno
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from analysis import features, files
from analysis.tables import arrow_safe, json_text, needs_text, replace_surrogates

#: Longest error message kept in a rejects row (an exception may quote a whole article).
MAX_REASON = 500


def _reject_row(article: Mapping, reason: str) -> dict:
    if len(reason) > MAX_REASON:
        reason = reason[: MAX_REASON - 3] + "..."
    aid = article.get("article_id")
    return {"source": str(article.get("source") or aid), "reason": f"article {aid}: {reason}"}


def _error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


# --- writing --------------------------------------------------------------------------------------


def _is_disk_full(exc: OSError) -> bool:
    return isinstance(exc, files.DiskFullError) or exc.errno in (errno.ENOSPC, errno.EDQUOT)


#: Errors pyarrow raises for values it cannot convert or Parquet cannot hold (not disk errors).
def _conversion_errors() -> tuple[type[BaseException], ...]:
    import pyarrow as pa

    return (pa.ArrowException, ValueError, TypeError, OverflowError, NotImplementedError)


def _to_arrow(frame: pd.DataFrame, schema=None):
    """``frame`` as an Arrow table that Parquet can hold, or raise a conversion error.

    With ``schema`` (a feature table's, from the registry) the columns take its types, so every
    part of a table has the same schema whatever its values (an all-null column included).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
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

    def __init__(self, out: Path, dtypes: Mapping[str, Mapping[str, str]] | None = None):
        self.out = out
        # Per table, the pandas dtype of a column that is all missing in a part, so an undated
        # part (or store) still has a date column rather than Arrow's type of nothing.
        self.dtypes = dtypes or {}
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
            for name, dtype in self.dtypes.get(table, {}).items():
                if name in frame.columns and frame[name].isna().all():
                    frame[name] = frame[name].astype(dtype)
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
        schema = _declared_schema(table, frame)
        if schema is not None:
            try:
                return _to_arrow(frame, schema)
            except errors as exc:
                if isinstance(exc, OSError):
                    raise
            # Values the declared types cannot hold: written by the general rule below.
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
                self._write(table, _empty(table))
            else:
                _unify_parts(folder)


def _declared_schema(table: str, frame: pd.DataFrame):
    """The registry's schema of ``table`` when ``frame`` has exactly its columns, else None."""
    if table not in features.TABLES:
        return None
    schema = features.schema(table)
    return schema if list(frame.columns) == schema.names else None


def _empty(table: str) -> pd.DataFrame:
    """A table with no rows: its declared columns (typed when written), or just ``article_id``."""
    names = features.columns(table) if table in features.TABLES else ("article_id",)
    return pd.DataFrame({name: pd.Series(dtype=object) for name in names})


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
