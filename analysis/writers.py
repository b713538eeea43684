"""Writing tables to ``.jsonl``, ``.csv`` or ``.parquet``: atomically, one slice at a time."""

from __future__ import annotations

import csv
import json
import math
import os
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from analysis import config
from analysis.files import atomic_path
from analysis.tables import arrow_safe

# --- writing -------------------------------------------------------------------------------------

#: Rows written at a time: the writers hold one slice of the table, not a copy of all of it.
WRITE_BATCH = 2000
OUTPUT_SUFFIXES = config.TABLE_SUFFIXES


def write_table(frame: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write ``frame`` to ``.jsonl``, ``.csv`` or ``.parquet`` atomically (temporary file, rename).

    Any frame :func:`load_corpus` returns can be written in every format: columns go through
    :func:`analysis.tables.arrow_safe` first (a column whose values' kinds disagree is written
    as text).
    """
    import pyarrow as pa

    path = Path(path)
    _check_output_suffix(path)
    table = pa.Table.from_pandas(arrow_safe(frame), preserve_index=False)
    slices = (table.slice(start, WRITE_BATCH) for start in range(0, table.num_rows, WRITE_BATCH))
    return write_slices(table.schema, slices, path)


def _check_output_suffix(path: Path) -> None:
    if path.suffix.lower() not in OUTPUT_SUFFIXES:
        raise ValueError(
            f"{path}: unsupported output type {path.suffix.lower()!r}; use .jsonl, .csv or .parquet"
        )


def write_slices(schema, slices: Iterable, path: str | os.PathLike) -> Path:
    """Write Arrow tables of one ``schema``, one after another, to .jsonl, .csv or .parquet.

    Atomic (a temporary file beside ``path``, renamed at the end); memory holds one slice.
    """
    path = Path(path)
    _check_output_suffix(path)
    suffix = path.suffix.lower()
    with atomic_path(path) as tmp:
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            # No dictionary for the texts: nearly all differ, and the attempt costs memory.
            plain = [n for n in schema.names if n != "text"]
            with pq.ParquetWriter(tmp, schema, use_dictionary=plain) as writer:
                for part in slices:
                    writer.write_table(part)
        else:
            with open(tmp, "w", encoding="utf-8", newline="") as fh:
                if suffix == ".jsonl":
                    write_jsonl(schema, slices, fh)
                else:
                    _write_csv(schema, slices, fh)
    return path


def _json_default(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _published_as_text(schema):
    """A function writing a row's ``published`` timestamp as its ISO day, as text files always had it."""
    import pyarrow as pa

    # Imported here: analysis.articles imports this module.
    from analysis.articles import published_day

    if "published" not in schema.names or not pa.types.is_timestamp(schema.field("published").type):
        return lambda row: row  # any other column named so is written as it is

    def convert(row: dict) -> dict:
        row["published"] = published_day(row["published"])
        return row

    return convert


def write_jsonl(schema, slices: Iterable, fh) -> None:
    import pyarrow as pa

    floats = [f.name for f in schema if pa.types.is_floating(f.type)]
    published = _published_as_text(schema)
    for part in slices:
        lines = []
        for row in map(published, part.to_pylist()):
            for name in floats:  # JSON has no NaN or infinity
                value = row[name]
                if value is not None and not math.isfinite(value):
                    row[name] = None
            lines.append(json.dumps(row, ensure_ascii=False, default=_json_default))
        if lines:
            fh.write("\n".join(lines) + "\n")


def _csv_cell(value):
    return (
        value.isoformat() if hasattr(value, "isoformat") and not isinstance(value, str) else value
    )


def _write_csv(schema, slices: Iterable, fh) -> None:
    # Quoted as pandas does (only where needed), except that a row holding a bare carriage
    # return is quoted whole: the csv module would leave "a\rb" unquoted, splitting the row.
    minimal = csv.writer(fh, lineterminator="\n")
    quoted = csv.writer(fh, lineterminator="\n", quoting=csv.QUOTE_ALL)

    def write(values):
        bare_cr = any(isinstance(v, str) and "\r" in v for v in values)
        (quoted if bare_cr else minimal).writerow(values)

    write(schema.names)
    published = _published_as_text(schema)
    for part in slices:
        for row in map(published, part.to_pylist()):
            write([_csv_cell(v) for v in row.values()])
