"""Numerals: the value of a number written in digits or words, and the tokens that write one.

Shared by the amounts of :mod:`analysis.numbers` and the event counts of :mod:`analysis.counts`,
with the noun phrase both name as what a number measures (:func:`_compact_phrase`).
"""

from __future__ import annotations

import re

from analysis.lexicon import APPROXIMATE
from analysis.lexicon import EXACT_QUANTITIES as _EXACT_WORDS
from analysis.lexicon import NUMBER_SCALES as _SCALES
from analysis.lexicon import NUMBER_TENS as _TENS
from analysis.lexicon import NUMBER_UNITS as _UNITS
from analysis.lexicon import SCALE_ABBREVIATIONS as _SCALE_ABBR

__all__ = ["parse_number"]

_DIGITS_RE = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$|^\.\d+$")
_DIGITS_SCALE_RE = re.compile(
    r"^((?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)(bn|mn|mln|m|k|b|tn|bln|trn)$", re.I
)


def parse_number(text: str) -> tuple[float | None, bool]:
    """Return ``(value, approximate)`` for a number written in digits or words.

    Examples: ``"11,265.03"`` -> 11265.03, ``"1.5bn"`` -> 1.5e9, ``"5.93 mln"`` -> 5.93e6,
    ``"twenty-five"`` -> 25, ``"two hundred and fifty"`` -> 250, ``"a dozen"`` -> 12,
    ``"dozens"`` -> (24, True), ``"several"`` -> (3, True). Unknown text gives ``(None, False)``.
    """
    low = " ".join(text.lower().replace("-", " ").split()).rstrip(".")
    if not low:
        return None, False
    if low in APPROXIMATE and low not in _EXACT_WORDS:
        return float(APPROXIMATE[low]), True
    if low in _EXACT_WORDS:
        return float(_EXACT_WORDS[low]), False
    m = _DIGITS_SCALE_RE.match(low.replace(" ", ""))
    if m:
        return float(m.group(1).replace(",", "")) * _SCALE_ABBR[m.group(2).lower()], False
    words = low.split()
    approximate = False
    total, current, seen = 0.0, 0.0, False
    for i, w in enumerate(words):
        if _DIGITS_RE.match(w):
            current += float(w.replace(",", ""))
        elif w in _UNITS:
            current += _UNITS[w]
        elif w in _TENS:
            current += _TENS[w]
        elif (
            w in ("a", "an")
            and i + 1 < len(words)
            and (words[i + 1] in _SCALES or words[i + 1] == "dozen")
        ):
            current += 1
        elif w == "dozen":
            current = (current or 1) * 12
        elif w in ("dozens", "hundreds", "thousands", "millions"):
            approximate = True
            current = (current or 1) * APPROXIMATE[w]
        elif w in _SCALES:
            scale = _SCALES[w]
            if scale == 100:
                current = (current or 1) * 100
            else:
                total += (current or 1) * scale
                current = 0
        elif w in _SCALE_ABBR and seen:
            total += (current or 1) * _SCALE_ABBR[w]
            current = 0
        elif w in ("and", "of"):
            continue
        else:
            return None, False
        seen = True
    return (total + current, approximate) if seen else (None, False)


def _is_number_word(tok) -> bool:
    low = tok.lower_
    if low in _UNITS or low in _TENS or low in _SCALES or low == "dozen":
        return True
    if "-" in low:
        parts = low.split("-")
        return len(parts) == 2 and parts[0] in _TENS and parts[1] in _UNITS
    return False


def _is_numeric(tok) -> bool:
    return bool(_DIGITS_RE.match(tok.text) or _DIGITS_SCALE_RE.match(tok.text))


def _compact_phrase(tok, *, keep_amod: bool = False) -> str:
    """The head noun with its compound modifiers ("KSE-100 index"), no determiner or possessor."""
    left = tok.i
    deps = {"compound", "flat", "nmod"} | ({"amod"} if keep_amod else set())
    for child in sorted((c for c in tok.lefts), key=lambda c: -c.i):
        if child.dep_ in deps and child.i == left - 1:
            left = child.left_edge.i if child.dep_ != "amod" else child.i
        elif child.dep_ == "punct" and child.i == left - 1:
            continue
        else:
            break
    return tok.doc[left : tok.i + 1].text
