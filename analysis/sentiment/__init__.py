"""Sentence sentiment for news: VADER's rules adapted to news prose, blended with a learned regressor.

The rule engine re-implements vaderSentiment's scoring (MIT licence, C.J. Hutto; lexicon and
constants are read from the installed package) with changes for news and editorial prose:

* **names**: proper names and set phrases (``United States``, ``Security Council``) are neutral
  (``resources/news_names.txt``);
* **lexicon**: conflict, diplomacy and economy words added or re-weighted
  (``resources/news_lexicon.txt``);
* **negation**: VADER's negators plus verbs of failure and refusal (``failed to``, ``refused to``,
  ``denied``), which also reach a word further; curly apostrophes (``don’t``) count;
* **hedging**: a hedge (``reportedly``, ``allegedly``, ``may``, ``could``) shortly before a
  sentiment word dampens it;
* **contrast**: ``but``, ``however``, ``yet``, ``nevertheless`` weight the clause after them over
  the clause before, and concessive clauses (``although``, ``though``, sentence-initial ``while``)
  are damped; the scope ends at ``;``, ``:`` or a dash, so a long sentence is not re-weighted
  wholesale as VADER does.

With ``use_model=True`` the rule score is blended with an int8 ONNX regressor (all-MiniLM-L6-v2
fine-tuned on the VADER ground-truth tweets and reviews; see ``models/sentence_sentiment/
meta.json`` and ``scripts/train_sentence_sentiment.py``). Blend weights come from meta.json, where
the calibration script wrote them after fitting on the NYT editorial dev split.
"""

# The package is split by concern; every name keeps its old import path.

from analysis.sentiment.corpus import (  # noqa: F401
    MAX_WEIGHT_WORDS,
    actor_voice,
    aggregate,
    extreme_sentences,
    paragraph_scores,
    sentiment_table,
    voice_summary,
)
from analysis.sentiment.estimator import (  # noqa: F401
    Explanation,
    SentimentScorer,
    default_scorer,
)
from analysis.sentiment.extract import (  # noqa: F401
    SPEAKER_SHARE,
    extract_sentiment,
)
from analysis.sentiment.model import (  # noqa: F401
    BLEND_COLUMNS,
    DEFAULT_BLEND,
    END_COMPOUND,
    END_QUANTILE,
    FIT_COLUMNS,
    KNEE,
    _macro_f1,
    _read_blend,
    apply_blend,
    blend_columns,
    cross_val_blend,
    end_scale,
    fit_blend,
    has_sentence_model,
    load_sentence_model,
    neutral_mask,
    polarity_classes,
    polarity_labels,
    score_columns,
    sentence_model_dir,
    share_scores,
    stretch,
)
from analysis.sentiment.rules import (  # noqa: F401
    BOOSTERS,
    C_INCR,
    CONCESSIVE,
    CONCESSIVE_SCALAR,
    CONTRAST,
    CONTRAST_AFTER_LONG,
    EMPTY_SCORE,
    GOLD_THRESHOLD,
    HEDGE_SCALAR,
    HEDGES,
    LABEL_COLUMN,
    LONG_SENTENCE_TOKENS,
    N_SCALAR,
    NEWS_NEGATE,
    POLARITY_THRESHOLD,
    RATING_SCALE,
    SCORE_COLUMNS,
    SENTIMENT_COLUMNS,
    SENTIMENT_EXTRA_COLUMNS,
    RuleScore,
    news_lexicon,
    rule_score,
)
