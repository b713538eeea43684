"""Tables that any writer accepts: one type per column, valid UTF-8, nested values as JSON text.

Input metadata is whatever users have: a field that is a number in one record and a string in
the next, an empty object, an integer of 5,000 digits, a lone UTF-16 surrogate. pandas holds all
of that in an ``object`` column, but Parquet (Arrow) needs one type per column and valid UTF-8.
:func:`arrow_safe` makes a frame writable without dropping anything, by one documented rule:

- a column whose values share one kind (all strings, all numbers, all booleans, all dates) is
  left as it is;
- nested values (objects, arrays) become their JSON text;
- a column mixing kinds, or holding integers outside the 64-bit range, becomes strings: each
  string as it was, every other value as its JSON text (``1``, ``1.5``, ``true``, ``{}``);
- a lone surrogate (``\\ud800``, which UTF-8 cannot encode) becomes U+FFFD, one character for
  one, so character offsets into the text are unchanged.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Iterable
from typing import Any

import pandas as pd

_INT64 = (-(2**63), 2**63 - 1)
_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def replace_surrogates(text: str) -> str:
    """``text`` with every lone surrogate replaced by U+FFFD (same length, same offsets)."""
    return _SURROGATE_RE.sub("\ufffd", text) if _SURROGATE_RE.search(text) else text


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int" if _INT64[0] <= value <= _INT64[1] else "bigint"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "str"
    if isinstance(value, dict | list | tuple | set | frozenset):
        return "nested"
    if isinstance(value, dt.date | pd.Timestamp):
        return "date"
    if isinstance(value, bytes):
        return "bytes"
    if hasattr(value, "item") and callable(value.item):  # NumPy scalars
        return _kind(value.item())
    return "other"


def json_text(value: Any) -> str:
    """A value as text: strings as they are, everything else as JSON (non-JSON types via str)."""
    if isinstance(value, str):
        return replace_surrogates(value)
    if isinstance(value, set | frozenset):
        value = sorted(value, key=str)
    if isinstance(value, bytes):
        return value.decode("utf-8", "backslashreplace")
    try:
        return replace_surrogates(json.dumps(value, ensure_ascii=False, default=str))
    except (ValueError, RecursionError):  # NaN inside nested values, or too deep to encode
        return replace_surrogates(str(value))


def column_kinds(values: Iterable[Any]) -> set[str]:
    """The kinds (``str``, ``int``, ``number``, ``bool``, ``nested`` ...) of the non-null values."""
    return {_kind(v) for v in values if not _missing(v)}


def needs_text(kinds: set[str]) -> bool:
    """True when values of these kinds cannot share one Arrow column and must become text."""
    if kinds <= {"int", "number"}:
        return False
    return len(kinds) > 1 or bool(kinds & {"nested", "bigint", "bytes", "other"})


def arrow_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` with every ``object`` column writable to Parquet (see the module rule).

    Columns that already hold one kind are returned unchanged (the same values, the same
    dtype), so well-formed input is not altered; only mixed, nested or out-of-range columns,
    and strings with lone surrogates, are converted.
    """
    out = frame
    for name in frame.columns:
        col = frame[name]
        if col.dtype != object and not pd.api.types.is_string_dtype(col.dtype):
            continue
        kinds = column_kinds(col)
        if needs_text(kinds):
            new = col.map(lambda v: None if _missing(v) else json_text(v))
        elif kinds == {"str"}:
            if not col.map(lambda v: isinstance(v, str) and bool(_SURROGATE_RE.search(v))).any():
                continue
            new = col.map(lambda v: replace_surrogates(v) if isinstance(v, str) else v)
        else:
            continue
        if out is frame:
            out = frame.copy()
        out[name] = new.astype(object) if col.dtype == object else new.astype(col.dtype)
    return out


def input_name(name: str, *taken) -> str:
    """The name an input column keeps when an output column takes ``name``: ``input_``
    prefixed, again until it is free in every one of ``taken`` (the records' own columns, the
    output names). The one rule for metadata columns and the per-row commands' columns."""
    new = "input_" + name
    while any(new in t for t in taken):
        new = "input_" + new
    return new
