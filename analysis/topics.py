"""Topic models over news terms: NMF/LDA estimator, NPMI coherence, diversity, matching and comparison."""

from __future__ import annotations

import json
import math
import re
import sys
import warnings
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer
from sklearn.utils.validation import check_is_fitted

from analysis.terms import TermDoc, term_docs

METHODS = ("nmf", "lda", "minibatch_nmf")
UNITS = ("article", "paragraph")
#: Passes of ``partial_fit`` over the corpus in :meth:`TopicModel.fit_stream`.
STREAM_EPOCHS = 10
#: Units per ``partial_fit`` step of :meth:`TopicModel.fit_stream`.
STREAM_BATCH_UNITS = 512
#: k values scanned by ``n_topics="auto"`` (clipped to what the corpus can support).
DEFAULT_K_GRID = (3, 5, 8, 10, 15, 20)
#: Epsilon of gensim's NPMI, kept so scores compare with gensim and OCTIS.
_EPS = 1e-12


# --------------------------------------------------------------------------------------------
# Quality measures
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Input handling
# --------------------------------------------------------------------------------------------


def _paragraph_spans(text: str) -> list[tuple[int, int]]:
    try:
        from analysis.corpus import paragraph_spans
    except ImportError:  # the corpus module is optional here: fall back to blank-line splitting
        spans, start = [], 0
        for m in re.finditer(r"\n[ \t\xa0]*\n\s*", text):
            if text[start : m.start()].strip():
                spans.append((start, m.start()))
            start = m.end()
        if text[start:].strip():
            spans.append((start, len(text.rstrip())))
        return spans
    return list(paragraph_spans(text))


def _as_articles(X) -> tuple[list[str], list[str] | None, list[list[str]] | None]:
    """Return (article ids, texts or None, pre-extracted term lists or None) for any accepted X."""
    if isinstance(X, pd.DataFrame) and "terms" in X.columns and "text" not in X.columns:
        # The feature store's ``terms`` table: one row per paragraph, joined per article.
        ids, pre = [], []
        for aid, group in X.groupby("article_id", sort=True):
            ids.append(str(aid))
            pre.append([t for terms in group.sort_values("paragraph")["terms"] for t in terms])
        return ids, None, pre
    if isinstance(X, pd.DataFrame):
        if "text" not in X.columns:
            raise ValueError(f"articles need a 'text' column; got columns {list(X.columns)}")
        ids = (
            X["article_id"].astype(str).tolist()
            if "article_id" in X.columns
            else [str(i) for i in X.index]
        )
        return ids, X["text"].fillna("").astype(str).tolist(), None
    if isinstance(X, pd.Series):
        return [str(i) for i in X.index], X.fillna("").astype(str).tolist(), None
    if isinstance(X, str):
        raise TypeError("X must be a sequence of texts, not a single string; wrap it in a list")
    items = list(X)
    ids = [str(i) for i in range(len(items))]
    if all(isinstance(x, str) for x in items):
        return ids, items, None
    if all(isinstance(x, TermDoc) for x in items):
        return ids, None, [list(x.terms) for x in items]
    if all(isinstance(x, list | tuple) for x in items):
        return ids, None, [list(x) for x in items]
    raise TypeError("X must be a DataFrame with 'text', texts, TermDocs or lists of terms")


def _terms_table_units(X: pd.DataFrame):
    """Paragraph units of the feature store's ``terms`` table: (ids, units, units table)."""
    ids, units, rows = [], [], []
    for aid, group in X.groupby("article_id", sort=True):
        ids.append(str(aid))
        for r in group.sort_values("paragraph").itertuples(index=False):
            terms = list(r.terms)
            rows.append((str(aid), int(r.paragraph), 0, 0, len(terms)))
            units.append(terms)
    return ids, units, rows


def extract_terms(doc, article) -> list[dict]:
    """Return the ``terms`` table rows of one parsed article: one row per paragraph.

    The feature-store extractor (``analysis.store.FEATURES``): each row holds ``article_id``,
    ``paragraph`` (0-based index of :func:`analysis.corpus.paragraph_spans`) and ``terms`` (the
    paragraph's :func:`analysis.terms.doc_terms`, in order), plus ``starts`` and ``ends`` (each
    term's character offsets) and ``actor`` (whether it came from a person, organisation, place or group
    entity), from which :func:`analysis.terms.term_docs_from_store` rebuilds the term documents
    without parsing. A :class:`TopicModel` also fits on the table directly.
    """
    from bisect import bisect_right

    from analysis.terms import term_spans

    spans = _paragraph_spans(article["text"]) or [(0, len(article["text"]))]
    starts = [s for s, _ in spans]
    rows = [
        {
            "article_id": article["article_id"],
            "paragraph": i,
            "terms": [],
            "starts": [],
            "ends": [],
            "actor": [],
        }
        for i in range(len(spans))
    ]
    for start, end, term, is_actor in term_spans(doc):
        row = rows[max(0, bisect_right(starts, start) - 1)]
        row["terms"].append(term)
        row["starts"].append(start)
        row["ends"].append(end)
        row["actor"].append(bool(is_actor))
    return rows


def _identity(doc):
    return doc


def _actor_set(tagged: Counter, seen: Counter) -> frozenset[str]:
    # A term is an actor when most of its occurrences were tagged as a person,
    # organisation, place or group: one stray ORG tag on "game" must not make it one.
    return frozenset(t for t, n in tagged.items() if n * 2 > seen[t])


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


# --------------------------------------------------------------------------------------------
# The estimator
# --------------------------------------------------------------------------------------------


