"""The topic model: a scikit-learn estimator over news terms whose vectorizer and factorisation are stages."""

from __future__ import annotations

import math
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.utils.validation import check_is_fitted

from analysis.terms import _stopwords, term_docs
from analysis.topics import stream
from analysis.topics.coherence import best_k, diversity, npmi, term_scores, term_uniqueness
from analysis.topics.estimators import (
    method_estimator,
    one_blas_thread,
    stream_estimator,
    streamed_method,
)
from analysis.topics.labels import count_surface_forms, display_forms, topic_label
from analysis.topics.params import DEFAULT_K_GRID, METHODS, STREAM_BATCH_UNITS, STREAM_EPOCHS, UNITS
from analysis.topics.stopwords import StopWords, as_stop_words
from analysis.topics.units import (
    _article_mix,
    _normalise_rows,
    actor_counts,
    actor_set,
    as_articles,
    make_units,
)
from analysis.topics.vectorizer import (
    TermVectorizer,
    _phrase_min_count,
    _split_rare_phrases,
    _split_unknown_phrases,
)


class _Run(NamedTuple):
    """One k of the scan: the fitted factorisation, its ranked terms and their NPMI."""

    estimator: object
    top_terms: list[list[str]]
    scores: np.ndarray
    mix: np.ndarray | None = None  # unit x topic weights, when the fit kept them in memory


