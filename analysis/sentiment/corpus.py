"""Corpus-level sentiment: aggregation over sentences, paragraphs and articles; voice; actor voice."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from analysis.quotes import quotations
from analysis.sentiment.estimator import SentimentScorer, default_scorer
from analysis.sentiment.extract import extract_sentiment
from analysis.sentiment.model import polarity_labels
from analysis.sentiment.rules import (
    LABEL_COLUMN,
    POLARITY_THRESHOLD,
    SCORE_COLUMNS,
    SENTIMENT_COLUMNS,
    SENTIMENT_EXTRA_COLUMNS,
)

# --- aggregation ---------------------------------------------------------------------------

#: A sentence's weight grows with its words up to this many, so one run-on sentence cannot dominate.
MAX_WEIGHT_WORDS = 40


def aggregate(
    sentiment_df: pd.DataFrame,
    by: str | Sequence[str] = "article_id",
    *,
    weight: str | None = "n_words",
) -> pd.DataFrame:
    """Aggregate sentence scores to paragraphs, articles, outlets or actors.

    A weighted mean of sentence scores stays within -1..1 whatever the article's length, unlike
    VADER run on a whole article, which saturates at ±1.

    Parameters
    ----------
    sentiment_df : pandas.DataFrame
        Sentence rows with ``compound``, ``positive``, ``negative``, ``neutral`` and the ``by``
        columns (join the sentences table first to group by ``paragraph``).
    by : str or sequence of str, default "article_id"
        Grouping columns.
    weight : str or None, default "n_words"
        Column of sentence lengths in words; each sentence weighs ``min(n_words, 40)``. ``None``
        (or a missing column) weighs sentences equally.

    Returns
    -------
    pandas.DataFrame
        One row per group: ``compound``, ``positive``, ``negative``, ``neutral`` (weighted means),
        ``n_sentences``, ``share_positive`` and ``share_negative`` (shares of sentences beyond
        ±0.05), and ``label`` (of the group's mean compound, cut at ±0.05).
    """
    keys = [by] if isinstance(by, str) else list(by)
    out_cols = [
        *keys,
        *SCORE_COLUMNS,
        "n_sentences",
        "share_positive",
        "share_negative",
        LABEL_COLUMN,
    ]
    if sentiment_df.empty:
        return pd.DataFrame(columns=out_cols)
    df = sentiment_df.copy()
    if weight and weight in df.columns:
        df["_w"] = df[weight].fillna(1).clip(lower=1, upper=MAX_WEIGHT_WORDS).astype(float)
    else:
        df["_w"] = 1.0
    for c in SCORE_COLUMNS:
        df[f"_{c}"] = df[c].astype(float) * df["_w"]
    df["_pos"] = (df["compound"] > POLARITY_THRESHOLD).astype(float)
    df["_neg"] = (df["compound"] < -POLARITY_THRESHOLD).astype(float)
    g = df.groupby(keys, sort=True, dropna=False)
    sums = g[[f"_{c}" for c in SCORE_COLUMNS] + ["_w"]].sum()
    res = pd.DataFrame({c: sums[f"_{c}"] / sums["_w"] for c in SCORE_COLUMNS})
    res["n_sentences"] = g.size()
    res["share_positive"] = g["_pos"].mean()
    res["share_negative"] = g["_neg"].mean()
    res[LABEL_COLUMN] = polarity_labels(res["compound"])
    return res.reset_index()[out_cols]


def paragraph_scores(sentiment_df: pd.DataFrame, sentences_df: pd.DataFrame) -> pd.DataFrame:
    """Aggregate sentence scores per paragraph (``article_id``, ``paragraph``).

    Parameters
    ----------
    sentiment_df : pandas.DataFrame
        The sentiment table.
    sentences_df : pandas.DataFrame
        The sentences table (``article_id``, ``sentence``, ``paragraph``).

    Returns
    -------
    pandas.DataFrame
        :func:`aggregate` output grouped by article and paragraph.
    """
    df = sentiment_df.merge(
        sentences_df[["article_id", "sentence", "paragraph"]],
        on=["article_id", "sentence"],
        how="left",
    )
    return aggregate(df, by=["article_id", "paragraph"])


def sentiment_table(
    docs: Iterable,
    articles: pd.DataFrame,
    quotes_df: pd.DataFrame | None = None,
    *,
    scorer: SentimentScorer | None = None,
) -> pd.DataFrame:
    """Return the ``sentiment`` table for parsed ``docs`` of the ``articles`` table, in order.

    Parameters
    ----------
    docs : iterable of spacy.tokens.Doc
        One parse per article row, in the same order.
    articles : pandas.DataFrame
        The articles table.
    quotes_df : pandas.DataFrame, optional
        The quotes table, for the voice column.
    scorer : SentimentScorer, optional

    Returns
    -------
    pandas.DataFrame
        Columns of :data:`SENTIMENT_COLUMNS` then :data:`SENTIMENT_EXTRA_COLUMNS`.
    """
    by_article = {}
    if quotes_df is not None and not quotes_df.empty:
        by_article = {k: g for k, g in quotes_df.groupby("article_id", sort=False)}
    rows: list[dict] = []
    for doc, article in zip(docs, articles.to_dict("records"), strict=False):
        rows += extract_sentiment(
            doc, article, by_article.get(article["article_id"]), scorer=scorer
        )
    return pd.DataFrame(rows, columns=[*SENTIMENT_COLUMNS, *SENTIMENT_EXTRA_COLUMNS])


def extreme_sentences(
    sentiment_df: pd.DataFrame,
    sentences_df: pd.DataFrame,
    articles_df: pd.DataFrame | None = None,
    *,
    n: int = 5,
) -> pd.DataFrame:
    """The ``n`` most negative and ``n`` most positive sentences, with their text and article.

    Returns
    -------
    pandas.DataFrame
        ``side`` (negative/positive), ``compound``, ``voice``, ``article_id``, ``sentence``,
        ``text`` and, when ``articles_df`` is given, ``headline``; most extreme first.
    """
    df = sentiment_df[["article_id", "sentence", "compound", "voice"]].merge(
        sentences_df[["article_id", "sentence", "text"]], on=["article_id", "sentence"], how="left"
    )
    if articles_df is not None and "headline" in articles_df.columns:
        df = df.merge(articles_df[["article_id", "headline"]], on="article_id", how="left")
    order = ["compound", "article_id", "sentence"]
    neg = df[df["compound"] < -POLARITY_THRESHOLD].sort_values(order).head(n)
    pos = (
        df[df["compound"] > POLARITY_THRESHOLD]
        .sort_values(order, ascending=[False, True, True])
        .head(n)
    )
    out = pd.concat([neg.assign(side="negative"), pos.assign(side="positive")], ignore_index=True)
    first = ["side", "compound", "voice", "article_id", "sentence", "text"]
    return out[first + [c for c in out.columns if c not in first]]


def voice_summary(sentiment_df: pd.DataFrame) -> pd.DataFrame:
    """Narrator against quoted voice: aggregate scores per ``voice`` (see :func:`aggregate`)."""
    return aggregate(sentiment_df, by="voice")


def _spoken_of_hits(
    mentions: pd.DataFrame, sent: pd.DataFrame, quotes_df: pd.DataFrame | None
) -> pd.DataFrame:
    """``actor``, ``article_id``, ``sentence`` of each mention outside its actor's own quotes.

    A mention counts in the first sentence (in ``sent`` order) whose span holds it; mentions
    keep their order and repeats are dropped. Done with joins on ``article_id`` rather than a
    loop over mentions, which filtered the article's sentences once per mention (most of the
    sentiment report's time).
    """
    m = pd.DataFrame(
        {
            "article_id": mentions["article_id"].to_numpy(),
            "actor": mentions["actor"].to_numpy(),
            "m_start": mentions["start"].to_numpy(),
            "m_end": mentions["end"].to_numpy(),
            "m_row": np.arange(len(mentions)),
        }
    )
    if quotes_df is not None and len(quotes_df):
        q = quotes_df.dropna(subset=["speaker"])
        own = m.merge(
            pd.DataFrame(
                {
                    "article_id": q["article_id"].to_numpy(),
                    "actor": q["speaker"].to_numpy(),
                    "q_start": q["start"].astype("int64").to_numpy(),
                    "q_end": q["end"].astype("int64").to_numpy(),
                }
            ),
            on=["article_id", "actor"],
        )
        inside = own["m_row"][(own["q_start"] <= own["m_start"]) & (own["m_end"] <= own["q_end"])]
        m = m[~m["m_row"].isin(inside)]
    s = pd.DataFrame(
        {
            "article_id": sent["article_id"].to_numpy(),
            "sentence": sent["sentence"].to_numpy(),
            "s_start": sent["start"].to_numpy(),
            "s_end": sent["end"].to_numpy(),
            "s_row": np.arange(len(sent)),
        }
    )
    pairs = m.merge(s, on="article_id")
    pairs = pairs[(pairs["s_start"] <= pairs["m_start"]) & (pairs["s_end"] >= pairs["m_end"])]
    first = pairs.sort_values(["m_row", "s_row"], kind="stable").drop_duplicates("m_row")
    hits = pd.DataFrame(
        {
            "actor": first["actor"].to_numpy(),
            "article_id": first["article_id"].to_numpy(),
            "sentence": first["sentence"].astype("int64").to_numpy(),
        }
    )
    return hits.drop_duplicates().reset_index(drop=True)


def actor_voice(
    sentiment_df: pd.DataFrame,
    mentions_df: pd.DataFrame,
    quotes_df: pd.DataFrame,
    *,
    sentences_df: pd.DataFrame | None = None,
    scorer: SentimentScorer | None = None,
    min_mentions: int = 1,
) -> pd.DataFrame:
    """Per actor: how it is spoken of and how it speaks.

    Parameters
    ----------
    sentiment_df : pandas.DataFrame
        The sentiment table; needs ``start``/``end`` (as :func:`extract_sentiment` writes) or
        ``sentences_df`` to place sentences.
    mentions_df : pandas.DataFrame
        The mentions table (``article_id``, ``start``, ``end``, ``actor``).
    quotes_df : pandas.DataFrame
        The quotes table (``article_id``, ``start``, ``end``, ``quote``, ``speaker``); its
        quotations only (:func:`analysis.quotes.quotations`).
    sentences_df : pandas.DataFrame, optional
        The sentences table (``article_id``, ``sentence``, ``start``, ``end``).
    scorer : SentimentScorer, optional
        Scores the quotations' own text; defaults to :func:`default_scorer`.
    min_mentions : int, default 1
        Drop actors spoken of in fewer sentences and never quoted.

    Returns
    -------
    pandas.DataFrame
        ``actor``, ``n_spoken_of`` (sentences that mention it outside its own quotes),
        ``spoken_of`` (their length-weighted mean compound), ``n_quotes``, ``speaks`` (mean
        compound of its quotations) and ``gap`` (speaks - spoken_of); sorted by mentions.
    """
    cols = ["actor", "n_spoken_of", "spoken_of", "n_quotes", "speaks", "gap"]
    quotes_df = quotations(quotes_df)  # an actor speaks in its quotations, not reported speech
    sent = sentiment_df
    if not {"start", "end"} <= set(sent.columns):
        if sentences_df is None:
            raise ValueError("sentiment_df has no start/end columns; pass sentences_df")
        sent = sent.merge(
            sentences_df[["article_id", "sentence", "start", "end"]],
            on=["article_id", "sentence"],
            how="left",
        )
    spoken = pd.DataFrame(columns=["actor", "n_spoken_of", "spoken_of"])
    mentions = mentions_df.dropna(subset=["actor"]) if len(mentions_df) else mentions_df
    if len(mentions) and len(sent):
        h = _spoken_of_hits(mentions, sent, quotes_df)
        if len(h):
            h = h.merge(sent, on=["article_id", "sentence"], how="left")
            agg = aggregate(h, by="actor")
            spoken = agg.rename(columns={"compound": "spoken_of", "n_sentences": "n_spoken_of"})[
                ["actor", "n_spoken_of", "spoken_of"]
            ]
    speaks = pd.DataFrame(columns=["actor", "n_quotes", "speaks"])
    if quotes_df is not None and len(quotes_df):
        q = quotes_df.dropna(subset=["speaker"])
        q = q[q["quote"].fillna("").str.strip() != ""]
        if len(q):
            scores = (scorer or default_scorer()).transform(q["quote"].tolist())["compound"]
            q = q.assign(compound=scores.to_numpy())
            speaks = (
                q.groupby("speaker")["compound"]
                .agg(n_quotes="size", speaks="mean")
                .reset_index()
                .rename(columns={"speaker": "actor"})
            )
    out = spoken.merge(speaks, on="actor", how="outer")
    out["n_spoken_of"] = out["n_spoken_of"].fillna(0).astype(int)
    out["n_quotes"] = out["n_quotes"].fillna(0).astype(int)
    out["gap"] = out["speaks"] - out["spoken_of"]
    out = out[(out["n_spoken_of"] >= min_mentions) | (out["n_quotes"] > 0)]
    return out.sort_values(["n_spoken_of", "n_quotes", "actor"], ascending=[False, False, True])[
        cols
    ].reset_index(drop=True)
