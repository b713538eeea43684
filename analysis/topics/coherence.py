"""Topic quality: NPMI coherence (gensim's ``c_npmi``), topic diversity and term uniqueness."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

#: Epsilon of gensim's NPMI, kept so scores compare with gensim and OCTIS.
_EPS = 1e-12


def _window_matrix(docs: Sequence[Sequence[str]], words: Sequence[str], window: int | None):
    """Return a boolean (virtual document x word) sparse matrix and the number of virtual documents.

    With ``window=None`` a virtual document is a whole document. With an integer window it is
    every sliding window of that many tokens, as gensim's ``WordOccurrenceAccumulator`` counts
    them (documents shorter than the window are one window; a word repeated inside a window is
    dropped from the window after the first copy leaves it, which is gensim's behaviour and kept
    so that the scores equal gensim's ``c_npmi``).
    """
    index = {w: i for i, w in enumerate(words)}
    doc_ids, positions, cols, n_windows = [], [], [], []
    for d, doc in enumerate(docs):
        n_windows.append(1 if window is None or len(doc) <= window else len(doc) - window + 1)
        for p, tok in enumerate(doc):
            c = index.get(tok)
            if c is not None:
                doc_ids.append(d)
                positions.append(p)
                cols.append(c)
    n_windows = np.asarray(n_windows, dtype=np.int64)
    base = np.concatenate([[0], np.cumsum(n_windows)[:-1]]) if len(docs) else np.zeros(0, np.int64)
    total = int(n_windows.sum())
    if not cols:
        return sp.csr_matrix((total, len(words)), dtype=np.float64), total
    d = np.asarray(doc_ids, dtype=np.int64)
    p = np.asarray(positions, dtype=np.int64)
    c = np.asarray(cols, dtype=np.int64)
    nw = n_windows[d]
    if window is None:
        rows = base[d]
        cols_out = c
    else:
        single = nw == 1
        first = np.where(single, 0, np.maximum(0, p - window + 1))
        leave = np.where(single, 1, p + 1)  # the window index at which this copy leaves
        # gensim clears a word when the copy at the window's edge leaves, even if a later copy
        # is still inside: the run started by copy j ends when the first earlier-or-same copy
        # leaves after it started.
        order = np.lexsort((p, c, d))
        d, p, c, first, leave, nw = (
            d[order],
            p[order],
            c[order],
            first[order],
            leave[order],
            nw[order],
        )
        group = d * (len(words) + 1) + c
        big = int(p.max()) + window + 2
        key_leave = group * big + leave
        key_first = group * big + first
        idx = np.searchsorted(key_leave, key_first, side="right")
        end = np.minimum(leave[idx], nw)
        length = np.maximum(end - first, 1)
        offsets = np.arange(int(length.sum())) - np.repeat(np.cumsum(length) - length, length)
        rows = np.repeat(base[d] + first, length) + offsets
        cols_out = np.repeat(c, length)
    m = sp.csr_matrix(
        (np.ones(len(rows), dtype=np.float64), (rows, cols_out)), shape=(total, len(words))
    )
    m.sum_duplicates()
    m.data[:] = 1.0
    return m, total


def npmi(
    topics: Sequence[Sequence[str]],
    docs: Sequence[Sequence[str]],
    *,
    window: int | None = 10,
) -> np.ndarray:
    """Return the NPMI coherence of each topic's terms, estimated on ``docs``.

    The mean over all ordered pairs of a topic's terms of
    ``log((p(a, b) + eps) / (p(a) p(b))) / -log(p(a, b) + eps)``, where probabilities are shares
    of virtual documents containing the terms. This is gensim's ``c_npmi`` (the measure OCTIS
    reports): ``window=10`` reproduces it exactly; ``window=None`` uses whole documents.

    Parameters
    ----------
    topics : sequence of sequence of str
        Each topic's top terms (10 in the literature).
    docs : sequence of sequence of str
        The reference corpus as token or term sequences.
    window : int or None
        Sliding-window size in tokens, or ``None`` for document co-occurrence.

    Returns
    -------
    numpy.ndarray
        One score per topic in [-1, 1]; ``nan`` for a topic with a term absent from ``docs``.
    """
    words = sorted({w for t in topics for w in t})
    m, total = _window_matrix(docs, words, window)
    co = (m.T @ m).toarray()
    counts = np.diag(co).copy()
    index = {w: i for i, w in enumerate(words)}
    out = np.full(len(topics), np.nan)
    if total == 0:
        return out
    for t, terms in enumerate(topics):
        ids = np.array([index[w] for w in terms], dtype=np.int64)
        if len(ids) < 2 or (counts[ids] == 0).any():
            continue
        p_joint = co[np.ix_(ids, ids)] / total
        p = counts[ids] / total
        with np.errstate(divide="ignore"):
            pmi = np.log((p_joint + _EPS) / np.outer(p, p))
            value = pmi / -np.log(p_joint + _EPS)
        mask = ~np.eye(len(ids), dtype=bool)
        out[t] = float(value[mask].mean())
    return out


def diversity(topics: Sequence[Sequence[str]]) -> float:
    """Return topic diversity: the share of unique terms among all topics' top terms.

    Examples
    --------
    >>> diversity([["a", "b"], ["b", "c"]])
    0.75
    """
    terms = [w for t in topics for w in t]
    return len(set(terms)) / len(terms) if terms else float("nan")


def term_uniqueness(topics: Sequence[Sequence[str]]) -> np.ndarray:
    """Return, per topic, the mean over its terms of 1 / (number of topics listing the term)."""
    counts = Counter(w for t in topics for w in set(t))
    return np.array([np.mean([1.0 / counts[w] for w in t]) if t else np.nan for t in topics])


def term_scores(components: np.ndarray, exclusivity: float) -> tuple[np.ndarray, np.ndarray]:
    """Return (weight, score) of every topic x term of a factorisation.

    ``weight`` is the term's share of the topic's weight, ``p(term | topic)``; ``score``, by
    which a topic's terms are ranked, is ``weight * p(topic | term) ** exclusivity`` (the weight
    alone for one topic or ``exclusivity=0``), so a term that weighs in many topics ranks lower.
    """
    phi = components / np.maximum(components.sum(axis=1, keepdims=True), 1e-300)
    if not exclusivity or len(phi) < 2:
        return phi, phi
    excl = phi / np.maximum(phi.sum(axis=0, keepdims=True), 1e-300)
    return phi, phi * excl**exclusivity


def best_k(k_scores) -> int:
    """The k an ``n_topics="auto"`` scan chooses from its ``k_scores_`` table: the highest
    quality (mean NPMI x diversity), the smallest k among equals."""
    return int(k_scores.sort_values(["quality", "k"], ascending=[False, True]).iloc[0]["k"])
