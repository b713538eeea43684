"""Row files of the per-row commands (`sentiment`, `target-sentiment`): JSONL or CSV in and out.

One reader (:func:`read_rows`), one writer (:func:`write_rows`) and one driver
(:func:`run_rows`) serve both commands, so they treat input the same way:

- **every input column comes back as written**. In JSONL each value keeps its JSON text: the
  number ``1e5`` stays ``1e5``, ``1.0`` stays ``1.0``, a 5,000-digit integer stays whole,
  ``true`` stays ``true`` and a string stays a string, escapes included. In CSV each value keeps
  its text (``007``, ``1e3``, `` 42``). From JSONL to CSV a string is written as its text, null
  as an empty field and any other value as its JSON text; from CSV to JSONL every value is a
  JSON string;
- **one bad row never costs the file**: a row that cannot be read (not JSON, not UTF-8, nested
  too deeply, a key twice, the wrong number of CSV fields) or cannot be scored is *rejected*,
  listed as ``rejected: FILE:LINE: reason`` on stderr (and in ``--rejects FILE``), and every
  other row is processed;
- **a lone surrogate** (``"\\ud800"``, which UTF-8 cannot encode) in the scored text is scored as
  U+FFFD, one character for one so offsets stay valid, with a warning; the column itself comes
  back as written in JSONL (the escape), and as U+FFFD in CSV, which is UTF-8 text;
- **outputs are atomic** (:func:`analysis.files.atomic_path`): an interrupted or failed run
  leaves the previous output as it was; the output may not be the input.

Exit codes of :func:`run_rows`: 0 when at least one row was written, 1 when none was (or the
file cannot be read at all), 2 for bad usage.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

from analysis.files import DiskFullError, atomic_path
from analysis.tables import input_name, replace_surrogates

SUFFIXES = (".jsonl", ".csv")
#: Rejected rows and warnings shown on stderr before the rest are only counted (--rejects keeps all).
MAX_SHOWN = 1000
#: Rows scored per call of the command's score function (progress is reported between calls).
CHUNK_SIZE = 1000
#: Seconds between progress lines.
PROGRESS_EVERY = 5.0
#: Characters of a bad value quoted in a message.
SHOWN_CHARS = 40

_SURROGATE_RE = re.compile("[\ud800-\udfff]")
#: Bytes that are not UTF-8, as decoded with errors="surrogateescape".
_ESCAPED_BYTE_RE = re.compile("[\udc80-\udcff]")
_WS_RE = re.compile(r"[ \t\n\r]*")
_NUMBER_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# One encoder for every value written: json.dumps with options builds a new one per call.
_encode = json.JSONEncoder(ensure_ascii=False, allow_nan=False).encode


class RowError(ValueError):
    """Why one row is rejected (the driver adds the file and line)."""


# Rows are tuples and dicts of strings and Decimals, not class instances, for speed: CPython's
# garbage collector stops watching those but watches every class instance, and on a file of
# 20,000 rows its full passes over them cost as much as reading and scoring the file.


def _number(text: str) -> Decimal | float:
    """A JSON number's exact value; its text as written is kept beside it (``Row.raws``).

    Python's ``NaN``/``Infinity`` extensions give Decimal's; an exponent beyond Decimal's range
    (``1e99999999999999999999``) gives a float (inf or 0.0): only its text is used then.
    """
    try:
        return Decimal(text)
    except InvalidOperation:
        return float(text)


class Field(NamedTuple):
    """One column of one row: its value and, for JSONL, the JSON text it was written as.

    ``value`` is a str for CSV; for JSONL it is what the JSON holds, with every number a
    ``decimal.Decimal``. ``raw`` is the JSON text as written (None for CSV).
    """

    value: Any
    raw: str | None = None

    @property
    def json(self) -> str:
        """The value as JSON text: as written, else the CSV text as a JSON string."""
        if self.raw is not None:
            return self.raw
        return _encode(self.value)

    @property
    def text(self) -> str:
        """The value as CSV text: a string as it is, null as empty, else its JSON text."""
        if isinstance(self.value, str):
            return self.value
        if self.value is None:
            return ""
        return self.json


class Row(NamedTuple):
    """One input row: where it is in the file and its columns in file order.

    ``values`` maps each column to its value (see :class:`Field`); ``raws`` to the JSON text
    it was written as and ``keys`` to the JSON text of its name (JSONL only; empty for CSV).
    """

    line: int
    end_line: int
    values: dict[str, Any]
    raws: dict[str, str]
    keys: Mapping[str, str] = MappingProxyType({})

    def field(self, name: str) -> Field | None:
        """The column ``name`` as a :class:`Field`, or None when the row has no such column."""
        if name not in self.values:
            return None
        return Field(self.values[name], self.raws.get(name))

    def set_values(self, values: Mapping[str, Any]) -> Row:
        """Add ``values`` (JSON-serialisable) to this row and return it.

        An input column named like a new one is kept, in its place, under the name
        :func:`input_name` gives (``label`` -> ``input_label``), so a user's own ``label`` or
        ``compound`` column is never overwritten. In place when nothing is renamed, so scoring a
        large file does not double its rows.
        """
        row = self
        if any(name in self.values for name in values):
            names = {n: input_name(n, self.values, values) for n in values if n in self.values}
            row = self._replace(
                values={names.get(k, k): v for k, v in self.values.items()},
                raws={names.get(k, k): v for k, v in self.raws.items()},
                keys=MappingProxyType(
                    {
                        names.get(k, k): json.dumps(names[k]) if k in names else v
                        for k, v in self.keys.items()
                    }
                )
                if self.keys
                else self.keys,
            )
        row.values.update(values)
        for name, value in values.items():
            row.raws[name] = _encode(value)
        return row


@dataclasses.dataclass(frozen=True)
class Note:
    """A rejected row or a warning: the lines it covers and the message."""

    line: int
    end_line: int
    message: str


@dataclasses.dataclass
class RowFile:
    """What :func:`read_rows` found: the rows it could read and the rejected ones."""

    path: Path
    format: str
    columns: list[str]
    rows: list[Row]
    rejects: list[Note]


def _cli_error(message: str) -> Exception:
    from analysis.cli import CLIError

    return CLIError(message)


def shown(text: str) -> str:
    """``text`` cut to :data:`SHOWN_CHARS` characters for a message (surrogates made printable)."""
    text = replace_surrogates(text)
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 3] + "..."


# --- reading -------------------------------------------------------------------------------------


def read_rows(path: str | os.PathLike) -> RowFile:
    """Read a ``.jsonl`` or ``.csv`` file row by row, rejecting the rows that cannot be read.

    Parameters
    ----------
    path : path
        A JSONL file (one JSON object per line; blank lines are skipped) or a CSV file with a
        header, in UTF-8 (a UTF-8 BOM is allowed).

    Returns
    -------
    RowFile
        The rows (every value as written, see the module notes) and the rejects, each with its
        line number (for CSV, the first line of the record).

    Raises
    ------
    analysis.cli.CLIError
        When the file as a whole cannot be read: missing, not a file, another type, UTF-16, or
        a CSV header that is not valid UTF-8 or names a column twice.
    """
    path = Path(path)
    if not path.exists():
        raise _cli_error(f"{path}: no such file")
    if not path.is_file():
        raise _cli_error(f"{path}: is not a file")
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise _cli_error(f"{path}: unsupported input type {suffix or '(none)'}; use .jsonl or .csv")
    try:
        with path.open("rb") as fh:
            if fh.read(2) in _UTF16_BOMS:
                raise _cli_error(
                    f"{path}: is UTF-16 text; the per-row commands read UTF-8 (save it as UTF-8)"
                )
        return _read_jsonl(path) if suffix == ".jsonl" else _read_csv(path)
    except OSError as exc:
        raise _cli_error(f"{path}: cannot read ({exc.strerror or exc})") from None


def _read_jsonl(path: Path) -> RowFile:
    rows: list[Row] = []
    rejects: list[Note] = []
    columns: dict[str, None] = {}
    with path.open("rb") as fh:
        for lineno, data in enumerate(fh, 1):
            try:
                line = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                rejects.append(
                    Note(lineno, lineno, f"not UTF-8 text (byte {exc.start + 1} of the line)")
                )
                continue
            if lineno == 1:
                line = line.removeprefix("\ufeff")
            if not line.strip():
                continue
            try:
                keys, values, raws = parse_record(line)
            except RowError as exc:
                rejects.append(Note(lineno, lineno, str(exc)))
                continue
            columns.update(dict.fromkeys(values))
            rows.append(Row(lineno, lineno, values, raws, keys))
    return RowFile(path, "jsonl", list(columns), rows, rejects)


_DECODER = json.JSONDecoder(parse_int=_number, parse_float=_number, parse_constant=_number)
_scanstring = json.decoder.scanstring


def parse_record(line: str) -> tuple[dict[str, str], dict[str, Any], dict[str, str]]:
    """Parse one JSONL line into its columns, each with the JSON text it was written as.

    Hand-written for the top level only, because the json module gives values but not the text
    they came from; every value is parsed by the json module itself (so exactly what
    ``json.loads`` accepts is accepted), with numbers as exact ``decimal.Decimal``.

    Returns
    -------
    tuple of (dict, dict, dict)
        Column name to: the JSON text of the name, the value (numbers as ``Decimal``),
        the JSON text of the value.

    Raises
    ------
    RowError
        When the line is not JSON, not an object, names a key twice, or is nested too deeply
        for Python's JSON parser.
    """
    try:
        return _parse_object(line)
    except json.JSONDecodeError as exc:
        raise RowError(f"not valid JSON ({exc.msg} at column {exc.colno})") from None
    except RecursionError:
        raise RowError("not readable: nested deeper than Python's JSON parser allows") from None


_SCAN = _DECODER.scan_once  # the C scanner: (value, end) for the value starting at an index
_SKIP = _WS_RE.match
_WS = " \t\n\r"


def _parse_object(line: str) -> tuple[dict[str, str], dict[str, Any], dict[str, str]]:
    # Whitespace is skipped with a test before the regex, as json.decoder does: most JSONL has
    # one space or none between tokens, and this loop runs for every column of every row.
    pos = _SKIP(line, 0).end()
    if not line.startswith("{", pos):
        value = _DECODER.decode(line)  # raises for broken lines; else it is some other value
        kind = {list: "an array", str: "a string", type(None): "null", bool: "a boolean"}.get(
            type(value), "a number"
        )
        raise RowError(f"a record must be a JSON object, got {kind}")
    keys: dict[str, str] = {}
    values: dict[str, Any] = {}
    raws: dict[str, str] = {}
    pos = _SKIP(line, pos + 1).end()
    if line.startswith("}", pos):
        pos += 1
    else:
        while True:
            if not line.startswith('"', pos):
                raise json.JSONDecodeError(
                    "Expecting property name enclosed in double quotes", line, pos
                )
            key, end = _scanstring(line, pos + 1, True)
            if key in values:
                raise RowError(f"the key {shown(key)!r} appears twice")
            keys[key] = line[pos:end]
            if line[end : end + 1] in _WS:
                end = _SKIP(line, end).end()
            if not line.startswith(":", end):
                raise json.JSONDecodeError("Expecting ':' delimiter", line, end)
            pos = end + 1
            if line[pos : pos + 1] in _WS:
                pos = _SKIP(line, pos).end()
            try:
                value, end = _SCAN(line, pos)
            except StopIteration as exc:
                raise json.JSONDecodeError("Expecting value", line, exc.value) from None
            values[key] = value
            raws[key] = line[pos:end]
            if line[end : end + 1] in _WS:
                end = _SKIP(line, end).end()
            sep = line[end : end + 1]
            pos = end + 1
            if sep == "}":
                break
            if sep != ",":
                raise json.JSONDecodeError("Expecting ',' delimiter", line, end)
            if line[pos : pos + 1] in _WS:
                pos = _SKIP(line, pos).end()
    if _SKIP(line, pos).end() != len(line):
        raise json.JSONDecodeError("Extra data", line, pos)
    return keys, values, raws


class _CSVLimit:
    """Lift the csv module's 128 KiB field limit while reading (a long article is one field)."""

    def __enter__(self):
        self.previous = csv.field_size_limit()
        csv.field_size_limit(min(sys.maxsize, 2**31 - 1))

    def __exit__(self, *exc):
        csv.field_size_limit(self.previous)


