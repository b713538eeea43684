"""Topics of a corpus read in batches: store parts, the counting and vectorising passes, doc_topics sinks."""

from __future__ import annotations

import contextlib
import tempfile
import warnings
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from analysis.files import atomic_path
from analysis.terms import TermDoc, term_docs
from analysis.topics.coherence import npmi
from analysis.topics.labels import count_surface_forms, merge_surface_counts
from analysis.topics.params import STREAM_BATCH_UNITS, STREAM_EPOCHS
from analysis.topics.stopwords import as_stop_words
from analysis.topics.units import _article_mix, _normalise_rows, actor_set, as_articles
from analysis.topics.vectorizer import _phrase_min_count, _phrase_parts, _split_units

#: Columns of the ``doc_topics`` table.
DOC_TOPICS_COLUMNS = ["article_id", "topic", "weight"]


class StoreBatches:
    """The ``terms`` table of a feature store, one part at a time (see :func:`store_batches`).

    Calling it starts a fresh pass over the parts; :meth:`surface_counts` reads how the
    articles write given terms back from the store's ``articles`` table, for labels.
    """

    #: Columns read for fitting.
    columns = ["article_id", "paragraph", "terms", "actor"]

    def __init__(self, store: str | Path, table: str = "terms"):
        self.store = Path(store)
        self.folder = self.store / f"{table}.parquet"
        self.parts = sorted(self.folder.glob("part-*.parquet"))
        if not self.parts:
            raise FileNotFoundError(
                f"{self.folder}: no Parquet parts; run the extract command first"
            )

    def __call__(self) -> Iterator[pd.DataFrame]:
        for part in self.parts:
            frame = pd.read_parquet(part, columns=self.columns)
            if len(frame):
                yield frame

    def surface_counts(self, terms) -> dict[str, Counter]:
        """Count how the articles write ``terms``: offsets of the terms table into the article texts.

        Part ``i`` of the terms table is read with part ``i`` of the ``articles`` table (the
        feature store writes both for the same articles), so memory stays one part; articles
        not found there, or a store without texts, only leave terms without a surface form.
        """
        folder = self.store / "articles.parquet"
        article_parts = sorted(folder.glob("part-*.parquet")) if folder.is_dir() else []
        wanted = set(terms)
        counts: dict[str, Counter] = {}
        for i, part in enumerate(self.parts):
            if i >= len(article_parts):
                break
            texts = pd.read_parquet(article_parts[i], columns=["article_id", "text"])
            text_of = dict(zip(texts["article_id"].astype(str), texts["text"], strict=True))
            frame = pd.read_parquet(part, columns=["article_id", "terms", "starts", "ends"])
            for aid, words, starts, ends in frame.itertuples(index=False):
                text = text_of.get(str(aid))
                if text is None:
                    continue
                doc = TermDoc(tuple(words), tuple(starts), tuple(ends))
                merge_surface_counts(counts, count_surface_forms([text], [doc], wanted))
        return counts


def store_batches(store: str | Path, table: str = "terms") -> StoreBatches:
    """Return a callable that yields the ``terms`` table of a feature store one part at a time.

    Each call starts a fresh pass over ``store/<table>.parquet/part-*.parquet`` (in part order),
    which is what :meth:`TopicModel.fit_stream` needs; only one part is in memory at a time.
    The model's labels take the text's casing from the store's ``articles`` table.

    Parameters
    ----------
    store : path
        A folder written by :func:`analysis.store.extract_corpus`.
    table : str
        The table to read (``"terms"``).

    Returns
    -------
    StoreBatches
        ``batches()`` -> iterator of DataFrames (article_id, paragraph, terms, actor).
    """
    return StoreBatches(store, table)


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


