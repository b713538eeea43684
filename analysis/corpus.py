"""Corpus loading: articles and rejects tables from .txt folders, .jsonl, .csv and .parquet files.

A ``.txt`` file is one article in wire layout (headline line, dateline, paragraphs, trailing agency
tag); a record of a ``.jsonl``/``.csv``/``.parquet`` file is one article whose ``text`` field is
emitted unchanged, so character offsets of every feature index into the input. Nothing is
dropped silently: every input that cannot be read becomes a row of the rejects table.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import itertools
import json
import os
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis import config

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

#: Record columns recognised by default, in order of preference (see ``load_corpus``).
DEFAULT_COLUMNS = {
    "text_column": ("text", "body", "content", "article"),
    "id_column": ("id", "article_id", "doc_id"),
    "headline_column": ("headline", "title"),
    "date_column": ("published", "date", "pub_date", "publish_date"),
    "outlet_column": ("outlet", "source", "publisher"),
}

# --- wire layout ---------------------------------------------------------------------------------
# Hand-written patterns: no library parses wire datelines, and the forms are few and regular.

_MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4,
    "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9,
    "sept": 9, "september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12,
    "december": 12,
}  # fmt: skip
_MONTH_RE = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_DATE_RE = (
    rf"(?P<month>{_MONTH_RE})\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(?P<year>(?:19|20)\d\d))?"
)
#: Agencies recognised in datelines and trailing tags (display form by lower-case key).
AGENCIES = {
    "afp": "AFP", "reuters": "Reuters", "ap": "AP", "associated press": "AP", "upi": "UPI",
    "dpa": "dpa", "ani": "ANI", "pti": "PTI", "ians": "IANS", "app": "APP", "xinhua": "Xinhua",
    "bernama": "Bernama", "ansa": "ANSA", "efe": "EFE", "kyodo": "Kyodo", "apa": "APA",
    "irna": "IRNA", "nni": "NNI", "online": "Online", "bloomberg": "Bloomberg",
}  # fmt: skip
_AGENCY_RE = (
    r"(?:" + "|".join(sorted((re.escape(a) for a in AGENCIES), key=len, reverse=True)) + ")"
)
_CAP_WORD = r"(?:[A-Z][A-Za-z'’.\-]*|[A-Z]{2,}|de|del|al|el|la|le|of|upon|on)"
_PLACE_RE = rf"(?P<place>[A-Z][A-Za-z'’.\-]+(?:[ \t]+{_CAP_WORD}){{0,4}})"
_REGION_RE = r"(?:,[ \t]+(?P<region>[A-Z][A-Za-z.'’\-]*(?:[ \t]+[A-Z][A-Za-z.'’\-]*){0,2}))?"
_DASH = r"(?:-{1,2}|–|—)"
_DATELINE_RE = re.compile(
    rf"""^[ \t\xa0]*{_PLACE_RE}{_REGION_RE}
    (?:
        (?:,[ \t]*|[ \t]+\([ \t]*){_DATE_RE}\)?          # , March 3   or  (Nov. 20, 2011)
    )?
    (?:[ \t]*\((?P<agency>{_AGENCY_RE})\))?                # (AFP)
    (?P<term>[ \t]*:[ \t]*|[ \t]+{_DASH}[ \t]*|{_DASH}[ \t]+|[ \t]*$)  # ':', a spaced dash, end of line
    """,
    re.VERBOSE | re.IGNORECASE | re.MULTILINE,
)
_SIGNOFF_RE = re.compile(
    r"\s*\((?:(?:Reporting|Writing|Additional reporting|Editing|Compiled|Compiling)\b[^()]*"
    r"(?:\([^()]*\)[^()]*)*)\)\s*$",
    re.IGNORECASE,
)
_TAG_RE = re.compile(
    rf"(?:(?<=[.!?\"”’'])[ \t]*|\s*{_DASH}[ \t]*|\n[ \t]*)\(?(?P<agency>{_AGENCY_RE})\)?[ \t]*$",
    re.IGNORECASE,
)
_LONE_TAG_RE = re.compile(
    rf"[ \t]*(?:{_DASH}[ \t]*)?\(?(?P<agency>{_AGENCY_RE})\)?[ \t.]*", re.IGNORECASE
)
_YEAR_RE = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")
_WORD_RE = re.compile(r"[^\W_]+(?:(?:[’'\-.]|(?<=\d),(?=\d))[^\W_]+)*", re.UNICODE)
_BLANK_LINE_RE = re.compile(r"\n[ \t\xa0\u3000\ufeff]*\n")
_LINE_SEP_RE = re.compile(r"\r\n?|[\u2028\u2029\x0b\x0c\x85]")


@dataclass
class Dateline:
    """A parsed dateline: the text it spans, its place, and the date and agency when present."""

    text: str
    place: str
    month: int | None = None
    day: int | None = None
    year: int | None = None
    agency: str | None = None
    end: int = 0  # offset in the paragraph where the story text starts


@dataclass
class WireStructure:
    """What the loader reads off a story's layout."""

    headline: str | None
    dateline: Dateline | None
    paragraphs: list[str]
    agency: str | None
    signoff: str | None
    years: list[int] = field(default_factory=list)


