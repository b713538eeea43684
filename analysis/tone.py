"""Tone per article, GDELT-style: shares of positive, negative, active and self/group words.

The ``tone`` table has one row per article (DESIGN.md):

``word_count``
    Words in the article body (tokens with at least one letter).
``positive_score`` / ``negative_score``
    Percent of those words found in the positive / negative word list.
``tone``
    ``positive_score - negative_score`` (GDELT's average tone; usually within -10..+10).
``polarity``
    ``positive_score + negative_score``: how emotionally charged the text is, whatever the sign.
``activity_density``
    Percent of words whose lemma is in the activity list (verbs of physical and political action).
``self_group_density``
    Percent of words that are first-person pronouns (``I``, ``we``, ``our`` ...).

Word lists (``analysis/resources/``, one lower-case word a line, ``#`` comments):

* ``tone_positive.txt`` / ``tone_negative.txt``: every alphabetic word of vaderSentiment's
  lexicon (MIT licence, C.J. Hutto) with valence >= +1 / <= -1 after this project's news
  adjustments (``news_lexicon.txt``); rebuilt by :func:`build_tone_lists`.
* ``activity.txt``: action verbs written for this project (matched on the lemma).
* ``self_group.txt``: first-person singular and plural pronouns.

Words inside named entities (people, organisations, places, laws, events) are counted in
``word_count`` but never as tone words, so "Liberty Party" or "Peace Corps" add no tone. As in
GDELT, there is no negation handling: this is a dictionary measure of word choice; use
:mod:`analysis.sentiment` for sentence-level sentiment.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping

import pandas as pd

from analysis import config, features
from analysis.lexicon import TERM_ENTITY_LABELS, read_word_list

TONE_COLUMNS = features.columns("tone")
#: Entity labels whose words are names, not tone.
NAME_LABELS = TERM_ENTITY_LABELS
_LIST_FILES = {
    "positive": "tone_positive.txt",
    "negative": "tone_negative.txt",
    "activity": "activity.txt",
    "self_group": "self_group.txt",
}


@functools.lru_cache(maxsize=1)
def word_lists() -> dict[str, frozenset[str]]:
    """Return the four tone word lists (``positive``, ``negative``, ``activity``, ``self_group``).

    Returns
    -------
    dict of str to frozenset of str
        Lower-case words read from ``analysis/resources/``.
    """
    return {
        key: frozenset(word.lower() for word in read_word_list(name))
        for key, name in _LIST_FILES.items()
    }


def tone_counts(tokens: Iterable) -> dict[str, int]:
    """Count words, tone words, activity words and self/group pronouns in spaCy tokens.

    Parameters
    ----------
    tokens : iterable of spacy.tokens.Token
        A Doc or a Span.

    Returns
    -------
    dict of str to int
        ``word_count``, ``positive``, ``negative``, ``activity``, ``self_group``.
    """
    lists = word_lists()
    pos, neg, act, selfg = (
        lists["positive"],
        lists["negative"],
        lists["activity"],
        lists["self_group"],
    )
    counts = dict.fromkeys(("word_count", "positive", "negative", "activity", "self_group"), 0)
    for tok in tokens:
        if not any(ch.isalpha() for ch in tok.text):
            continue
        counts["word_count"] += 1
        low = tok.lower_.replace("’", "'")
        # "US" is the country, not the pronoun; "I" is the only capitalised pronoun.
        if low in selfg and not (len(tok.text) > 1 and tok.text.isupper()):
            counts["self_group"] += 1
            continue
        if tok.ent_type_ in NAME_LABELS:
            continue
        lemma = tok.lemma_.lower()
        if low in pos or (lemma in pos and low not in neg):
            counts["positive"] += 1
        elif low in neg or lemma in neg:
            counts["negative"] += 1
        if lemma in act and tok.pos_ in ("VERB", "NOUN"):
            counts["activity"] += 1
    return counts


def tone_row(article_id: str, counts: Mapping[str, int]) -> dict:
    """Turn :func:`tone_counts` into a ``tone`` table row (percentages of words)."""
    n = counts["word_count"]

    def pct(key: str) -> float:
        return round(100.0 * counts[key] / n, 4) if n else 0.0

    positive, negative = pct("positive"), pct("negative")
    return {
        "article_id": article_id,
        "tone": round(positive - negative, 4),
        "positive_score": positive,
        "negative_score": negative,
        "polarity": round(positive + negative, 4),
        "activity_density": pct("activity"),
        "self_group_density": pct("self_group"),
        "word_count": int(n),
    }


def extract_tone(doc, article: Mapping) -> list[dict]:
    """Return the ``tone`` table row of one article (a list of one dict).

    Parameters
    ----------
    doc : spacy.tokens.Doc
        The parse of ``normalise_for_parse(article["text"])``.
    article : mapping
        At least ``article_id``.

    Returns
    -------
    list of dict
        One row with the columns of :data:`TONE_COLUMNS`.
    """
    return [tone_row(article["article_id"], tone_counts(doc))]


def tone_table(docs: Iterable, articles: pd.DataFrame) -> pd.DataFrame:
    """Return the ``tone`` table for parsed ``docs`` of the ``articles`` table, in order."""
    rows: list[dict] = []
    for doc, article in zip(docs, articles.to_dict("records"), strict=False):
        rows += extract_tone(doc, article)
    return pd.DataFrame(rows, columns=list(TONE_COLUMNS))


def build_tone_lists(threshold: float = 1.0) -> tuple[int, int]:
    """Rewrite ``tone_positive.txt`` and ``tone_negative.txt`` from the news-adjusted VADER lexicon.

    Parameters
    ----------
    threshold : float, default 1.0
        Minimum absolute valence (VADER's -4..+4 scale) of a tone word.

    Returns
    -------
    tuple of int
        Number of positive and negative words written.
    """
    from analysis.sentiment import news_lexicon

    lex = news_lexicon()
    word = re.compile(r"[a-z][a-z'-]*[a-z]")
    header = (
        "# {kind} words of analysis.tone (GDELT-style tone), one lower-case word a line.\n"
        "# Derived, not hand-picked: every alphabetic entry of vaderSentiment's vader_lexicon.txt (MIT\n"
        "# licence, C.J. Hutto, https://github.com/cjhutto/vaderSentiment) with valence {cmp}, after the\n"
        "# news adjustments of news_lexicon.txt (written for this project). Emoticons and slang\n"
        "# abbreviations with non-letter characters are left out. Rebuild with:\n"
        '#   python -c "from analysis.tone import build_tone_lists; build_tone_lists()"\n'
    )
    sizes = []
    for kind, name, keep, cmp in (
        ("Positive", _LIST_FILES["positive"], lambda v: v >= threshold, f">= +{threshold:.1f}"),
        ("Negative", _LIST_FILES["negative"], lambda v: v <= -threshold, f"<= -{threshold:.1f}"),
    ):
        words = sorted(w for w, v in lex.items() if keep(v) and word.fullmatch(w))
        text = header.format(kind=kind, cmp=cmp) + "\n".join(words) + "\n"
        (config.RESOURCES_DIR / name).write_text(text, encoding="utf-8")
        sizes.append(len(words))
    read_word_list.cache_clear()  # the files changed under the reader's cache
    word_lists.cache_clear()
    return sizes[0], sizes[1]


def tone_over_time(
    tone_df: pd.DataFrame,
    articles: pd.DataFrame,
    *,
    freq: str = "D",
    by: str | None = None,
) -> pd.DataFrame:
    """Mean tone per period (and per outlet), from the articles' ``published`` dates.

    Parameters
    ----------
    tone_df : pandas.DataFrame
        The ``tone`` table.
    articles : pandas.DataFrame
        The articles table (``article_id``, ``published`` as dates or ISO text).
    freq : str, default "D"
        pandas period alias: "D", "W", "M" (months) or "Y".
    by : str, optional
        An articles column to split by (an outlet column such as ``outlet`` or ``source``); it
        comes back as ``outlet``.

    Returns
    -------
    pandas.DataFrame
        ``period`` (timestamp of the period start), [``outlet``,] ``tone``, ``polarity``,
        ``n_articles``; empty when no article has a date.
    """
    cols = ["period", *(["outlet"] if by else []), "tone", "polarity", "n_articles"]
    keep = ["article_id", "published", *([by] if by else [])]
    df = tone_df.merge(articles[keep], on="article_id", how="inner")
    df["published"] = pd.to_datetime(df["published"], errors="coerce")
    df = df.dropna(subset=["published"])
    if df.empty:
        return pd.DataFrame(columns=cols)
    df["period"] = df["published"].dt.to_period("M" if freq == "M" else freq).dt.start_time
    keys = ["period", *([by] if by else [])]
    out = (
        df.groupby(keys, sort=True)
        .agg(tone=("tone", "mean"), polarity=("polarity", "mean"), n_articles=("tone", "size"))
        .reset_index()
    )
    if by:
        out = out.rename(columns={by: "outlet"})
    return out[cols]


def tone_by_group(tone_df: pd.DataFrame, articles: pd.DataFrame, by: str) -> pd.DataFrame:
    """Mean tone, polarity and densities per value of an articles column (an outlet, say).

    Returns
    -------
    pandas.DataFrame
        ``by``, ``tone``, ``positive_score``, ``negative_score``, ``polarity``,
        ``activity_density``, ``self_group_density``, ``n_articles``; sorted by tone.
    """
    df = tone_df.merge(articles[["article_id", by]], on="article_id", how="inner")
    measures = [c for c in TONE_COLUMNS if c not in ("article_id", "word_count")]
    out = df.groupby(by, sort=True)[measures].mean()
    out["n_articles"] = df.groupby(by, sort=True).size()
    return out.reset_index().sort_values("tone").reset_index(drop=True)


#: Articles columns that may name the outlet, in order of preference.
OUTLET_COLUMNS = ("outlet", "publisher", "agency")


def pick_outlet_column(articles: pd.DataFrame, candidates=OUTLET_COLUMNS) -> str:
    """Return the first of ``candidates`` that names two or more outlets, else ``""``.

    ``source`` is left out on purpose: for a folder of ``.txt`` files it holds file paths.
    """
    for col in candidates:
        if col in articles.columns and articles[col].dropna().nunique() >= 2:
            return col
    return ""