def _read_csv(path: Path) -> RowFile:
    rows: list[Row] = []
    rejects: list[Note] = []
    header: list[str] | None = None
    # surrogateescape keeps bytes that are not UTF-8 as U+DC80..U+DCFF, so the row holding
    # them is rejected alone instead of the whole file failing to decode.
    with path.open(encoding="utf-8-sig", errors="surrogateescape", newline="") as fh, _CSVLimit():
        # strict: a malformed quote rejects its record instead of being silently repaired.
        reader = csv.reader(fh, strict=True)
        last = 0
        while True:
            first = last + 1
            try:
                record = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                last = reader.line_num
                span = f" (lines {first}-{last})" if last > first else ""
                rejects.append(Note(first, last, f"malformed CSV: {exc}{span}"))
                continue
            last = reader.line_num
            if not record:
                continue
            if header is None:
                header = record
                if any(_ESCAPED_BYTE_RE.search(name) for name in header):
                    raise _cli_error(f"{path}:{first}: the header is not UTF-8 text")
                twice = sorted({n for n in header if header.count(n) > 1})
                if twice:
                    raise _cli_error(
                        f"{path}:{first}: the header names column(s) {', '.join(map(repr, twice))} "
                        "more than once"
                    )
                continue
            if len(record) != len(header):
                rejects.append(
                    Note(first, last, f"has {len(record)} fields; the header has {len(header)}")
                )
                continue
            if any(_ESCAPED_BYTE_RE.search(value) for value in record):
                rejects.append(Note(first, last, "not UTF-8 text"))
                continue
            rows.append(Row(first, last, dict(zip(header, record, strict=True)), {}))
    return RowFile(path, "csv", header or [], rows, rejects)


