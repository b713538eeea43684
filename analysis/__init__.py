"""Analyse collections of English news articles.

One import line gives a notebook everything: ``import analysis`` or ``from analysis import *``.
Names are imported on first use (PEP 562), so the command line and worker processes load only
the modules they need. Per-document extractors that share their module's name (for example
``analysis.numbers.numbers``) are reached through their module.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

#: Public name -> module that defines it, grouped by concern in data-flow order.
_EXPORTS: dict[str, str] = {
    # corpus
    "load_corpus": "analysis.corpus",
    "iter_corpus": "analysis.corpus",
    "paragraph_spans": "analysis.wire",
    "write_table": "analysis.writers",
    # stories: syndicated copies, and statistics over independent stories
    "story_table": "analysis.stories",
    "StoryIndex": "analysis.story_index",
    "credited_agency": "analysis.story_index",
    "store_stories": "analysis.stories",
    "dedupe": "analysis.syndication",
    "dedupe_note": "analysis.syndication",
    "attention": "analysis.syndication",
    "syndication_summary": "analysis.syndication",
    "plot_attention": "analysis.syndication",
    "plot_copying": "analysis.syndication",
    # parsing and the feature store
    "load_nlp": "analysis.nlp",
    "parse": "analysis.nlp",
    "extract_sentences": "analysis.nlp",
    "extract_corpus": "analysis.store",
    "feature_store": "analysis.store",
    "read_table": "analysis.store",
    # entities and actors
    "extract_mentions": "analysis.entities",
    "actor_table": "analysis.actors",
    "co_mentions": "analysis.actors",
    "read_actors_file": "analysis.actors",
    "apply_actor_edits": "analysis.actors",
    # quotes
    "quote_spans": "analysis.quote_marks",
    "extract_quotes": "analysis.quotes",
    "quote_table": "analysis.quotes",
    "share_of_voice": "analysis.quotes",
    "sourcing": "analysis.quotes",
    "extract_attributions": "analysis.attribution",
    "attribution_table": "analysis.attribution",
    "AttributionTagger": "analysis.attribution",
    "quotations": "analysis.quotes",
    "non_answers": "analysis.sources",
    "source_role": "analysis.sources",
    "merge_pieces": "analysis.sources",
    "voice_by_kind": "analysis.sources",
    "sourcing_by_kind": "analysis.sources",
    "quote_ledger": "analysis.ledger",
    "with_sentence": "analysis.ledger",
    "pair_sentences": "analysis.ledger",
    # numbers, counts, dates
    "extract_numbers": "analysis.numbers",
    "event_counts": "analysis.counts",
    "extract_counts": "analysis.counts",
    "count_totals": "analysis.counts",
    "date_expressions": "analysis.dates",
    "extract_dates": "analysis.dates",
    # sentiment and tone
    "SentimentScorer": "analysis.sentiment",
    "extract_sentiment": "analysis.sentiment",
    "sentiment_table": "analysis.sentiment",
    "aggregate": "analysis.sentiment",
    "actor_voice": "analysis.sentiment",
    "voice_summary": "analysis.sentiment",
    "extreme_sentences": "analysis.sentiment",
    "extract_tone": "analysis.tone",
    "tone_table": "analysis.tone",
    "tone_over_time": "analysis.tone",
    "tone_by_group": "analysis.tone",
    "OnnxModel": "analysis.encoder",
    "target_sentiment": "analysis.target",
    "target_sentiments": "analysis.target",
    "stance_table": "analysis.target",
    # terms and topics
    "doc_terms": "analysis.terms",
    "extract_terms": "analysis.terms",
    "TopicModel": "analysis.topics.model",
    "TermVectorizer": "analysis.topics.vectorizer",
    "npmi": "analysis.topics.coherence",
    "diversity": "analysis.topics.coherence",
    "match_topics": "analysis.topics.align",
    "fit_slices": "analysis.topics.align",
    "store_batches": "analysis.topics.stream",
    # corpus comparison
    "prevalence": "analysis.compare",
    "keyness": "analysis.compare",
    "group_keyness": "analysis.compare",
    "kwic": "analysis.compare",
    "collocations": "analysis.compare",
    # reports
    "run_reports": "analysis.reports.runner",
    "write_summary": "analysis.reports.notebook",
    "show_table": "analysis.reports.notebook",
    "escape_markdown": "analysis.reports.notebook",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'analysis' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