def normalise_newlines(text: str) -> str:
    """Return ``text`` with every line break as ``\\n`` (CR, CRLF, U+2028, U+2029, VT, FF, NEL)."""
    return _LINE_SEP_RE.sub("\n", text)


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    """Return the ``(start, end)`` character spans of the paragraphs of ``text``.

    Paragraphs are separated by blank lines (lines holding only whitespace or no-break spaces
    count as blank) or, in hard-wrapped copy such as Reuters', by a line that starts indented.
    Any line break form (``\\n``, ``\\r\\n``, U+2028) is understood; spans exclude surrounding
    whitespace and index into ``text`` itself.
    """
    spans: list[tuple[int, int]] = []
    # Work on a same-length copy where every line break is "\n".
    flat = text.replace("\r\n", " \n").replace("\r", "\n")
    flat = flat.replace("\u2028", "\n").replace("\u2029", "\n")
    lines = flat.split("\n")
    pos = 0
    start = None
    end = None
    indented_layout = _is_indented_layout(lines)
    for line in lines:
        stripped = line.strip(" \t\xa0\u3000\ufeff")
        line_start, line_end = pos, pos + len(line)
        pos = line_end + 1
        if not stripped:
            if start is not None:
                spans.append((start, end))
                start = None
            continue
        lead = len(line) - len(line.lstrip(" \t\xa0"))
        content_start = line_start + lead
        content_end = line_start + len(line.rstrip(" \t\xa0\u3000\ufeff"))
        if start is not None and indented_layout and lead >= 2:
            spans.append((start, end))
            start = None
        if start is None:
            start = content_start
        end = content_end
    if start is not None:
        spans.append((start, end))
    return spans


def _is_indented_layout(lines: Sequence[str]) -> bool:
    # Reuters-style copy: hard-wrapped lines, paragraphs open with an indent and no blank line.
    indented = sum(1 for ln in lines if ln[:2] in ("  ", "\t") and ln.strip())
    return indented >= 1 and indented < len([ln for ln in lines if ln.strip()])


def _paragraph_texts(text: str) -> list[str]:
    out = []
    for s, e in paragraph_spans(text):
        lines = (
            ln.strip(" \t\xa0\u3000\ufeff") for ln in normalise_newlines(text[s:e]).split("\n")
        )
        out.append(" ".join(ln for ln in lines if ln))
    return out