# --- writing -------------------------------------------------------------------------------------


def write_rows(
    path: str | os.PathLike, rows: Sequence[Row], *, columns: Sequence[str] = ()
) -> list[Note]:
    """Write rows as JSONL or CSV (by the suffix of ``path``), atomically.

    Parameters
    ----------
    path : path
        ``.jsonl`` or ``.csv``; replaced only when the whole file is written.
    rows : sequence of Row
        Rows as read (with :meth:`Row.set_values` applied); every value is written as it was
        read (see the module notes).
    columns : sequence of str
        CSV columns that come first, in this order (the input's header); columns of the rows
        that are not among them follow in order of first appearance.

    Returns
    -------
    list of Note
        Warnings: values with lone surrogates written to CSV as U+FFFD.

    Raises
    ------
    analysis.cli.CLIError
        When the file cannot be written (a full disk says so); the previous file is unchanged.
    """
    path = Path(path)
    warnings: list[Note] = []
    try:
        with atomic_path(path) as tmp, tmp.open("w", encoding="utf-8", newline="") as fh:
            if path.suffix.lower() == ".jsonl":
                for row in rows:
                    fh.write(_json_line(row) + "\n")
            else:
                _write_csv(fh, rows, columns, warnings)
    except DiskFullError as exc:
        raise _cli_error(exc.strerror) from None
    except OSError as exc:
        raise _cli_error(f"{path}: cannot write ({exc.strerror or exc})") from None
    return warnings


