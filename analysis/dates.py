"""Date expressions in news text ("on Monday", "last week", "Sept. 19", "Dec. 1, 2009"), resolved."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from typing import NamedTuple

from analysis import features
from analysis.lexicon import MONTHS as _MONTHS
from analysis.lexicon import SMALL_NUMBERS as _SMALL_NUMBERS
from analysis.lexicon import WEEKDAYS as _WEEKDAYS
from analysis.nlp import doc_text

__all__ = [
    "DateExpression",
    "date_expressions",
    "extract_dates",
    "parse_published",
]

#: Columns of the ``dates`` table: the DESIGN.md ones, then the extras documented in
#: :func:`extract_dates`.
DATE_COLUMNS = list(features.columns("dates"))


# Month names are matched capitalised only: "may", "march" and "sat" are ordinary words.
_MONTH = (
    r"(?P<month>Jan(?:uary|\.)?|Feb(?:ruary|\.)?|Mar(?:ch|\.)?|Apr(?:il|\.)?|May|June?\.?"
    r"|July?\.?|Aug(?:ust|\.)?|Sept?(?:ember|\.)?|Oct(?:ober|\.)?|Nov(?:ember|\.)?"
    r"|Dec(?:ember|\.)?)"
)
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>1[89]\d\d|20\d\d)"
# A number glued to letters or hyphens ("2010-04-CA-049", "KSE-100") is a code, not a date.
_NOT_CODE_BEFORE = r"(?<![\w\-/.,])"
_NOT_CODE_AFTER = r"(?![\w\-/]|[.,]\d)"
_WEEKDAY = (
    r"(?P<weekday>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
    r"|(?:Mon|Tues?|Wed|Thu(?:rs?)?|Fri|Sat|Sun)\.)"
)
_PART_OF_DAY = r"(?:\s+(?P<part>morning|afternoon|evening|night))?"

# (name, compiled pattern); earlier patterns win where matches overlap.
_PATTERNS: list[tuple[str, re.Pattern]] = [
    (
        "iso",
        re.compile(
            _NOT_CODE_BEFORE + r"(?P<year>\d{4})-(?P<mon>[01]\d)-(?P<day>[0-3]\d)" + _NOT_CODE_AFTER
        ),
    ),
    (
        "weekday_month_day",
        re.compile(
            r"\b"
            + _WEEKDAY
            + r",?\s+"
            + _MONTH
            + r"\s+"
            + _DAY
            + r"(?:,?\s+"
            + _YEAR
            + r")?\b(?![,.]?\d)"
        ),
    ),
    (
        # "Feb. 16 and 18", "between Dec. 1 and 3", "Dec. 1-3, 2009": two dates, one per day.
        "month_day_range",
        re.compile(
            r"\b(?P<first>"
            + _MONTH
            + r"\s+"
            + _DAY
            + r")\s*(?:-|–|—|and|to|through|until|till)\s*(?P<second>(?P<day2>[0-3]?\d)"
            r"(?:st|nd|rd|th)?(?:,?\s+" + _YEAR + r")?)\b(?![,.:]?\d)"
            # "on April 1 to 15 pct": a rate, not a day.
            r"(?!\s*%|\s*(?:pct|percent|per\s+cent)\b)"
        ),
    ),
    (
        "month_day",
        re.compile(r"\b" + _MONTH + r"\s+" + _DAY + r"(?:,?\s+" + _YEAR + r")?\b(?![,.:]?\d)"),
    ),
    (
        "day_month",
        re.compile(
            _NOT_CODE_BEFORE + _DAY + r"\s+(?:of\s+)?" + _MONTH + r"(?:,?\s+" + _YEAR + r")?\b"
        ),
    ),
    ("month_year", re.compile(r"\b" + _MONTH + r",?\s+" + _YEAR + r"\b")),
    (
        "weekday",
        re.compile(
            r"(?:\b(?P<mod>[Ll]ast|[Nn]ext|[Tt]his|[Ee]arly|[Ll]ate|[Tt]his\s+coming|[Tt]his\s+past)\s+)?\b"
            + _WEEKDAY
            + r"(?!\w)"
            + _PART_OF_DAY
        ),
    ),
    (
        "relative_day",
        re.compile(
            r"(?i)\b(?P<rel>the\s+day\s+before\s+yesterday|the\s+day\s+after\s+tomorrow|yesterday"
            r"|today|tonight|tomorrow|last\s+night|overnight"
            r"|this\s+(?:morning|afternoon|evening))\b"
        ),
    ),
    (
        "relative_period",
        re.compile(
            r"(?i)\b(?P<mod>last|this|next|past|coming|previous)\s+(?P<unit>week|weekend|month|year)\b"
        ),
    ),
    (
        "ago",
        re.compile(
            r"(?i)\b(?P<n>\d{1,3}|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
            r"\s+(?P<unit>day|week|month|year)s?\s+ago\b"
        ),
    ),
    (
        "month_alone",
        re.compile(
            # The lookahead first: it fails fast where no capital letter starts a word, so the
            # sixteen lookbehinds run only before capitalised words (this keeps the scan cheap).
            r"(?=[JFMASOND][a-z]{2,8}\b)"
            r"(?:(?<=\b[Ii]n\s)|(?<=\b[Ss]ince\s)|(?<=\b[Uu]ntil\s)|(?<=\b[Bb]y\s)|(?<=\b[Dd]uring\s)"
            r"|(?<=\b[Ee]arly\s)|(?<=\b[Ll]ate\s)|(?<=\bmid-)|(?<=\b[Oo]f\s)|(?<=\b[Ll]ast\s)"
            r"|(?<=\b[Nn]ext\s)|(?<=\b[Tt]his\s)|(?<=\b[Ff]rom\s)|(?<=\b[Tt]o\s)|(?<=\b[Bb]efore\s)"
            r"|(?<=\b[Aa]fter\s))"
            r"(?P<month>January|February|March|April|May|June|July|August|September|October"
            r"|November|December)\b(?!\s+\d)"
        ),
    ),
    (
        # "on the 5th": a day of the month without its month. Only after a preposition and
        # before punctuation or a clause word, so "the 17th Haqqani leader" stays a rank.
        "day_of_month",
        re.compile(
            r"(?=the\s)(?:(?<=\b[Oo]n\s)|(?<=\b[Ss]ince\s)|(?<=\b[Bb]y\s)|(?<=\b[Uu]ntil\s)"
            r"|(?<=\b[Bb]efore\s)|(?<=\b[Aa]fter\s)|(?<=\b[Ff]rom\s))"
            r"the\s+(?P<day>[0-3]?\d)(?:st|nd|rd|th)\b"
            r"(?=\s*(?:[,.;:)]|$)|\s+(?:when|at|in|as|after|before|of\s+this\s+month)\b)"
        ),
    ),
    ("year", re.compile(_NOT_CODE_BEFORE + _YEAR + r"(?!s\b)" + _NOT_CODE_AFTER)),
]
# Kinds that name a month: a year read from the text can place them when the published date is
# unknown ("July 16" in a release numbered 2010-07-CA-129), unlike "yesterday" or "Monday".
_EXPLICIT_KINDS = frozenset(
    ("weekday_month_day", "month_day_range", "month_day", "day_month", "month_alone")
)
# Four-digit years as the loader counts them (analysis.corpus): reference numbers included.
_WRITTEN_YEAR_RE = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d|s\b)")

# Words that make a spaCy DATE entity a date expression rather than a number it mislabelled
# ("11,265.03" is tagged DATE by the small model).
_DATE_WORD_RE = re.compile(
    r"(?i)\b(?:day|days|week|weeks|weekend|month|months|year|years|decade|decades|century"
    r"|centuries|spring|summer|autumn|fall|winter|season|quarter|ago|recent|yesterday|today"
    r"|tomorrow|\d{4}s|"
    + "|".join(k for k in _MONTHS if len(k) > 3)
    + "|"
    + "|".join(k for k in _WEEKDAYS if len(k) > 4)
    + r")\b"
)
# Durations ("three years", "the 10-year war") are DATE entities for spaCy but not dates.
_DURATION_RE = re.compile(
    r"(?i)^(?:the\s+)?(?:(?:past|last|next|first|coming)\s+)?(?:\d[\d,.]*|a|an|one|two|three|four"
    r"|five|six|seven|eight|nine|ten|eleven|twelve|several|few|many|some)(?:\s+|-)"
    r"(?:day|week|month|year|decade|hour|minute)s?(?:-old|-long)?$"
)
_FUTURE_AUX = {"will", "shall", "'ll", "wo", "’ll"}
_FUTURE_HEADS = {"expect", "schedule", "set", "plan", "due", "hope", "intend", "aim", "prepare"}


class DateExpression(NamedTuple):
    """One date expression: its character span, text and resolution against the published date.

    ``resolved`` is an ISO date (the first day of the week, month or year for coarser
    resolutions) or None; ``resolution`` is ``day``, ``week``, ``month`` or ``year`` (None when
    not known); ``relative`` says whether the expression needs the published date ("Monday",
    "last week"); ``direction`` is ``past`` or ``future`` for weekdays and dates without a year
    whose tense decided the resolution, else None; ``source`` is ``pattern`` or ``spacy``.
    """

    start: int
    end: int
    text: str
    resolved: str | None
    resolution: str | None
    relative: bool
    direction: str | None
    source: str


class _Anchor(NamedTuple):
    """The published date, possibly partial: a day, a month ("2010-05") or a year."""

    date: dt.date
    precision: str  # "day", "month" or "year"


def parse_published(value) -> _Anchor | None:
    """Parse an article's ``published`` value into an anchor date, or None when unknown.

    Accepts ISO strings of a day (``2011-09-26``, with or without a time), a month
    (``2010-05``) or a year (``2011``), and ``date``/``datetime``/pandas ``Timestamp`` objects.
    A partial date anchors explicit dates without a year but cannot resolve "yesterday".
    """
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return _Anchor(value.date(), "day")
    if isinstance(value, dt.date):
        return _Anchor(value, "day")
    if hasattr(value, "to_pydatetime"):  # pandas Timestamp, without importing pandas
        try:
            return _Anchor(value.to_pydatetime().date(), "day")
        except ValueError:  # NaT
            return None
    text = str(value).strip()
    m = re.match(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?", text)
    if not m:
        return None
    try:
        if m.group(3):
            return _Anchor(dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))), "day")
        if m.group(2):
            return _Anchor(dt.date(int(m.group(1)), int(m.group(2)), 15), "month")
        return _Anchor(dt.date(int(m.group(1)), 7, 1), "year")
    except ValueError:
        return None


def _month_number(name: str) -> int:
    return _MONTHS[name.rstrip(".").lower()]


def _safe_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _direction(doc, start: int, end: int) -> str | None:
    """Return ``future`` or ``past`` from the clause governing the span, or None if unclear.

    Future: the date follows "for" ("a conference for Thursday"), or its verb has "will"/"shall",
    is governed by "expected/scheduled/due/set to", or is in the present tense ("begins
    Thursday", "is on Tuesday"): news reports past events in the past tense. Past: a
    past-tense or perfect verb.
    """
    if doc is None:
        return None
    span = doc.char_span(start, end, alignment_mode="expand")
    if span is None or len(span) == 0:
        return None
    tok = span.root
    if tok.head.lower_ == "for" and tok.dep_ == "pobj":
        return "future"
    verb = tok
    for _ in range(6):
        if verb.pos_ in ("VERB", "AUX") or verb.head is verb:
            break
        verb = verb.head
    if verb.pos_ not in ("VERB", "AUX"):
        return None
    chain = [verb]
    head = verb
    for _ in range(3):
        if head.dep_ in ("xcomp", "ccomp", "advcl", "conj") and head.head is not head:
            head = head.head
            chain.append(head)
        else:
            break
    for v in chain:
        children = {c.lower_ for c in v.children if c.dep_ in ("aux", "auxpass")}
        if children & _FUTURE_AUX:
            return "future"
        if v is not verb and v.lemma_.lower() in _FUTURE_HEADS:
            return "future"
        if v.lemma_.lower() in _FUTURE_HEADS and any(c.dep_ == "xcomp" for c in v.children):
            return "future"
    tags = [v.tag_ for v in chain[:1]] + [
        c.tag_ for c in verb.children if c.dep_ in ("aux", "auxpass")
    ]
    if any(t in ("VBD", "VBN") for t in tags):
        return "past"
    if verb.tag_ in ("VBZ", "VBP") or any(t in ("VBZ", "VBP") for t in tags):
        # "is to address", "begins": present tense in news speaks of what is scheduled.
        return "future"
    return None


def _weekday_date(anchor: dt.date, weekday: int, mode: str) -> dt.date:
    """The ``weekday`` nearest ``anchor`` in ``mode``: on_or_before, before, on_or_after, after."""
    back = (anchor.weekday() - weekday) % 7
    fwd = (weekday - anchor.weekday()) % 7
    if mode == "on_or_before":
        return anchor - dt.timedelta(days=back)
    if mode == "before":
        return anchor - dt.timedelta(days=back or 7)
    if mode == "on_or_after":
        return anchor + dt.timedelta(days=fwd)
    return anchor + dt.timedelta(days=fwd or 7)


def _year_for(month: int, day: int, anchor: _Anchor, direction: str | None) -> dt.date | None:
    """Pick the year of a month-day date written without one.

    With a full published date: the most recent such day on or before it for past-tense
    clauses, the next on or after it for future ones, else the nearest. With a partial
    published date (month or year) the nearest to its middle.
    """
    base = anchor.date
    candidates = [
        d for y in (base.year - 1, base.year, base.year + 1) if (d := _safe_date(y, month, day))
    ]
    if not candidates:
        return None
    if anchor.precision == "day" and direction == "past":
        past = [d for d in candidates if d <= base]
        return max(past) if past else min(candidates, key=lambda d: abs((d - base).days))
    if anchor.precision == "day" and direction == "future":
        fut = [d for d in candidates if d >= base]
        return min(fut) if fut else min(candidates, key=lambda d: abs((d - base).days))
    if anchor.precision == "year":
        return _safe_date(base.year, month, day)
    return min(candidates, key=lambda d: abs((d - base).days))


def _month_for(day: int, anchor: _Anchor, direction: str | None) -> dt.date | None:
    """Pick the month of a day of the month written alone ("on the 5th").

    The published month or a neighbour, by the rule of :func:`_year_for`: on or before the
    published day for past-tense clauses, on or after it for future ones, else the nearest.
    With a month-precision published date, that month.
    """
    base = anchor.date
    if anchor.precision == "month":
        return _safe_date(base.year, base.month, day)
    first = dt.date(base.year, base.month, 1)
    candidates = [
        d
        for step in (-1, 0, 1)
        if (d := _safe_date((s := _shift_month(first, step)).year, s.month, day))
    ]
    if not candidates:
        return None
    if direction == "past":
        past = [d for d in candidates if d <= base]
        if past:
            return max(past)
    if direction == "future":
        fut = [d for d in candidates if d >= base]
        if fut:
            return min(fut)
    return min(candidates, key=lambda d: abs((d - base).days))


def _written_year(text: str, doc) -> _Anchor | None:
    """The one year the text is written in, as a year anchor, or None when it names none or several.

    Years count as the loader counts them when it completes a dateline without one (see
    ``analysis.corpus.published_date``), reference numbers such as "2010-07-CA-129" included,
    but amounts ("2000 troops", "1900 hours") and decades ("1990s") do not.
    """
    years = set()
    for m in _WRITTEN_YEAR_RE.finditer(text):
        if doc is not None and _year_is_amount(doc, m.start(), m.end()):
            continue
        years.add(int(m.group(1)))
        if len(years) > 1:
            return None
    return _Anchor(dt.date(years.pop(), 7, 1), "year") if years else None


def _monday(d: dt.date) -> dt.date:
    return d - dt.timedelta(days=d.weekday())


def _shift_month(d: dt.date, months: int) -> dt.date:
    index = d.year * 12 + d.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _resolve(kind: str, m: re.Match, anchor: _Anchor | None, doc) -> tuple:
    """Return (resolved date or None, resolution, relative, direction) for one pattern match."""
    g = m.groupdict()
    day_anchor = anchor.date if anchor and anchor.precision == "day" else None
    if kind == "iso":
        d = _safe_date(int(g["year"]), int(g["mon"]), int(g["day"]))
        return d, "day", False, None
    if kind in ("month_day", "day_month", "weekday_month_day"):
        month, day = _month_number(g["month"]), int(g["day"])
        if not 1 <= day <= 31:
            return None, None, False, None
        if g.get("year"):
            return _safe_date(int(g["year"]), month, day), "day", False, None
        if anchor is None:
            return None, "day", True, None
        direction = _direction(doc, m.start(), m.end())
        return _year_for(month, day, anchor, direction), "day", True, direction
    if kind == "day_of_month":
        day = int(g["day"])
        if not 1 <= day <= 31:
            return None, None, False, None
        if anchor is None or anchor.precision == "year":
            return None, "day", True, None
        direction = _direction(doc, m.start(), m.end())
        return _month_for(day, anchor, direction), "day", True, direction
    if kind == "month_year":
        return _safe_date(int(g["year"]), _month_number(g["month"]), 1), "month", False, None
    if kind == "year":
        return dt.date(int(g["year"]), 1, 1), "year", False, None
    if kind == "month_alone":
        month = _month_number(g["month"])
        if anchor is None:
            return None, "month", True, None
        direction = _direction(doc, m.start(), m.end())
        d = _year_for(month, 1, anchor, direction)
        if anchor.precision == "day" and direction == "past" and month == anchor.date.month:
            d = dt.date(anchor.date.year, month, 1)
        return d, "month", True, direction
    if kind == "weekday":
        weekday = _WEEKDAYS[g["weekday"].rstrip(".").lower()]
        if day_anchor is None:
            return None, "day", True, None
        mod = (g.get("mod") or "").lower().split()
        if mod and mod[0] == "last" or mod[-1:] == ["past"]:
            return _weekday_date(day_anchor, weekday, "before"), "day", True, "past"
        if mod and mod[0] == "next" or mod[-1:] == ["coming"]:
            return _weekday_date(day_anchor, weekday, "after"), "day", True, "future"
        direction = _direction(doc, m.start("weekday"), m.end("weekday"))
        if direction == "future":
            return _weekday_date(day_anchor, weekday, "on_or_after"), "day", True, direction
        # Past tense and undecided clauses: news mostly reports what has happened.
        return _weekday_date(day_anchor, weekday, "on_or_before"), "day", True, direction or "past"
    if kind == "relative_day":
        rel = " ".join(g["rel"].lower().split())
        offset = {
            "the day before yesterday": -2,
            "yesterday": -1,
            "last night": -1,
            "overnight": -1,
            "tomorrow": 1,
            "the day after tomorrow": 2,
        }.get(rel, 0)
        if day_anchor is None:
            return None, "day", True, None
        return day_anchor + dt.timedelta(days=offset), "day", True, None
    if kind == "relative_period":
        mod, unit = g["mod"].lower(), g["unit"].lower()
        step = {"last": -1, "past": -1, "previous": -1, "this": 0, "next": 1, "coming": 1}[mod]
        resolution = "week" if unit == "weekend" else unit
        if anchor is None or (anchor.precision != "day" and unit in ("week", "weekend")):
            return None, resolution, True, None
        if anchor.precision == "year" and unit == "month":
            return None, resolution, True, None
        base = anchor.date
        if unit in ("week", "weekend"):
            d = _monday(base) + dt.timedelta(weeks=step)
            if unit == "weekend":
                # A weekend resolves to its Saturday, a day.
                return d + dt.timedelta(days=5), "day", True, None
            return d, "week", True, None
        if unit == "month":
            return _shift_month(dt.date(base.year, base.month, 1), step), "month", True, None
        return dt.date(base.year + step, 1, 1), "year", True, None
    if kind == "ago":
        raw = g["n"].lower()
        n = int(raw) if raw.isdigit() else _SMALL_NUMBERS.get(raw)
        unit = g["unit"].lower()
        if n is None or day_anchor is None:
            return None, unit, True, None
        if unit == "day":
            return day_anchor - dt.timedelta(days=n), "day", True, "past"
        if unit == "week":
            return _monday(day_anchor - dt.timedelta(weeks=n)), "week", True, "past"
        if unit == "month":
            return (
                _shift_month(dt.date(day_anchor.year, day_anchor.month, 1), -n),
                "month",
                True,
                "past",
            )
        return dt.date(day_anchor.year - n, 1, 1), "year", True, "past"
    return None, None, False, None


def _range_parts(m: re.Match, anchor: _Anchor | None, doc) -> list[tuple]:
    """Return the two dates of a range ("Feb. 16 and 18") as ``(start, end, *resolution)``.

    Empty when the second number is not a later day of the same month: "Feb. 16 and 3" and
    "Feb. 1 and 20 insurgents" (a count) are a date followed by a number.
    """
    g = m.groupdict()
    month, day, day2 = _month_number(g["month"]), int(g["day"]), int(g["day2"])
    if not 1 <= day < day2 <= 31:
        return []
    if doc is not None:
        span = doc.char_span(m.start("day2"), m.end("day2"), alignment_mode="expand")
        tok = span[0] if span is not None and len(span) else None
        if tok is not None and tok.dep_ == "nummod" and tok.head.i > tok.i:
            return []
    direction = None
    if g.get("year"):
        first, relative = _safe_date(int(g["year"]), month, day), False
    elif anchor is None:
        first, relative = None, True
    else:
        direction = _direction(doc, m.start(), m.end())
        first, relative = _year_for(month, day, anchor, direction), True
    second = _safe_date(first.year, month, day2) if first else None
    return [
        (m.start("first"), m.end("first"), first, "day", relative, direction),
        (m.start("second"), m.end("second"), second, "day", relative, direction),
    ]


def _guess_resolution(text: str) -> str | None:
    low = text.lower()
    for word, res in (("week", "week"), ("month", "month"), ("year", "year"), ("day", "day")):
        if word in low:
            return res
    return None


def date_expressions(
    doc, published=None, *, use_entities: bool = True, infer_year: bool = True
) -> Iterator[DateExpression]:
    """Yield the date expressions of ``doc`` in text order, resolved against ``published``.

    Parameters
    ----------
    doc : spacy.tokens.Doc or str
        A parsed article (its text as :func:`analysis.nlp.normalise_for_parse` returns it) or a
        bare string, in which case only the patterns run and tense cannot be read, so weekdays
        resolve to the past.
    published : str or date, optional
        The article's published date (see :func:`parse_published`). Without it, only dates
        written with their year resolve, and those naming a month ("July 16", "in May") when
        ``infer_year`` finds the year the text is written in.
    use_entities : bool, keyword-only
        Also yield spaCy ``DATE`` entities that no pattern covers ("the past three months"),
        with ``resolved`` None. Entities without a date word ("11,265.03") and durations
        ("three years", "10-year") are never yielded.
    infer_year : bool, keyword-only
        When ``published`` is unknown and every four-digit year in the text is the same one
        (reference numbers such as "2010-07-CA-129" count, as in the loader's dateline rule;
        amounts such as "2000 troops" do not), place dates that name a month in that year.
        Relative expressions ("yesterday", "Monday", "last year") stay unresolved.

    Notes
    -----
    Weekdays resolve to the most recent such day on or before the published date, because
    wire copy reports past events ("on Sunday called his top generals"), unless the clause
    speaks of the future: "for Thursday", "will", "expected to", a present-tense verb, or
    "next"; then to the next such day on or after it. "last Monday" is strictly before.
    Month-day dates without a year follow the same tense rule, else the nearest such date, and
    so does a day of the month alone ("on the 5th") in the published month or a neighbour.
    "yesterday" and "last night" are the day before the published date, "overnight" too (an
    overnight operation reported on the published day began the evening before); "this
    morning", "early this morning" and "tonight" are the published day. A range ("Feb. 16 and
    18", "between Dec. 1 and 3", "Dec. 1-3, 2009") yields one expression per day. Week, month
    and year resolutions resolve to the first day of the period (weeks start on Monday).
    """
    text = doc if isinstance(doc, str) else doc_text(doc)
    pdoc = None if isinstance(doc, str) else doc
    anchor = published if isinstance(published, _Anchor) else parse_published(published)
    taken: list[tuple[int, int]] = []
    found: list[DateExpression] = []

    def free(s: int, e: int) -> bool:
        return all(e <= a or s >= b for a, b in taken)

    # Without a published date, the year the text is written in places "July 16" (not "Monday").
    text_anchor = _written_year(text, pdoc) if anchor is None and infer_year else None
    for kind, pattern in _PATTERNS:
        for m in pattern.finditer(text):
            s, e = m.start(), m.end()
            if kind == "weekday" and m.group("mod") and m.group("mod").lower() in ("early", "late"):
                s = m.start("weekday")
            if not free(s, e):
                continue
            if kind == "year" and pdoc is not None and _year_is_amount(pdoc, s, e):
                continue
            a = text_anchor if anchor is None and kind in _EXPLICIT_KINDS else anchor
            if kind == "month_day_range":
                parts = _range_parts(m, a, pdoc)
            else:
                parts = [(s, e, *_resolve(kind, m, a, pdoc))]
            # A part without a resolution was rejected (a day 32, "Feb. 1 and 20 insurgents"):
            # the span stays free for the patterns after this one.
            parts = [part for part in parts if part[3] is not None]
            if not parts:
                continue
            taken.append((s, e))
            for ps, pe, resolved, resolution, relative, direction in parts:
                found.append(
                    DateExpression(
                        ps,
                        pe,
                        text[ps:pe],
                        resolved.isoformat() if resolved else None,
                        resolution,
                        relative,
                        direction,
                        "pattern",
                    )
                )
    if use_entities and pdoc is not None:
        for ent in pdoc.ents:
            if ent.label_ != "DATE" or not free(ent.start_char, ent.end_char):
                continue
            etext = ent.text
            if not _DATE_WORD_RE.search(etext) or _DURATION_RE.match(etext.strip()):
                continue
            found.append(
                DateExpression(
                    ent.start_char,
                    ent.end_char,
                    etext,
                    None,
                    _guess_resolution(etext),
                    True,
                    None,
                    "spacy",
                )
            )
    found.sort(key=lambda d: (d.start, d.end))
    yield from found


def _year_is_amount(doc, start: int, end: int) -> bool:
    """True when a four-digit number is an amount: "2000 troops", "1900 hours", "$2011"."""
    span = doc.char_span(start, end, alignment_mode="expand")
    if span is None:
        return False
    tok = span[0]
    if tok.i > 0 and doc[tok.i - 1].tag_ == "$":
        return True
    nxt = doc[tok.i + 1] if tok.i + 1 < len(doc) else None
    if nxt is not None and nxt.lower_ in ("%", "percent", "hours", "hrs", "gmt", "utc", "local"):
        return True
    return tok.dep_ == "nummod" and tok.head.tag_ == "NNS" and tok.head.i == tok.i + 1


def _missing(value) -> bool:
    """True for None, NaN, NaT and pandas.NA (a DataFrame row's empty ``published``)."""
    if value is None:
        return True
    try:
        return bool(value != value)
    except TypeError:  # pandas.NA refuses to be a bool
        return True


def extract_dates(doc, article: Mapping) -> list[dict]:
    """Return the ``dates`` table rows of one article, ordered by ``start``.

    Parameters
    ----------
    doc : spacy.tokens.Doc
        The parse of ``normalise_for_parse(article["text"])``.
    article : mapping
        At least ``article_id`` and ``published`` (ISO date string or None).

    Returns
    -------
    list of dict
        ``article_id, start, end, text, resolved, resolution`` as in DESIGN.md, plus
        ``relative`` (needs the published date), ``direction`` (``past``/``future`` when tense
        decided a weekday or year-less date) and ``source`` (``pattern`` or ``spacy``).
    """
    article_id = article["article_id"]
    published = article.get("published")
    if _missing(published):
        published = None
    return [{"article_id": article_id, **d._asdict()} for d in date_expressions(doc, published)]