@contextlib.contextmanager
def _doc_topics_sink(target) -> Iterator:
    """Yield a function that takes each batch's doc_topics rows: ``target`` itself, or a CSV appender.

    A CSV file is written beside its final name and renamed into place when the block ends
    without an error, so an interrupted fit never leaves half a table.
    """
    if target is None or callable(target):
        yield target
        return
    with atomic_path(target) as tmp:
        pd.DataFrame(columns=DOC_TOPICS_COLUMNS).to_csv(tmp, index=False)

        def append(frame: pd.DataFrame) -> None:
            frame.to_csv(tmp, mode="a", header=False, index=False)

        yield append


def fit_stream(
    model,
    batches,
    *,
    epochs: int = STREAM_EPOCHS,
    batch_units: int = STREAM_BATCH_UNITS,
    doc_topics=None,
    min_weight: float = 0.01,
    work_dir: str | Path | None = None,
):
    """Fit ``model`` (a :class:`analysis.topics.TopicModel`) batch by batch; see its ``fit_stream``."""
    model._check_params()
    model.stop_words_ = as_stop_words(model.stop_words)
    if not callable(batches):
        raise TypeError(
            "batches must be a callable returning a fresh iterator of DataFrames "
            "(the corpus is read several times)"
        )
    if epochs < 1 or batch_units < 1:
        raise ValueError(f"epochs and batch_units must be >= 1, got {epochs}, {batch_units}")
    vec = model._make_vectorizer()
    if not all(hasattr(vec, m) for m in ("fit_counts", "count", "weight")):
        raise TypeError(
            "fit_stream needs a vectorizer fitted from counted frequencies (fit_counts, count, "
            f"weight), such as TermVectorizer; got {type(vec).__name__}"
        )

    # Pass 1: unit count, document and term frequencies, actor tags.
    n_units, df, tf, tagged, seen = _count_pass(model, batches(), parts={})
    if n_units == 0:
        raise ValueError("no articles to fit topics on")
    if model.tokens != "whitespace":
        min_count = _phrase_min_count(vec, n_units)
        parts = _phrase_parts(
            [t for t, n in df.items() if "_" in t and n < min_count], model._split_stopwords()
        )
    else:
        parts = {}
    if parts:
        # Words of split phrases change the frequencies: count again, as fit() sees them.
        _, df, tf, _, _ = _count_pass(model, batches(), parts=parts, actors=False)
    vec.fit_counts(df, tf, n_units)
    del df, tf
    vocabulary = vec.get_feature_names_out()
    col = vec.vocabulary_

    # The NPMI sample: the same seeded draw of unit positions as fit() makes.
    if model.coherence_units is None or n_units <= model.coherence_units:
        wanted = None
    else:
        rng = np.random.default_rng(model.random_state)
        wanted = np.sort(rng.choice(n_units, size=model.coherence_units, replace=False))
    # The first step (and NNDSVDa's start) uses a seeded sample from the whole corpus:
    # a corpus stored in order (all sport, then all business) must not start from one part.
    first = np.sort(
        np.random.default_rng([model.random_state, 1]).choice(
            n_units, size=min(n_units, batch_units), replace=False
        )
    )

    with tempfile.TemporaryDirectory(dir=work_dir) as tmp:
        tmp = Path(tmp)
        # Pass 2: vectorise each batch once; epochs and the last pass read these files.
        # The NPMI sample is held as vocabulary ids (-1 outside it: only positions matter),
        # 4 bytes a token instead of a string object each.
        sample: list[np.ndarray] = []
        first_rows: list = []

        def encode(unit):
            return np.fromiter((col.get(t, -1) for t in unit), dtype=np.int32, count=len(unit))

        # How articles tables (with text) write each vocabulary term, for the labels; a store's
        # parts carry no text and are read back from its articles table after the fit.
        surface: dict[str, Counter] = {}
        known = set(col)
        n_parts, offset = 0, 0
        for frame in batches():
            _, units, table = model._units(frame)
            if "text" in frame.columns and model.tokens != "whitespace":
                _, texts, _ = as_articles(frame)
                # The terms were just extracted by _units: this reads the cache.
                docs = term_docs(texts, nlp=model.nlp)
                merge_surface_counts(surface, count_surface_forms(texts, docs, known))
            units = _split_units(units, parts)
            if wanted is None:
                sample.extend(encode(u) for u in units)
            else:
                lo, hi = np.searchsorted(wanted, [offset, offset + len(units)])
                sample.extend(encode(units[i - offset]) for i in wanted[lo:hi])
            counts = vec.count(units).tocsr()
            lo, hi = np.searchsorted(first, [offset, offset + len(units)])
            first_rows.append(counts[first[lo:hi] - offset])
            offset += len(units)
            sp.save_npz(tmp / f"{n_parts:06d}.npz", counts)
            table[["article_id", "n_terms"]].to_parquet(tmp / f"{n_parts:06d}.parquet")
            n_parts += 1

        def matrices():
            for i in range(n_parts):
                yield i, vec.weight(sp.load_npz(tmp / f"{i:06d}.npz"))

        def fit_grid(grid):
            # Every k learns in the same epochs, so the vectorised batches are read once per
            # epoch whatever the size of the grid.
            first_matrix = vec.weight(sp.vstack(first_rows).tocsr())
            first_rows.clear()
            estimators = {
                k: model._make_stream_estimator(k, n_units, first_matrix.shape[0], batch_units)
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
            for k, est in estimators.items():
                top = model._rank_terms(est.components_, vocabulary)
                top_ids = [[int(col[t]) for t in terms] for terms in top]
                yield k, est, top, npmi(top_ids, sample, window=model.coherence_window), None

        run, k_scores = model._fit_core(n_units, max(1, min(n_units, len(col))), fit_grid, 4)
        sample.clear()  # the NPMI sample is no longer needed: free it before pass 3
        top = {t for terms in run.top_terms for t in terms}
        if hasattr(batches, "surface_counts") and model.tokens != "whitespace":
            surface = batches.surface_counts(top)
        surface = {t: surface[t] for t in top if t in surface}
        est = run.estimator

        # Pass 3: unit mixes, kept on disk; their sum orders topics by prevalence as fit().
        prevalence = np.zeros(est.components_.shape[0])
        for i, X in matrices():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                mix = _normalise_rows(est.transform(X))
            prevalence += mix.sum(axis=0)
            np.save(tmp / f"{i:06d}.mix.npy", mix)
        order = np.argsort(-prevalence, kind="stable")
        n_topics = len(order)
        topic_ids = np.arange(n_topics)

        # Pass 4: each article's mix in the final order, written batch by batch.
        dominant = np.zeros(n_topics, dtype=np.int64)
        share_sum = np.zeros(n_topics)
        n_with_terms = n_articles = 0
        with _doc_topics_sink(doc_topics) as sink:
            for i in range(n_parts):
                mix = np.load(tmp / f"{i:06d}.mix.npy")[:, order]
                table = pd.read_parquet(tmp / f"{i:06d}.parquet")
                ids = list(dict.fromkeys(table["article_id"].astype(str)))
                if model.unit != "article":
                    mix = _article_mix(mix, table, ids)
                n_articles += len(ids)
                has_terms = mix.sum(axis=1) > 0
                dominant += np.bincount(mix[has_terms].argmax(axis=1), minlength=n_topics)
                share_sum += mix[has_terms].sum(axis=0)
                n_with_terms += int(has_terms.sum())
                if sink is not None:
                    sink(_doc_topics_rows(mix, ids, topic_ids, min_weight))
    return model._set_fitted(
        run,
        order,
        vectorizer=vec,
        k_scores=k_scores,
        method=model._method_name(est, streamed=True),
        actors=actor_set(tagged, seen),
        surface_counts=surface,
        unit_topics=None,
        units=None,
        article_ids=None,
        n_units=n_units,
        n_articles=n_articles,
        topic_stats=(dominant, share_sum, n_with_terms),
    )
