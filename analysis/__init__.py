"""Analyse collections of English news articles.

One import line gives a notebook everything: ``from analysis import *`` or ``import analysis``.
"""

from analysis.corpus import iter_corpus, load_corpus, paragraph_spans, write_table
from analysis.dates import date_expressions, extract_dates
from analysis.encoder import OnnxModel
from analysis.entities import actor_table, co_mentions, extract_mentions, mentions
from analysis.ledger import pair_sentences, quote_ledger, with_sentence
from analysis.nlp import extract_sentences, load_nlp, parse
from analysis.numbers import count_totals, event_counts, extract_counts, extract_numbers, numbers
from analysis.quotes import extract_quotes, quote_spans, quote_table, share_of_voice, sourcing
from analysis.reports import escape_markdown, run_reports, show_table, write_summary
from analysis.sentiment import (
    SentimentScorer,
    actor_voice,
    aggregate,
    extract_sentiment,
    extreme_sentences,
    sentiment_table,
    voice_summary,
)
from analysis.store import extract_corpus, feature_store, read_table
from analysis.target import stance_table, target_sentiment, target_sentiments
from analysis.terms import doc_terms
from analysis.tone import extract_tone, tone_by_group, tone_over_time, tone_table
from analysis.topics import (
    TopicModel,
    collocations,
    diversity,
    group_keyness,
    keyness,
    kwic,
    match_topics,
    npmi,
    prevalence,
)

__all__ = [
    "run_reports",
    "write_summary",
    "show_table",
    "escape_markdown",
    "load_corpus",
    "iter_corpus",
    "paragraph_spans",
    "write_table",
    "extract_corpus",
    "feature_store",
    "read_table",
    "quote_ledger",
    "with_sentence",
    "pair_sentences",
    "load_nlp",
    "parse",
    "extract_sentences",
    "quote_spans",
    "extract_quotes",
    "quote_table",
    "share_of_voice",
    "sourcing",
    "OnnxModel",
    "mentions",
    "extract_mentions",
    "actor_table",
    "co_mentions",
    "target_sentiment",
    "target_sentiments",
    "stance_table",
    "date_expressions",
    "extract_dates",
    "numbers",
    "extract_numbers",
    "event_counts",
    "extract_counts",
    "count_totals",
    "SentimentScorer",
    "extract_sentiment",
    "sentiment_table",
    "aggregate",
    "actor_voice",
    "voice_summary",
    "extreme_sentences",
    "extract_tone",
    "tone_table",
    "tone_over_time",
    "tone_by_group",
    "TopicModel",
    "doc_terms",
    "npmi",
    "diversity",
    "match_topics",
    "prevalence",
    "keyness",
    "group_keyness",
    "kwic",
    "collocations",
]
__version__ = "0.1.0"