def _json_line(row: Row) -> str:
    keys, raws = row.keys, row.raws
    parts = (
        f"{keys.get(name) or _encode(name)}: {raws[name] if name in raws else _encode(value)}"
        for name, value in row.values.items()
    )
    return "{" + ", ".join(parts) + "}"


def _write_csv(fh: io.TextIOBase, rows: Sequence[Row], columns, warnings: list[Note]) -> None:
    names = list(dict.fromkeys([*columns, *(n for row in rows for n in row.values)]))
    writer = csv.writer(fh)
    header = [replace_surrogates(n) for n in names]
    if header != names:
        warnings.append(Note(0, 0, "column names with lone surrogates written with U+FFFD"))
    writer.writerow(header)
    for row in rows:
        values = []
        for name in names:
            field = row.field(name)
            text = "" if field is None else field.text
            if _SURROGATE_RE.search(text):
                text = replace_surrogates(text)
                warnings.append(
                    Note(
                        row.line,
                        row.end_line,
                        f"{shown(name)!r} has lone surrogates; written to CSV as U+FFFD",
                    )
                )
            values.append(text)
        writer.writerow(values)


def write_rejects(path: str | os.PathLike, source: Path, rejects: Iterable[Note]) -> None:
    """Write rejected rows (``source``, ``line``, ``end_line``, ``reason``) as JSONL or CSV."""
    rows = [
        Row(
            n.line,
            n.end_line,
            {
                "source": replace_surrogates(str(source)),
                "line": n.line,
                "end_line": n.end_line,
                "reason": n.message,
            },
            {"line": str(n.line), "end_line": str(n.end_line)},
        )
        for n in rejects
    ]
    write_rows(path, rows, columns=("source", "line", "end_line", "reason"))