def parse_dateline(paragraph: str) -> Dateline | None:
    """Parse a dateline at the start of ``paragraph`` (``ISLAMABAD:``, ``LONDON, Jan 5 (AFP) -``...).

    A place alone counts only in capitals followed by a colon or dash (``ISLAMABAD:``); a place in
    ordinary case needs a date or an agency in brackets (``Washington (AFP) –``).
    """
    m = _DATELINE_RE.match(paragraph)
    if not m:
        return None
    place, month, agency, term = (
        m.group("place"),
        m.group("month"),
        m.group("agency"),
        m.group("term"),
    )
    # A bare place counts only in capitals followed by a colon or dash ("ISLAMABAD:"); a place in
    # ordinary case needs a date or a bracketed agency ("Washington (AFP) –").
    if month is None and agency is None and (term.strip() == "" or not _is_caps(place)):
        return None
    region = m.group("region")
    day = int(m.group("day")) if m.group("day") else None
    year = int(m.group("year")) if m.group("year") else None
    mon = _MONTHS[month.rstrip(".").lower()] if month else None
    if day is not None and not 1 <= day <= 31:
        return None
    full_place = place.strip() + (f", {region.strip()}" if region else "")
    return Dateline(
        text=paragraph[: m.end()].strip(" \t\xa0:-–—"),
        place=_clean_place(full_place),
        month=mon,
        day=day,
        year=year,
        agency=AGENCIES.get(agency.lower()) if agency else None,
        end=m.end(),
    )


def _is_caps(s: str) -> bool:
    letters = [c for c in s if c.isalpha()]
    return bool(letters) and sum(c.isupper() for c in letters) / len(letters) > 0.8


def _clean_place(place: str) -> str:
    return re.sub(r"\s+", " ", place).strip(" ,")


def parse_wire(text: str, *, detect_headline: bool = True) -> WireStructure:
    """Read the wire layout of one story: headline, dateline, paragraphs, agency tag, sign-off.

    Parameters
    ----------
    text : str
        The story as read (any line-break form).
    detect_headline : bool
        Treat a first paragraph that is a single short line without final full stop as the
        headline (true for ``.txt`` files; false when a record carries its own headline).
    """
    paragraphs = _paragraph_texts(text)
    headline = None
    if detect_headline and len(paragraphs) > 1 and _looks_like_headline(text, paragraphs[0]):
        headline = paragraphs.pop(0)

    agency = None
    signoff = None
    # Trailing sign-off "(Reporting by ...; Editing by ...)" and agency tag ("afp", "-- AFP").
    if paragraphs:
        if len(paragraphs) > 1 and _LONE_TAG_RE.fullmatch(paragraphs[-1]):
            # The tag on a paragraph of its own ("afp", "-- AFP", "(Reuters)").
            agency = AGENCIES[_LONE_TAG_RE.fullmatch(paragraphs.pop()).group("agency").lower()]
        last = paragraphs[-1]
        m = _SIGNOFF_RE.search(last)
        if m:
            signoff = m.group(0).strip()
            last = last[: m.start()].rstrip()
            agency = "Reuters"
        m = _TAG_RE.search(last)
        if m:
            agency = AGENCIES[m.group("agency").lower()]
            last = last[: m.start()].rstrip()
        if last:
            paragraphs[-1] = last
        else:
            paragraphs.pop()

    dateline = None
    # The dateline opens the first paragraph, or a line of its own below a press-release header
    # ("NEWS RELEASE", a reference number, "For Immediate Release"), so look at line starts.
    lines = [ln for ln in normalise_newlines(text).split("\n") if ln.strip(" \t\xa0\ufeff")]
    if headline is not None and lines:
        lines = lines[1:]
    for i, line in enumerate(lines[:10]):
        dateline = parse_dateline(line)
        if dateline:
            break
        if len(line.split()) > 12 and i > 0 or (i == 0 and len(line.split()) > 25):
            # A real paragraph without a dateline; press-release headers are short lines.
            break
    if dateline and dateline.agency:
        agency = agency or dateline.agency
    years = [int(y) for y in _YEAR_RE.findall(text)]
    return WireStructure(headline, dateline, paragraphs, agency, signoff, years)


def _looks_like_headline(raw: str, first: str) -> bool:
    first_block = raw.lstrip(" \t\xa0\ufeff\n\r\u2028").split("\n", 1)[0]
    words = first.split()
    return (
        len(words) <= 30
        and first_block.strip(" \t\xa0") == first
        and not first.rstrip().endswith((".", ":", ";", ","))
        and parse_dateline(first) is None
    )


def count_words(text: str) -> int:
    """Count words as runs of letters or digits, keeping ``won’t`` and ``11,265.03`` whole."""
    return len(_WORD_RE.findall(text))


