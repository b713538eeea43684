"""Corpus loading: articles and rejects tables from .txt folders, .jsonl, .csv and .parquet files.

A ``.txt`` file is one article in wire layout (headline line, dateline, paragraphs, trailing agency
tag); a record of a ``.jsonl``/``.csv``/``.parquet`` file is one article whose ``text`` field is
emitted unchanged, so character offsets of every feature index into the input. Nothing is
dropped silently: every input that cannot be read becomes a row of the rejects table.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import itertools
import json
import math
import os
import re
import stat
import sys
import unicodedata
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis import config
from analysis.files import atomic_path, is_output_folder
from analysis.tables import arrow_safe, column_kinds, json_text, needs_text, replace_surrogates

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
DEFAULT_COLUMNS = config.DEFAULT_COLUMNS

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
# Searched patterns that open with a whitespace run start it only where the run starts
# ((?<!\s)): tried inside a run, each start would rescan the run to its end, and a record with
# 50,000 spaces took half a minute. The match found is the same (the leftmost start).
_SIGNOFF_RE = re.compile(
    r"(?<!\s)\s*\((?:(?:Reporting|Writing|Additional reporting|Editing|Compiled|Compiling)\b[^()]*"
    r"(?:\([^()]*\)[^()]*)*)\)\s*$",
    re.IGNORECASE,
)
_TAG_RE = re.compile(
    rf"(?:(?<=[.!?\"”’'])[ \t]*|(?<!\s)\s*{_DASH}[ \t]*|\n[ \t]*)\(?(?P<agency>{_AGENCY_RE})\)?[ \t]*$",
    re.IGNORECASE,
)
_LONE_TAG_RE = re.compile(
    rf"[ \t]*(?:{_DASH}[ \t]*)?\(?(?P<agency>{_AGENCY_RE})\)?[ \t.]*", re.IGNORECASE
)
_YEAR_RE = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")
_WORD_RE = re.compile(r"[^\W_]+(?:(?:[’'\-.]|(?<=\d),(?=\d))[^\W_]+)*", re.UNICODE)
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
    # CRLF and CR read exactly like LF: a Windows copy of a story has the same headline,
    # paragraphs and dateline (the paragraphs returned are text, not offsets).
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
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


def display_path(path: str | os.PathLike) -> str:
    """``path`` as text that every writer and terminal accepts.

    A file name may hold bytes that are not UTF-8; Python reads them as lone surrogates, which
    Parquet, JSON and UTF-8 terminals refuse. They are shown as ``\\xNN`` instead.
    """
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def _warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode ``data`` and return ``(text, encoding)``.

    Tries UTF-8 with a BOM, UTF-16 with a BOM, plain UTF-8, then cp1252 (which the caller
    reports). Raises :class:`RejectedInput` for empty, binary or undecodable data.
    """
    if not data.strip(b" \t\r\n\x00"):
        raise RejectedInput("empty file")
    encoding = _bom_encoding(data)
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
    _check_not_binary(text[:4096])
    return text, encoding


def _bom_encoding(head: bytes, *, nul_is_binary: bool = True) -> str:
    """The encoding a file's first bytes announce (a BOM), else UTF-8.

    A NUL byte in a story means a binary file; in a table (``nul_is_binary=False``) it may be
    one bad value, so only many control characters reject the file there.
    """
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if nul_is_binary and b"\x00" in head[:8192]:
        raise RejectedInput("binary file (contains NUL bytes; not text)")
    return "utf-8"


