"""Wire layout: paragraphs, headline, dateline, agency tag, sign-off and credits of a story.

The one home of the layout rules: the loader (:mod:`analysis.corpus`) reads a story's
structure with :func:`parse_wire`; topic terms skip :func:`layout_spans` (the loader's dateline
and the sign-offs) and entity mentions skip :func:`signoff_spans`. Nothing here needs pandas until :func:`published_date`
is called, so importing :func:`paragraph_spans` is cheap.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from analysis.lexicon import AGENCIES, AGENCY_NAMES, MONTHS

__all__ = [
    "AGENCIES",
    "Dateline",
    "WireStructure",
    "count_words",
    "layout_spans",
    "loader_dateline",
    "normalise_newlines",
    "paragraph_spans",
    "parse_dateline",
    "parse_wire",
    "published_date",
    "signoff_spans",
]

# --- datelines, agency tags, sign-offs ---------------------------------------------------------------------------------
# Hand-written patterns: no library parses wire datelines, and the forms are few and regular.

_MONTH_RE = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_DATE_RE = (
    rf"(?P<month>{_MONTH_RE})\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(?P<year>(?:19|20)\d\d))?"
)
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
        # The agency after the date, unbracketed: older Reuters copy ("BRUSSELS, March 27,
        # Reuter -"). Only after a date: without one, ", Reuter" reads as a region.
        (?:,[ \t]*(?P<agency_after>{_AGENCY_RE})(?![\w\-]))?
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
# A credit on a line of its own at the foot, indented or after a blank line: the sign-off of
# older Reuters copy ("...the contract.\n Reuter"). Read off the raw text, since joining
# hard-wrapped lines into paragraphs loses the line break; a bare line break does not do, as
# hard-wrapped copy breaks anywhere ("the minister told\nReuters.").
_SIGNOFF_LINE_RE = re.compile(
    rf"(?:\n[ \t]*\n|\n[ \t]+)[ \t]*\(?(?P<agency>{_AGENCY_RE})\)?[ \t.]*\s*\Z", re.IGNORECASE
)
_END_TAG_RE = re.compile(rf"[ \t]*\(?(?P<agency>{_AGENCY_RE})\)?[ \t.]*$", re.IGNORECASE)
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


#: Characters trimmed at a paragraph's edges: every Unicode whitespace character and the BOM.
_EDGE_SPACE = "".join(chr(c) for c in range(0x3001) if chr(c).isspace()) + "\ufeff"


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
        # Any Unicode whitespace (a vertical tab, a form feed) and a stray BOM are blank.
        stripped = line.strip(_EDGE_SPACE)
        line_start, line_end = pos, pos + len(line)
        pos = line_end + 1
        if not stripped:
            if start is not None:
                spans.append((start, end))
                start = None
            continue
        lead = len(line) - len(line.lstrip(_EDGE_SPACE))
        content_start = line_start + lead
        content_end = line_start + len(line.rstrip(_EDGE_SPACE))
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
        m.group("agency") or m.group("agency_after"),
        m.group("term"),
    )
    # A bare place counts only in capitals followed by a colon or dash ("ISLAMABAD:"); a place in
    # ordinary case needs a date or a bracketed agency ("Washington (AFP) –").
    if month is None and agency is None and (term.strip() == "" or not _is_caps(place)):
        return None
    region = m.group("region")
    day = int(m.group("day")) if m.group("day") else None
    year = int(m.group("year")) if m.group("year") else None
    mon = MONTHS[month.rstrip(".").lower()] if month else None
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
        if agency is None and (m := _SIGNOFF_LINE_RE.search(text, max(0, len(text) - 200))):
            agency = AGENCIES[m.group("agency").lower()]
            tag = _END_TAG_RE.search(last, max(0, len(last) - 80))
            if tag:
                last = last[: tag.start()].rstrip()
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
    import pandas as pd  # here, not at the top: paragraph_spans and parse_wire need no pandas

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


def _parse_date(value) -> pd.Timestamp | None:  # noqa: F821 - pandas is imported lazily
    """Parse a metadata date when it names a full day ("2011-09-26", "26-FEB-1987 15:01:01.79")."""
    import pandas as pd

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


# --- layout inside a story's text ----------------------------------------------------------------
# The loader keeps a record's text unchanged (offsets index into the input), so features skip
# the layout by span. layout_spans gives them the loader's own dateline (parse_wire /
# parse_dateline) and the entity layer's sign-offs (signoff_spans): one rule for all three.

# Credits anywhere in a story ("(Reporting by ...)") and a byline opening it ("By Jane Doe").
_CREDIT_RES = (
    re.compile(r"\((?:[A-Z][a-z]+ )?(?:[Rr]eporting|[Ww]riting|[Ee]diting)\b[^)]*\)"),
    re.compile(r"\A\s*By [A-Z][^\n]{0,60}?(?<![.!?\"”])(?=\n|\Z)"),
)


# The tag alone on the last line, indented or after a blank line (a Reuters sign-off after a
# table: "...  1,337\n Reuter"); see _SIGNOFF_LINE_RE for why a bare line break is not enough.
_OWN_LINE_RE = re.compile(r"(?:\n[ \t]*\n|\n[ \t]+)[ \t(]*\Z")


_LINE_RE = re.compile(r"[^\r\n]+")


def loader_dateline(article) -> str | None:
    """The loader's ``dateline_text`` of an article row, for :func:`layout_spans`.

    ``""`` when the loader found no dateline (its field is missing or null), ``None`` when the
    row never went through the loader (no such field): :func:`layout_spans` reads it then.
    """
    if "dateline_text" not in article:
        return None
    dateline = article.get("dateline_text")
    return dateline if isinstance(dateline, str) else ""


def layout_spans(text: str, dateline_text: str | None = None) -> list[tuple[int, int]]:
    """Return character spans of wire layout in ``text`` that are not story: dateline and sign-offs.

    Parameters
    ----------
    text : str
        An article body, as the loader kept it.
    dateline_text : str, optional
        The loader's ``dateline_text`` for this article (``""`` when it found none). Without it
        the dateline is read with :func:`parse_wire`, the loader's rule, so a text that never
        went through the loader gets the same span.

    Returns
    -------
    list of (int, int)
        The dateline with its separator ("ISLAMABAD:", "BRUSSELS, March 27, Reuter -"), then
        bylines, credits and a trailing agency tag (:func:`signoff_spans`), in text order.

    Examples
    --------
    >>> layout_spans("ISLAMABAD: Pakistan's army chief left.\n\nafp")
    [(0, 10), (40, 43)]
    """
    if dateline_text is None:
        found = parse_wire(text, detect_headline=False).dateline
        dateline_text = found.text if found else ""
    spans = []
    if dateline_text:
        # The first of the opening lines where the loader's rule reads this dateline.
        for n, line in enumerate(_LINE_RE.finditer(text)):
            if n >= 12:
                break
            parsed = parse_dateline(line.group())
            if parsed and parsed.text == dateline_text:
                lead = len(line.group()) - len(line.group().lstrip())
                head = line.group()[: parsed.end].rstrip()
                spans.append((line.start() + lead, line.start() + len(head)))
                break
    spans.extend(signoff_spans(text, AGENCY_NAMES))
    return sorted(spans)


def signoff_spans(text: str, agencies: Iterable[str]) -> list[tuple[int, int]]:
    """Return character spans of bylines, credits and a trailing agency tag in ``text``.

    Parameters
    ----------
    text : str
        An article body.
    agencies : iterable of str
        Agency names in lower case without a final full stop (the entity module's list,
        ``resources/agencies.txt``); the first one that ends the text is its tag.

    Returns
    -------
    list of (int, int)
        Spans where no actor lives: credits first, then the tag.
    """
    spans = [m.span() for rx in _CREDIT_RES for m in rx.finditer(text)]
    stripped = text.rstrip(" \t\n.)")
    low = stripped.lower()
    # Longest first, so "Thomson Reuters" is the tag rather than "Reuters".
    for name in sorted(agencies, key=lambda n: (-len(n), n)):
        a = len(stripped) - len(name)
        if a < 0 or not low.endswith(name) or (a > 0 and stripped[a - 1].isalnum()):
            continue
        # Only a tag set apart from the last sentence counts ("... attacks. afp", "-- AFP"),
        # not a story that ends "... told AFP".
        sep = stripped[:a]
        before = sep.rstrip(" \t\n-—–(")
        if (
            not before
            or before[-1] in ".!?\"'”’)"
            or sep[len(before) :].strip()
            or _OWN_LINE_RE.search(sep, max(0, len(sep) - 80))
        ):
            spans.append((a, len(stripped)))
        break
    return spans