def published_date(dateline: Dateline | None, metadata_date: str | None, years: Sequence[int]):
    """Return the ISO published date: the dateline's full date, else the metadata date.

    When the dateline has month and day but no year, the year comes from the metadata date, else
    from the most frequent year written in the story (press releases carry it in their reference).
    """
    meta = _parse_date(metadata_date)
    if dateline and dateline.month and dateline.day:
        year = dateline.year
        if year is None and meta is not None:
            year = meta.year
        elif year is None and metadata_date:
            m = _YEAR_RE.search(str(metadata_date))
            year = int(m.group(1)) if m else None
        if year is None and years:
            year = Counter(years).most_common(1)[0][0]
        if year is not None:
            try:
                return (
                    pd.Timestamp(year=year, month=dateline.month, day=dateline.day)
                    .date()
                    .isoformat()
                )
            except ValueError:
                pass
    return meta.date().isoformat() if meta is not None else None


def _parse_date(value) -> pd.Timestamp | None:
    """Parse a metadata date when it names a full day ("2011-09-26", "26-FEB-1987 15:01:01.79")."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    s = str(value).strip()
    if not s or not re.search(r"\d", s):
        return None
    if re.fullmatch(r"\d{4}(-\d{1,2})?", s):  # a year or a month is not a full date
        return None
    try:
        ts = pd.Timestamp(s)
    except (ValueError, TypeError, OverflowError):
        try:
            from dateutil import parser as dateparser

            ts = pd.Timestamp(dateparser.parse(s, fuzzy=False))
        except (ValueError, TypeError, OverflowError):
            return None
    return None if pd.isna(ts) else ts


# --- reading bytes -------------------------------------------------------------------------------


class RejectedInput(Exception):
    """An input (file or record) that cannot be loaded; the message is the reason."""


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode ``data`` and return ``(text, encoding)``.

    Tries UTF-8 with a BOM, UTF-16 with a BOM, plain UTF-8, then cp1252 (which the caller
    reports). Raises :class:`RejectedInput` for empty, binary or undecodable data.
    """
    if not data.strip(b" \t\r\n\x00"):
        raise RejectedInput("empty file")
    if data.startswith(b"\xef\xbb\xbf"):
        encoding = "utf-8-sig"
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    else:
        if b"\x00" in data[:8192]:
            raise RejectedInput("binary file (contains NUL bytes; not text)")
        encoding = "utf-8"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        if encoding != "utf-8":
            raise RejectedInput(f"undecodable bytes as {encoding} at byte {exc.start}") from exc
        try:
            text = data.decode("cp1252")
            encoding = "cp1252"
        except UnicodeDecodeError as exc2:
            raise RejectedInput(
                f"undecodable bytes: not UTF-8 (byte {exc.start}) nor cp1252 (byte {exc2.start})"
            ) from exc2
    if not text.strip(" \t\r\n\xa0\ufeff\u2028\u2029"):
        raise RejectedInput("empty file (whitespace only)")
    control = sum(
        1 for c in text[:4096] if unicodedata.category(c) == "Cc" and c not in "\t\n\r\x0b\x0c"
    )
    if control > max(8, len(text[:4096]) // 50):
        raise RejectedInput("binary file (control characters; not text)")
    return text, encoding


# --- loading -------------------------------------------------------------------------------------


def iter_input_files(paths: Iterable[str | os.PathLike]) -> Iterator[tuple[Path, str | None, Path]]:
    """Yield ``(file, problem, root)`` for every input under ``paths``, in a stable order.

    Folders are walked recursively and sorted; ``problem`` is None for a readable file of a
    supported type, else the reason it will be rejected.
    """
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() or p.is_symlink())
            for f in files:
                if f.suffix in config.CORPUS_SUFFIXES:
                    yield f, _access_problem(f), path
                else:
                    yield (
                        f,
                        f"unsupported file type {f.suffix or '(no suffix)'!r}; "
                        f"expected one of {', '.join(config.CORPUS_SUFFIXES)}",
                        path,
                    )
        elif path.exists():
            if path.suffix.lower() in config.CORPUS_SUFFIXES:
                yield path, _access_problem(path), path.parent
            else:
                yield (
                    path,
                    f"unsupported file type {path.suffix or '(no suffix)'!r}; "
                    f"expected one of {', '.join(config.CORPUS_SUFFIXES)}",
                    path.parent,
                )
        else:
            yield path, "no such file or folder", path.parent


