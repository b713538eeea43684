"""Topic models over news terms: the estimator, NPMI coherence, diversity, streaming and matching.

The package's modules, each one concern:

- :mod:`~analysis.topics.model`: :class:`TopicModel`, whose stages (vectorizer, estimator) are
  objects; one fit core shared by ``fit`` and ``fit_stream``;
- :mod:`~analysis.topics.vectorizer`: :class:`TermVectorizer`, the default vectorizer;
- :mod:`~analysis.topics.estimators`: the default factorisations the ``method`` shortcut names;
- :mod:`~analysis.topics.units`: articles in any accepted form cut into units of terms;
- :mod:`~analysis.topics.coherence`: :func:`npmi`, :func:`diversity`, :func:`term_uniqueness`,
  :func:`term_scores`;
- :mod:`~analysis.topics.labels`: :func:`topic_label`, and terms shown as the text writes them;
- :mod:`~analysis.topics.stopwords`: a user's stop words (:func:`read_stop_words`);
- :mod:`~analysis.topics.stream`: :func:`store_batches` and the passes of ``fit_stream``;
- :mod:`~analysis.topics.align`: :func:`match_topics`, :func:`fit_slices`, ``align_to``;
- :mod:`~analysis.topics.outputs`: :func:`write_outputs` (the ``topics`` command's files);
- :mod:`~analysis.topics.params`: the choices and defaults, light enough for the command line.

Corpus comparison (:func:`prevalence`, :func:`keyness`, :func:`group_keyness`, :func:`kwic`,
:func:`collocations`) lives in :mod:`analysis.compare` and the feature store's terms extractor
(:func:`extract_terms`) in :mod:`analysis.terms`; both are re-exported here so the names
importable from ``analysis.topics`` before the split still are. Names are imported on first use
(PEP 562), so reading :mod:`~analysis.topics.params` loads neither numpy nor scikit-learn.
"""

from __future__ import annotations

import importlib

#: Public name -> module that defines it.
_EXPORTS: dict[str, str] = {
    # choices and defaults
    "METHODS": "analysis.topics.params",
    "UNITS": "analysis.topics.params",
    "DEFAULT_K_GRID": "analysis.topics.params",
    "STREAM_EPOCHS": "analysis.topics.params",
    "STREAM_BATCH_UNITS": "analysis.topics.params",
    # the estimator and its default vectorizer
    "TopicModel": "analysis.topics.model",
    "topic_label": "analysis.topics.labels",
    "display_forms": "analysis.topics.labels",
    "count_surface_forms": "analysis.topics.labels",
    "term_scores": "analysis.topics.coherence",
    "TermVectorizer": "analysis.topics.vectorizer",
    # quality
    "npmi": "analysis.topics.coherence",
    "diversity": "analysis.topics.coherence",
    "term_uniqueness": "analysis.topics.coherence",
    # a user's stop words
    "StopWords": "analysis.topics.stopwords",
    "STOP_WORDS_FILE": "analysis.topics.stopwords",
    "read_stop_words": "analysis.topics.stopwords",
    "find_stop_words": "analysis.topics.stopwords",
    # streaming, matching, files
    "store_batches": "analysis.topics.stream",
    "match_topics": "analysis.topics.align",
    "fit_slices": "analysis.topics.align",
    "write_outputs": "analysis.topics.outputs",
    # moved out of the package
    "extract_terms": "analysis.terms",
    "prevalence": "analysis.compare",
    "keyness": "analysis.compare",
    "group_keyness": "analysis.compare",
    "kwic": "analysis.compare",
    "collocations": "analysis.compare",
}
#: Private helpers that scripts and tests imported from the single module; kept importable.
_COMPAT: dict[str, str] = {
    "_resolve_df": "analysis.topics.vectorizer",
    "_split_rare_phrases": "analysis.topics.vectorizer",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name) or _COMPAT.get(name)
    if module is None:
        raise AttributeError(f"module 'analysis.topics' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
