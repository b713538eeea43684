"""The story index: articles sketched one at a time, candidate pairs from LSH bands, verified
copies grouped into stories around their origins, and the agency each copy credits.

See :mod:`analysis.stories` for the method; the sketches come from :mod:`analysis.shingles`.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from array import array
from collections.abc import Iterable, Mapping
from functools import lru_cache

import numpy as np
import pandas as pd

from analysis.shingles import (
    _CODES,
    _M64,
    _chunk_shingles,
    _mix64,
    minhash_signatures,
    number_conflicts,
)

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