def _access_problem(path: Path) -> str | None:
    if not path.exists():
        return "broken link or vanished file"
    if not os.access(path, os.R_OK):
        return "permission denied (unreadable)"
    return None


@dataclass
class _Options:
    text_column: str | None = None
    id_column: str | None = None
    headline_column: str | None = None
    date_column: str | None = None
    outlet_column: str | None = None


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
        ``outlet``/``source``. Every other column passes through as metadata.
    progress : bool, optional
        Show a progress bar on stderr; by default when there are many files.

    Returns
    -------
    articles : DataFrame
        One row per article (columns :data:`ARTICLE_COLUMNS` then metadata), sorted by
        ``article_id``. Exact duplicates are kept and point at the first copy in ``duplicate_of``.
    rejects : DataFrame
        One row per rejected input with ``source`` (file, with line or row) and ``reason``.
    """
    rejects: list[dict] = []
    rows = list(
        _iter_rows(
            paths,
            rejects,
            _Options(text_column, id_column, headline_column, date_column, outlet_column),
            progress,
        )
    )
    articles = _finish(rows)
    rejects.sort(key=_reject_order)
    rejects_df = pd.DataFrame(rejects, columns=REJECT_COLUMNS).astype("object")
    return articles, rejects_df


def iter_corpus(
    paths: str | os.PathLike | Iterable[str | os.PathLike],
    *,
    rejects: list[dict] | None = None,
    progress: bool | None = None,
    **columns: str | None,
) -> Iterator[dict]:
    """Stream the articles of ``paths`` one row at a time, for corpora too large for memory.

    The same rows as :func:`load_corpus`, in input order (files sorted, records in file order)
    rather than sorted by ``article_id``; ids are made unique and ``duplicate_of`` points at the
    earlier copy as the stream goes. Rejected inputs are appended to ``rejects``. Memory holds
    one record batch and a hash per article seen.
    """
    opts = _Options(**{k: columns.get(k) for k in DEFAULT_COLUMNS})
    rejects = rejects if rejects is not None else []
    seen_ids: Counter = Counter()
    first: dict[bytes, str] = {}
    for row in _iter_rows(paths, rejects, opts, progress):
        seen_ids[row["article_id"]] += 1
        if seen_ids[row["article_id"]] > 1:
            row["article_id"] = f"{row['article_id']}~{seen_ids[row['article_id']]}"
        key = hashlib.sha1(normalised_text(row["text"]).encode("utf-8")).digest()
        if key in first:
            row["duplicate_of"] = first[key]
        else:
            first[key] = row["article_id"]
        yield row


def _iter_rows(paths, rejects: list[dict], opts: _Options, progress: bool | None) -> Iterator[dict]:
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    inputs = list(iter_input_files(paths))
    show = progress if progress is not None else len(inputs) >= config.PROGRESS_MIN_ITEMS
    iterator: Iterable = inputs
    if show:
        from tqdm.auto import tqdm

        iterator = tqdm(inputs, desc="loading", unit="file", file=sys.stderr)
    for path, problem, root in iterator:
        if problem:
            rejects.append({"source": str(path), "reason": problem})
            continue
        try:
            if path.suffix.lower() == ".txt":
                yield _article_from_txt(path, root, path.read_bytes())
            else:
                yield from _articles_from_records(path, opts, rejects)
        except RejectedInput as exc:
            rejects.append({"source": str(path), "reason": str(exc)})
        except OSError as exc:
            rejects.append({"source": str(path), "reason": f"unreadable: {exc.strerror or exc}"})


def _reject_order(reject: dict) -> tuple[str, int]:
    # Rejects of one file in line order: "file.jsonl:12" sorts after "file.jsonl:3".
    source = reject["source"]
    head, _, tail = source.rpartition(":")
    return (head, int(tail)) if tail.isdigit() and head else (source, 0)


def _article_from_txt(path: Path, root: Path, data: bytes) -> dict:
    text, encoding = decode_bytes(data)
    wire = parse_wire(text, detect_headline=True)
    if not wire.paragraphs:
        raise RejectedInput("no text after the headline")
    rel = path.relative_to(root) if path.is_relative_to(root) else Path(path.name)
    article_id = rel.with_suffix("").as_posix()
    body = "\n\n".join(wire.paragraphs)
    return _row(article_id, str(path), body, wire, encoding, headline=wire.headline)


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
        "published": published_date(dl, metadata_date, wire.years),
        "text": text,
        "n_paragraphs": len(wire.paragraphs) if paragraphs is None else paragraphs,
        "n_words": count_words(" ".join(wire.paragraphs)),
        "duplicate_of": None,
        "outlet": outlet,
        "encoding": encoding,
    }
    if metadata:
        for k, v in metadata.items():
            row.setdefault(k, v)
    return row


def _pick(columns: Sequence[str], chosen: str | None, option: str, source: str) -> str | None:
    if chosen is not None:
        if chosen not in columns:
            raise RejectedInput(
                f"no column {chosen!r} ({option}); columns are: {', '.join(map(str, columns))}"
            )
        return chosen
    return next((c for c in DEFAULT_COLUMNS[option] if c in columns), None)


#: Records read per batch from CSV and Parquet files (memory is bounded by this, not the file).
RECORD_BATCH = 5000
#: Records whose columns decide which column is the text, id, headline... of a file.
_SNIFF_RECORDS = 1000


def _iter_records(path: Path, rejects: list[dict]) -> Iterator[tuple[str, dict, str]]:
    """Yield ``(location, record, encoding)`` from a .jsonl, .csv or .parquet file, streaming.

    Broken records are appended to ``rejects`` (with their line or row) and skipped; a file
    that cannot be read at all raises :class:`RejectedInput`.
    """
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        try:
            pf = pq.ParquetFile(path)
            batches = pf.iter_batches(batch_size=RECORD_BATCH)
            row = 0
            for batch in batches:
                for rec in batch.to_pylist():
                    row += 1
                    yield f"row {row}", rec, "parquet"
        except RejectedInput:
            raise
        except Exception as exc:  # pyarrow raises several types for corrupt files
            raise RejectedInput(f"unreadable Parquet file: {exc}") from exc
        return
    if suffix == ".jsonl":
        yield from _iter_jsonl(path, rejects)
        return
    # CSV: every value read as a string so that IDs such as "1_1" or "007" stay as given.
    text, encoding = decode_bytes(path.read_bytes())
    try:
        reader = pd.read_csv(
            io.StringIO(text), dtype=str, keep_default_na=False, chunksize=RECORD_BATCH
        )
        row = 1
        for chunk in reader:
            for rec in chunk.to_dict("records"):
                row += 1
                yield f"row {row}", rec, encoding
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise RejectedInput(f"unreadable CSV: {exc}") from exc


def _iter_jsonl(path: Path, rejects: list[dict]) -> Iterator[tuple[str, dict, str]]:
    with path.open("rb") as f:
        head = f.read(8192)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or not head.strip(b" \t\r\n\x00"):
        # UTF-16 (or empty): decode the whole file; decode_bytes raises for empty or binary.
        text, encoding = decode_bytes(path.read_bytes())
        lines: Iterable = (ln.encode("utf-8") for ln in text.split("\n"))
    else:
        if b"\x00" in head:
            raise RejectedInput("binary file (contains NUL bytes; not text)")
        encoding = "utf-8"
        lines = path.open("rb")
    try:
        for lineno, raw in enumerate(lines, start=1):
            if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            if not raw.strip():
                continue
            line_encoding = encoding
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                try:
                    line, line_encoding = raw.decode("cp1252"), "cp1252"
                except UnicodeDecodeError:
                    rejects.append(
                        {
                            "source": f"{path}:{lineno}",
                            "reason": f"line {lineno}: undecodable bytes (not UTF-8 nor cp1252)",
                        }
                    )
                    continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                rejects.append(
                    {
                        "source": f"{path}:{lineno}",
                        "reason": f"line {lineno}: invalid JSON ({exc.msg} at column {exc.colno})",
                    }
                )
                continue
            if not isinstance(rec, dict):
                rejects.append(
                    {
                        "source": f"{path}:{lineno}",
                        "reason": f"line {lineno}: expected a JSON object, got {type(rec).__name__}",
                    }
                )
                continue
            yield f"line {lineno}", rec, line_encoding
    finally:
        if hasattr(lines, "close"):
            lines.close()


def _articles_from_records(path: Path, opts: _Options, rejects: list[dict]) -> Iterator[dict]:
    """Yield one article row per good record of ``path``; bad records go to ``rejects``."""
    records = _iter_records(path, rejects)
    # The first records decide which columns are the text, id, headline, date and outlet.
    sniffed = []
    for item in records:
        sniffed.append(item)
        if len(sniffed) >= _SNIFF_RECORDS:
            break
    if not sniffed:
        if any(r["source"].startswith(f"{path}:") for r in rejects):
            return
        raise RejectedInput("no records")
    columns = list(dict.fromkeys(k for _, r, _ in sniffed for k in r))
    text_col = _pick(columns, opts.text_column, "text_column", str(path))
    if text_col is None:
        raise RejectedInput(
            f"no text column (columns are: {', '.join(map(str, columns))}); name one with --text-column"
        )
    id_col = _pick(columns, opts.id_column, "id_column", str(path))
    head_col = _pick(columns, opts.headline_column, "headline_column", str(path))
    date_col = _pick(columns, opts.date_column, "date_column", str(path))
    outlet_col = _pick(columns, opts.outlet_column, "outlet_column", str(path))
    used = {text_col, id_col, head_col, date_col, outlet_col}
    for location, rec, encoding in itertools.chain(sniffed, records):
        source = f"{path}:{location.split()[-1]}"
        text = rec.get(text_col)
        if (
            text is None
            or (isinstance(text, float) and pd.isna(text))
            or not str(text).strip(" \t\r\n\xa0\u2028\u2029")
        ):
            rejects.append({"source": source, "reason": f"{location}: empty text"})
            continue
        if not isinstance(text, str):
            rejects.append(
                {
                    "source": source,
                    "reason": f"{location}: text is a {type(text).__name__}, not a string",
                }
            )
            continue
        raw_id = rec.get(id_col) if id_col else None
        article_id = _id_string(raw_id) if raw_id is not None and str(raw_id) != "" else None
        if article_id is None:
            article_id = "sha1:" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]
        headline = rec.get(head_col) if head_col else None
        if (
            headline is None
            or (isinstance(headline, float) and pd.isna(headline))
            or headline == ""
        ):
            headline = None
        else:
            headline = str(headline)
        wire = parse_wire(text, detect_headline=headline is None)
        if headline is None and wire.headline is not None:
            headline = wire.headline
        metadata_date = rec.get(date_col) if date_col else None
        outlet = rec.get(outlet_col) if outlet_col else None
        metadata = {k: v for k, v in rec.items() if k not in used and k not in ARTICLE_COLUMNS}
        row = _row(
            article_id,
            source,
            text,
            wire,
            encoding,
            headline=headline,
            metadata_date=metadata_date,
            outlet=None if outlet in (None, "") else str(outlet),
            metadata=metadata,
        )
        if date_col:
            row["published_raw"] = None if metadata_date is None else str(metadata_date)
        yield row


def _id_string(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def normalised_text(text: str) -> str:
    """The text used to find exact duplicates: NFKC, whitespace runs folded to one space."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


