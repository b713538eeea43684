"""Article rows: one per ``.txt`` story, one per record of a ``.jsonl``/``.csv``/``.parquet`` file.

Records are streamed; a broken record is a row of the rejects table (with its line or row)
and never costs the rest of its file.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from analysis import config
from analysis.articles import ARTICLE_COLUMNS, _blank, _text, _text_value, published_timestamp
from analysis.inputs import (
    RejectedInput,
    _check_not_binary,
    _open_regular,
    _text_encoding,
    _warn,
    decode_bytes,
    display_path,
)
from analysis.tables import column_kinds, input_name, json_text, needs_text, replace_surrogates
from analysis.wire import WireStructure, count_words, parse_wire, published_date

#: Record columns recognised by default, in order of preference (see ``load_corpus``).
DEFAULT_COLUMNS = config.DEFAULT_COLUMNS


def _internal_error(exc: Exception) -> str:
    return f"internal error ({type(exc).__name__}: {exc}); please report it"


def _article_from_txt(
    path: Path, src: str, root: Path, data: bytes, described: FileMetadata | None = None
) -> dict:
    text, encoding = decode_bytes(data)
    wire = parse_wire(text, detect_headline=True)
    if not wire.paragraphs:
        raise RejectedInput("no text after the headline")
    rel = path.relative_to(root) if path.is_relative_to(root) else Path(path.name)
    article_id = display_path(rel.with_suffix("").as_posix())
    body = "\n\n".join(wire.paragraphs)
    # The sub-folder is often the only label a folder corpus has (BBC's categories): a column.
    folder = display_path(rel.parent.as_posix()) if rel.parent != Path(".") else None
    metadata = {"folder": folder}
    if described is None:
        return _row(
            article_id, src, body, wire, encoding, headline=wire.headline, metadata=metadata
        )
    metadata.update(described.metadata)
    row = _row(
        article_id,
        src,
        body,
        wire,
        encoding,
        headline=wire.headline,
        metadata_date=described.date,
        outlet=described.outlet,
        metadata=metadata,
    )
    if described.has_date:
        row["published_raw"] = described.date
    return row


#: The name of the file that describes the ``.txt`` files of its folder (one row per file).
METADATA_FILE = "metadata.csv"
#: The user's lists, found at the top of a corpus folder (or in the folder of a corpus file) by
#: :func:`user_list_files`; the loader never reads them as articles. The actors file
#: (:mod:`analysis.actors`) and the stop words (:mod:`analysis.topics.stopwords`).
ACTORS_FILE = "actors.csv"
STOP_WORDS_FILE = "stopwords.txt"
USER_LIST_FILES = (ACTORS_FILE, STOP_WORDS_FILE)


def user_list_files(paths, name: str) -> list[Path]:
    """The user's list file ``name`` of each corpus path, each found once, in order.

    One rule for every list: at the top of a corpus folder, beside its ``metadata.csv``
    (``news/actors.csv``, ``news/stopwords.txt``), or in the folder of a corpus file
    (``coverage.jsonl`` -> ``stopwords.txt`` beside it).
    """
    found: dict[Path, None] = {}
    for p in paths:
        folder = Path(p) if Path(p).is_dir() else Path(p).absolute().parent
        candidate = folder / name
        if candidate.is_file():
            found.setdefault(candidate.resolve(), None)
    return list(found)


#: Columns of a metadata file naming the ``.txt`` file a row describes, in order of preference.
METADATA_KEYS = ("file", "filename")


class FileMetadata:
    """One row of a folder's ``metadata.csv``: the date, outlet and other columns of one file."""

    __slots__ = ("date", "has_date", "metadata", "outlet", "source")

    def __init__(self, source: str, date, has_date: bool, outlet, metadata: dict) -> None:
        self.source, self.date, self.has_date = source, date, has_date
        self.outlet, self.metadata = outlet, metadata


