"""The topic model's default vectorizer: units of terms to a document-term matrix, and rare phrases split."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer
from sklearn.utils.validation import check_is_fitted

#: Weightings of :class:`TermVectorizer`: sublinear tf-idf (for NMF) or raw counts (for LDA).
WEIGHTINGS = ("tfidf", "count")


def _identity(doc):
    return doc


def _resolve_df(min_df, max_df, n: int) -> tuple[int, int]:
    """Turn min_df/max_df (count, proportion or "auto") into unit counts that suit ``n`` units."""
    if min_df == "auto":
        low = 1 if n < 20 else 2
        min_count = int(min(50, max(low, math.ceil(n * 0.001))))
    elif isinstance(min_df, float):
        min_count = max(1, math.ceil(min_df * n))
    else:
        min_count = int(min_df)
    if max_df == "auto":
        max_count = n if n < 10 else max(1, int(0.5 * n))
    elif isinstance(max_df, float):
        max_count = max(1, int(max_df * n))
    else:
        max_count = int(max_df)
    # A count limit written for a big corpus must not empty a tiny one.
    min_count = min(min_count, max(1, n // 2))
    return min_count, max(max_count, min_count)


def _phrase_min_count(vectorizer, n: int) -> int:
    """Units a joined phrase must occur in to stay one term: the vectorizer's ``min_df`` on ``n`` units."""
    # scikit-learn's vectorizers read min_df as a count (int) or a share (float), as we do; one
    # without a min_df keeps every term, so no phrase is split.
    return _resolve_df(getattr(vectorizer, "min_df", 1), getattr(vectorizer, "max_df", 1.0), n)[0]


def _phrase_parts(rare, stopwords) -> dict[str, list[str]]:
    """The words each joined term of ``rare`` splits into (stopwords and single letters dropped)."""
    return {t: [w for w in t.split("_") if len(w) > 1 and w not in stopwords] for t in rare}


def _split_units(units: list[list[str]], parts: dict[str, list[str]]) -> list[list[str]]:
    """Replace the joined terms that are keys of ``parts`` by their words."""
    if not parts:
        return units
    return [[w for t in u for w in parts.get(t, (t,))] for u in units]


def _split_rare_phrases(units: list[list[str]], min_count: int, stopwords) -> list[list[str]]:
    """Replace joined terms seen in fewer than ``min_count`` units by their words."""
    df = Counter(t for u in units for t in set(u) if "_" in t)
    return _split_units(
        units, _phrase_parts([t for t, n in df.items() if n < min_count], stopwords)
    )


def _split_unknown_phrases(units: list[list[str]], vocabulary, stopwords) -> list[list[str]]:
    """Replace joined terms missing from ``vocabulary`` by their words (as fitting split them)."""
    return [
        [
            w
            for t in u
            for w in (
                (t,)
                if t in vocabulary or "_" not in t
                else [p for p in t.split("_") if len(p) > 1 and p not in stopwords]
            )
        ]
        for u in units
    ]


def _select_vocabulary(
    df: Counter, tf: Counter, min_count: int, max_count: int, max_features: int | None
) -> list[str]:
    """The vocabulary CountVectorizer keeps with these limits, from counted frequencies."""
    keep = sorted(t for t, n in df.items() if min_count <= n <= max_count)
    if max_features is not None and len(keep) > max_features:
        # CountVectorizer keeps the most frequent terms over the corpus; the same argsort over
        # the same alphabetical order breaks ties the same way.
        tfs = np.array([tf[t] for t in keep], dtype=np.float64)
        keep = [keep[i] for i in (-tfs).argsort()[:max_features]]
    if not keep:
        # Limits that prune everything (a handful of short units): keep every term, as fit().
        keep = list(df)
    return sorted(keep)


