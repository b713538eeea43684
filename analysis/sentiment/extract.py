"""The per-article ``sentiment`` extractor: one row per sentence, with its voice."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import pandas as pd

from analysis.nlp import doc_text
from analysis.quotes import quotations
from analysis.sentiment.estimator import SentimentScorer, default_scorer
from analysis.sentiment.model import polarity_labels

# --- per-article extractor and voice -------------------------------------------------------

#: A sentence is the speaker's when more than this share of its characters lies inside quotes.
SPEAKER_SHARE = 0.5


def _sentence_spans(doc, article: Mapping) -> list[tuple[int, int, int, str]]:
    """(index, start, end, text) per sentence, numbered like the sentences table."""
    from analysis.nlp import extract_sentences

    full = doc_text(doc)
    return [
        (int(r["sentence"]), int(r["start"]), int(r["end"]), full[r["start"] : r["end"]])
        for r in extract_sentences(doc, article)
    ]


def _inside_share(start: int, end: int, spans: Sequence[tuple[int, int]], text: str) -> float:
    """Share of the non-space characters of text[start:end] that lie inside ``spans``."""
    chars = [i for i in range(start, end) if not text[i].isspace()]
    if not chars:
        return 0.0
    inside = 0
    for s, e in spans:
        lo, hi = max(s, start), min(e, end)
        if lo < hi:
            inside += sum(1 for i in range(lo, hi) if not text[i].isspace())
    return inside / len(chars)


def extract_sentiment(
    doc,
    article: Mapping,
    quotes: Iterable[Mapping] | pd.DataFrame | None = None,
    *,
    scorer: SentimentScorer | None = None,
) -> list[dict]:
    """Return the ``sentiment`` table rows of one article.

    Parameters
    ----------
    doc : spacy.tokens.Doc
        The parse of ``normalise_for_parse(article["text"])``.
    article : mapping
        At least ``article_id`` and ``text``.
    quotes : iterable of mappings or DataFrame, optional
        The article's ``quotes`` rows (``start``, ``end``, ``kind``); a sentence more than half
        inside direct or partial quotations is the speaker's voice, otherwise the narrator's
        (an indirect quote is the narrator's paraphrase).
    scorer : SentimentScorer, optional
        Defaults to :func:`default_scorer` (rules blended with the model).

    Returns
    -------
    list of dict
        One row per sentence: ``article_id``, ``sentence`` (index as in the sentences table),
        ``compound``, ``positive``, ``negative``, ``neutral``, ``voice`` (``narrator`` or
        ``speaker``), then ``start``, ``end``, ``n_words`` and ``label`` (``negative``,
        ``neutral`` or ``positive``: compound beyond ±0.05).
    """
    scorer = scorer or default_scorer()
    sents = _sentence_spans(doc, article)
    if not sents:
        return []
    if isinstance(quotes, pd.DataFrame):
        quotes = quotes.to_dict("records")
    aid = article["article_id"]
    # Reported speech and non-answers are the reporter's words: only quotations are a voice.
    spans = [
        (int(q["start"]), int(q["end"]))
        for q in quotations(quotes or [])
        if q.get("article_id", aid) == aid
    ]
    scores = scorer.transform([s[3] for s in sents])
    full = doc_text(doc)
    rows = []
    for (idx, start, end, text), sc in zip(sents, scores.itertuples(index=False), strict=True):
        share = _inside_share(start, end, spans, full) if spans else 0.0
        # The label of the stored (rounded) compound, so the two never disagree at ±0.05.
        compound = round(float(sc.compound), 4)
        rows.append(
            {
                "article_id": aid,
                "sentence": idx,
                "compound": compound,
                "positive": round(float(sc.positive), 4),
                "negative": round(float(sc.negative), 4),
                "neutral": round(float(sc.neutral), 4),
                "voice": "speaker" if share > SPEAKER_SHARE else "narrator",
                "start": start,
                "end": end,
                "n_words": len(text.split()),
                "label": str(polarity_labels([compound])[0]),
            }
        )
    return rows


def extract_sentiment_static(
    doc, article: Mapping, quotes: Iterable[Mapping] | pd.DataFrame | None = None
) -> list[dict]:
    """:func:`extract_sentiment` with the static sentence model blended in instead of the
    transformer: the same columns, about 17 times less model time per sentence, NYT dev r
    0.64 against 0.67 (docs/reference.md). The extractor of the ``static_sentiment`` option
    (``extract --static-sentiment``, :data:`analysis.features.OPTIONS`)."""
    return extract_sentiment(doc, article, quotes, scorer=default_scorer(model="static"))