def _finish(rows: list[dict]) -> pd.DataFrame:
    # Unique ids: a repeated id gets a "~2", "~3" suffix rather than losing the article.
    seen: Counter = Counter()
    for row in rows:
        seen[row["article_id"]] += 1
        if seen[row["article_id"]] > 1:
            new = f"{row['article_id']}~{seen[row['article_id']]}"
            print(
                f"warning: {row['source']}: duplicate id {row['article_id']!r} renamed {new!r}",
                file=sys.stderr,
            )
            row["article_id"] = new
    rows.sort(key=lambda r: r["article_id"])
    first: dict[str, str] = {}
    for row in rows:
        key = hashlib.sha1(normalised_text(row["text"]).encode("utf-8")).hexdigest()
        if key in first:
            row["duplicate_of"] = first[key]
        else:
            first[key] = row["article_id"]
    frame = pd.DataFrame(rows)
    for col in ARTICLE_COLUMNS:
        if col not in frame.columns:
            frame[col] = None
    extra = [c for c in frame.columns if c not in ARTICLE_COLUMNS]
    frame = frame[ARTICLE_COLUMNS + extra]
    frame["n_paragraphs"] = frame["n_paragraphs"].astype("int64")
    frame["n_words"] = frame["n_words"].astype("int64")
    return frame.reset_index(drop=True)