class TermVectorizer(TransformerMixin, BaseEstimator):
    """Units of terms (lists of strings) to a document-term matrix for a topic model.

    Terms are counted as they are (no tokenising, no lower-casing), the vocabulary is cut by
    document frequency, and counts are weighted by sublinear tf-idf or left as counts. The
    default vectorizer of :class:`analysis.topics.TopicModel`; any scikit-learn vectorizer that
    takes lists of terms (``CountVectorizer(analyzer=list)``) can stand in for it, but only this
    one can also be fitted from frequencies counted batch by batch (:meth:`fit_counts`), which
    :meth:`TopicModel.fit_stream` needs.

    Parameters
    ----------
    min_df, max_df : int, float or "auto"
        Vocabulary limits in units (int) or shares of units (float). ``"auto"`` adapts to the
        corpus size: a term must occur in ceil(0.1 % of units), at least 2 and at most 50 units
        (1 below 20 units), and in at most half of them (no upper limit below 10 units). When
        the limits prune every term (a handful of short units), every term is kept.
    max_features : int or None
        Keep at most this many of the most frequent terms.
    weighting : {"tfidf", "count"}
        Sublinear tf-idf with smooth idf and unit-length rows, or raw counts.

    Attributes
    ----------
    counter_ : sklearn.feature_extraction.text.CountVectorizer
        The fitted counting stage.
    vocabulary_ : dict of str to int
        Column of each term.
    tfidf_ : sklearn.feature_extraction.text.TfidfTransformer
        The idf of the vocabulary (fitted whatever the weighting).
    """

    def __init__(self, *, min_df="auto", max_df="auto", max_features=50_000, weighting="tfidf"):
        self.min_df = min_df
        self.max_df = max_df
        self.max_features = max_features
        self.weighting = weighting

    def _check_weighting(self) -> None:
        if self.weighting not in WEIGHTINGS:
            raise ValueError(f"weighting must be one of {WEIGHTINGS}, got {self.weighting!r}")

    def fit(self, units, y=None):
        """Fit the vocabulary and idf to ``units`` (a list of term lists); return self."""
        self.fit_transform(units)
        return self

    def fit_transform(self, units, y=None):
        """Fit to ``units`` and return their weighted document-term matrix."""
        self._check_weighting()
        units = list(units)
        min_count, max_count = _resolve_df(self.min_df, self.max_df, len(units))
        counter = CountVectorizer(
            analyzer=_identity,
            min_df=min_count,
            max_df=max_count,
            max_features=self.max_features,
            dtype=np.float64,
        )
        try:
            counts = counter.fit_transform(units)
        except ValueError:
            # Limits that prune everything (a handful of short units): keep every term.
            counter = CountVectorizer(analyzer=_identity, dtype=np.float64)
            counts = counter.fit_transform(units)
        self.counter_ = counter
        self.vocabulary_ = counter.vocabulary_
        self.tfidf_ = TfidfTransformer(sublinear_tf=True).fit(counts)
        return self.weight(counts)

    def fit_counts(self, doc_freq: Counter, term_freq: Counter, n_units: int):
        """Fit from frequencies counted over a corpus read in batches; return self.

        Gives the vocabulary and idf that :meth:`fit` gives on the same units.

        Parameters
        ----------
        doc_freq, term_freq : collections.Counter
            Units each term occurs in, and its occurrences.
        n_units : int
            Number of units counted.
        """
        self._check_weighting()
        min_count, max_count = _resolve_df(self.min_df, self.max_df, n_units)
        vocab = _select_vocabulary(doc_freq, term_freq, min_count, max_count, self.max_features)
        counts = np.array([doc_freq[t] for t in vocab], dtype=np.float64)
        self.counter_ = CountVectorizer(analyzer=_identity, vocabulary=vocab, dtype=np.float64)
        self.counter_.fit([])
        self.vocabulary_ = self.counter_.vocabulary_
        self.tfidf_ = TfidfTransformer(sublinear_tf=True)
        # Smooth idf, as TfidfTransformer.fit computes it from the same counts.
        self.tfidf_.idf_ = np.log((1.0 + n_units) / (1.0 + counts)) + 1.0
        return self

    def count(self, units):
        """Return the term counts of ``units`` (a sparse matrix over the vocabulary)."""
        check_is_fitted(self, "counter_")
        return self.counter_.transform(units)

    def weight(self, counts):
        """Return ``counts`` weighted as ``weighting`` says."""
        return counts if self.weighting == "count" else self.tfidf_.transform(counts)

    def transform(self, units):
        """Return the weighted document-term matrix of ``units``."""
        return self.weight(self.count(units))

    def get_feature_names_out(self, input_features=None):
        """Return the vocabulary in column order."""
        check_is_fitted(self, "counter_")
        return self.counter_.get_feature_names_out()
