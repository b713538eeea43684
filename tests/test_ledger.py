"""Ledgers: feature rows traced back to the sentence that holds them."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.ledger import QUOTE_LEDGER_COLUMNS, pair_sentences, quote_ledger, with_sentence

# Two articles; the second has its sentences listed out of order on purpose.
TEXT_A = "Abbas said it was “postponed”. He added: “We will see. Maybe later.” Kayani met Fox."
TEXT_B = "Gilani spoke. Khar left."


def _sentences(article_id: str, text: str, parts: list[str], numbers: list[int]) -> list[dict]:
    return [
        {
            "article_id": article_id,
            "sentence": n,
            "start": text.index(p),
            "end": text.index(p) + len(p),
            "text": p,
        }
        for p, n in zip(parts, numbers, strict=True)
    ]


SENTENCES = pd.DataFrame(
    _sentences(
        "a",
        TEXT_A,
        [
            "Abbas said it was “postponed”.",
            "He added: “We will see.",
            "Maybe later.”",
            "Kayani met Fox.",
        ],
        [0, 1, 2, 3],
    )
    + _sentences("b", TEXT_B, ["Khar left.", "Gilani spoke."], [1, 0])
)


@pytest.mark.parametrize(
    ("article_id", "start", "end", "sentence", "sentence_text"),
    [
        ("a", 19, 28, 0, "Abbas said it was “postponed”."),
        # A quotation running over two sentences carries both.
        ("a", 42, 67, 1, "He added: “We will see. Maybe later.”"),
        ("a", 69, 75, 3, "Kayani met Fox."),
        ("b", 14, 18, 1, "Khar left."),
        ("b", 0, 6, 0, "Gilani spoke."),
        # An article the sentences table does not hold, and missing offsets: no sentence.
        ("c", 0, 5, None, None),
        ("a", None, None, None, None),
    ],
)
def test_with_sentence(article_id, start, end, sentence, sentence_text):
    table = pd.DataFrame({"article_id": [article_id], "start": [start], "end": [end]}).astype(
        {"start": "Int64", "end": "Int64"}
    )
    out = with_sentence(table, SENTENCES)
    got = out["sentence"].iat[0]
    assert (None if pd.isna(got) else int(got)) == sentence
    assert out["sentence_text"].iat[0] == sentence_text


def test_with_sentence_keeps_rows_and_order():
    table = pd.DataFrame({"article_id": ["b", "a", "a"], "start": [14, 69, 0], "end": [18, 75, 5]})
    out = with_sentence(table, SENTENCES)
    assert list(out["start"]) == [14, 69, 0]
    assert out["sentence"].tolist() == [1, 3, 0]
    assert with_sentence(table.iloc[:0], SENTENCES).columns[-2:].tolist() == [
        "sentence",
        "sentence_text",
    ]


def test_quote_ledger_shows_what_the_attribution_was_made_from():
    quotes = pd.DataFrame(
        {
            "article_id": ["a", "a"],
            "start": [42, 19],
            "end": [67, 28],
            "quote": ["We will see. Maybe later.", "postponed"],
            "kind": ["direct", "partial"],
            "cue": ["add", "say"],
            "speaker": ["Athar Abbas", "Athar Abbas"],
            "speaker_start": [31, 0],
            "speaker_end": [33, 5],
            "speaker_kind": ["person", "person"],
        }
    )
    articles = pd.DataFrame({"article_id": ["a", "b"], "text": [TEXT_A, TEXT_B]})
    ledger = quote_ledger(quotes, SENTENCES, articles)
    assert list(ledger.columns) == list(QUOTE_LEDGER_COLUMNS)
    assert ledger["quote"].tolist() == ["postponed", "We will see. Maybe later."]
    assert ledger["attributed_as"].tolist() == ["Abbas", "He"]
    assert ledger["sentence"].tolist() == [0, 1]
    # Without the articles table the ledger still has every column, the attribution unknown.
    assert quote_ledger(quotes, SENTENCES)["attributed_as"].isna().all()


def test_pair_sentences_points_at_the_first_sentence_naming_both():
    mentions = pd.DataFrame(
        {
            "article_id": ["a", "a", "a", "b", "b"],
            "start": [0, 69, 80, 0, 14],
            "end": [5, 75, 83, 6, 18],
            "actor": ["Athar Abbas", "Ashfaq Kayani", "Liam Fox", "Yousuf Raza Gilani", "Khar"],
        }
    )
    pairs = pd.DataFrame(
        {
            "actor_a": ["Ashfaq Kayani", "Khar", "Athar Abbas"],
            "actor_b": ["Liam Fox", "Yousuf Raza Gilani", "Liam Fox"],
            "count": [1, 1, 1],
        }
    )
    out = pair_sentences(pairs, mentions, SENTENCES)
    assert out["article_id"].iat[0] == "a"
    assert out["article_id"].iloc[1:].isna().all()
    assert out["sentence"].iat[0] == 3
    assert out["sentence_text"].iat[0] == "Kayani met Fox."
    assert out["sentence"].iloc[1:].isna().all()


def test_with_sentence_keeps_articles_apart_when_sentences_are_interleaved():
    # Sentence rows of two articles, interleaved and out of order: each row is found in its
    # own article's sentences, in offset order.
    sentences = pd.DataFrame(
        {
            "article_id": ["b", "a", "b", "a", "c"],
            "sentence": [1, 1, 0, 0, 0],
            "start": [30, 20, 0, 0, 0],
            "text": ["B one.", "A one.", "B zero.", "A zero.", "C zero."],
        }
    )
    table = pd.DataFrame(
        {
            "article_id": ["a", "b", "b", "a", "z"],
            "start": [25, 5, 35, 5, 1],
            "end": [28, 35, 40, 25, 2],
        }
    )
    out = with_sentence(table, sentences)
    assert out["sentence"].tolist() == [1, 0, 1, 0, pd.NA]
    assert out["sentence_text"].tolist() == [
        "A one.",
        "B zero. B one.",
        "B one.",
        "A zero. A one.",
        None,
    ]
