"""Shingles of near-duplicate detection: normalised words, packed word 5-grams, MinHash sketches.

The building blocks of :mod:`analysis.story_index` (see :mod:`analysis.stories` for the method):
texts become normalised word codes, codes become sorted unique 32-bit shingle values, and sets
of values become datasketch-equal MinHash signatures, all batched in numpy.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
import zlib

import numpy as np

#: Words per shingle: long enough that templated texts differ wherever their slots differ.
SHINGLE_WORDS = 5

# --- normalisation ---------------------------------------------------------------------------------

_PER_CENT_RE = re.compile(r"\bper[ \t\n\xa0-]+cent\b")
# Numbers keep their decimal point, fraction (6-1/16) and thousands separators (dropped later);
# words keep inner apostrophes and dots (U.S., won't), dropped later; "%" is a word of its own.
_TOKEN_RE = re.compile(r"\d+(?:[.,]\d+)*(?:-\d+/\d+|/\d+)?|[^\W\d_]+(?:['’.][^\W\d_]+)*|%")
_VOWELS = str.maketrans({"a": None, "e": None, "i": None, "o": None, "u": None, "y": None,
                         "z": "s", "c": "s"})  # fmt: skip
_REPEAT_RE = re.compile(r"(.)\1+")
#: Wire abbreviations, house-style variants and number words folded to one form.
HOUSE_STYLE = {
    "%": "percent", "pct": "percent", "pc": "percent",
    "mln": "million", "mn": "million", "bln": "billion", "bn": "billion",
    "dlrs": "dollars", "dlr": "dollar", "cts": "cents", "ct": "cent",
    "shr": "share", "shrs": "shares", "qtr": "quarter", "revs": "revenues", "yr": "year",
    "yrs": "years", "govt": "government", "intl": "international", "mths": "months",
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
    "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12",
}  # fmt: skip


def normal_form(token: str) -> str:
    """The form a token is compared in: numbers without separators, house style folded, and
    longer words reduced to their consonant skeleton (first letter kept)."""
    if token[0].isdigit():
        return token.replace(",", "")
    word = token.replace("'", "").replace("’", "").replace(".", "")
    word = HOUSE_STYLE.get(word, word)
    if len(word) < 4 or word[0].isdigit():
        return word
    # British and American spellings, doubled consonants and -ise/-ize meet in the skeleton.
    return word[0] + _REPEAT_RE.sub(r"\1", word[1:].translate(_VOWELS))


def _words(text: str) -> list[str]:
    """The raw words of ``text``: NFKC, lower case, ``per cent`` as one word."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    text = text.lower()
    if "cent" in text:
        text = _PER_CENT_RE.sub("percent", text)
    return _TOKEN_RE.findall(text)


def normal_tokens(text: str) -> list[str]:
    """The words of ``text`` as shingling compares them (see :func:`normal_form`)."""
    return [normal_form(t) for t in _words(text)]


class _TokenCodes(dict):
    """Token -> code (32-bit hash of its normal form, times 2, plus 1 for a number), cached.

    A plain dict rather than ``lru_cache``: the look-up is the inner loop of sketching. It is
    emptied when it grows past ``limit`` entries, so memory stays bounded on any vocabulary.
    """

    limit = 1 << 19

    def __missing__(self, token: str) -> int:
        if len(self) >= self.limit:
            self.clear()
        form = normal_form(token)
        code = zlib.crc32(form.encode("utf-8", "surrogatepass")) * 2 + form[:1].isdigit()
        self[token] = code
        return code

    def encode(self, text: str) -> list[int]:
        return list(map(self.__getitem__, _words(text)))


_CODES = _TokenCodes()

# --- shingles --------------------------------------------------------------------------------------
# A shingle is packed in 32 bits: the top 20 hash its first four words, bit 11 says whether the
# fifth is a number and the low 11 bits hash that fifth word. Equal shingles have equal values
# (distinct ones collide with probability about 2**-31), and the layout lets a comparison find
# *slots*: the same four words followed by different numbers in two texts ("rose to 7.3 billion"
# against "rose to 9.7 billion"), which copies do not have and templated reports do.

PREFIX_SHIFT = 12
NUMBER_BIT = np.uint32(1 << 11)
_M64 = np.uint64(0x9E3779B97F4A7C15)


def _mix64(x: np.ndarray) -> np.ndarray:
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _pack(prefix: np.ndarray, last: np.ndarray) -> np.ndarray:
    """Shingle values from prefix hashes and the last word's code (both uint64)."""
    head = (_mix64(prefix) >> np.uint64(44)) << np.uint64(PREFIX_SHIFT)
    tail = (_mix64(last >> np.uint64(1)) >> np.uint64(53)) | (
        (last & np.uint64(1)) << np.uint64(11)
    )
    return (head | tail).astype(np.uint32)