# --- writing -------------------------------------------------------------------------------------


def write_table(frame: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write ``frame`` to ``.jsonl``, ``.csv`` or ``.parquet`` atomically (temporary file, rename)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".jsonl", ".csv", ".parquet"):
        raise ValueError(
            f"{path}: unsupported output type {suffix!r}; use .jsonl, .csv or .parquet"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        if suffix == ".jsonl":
            frame.to_json(tmp, orient="records", lines=True, force_ascii=False, date_format="iso")
        elif suffix == ".csv":
            frame.to_csv(tmp, index=False)
        else:
            frame.to_parquet(tmp, index=False)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


# --- command line --------------------------------------------------------------------------------


def add_column_options(parser: argparse.ArgumentParser) -> None:
    """Add the record column options shared by every command that reads a corpus."""
    group = parser.add_argument_group("record columns (.jsonl, .csv, .parquet)")
    for option, names in DEFAULT_COLUMNS.items():
        flag = "--" + option.replace("_", "-")
        group.add_argument(
            flag,
            dest=option,
            default=None,
            metavar="NAME",
            help=f"default: first of {', '.join(names)}",
        )


def column_options(args: argparse.Namespace) -> dict:
    """The ``load_corpus`` column keyword arguments from parsed command-line ``args``."""
    return {k: getattr(args, k, None) for k in DEFAULT_COLUMNS}


def report_rejects(rejects: pd.DataFrame, stream=None) -> None:
    """Print one line per rejected input: ``rejected: <source>: <reason>``."""
    stream = stream or sys.stderr
    for source, reason in zip(rejects["source"], rejects["reason"], strict=True):
        print(f"rejected: {source}: {reason}", file=stream)


def load_or_fail(paths, **options) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``load_corpus`` for commands: rejects go to stderr, and no article at all is a CLIError."""
    from analysis.cli import CLIError

    articles, rejects = load_corpus(paths, **options)
    report_rejects(rejects)
    for source in articles.loc[articles["encoding"] == "cp1252", "source"]:
        print(f"warning: {source}: not valid UTF-8; decoded as cp1252", file=sys.stderr)
    if articles.empty:
        raise CLIError(
            f"no article loaded from {', '.join(map(str, paths))} ({len(rejects)} rejected)"
        )
    return articles, rejects


def _cmd_load(args: argparse.Namespace) -> int:
    articles, rejects = load_or_fail(args.paths, **column_options(args))
    if args.output:
        try:
            write_table(articles, args.output)
        except (OSError, ValueError) as exc:
            from analysis.cli import CLIError

            raise CLIError(f"{args.output}: cannot write: {exc}") from exc
    else:
        articles.to_json(sys.stdout, orient="records", lines=True, force_ascii=False)
    print(f"loaded {len(articles)} articles, rejected {len(rejects)} inputs", file=sys.stderr)
    return 0


def register(subparsers) -> None:
    """Add the ``load`` command."""
    p = subparsers.add_parser(
        "load",
        help="load a corpus and write the articles table",
        description="Load articles from .txt folders, .jsonl, .csv and .parquet files; write the "
        "articles table (JSONL on stdout without -o) and list rejected inputs on stderr.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="files or folders")
    p.add_argument("-o", "--output", metavar="FILE", help="output .jsonl, .csv or .parquet")
    add_column_options(p)
    p.set_defaults(func=_cmd_load)