# --- the per-row commands ------------------------------------------------------------------------


def text_value(row: Row, column: str, warn: Callable[[str], None], *, null: str | None) -> str:
    """The text to score from ``column``: a string, lone surrogates replaced (with a warning).

    Parameters
    ----------
    row : Row
    column : str
    warn : callable
        Receives the warning when lone surrogates are replaced by U+FFFD (same length, so
        character offsets into the text stay valid).
    null : str or None
        What a JSON null stands for; None rejects it.

    Raises
    ------
    RowError
        When the column is missing, or holds anything but a string (or an allowed null).
    """
    field = row.field(column)
    if field is None:
        raise RowError(f"no {shown(column)!r} column")
    value = field.value
    if value is None and null is not None:
        return null
    if not isinstance(value, str):
        raise RowError(f"{shown(column)!r} must be a string, got {shown(field.json)}")
    if _SURROGATE_RE.search(value):
        warn(f"{shown(column)!r} has lone surrogates; scored with U+FFFD in their place")
        return replace_surrogates(value)
    return value


def whole_number(field: Field, column: str, limit: int) -> int:
    """An offset column's value as an int in ``0..limit``: a JSON integer, a number with no
    fraction (``20.0``), or a text of one (``"20"``, as CSV holds it).

    Raises
    ------
    RowError
        For anything else (``NaN``, ``Infinity``, ``3.5``, ``"x"``, true, null), or a value
        outside ``0..limit``; the message quotes the value as written.
    """
    value = field.value
    literal = None
    if isinstance(value, Decimal | float) and field.raw is not None:
        literal = field.raw  # a JSON number: its text as written
    elif isinstance(value, str) and _NUMBER_RE.fullmatch(value.strip()):
        literal = value.strip()
    if literal is None:
        raise RowError(f"{column} must be an integer, got {shown(field.json)}")
    try:
        number = Decimal(literal)
    except InvalidOperation:  # an exponent beyond Decimal's range: 1e99999999999999999999
        raise RowError(
            f"{column} {shown(literal)} is not a whole number within the text (length {limit})"
        ) from None
    if not number.is_finite() or number != number.to_integral_value():
        raise RowError(f"{column} must be an integer, got {shown(field.json)}")
    if not 0 <= number <= limit:
        raise RowError(
            f"{column} {shown(field.text)} is outside the text (length {limit}); "
            "need 0 <= target_start < target_end <= len(text)"
        )
    return int(number)


