"""Numbers and amounts (percent, money, index values, quantities) in news text.

Numerals are read by :mod:`analysis.numerals`; event counts (killed, arrested ...) live in
:mod:`analysis.counts`, whose public names are re-exported here so that
``from analysis.numbers import extract_counts`` keeps working.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import NamedTuple

from analysis import features
from analysis.counts import (  # re-exported: they lived here before the split
    COUNT_COLUMNS,  # noqa: F401
    EVENT_KINDS,  # noqa: F401
    Count,
    count_totals,
    event_counts,
    extract_counts,
)
from analysis.dates import date_expressions
from analysis.lexicon import APPROXIMATE  # noqa: F401 - importable from here before the split
from analysis.lexicon import CURRENCY_SYMBOLS as _CURRENCY_SYMBOLS
from analysis.lexicon import CURRENCY_WORDS as _CURRENCY_WORDS
from analysis.lexicon import MEASURE_UNITS as _MEASURE_UNITS
from analysis.lexicon import NUMBER_SCALES as _SCALES
from analysis.lexicon import SCALE_ABBREVIATIONS as _SCALE_ABBR
from analysis.lexicon import TIME_UNITS as _TIME_UNITS
from analysis.nlp import doc_text
from analysis.numerals import _compact_phrase, _is_number_word, _is_numeric, parse_number

__all__ = [
    "Count",
    "Number",
    "count_totals",
    "event_counts",
    "extract_counts",
    "extract_numbers",
    "numbers",
    "parse_number",
]

#: Columns of the ``numbers`` table (DESIGN.md columns, then extras; see :func:`extract_numbers`).
NUMBER_COLUMNS = list(features.columns("numbers"))

_INDEX_WORDS = re.compile(
    r"(?i)\b(?:index|indices|nikkei|dow|ftse|sensex|nasdaq|s&p|dax|cac|hang seng|kospi|nifty"
    r"|kse|composite|stoxx|topix|average)\b"
)


class Number(NamedTuple):
    """A number or amount: span, text, value, unit, what it measures, kind, whether vague."""

    start: int
    end: int
    text: str
    value: float | None
    unit: str | None
    object: str | None
    kind: str
    approximate: bool


# --- numbers ---------------------------------------------------------------------------------------


def _subject_of(tok) -> str | None:
    """The subject of the clause holding ``tok`` ("the KSE-100 index shed three percent").

    Walks up through nouns and prepositions, and from a verb to the verb it depends on only when
    it shares that verb's subject (``xcomp``, ``advcl``, ``conj``: "shed three percent to close
    at 11,265.03").
    """
    node = tok
    for _ in range(8):
        if node.pos_ in ("VERB", "AUX"):
            for child in node.children:
                if child.dep_ in ("nsubj", "nsubjpass") and child.i != tok.i:
                    return None if child.pos_ == "PRON" else _compact_phrase(child)
            if node.dep_ not in ("xcomp", "advcl", "conj"):
                return None
        if node.head is node:
            return None
        node = node.head
    return None


def _of_object(tok) -> str | None:
    """The noun after "of"/"in" hanging on ``tok`` ("76% of voters" -> "voters")."""
    for child in tok.rights:
        if child.dep_ == "prep" and child.lower_ in ("of", "in"):
            for pobj in child.children:
                if pobj.dep_ == "pobj":
                    return _compact_phrase(pobj, keep_amod=True)
    return None


def _number_groups(doc) -> Iterator[tuple[int, int]]:
    """Yield (first, last) token indices of runs of number tokens ("two hundred", "5.93 mln")."""
    i, n = 0, len(doc)
    while i < n:
        tok = doc[i]
        low = tok.lower_
        starts = (
            _is_numeric(tok)
            or _is_number_word(tok)
            or low in ("dozens", "hundreds", "thousands", "millions")
        )
        if (
            low in ("a", "an", "half")
            and i + 1 < n
            and doc[i + 1].lower_ in ("dozen", "hundred", "thousand", "million", "billion", "a")
        ):
            starts = True
        if not starts:
            i += 1
            continue
        j = i
        while j + 1 < n:
            nxt = doc[j + 1]
            nlow = nxt.lower_
            if nlow in _SCALES or nlow in _SCALE_ABBR and nlow not in ("m", "b") or nlow == "dozen":
                j += 1
            elif (
                nlow.rstrip(".") in ("m", "b", "bn", "mn")
                and doc[j].whitespace_ == ""
                and _is_numeric(doc[j])
            ):
                j += 1  # "£600m": the tokenizer splits the scale off
            elif (
                (_is_number_word(nxt) and not _is_numeric(doc[j]))
                or (
                    nlow == "and"
                    and j + 2 < n
                    and _is_number_word(doc[j + 2])
                    and doc[j].lower_ in _SCALES
                )
                or nlow == "a"
                and doc[j].lower_ == "half"
                and j + 2 < n
                and doc[j + 2].lower_ == "dozen"
            ):
                j += 1
            elif (
                nlow == "of"
                and doc[j].lower_ in ("hundreds", "thousands", "tens")
                and j + 2 < n
                and doc[j + 2].lower_ in ("thousands", "millions")
            ):
                j += 2
            else:
                break
        yield i, j
        i = j + 1


def numbers(doc, *, dates: Iterable | None = None) -> Iterator[Number]:
    """Yield the numbers and amounts of ``doc`` in text order.

    Parameters
    ----------
    doc : spacy.tokens.Doc
        A parsed article.
    dates : iterable of DateExpression, optional
        Date expressions already found (:func:`analysis.dates.date_expressions`); numbers inside
        them ("September 13", "2011") are parts of dates, not amounts. Found here when omitted.

    Notes
    -----
    Kinds: ``money`` (a currency symbol or word; ``unit`` is an ISO code where one is
    unambiguous), ``percent``, ``index`` (a plain figure, or points, of a market index named in
    the clause's subject: "the KSE-100 index ... to close at 11,265.03"), ``quantity`` (a unit of
    measure: ``unit`` "kg", "bags"), ``duration`` ("10-year"), ``count`` (a number of things:
    ``object`` is the things) and ``number`` otherwise. Ordinals, years, times ("10:30") and
    numbers inside codes ("KSE-100", "AK-47", "2010-04-CA-049") are skipped, and so is a lone
    "one" that does not count anything ("one of them", "no one").
    """
    text = doc_text(doc)
    if dates is None:
        dates = date_expressions(doc, None, use_entities=False)
    blocked = [(d.start, d.end) for d in dates]
    for first, last in _number_groups(doc):
        span = doc[first : last + 1]
        s, e = span.start_char, span.end_char
        if any(not (e <= a or s >= b) for a, b in blocked):
            continue
        before = text[s - 1] if s > 0 else " "
        after = text[e] if e < len(text) else " "
        # Codes, times, phone numbers, dates like 9/11: the number is glued to something.
        if before.isalnum() or before in "-/:" and s > 1 and text[s - 2].isalnum():
            continue
        if (
            after.isalnum()
            or after in "/:"
            or (after == "-" and e + 1 < len(text) and text[e + 1].isdigit())
        ):
            continue
        words = span.text
        value, approximate = parse_number(words)
        if value is None:
            continue
        head = span.root
        if len(span) == 1 and head.lower_ == "one" and head.dep_ != "nummod":
            continue
        if len(span) == 1 and re.fullmatch(r"(1[89]|20)\d\d", head.text):
            continue  # a year the date patterns did not take ("in 2011" is a date)
        kind, unit, obj = "number", None, None
        end_tok = last
        prev = doc[first - 1] if first > 0 else None
        prev2 = doc[first - 2] if first > 1 else None
        nxt = doc[last + 1] if last + 1 < len(doc) else None
        start_tok = first
        if prev is not None and prev.lower_ in _CURRENCY_SYMBOLS:
            kind, unit = "money", _CURRENCY_SYMBOLS[prev.lower_]
            start_tok = first - 1
            if (
                prev2 is not None
                and prev2.text in ("US", "A", "C", "HK")
                and prev2.whitespace_ == ""
            ):
                start_tok = first - 2
                unit = _CURRENCY_SYMBOLS.get((prev2.text + prev.text).lower(), unit)
        elif nxt is not None and nxt.lower_ in ("%", "percent", "pct", "per"):
            kind, unit = "percent", "percent"
            end_tok = last + 1
            if nxt.lower_ == "per" and last + 2 < len(doc) and doc[last + 2].lower_ == "cent":
                end_tok = last + 2
            elif nxt.lower_ == "per":  # "per head", "per day": a rate, not a percentage
                kind, unit, end_tok = "number", None, last
        elif (
            nxt is not None
            and nxt.lower_ == "percentage"
            and last + 2 < len(doc)
            and doc[last + 2].lower_ in ("point", "points")
        ):
            kind, unit, end_tok = "percent", "percentage points", last + 2
        elif nxt is not None and (
            nxt.lower_ in _CURRENCY_WORDS
            or (
                nxt.text == "US" and last + 2 < len(doc) and doc[last + 2].lower_ in _CURRENCY_WORDS
            )
        ):
            k = last + 1 if nxt.lower_ in _CURRENCY_WORDS else last + 2
            kind, unit, end_tok = "money", _CURRENCY_WORDS[doc[k].lower_], k
        elif (
            nxt is not None
            and nxt.lower_ in ("pound", "pounds")
            and not (last + 2 < len(doc) and doc[last + 2].lower_ == "of")
        ):
            kind, unit, end_tok = "money", "GBP", last + 1
        elif nxt is not None and (
            nxt.lower_ in _TIME_UNITS
            or nxt.text == "-"
            and last + 2 < len(doc)
            and doc[last + 2].lower_ in _TIME_UNITS
        ):
            k = last + 1 if nxt.lower_ in _TIME_UNITS else last + 2
            kind, unit, end_tok = "duration", doc[k].lemma_.lower(), k
        elif nxt is not None and nxt.lower_ in _MEASURE_UNITS:
            unit, end_tok = nxt.lower_, last + 1
            kind = "index" if unit in ("points", "point") else "quantity"
            obj = _of_object(nxt)
        if kind == "money":
            # "1.5bn dollars" or "$1.5bn"; the scale may follow the currency word: "$2 million".
            anchor = doc[end_tok]
            obj = _of_object(anchor) or _of_object(head)
            if (
                obj is None
                and head.dep_ in ("nummod", "compound", "amod")
                and head.head.i > end_tok
            ):
                obj = _compact_phrase(head.head)
            if obj is None:
                obj = _subject_of(head)
        elif kind == "percent":
            obj = _of_object(doc[end_tok]) or _subject_of(doc[end_tok])
        elif kind == "number":
            subject = _subject_of(head)
            if head.dep_ == "nummod" and head.head.i > last and head.head.pos_ in ("NOUN", "PROPN"):
                # The words after the number: "six suspected insurgents" -> "suspected insurgents".
                kind, obj = "count", doc[last + 1 : head.head.i + 1].text
            elif _of_object(head):
                kind, obj = "count", _of_object(head)
            elif subject and _INDEX_WORDS.search(subject):
                kind, obj = "index", subject
            elif approximate:
                kind = "count"
        elif kind == "index":
            subject = _subject_of(head)
            obj = subject if subject and _INDEX_WORDS.search(subject) else obj
        sp = doc[start_tok : end_tok + 1]
        end_char = sp.end_char
        if sp[-1].text.endswith(".") and sp[-1].lower_.rstrip(".") in _SCALE_ABBR:
            end_char -= 1  # "£600m." closing a sentence: the period is not the number's
        yield Number(
            sp.start_char,
            end_char,
            text[sp.start_char : end_char],
            float(value),
            unit,
            obj,
            kind,
            approximate,
        )


def extract_numbers(doc, article: Mapping) -> list[dict]:
    """Return the ``numbers`` table rows of one article, ordered by ``start``.

    Parameters
    ----------
    doc : spacy.tokens.Doc
        The parse of ``normalise_for_parse(article["text"])``.
    article : mapping
        At least ``article_id``.

    Returns
    -------
    list of dict
        ``article_id, start, end, text, value, unit, object, kind`` as in DESIGN.md (see
        :func:`numbers` for the kinds), plus ``approximate`` (vague words such as "dozens").
    """
    return [{"article_id": article["article_id"], **n._asdict()} for n in numbers(doc)]
