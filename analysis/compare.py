"""Corpus comparison: topic prevalence by period or group, keyness, keyword in context, collocations."""

from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from analysis.articles import published_day
from analysis.topics.units import as_articles, term_lists

if TYPE_CHECKING:
    from analysis.topics.model import TopicModel


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


def _g2(k11, k12, k21, k22):
    """Dunning's log-likelihood G2 of 2x2 tables ``[[k11, k12], [k21, k22]]`` given as arrays of cell counts."""
    table = np.stack([k11, k12, k21, k22]).astype(np.float64)
    n = table.sum(axis=0)
    rows = np.stack([k11 + k12, k11 + k12, k21 + k22, k21 + k22]).astype(np.float64)
    cols = np.stack([k11 + k21, k12 + k22, k11 + k21, k12 + k22]).astype(np.float64)
    expected = rows * cols / np.maximum(n, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(table > 0, table * np.log(table / expected), 0.0)
    return 2 * terms.sum(axis=0)


#: Columns of :func:`keyness`, in order.
KEYNESS_COLUMNS = [
    "term",
    "count_target",
    "count_reference",
    "per_10k_target",
    "per_10k_reference",
    "log_likelihood",
    "chi2",
    "p_value",
    "log_ratio",
    "key_for",
    "significant",
]


def keyness(
    target,
    reference,
    *,
    min_count: int = 3,
    alpha: float = 0.05,
    tokens: str | None = None,
    nlp=None,
    stop_words=None,
) -> pd.DataFrame:
    """Return the terms over- and under-used in ``target`` compared with ``reference``.

    Each term's 2x2 table is its count and the count of every other term, in each group
    (Dunning 1993): ``[[a, A - a], [b, B - b]]`` for ``a`` of ``A`` terms in the target and
    ``b`` of ``B`` in the reference. Its G2 is ``2 * sum(O * ln(O / E))`` over the four cells,
    ``E`` from the margins, without continuity correction: the statistic of
    ``scipy.stats.chi2_contingency(table, correction=False, lambda_="log-likelihood")``.

    Parameters
    ----------
    target, reference : DataFrame with ``text``, texts, TermDocs or term lists
        The two groups (or periods) of articles.
    min_count : int
        Leave out terms seen fewer times than this in both groups together.
    alpha : float
        Significance level of the ``significant`` column. Every term is a test: with
        thousands of terms, a stricter level (0.001, or ``0.05 / len(result)`` for
        Bonferroni's correction) keeps chance differences out.
    tokens : {None, "whitespace"}
        How texts are turned into terms (see :class:`TopicModel`).
    stop_words : path, list of str or None
        Terms left out of both groups, as :class:`TopicModel`'s ``stop_words`` (a stop-word
        file or a list): they are neither rows nor counted in the group totals.

    Returns
    -------
    pandas.DataFrame
        One row per term, ranked by ``log_likelihood`` (highest first, ties by term):

        - ``term``; ``count_target``, ``count_reference``: its occurrences in each group;
        - ``per_10k_target``, ``per_10k_reference``: the same per 10,000 terms of the group;
        - ``log_likelihood``: G2 of the term's 2x2 table (how sure the difference is);
        - ``chi2``: Pearson's chi-squared of the same table (no continuity correction);
        - ``p_value``: of G2 against the chi-squared distribution with 1 degree of freedom;
        - ``log_ratio``: the effect size, log2 of the ratio of relative frequencies (0.5
          added to a zero count): 1 means twice as frequent in the target, -1 half;
        - ``key_for``: "target" where the term is relatively more frequent, else "reference";
        - ``significant``: ``p_value < alpha``.
    """
    from scipy.stats import chi2 as chi2_dist

    from analysis.topics.stopwords import as_stop_words, drop_stop_terms

    stop = as_stop_words(stop_words).terms
    a = Counter(
        t
        for doc in drop_stop_terms(term_lists(target, tokens, nlp), stop, tokens=tokens)
        for t in doc
    )
    b = Counter(
        t
        for doc in drop_stop_terms(term_lists(reference, tokens, nlp), stop, tokens=tokens)
        for t in doc
    )
    terms = sorted(t for t in set(a) | set(b) if a[t] + b[t] >= min_count)
    total_a, total_b = sum(a.values()), sum(b.values())
    ca = np.array([a[t] for t in terms], dtype=np.float64)
    cb = np.array([b[t] for t in terms], dtype=np.float64)
    n = total_a + total_b
    g2 = _g2(ca, total_a - ca, cb, total_b - cb)
    with np.errstate(divide="ignore", invalid="ignore"):
        num = n * (ca * (total_b - cb) - cb * (total_a - ca)) ** 2
        den = (ca + cb) * (n - ca - cb) * total_a * total_b
        chi2 = np.where(den > 0, num / den, 0.0)
    rel_a = np.where(ca > 0, ca, 0.5) / max(total_a, 1)
    rel_b = np.where(cb > 0, cb, 0.5) / max(total_b, 1)
    p_value = chi2_dist.sf(g2, 1)
    frame = pd.DataFrame(
        {
            "term": terms,
            "count_target": ca.astype(int),
            "count_reference": cb.astype(int),
            "per_10k_target": 1e4 * ca / max(total_a, 1),
            "per_10k_reference": 1e4 * cb / max(total_b, 1),
            "log_likelihood": g2,
            "p_value": p_value,
            "significant": p_value < alpha,
            "log_ratio": np.log2(rel_a / rel_b),
            "chi2": chi2,
        }
    )
    frame["key_for"] = np.where(frame["log_ratio"] >= 0, "target", "reference")
    return frame.sort_values(
        ["log_likelihood", "term"], ascending=[False, True], kind="stable"
    ).reset_index(drop=True)[KEYNESS_COLUMNS]


def group_keyness(
    articles: pd.DataFrame, column: str, target, reference=None, **options
) -> pd.DataFrame:
    """Return :func:`keyness` of articles whose ``column`` equals ``target`` against the others.

    ``reference`` names the comparison value (default: every other article). For
    ``column="published"`` values are compared as strings, so a year or month prefix
    (``"2011"``, ``"2011-09"``) selects a period. ``options`` go to :func:`keyness`
    (``min_count``, ``alpha``, ``tokens``, ``stop_words``); the columns are its columns.
    """
    if column not in articles.columns:
        raise ValueError(f"no column {column!r} in articles; columns are {list(articles.columns)}")
    # Dates compare as their ISO text, so a year or month prefix selects a period.
    values = (
        articles[column].map(published_day) if column == "published" else articles[column]
    ).astype(str)
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
    ids, texts, pre = as_articles(articles)
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
    seqs = term_lists(docs, tokens, nlp)
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