def read_folder_metadata(
    path: Path, src: str, opts, rejects: list[dict]
) -> dict[str, FileMetadata]:
    """The rows of a folder's ``metadata.csv``, by the file name (below its folder) they describe.

    The file name column is ``file`` (or ``filename``); the date and outlet columns are picked
    like a record's (``--date-column``, ``--outlet-column``, else ``published``/``date``... and
    ``outlet``/``source``...); every other column passes through as metadata, under
    ``input_<name>`` when named like an output column. Bad rows (and a row repeating a file) are
    appended to ``rejects`` with their row and line; a file that cannot be used at all raises
    :class:`RejectedInput`.
    """
    described: dict[str, FileMetadata] = {}
    rows: dict[str, int] = {}
    chosen = None
    for location, rec, _encoding, _literals in _iter_csv(path, src, rejects):
        row = location.split()[-1]
        if chosen is None:
            columns = list(rec)
            key = next((c for c in METADATA_KEYS if c in columns), None)
            if key is None:
                raise RejectedInput(
                    f"no {METADATA_KEYS[0]!r} column naming the .txt files it describes "
                    f"(columns are: {', '.join(columns)})"
                )
            chosen = {
                "key": key,
                "date": _pick(columns, opts.date_column, "date_column"),
                "outlet": _pick(columns, opts.outlet_column, "outlet_column"),
            }
        name = rec[chosen["key"]].strip().replace("\\", "/")
        if not name:
            rejects.append(
                {"source": f"{src}:{row}", "reason": f"{location}: no file name in the row"}
            )
            continue
        if name in rows:
            rejects.append(
                {
                    "source": f"{src}:{row}",
                    "reason": f"{location}: file {name!r} already described in row {rows[name]}; "
                    "this row is not used",
                }
            )
            continue
        rows[name] = int(row)
        date_col, outlet_col = chosen["date"], chosen["outlet"]
        metadata = {}
        for column, value in rec.items():
            if column in (chosen["key"], date_col, outlet_col):
                continue
            if column in _OUTPUT_NAMES or column == "folder":
                column = input_name(column, rec, _OUTPUT_NAMES)
            metadata[column] = value
        date = rec[date_col] if date_col else None
        described[name] = FileMetadata(
            f"{src}:{row}",
            None if _blank(date) else date,
            date_col is not None,
            _text_value(rec[outlet_col]) if outlet_col else None,
            metadata,
        )
    if chosen is None:
        raise RejectedInput("no rows (a header naming a file column, then one row per file)")
    return described


def _row(
    article_id,
    source,
    text,
    wire: WireStructure,
    encoding,
    *,
    headline=None,
    metadata_date=None,
    outlet=None,
    paragraphs=None,
    metadata=None,
) -> dict:
    dl = wire.dateline
    row = {
        "article_id": article_id,
        "source": source,
        "headline": headline,
        "dateline": dl.place if dl else None,
        "dateline_text": dl.text if dl else None,
        "agency": wire.agency,
        "published": published_timestamp(published_date(dl, metadata_date, wire.years)),
        "text": text,
        "n_paragraphs": len(wire.paragraphs) if paragraphs is None else paragraphs,
        "n_words": count_words(" ".join(wire.paragraphs)),
        "duplicate_of": None,
        "outlet": outlet,
        "encoding": encoding,
    }
    if metadata:
        row.update(metadata)
    return row


def _pick(columns: Sequence[str], chosen: str | None, option: str) -> str | None:
    if chosen is not None:
        if chosen not in columns:
            raise RejectedInput(
                f"no column {chosen!r} ({option}); columns are: {', '.join(map(str, columns))}"
            )
        return chosen
    return next((c for c in DEFAULT_COLUMNS[option] if c in columns), None)


#: Records read per batch from Parquet files (memory is bounded by this, not the file).
RECORD_BATCH = 5000
#: Records whose columns decide which column is the text, id, headline... of a file.
_SNIFF_RECORDS = 1000
#: Columns the loader writes besides :data:`ARTICLE_COLUMNS`; a record field of one of these
#: names (or of an article column) comes back as ``input_<name>``.
_DERIVED_COLUMNS = ("published_raw",)
_OUTPUT_NAMES = frozenset(ARTICLE_COLUMNS) | frozenset(_DERIVED_COLUMNS)
#: Deepest nesting of a JSON record's values that is read; deeper records are rejected (the
#: writers and :func:`analysis.tables.json_text` recurse over nested values).
MAX_NESTING = 100
#: Largest CSV field read: the csv module's default (128 KiB) is less than a long article.
_CSV_FIELD_LIMIT = 2**31 - 1