def _check_not_binary(head: str) -> None:
    control = sum(1 for c in head if unicodedata.category(c) == "Cc" and c not in "\t\n\r\x0b\x0c")
    if control > max(8, len(head) // 50):
        raise RejectedInput("binary file (control characters; not text)")


def _not_regular(mode: int) -> str:
    kind = (
        "a named pipe (FIFO)"
        if stat.S_ISFIFO(mode)
        else "a socket"
        if stat.S_ISSOCK(mode)
        else "a device"
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
        else "not a regular file"
    )
    return f"{kind}; not read"


def _open_regular(path: Path):
    """Open ``path`` for reading in binary, refusing anything but a regular file.

    Opened without blocking, then checked: opening a FIFO for reading would wait for a writer
    forever, and a file can be swapped for one between a listing and the open.
    """
    nonblock = getattr(os, "O_NONBLOCK", 0)
    fd = os.open(path, os.O_RDONLY | nonblock | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise RejectedInput(_not_regular(mode))
        if nonblock:
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


#: Bytes read at a time when a file is scanned or streamed.
_BLOCK = 1 << 20


def _text_encoding(fh) -> str:
    """The encoding of the open binary file ``fh`` by the rules of :func:`decode_bytes`.

    The file is checked block by block (memory stays one block, whatever its size) and left at
    its start.
    """
    head = fh.read(8192)
    if _blank_file(fh):
        raise RejectedInput("empty file")
    first = _bom_encoding(head, nul_is_binary=False)
    failures = []
    for encoding in [first, "cp1252"] if first == "utf-8" else [first]:
        position = _first_undecodable(fh, encoding)
        if position is None:
            fh.seek(0)
            _check_not_binary(fh.read(16384).decode(encoding, errors="ignore")[:4096])
            fh.seek(0)
            return encoding
        failures.append(position)
    if first != "utf-8":
        raise RejectedInput(f"undecodable bytes as {first} at byte {failures[0]}")
    raise RejectedInput(
        f"undecodable bytes: not UTF-8 (byte {failures[0]}) nor cp1252 (byte {failures[1]})"
    )


def _blank_file(fh) -> bool:
    fh.seek(0)
    while block := fh.read(_BLOCK):
        if block.strip(b" \t\r\n\x00"):
            return False
    return True


def _first_undecodable(fh, encoding: str) -> int | None:
    """The offset of the first byte of ``fh`` that ``encoding`` cannot decode, or None."""
    fh.seek(0)
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0
    while True:
        block = fh.read(_BLOCK)
        pending = len(decoder.getstate()[0])
        try:
            decoder.decode(block, final=not block)
        except UnicodeDecodeError as exc:
            return offset - pending + exc.start
        if not block:
            return None
        offset += len(block)


# --- finding the inputs --------------------------------------------------------------------------

#: The reason a folder written by the tools (it carries their marker) is not read as a corpus.
OUTPUT_FOLDER_SKIPPED = "output folder of the tools, skipped"


def iter_input_files(paths: Iterable[str | os.PathLike]) -> Iterator[tuple[Path, str | None, Path]]:
    """Yield ``(path, problem, root)`` for every input under ``paths``, in a stable order.

    Folders are walked recursively and sorted; ``problem`` is None for a readable regular file
    of a supported type, else the reason it is rejected. Named pipes, sockets, devices, broken
    links, links to folders, unreadable folders and the tools' own output folders are listed
    with their reason and never opened.
    """
    for raw in paths:
        path = Path(raw)
        try:
            mode = os.stat(path).st_mode
        except FileNotFoundError:
            reason = "broken link" if os.path.islink(path) else "no such file or folder"
            yield path, reason, path.parent
            continue
        except OSError as exc:
            yield path, f"unreadable: {exc.strerror or exc}", path.parent
            continue
        if stat.S_ISDIR(mode):
            if _is_output_folder(path):
                yield path, OUTPUT_FOLDER_SKIPPED, path.parent
            else:
                yield from _walk_folder(path)
        elif stat.S_ISREG(mode):
            problem = _suffix_problem(path, path.suffix.lower()) or _access_problem(path)
            yield path, problem, path.parent
        else:
            yield path, _not_regular(mode), path.parent


def _is_output_folder(folder: Path) -> bool:
    try:
        return is_output_folder(folder)
    except OSError:  # an unsearchable folder: its own listing reports the problem
        return False


def _walk_folder(root: Path) -> Iterator[tuple[Path, str | None, Path]]:
    # os.walk rather than Path.rglob: rglob stops with an exception at an unreadable sub-folder
    # and lists FIFOs and sockets like files; here each becomes a row of the rejects table.
    found: list[tuple[Path, str | None]] = []

    def unreadable(exc: OSError) -> None:
        found.append((Path(exc.filename), f"unreadable folder: {exc.strerror or exc}"))

    for dirpath, dirnames, filenames in os.walk(root, onerror=unreadable):
        here = Path(dirpath)
        keep = []
        for name in dirnames:
            sub = here / name
            if os.path.islink(sub):
                found.append((sub, "link to a folder, not followed (give the folder as an input)"))
            elif _is_output_folder(sub):
                found.append((sub, OUTPUT_FOLDER_SKIPPED))
            else:
                keep.append(name)
        dirnames[:] = keep
        found.extend((here / name, _file_problem(here / name)) for name in filenames)
    found.sort(key=lambda item: item[0])
    for path, problem in found:
        yield path, problem, root


def _file_problem(path: Path) -> str | None:
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "broken link" if os.path.islink(path) else "vanished while the folder was read"
    except OSError as exc:
        return f"unreadable: {exc.strerror or exc}"
    if not stat.S_ISREG(mode):
        return _not_regular(mode)
    # Suffixes in folders are case-sensitive: a folder's README.TXT is not an article.
    return _suffix_problem(path, path.suffix) or _access_problem(path)


def _suffix_problem(path: Path, suffix: str) -> str | None:
    if suffix in config.CORPUS_SUFFIXES:
        return None
    return (
        f"unsupported file type {path.suffix or '(no suffix)'!r}; "
        f"expected one of {', '.join(config.CORPUS_SUFFIXES)}"
    )


def _access_problem(path: Path) -> str | None:
    if not os.access(path, os.R_OK):
        return "permission denied (unreadable)"
    return None


# --- loading -------------------------------------------------------------------------------------


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
        ``outlet``/``source``. Every other column passes through as metadata; one named like
        an output column (``dateline``, ``source``...) comes back as ``input_<name>``.
    progress : bool, optional
        Show a progress bar on stderr; by default when there are many files.

    Returns
    -------
    articles : DataFrame
        One row per article (columns :data:`ARTICLE_COLUMNS` then metadata), sorted by
        ``article_id``. Exact duplicates are kept and point at the first copy in ``duplicate_of``.
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


def _duplicate_key(text: str) -> bytes:
    return hashlib.sha1(normalised_text(text).encode("utf-8")).digest()


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
        src = display_path(path)
        if problem:
            rejects.append({"source": src, "reason": problem})
            continue
        try:
            if path.suffix.lower() == ".txt":
                with _open_regular(path) as fh:
                    data = fh.read()
                yield _article_from_txt(path, src, root, data)
            else:
                yield from _articles_from_records(path, src, opts, rejects)
        except RejectedInput as exc:
            rejects.append({"source": src, "reason": str(exc)})
        except OSError as exc:
            rejects.append({"source": src, "reason": f"unreadable: {exc.strerror or exc}"})
        except Exception as exc:  # a bug must not cost the user the other files: report it
            rejects.append({"source": src, "reason": _internal_error(exc)})


def _internal_error(exc: Exception) -> str:
    return f"internal error ({type(exc).__name__}: {exc}); please report it"


def _reject_order(reject: dict) -> tuple[str, int]:
    # Rejects of one file in line order: "file.jsonl:12" sorts after "file.jsonl:3".
    source = reject["source"]
    head, _, tail = source.rpartition(":")
    return (head, int(tail)) if tail.isdigit() and head else (source, 0)


def _rejects_frame(rejects: list[dict]) -> pd.DataFrame:
    rejects.sort(key=_reject_order)
    return pd.DataFrame(rejects, columns=REJECT_COLUMNS).astype("object")


def _article_from_txt(path: Path, src: str, root: Path, data: bytes) -> dict:
    text, encoding = decode_bytes(data)
    wire = parse_wire(text, detect_headline=True)
    if not wire.paragraphs:
        raise RejectedInput("no text after the headline")
    rel = path.relative_to(root) if path.is_relative_to(root) else Path(path.name)
    article_id = display_path(rel.with_suffix("").as_posix())
    body = "\n\n".join(wire.paragraphs)
    return _row(article_id, src, body, wire, encoding, headline=wire.headline)


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


def _articles_from_records(
    path: Path, src: str, opts: _Options, rejects: list[dict]
) -> Iterator[dict]:
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
            name = "input_" + name
            while name in rec or name in _OUTPUT_NAMES:
                name = "input_" + name
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


def _blank(value) -> bool:
    return value is None or value == "" or (isinstance(value, float) and math.isnan(value))


def _text(value) -> str:
    return value if isinstance(value, str) else json_text(value)


def _text_value(value) -> str | None:
    return None if _blank(value) else _text(value)


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


def normalised_text(text: str) -> str:
    """The text used to find exact duplicates: NFKC, whitespace runs (line ends too) folded to one space."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


# --- the articles table --------------------------------------------------------------------------

#: Arrow types of the article columns (metadata columns take the type of their values).
_COLUMN_TYPES = {
    c: "int64" if c in ("n_paragraphs", "n_words") else "string" for c in ARTICLE_COLUMNS
}


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
        perm = sorted(range(len(rows)), key=lambda i: rows[i]["article_id"])
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
        self.order = sorted(range(n), key=self.row_ids.__getitem__)
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
        if all(info[2] == n for info, n in present):
            return pa.null()  # no value at all, as a DataFrame of None always wrote it
        return pa.int64() if _COLUMN_TYPES[name] == "int64" else pa.string()
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
            c: pd.Series(dtype="int64" if _COLUMN_TYPES[c] == "int64" else object)
            for c in ARTICLE_COLUMNS
        }
    )


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


def write_jsonl(schema, slices: Iterable, fh) -> None:
    import pyarrow as pa

    floats = [f.name for f in schema if pa.types.is_floating(f.type)]
    for part in slices:
        lines = []
        for row in part.to_pylist():
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
    for part in slices:
        for row in part.to_pylist():
            write([_csv_cell(v) for v in row.values()])