def _chunk_shingles(codes: list[list[int]], k: int = SHINGLE_WORDS):
    """Unique sorted shingle values of several texts at once: ``(values, counts)``.

    ``values`` holds each text's values in turn; ``counts[t]`` is how many belong to text t.
    A text of fewer than ``k`` words is one shingle of all its words.
    """
    n = len(codes)
    lengths = np.fromiter(map(len, codes), dtype=np.int64, count=n)
    flat = np.fromiter(itertools.chain.from_iterable(codes), np.uint64, int(lengths.sum()))
    ends = np.cumsum(lengths)
    owner = np.repeat(np.arange(n), lengths)
    pos = np.arange(len(flat))
    width = len(flat) - k + 1
    parts_owner, parts_value = [], []
    if width > 0:
        prefix = np.zeros(width, dtype=np.uint64)
        for j in range(k - 1):  # polynomial hash of the first k-1 words, wrapping mod 2**64
            prefix = prefix * _M64 + (flat[j : j + width] >> np.uint64(1)) + np.uint64(j + 1)
        start = pos[:width]
        ok = ends[owner[start]] - start >= k
        parts_owner.append(owner[start][ok])
        parts_value.append(_pack(prefix[ok], flat[k - 1 :][ok]))
    for t in np.flatnonzero((lengths > 0) & (lengths < k)):
        words = flat[ends[t] - lengths[t] : ends[t]]
        prefix = np.zeros(1, dtype=np.uint64)
        for j, w in enumerate(words[:-1]):
            prefix = prefix * _M64 + (w >> np.uint64(1)) + np.uint64(j + 1)
        parts_owner.append(np.array([t]))
        parts_value.append(_pack(prefix, words[-1:]))
    if not parts_owner:
        return np.empty(0, dtype=np.uint32), np.zeros(n, dtype=np.int64)
    keyed = np.unique(
        (np.concatenate(parts_owner).astype(np.uint64) << np.uint64(32))
        | np.concatenate(parts_value).astype(np.uint64)
    )
    counts = np.bincount((keyed >> np.uint64(32)).astype(np.int64), minlength=n)
    return (keyed & np.uint64(0xFFFFFFFF)).astype(np.uint32), counts


def shingle_hashes(text: str) -> np.ndarray:
    """Sorted unique shingle values (word 5-grams of :func:`normal_tokens`) of ``text``."""
    values, _ = _chunk_shingles([_CODES.encode(text)])
    return values


def _distinct(sorted_values: np.ndarray) -> np.ndarray:
    if len(sorted_values) < 2:
        return sorted_values
    return sorted_values[np.concatenate(([True], sorted_values[1:] != sorted_values[:-1]))]


def number_conflicts(a: np.ndarray, b: np.ndarray, shared: np.ndarray | None = None) -> int:
    """Four-word contexts that two shingle sets both follow with a number, never the same one.

    "rose to 7.3 billion" against "rose to 9.7 billion" is one conflict. ``shared`` (the
    values in both) is computed when not given.
    """
    if shared is None:
        shared = np.intersect1d(a, b, assume_unique=True)
    # Values are sorted, so their contexts (the top bits) come sorted too.
    ctx_a = _distinct(a[(a & NUMBER_BIT) != 0] >> PREFIX_SHIFT)
    ctx_b = _distinct(b[(b & NUMBER_BIT) != 0] >> PREFIX_SHIFT)
    common = np.intersect1d(ctx_a, ctx_b, assume_unique=True).size
    agree = _distinct(shared[(shared & NUMBER_BIT) != 0] >> PREFIX_SHIFT).size
    return common - agree


def containment(a: np.ndarray, b: np.ndarray) -> float:
    """Share of the smaller of two shingle sets (from :func:`shingle_hashes`) found in the other."""
    if not len(a) or not len(b):
        return 0.0
    return np.intersect1d(a, b, assume_unique=True).size / min(len(a), len(b))


# --- MinHash ---------------------------------------------------------------------------------------


def _fmix32(h: np.ndarray) -> np.ndarray:
    # MurmurHash3's finaliser, which datasketch's "affine32" scheme applies to each input hash
    # before permuting (its own copy is private); the test against MinHash keeps them equal.
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def minhash_signatures(values: np.ndarray, counts: np.ndarray, permutations) -> np.ndarray:
    """MinHash signatures of several sets at once, equal to datasketch's (scheme "affine32").

    ``values`` holds the sets one after another (``counts`` values each) and
    ``permutations`` is a datasketch ``MinHash(...).permutations``. The result's row t equals
    ``MinHash(num_perm, seed, hashfunc=int)`` updated with set t (tests check it): the same
    sketch, computed for a batch of articles in numpy rather than one ``MinHash`` at a time.
    """
    a, b = (np.asarray(p, dtype=np.uint32) for p in permutations)
    sig = np.full((len(counts), len(a)), np.iinfo(np.uint32).max, dtype=np.uint32)
    filled = counts > 0
    if not filled.any():
        return sig
    hv = _fmix32(values.astype(np.uint32))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])[filled]
    # Permutations by rows, so each row's reduction runs over contiguous memory.
    with np.errstate(over="ignore"):
        permuted = a[:, None] * hv[None, :]
        permuted += b[:, None]
    sig[filled] = np.minimum.reduceat(permuted, starts, axis=1).T
    return sig
