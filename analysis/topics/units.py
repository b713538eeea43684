"""What a topic model reads: articles in any accepted form, cut into units (articles or paragraphs) of terms."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
import scipy.sparse as sp

from analysis.terms import TermDoc, term_docs
from analysis.topics.stopwords import drop_stop_terms
from analysis.wire import paragraph_spans

#: Columns of the units table (``TopicModel.units_``): one row per unit.
UNIT_COLUMNS = ["article_id", "unit", "start", "end", "n_terms"]


def as_articles(X) -> tuple[list[str], list[str] | None, list[list[str]] | None]:
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


def make_units(
    X,
    *,
    unit: str = "article",
    tokens: str | None = None,
    nlp=None,
    batch_size: int = 64,
    n_process: int = 1,
    stop: frozenset[str] = frozenset(),
) -> tuple[list[str], list[list[str]], pd.DataFrame]:
    """Return (article ids, each unit's terms, the units table) of articles ``X``.

    ``X`` is anything :class:`analysis.topics.TopicModel` fits on: a table with ``text``, the
    feature store's ``terms`` table, texts, TermDocs or term lists. With ``unit="paragraph"`` a
    unit is one paragraph (:func:`analysis.corpus.paragraph_spans`), otherwise a whole article.
    Terms of ``stop`` (a user's stop terms) are left out, and not counted in ``n_terms``.
    """
    ids, units, table = _make_units(X, unit, tokens, nlp, batch_size, n_process)
    if stop:
        units = drop_stop_terms(units, stop, tokens=tokens)
        table = table.assign(n_terms=[len(u) for u in units])
    return ids, units, table


def _make_units(X, unit, tokens, nlp, batch_size, n_process):
    """The units of :func:`make_units`, every extracted term kept."""
    if (
        isinstance(X, pd.DataFrame)
        and "terms" in X.columns
        and "text" not in X.columns
        and unit == "paragraph"
    ):
        ids, units, rows = _terms_table_units(X)
        return ids, units, pd.DataFrame(rows, columns=UNIT_COLUMNS)
    ids, texts, pre = as_articles(X)
    rows, units = [], []
    if pre is not None:
        if unit == "paragraph":
            raise ValueError("unit='paragraph' needs texts, not pre-extracted term lists")
        for aid, terms in zip(ids, pre, strict=True):
            rows.append((aid, 0, 0, 0, len(terms)))
            units.append(terms)
    else:
        docs = term_docs(texts, tokens=tokens, nlp=nlp, batch_size=batch_size, n_process=n_process)
        for aid, text, td in zip(ids, texts, docs, strict=True):
            spans = list(paragraph_spans(text)) if unit == "paragraph" else [(0, len(text))]
            for u, (start, end) in enumerate(spans or [(0, len(text))]):
                terms = td.within(start, end) if unit == "paragraph" else list(td.terms)
                rows.append((aid, u, start, end, len(terms)))
                units.append(terms)
    return ids, units, pd.DataFrame(rows, columns=UNIT_COLUMNS)


def actor_counts(X, *, tokens: str | None = None, nlp=None) -> tuple[Counter, Counter]:
    """Return (times tagged as an actor, times seen) per term of articles ``X``."""
    tagged: Counter = Counter()
    seen: Counter = Counter()
    if isinstance(X, pd.DataFrame) and {"terms", "actor"} <= set(X.columns):
        pairs = ((r.terms, r.actor) for r in X[["terms", "actor"]].itertuples(index=False))
    else:
        _, texts, pre = as_articles(X)
        if pre is not None or tokens == "whitespace":
            return tagged, seen
        pairs = ((td.terms, td.actor_flags) for td in term_docs(texts, nlp=nlp))
    for terms, flags in pairs:
        seen.update(terms)
        tagged.update(t for t, flag in zip(terms, flags, strict=False) if flag)
    return tagged, seen


def actor_set(tagged: Counter, seen: Counter) -> frozenset[str]:
    """The terms most of whose occurrences were tagged as a person, organisation, place or group."""
    # One stray ORG tag on "game" must not make it an actor.
    return frozenset(t for t, n in tagged.items() if n * 2 > seen[t])


def term_lists(docs, tokens: str | None = None, nlp=None) -> list[list[str]]:
    """Each article's terms in text order, for any accepted form of ``docs``."""
    _, texts, pre = as_articles(docs)
    if pre is not None:
        return pre
    return [list(td.terms) for td in term_docs(texts, tokens=tokens, nlp=nlp)]


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