def _iter_records(
    path: Path, src: str, rejects: list[dict]
) -> Iterator[tuple[str, dict, str, dict]]:
    """Yield ``(location, record, encoding, literals)`` from a .jsonl, .csv or .parquet file.

    Streamed. ``literals`` holds the text of the record's JSON numbers as written (the id
    ``1e5`` stays ``"1e5"``). Broken records are appended to ``rejects`` (with their line or
    row) and skipped; a file that cannot be read at all raises :class:`RejectedInput`.
    """
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        yield from _iter_parquet(path, src, rejects)
    elif suffix == ".jsonl":
        yield from _iter_jsonl(path, src, rejects)
    else:
        yield from _iter_csv(path, src, rejects)


def _iter_parquet(path: Path, src: str, rejects: list[dict]):
    import pyarrow.parquet as pq

    row = 0
    with _open_regular(path) as fh:
        try:
            batches = pq.ParquetFile(fh).iter_batches(batch_size=RECORD_BATCH)
            for batch in batches:
                records = batch.to_pylist()
                for rec in records:
                    row += 1
                    yield f"row {row}", rec, "parquet", {}
        except Exception as exc:  # pyarrow raises several types for corrupt files
            if row == 0:
                raise RejectedInput(f"unreadable Parquet file: {exc}") from exc
            rejects.append(
                {
                    "source": f"{src}:{row + 1}",
                    "reason": f"row {row + 1}: unreadable Parquet data ({exc}); "
                    "the rest of the file is not read",
                }
            )


def _csv_names(header: list[str]) -> list[str]:
    # Header names as pandas gives them: "Unnamed: 3" for an empty one, "a.1" for a repeated "a".
    names: list[str] = []
    for i, name in enumerate(header):
        name = name or f"Unnamed: {i}"
        base, n = name, 0
        while name in names:
            n += 1
            name = f"{base}.{n}"
        names.append(name)
    return names


def _iter_csv(path: Path, src: str, rejects: list[dict]):
    # Python's csv module rather than pandas: it streams, reports a bad row without losing the
    # file, and keeps every value a string as written (ids such as "1_1" or "007").
    with _open_regular(path) as fh:
        encoding = _text_encoding(fh)
        stream = io.TextIOWrapper(fh, encoding=encoding, newline="")
        if csv.field_size_limit() < _CSV_FIELD_LIMIT:
            csv.field_size_limit(_CSV_FIELD_LIMIT)
        # strict: a quote in the wrong place is a rejected row, not a silently mangled value.
        reader = csv.reader(stream, strict=True)
        row, header = 1, None
        while True:
            try:
                values = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                # The reader starts afresh on the next line: one bad row costs that row only.
                row += header is not None
                rejects.append(
                    {
                        "source": f"{src}:{row}",
                        "reason": f"row {row} (line {reader.line_num}): unreadable CSV ({exc})",
                    }
                )
                continue
            if not values:  # a blank line
                continue
            if header is None:
                header = _csv_names(values)
                continue
            row += 1
            if len(values) != len(header):
                rejects.append(
                    {
                        "source": f"{src}:{row}",
                        "reason": f"row {row} (line {reader.line_num}): {len(values)} fields, "
                        f"the header has {len(header)}",
                    }
                )
                continue
            yield f"row {row}", dict(zip(header, values, strict=True)), encoding, {}
        if header is None:
            raise RejectedInput("empty file (no header row)")


class _JSONNumber(str):
    """A JSON number as written (``1e5``, ``007`` is not JSON, ``42``), turned into a number later."""


_SURROGATE_ESCAPE_RE = re.compile(rb"\\u[dD][89a-fA-F]")
# Numbers are kept as written, so an id reads exactly as given and an integer too long for
# Python is a rejected record rather than an exception. One decoder: json.loads would build one
# per line.
_JSON_DECODER = json.JSONDecoder(parse_int=_JSONNumber, parse_float=_JSONNumber)