class TopicModel(TransformerMixin, BaseEstimator):
    """Topics of a news corpus: NMF (default), LDA or MiniBatchNMF on lemma, entity and phrase terms.

    Two stages, each swappable as an object: a ``vectorizer`` turns each unit's terms into a row
    of a document-term matrix, an ``estimator`` factorises it into topics. Left as ``None`` they
    are :class:`TermVectorizer` (with ``min_df``, ``max_df``, ``max_features``; sublinear tf-idf,
    counts for LDA) and the factorisation ``method`` names.

    Parameters
    ----------
    n_topics : int or "auto"
        Number of topics; ``"auto"`` fits every k of ``k_grid`` up to sqrt(number of units)
        (2..sqrt(units) when fewer than three grid values fit) and keeps the one with the best
        mean NPMI x diversity (the curve is in ``k_scores_``). The default grid tries every k
        from 2 to 10, then 15 and 20: 81 articles try 2..9.
    method : {"nmf", "lda", "minibatch_nmf"}
        NMF on sublinear tf-idf, LDA on counts, or MiniBatchNMF for corpora too big for NMF; a
        shortcut for ``estimator`` (and, for LDA, for the default vectorizer's weighting).
    unit : {"article", "paragraph"}
        What a document is; ``"paragraph"`` gives topics over the paragraphs of even one article.
    random_state : int
        Seed of the factorisation; the same seed gives identical topics.
    vectorizer : scikit-learn vectorizer, optional
        Takes a list of term lists to a matrix (``fit_transform``, ``transform``) and names its
        columns (``get_feature_names_out``), e.g. ``TfidfVectorizer(analyzer=list)``; cloned at
        fit. Its ``min_df`` also decides which joined phrases are rare enough to be split into
        their words. Default: :class:`TermVectorizer`.
    estimator : scikit-learn factorisation or callable, optional
        An unfitted estimator with ``n_components`` and ``components_`` (cloned, and
        ``n_components`` set, for each k), or a function of k returning one. It takes its own
        seed. :meth:`fit_stream` needs ``partial_fit``. Default: the one ``method`` names.
    tokens : {None, "whitespace"}
        ``None`` parses texts with spaCy into terms; ``"whitespace"`` takes them as tokenised.
    min_df, max_df : int, float or "auto"
        Vocabulary limits of the default vectorizer (see :class:`TermVectorizer`).
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
    stop_words : path, list of str, StopWords or None
        Words and phrases kept out of the vocabulary, after term extraction: a stop-word file
        or a list, entries matched as :func:`analysis.topics.read_stop_words` says.

    Attributes
    ----------
    n_topics_ : int
        Number of topics fitted.
    topic_ids_ : numpy.ndarray
        Public id of each topic (positions unless :meth:`align_to` renumbered them).
    vectorizer_, estimator_ :
        The fitted stages (the estimator of the chosen k).
    method_ : str
        The factorisation fitted (``"minibatch_nmf"`` for NMF streamed; the class name of a
        custom estimator).
    vocabulary_ : numpy.ndarray
        Terms of the columns of ``components_``.
    tfidf_ : sklearn.feature_extraction.text.TfidfTransformer or None
        The idf of the vocabulary (the vectorizer's, when it has one).
    components_ : numpy.ndarray
        Topic x term weights of the factorisation.
    top_terms_ : list of list of str
        Each topic's ``top_n`` terms, best first.
    topic_npmi_, topic_uniqueness_ : numpy.ndarray
        Per-topic NPMI coherence on the corpus and share of terms not shared with other topics.
    npmi_, diversity_ : float
        Mean NPMI and topic diversity.
    actors_ : frozenset of str
        Terms that name people, organisations, places or groups.
    labels_ : list of str
        A short label per topic from its top actors and terms, as the text writes them.
    term_forms_ : dict of str to str
        How to show each top term: the canonical name of a merged actor ("United States"),
        else its most frequent surface form in the texts that spells the term ("GATT"), else the
        term with spaces (title-cased for an actor). Terms themselves stay lower-case keys.
    unit_topics_ : numpy.ndarray or None
        Topic mix of each unit (rows sum to 1, or 0 for a unit without vocabulary terms);
        ``None`` after :meth:`fit_stream`.
    units_ : pandas.DataFrame or None
        One row per unit: article_id, unit, start, end, n_terms.
    article_ids_ : list of str or None
        Article ids in input order.
    n_units_, n_articles_ : int
        Units and articles fitted on.
    k_scores_ : pandas.DataFrame or None
        For ``n_topics="auto"``: k, npmi, diversity, quality per k tried.
    stability_ : numpy.ndarray or None
        After :meth:`align_to`: each topic's similarity with its match in the reference.
    stop_words_ : StopWords
        The stop terms applied and the files they were read from (in :meth:`metrics`).
    """

    def __init__(
        self,
        n_topics: int | str = 8,
        method: str = "nmf",
        unit: str = "article",
        random_state: int = 0,
        *,
        vectorizer=None,
        estimator=None,
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
        stop_words=None,
    ):
        self.n_topics = n_topics
        self.method = method
        self.unit = unit
        self.random_state = random_state
        self.vectorizer = vectorizer
        self.estimator = estimator
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
        self.stop_words = stop_words

    # -- stages ------------------------------------------------------------------------------

    def _check_params(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {self.method!r}")
        if self.unit not in UNITS:
            raise ValueError(f"unit must be one of {UNITS}, got {self.unit!r}")
        if self.n_topics != "auto" and (not isinstance(self.n_topics, int) or self.n_topics < 1):
            raise ValueError(f"n_topics must be a positive int or 'auto', got {self.n_topics!r}")
        vec = self.vectorizer
        needed = ("fit_transform", "transform", "get_feature_names_out")
        if vec is not None and not all(hasattr(vec, m) for m in needed):
            raise TypeError(
                f"vectorizer must have {', '.join(needed)} (a scikit-learn vectorizer), "
                f"got {type(vec).__name__}"
            )
        est = self.estimator
        if est is None or callable(est):
            return
        if not hasattr(est, "get_params") or "n_components" not in est.get_params():
            raise TypeError(
                "estimator must be a scikit-learn factorisation with n_components (NMF, "
                f"LatentDirichletAllocation...) or a function of k, got {type(est).__name__}"
            )

    def _make_vectorizer(self):
        """A fresh, unfitted vectorizer: a clone of ``vectorizer`` or the default one."""
        if self.vectorizer is not None:
            # A vectorizer without get_params is deep-copied: the caller's object stays unfitted.
            return clone(self.vectorizer, safe=False)
        return TermVectorizer(
            min_df=self.min_df,
            max_df=self.max_df,
            max_features=self.max_features,
            weighting="count" if self.method == "lda" else "tfidf",
        )

    def _custom_estimator(self, k: int):
        if hasattr(self.estimator, "get_params"):
            return clone(self.estimator).set_params(n_components=k)
        return self.estimator(k)

    def _make_estimator(self, k: int):
        if self.estimator is not None:
            return self._custom_estimator(k)
        return method_estimator(
            self.method, k, max_iter=self.max_iter, random_state=self.random_state
        )

    def _make_stream_estimator(self, k: int, n_units: int, first_rows: int, batch_units: int):
        if self.estimator is None:
            return stream_estimator(
                self.method,
                k,
                n_units=n_units,
                first_rows=first_rows,
                batch_units=batch_units,
                random_state=self.random_state,
            )
        est = self._custom_estimator(k)
        if not hasattr(est, "partial_fit"):
            raise TypeError(
                f"fit_stream needs an estimator with partial_fit; {type(est).__name__} has none"
            )
        return est

    def _method_name(self, estimator, streamed: bool) -> str:
        if self.estimator is not None:
            return type(estimator).__name__
        return streamed_method(self.method) if streamed else self.method

    # -- units and terms ---------------------------------------------------------------------

    def _split_stopwords(self) -> frozenset[str]:
        """Words dropped when a joined phrase is split: spaCy's stop words and the user's."""
        return _stopwords("en") | getattr(self, "stop_words_", StopWords()).terms

    def _units(self, X):
        """Return (article ids, unit term lists without the user's stop terms, units table)."""
        return make_units(
            X,
            unit=self.unit,
            tokens=self.tokens,
            nlp=self.nlp,
            batch_size=self.batch_size,
            n_process=self.n_process,
            stop=getattr(self, "stop_words_", StopWords()).terms,
        )

    def _actor_counts(self, X):
        """Return (times tagged as an actor, times seen) per term of ``X``."""
        return actor_counts(X, tokens=self.tokens, nlp=self.nlp)

    def _surface_counts(self, X, terms: set[str]) -> dict | None:
        """How the texts of ``X`` write ``terms`` (None without texts or for tokens as they are)."""
        _, texts, pre = as_articles(X)
        if pre is not None or self.tokens == "whitespace":
            return None
        # The terms were extracted to fit: this reads them from the cache, it parses nothing.
        return count_surface_forms(texts, term_docs(texts, nlp=self.nlp), terms)

    def _rank_terms(self, components: np.ndarray, vocabulary) -> list[list[str]]:
        score = term_scores(components, self.exclusivity)[1]
        out = []
        for row, weights in zip(score, components, strict=True):
            order = np.argsort(-row, kind="stable")
            # A term under 1 % of the topic's largest weight is residue, not a topic term:
            # MiniBatchNMF leaves ~1e-3 of it where NMF reaches exact zeros (on BBC at k = 50
            # every real top-10 term is above 10 %).
            order = order[weights[order] > 0.01 * weights.max()][: self.top_n]
            out.append([str(vocabulary[i]) for i in order])
        return out

    def _coherence_sample(self, units: list[list[str]]) -> list[list[str]]:
        if self.coherence_units is None or len(units) <= self.coherence_units:
            return units
        rng = np.random.default_rng(self.random_state)
        keep = np.sort(rng.choice(len(units), size=self.coherence_units, replace=False))
        return [units[i] for i in keep]

    # -- fitting -----------------------------------------------------------------------------

    @one_blas_thread
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
        self.stop_words_ = as_stop_words(self.stop_words)
        ids, units, table = self._units(X)
        if not units:
            raise ValueError("no articles to fit topics on")
        vec = self._make_vectorizer()
        if self.tokens != "whitespace":
            units = _split_rare_phrases(
                units, _phrase_min_count(vec, len(units)), self._split_stopwords()
            )
        matrix = vec.fit_transform(units)
        vocabulary = vec.get_feature_names_out()
        sample = self._coherence_sample(units)

        def fit_grid(grid: list[int]) -> Iterator[tuple]:
            for k in grid:
                with warnings.catch_warnings():
                    # Convergence warnings on tiny corpora are expected and harmless here.
                    warnings.simplefilter("ignore")
                    est = self._make_estimator(k)
                    W = est.fit_transform(matrix)
                top = self._rank_terms(est.components_, vocabulary)
                yield k, est, top, npmi(top, sample, window=self.coherence_window), W

        # stacklevel 4: a warning names the caller's line, past one_blas_thread's wrapper.
        run, k_scores = self._fit_core(len(units), max(1, min(matrix.shape)), fit_grid, 4)
        # Order topics by prevalence so topic 0 is the largest; ties keep factorisation order.
        mix = _normalise_rows(run.mix)
        order = np.argsort(-mix.sum(axis=0), kind="stable")
        return self._set_fitted(
            run,
            order,
            vectorizer=vec,
            k_scores=k_scores,
            method=self._method_name(run.estimator, streamed=False),
            actors=actor_set(*self._actor_counts(X)),
            surface_counts=self._surface_counts(X, {t for top in run.top_terms for t in top}),
            unit_topics=mix[:, order],
            units=table,
            article_ids=ids,
            n_units=len(table),
            n_articles=len(ids),
            topic_stats=None,
        )

    def _fit_core(
        self,
        n_units: int,
        limit: int,
        fit_grid: Callable[[list[int]], Iterator[tuple]],
        stacklevel: int = 3,
    ) -> tuple[_Run, pd.DataFrame | None]:
        """The k scan shared by :meth:`fit` and :meth:`fit_stream`: (best run, k_scores or None).

        ``fit_grid(grid)`` yields ``(k, estimator, top_terms, npmi_scores, unit_mix or None)``
        for each k of the grid, in order; ``limit`` is the most topics the matrix supports (its
        smaller dimension).
        """
        if self.n_topics == "auto":
            # NPMI of a topic made of one or two units is trivially high, so on a small corpus
            # the scan stops at sqrt(units) topics; below three grid values it tries 2..cap.
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
                    stacklevel=stacklevel,
                )
        runs, rows = {}, []
        for k, *fitted in fit_grid(grid):
            run = runs[k] = _Run(*fitted)
            scores = run.scores
            mean_npmi = float(np.nanmean(scores)) if np.isfinite(scores).any() else np.nan
            div = diversity(run.top_terms)
            rows.append({"k": k, "npmi": mean_npmi, "diversity": div, "quality": mean_npmi * div})
            if self.verbose and self.n_topics == "auto":
                print(f"topics: k={k} npmi={mean_npmi:.3f} diversity={div:.3f}", file=sys.stderr)
        if self.n_topics != "auto":
            return runs[grid[0]], None
        k_scores = pd.DataFrame(rows)
        return runs[best_k(k_scores)], k_scores

    def _set_fitted(
        self,
        run: _Run,
        order: np.ndarray,
        *,
        vectorizer,
        k_scores: pd.DataFrame | None,
        method: str,
        actors: frozenset[str],
        surface_counts: dict | None,
        unit_topics: np.ndarray | None,
        units: pd.DataFrame | None,
        article_ids: list[str] | None,
        n_units: int,
        n_articles: int,
        topic_stats: tuple | None,
    ):
        """Set every fitted attribute from the chosen run, topics in ``order``; return self."""
        self.vectorizer_ = vectorizer
        self.vocabulary_ = vectorizer.get_feature_names_out()
        self.tfidf_ = getattr(vectorizer, "tfidf_", None)
        self.estimator_ = run.estimator
        self.method_ = method
        self.k_scores_ = k_scores
        self._order = order
        self.components_ = run.estimator.components_[order]
        self.n_topics_ = len(order)
        self.topic_ids_ = np.arange(self.n_topics_)
        self.top_terms_ = [run.top_terms[i] for i in order]
        self.topic_npmi_ = run.scores[order]
        finite = np.isfinite(run.scores).any()
        self.npmi_ = float(np.nanmean(self.topic_npmi_)) if finite else np.nan
        self.diversity_ = diversity(self.top_terms_)
        self.topic_uniqueness_ = term_uniqueness(self.top_terms_)
        self.unit_topics_ = unit_topics
        self.units_ = units
        self.article_ids_ = article_ids
        self.n_units_ = n_units
        self.n_articles_ = n_articles
        # (dominant-topic counts, summed shares, articles with terms) of a streamed fit.
        self._topic_stats = topic_stats
        self.actors_ = actors
        self._set_labels(surface_counts)
        self.stability_ = None
        return self

    def _set_labels(self, surface_counts: dict | None) -> None:
        """Set ``term_forms_`` and ``labels_`` from how the texts write the top terms."""
        terms = sorted({t for top in self.top_terms_ for t in top})
        if self.tokens == "whitespace":
            # Tokens are used as they are: shown as they are too.
            self.term_forms_ = {t: t.replace("_", " ") for t in terms}
        else:
            self.term_forms_ = display_forms(surface_counts or {}, terms, self.actors_)
        self.labels_ = [
            topic_label(t, self.actors_, forms=self.term_forms_) for t in self.top_terms_
        ]

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
        topics. The k scan, the choice of k and the fitted attributes are those of :meth:`fit`.

        Parameters
        ----------
        batches : callable
            Returns a fresh iterator of DataFrames each time it is called (the corpus is read
            two or three times: counting, a recount when rare phrases are split, vectorising):
            the feature store's ``terms`` table part by part (see :func:`store_batches`), or
            articles tables with ``text`` (parsed on every read, so prefer the store). An
            article's rows must not be split across two batches. Labels show terms as the
            text writes them when the batches have ``text`` or the callable has a
            ``surface_counts(terms)`` method, as :func:`store_batches`'s has.
        epochs : int
            Passes of ``partial_fit`` over the corpus.
        batch_units : int
            Units per ``partial_fit`` step.
        doc_topics : callable, path or None
            Where each batch's ``doc_topics`` rows (article_id, topic, weight) go: a function
            called with each DataFrame, or a CSV file (written with a header beside its final
            name and renamed into place when complete).
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
        return stream.fit_stream(
            self,
            batches,
            epochs=epochs,
            batch_units=batch_units,
            doc_topics=doc_topics,
            min_weight=min_weight,
            work_dir=work_dir,
        )

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
        return self.fit_stream(stream.store_batches(store), **options)

    # -- applying ----------------------------------------------------------------------------

    @one_blas_thread
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
            vocab = getattr(self.vectorizer_, "vocabulary_", None)
            if vocab is None:
                vocab = set(self.vocabulary_)
            units = _split_unknown_phrases(units, vocab, self._split_stopwords())
        matrix = self.vectorizer_.transform(units)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            W = self.estimator_.transform(matrix)
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
        """Return the ``topics`` table: topic, rank, term, weight, score.

        ``score`` is what ranks a topic's terms (``rank`` 1 has the highest): the term's
        ``weight`` times its exclusivity to the topic (see :func:`term_scores`). ``weight`` is
        the factorisation's weight of the term, as a share of the topic's total weight; a term
        shared with other topics can weigh more than one ranked above it.
        """
        check_is_fitted(self, "components_")
        index = {t: i for i, t in enumerate(self.vocabulary_)}
        weight, score = term_scores(self.components_, self.exclusivity)
        rows = []
        for pos, terms in enumerate(self.top_terms_):
            for rank, term in enumerate(terms, start=1):
                col = index[term]
                rows.append(
                    (
                        int(self.topic_ids_[pos]),
                        rank,
                        term,
                        float(weight[pos, col]),
                        float(score[pos, col]),
                    )
                )
        return pd.DataFrame(rows, columns=["topic", "rank", "term", "weight", "score"])

    def doc_topics_frame(self, min_weight: float = 0.01) -> pd.DataFrame:
        """Return the ``doc_topics`` table: article_id, topic, weight (weights >= ``min_weight``)."""
        return stream._doc_topics_rows(
            self.article_topics(), self.article_ids_, self.topic_ids_, min_weight
        )

    def topic_table(self) -> pd.DataFrame:
        """Return one row per topic: topic, label, npmi, uniqueness, size, share, top_terms, ...

        ``size`` counts articles whose dominant topic it is; ``share`` is the topic's mean weight.
        ``top_terms`` are the terms (lower-case keys, space-separated); ``top_terms_display``
        the same terms as the text writes them (``term_forms_``), comma-separated.
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
                "top_terms_display": [
                    ", ".join(self.term_forms_[w] for w in t) for t in self.top_terms_
                ],
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
        record = getattr(self, "stop_words_", StopWords()).record()
        if record:  # absent without stop words: the metrics of such a run stay as they were
            out["stop_words"] = record
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

    @one_blas_thread
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
        ids, texts, pre = as_articles(X)
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
        # The matching machinery builds on this module, so it is imported when used.
        from analysis.topics.align import align_to

        check_is_fitted(self, "components_")
        return align_to(self, reference, min_similarity)


def _json_float(value) -> float | None:
    value = float(value)
    return None if math.isnan(value) else round(value, 6)
