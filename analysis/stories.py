"""Stories: syndicated copies of one story grouped, with their origin, similarity and credited agency.

A wire story reaches a corpus many times: the agency's original, each outlet's copy with its own
headline, the last paragraphs cut, a credit line added, the lines re-wrapped. The ``stories``
table gives every article the story it tells (``story_id``), the copy taken as the original
(``origin_id``) and how much of the shorter of the two texts the other carries (``similarity``),
so statistics can count independent stories rather than copies (:func:`dedupe`).

What datasketch does here, and what this module adds to it:

- datasketch's MinHash (scheme "affine32") sketches each article's set of word 5-grams, and the
  banding of ``MinHashLSH`` (bands and rows from its own optimiser, tilted towards recall)
  proposes candidate pairs. Both run batched in numpy over a few hundred articles at a time
  (:func:`minhash_signatures` equals datasketch's sketch, a test checks it), and the band keys
  are kept as compact arrays rather than in a ``MinHashLSH`` index, whose dict storage costs
  about 7 KB and 0.4 ms an article (measured): too much for a corpus streamed in bounded memory.
- Normalisation before shingling, so house style and layout are no differences: line wraps,
  quotes and punctuation vanish with tokenisation; ``per cent``/``pct``/``%``,
  ``mln``/``million``, ``dlrs``/``dollars``, other wire abbreviations and the numbers one to
  twelve fold to one form; longer words become consonant skeletons, where British and American
  spellings meet (``colour``/``color``, ``programme``/``program``, ``organise``/``organize``).
- Verification of every candidate pair on the exact shingle sets kept per article (4-byte
  hashes, never texts), by containment rather than Jaccard: the share of the *shorter* text's
  5-grams found in the other, so a copy cut short, or with a credit or local paragraph added,
  still matches. Two checks keep look-alikes apart: templated reports (results, tables, the next
  day's standings) follow the same words with other figures (:func:`number_conflicts`), and a
  pair must share at least :data:`MIN_SHARED` 5-grams, since two dividend notices of a dozen
  words share half of them.
- Stories formed around an origin rather than by connected components, which chain look-alikes
  (one results table to another through a third): in each component the origin is the earliest
  copy by ``published``, or, among equally early or undated copies, the most complete one (the
  most of the story's own text, boilerplate found in other articles not counting); every member
  is verified against that origin, and the members that fail start stories of their own.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import sys
import unicodedata
import zlib
from array import array
from collections.abc import Iterable, Mapping
from functools import lru_cache

import numpy as np
import pandas as pd

#: Columns of the stories table (DESIGN.md's four first).
STORY_COLUMNS = [
    "article_id",
    "story_id",
    "origin_id",
    "similarity",
    "n_copies",
    "outlet",
    "agency",
    "published",
]
#: Words per shingle: long enough that templated texts differ wherever their slots differ.
SHINGLE_WORDS = 5
#: Share of the shorter text's shingles the other must contain to be a copy of it (see README).
DEFAULT_THRESHOLD = 0.6
#: Containment from which two texts are copies whatever their numbers (corrected repeats).
IDENTICAL = 0.9
#: Number slots that tell a templated look-alike from a copy (see :class:`StoryIndex`).
NUMBER_CONFLICTS = 2
#: Fewest shared shingles (about as many words) that make two texts copies below IDENTICAL.
MIN_SHARED = 10
#: Jaccard similarity the LSH candidate search is tuned for (copies cut to half and rewritten
#: sit near 0.25; verification, not this, decides).
CANDIDATE_JACCARD = 0.2
NUM_PERM = 128
SEED = 1
#: Members of an LSH bucket of up to BUCKET_PAIRS + 1 articles are all paired; in a larger one
#: (boilerplate shared by unrelated articles, or one text run by hundreds of outlets) each is
#: paired with its next CHAIN_PAIRS only, so pairs grow linearly; stories then grow along
#: verified pairs, every member checked against the origin.
BUCKET_PAIRS = 64
CHAIN_PAIRS = 4

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


# --- credited agency -------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _credit_patterns() -> tuple[re.Pattern, re.Pattern, dict[str, str]]:
    from analysis.corpus import AGENCIES

    names = dict(AGENCIES)
    # Long forms and the Reuters sign-off of older copy ("Reuter"), not in the loader's table.
    names.update(
        {
            "reuter": "Reuters",
            "agence france-presse": "AFP",
            "agence france presse": "AFP",
            "the associated press": "AP",
            "press association": "PA",
        }
    )
    alt = "|".join(sorted((re.escape(n) for n in names), key=len, reverse=True))
    # "(Reuters) -" or "(AP) —" in the first lines: the credit of a dateline.
    head = re.compile(rf"\((?P<agency>{alt})\)\s*[-–—:]", re.IGNORECASE)
    # At the foot: "(c) 2011 Reuters Limited", "Copyright 2024 The Associated Press",
    # "© AFP 2024", or the agency alone as the last word ("Reuter", "-- AFP").
    tail = re.compile(
        rf"(?:(?:\(c\)|©|copyright)\s*(?:\d{{4}}\s+)?(?P<copy>{alt})\b"
        rf"|(?:^|\n|[.!?\"”’]|\s[-–—]+)\s*\(?(?P<sign>{alt})\)?\s*\.?\s*$)",
        re.IGNORECASE,
    )
    return head, tail, names


def credited_agency(text: str, agency: str | None = None) -> str | None:
    """The agency a copy credits: ``agency`` when the loader found one, else a credit line.

    Credit lines are a bracketed agency after a dateline in the first 300 characters
    (``(Reuters) -``), a copyright line in the last 300 (``(c) 2011 Reuters Limited``), or
    the agency as the last word (``Reuter``, ``-- AFP``). An agency merely named in the story
    ("told Agence France Presse") is not a credit.
    """
    if agency:
        return agency
    head, tail, names = _credit_patterns()
    m = head.search(text[:300])
    if m:
        return names[m.group("agency").lower()]
    m = tail.search(text[-300:])
    if m:
        return names[(m.group("copy") or m.group("sign")).lower()]
    return None


# --- the index ------------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _bands(num_perm: int, jaccard: float) -> tuple[int, int]:
    from datasketch import MinHashLSH

    # datasketch's optimiser, weighted towards recall: verification removes false candidates.
    lsh = MinHashLSH(threshold=jaccard, num_perm=num_perm, weights=(0.1, 0.9))
    return lsh.b, lsh.r


class StoryIndex:
    """Sketches of articles added one at a time; :meth:`table` groups them into stories.

    Memory per article is its shingle values (4 bytes a word), its LSH band keys (4 bytes a
    band) and its id, date, outlet and agency; never its text.

    Parameters
    ----------
    threshold : float
        Containment (share of the shorter text's word 5-grams found in the other) at which
        a copy joins a story, checked against the story's origin.
    number_conflicts : int or None
        Pairs below ``identical`` containment whose texts follow the same four words with
        different numbers in at least this many places are look-alikes (templated results,
        tables, the next day's standings), not copies. None turns the check off.
    identical : float
        Containment from which a pair is a copy whatever its numbers (corrected repeats).
    min_shared : int
        Fewest shared shingles that make a copy below ``identical`` containment: a dividend
        notice of a dozen words shares half of them with every other one.
    candidate_jaccard : float
        Jaccard similarity the LSH candidate search is tuned for.
    num_perm, seed : int
        MinHash permutations and their seed (results depend on them only through missed
        candidates).
    """

    def __init__(
        self,
        *,
        threshold: float = DEFAULT_THRESHOLD,
        number_conflicts: int | None = NUMBER_CONFLICTS,
        identical: float = IDENTICAL,
        min_shared: int = MIN_SHARED,
        candidate_jaccard: float = CANDIDATE_JACCARD,
        num_perm: int = NUM_PERM,
        seed: int = SEED,
    ):
        from datasketch import MinHash

        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], got {threshold!r}")
        self.threshold = threshold
        self.number_conflicts = number_conflicts
        self.identical = identical
        self.min_shared = min_shared
        self.b, self.r = _bands(num_perm, candidate_jaccard)
        self._permutations = MinHash(num_perm=num_perm, seed=seed).permutations
        self.ids: list[str] = []
        self._ids_seen: set[str] = set()
        self._published = array("i")
        self._outlets: list[str | None] = []
        self._agencies: list[str | None] = []
        self._interned: dict[str, str] = {}
        self._shingles = array("I")
        self._offsets = array("q", [0])
        self._pending: list[list[int]] = []
        self._keys: list[np.ndarray] = []

    def __len__(self) -> int:
        return len(self.ids)

    def add(
        self,
        article_id: str,
        text: str,
        *,
        published: str | None = None,
        outlet: str | None = None,
        agency: str | None = None,
    ) -> None:
        """Add one article (its text is sketched, not kept)."""
        article_id = str(article_id)
        if article_id in self._ids_seen:
            raise ValueError(f"duplicate article_id {article_id!r}")
        text = text if isinstance(text, str) else ""
        self._ids_seen.add(article_id)
        self.ids.append(article_id)
        self._published.append(_day(published))
        self._outlets.append(self._intern(outlet))
        self._agencies.append(self._intern(credited_agency(text, agency)))
        self._pending.append(_CODES.encode(text))
        if len(self._pending) >= 256:
            self._flush()

    def add_rows(self, rows: Iterable[Mapping]) -> StoryIndex:
        """Add articles given as mappings (rows of the loader: ``article_id``, ``text``, ...)."""
        for row in rows:
            self.add(
                row["article_id"],
                row["text"],
                published=_present(row.get("published")),
                outlet=_present(row.get("outlet")),
                agency=_present(row.get("agency")),
            )
        return self

    def _intern(self, value) -> str | None:
        if value is None:
            return None
        value = str(value)
        return self._interned.setdefault(value, value)

    def _flush(self) -> None:
        """Shingle, sketch and band the pending articles; keep shingles and band keys only."""
        if not self._pending:
            return
        values, counts = _chunk_shingles(self._pending)
        self._pending = []
        self._shingles.frombytes(values.tobytes())
        self._offsets.extend((self._offsets[-1] + np.cumsum(counts)).tolist())
        sig = minhash_signatures(values, counts, self._permutations).astype(np.uint64)
        keys = np.zeros((len(sig), self.b), dtype=np.uint64)
        for j in range(self.r):  # band k hashes rows k*r .. k*r+r-1 of the signature
            keys = keys * _M64 + sig[:, j :: self.r][:, : self.b] + np.uint64(j + 1)
        # 32 bits a band: a chance collision only adds a candidate that verification drops.
        self._keys.append((_mix64(keys) >> np.uint64(32)).astype(np.uint32))

    def _set(self, i: int) -> np.ndarray:
        return np.frombuffer(self._shingles, dtype=np.uint32)[
            self._offsets[i] : self._offsets[i + 1]
        ]

    def _sizes(self) -> np.ndarray:
        return np.diff(np.frombuffer(self._offsets, dtype=np.int64))

    # --- candidates and verification ---

    def candidate_pairs(self) -> np.ndarray:
        """Candidate pairs ``(i, j)``, ``i < j``, of article positions sharing an LSH band."""
        self._flush()
        n = len(self.ids)
        if n < 2:
            return np.empty((0, 2), dtype=np.int64)
        keys = np.vstack(self._keys)
        # Within a bucket members are ordered by article id, so which pairs a large bucket
        # yields does not depend on the order articles came in.
        rank = np.empty(n, dtype=np.int64)
        rank[np.argsort(np.asarray(self.ids, dtype=object), kind="stable")] = np.arange(n)
        codes: list[np.ndarray] = []  # pair (i, j), i < j, as i * n + j
        held = 0
        for band in range(keys.shape[1]):
            order = np.lexsort((rank, keys[:, band]))
            k = keys[order, band]
            starts = np.flatnonzero(np.concatenate(([True], k[1:] != k[:-1])))
            bucket = np.repeat(np.diff(np.append(starts, n)), np.diff(np.append(starts, n)))
            same = np.flatnonzero(k[1:] == k[:-1])
            for d in range(1, BUCKET_PAIRS + 1):  # members d apart in a bucket
                if d > 1:
                    same = same[same + d < n]
                    same = same[k[same + d] == k[same]]
                if d > CHAIN_PAIRS:
                    # A bucket larger than BUCKET_PAIRS + 1 is mostly boilerplate shared by
                    # unrelated articles: its members are chained to their next few only.
                    same = same[bucket[same] <= BUCKET_PAIRS + 1]
                if not len(same):
                    break
                a, b = order[same], order[same + d]
                codes.append(np.minimum(a, b) * n + np.maximum(a, b))
                held += len(same)
            if held > 1 << 21:  # keep the pairs found so far unique, so memory stays small
                codes = [np.unique(np.concatenate(codes))]
                held = len(codes[0])
        if not codes:
            return np.empty((0, 2), dtype=np.int64)
        unique = np.unique(np.concatenate(codes))
        return np.stack([unique // n, unique % n], axis=1)

    def is_copy(self, a: np.ndarray, b: np.ndarray) -> int:
        """Shared shingles of two shingle sets when they are copies of one story, else 0."""
        if not len(a) or not len(b):
            return 0
        shared = np.intersect1d(a, b, assume_unique=True)
        smaller = min(len(a), len(b))
        if shared.size == 0 or shared.size < self.threshold * smaller:
            return 0
        if shared.size >= self.identical * smaller:
            return shared.size
        if shared.size < min(self.min_shared, smaller):
            return 0
        # A copy keeps the figures; a templated report (results, tables, standings) changes
        # them in the same places.
        if (
            self.number_conflicts is not None
            and number_conflicts(a, b, shared) >= self.number_conflicts
        ):
            return 0
        return shared.size

    def _verify(self, i: int, j: int) -> int:
        return self.is_copy(self._set(i), self._set(j))

    def _verified(self, progress: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Candidate pairs that verify as copies, with their shared shingle counts."""
        pairs = self.candidate_pairs()
        rows = zip(pairs[:, 0].tolist(), pairs[:, 1].tolist(), strict=True)
        if progress and len(pairs) >= 10_000:
            from tqdm.auto import tqdm

            rows = tqdm(rows, desc="verifying", unit=" pairs", total=len(pairs), file=sys.stderr)
        shared = np.fromiter((self._verify(i, j) for i, j in rows), np.int64, len(pairs))
        keep = shared > 0
        return pairs[keep], shared[keep]

    # --- stories ---

    def table(self, *, progress: bool = False) -> pd.DataFrame:
        """The stories table: one row per article added, sorted by ``article_id``.

        Columns :data:`STORY_COLUMNS`: ``story_id`` (an integer, stories numbered in the order
        of their origin's ``article_id``), ``origin_id``, ``similarity`` (containment with the
        origin; 1.0 for the origin), ``n_copies`` (articles in the story), ``outlet``,
        ``agency`` (credited, when the copy says) and ``published`` (ISO date).
        """
        pairs, shared = self._verified(progress)
        n = len(self.ids)
        sizes = self._sizes()
        origin = np.arange(n)
        similarity = np.ones(n)
        if len(pairs):
            from scipy.sparse import coo_matrix
            from scipy.sparse.csgraph import connected_components

            both = np.concatenate([pairs, pairs[:, ::-1]])
            graph = coo_matrix(
                (np.concatenate([shared, shared]), (both[:, 0], both[:, 1])), shape=(n, n)
            ).tocsr()
            _, labels = connected_components(graph, directed=False)
            order = np.argsort(labels, kind="stable")
            cuts = np.flatnonzero(np.diff(labels[order])) + 1
            self._repeated = self._repeated_shingles()
            for members in np.split(order, cuts):
                if len(members) > 1:
                    self._split(members, graph, sizes, origin, similarity)
        return self._frame(origin, similarity)

    def _repeated_shingles(self) -> tuple[np.ndarray, np.ndarray]:
        """Shingle values held by two articles or more, sorted, and how many hold each.

        Counted a slice of the value range at a time, so the extra memory is a fraction of the
        shingle buffer whatever the corpus size.
        """
        buf = np.frombuffer(self._shingles, dtype=np.uint32)
        values, counts = [], []
        top = buf >> np.uint32(28)
        for part in range(16):
            v, c = np.unique(buf[top == part], return_counts=True)
            values.append(v[c > 1])
            counts.append(c[c > 1].astype(np.int32))
        return np.concatenate(values), np.concatenate(counts)

    def _corpus_count(self, values: np.ndarray) -> np.ndarray:
        """How many articles of the corpus hold each of ``values``."""
        known, counts = self._repeated
        if not len(known):
            return np.ones(len(values), dtype=np.int64)
        at = np.minimum(np.searchsorted(known, values), len(known) - 1)
        return np.where(known[at] == values, counts[at], 1)

    def _neighbours(self, graph, m: int) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = graph.indptr[m], graph.indptr[m + 1]
        return graph.indices[lo:hi], graph.data[lo:hi]

    def _split(self, members, graph, sizes, origin, similarity) -> None:
        """Assign ``members`` (one connected component) to stories around verified origins."""
        pending = set(members.tolist())
        while pending:
            o = self._choose_origin(pending)
            pending.discard(o)
            joined = set()
            for m, shared in zip(*self._neighbours(graph, o), strict=True):
                if m in pending:
                    similarity[m] = shared / min(sizes[o], sizes[m])
                    origin[m] = o
                    joined.add(int(m))
            # Copies whose pair with the origin the LSH missed (or a large bucket skipped),
            # reached through copies, each verified against the origin itself.
            frontier, tried = sorted(joined), set(joined)
            while frontier:
                reach = set()
                for m in frontier:
                    reach.update(self._neighbours(graph, m)[0].tolist())
                frontier = []
                for m in sorted((reach & pending) - tried):
                    tried.add(m)
                    shared = self._verify(o, m)
                    if shared:
                        similarity[m] = shared / min(sizes[o], sizes[m])
                        origin[m] = o
                        joined.add(m)
                        frontier.append(m)
            pending -= joined

    def _choose_origin(self, pending: set[int]) -> int:
        """The earliest member by date (``published``); among those, or without dates, the
        most complete.

        The most complete copy carries the most of the story's own text: shingles found in no
        article outside these members, counted once for every other member that shares them.
        Boilerplate and credit lines (found in other articles too) therefore do not count.
        Ties go to the copy with more of the story's own text less its text found elsewhere
        (the original's cut paragraphs count for it, a copy's credit line against it), then
        to the smallest id.
        """
        members = sorted(pending)
        dates = [self._published[m] for m in members if self._published[m] != _NO_DATE]
        if dates:
            members = [m for m in members if self._published[m] == min(dates)]
            if len(members) == 1:
                return members[0]
        sets = [self._set(m) for m in sorted(pending)]
        values, inside = np.unique(np.concatenate(sets), return_counts=True)
        own = self._corpus_count(values) == inside  # held by no article outside the members
        best, best_key = -1, None
        for m in members:
            s = self._set(m)
            at = np.searchsorted(values, s)
            mine = own[at]
            key = (
                -int((inside[at][mine] - 1).sum()),
                -int(mine.sum() - (~mine).sum()),
                self.ids[m],
            )
            if best_key is None or key < best_key:
                best, best_key = m, key
        return best

    def _frame(self, origin: np.ndarray, similarity: np.ndarray) -> pd.DataFrame:
        ids = np.asarray(self.ids, dtype=object)
        origins = np.unique(origin)
        # Stories numbered by their origin's id: the same corpus gives the same numbers
        # whatever order its files are read in.
        numbering = np.empty(len(ids), dtype=np.int64)
        numbering[origins[np.argsort(ids[origins], kind="stable")]] = np.arange(len(origins))
        counts = np.bincount(origin, minlength=len(ids))
        frame = pd.DataFrame(
            {
                "article_id": ids,
                "story_id": numbering[origin],
                "origin_id": ids[origin],
                "similarity": np.round(similarity, 4),
                "n_copies": counts[origin].astype(np.int64),
                "outlet": pd.Series(self._outlets, dtype=object),
                "agency": pd.Series(self._agencies, dtype=object),
                "published": pd.Series(
                    [None if d == _NO_DATE else _iso(d) for d in self._published], dtype=object
                ),
            }
        )
        return frame.sort_values("article_id", kind="stable").reset_index(drop=True)


_NO_DATE = -(2**31)


def _day(value) -> int:
    if value is None:
        return _NO_DATE
    try:
        return dt.date.fromisoformat(str(value)[:10]).toordinal()
    except ValueError:
        ts = pd.to_datetime(value, errors="coerce")
        return _NO_DATE if pd.isna(ts) else ts.date().toordinal()


def _iso(day: int) -> str:
    return dt.date.fromordinal(day).isoformat()


def _present(value):
    if value is None or (isinstance(value, float) and value != value):
        return None
    return value


def story_table(
    articles,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    progress: bool = False,
    **index_options,
) -> pd.DataFrame:
    """Group articles into stories: the ``stories`` table of a corpus.

    Parameters
    ----------
    articles : pandas.DataFrame or iterable of mappings
        The articles table of :func:`analysis.corpus.load_corpus`, or rows as
        :func:`analysis.corpus.iter_corpus` streams them: ``article_id`` and ``text``, and
        ``published``, ``outlet`` and ``agency`` when present.
    threshold : float
        Containment at which a copy joins its origin's story (:class:`StoryIndex`).
    progress : bool
        Show progress on stderr.
    **index_options
        Further :class:`StoryIndex` options.

    Returns
    -------
    pandas.DataFrame
        One row per article, columns :data:`STORY_COLUMNS`, sorted by ``article_id``.
    """
    index = StoryIndex(threshold=threshold, **index_options)
    if isinstance(articles, pd.DataFrame):
        missing = {"article_id", "text"} - set(articles.columns)
        if missing:
            raise ValueError(f"articles lack column(s) {sorted(missing)}")
        used = ["article_id", "text", "published", "outlet", "agency"]
        rows = articles[[c for c in used if c in articles.columns]].to_dict("records")
    else:
        rows = articles
    if progress:
        from tqdm.auto import tqdm

        rows = tqdm(rows, desc="sketching", unit="article", file=sys.stderr)
    index.add_rows(rows)
    return index.table(progress=progress)


#: Columns of the articles table the stories need (the others are not read).
ARTICLE_INPUT_COLUMNS = ["article_id", "text", "published", "outlet", "agency"]


def store_stories(
    folder,
    articles=None,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    progress: bool = False,
    batch_size: int = 1024,
) -> pd.DataFrame:
    """Write ``folder/stories.parquet``: the stories table of a feature store's articles.

    The step ``extract`` runs once ``articles.parquet`` is written. Articles are streamed from
    that table (a single file or a folder of ``part-*.parquet`` files) a batch at a time, reading
    only :data:`ARTICLE_INPUT_COLUMNS`, so memory holds the hashes per article, never the texts.
    The file is written atomically (:func:`analysis.files.atomic_path`).

    Parameters
    ----------
    folder : path
        The output folder of ``extract`` (or the temporary folder it is being written in).
    articles : pandas.DataFrame or iterable of mappings, optional
        The articles, when at hand; by default read from ``folder/articles.parquet``.
    threshold : float
        Containment at which a copy joins its origin's story (:class:`StoryIndex`).
    progress : bool
        Show progress on stderr.
    batch_size : int
        Articles read from Parquet at a time.

    Returns
    -------
    pandas.DataFrame
        The table written (see :func:`story_table`).

    Raises
    ------
    FileNotFoundError
        No ``articles`` given and no ``folder/articles.parquet``.
    ValueError
        The articles lack ``article_id`` or ``text``, or an id is repeated.
    """
    from pathlib import Path

    from analysis.files import atomic_path
    from analysis.tables import arrow_safe

    folder = Path(folder)
    if articles is not None:
        table = story_table(articles, threshold=threshold, progress=progress)
    else:
        source = folder / "articles.parquet"
        try:
            table = story_table(
                _parquet_rows(source, batch_size), threshold=threshold, progress=progress
            )
        except ValueError as exc:
            if str(source) in str(exc):
                raise
            raise ValueError(f"{source}: {exc}") from exc
    with atomic_path(folder / "stories.parquet") as tmp:
        arrow_safe(table).to_parquet(tmp, index=False)
    return table


def _parquet_rows(path, batch_size: int):
    """Rows of an articles Parquet file or partitioned folder, :data:`ARTICLE_INPUT_COLUMNS` only."""
    import pyarrow.dataset as ds

    if not path.exists():
        raise FileNotFoundError(f"{path}: no articles table to group into stories")
    dataset = ds.dataset(path, format="parquet")
    names = dataset.schema.names
    missing = [c for c in ("article_id", "text") if c not in names]
    if missing:
        raise ValueError(f"{path}: the articles table lacks column(s) {missing}")
    columns = [c for c in ARTICLE_INPUT_COLUMNS if c in names]
    for batch in dataset.to_batches(columns=columns, batch_size=batch_size):
        yield from batch.to_pylist()