def _iter_jsonl(path: Path, src: str, rejects: list[dict]):
    with _open_regular(path) as fh:
        head = fh.read(8192)
        fh.seek(0)
        if head.startswith((b"\xff\xfe", b"\xfe\xff")) or not head.strip(b" \t\r\n\x00"):
            # UTF-16 (or empty): decode the whole file; decode_bytes raises for empty or binary.
            text, encoding = decode_bytes(fh.read())
            lines: Iterable[bytes] = (ln.encode("utf-8") for ln in text.split("\n"))
        else:
            # A stray NUL is one bad line (rejected with its number); many mean a binary file.
            _check_not_binary(head.decode("utf-8", errors="replace")[:4096])
            encoding = "utf-8"
            lines = fh
        for lineno, raw in enumerate(lines, start=1):
            if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            if not raw.strip():
                continue
            try:
                rec, literals, line_encoding = _json_record(raw, encoding)
            except RejectedInput as exc:
                rejects.append({"source": f"{src}:{lineno}", "reason": f"line {lineno}: {exc}"})
                continue
            if _SURROGATE_ESCAPE_RE.search(raw):
                rec, n = _without_surrogates(rec)
                if n:
                    _warn(
                        f"{src}:{lineno}: {n} lone surrogate(s) (\\ud800-\\udfff) replaced by "
                        "U+FFFD, one character for one"
                    )
            yield f"line {lineno}", rec, line_encoding, literals


def _json_record(raw: bytes, encoding: str) -> tuple[dict, dict, str]:
    """Parse one JSONL line: ``(record, literals of its top-level numbers, encoding)``."""
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError:
        try:
            line, encoding = raw.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:
            raise RejectedInput("undecodable bytes (not UTF-8 nor cp1252)") from None
    try:
        rec = _JSON_DECODER.decode(line)
    except json.JSONDecodeError as exc:
        msg = exc.msg.removesuffix(" at")
        raise RejectedInput(f"invalid JSON ({msg} at column {exc.colno})") from None
    except RecursionError:
        raise RejectedInput("invalid JSON (nested too deeply to read)") from None
    if not isinstance(rec, dict):
        raise RejectedInput(f"expected a JSON object, got {_json_type(rec)}")
    return rec, _numbers_in_place(rec), encoding


def _json_type(value) -> str:
    if isinstance(value, _JSONNumber):
        return "a number"
    return {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), type(value).__name__
    )


def _numbers_in_place(rec: dict) -> dict[str, str]:
    """Turn the numbers of ``rec`` into int and float; return its top-level ones as written."""
    literals = {}
    stack: list[tuple[dict | list, int]] = []
    for k, value in rec.items():
        kind = type(value)
        if kind is _JSONNumber:
            literals[k] = str(value)
            rec[k] = _json_number(value)
        elif kind is dict or kind is list:
            stack.append((value, 2))
    # Iterative, with a depth limit: nesting costs no recursion here or in the writers later.
    while stack:
        container, depth = stack.pop()
        if depth > MAX_NESTING:
            raise RejectedInput(f"values nested deeper than {MAX_NESTING} levels")
        keys = container.keys() if isinstance(container, dict) else range(len(container))
        for k in keys:
            value = container[k]
            if isinstance(value, _JSONNumber):
                container[k] = _json_number(value)
            elif isinstance(value, dict | list):
                stack.append((value, depth + 1))
    return literals


def _json_number(raw: str):
    if "." in raw or "e" in raw or "E" in raw:
        return float(raw)
    try:
        return int(raw)
    except ValueError:
        raise RejectedInput(
            f"an integer of {len(raw.lstrip('-'))} digits (more than "
            f"{sys.get_int_max_str_digits()} cannot be read)"
        ) from None


def _without_surrogates(value) -> tuple[object, int]:
    """``value`` with every lone surrogate in its strings (keys too) replaced by U+FFFD."""
    if isinstance(value, str):
        fixed = replace_surrogates(value)
        return fixed, sum(
            a != b for a, b in zip(value, fixed, strict=True)
        ) if fixed is not value else 0
    if isinstance(value, list):
        total = 0
        for i, item in enumerate(value):
            value[i], n = _without_surrogates(item)
            total += n
        return value, total
    if isinstance(value, dict):
        out, total = {}, 0
        for k, v in value.items():
            k2, n1 = _without_surrogates(k)
            out[k2], n2 = _without_surrogates(v)
            total += n1 + n2
        return out, total
    return value, 0