class TopicModel(TransformerMixin, BaseEstimator):
    """Topics of a news corpus: NMF (default), LDA or MiniBatchNMF on lemma, entity and phrase terms.

    Parameters
    ----------
    n_topics : int or "auto"
        Number of topics; ``"auto"`` fits every k of ``k_grid`` up to sqrt(number of units)
        (2..sqrt(units) when fewer than three grid values fit) and keeps the one with the best
        mean NPMI x diversity (the curve is in ``k_scores_``).
    method : {"nmf", "lda", "minibatch_nmf"}
        NMF on sublinear tf-idf, LDA on counts, or MiniBatchNMF for corpora too big for NMF.
    unit : {"article", "paragraph"}
        What a document is; ``"paragraph"`` gives topics over the paragraphs of even one article.
    random_state : int
        Seed of the factorisation; the same seed gives identical topics.
    tokens : {None, "whitespace"}
        ``None`` parses texts with spaCy into terms; ``"whitespace"`` takes them as tokenised.
    min_df, max_df : int, float or "auto"
        Vocabulary limits in units (int) or shares of units (float). ``"auto"`` adapts to the
        corpus size: a term must occur in ceil(0.1 % of units), at least 2 and at most 50 units
        (1 below 20 units), and in at most half of them (no upper limit below 10 units).
    max_features : int or None
        Keep at most this many of the most frequent terms (bounds memory on millions of units).
    top_n : int
        Terms per topic used for labels, coherence and diversity.
    exclusivity : float
        Weight of exclusivity when ranking a topic's terms: a term's score is
        ``p(term | topic) * p(topic | term) ** exclusivity``, so a term shared by many topics
        ranks lower. 0 ranks by weight alone.
    k_grid : sequence of int
        Values of k tried by ``n_topics="auto"``.
    coherence_window : int or None
        Sliding window of the NPMI estimate (10 as gensim and OCTIS); ``None`` for whole units.
    coherence_units : int or None
        Estimate NPMI on a seeded random sample of at most this many units (all when ``None``
        or the corpus is smaller), so scoring stays cheap on millions of articles.
    max_iter : int
        Iterations of the factorisation.
    nlp : spacy.Language, optional
        Pipeline for parsing (default :func:`analysis.nlp.load_nlp`).
    n_process, batch_size : int
        Passed to :func:`analysis.nlp.parse`.
    verbose : bool
        Report each k of the ``"auto"`` scan on stderr.

    Attributes
    ----------
    n_topics_ : int
        Number of topics fitted.
    topic_ids_ : numpy.ndarray
        Public id of each topic (positions unless :meth:`align_to` renumbered them).
    vocabulary_ : numpy.ndarray
        Terms of the columns of ``components_``.
    components_ : numpy.ndarray
        Topic x term weights of the factorisation.
    top_terms_ : list of list of str
        Each topic's ``top_n`` terms, best first.
    topic_npmi_, topic_uniqueness_ : numpy.ndarray
        Per-topic NPMI coherence on the corpus and share of terms not shared with other topics.
    npmi_, diversity_ : float
        Mean NPMI and topic diversity.
    labels_ : list of str
        A short label per topic from its top actors and terms.
    unit_topics_ : numpy.ndarray
        Topic mix of each unit (rows sum to 1, or 0 for a unit without vocabulary terms).
    units_ : pandas.DataFrame
        One row per unit: article_id, unit, start, end, n_terms.
    article_ids_ : list of str
        Article ids in input order.
    k_scores_ : pandas.DataFrame or None
        For ``n_topics="auto"``: k, npmi, diversity, quality per k tried.
    stability_ : numpy.ndarray or None
        After :meth:`align_to`: each topic's similarity with its match in the reference.
    """

    def __init__(
        self,
        n_topics: int | str = 8,
        method: str = "nmf",
        unit: str = "article",
        random_state: int = 0,
        *,
        tokens: str | None = None,
        min_df="auto",
        max_df="auto",
        max_features: int | None = 50_000,
        top_n: int = 10,
        exclusivity: float = 0.5,
        k_grid: Sequence[int] = DEFAULT_K_GRID,
        coherence_window: int | None = 10,
        coherence_units: int | None = 100_000,
        max_iter: int = 400,
        nlp=None,
        n_process: int = 1,
        batch_size: int = 64,
        verbose: bool = False,
    ):
        self.n_topics = n_topics
        self.method = method
        self.unit = unit
        self.random_state = random_state
        self.tokens = tokens
        self.min_df = min_df
        self.max_df = max_df
        self.max_features = max_features
        self.top_n = top_n
        self.exclusivity = exclusivity
        self.k_grid = k_grid
        self.coherence_window = coherence_window
        self.coherence_units = coherence_units
        self.max_iter = max_iter
        self.nlp = nlp
        self.n_process = n_process
        self.batch_size = batch_size
        self.verbose = verbose

    # -- preparing units ---------------------------------------------------------------------

    def _check_params(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {self.method!r}")
        if self.unit not in UNITS:
            raise ValueError(f"unit must be one of {UNITS}, got {self.unit!r}")
        if self.n_topics != "auto" and (not isinstance(self.n_topics, int) or self.n_topics < 1):
            raise ValueError(f"n_topics must be a positive int or 'auto', got {self.n_topics!r}")

    def _units(self, X):
        """Return (article ids, unit term lists, units table)."""
        if (
            isinstance(X, pd.DataFrame)
            and "terms" in X.columns
            and "text" not in X.columns
            and self.unit == "paragraph"
        ):
            ids, units, rows = _terms_table_units(X)
            table = pd.DataFrame(rows, columns=["article_id", "unit", "start", "end", "n_terms"])
            return ids, units, table
        ids, texts, pre = _as_articles(X)
        rows, units = [], []
        if pre is not None:
            if self.unit == "paragraph":
                raise ValueError("unit='paragraph' needs texts, not pre-extracted term lists")
            for aid, terms in zip(ids, pre, strict=True):
                rows.append((aid, 0, 0, 0, len(terms)))
                units.append(terms)
        else:
            docs = term_docs(
                texts,
                tokens=self.tokens,
                nlp=self.nlp,
                batch_size=self.batch_size,
                n_process=self.n_process,
            )
            for aid, text, td in zip(ids, texts, docs, strict=True):
                spans = _paragraph_spans(text) if self.unit == "paragraph" else [(0, len(text))]
                for u, (start, end) in enumerate(spans or [(0, len(text))]):
                    terms = td.within(start, end) if self.unit == "paragraph" else list(td.terms)
                    rows.append((aid, u, start, end, len(terms)))
                    units.append(terms)
        table = pd.DataFrame(rows, columns=["article_id", "unit", "start", "end", "n_terms"])
        return ids, units, table

    def _actors(self, X) -> frozenset[str]:
        return _actor_set(*self._actor_counts(X))

    def _actor_counts(self, X) -> tuple[Counter, Counter]:
        """Return (times tagged as an actor, times seen) per term of ``X``."""
        tagged: Counter = Counter()
        seen: Counter = Counter()
        if isinstance(X, pd.DataFrame) and {"terms", "actor"} <= set(X.columns):
            pairs = ((r.terms, r.actor) for r in X[["terms", "actor"]].itertuples(index=False))
        else:
            _, texts, pre = _as_articles(X)
            if pre is not None or self.tokens == "whitespace":
                return tagged, seen
            pairs = ((td.terms, td.actor_flags) for td in term_docs(texts, nlp=self.nlp))
        for terms, flags in pairs:
            seen.update(terms)
            tagged.update(t for t, flag in zip(terms, flags, strict=False) if flag)
        return tagged, seen

    def _make_estimator(self, k: int):
        if self.method == "lda":
            from sklearn.decomposition import LatentDirichletAllocation

            return LatentDirichletAllocation(
                n_components=k,
                learning_method="batch",
                max_iter=min(self.max_iter, 100),
                random_state=self.random_state,
            )
        if self.method == "minibatch_nmf":
            from sklearn.decomposition import MiniBatchNMF

            return MiniBatchNMF(
                n_components=k,
                init="nndsvda",
                batch_size=2048,
                max_iter=self.max_iter,
                random_state=self.random_state,
            )
        from sklearn.decomposition import NMF

        return NMF(
            n_components=k, init="nndsvda", max_iter=self.max_iter, random_state=self.random_state
        )

    def _matrix(self, counts):
        if self.method == "lda":
            return counts
        return self.tfidf_.transform(counts)

    def _rank_terms(self, components: np.ndarray) -> list[list[str]]:
        phi = components / np.maximum(components.sum(axis=1, keepdims=True), 1e-300)
        score = phi
        if self.exclusivity and len(phi) > 1:
            excl = phi / np.maximum(phi.sum(axis=0, keepdims=True), 1e-300)
            score = phi * excl**self.exclusivity
        out = []
        for row, weights in zip(score, components, strict=True):
            order = np.argsort(-row, kind="stable")
            # A term under 1 % of the topic's largest weight is residue, not a topic term:
            # MiniBatchNMF leaves ~1e-3 of it where NMF reaches exact zeros (on BBC at k = 50
            # every real top-10 term is above 10 %).
            order = order[weights[order] > 0.01 * weights.max()][: self.top_n]
            out.append([str(self.vocabulary_[i]) for i in order])
        return out

    def _coherence_sample(self, units: list[list[str]]) -> list[list[str]]:
        if self.coherence_units is None or len(units) <= self.coherence_units:
            return units
        rng = np.random.default_rng(self.random_state)
        keep = np.sort(rng.choice(len(units), size=self.coherence_units, replace=False))
        return [units[i] for i in keep]

    def _fit_k(self, X, k: int, units: list[list[str]]):
        with warnings.catch_warnings():
            # Convergence warnings on tiny corpora are expected and harmless here.
            warnings.simplefilter("ignore")
            est = self._make_estimator(k)
            W = est.fit_transform(X)
        top = self._rank_terms(est.components_)
        scores = npmi(top, self._coherence_sample(units), window=self.coherence_window)
        return est, W, top, scores

    # -- fitting -----------------------------------------------------------------------------

    def fit(self, X, y=None):
        """Fit topics to articles.

        Parameters
        ----------
        X : pandas.DataFrame, sequence of str, or sequence of term lists
            Articles: a table with ``text`` (and ``article_id``), texts, or pre-extracted term
            lists (e.g. from :func:`analysis.terms.doc_terms`).
        y : ignored

        Returns
        -------
        TopicModel
            self, fitted.
        """
        self._check_params()
        ids, units, table = self._units(X)
        if not units:
            raise ValueError("no articles to fit topics on")
        from analysis.terms import _stopwords

        min_count, max_count = _resolve_df(self.min_df, self.max_df, len(units))
        if self.tokens != "whitespace":
            units = _split_rare_phrases(units, min_count, _stopwords("en"))
        vec = CountVectorizer(
            analyzer=_identity,
            min_df=min_count,
            max_df=max_count,
            max_features=self.max_features,
            dtype=np.float64,
        )
        try:
            counts = vec.fit_transform(units)
        except ValueError:
            # Limits that prune everything (a handful of short units): keep every term.
            vec = CountVectorizer(analyzer=_identity, dtype=np.float64)
            counts = vec.fit_transform(units)
        self.vectorizer_ = vec
        self.vocabulary_ = vec.get_feature_names_out()
        self.tfidf_ = TfidfTransformer(sublinear_tf=True).fit(counts)
        matrix = self._matrix(counts)
        limit = max(1, min(matrix.shape))
        if self.n_topics == "auto":
            # NPMI of a topic made of one or two units is trivially high, so on a small corpus
            # the scan stops at sqrt(units) topics; below three grid values it tries 2..cap.
            cap = max(1, min(limit, int(math.sqrt(len(units)))))
            grid = sorted({int(k) for k in self.k_grid if 2 <= k <= cap})
            if len(grid) < 3:
                grid = list(range(min(2, cap), cap + 1))
            runs, rows = {}, []
            for k in grid:
                run = self._fit_k(matrix, k, units)
                runs[k] = run
                mean_npmi = float(np.nanmean(run[3])) if np.isfinite(run[3]).any() else np.nan
                div = diversity(run[2])
                rows.append(
                    {"k": k, "npmi": mean_npmi, "diversity": div, "quality": mean_npmi * div}
                )
                if self.verbose:
                    print(
                        f"topics: k={k} npmi={mean_npmi:.3f} diversity={div:.3f}", file=sys.stderr
                    )
            self.k_scores_ = pd.DataFrame(rows)
            best = int(
                self.k_scores_.sort_values(["quality", "k"], ascending=[False, True]).iloc[0]["k"]
            )
            est, W, top, scores = runs[best]
        else:
            k = min(int(self.n_topics), limit)
            if k < self.n_topics:
                warnings.warn(
                    f"n_topics={self.n_topics} is more than {limit} units/terms allow; fitting {k}",
                    stacklevel=2,
                )
            self.k_scores_ = None
            est, W, top, scores = self._fit_k(matrix, k, units)
        self.estimator_ = est
        # Order topics by prevalence so topic 0 is the largest; ties keep factorisation order.
        mix = _normalise_rows(W)
        order = np.argsort(-mix.sum(axis=0), kind="stable")
        self.components_ = est.components_[order]
        self._order = order
        self.unit_topics_ = mix[:, order]
        self.top_terms_ = [top[i] for i in order]
        self.topic_npmi_ = scores[order]
        self.n_topics_ = len(order)
        self.topic_ids_ = np.arange(self.n_topics_)
        self.npmi_ = float(np.nanmean(self.topic_npmi_)) if np.isfinite(scores).any() else np.nan
        self.diversity_ = diversity(self.top_terms_)
        self.topic_uniqueness_ = term_uniqueness(self.top_terms_)
        self.units_ = table
        self.article_ids_ = ids
        self.n_units_ = len(table)
        self.n_articles_ = len(ids)
        self.method_ = self.method
        self._topic_stats = None
        self.actors_ = self._actors(X)
        self.labels_ = [topic_label(t, self.actors_) for t in self.top_terms_]
        self.stability_ = None
        return self

    def fit_stream(
        self,
        batches,
        *,
        epochs: int = STREAM_EPOCHS,
        batch_units: int = STREAM_BATCH_UNITS,
        doc_topics=None,
        min_weight: float = 0.01,
        work_dir: str | Path | None = None,
    ):
        """Fit topics to a corpus read in batches, with memory bounded by the batch size.

        Pass 1 counts document and term frequencies per batch and fixes the vocabulary with the
        same ``min_df``/``max_df``/``max_features`` rules (and the same idf) as :meth:`fit`;
        pass 2 vectorises each batch with that vocabulary into a temporary folder; then
        ``epochs`` passes over the vectorised batches call ``partial_fit`` of MiniBatchNMF
        (``method="nmf"`` or ``"minibatch_nmf"``) or online LDA (``method="lda"``) on
        mini-batches of ``batch_units`` units, after a first step on a seeded sample of as many
        units from the whole corpus (a corpus stored in category order must not start from one
        category); a last pass computes each article's topic mix and
        hands it, batch by batch, to ``doc_topics``. The same seed and batches give identical
        topics.

        Parameters
        ----------
        batches : callable
            Returns a fresh iterator of DataFrames each time it is called (the corpus is read
            two or three times: counting, a recount when rare phrases are split, vectorising):
            the feature store's ``terms`` table part by part (see :func:`store_batches`), or
            articles tables with ``text`` (parsed on every read, so prefer the store). An
            article's rows must not be split across two batches.
        epochs : int
            Passes of ``partial_fit`` over the corpus.
        batch_units : int
            Units per ``partial_fit`` step.
        doc_topics : callable, path or None
            Where each batch's ``doc_topics`` rows (article_id, topic, weight) go: a function
            called with each DataFrame, or a CSV file written with a header and appended to.
        min_weight : float
            Smallest topic weight written to ``doc_topics``.
        work_dir : path, optional
            Folder for the vectorised batches (default: a temporary folder, removed at the end).

        Returns
        -------
        TopicModel
            self, fitted: top terms, NPMI on a seeded sample of at most ``coherence_units``
            units, diversity, labels, sizes and shares, as after :meth:`fit`; the per-article
            mixes are not kept (``article_topics`` raises), they went to ``doc_topics``.
        """
        import tempfile

        from analysis.terms import _stopwords

        self._check_params()
        if not callable(batches):
            raise TypeError(
                "batches must be a callable returning a fresh iterator of DataFrames "
                "(the corpus is read several times)"
            )
        if epochs < 1 or batch_units < 1:
            raise ValueError(f"epochs and batch_units must be >= 1, got {epochs}, {batch_units}")
        stop = _stopwords("en")
        split = self.tokens != "whitespace"

        # Pass 1: unit count, document and term frequencies, actor tags.
        n_units, df, tf, tagged, seen = _count_pass(self, batches(), parts={})
        if n_units == 0:
            raise ValueError("no articles to fit topics on")
        min_count, max_count = _resolve_df(self.min_df, self.max_df, n_units)
        rare = [t for t, n in df.items() if "_" in t and n < min_count] if split else []
        parts = _phrase_parts(rare, stop)
        del rare
        if parts:
            # Words of split phrases change the frequencies: count again, as fit() sees them.
            _, df, tf, _, _ = _count_pass(self, batches(), parts=parts, actors=False)
        vocab = _select_vocabulary(df, tf, min_count, max_count, self.max_features)
        doc_freq = np.array([df[t] for t in vocab], dtype=np.float64)
        del df, tf
        self.vectorizer_ = CountVectorizer(
            analyzer=_identity, vocabulary=vocab, dtype=np.float64
        ).fit([])
        self.vocabulary_ = self.vectorizer_.get_feature_names_out()
        self.tfidf_ = TfidfTransformer(sublinear_tf=True)
        # Smooth idf, as TfidfTransformer.fit computes it from the same counts.
        self.tfidf_.idf_ = np.log((1.0 + n_units) / (1.0 + doc_freq)) + 1.0
        self.method_ = "lda" if self.method == "lda" else "minibatch_nmf"

        limit = max(1, min(n_units, len(vocab)))
        if self.n_topics == "auto":
            cap = max(1, min(limit, int(math.sqrt(n_units))))
            grid = sorted({int(k) for k in self.k_grid if 2 <= k <= cap})
            if len(grid) < 3:
                grid = list(range(min(2, cap), cap + 1))
        else:
            grid = [min(int(self.n_topics), limit)]
            if grid[0] < self.n_topics:
                warnings.warn(
                    f"n_topics={self.n_topics} is more than {limit} units/terms allow; "
                    f"fitting {grid[0]}",
                    stacklevel=2,
                )
        # The NPMI sample: the same seeded draw of unit positions as fit() makes.
        if self.coherence_units is None or n_units <= self.coherence_units:
            wanted = None
        else:
            rng = np.random.default_rng(self.random_state)
            wanted = np.sort(rng.choice(n_units, size=self.coherence_units, replace=False))
        # The first step (and NNDSVDa's start) uses a seeded sample from the whole corpus:
        # a corpus stored in order (all sport, then all business) must not start from one part.
        first = np.sort(
            np.random.default_rng([self.random_state, 1]).choice(
                n_units, size=min(n_units, batch_units), replace=False
            )
        )
        first_rows: list = []

        with tempfile.TemporaryDirectory(dir=work_dir) as tmp:
            tmp = Path(tmp)
            # Pass 2: vectorise each batch once; epochs and the last pass read these files.
            # The NPMI sample is held as vocabulary ids (-1 outside it: only positions matter),
            # 4 bytes a token instead of a string object each.
            sample: list[np.ndarray] = []
            col = self.vectorizer_.vocabulary_

            def encode(unit):
                return np.fromiter((col.get(t, -1) for t in unit), dtype=np.int32, count=len(unit))

            n_parts, offset = 0, 0
            for frame in batches():
                ids, units, table = self._units(frame)
                units = _split_units(units, parts)
                if wanted is None:
                    sample.extend(encode(u) for u in units)
                else:
                    lo, hi = np.searchsorted(wanted, [offset, offset + len(units)])
                    sample.extend(encode(units[i - offset]) for i in wanted[lo:hi])
                counts = self.vectorizer_.transform(units).tocsr()
                lo, hi = np.searchsorted(first, [offset, offset + len(units)])
                first_rows.append(counts[first[lo:hi] - offset])
                offset += len(units)
                sp.save_npz(tmp / f"{n_parts:06d}.npz", counts)
                table[["article_id", "n_terms"]].to_parquet(tmp / f"{n_parts:06d}.parquet")
                n_parts += 1
            del units, table

            def matrices():
                for i in range(n_parts):
                    yield i, self._matrix(sp.load_npz(tmp / f"{i:06d}.npz"))

            first_matrix = self._matrix(sp.vstack(first_rows).tocsr())
            del first_rows
            estimators = {
                k: self._make_stream_estimator(k, n_units, first_matrix.shape[0], batch_units)
                for k in grid
            }
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for est in estimators.values():
                    est.partial_fit(first_matrix)
                del first_matrix
                for _ in range(epochs):
                    for _, X in matrices():
                        for start in range(0, X.shape[0], batch_units):
                            chunk = X[start : start + batch_units]
                            for est in estimators.values():
                                est.partial_fit(chunk)
            runs, rows = {}, []
            for k, est in estimators.items():
                top = self._rank_terms(est.components_)
                top_ids = [[int(col[t]) for t in terms] for terms in top]
                scores = npmi(top_ids, sample, window=self.coherence_window)
                runs[k] = (est, top, scores)
                mean_npmi = float(np.nanmean(scores)) if np.isfinite(scores).any() else np.nan
                div = diversity(top)
                rows.append(
                    {"k": k, "npmi": mean_npmi, "diversity": div, "quality": mean_npmi * div}
                )
                if self.verbose:
                    print(
                        f"topics: k={k} npmi={mean_npmi:.3f} diversity={div:.3f}", file=sys.stderr
                    )
            del sample
            if self.n_topics == "auto":
                self.k_scores_ = pd.DataFrame(rows)
                best = int(
                    self.k_scores_.sort_values(["quality", "k"], ascending=[False, True]).iloc[0][
                        "k"
                    ]
                )
            else:
                self.k_scores_ = None
                best = grid[0]
            est, top, scores = runs[best]
            self.estimator_ = est

            # Pass 3: unit mixes, kept on disk; their sum orders topics by prevalence as fit().
            prevalence = np.zeros(best)
            for i, X in matrices():
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    mix = _normalise_rows(est.transform(X))
                prevalence += mix.sum(axis=0)
                np.save(tmp / f"{i:06d}.mix.npy", mix)
            order = np.argsort(-prevalence, kind="stable")
            self._order = order
            self.components_ = est.components_[order]
            self.n_topics_ = len(order)
            self.topic_ids_ = np.arange(self.n_topics_)
            self.top_terms_ = [top[i] for i in order]
            self.topic_npmi_ = scores[order]

            # Pass 4: each article's mix in the final order, written batch by batch.
            sink = _doc_topics_sink(doc_topics)
            dominant = np.zeros(self.n_topics_, dtype=np.int64)
            share_sum = np.zeros(self.n_topics_)
            n_with_terms = n_articles = 0
            for i in range(n_parts):
                mix = np.load(tmp / f"{i:06d}.mix.npy")[:, order]
                table = pd.read_parquet(tmp / f"{i:06d}.parquet")
                ids = list(dict.fromkeys(table["article_id"].astype(str)))
                if self.unit != "article":
                    mix = _article_mix(mix, table, ids)
                n_articles += len(ids)
                has_terms = mix.sum(axis=1) > 0
                dominant += np.bincount(mix[has_terms].argmax(axis=1), minlength=self.n_topics_)
                share_sum += mix[has_terms].sum(axis=0)
                n_with_terms += int(has_terms.sum())
                if sink is not None:
                    sink(_doc_topics_rows(mix, ids, self.topic_ids_, min_weight))
        self.npmi_ = float(np.nanmean(self.topic_npmi_)) if np.isfinite(scores).any() else np.nan
        self.diversity_ = diversity(self.top_terms_)
        self.topic_uniqueness_ = term_uniqueness(self.top_terms_)
        self._topic_stats = (dominant, share_sum, n_with_terms)
        self.unit_topics_ = None
        self.units_ = None
        self.article_ids_ = None
        self.n_units_ = n_units
        self.n_articles_ = n_articles
        self.actors_ = _actor_set(tagged, seen)
        self.labels_ = [topic_label(t, self.actors_) for t in self.top_terms_]
        self.stability_ = None
        return self

    def fit_store(self, store: str | Path, **options):
        """Fit topics on the ``terms`` table of a feature store, part by part (see :meth:`fit_stream`).

        Parameters
        ----------
        store : path
            A folder written by :func:`analysis.store.extract_corpus` with the ``terms`` table.
        **options
            Passed to :meth:`fit_stream` (``epochs``, ``doc_topics``...).

        Returns
        -------
        TopicModel
            self, fitted.
        """
        return self.fit_stream(store_batches(store), **options)

    def _make_stream_estimator(self, k: int, n_units: int, first_rows: int, batch_units: int):
        if self.method == "lda":
            from sklearn.decomposition import LatentDirichletAllocation

            return LatentDirichletAllocation(
                n_components=k,
                learning_method="online",
                batch_size=batch_units,
                total_samples=n_units,
                random_state=self.random_state,
            )
        from sklearn.decomposition import MiniBatchNMF

        # partial_fit takes each call as the whole data set and would forget 30 % of the past
        # at every step; MiniBatchNMF.fit forgets 0.7 ** (batch / n_samples) per step, so the
        # same factor is set here for batches of ``batch_units`` out of ``n_units``.
        return MiniBatchNMF(
            n_components=k,
            init="nndsvda" if first_rows >= k else "random",
            batch_size=batch_units,
            forget_factor=0.7 ** (min(batch_units, n_units) / n_units),
            random_state=self.random_state,
        )

    def transform(self, X) -> np.ndarray:
        """Return the topic mix of each article of ``X`` (rows sum to 1; zeros without terms).

        With ``unit="paragraph"`` an article's mix is the term-weighted mean of its paragraphs'.
        """
        check_is_fitted(self, "components_")
        ids, units, table = self._units(X)
        mix = self._unit_mix(units)
        if self.unit == "article":
            return mix
        return _article_mix(mix, table, ids)

    def _unit_mix(self, units: list[list[str]]) -> np.ndarray:
        if not units:
            return np.zeros((0, self.n_topics_))
        if self.tokens != "whitespace":
            # As in fit: a joined term the vocabulary lacks counts as its words.
            from analysis.terms import _stopwords

            vocab = self.vectorizer_.vocabulary_
            stop = _stopwords("en")
            units = [
                [
                    w
                    for t in u
                    for w in (
                        (t,)
                        if t in vocab or "_" not in t
                        else [p for p in t.split("_") if len(p) > 1 and p not in stop]
                    )
                ]
                for u in units
            ]
        counts = self.vectorizer_.transform(units)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            W = self.estimator_.transform(self._matrix(counts))
        return _normalise_rows(W)[:, self._order]

    # -- explanation -------------------------------------------------------------------------

    def article_topics(self) -> np.ndarray:
        """Return the topic mix of each fitted article (rows in ``article_ids_`` order)."""
        check_is_fitted(self, "components_")
        if self.unit_topics_ is None:
            raise ValueError(
                "a model fitted with fit_stream keeps no per-article topic mix: it was written "
                "to the doc_topics sink; use transform() on the articles you need"
            )
        if self.unit == "article":
            return self.unit_topics_
        return _article_mix(self.unit_topics_, self.units_, self.article_ids_)

    def topics_frame(self) -> pd.DataFrame:
        """Return the ``topics`` table: topic, rank, term, weight (share of the topic's weight)."""
        check_is_fitted(self, "components_")
        index = {t: i for i, t in enumerate(self.vocabulary_)}
        phi = self.components_ / np.maximum(self.components_.sum(axis=1, keepdims=True), 1e-300)
        rows = []
        for pos, terms in enumerate(self.top_terms_):
            for rank, term in enumerate(terms, start=1):
                rows.append((int(self.topic_ids_[pos]), rank, term, float(phi[pos, index[term]])))
        return pd.DataFrame(rows, columns=["topic", "rank", "term", "weight"])

    def doc_topics_frame(self, min_weight: float = 0.01) -> pd.DataFrame:
        """Return the ``doc_topics`` table: article_id, topic, weight (weights >= ``min_weight``)."""
        return _doc_topics_rows(
            self.article_topics(), self.article_ids_, self.topic_ids_, min_weight
        )

    def topic_table(self) -> pd.DataFrame:
        """Return one row per topic: topic, label, npmi, uniqueness, size, share, top_terms.

        ``size`` counts articles whose dominant topic it is; ``share`` is the topic's mean weight.
        """
        if getattr(self, "_topic_stats", None) is not None:
            # A streamed fit counted sizes and summed shares partition by partition.
            dominant, share_sum, n_with_terms = self._topic_stats
            share = share_sum / n_with_terms if n_with_terms else 0.0
        else:
            mix = self.article_topics()
            has_terms = mix.sum(axis=1) > 0
            dominant = np.bincount(mix[has_terms].argmax(axis=1), minlength=self.n_topics_)
            share = mix[has_terms].mean(axis=0) if has_terms.any() else 0.0
        return pd.DataFrame(
            {
                "topic": self.topic_ids_.astype(int),
                "label": self.labels_,
                "npmi": self.topic_npmi_,
                "uniqueness": self.topic_uniqueness_,
                "size": dominant,
                "share": share,
                "top_terms": [" ".join(t) for t in self.top_terms_],
                "stability": self.stability_ if self.stability_ is not None else np.nan,
            }
        )

    def metrics(self) -> dict:
        """Return k, npmi, diversity and per-topic values as a JSON-ready dict."""
        table = self.topic_table()
        out = {
            "k": int(self.n_topics_),
            "method": getattr(self, "method_", self.method),
            "unit": self.unit,
            "npmi": _json_float(self.npmi_),
            "diversity": _json_float(self.diversity_),
            "coherence_window": self.coherence_window,
            "n_articles": int(self.n_articles_),
            "n_units": int(self.n_units_),
            "vocabulary_size": int(len(self.vocabulary_)),
            "topics": [
                {
                    "topic": int(r.topic),
                    "label": r.label,
                    "npmi": _json_float(r.npmi),
                    "uniqueness": _json_float(r.uniqueness),
                    "size": int(r.size),
                    "share": _json_float(r.share),
                    "top_terms": r.top_terms.split(" "),
                }
                for r in table.itertuples()
            ],
        }
        if self.k_scores_ is not None:
            out["k_scores"] = [
                {k: _json_float(v) if k != "k" else int(v) for k, v in row.items()}
                for row in self.k_scores_.to_dict("records")
            ]
        return out

    def representative_articles(self, n: int = 3) -> pd.DataFrame:
        """Return the ``n`` articles with the highest weight of each topic: topic, rank, article_id, weight."""
        mix = self.article_topics()
        rows = []
        for pos in range(self.n_topics_):
            order = np.argsort(-mix[:, pos], kind="stable")[:n]
            for rank, i in enumerate(order, start=1):
                if mix[i, pos] > 0:
                    rows.append(
                        (int(self.topic_ids_[pos]), rank, self.article_ids_[i], float(mix[i, pos]))
                    )
        return pd.DataFrame(rows, columns=["topic", "rank", "article_id", "weight"])

    def representative_sentences(self, X, n: int = 3, articles_per_topic: int = 20) -> pd.DataFrame:
        """Return the ``n`` sentences that best express each topic.

        Sentences are taken from the topic's top ``articles_per_topic`` articles of ``X`` (the
        articles the model was fitted on, or others), scored by their own topic mix times the log
        of their number of vocabulary terms, so that short fragments do not win.

        Returns
        -------
        pandas.DataFrame
            topic, rank, article_id, start, end, sentence, score.
        """
        check_is_fitted(self, "components_")
        ids, texts, pre = _as_articles(X)
        if pre is not None or self.tokens == "whitespace":
            raise ValueError("representative sentences need raw texts parsed into sentences")
        docs = term_docs(texts, nlp=self.nlp)
        mix = self.transform(X)
        vocab = set(self.vocabulary_)
        rows = []
        for pos in range(self.n_topics_):
            cands = []
            for i in np.argsort(-mix[:, pos], kind="stable")[:articles_per_topic]:
                if mix[i, pos] <= 0:
                    continue
                td = docs[i]
                sents = [(s, e, td.within(s, e)) for s, e in td.sentences]
                sents = [x for x in sents if any(t in vocab for t in x[2])]
                if not sents:
                    continue
                smix = self._unit_mix([x[2] for x in sents])
                for (s, e, terms), m in zip(sents, smix, strict=True):
                    n_in = sum(t in vocab for t in terms)
                    cands.append((m[pos] * math.log1p(n_in), ids[i], s, e))
            cands.sort(key=lambda c: (-c[0], c[1], c[2]))
            for rank, (score, aid, s, e) in enumerate(cands[:n], start=1):
                text = texts[ids.index(aid)]
                rows.append((int(self.topic_ids_[pos]), rank, aid, s, e, text[s:e].strip(), score))
        return pd.DataFrame(
            rows, columns=["topic", "rank", "article_id", "start", "end", "sentence", "score"]
        )

    # -- stability ---------------------------------------------------------------------------

    def align_to(self, reference: TopicModel, min_similarity: float = 0.1) -> TopicModel:
        """Renumber this model's topics to the ids of the matching topics of ``reference``.

        Topics are matched with :func:`match_topics`; a topic whose best match is below
        ``min_similarity`` (or that has none, when k grew) gets a new id after the reference's
        largest. Sets ``stability_`` to each topic's similarity with its match (0 for new ones).

        Returns
        -------
        TopicModel
            self, renumbered in place.
        """
        matches = match_topics(reference, self)
        next_id = int(np.max(reference.topic_ids_)) + 1
        new_ids = np.empty(self.n_topics_, dtype=int)
        stability = np.zeros(self.n_topics_)
        for pos in range(self.n_topics_):
            row = matches[matches["topic_b"] == int(self.topic_ids_[pos])]
            sim = float(row["similarity"].iloc[0]) if len(row) else 0.0
            if len(row) and pd.notna(row["topic_a"].iloc[0]) and sim >= min_similarity:
                new_ids[pos] = int(row["topic_a"].iloc[0])
                stability[pos] = sim
            else:
                new_ids[pos] = next_id
                next_id += 1
        order = np.argsort(new_ids, kind="stable")
        self.topic_ids_ = new_ids[order]
        self.stability_ = stability[order]
        self.components_ = self.components_[order]
        if self.unit_topics_ is not None:
            self.unit_topics_ = self.unit_topics_[:, order]
        if getattr(self, "_topic_stats", None) is not None:
            dominant, share_sum, n_with_terms = self._topic_stats
            self._topic_stats = (dominant[order], share_sum[order], n_with_terms)
        self._order = self._order[order]
        self.top_terms_ = [self.top_terms_[i] for i in order]
        self.topic_npmi_ = self.topic_npmi_[order]
        self.topic_uniqueness_ = self.topic_uniqueness_[order]
        self.labels_ = [self.labels_[i] for i in order]
        return self


# --------------------------------------------------------------------------------------------
# Streaming helpers
# --------------------------------------------------------------------------------------------


def store_batches(store: str | Path, table: str = "terms"):
    """Return a callable that yields the ``terms`` table of a feature store one part at a time.

    Each call starts a fresh pass over ``store/<table>.parquet/part-*.parquet`` (in part order),
    which is what :meth:`TopicModel.fit_stream` needs; only one part is in memory at a time.

    Parameters
    ----------
    store : path
        A folder written by :func:`analysis.store.extract_corpus`.
    table : str
        The table to read (``"terms"``).

    Returns
    -------
    callable
        ``batches()`` -> iterator of DataFrames (article_id, paragraph, terms, actor).
    """
    folder = Path(store) / f"{table}.parquet"
    parts = sorted(folder.glob("part-*.parquet"))
    if not parts:
        raise FileNotFoundError(f"{folder}: no Parquet parts; run the extract command first")
    columns = ["article_id", "paragraph", "terms", "actor"]

    def batches():
        for part in parts:
            frame = pd.read_parquet(part, columns=columns)
            if len(frame):
                yield frame

    return batches


def _count_pass(model, frames, *, parts: dict[str, list[str]], actors: bool = True):
    """One pass over ``frames``: (units, document frequencies, term frequencies, actor counts)."""
    n_units = 0
    df: Counter = Counter()
    tf: Counter = Counter()
    tagged: Counter = Counter()
    seen: Counter = Counter()
    for frame in frames:
        _, units, _ = model._units(frame)
        n_units += len(units)
        for unit in _split_units(units, parts):
            tf.update(unit)
            df.update(set(unit))
        if actors:
            t, s = model._actor_counts(frame)
            tagged.update(t)
            seen.update(s)
    return n_units, df, tf, tagged, seen


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


def _doc_topics_rows(
    mix: np.ndarray, ids, topic_ids: np.ndarray, min_weight: float
) -> pd.DataFrame:
    """The ``doc_topics`` rows of an article x topic mix: weights >= ``min_weight``."""
    r, c = np.nonzero(mix >= min_weight)
    frame = pd.DataFrame(
        {
            "article_id": np.asarray(ids, dtype=object)[r],
            "topic": np.asarray(topic_ids)[c].astype(int),
            "weight": mix[r, c],
        }
    )
    return frame.sort_values(
        ["article_id", "weight"], ascending=[True, False], kind="stable"
    ).reset_index(drop=True)


def _doc_topics_sink(target):
    """A function that takes each batch's doc_topics rows: ``target`` itself, or a CSV appender."""
    if target is None or callable(target):
        return target
    path = Path(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(columns=["article_id", "topic", "weight"]).to_csv(path, index=False)

    def append(frame: pd.DataFrame) -> None:
        frame.to_csv(path, mode="a", header=False, index=False)

    return append


def _normalise_rows(W: np.ndarray) -> np.ndarray:
    W = np.asarray(W, dtype=np.float64)
    total = W.sum(axis=1, keepdims=True)
    return np.divide(W, total, out=np.zeros_like(W), where=total > 0)


def _article_mix(mix: np.ndarray, table: pd.DataFrame, ids: list[str]) -> np.ndarray:
    """Term-weighted mean of unit mixes per article, rows in ``ids`` order."""
    weights = table["n_terms"].to_numpy(dtype=np.float64) * (mix.sum(axis=1) > 0)
    pos = {a: i for i, a in enumerate(ids)}
    rows = table["article_id"].map(pos).to_numpy()
    agg = sp.csr_matrix((weights, (rows, np.arange(len(table)))), shape=(len(ids), len(table)))
    return _normalise_rows(agg @ mix)


def _json_float(value) -> float | None:
    value = float(value)
    return None if math.isnan(value) else round(value, 6)


def topic_label(
    terms: Sequence[str], actors: frozenset[str] = frozenset(), n_actors: int = 2, n_terms: int = 3
) -> str:
    """Return a short label from a topic's top terms: its leading actors, then its leading terms.

    Examples
    --------
    >>> topic_label(["army", "north_waziristan", "militant", "haqqani"], frozenset({"north_waziristan", "haqqani"}))
    'North Waziristan, Haqqani: army, militant'
    """
    who = [t for t in terms if t in actors][:n_actors]
    what = [t for t in terms if t not in actors][:n_terms]
    head = ", ".join(w.replace("_", " ").title() for w in who)
    tail = ", ".join(w.replace("_", " ") for w in what)
    return f"{head}: {tail}" if head and tail else head or tail


# --------------------------------------------------------------------------------------------
# Matching topics across runs and slices
# --------------------------------------------------------------------------------------------


def match_topics(model_a: TopicModel, model_b: TopicModel) -> pd.DataFrame:
    """Match the topics of two fitted models one-to-one (Hungarian matching on term vectors).

    Each topic is its term-weight vector (normalised to unit length) over the union of both
    vocabularies; similarity is the cosine; ``scipy.optimize.linear_sum_assignment`` finds the
    matching of largest total similarity.

    Returns
    -------
    pandas.DataFrame
        topic_a, topic_b, similarity: one row per topic of either model; a topic without a
        partner (the models have different k) has the other side missing and similarity 0.
        The similarity of a matched pair is that topic's stability score.
    """
    from scipy.optimize import linear_sum_assignment

    vocab = sorted(set(model_a.vocabulary_) | set(model_b.vocabulary_))
    index = {t: i for i, t in enumerate(vocab)}

    def vectors(model):
        cols = np.array([index[t] for t in model.vocabulary_])
        out = np.zeros((model.n_topics_, len(vocab)))
        out[:, cols] = model.components_
        norm = np.linalg.norm(out, axis=1, keepdims=True)
        return np.divide(out, norm, out=np.zeros_like(out), where=norm > 0)

    sim = vectors(model_a) @ vectors(model_b).T
    rows_a, rows_b = linear_sum_assignment(-sim)
    out = [
        (int(model_a.topic_ids_[i]), int(model_b.topic_ids_[j]), float(sim[i, j]))
        for i, j in zip(rows_a, rows_b, strict=True)
    ]
    out += [(int(model_a.topic_ids_[i]), None, 0.0) for i in set(range(len(sim))) - set(rows_a)]
    out += [(None, int(model_b.topic_ids_[j]), 0.0) for j in set(range(sim.shape[1])) - set(rows_b)]
    frame = pd.DataFrame(out, columns=["topic_a", "topic_b", "similarity"])
    frame["topic_a"] = frame["topic_a"].astype("Int64")
    frame["topic_b"] = frame["topic_b"].astype("Int64")
    return frame.sort_values(["topic_a", "topic_b"], na_position="last", kind="stable").reset_index(
        drop=True
    )


def fit_slices(
    articles: pd.DataFrame,
    *,
    by: str = "published",
    freq: str = "Y",
    reference: TopicModel | None = None,
    min_similarity: float = 0.1,
    **params,
) -> dict[str, TopicModel]:
    """Fit one topic model per time slice (or group) with topic ids kept stable across slices.

    Each slice's model is aligned (:meth:`TopicModel.align_to`) to the previous slice's, or to
    ``reference`` for every slice when given (e.g. a model of the whole corpus), so topic 3 is
    the same topic in every slice and ``stability_`` tells how closely it matched.

    Parameters
    ----------
    articles : pandas.DataFrame
        Articles with ``text`` (or pre-tokenised text with ``tokens="whitespace"``) and ``by``.
    by : str
        ``"published"`` (grouped into periods of ``freq``) or any metadata column.
    freq : str
        Period of a date column: ``"M"``, ``"Q"``, ``"Y"``...
    reference : TopicModel, optional
        Align every slice to this model instead of to the previous slice.
    min_similarity : float
        Below this cosine similarity a topic is new and gets a new id.
    **params
        Passed to :class:`TopicModel`.

    Returns
    -------
    dict of str to TopicModel
        Fitted models by slice name, in slice order; slices without articles are left out.
    """
    if by not in articles.columns:
        raise ValueError(f"no column {by!r} in articles; columns are {list(articles.columns)}")
    if by == "published" or pd.api.types.is_datetime64_any_dtype(articles[by]):
        dates = pd.to_datetime(articles[by], errors="coerce")
        keys = dates.dt.to_period(freq).astype(str).where(dates.notna())
    else:
        keys = articles[by]
    models: dict[str, TopicModel] = {}
    previous = reference
    for key in sorted(keys.dropna().unique(), key=str):
        model = TopicModel(**params).fit(articles[keys == key])
        if previous is not None:
            model.align_to(previous, min_similarity=min_similarity)
        models[str(key)] = model
        previous = reference or model
    return models


# --------------------------------------------------------------------------------------------
# Comparison: prevalence, keyness, keyword in context, collocations
# --------------------------------------------------------------------------------------------


def prevalence(
    model: TopicModel, articles: pd.DataFrame, by: str = "published", freq: str = "M"
) -> pd.DataFrame:
    """Return each topic's share of articles per period or per group.

    Parameters
    ----------
    model : TopicModel
        Fitted on ``articles`` (rows are joined by ``article_id``).
    articles : pandas.DataFrame
        The articles table with ``article_id`` and the ``by`` column.
    by : str
        ``"published"`` (dates grouped into periods of ``freq``) or any metadata column.
    freq : str
        Period of a date column: ``"D"``, ``"W"``, ``"M"``, ``"Q"`` or ``"Y"``.

    Returns
    -------
    pandas.DataFrame
        group, topic, label, share (mean topic weight of the group's articles), n_articles.
        Articles without a value of ``by`` are left out.
    """
    if by not in articles.columns:
        raise ValueError(f"no column {by!r} in articles; columns are {list(articles.columns)}")
    mix = pd.DataFrame(model.article_topics(), columns=model.topic_ids_.astype(int))
    mix["article_id"] = model.article_ids_
    keys = articles[["article_id", by]].copy()
    keys["article_id"] = keys["article_id"].astype(str)
    if by == "published" or pd.api.types.is_datetime64_any_dtype(keys[by]):
        dates = pd.to_datetime(keys[by], errors="coerce")
        keys["group"] = dates.dt.to_period(freq).astype(str).where(dates.notna())
    else:
        keys["group"] = keys[by]
    joined = mix.merge(keys[["article_id", "group"]], on="article_id").dropna(subset=["group"])
    if joined.empty:
        return pd.DataFrame(columns=["group", "topic", "label", "share", "n_articles"])
    sizes = joined.groupby("group").size()
    shares = joined.drop(columns="article_id").groupby("group").mean()
    long = shares.stack().rename("share").reset_index().rename(columns={"level_1": "topic"})
    long.columns = ["group", "topic", "share"]
    labels = dict(zip(model.topic_ids_.astype(int), model.labels_, strict=True))
    long["label"] = long["topic"].map(labels)
    long["n_articles"] = long["group"].map(sizes).astype(int)
    return (
        long[["group", "topic", "label", "share", "n_articles"]]
        .sort_values(["group", "topic"], kind="stable")
        .reset_index(drop=True)
    )


def _term_lists(docs, tokens: str | None = None, nlp=None) -> list[list[str]]:
    _, texts, pre = _as_articles(docs)
    if pre is not None:
        return pre
    return [list(td.terms) for td in term_docs(texts, tokens=tokens, nlp=nlp)]


def _g2(k11, k12, k21, k22):
    """Dunning's log-likelihood G2 of 2x2 tables given as arrays of cell counts."""
    table = np.stack([k11, k12, k21, k22]).astype(np.float64)
    n = table.sum(axis=0)
    rows = np.stack([k11 + k12, k11 + k12, k21 + k22, k21 + k22]).astype(np.float64)
    cols = np.stack([k11 + k21, k12 + k22, k11 + k21, k12 + k22]).astype(np.float64)
    expected = rows * cols / np.maximum(n, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(table > 0, table * np.log(table / expected), 0.0)
    return 2 * terms.sum(axis=0)


def keyness(
    target,
    reference,
    *,
    min_count: int = 3,
    tokens: str | None = None,
    nlp=None,
) -> pd.DataFrame:
    """Return the terms over- and under-used in ``target`` compared with ``reference``.

    Parameters
    ----------
    target, reference : DataFrame with ``text``, texts, TermDocs or term lists
        The two groups (or periods) of articles.
    min_count : int
        Leave out terms seen fewer times than this in both groups together.
    tokens : {None, "whitespace"}
        How texts are turned into terms (see :class:`TopicModel`).

    Returns
    -------
    pandas.DataFrame
        term, count_target, count_reference, per_10k_target, per_10k_reference,
        log_likelihood (Rayson and Garside's keyness G2), chi2 (Pearson on the 2x2 table, no
        continuity correction), p_value (of G2, 1 d.f.),
        log_ratio (log2 of the relative frequencies, 0.5 added to zero counts) and
        ``key_for`` ("target" or "reference"), sorted by log_likelihood.
    """
    from scipy.stats import chi2 as chi2_dist

    a = Counter(t for doc in _term_lists(target, tokens, nlp) for t in doc)
    b = Counter(t for doc in _term_lists(reference, tokens, nlp) for t in doc)
    terms = sorted(t for t in set(a) | set(b) if a[t] + b[t] >= min_count)
    total_a, total_b = sum(a.values()), sum(b.values())
    ca = np.array([a[t] for t in terms], dtype=np.float64)
    cb = np.array([b[t] for t in terms], dtype=np.float64)
    n = total_a + total_b
    # Rayson & Garside's (2000) keyness log-likelihood: observed vs expected of the term's
    # two cells, the figure corpus tools (WordSmith, AntConc, Wmatrix) report.
    expected_a = total_a * (ca + cb) / max(n, 1)
    expected_b = total_b * (ca + cb) / max(n, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        g2 = 2 * (
            np.where(ca > 0, ca * np.log(ca / expected_a), 0.0)
            + np.where(cb > 0, cb * np.log(cb / expected_b), 0.0)
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        num = n * (ca * (total_b - cb) - cb * (total_a - ca)) ** 2
        den = (ca + cb) * (n - ca - cb) * total_a * total_b
        chi2 = np.where(den > 0, num / den, 0.0)
    rel_a = np.where(ca > 0, ca, 0.5) / max(total_a, 1)
    rel_b = np.where(cb > 0, cb, 0.5) / max(total_b, 1)
    frame = pd.DataFrame(
        {
            "term": terms,
            "count_target": ca.astype(int),
            "count_reference": cb.astype(int),
            "per_10k_target": 1e4 * ca / max(total_a, 1),
            "per_10k_reference": 1e4 * cb / max(total_b, 1),
            "log_likelihood": g2,
            "chi2": chi2,
            "p_value": chi2_dist.sf(g2, 1),
            "log_ratio": np.log2(rel_a / rel_b),
        }
    )
    frame["key_for"] = np.where(frame["log_ratio"] >= 0, "target", "reference")
    return frame.sort_values(
        ["log_likelihood", "term"], ascending=[False, True], kind="stable"
    ).reset_index(drop=True)


def group_keyness(
    articles: pd.DataFrame, column: str, target, reference=None, **options
) -> pd.DataFrame:
    """Return :func:`keyness` of articles whose ``column`` equals ``target`` against the others.

    ``reference`` names the comparison value (default: every other article). For
    ``column="published"`` values are compared as strings, so a year or month prefix
    (``"2011"``, ``"2011-09"``) selects a period.
    """
    if column not in articles.columns:
        raise ValueError(f"no column {column!r} in articles; columns are {list(articles.columns)}")
    values = articles[column].astype(str)
    in_target = (
        values.str.startswith(str(target)) if column == "published" else values == str(target)
    )
    if reference is None:
        in_reference = ~in_target & articles[column].notna()
    elif column == "published":
        in_reference = values.str.startswith(str(reference))
    else:
        in_reference = values == str(reference)
    return keyness(articles[in_target], articles[in_reference], **options)


def kwic(articles, term: str, *, width: int = 40, limit: int | None = None) -> pd.DataFrame:
    """Return keyword-in-context lines for ``term`` (a word, phrase or joined term like "prime_minister").

    Matching ignores case, treats "_", spaces and hyphens alike, and accepts a plural or
    possessive ending ("attack" finds "attacks" and "attack's").

    Returns
    -------
    pandas.DataFrame
        article_id, start, end, left, keyword, right (offsets into the article text).
    """
    ids, texts, pre = _as_articles(articles)
    if texts is None:
        raise ValueError("keyword in context needs texts")
    words = [re.escape(w) for w in re.split(r"[\s_\-]+", term.strip()) if w]
    if not words:
        raise ValueError("term is empty")
    pattern = re.compile(
        r"(?<!\w)" + r"[\s\-]+".join(words) + r"(?:s|es|['\u2019]s)?(?!\w)", re.IGNORECASE
    )
    rows = []
    for aid, text in zip(ids, texts, strict=True):
        for m in pattern.finditer(text):
            left = " ".join(text[max(0, m.start() - width) : m.start()].split())
            right = " ".join(text[m.end() : m.end() + width].split())
            rows.append((aid, m.start(), m.end(), left, m.group(0), right))
            if limit is not None and len(rows) >= limit:
                break
        if limit is not None and len(rows) >= limit:
            break
    return pd.DataFrame(rows, columns=["article_id", "start", "end", "left", "keyword", "right"])


def collocations(
    docs,
    term: str | None = None,
    *,
    window: int = 5,
    min_count: int = 3,
    top: int | None = 30,
    tokens: str | None = None,
    nlp=None,
) -> pd.DataFrame:
    """Return collocations: adjacent term pairs, or the collocates of one ``term``.

    Without ``term``, every pair of terms adjacent in an article's term sequence is scored;
    with ``term``, every term within ``window`` positions of it. Scores are Dunning's
    log-likelihood (G2) and pointwise mutual information (log2).

    Returns
    -------
    pandas.DataFrame
        first, second, count, log_likelihood, pmi; sorted by log_likelihood.
    """
    seqs = _term_lists(docs, tokens, nlp)
    freq = Counter(t for s in seqs for t in s)
    n = sum(freq.values())
    pairs: Counter = Counter()
    if term is None:
        for s in seqs:
            pairs.update(zip(s, s[1:], strict=False))
        span_of = None
    else:
        span = 0
        for s in seqs:
            for i, t in enumerate(s):
                if t != term:
                    continue
                ctx = s[max(0, i - window) : i] + s[i + 1 : i + 1 + window]
                span += len(ctx)
                pairs.update((term, c) for c in ctx if c != term)
        span_of = span
    items = [(p, c) for p, c in pairs.items() if c >= min_count]
    cols = ["first", "second", "count", "log_likelihood", "pmi"]
    if not items or n == 0:
        return pd.DataFrame(columns=cols)
    k11 = np.array([c for _, c in items], dtype=np.float64)
    f1 = np.array([freq[p[0]] if span_of is None else span_of for p, _ in items], dtype=np.float64)
    f2 = np.array([freq[p[1]] for p, _ in items], dtype=np.float64)
    total = float(max(n - len(seqs), 1)) if span_of is None else float(n)
    k12 = np.maximum(f1 - k11, 0)
    k21 = np.maximum(f2 - k11, 0)
    k22 = np.maximum(total - k11 - k12 - k21, 0)
    frame = pd.DataFrame(
        {
            "first": [p[0] for p, _ in items],
            "second": [p[1] for p, _ in items],
            "count": k11.astype(int),
            "log_likelihood": _g2(k11, k12, k21, k22),
            "pmi": np.log2(k11 * total / (f1 * f2)),
        }
    )
    frame = frame.sort_values(
        ["log_likelihood", "first", "second"], ascending=[False, True, True], kind="stable"
    )
    return (frame.head(top) if top else frame).reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


def write_outputs(
    model: TopicModel, out_dir: str | Path, *, doc_topics: bool = True
) -> dict[str, Path]:
    """Write ``topics.csv``, ``doc_topics.csv`` and ``metrics.json`` of a fitted model into ``out_dir``.

    With ``doc_topics=False`` the doc_topics file is left as it is (a streamed fit wrote it).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "topics": out / "topics.csv",
        "doc_topics": out / "doc_topics.csv",
        "metrics": out / "metrics.json",
    }
    model.topics_frame().to_csv(paths["topics"], index=False)
    if doc_topics:
        model.doc_topics_frame().to_csv(paths["doc_topics"], index=False)
    paths["metrics"].write_text(json.dumps(model.metrics(), indent=2, ensure_ascii=False) + "\n")
    return paths


def _k_arg(value: str):
    import argparse

    if value == "auto":
        return "auto"
    try:
        k = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--k must be a positive integer or 'auto', got {value!r}"
        ) from None
    if k < 1:
        raise argparse.ArgumentTypeError(f"--k must be a positive integer or 'auto', got {value!r}")
    return k


def register(subparsers) -> None:
    """Add the ``topics`` sub-command to the CLI."""
    p = subparsers.add_parser(
        "topics",
        help="fit a topic model; write topics.csv, doc_topics.csv, metrics.json",
        description="Fit topics (NMF by default) to a corpus and write topics.csv "
        "(topic, rank, term, weight), doc_topics.csv (article_id, topic, weight) and "
        "metrics.json (k, npmi, diversity, per-topic values).",
    )
    p.add_argument(
        "paths", nargs="*", metavar="PATH", help="corpus files or folders (or use --store)"
    )
    p.add_argument("-o", "--out", required=True, metavar="DIR", help="output folder")
    p.add_argument("--k", type=_k_arg, default=8, help="number of topics or 'auto' (default 8)")
    p.add_argument("--method", choices=METHODS, default="nmf", help="factorisation (default nmf)")
    p.add_argument(
        "--unit", choices=UNITS, default="article", help="document unit (default article)"
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument(
        "--tokens",
        choices=["whitespace"],
        default=None,
        help="input text is already tokenised: split on whitespace and use tokens as they are",
    )
    scale = p.add_argument_group("large corpora (bounded memory)")
    scale.add_argument(
        "--stream",
        action="store_true",
        help="read the corpus in batches: terms through the feature store (cached per article), "
        "MiniBatchNMF (or online LDA with --method lda) fitted by partial_fit, doc_topics.csv "
        "appended batch by batch",
    )
    scale.add_argument(
        "--store",
        metavar="DIR",
        help="feature store folder (implies --stream): with PATHs the terms table is extracted "
        "into it; without PATHs its existing terms table is read",
    )
    scale.add_argument(
        "--part-size",
        type=int,
        default=1000,
        help="articles per batch (per Parquet part of the store; default 1000)",
    )
    scale.add_argument(
        "--epochs",
        type=int,
        default=STREAM_EPOCHS,
        help=f"partial_fit passes over the corpus (default {STREAM_EPOCHS})",
    )
    scale.add_argument(
        "--workers", type=int, default=None, help="extraction processes (default: all cores)"
    )
    p.set_defaults(func=_run)


def _model_from_args(args) -> TopicModel:
    """The TopicModel the ``topics`` command's options describe (in-memory and streaming alike)."""
    return TopicModel(
        n_topics=args.k,
        method=args.method,
        unit=args.unit,
        random_state=args.seed,
        tokens=args.tokens,
        verbose=True,
    )


def _run(args) -> int:
    from analysis.cli import CLIError
    from analysis.corpus import load_or_fail

    if not args.paths and not args.store:
        raise CLIError("topics: give corpus PATHs or --store DIR")
    if args.stream or args.store:
        return _run_stream(args)
    articles, _ = load_or_fail(args.paths)
    print(f"topics: {len(articles)} articles, k={args.k}, method={args.method}", file=sys.stderr)
    model = _model_from_args(args)
    try:
        model.fit(articles)
    except ValueError as exc:
        raise CLIError(f"{', '.join(map(str, args.paths))}: {exc}") from exc
    try:
        paths = write_outputs(model, args.out)
    except OSError as exc:
        raise CLIError(f"{args.out}: {exc}") from exc
    print(
        f"topics: k={model.n_topics_} npmi={model.npmi_:.3f} diversity={model.diversity_:.3f} "
        f"-> {paths['metrics'].parent}",
        file=sys.stderr,
    )
    return 0


def _whitespace_batches(paths, part_size: int, rejects: list[dict]):
    """Batches of articles (article_id, text) read straight from the files, for pre-tokenised input."""
    from analysis.corpus import iter_corpus

    def batches():
        rejects.clear()
        rows: list[dict] = []
        for art in iter_corpus(paths, rejects=rejects):
            rows.append({"article_id": art["article_id"], "text": art["text"] or ""})
            if len(rows) >= part_size:
                yield pd.DataFrame(rows)
                rows = []
        if rows:
            yield pd.DataFrame(rows)

    return batches


def _run_stream(args) -> int:
    """``topics --stream``: extract terms through the feature store and fit batch by batch."""
    import tempfile

    from analysis.cli import CLIError
    from analysis.corpus import iter_corpus, report_rejects
    from analysis.store import DEFAULT_CHUNK_SIZE, extract_corpus

    if args.part_size < 1 or args.epochs < 1:
        raise CLIError(f"{args.out}: --part-size and --epochs must be at least 1")
    out = Path(args.out)
    rejects: list[dict] = []
    where = ", ".join(map(str, args.paths)) or str(args.store)
    with tempfile.TemporaryDirectory(prefix="topics-store-") as scratch:
        try:
            if args.tokens == "whitespace":
                if not args.paths:
                    raise CLIError(f"{args.store}: --tokens whitespace reads PATHs, not a store")
                batches = _whitespace_batches(args.paths, args.part_size, rejects)
            else:
                store = Path(args.store) if args.store else Path(scratch) / "store"
                if args.paths:
                    summary = extract_corpus(
                        iter_corpus(args.paths, rejects=rejects),
                        store,
                        rejects=rejects,
                        workers=args.workers,
                        tables=("terms",),
                        # Parts are cut at chunk ends: a chunk must not exceed a part.
                        chunk_size=min(DEFAULT_CHUNK_SIZE, args.part_size),
                        part_size=args.part_size,
                    )
                    print(
                        f"topics: {summary.articles} articles ({summary.parsed} parsed, "
                        f"{summary.cached} from cache) -> {store}",
                        file=sys.stderr,
                    )
                batches = store_batches(store)
            model = _model_from_args(args)
            out.mkdir(parents=True, exist_ok=True)
            model.fit_stream(batches, epochs=args.epochs, doc_topics=out / "doc_topics.csv")
        except (ValueError, FileNotFoundError) as exc:
            report_rejects(pd.DataFrame(rejects, columns=["source", "reason"]))
            raise CLIError(f"{where}: {exc}") from exc
        except OSError as exc:
            raise CLIError(f"{args.out}: {exc}") from exc
    report_rejects(pd.DataFrame(rejects, columns=["source", "reason"]))
    try:
        paths = write_outputs(model, out, doc_topics=False)
    except OSError as exc:
        raise CLIError(f"{args.out}: {exc}") from exc
    print(
        f"topics: k={model.n_topics_} npmi={model.npmi_:.3f} diversity={model.diversity_:.3f} "
        f"({model.n_articles_} articles, streamed) -> {paths['metrics'].parent}",
        file=sys.stderr,
    )
    return 0