def _same_file(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return Path(os.path.abspath(a)).resolve() == Path(os.path.abspath(b)).resolve()


def _usage_problem(src: Path, dst: Path, rejects: Path | None) -> str | None:
    for option, path in (("-o", dst), ("--rejects", rejects)):
        if path is not None and path.suffix.lower() not in SUFFIXES:
            return f"{path}: {option} must name a .jsonl or .csv file"
    if _same_file(src, dst):
        return (
            f"{dst}: the output is the input file; choose another -o (the input is never replaced)"
        )
    if rejects is not None:
        if _same_file(src, rejects):
            return f"{rejects}: --rejects is the input file; choose another"
        if _same_file(dst, rejects):
            return f"{rejects}: --rejects is the output file; choose another"
    return None


def _show(src: Path, kind: str, notes: Sequence[Note], hint: str) -> None:
    """Print rejects or warnings in line order, the first :data:`MAX_SHOWN` of them."""
    for note in sorted(notes, key=lambda n: n.line)[:MAX_SHOWN]:
        where = f"{src}:{note.line}" if note.line else f"{src}"
        print(f"{kind}: {where}: {note.message}", file=sys.stderr)
    if len(notes) > MAX_SHOWN:
        print(f"{kind}: {src}: {len(notes) - MAX_SHOWN} more not shown{hint}", file=sys.stderr)


def _finite(values: Mapping[str, Any]) -> bool:
    return all(not isinstance(v, float) or math.isfinite(v) for v in values.values())


def _score_chunks(
    items: list[tuple[Row, Any]],
    score: Callable[[list[Any]], list[dict]],
    src: Path,
    what: str,
    rejects: list[Note],
) -> list[Row]:
    scored: list[Row] = []
    started = last = time.monotonic()
    for lo in range(0, len(items), CHUNK_SIZE):
        chunk = items[lo : lo + CHUNK_SIZE]
        try:
            results = [
                (row, values)
                for (row, _), values in zip(chunk, score([i for _, i in chunk]), strict=True)
            ]
        except (OSError, ImportError) as exc:
            # A missing model or runtime fails every row alike: report it once.
            raise _cli_error(f"{src}: cannot score: {exc}") from None
        except Exception:
            # Find the rows that break scoring and reject only them.
            results = []
            for row, item in chunk:
                try:
                    results.append((row, score([item])[0]))
                except (OSError, ImportError) as exc:
                    raise _cli_error(f"{src}: cannot score: {exc}") from None
                except Exception as exc:
                    reason = f"cannot be scored ({type(exc).__name__}: {shown(str(exc))})"
                    rejects.append(Note(row.line, row.end_line, reason))
        for row, values in results:
            if _finite(values):
                scored.append(row.set_values(values))
            else:
                rejects.append(
                    Note(row.line, row.end_line, "scoring gave a value that is not finite")
                )
        now = time.monotonic()
        done = min(lo + CHUNK_SIZE, len(items))
        if done < len(items) and now - last >= PROGRESS_EVERY:
            rate = done / max(now - started, 1e-9)
            print(f"{src}: scored {done}/{len(items)} {what} ({rate:.0f}/s)", file=sys.stderr)
            last = now
    return scored


def run_rows(
    src: str | os.PathLike,
    dst: str | os.PathLike,
    *,
    prepare: Callable[[Row, Callable[[str], None]], Any],
    score: Callable[[list[Any]], list[dict]],
    rejects_path: str | os.PathLike | None = None,
    what: str = "rows",
) -> int:
    """Run a per-row command: read ``src``, score each row, write ``dst`` and the rejects.

    Parameters
    ----------
    src, dst : path
        Input and output (``.jsonl`` or ``.csv`` each).
    prepare : callable
        ``prepare(row, warn)`` returns what ``score`` needs for one row, or raises
        :class:`RowError` to reject it; ``warn(message)`` records a warning for the row.
    score : callable
        Takes a list of prepared items and returns one dict of new columns per item (finite
        floats and strings). If it raises for a chunk, its rows are scored one by one and only
        those that fail are rejected.
    rejects_path : path, optional
        Where to write the rejected rows (``source``, ``line``, ``end_line``, ``reason``).
    what : str
        What a row is, for progress lines ("rows", "targets").

    Returns
    -------
    int
        0 when at least one row was written, 1 when none was (nothing is written then, except
        the rejects), 2 for bad usage (the message is printed).
    """
    src, dst = Path(src), Path(dst)
    rejects_file = None if rejects_path is None else Path(rejects_path)
    problem = _usage_problem(src, dst, rejects_file)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    table = read_rows(src)
    rejects = list(table.rejects)
    warnings: list[Note] = []
    items: list[tuple[Row, Any]] = []
    for row in table.rows:

        def warn(message: str, row: Row = row) -> None:
            warnings.append(Note(row.line, row.end_line, message))

        try:
            items.append((row, prepare(row, warn)))
        except RowError as exc:
            rejects.append(Note(row.line, row.end_line, str(exc)))
    print(f"{src}: scoring {len(items)} {what}", file=sys.stderr)
    scored = _score_chunks(items, score, src, what, rejects)
    rejects.sort(key=lambda n: n.line)
    hint = "" if rejects_file is None else f" (all are in {rejects_file})"
    keep_hint = hint or " (use --rejects FILE to keep them all)"
    if scored:
        # CSV rows all have the header's columns, renamed alike by Row.set_values.
        columns = list(scored[0].values)[: len(table.columns)] if table.format == "csv" else ()
        warnings += write_rows(dst, scored, columns=columns)
    _show(src, "warning", warnings, "")
    _show(src, "rejected", rejects, keep_hint)
    if rejects_file is not None:
        write_rejects(rejects_file, src, rejects)
    if not scored:
        if rejects:
            raise _cli_error(f"{src}: no row written: all {len(rejects)} rows rejected{hint}")
        raise _cli_error(f"{src}: no rows to score")
    tail = f"; {len(rejects)} rejected{hint}" if rejects else ""
    print(f"{dst}: wrote {len(scored)} rows{tail}", file=sys.stderr)
    return 0
