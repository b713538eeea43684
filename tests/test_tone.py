"""Tests of analysis.tone: GDELT-style tone, its word lists and the per-period summaries."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.tone import (
    TONE_COLUMNS,
    extract_tone,
    tone_by_group,
    tone_counts,
    tone_over_time,
    tone_row,
    word_lists,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # "We" is a self/group word; "condemn" and "attack" are negative, and "attack" is an
        # activity word (as a noun or a verb).
        (
            "We condemn the attack.",
            {"word_count": 4, "positive": 0, "negative": 2, "activity": 1, "self_group": 1},
        ),
        # "US" is the country, not the pronoun "us"; "United States" is a name.
        (
            "The US and the United States agreed.",
            {"word_count": 7, "positive": 1, "negative": 0, "activity": 0, "self_group": 0},
        ),
        # Numbers and punctuation are not words.
        (
            "Troops stormed 3 villages, 12 %.",
            {"word_count": 3, "positive": 0, "negative": 0, "activity": 1, "self_group": 0},
        ),
        # "victory" is not in VADER's lexicon, so only "wonderful" and "happy" count.
        (
            "Our wonderful victory made us happy.",
            {"word_count": 6, "positive": 2, "negative": 0, "activity": 0, "self_group": 2},
        ),
    ],
)
def test_tone_counts(nlp, text, expected):
    assert tone_counts(nlp(text)) == expected


def test_tone_row_percentages():
    row = tone_row(
        "a", {"word_count": 200, "positive": 4, "negative": 10, "activity": 6, "self_group": 2}
    )
    assert row == {
        "article_id": "a",
        "tone": -3.0,
        "positive_score": 2.0,
        "negative_score": 5.0,
        "polarity": 7.0,
        "activity_density": 3.0,
        "self_group_density": 1.0,
        "word_count": 200,
    }


def test_tone_row_of_empty_article():
    row = tone_row(
        "e", {"word_count": 0, "positive": 0, "negative": 0, "activity": 0, "self_group": 0}
    )
    assert row["tone"] == 0.0 and row["word_count"] == 0


def test_word_lists_are_documented_and_disjoint():
    lists = word_lists()
    assert {"positive", "negative", "activity", "self_group"} == set(lists)
    assert not lists["positive"] & lists["negative"]
    assert {"peace", "ceasefire"} <= lists["positive"]
    assert {"killed", "bombing", "militants"} <= lists["negative"]
    assert "united" not in lists["positive"]


def test_extract_tone_on_seed(nlp, seed_path):
    from analysis.corpus import load_corpus
    from analysis.nlp import parse

    articles, _ = load_corpus([seed_path])
    article = articles.iloc[0].to_dict()
    doc = next(parse([article["text"]], nlp=nlp))
    (row,) = extract_tone(doc, article)
    assert list(row) == list(TONE_COLUMNS)
    assert row["article_id"] == article["article_id"]
    # A story of rows, accusations and attacks: more negative than positive words.
    assert row["negative_score"] > row["positive_score"] > 0
    assert row["tone"] == pytest.approx(row["positive_score"] - row["negative_score"], abs=1e-3)
    assert row["polarity"] == pytest.approx(row["positive_score"] + row["negative_score"], abs=1e-3)
    assert 550 < row["word_count"] < 700
    assert row["self_group_density"] < 1.0  # "we" twice in quotes; "US" is not "us"


def test_tone_over_time_and_by_group():
    tone = pd.DataFrame(
        {
            "article_id": ["a", "b", "c", "d"],
            "tone": [-2.0, -4.0, 1.0, 3.0],
            "positive_score": 1.0,
            "negative_score": 1.0,
            "polarity": [2.0, 4.0, 1.0, 3.0],
            "activity_density": 1.0,
            "self_group_density": 0.0,
            "word_count": 100,
        }
    )
    articles = pd.DataFrame(
        {
            "article_id": ["a", "b", "c", "d"],
            "published": ["2011-09-26", "2011-09-27", "2011-10-02", None],
            "outlet": ["afp", "afp", "bbc", "bbc"],
        }
    )
    monthly = tone_over_time(tone, articles, freq="M")
    assert monthly["tone"].tolist() == [-3.0, 1.0]
    assert monthly["n_articles"].tolist() == [2, 1]
    by_outlet = tone_over_time(tone, articles, freq="M", by="outlet")
    assert by_outlet["outlet"].tolist() == ["afp", "bbc"]
    groups = tone_by_group(tone, articles, "outlet").set_index("outlet")
    assert groups.loc["bbc", "tone"] == 2.0 and groups.loc["afp", "n_articles"] == 2
    undated = tone_over_time(tone, articles.assign(published=None))
    assert undated.empty