def _articles_from_records(path: Path, src: str, opts, rejects: list[dict]) -> Iterator[dict]:
    """Yield one article row per good record of ``path``; bad records go to ``rejects``."""
    n_rejected = len(rejects)
    records = _iter_records(path, src, rejects)
    # The first records decide which columns are the text, id, headline, date and outlet.
    sniffed = list(itertools.islice(records, _SNIFF_RECORDS))
    if not sniffed:
        if len(rejects) > n_rejected:
            return
        raise RejectedInput("no records")
    columns = list(dict.fromkeys(k for _, r, _, _ in sniffed for k in r))
    window = f" in the first {_SNIFF_RECORDS:,} records" if len(sniffed) == _SNIFF_RECORDS else ""
    chosen = {option: _pick(columns, getattr(opts, option), option) for option in DEFAULT_COLUMNS}
    text_col = chosen["text_column"]
    if text_col is None:
        raise RejectedInput(
            f"no text column{window} (columns are: {', '.join(map(str, columns))}); "
            "name one with --text-column"
        )
    used = {c for c in chosen.values() if c is not None}
    # A default column name first seen after the window is kept as metadata, and said so.
    unchosen = {
        name: option
        for option, names in DEFAULT_COLUMNS.items()
        if chosen[option] is None
        for name in names
    }
    seen = set(columns)
    for index, (location, rec, encoding, literals) in enumerate(itertools.chain(sniffed, records)):
        source = f"{src}:{location.split()[-1]}"
        if index >= len(sniffed) and not seen.issuperset(rec):
            for name in rec:
                if name not in seen and name in unchosen:
                    option = unchosen[name].replace("_", "-")
                    _warn(
                        f"{source}: column {name!r} first appears after record "
                        f"{_SNIFF_RECORDS:,}; kept as metadata (use it with --{option} {name})"
                    )
            seen.update(rec)
        try:
            yield _record_row(rec, literals, chosen, used, source, encoding)
        except RejectedInput as exc:
            rejects.append({"source": source, "reason": f"{location}: {exc}"})
        except Exception as exc:  # a bug must not cost the user the rest of the file
            rejects.append({"source": source, "reason": f"{location}: {_internal_error(exc)}"})


def _record_row(
    rec: dict, literals: dict, chosen: dict, used: set, source: str, encoding: str
) -> dict:
    text = rec.get(chosen["text_column"])
    if _blank(text) or (isinstance(text, str) and not text.strip(" \t\r\n\xa0\u2028\u2029")):
        raise RejectedInput("empty text")
    if not isinstance(text, str):
        raise RejectedInput(f"text is a {type(text).__name__}, not a string")
    id_col, head_col = chosen["id_column"], chosen["headline_column"]
    date_col, outlet_col = chosen["date_column"], chosen["outlet_column"]
    raw_id = (literals[id_col] if id_col in literals else rec.get(id_col)) if id_col else None
    article_id = None if _blank(raw_id) else _id_string(raw_id)
    if article_id is None:
        article_id = "sha1:" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]
    headline = _text_value(rec.get(head_col)) if head_col else None
    wire = parse_wire(text, detect_headline=headline is None)
    if headline is None and wire.headline is not None:
        headline = wire.headline
    metadata_date = rec.get(date_col) if date_col else None
    metadata = {}
    for name, value in rec.items():
        if name in used:
            continue
        if name in _OUTPUT_NAMES:
            # Never dropped: a field named like an output column keeps its value under a new name.
            name = input_name(name, rec, _OUTPUT_NAMES)
        metadata[name] = _metadata_value(value)
    row = _row(
        article_id,
        source,
        text,
        wire,
        encoding,
        headline=headline,
        metadata_date=metadata_date,
        outlet=_text_value(rec.get(outlet_col)) if outlet_col else None,
        metadata=metadata,
    )
    if date_col:
        row["published_raw"] = None if metadata_date is None else _text(metadata_date)
    return row


_SCALARS = (str, bool, float, type(None))


def _metadata_value(value):
    # Per value, the rule of analysis.tables.arrow_safe: nested, huge or unusual values become
    # their JSON text; mixed kinds across records are settled when the table is built.
    kind = type(value)
    if kind in _SCALARS:  # the common cases first: this runs for every field of every record
        return value
    if kind is list or kind is dict:
        return json_text(value)
    return json_text(value) if needs_text(column_kinds([value])) else value


def _id_string(value) -> str:
    """An id as written: JSON ``true`` is ``"true"``; Parquet ``7`` and ``7.0`` are ``"7"``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return _text(value)
