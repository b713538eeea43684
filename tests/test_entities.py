"""Tests for analysis.entities: cleaned mentions of the seed, the actors table and co-mentions."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.actors import ACTOR_EXTRA_COLUMNS
from analysis.entities import (
    ACTOR_COLUMNS,
    MENTION_COLUMNS,
    actor_table,
    co_mentions,
    extract_mentions,
    mentions,
)
from analysis.nlp import normalise_for_parse

SEED_ID = "000_fbdc2a47216796c1"


@pytest.fixture(scope="module")
def seed_article(seed_text) -> dict:
    return {"article_id": SEED_ID, "text": seed_text, "published": None, "headline": ""}


@pytest.fixture(scope="module")
def seed_rows(nlp, seed_article) -> list[dict]:
    doc = nlp(normalise_for_parse(seed_article["text"]))
    return extract_mentions(doc, seed_article)


def row_at(rows: list[dict], text: str, context: str, full_text: str) -> dict:
    """The mention row whose text is ``text`` inside the first occurrence of ``context``."""
    at = full_text.index(context) + context.index(text)
    found = [r for r in rows if r["start"] == at and r["end"] == at + len(text)]
    assert found, f"no mention {text!r} at {at}; mentions near: " + repr(
        [(r["text"], r["label"]) for r in rows if abs(r["start"] - at) < 40]
    )
    return found[0]


@pytest.mark.parametrize(
    ("context", "text", "label", "title", "actor"),
    [
        # Titles and ranks split off; the model tags "General Ashfaq Kayani" ORG.
        ("General Ashfaq Kayani, had", "Ashfaq Kayani", "PERSON", "General", "Ashfaq Kayani"),
        ("Prime Minister Yousuf Raza Gilani", "Yousuf Raza Gilani", "PERSON", "Prime Minister", "Yousuf Raza Gilani"),
        ("Foreign Minister Hina Rabbani Khar", "Hina Rabbani Khar", "PERSON", "Foreign Minister", "Hina Rabbani Khar"),
        ("Admiral Mike Mullen", "Mike Mullen", "PERSON", "Admiral", "Mike Mullen"),
        ("Defence Secretary Liam Fox", "Liam Fox", "PERSON", "Defence Secretary", "Liam Fox"),
        ("US ambassador Cameron Munter", "Cameron Munter", "PERSON", "ambassador", "Cameron Munter"),
        ("General Athar Abbas", "Athar Abbas", "PERSON", "General", "Athar Abbas"),
        ("General James Mattis", "James Mattis", "PERSON", "General", "James Mattis"),
        # Short forms resolve to the full name within the article.
        ("Kayani, who faced", "Kayani", "PERSON", None, "Ashfaq Kayani"),
        ("Abbas put the decision", "Abbas", "PERSON", None, "Athar Abbas"),
        ("over the bin Laden raid", "bin Laden", "PERSON", None, "Osama bin Laden"),
        # Possessive stripped (curly apostrophe), and the model's ORG becomes the person.
        ("Gilani’s office", "Gilani", "PERSON", None, "Yousuf Raza Gilani"),
        ("The Karachi Stock Exchange’s", "Karachi Stock Exchange", "ORG", None, "Karachi Stock Exchange"),
        # A family name in the plural, or as a modifier, is the group the article names.
        ("blaming the Haqqanis", "Haqqanis", "ORG", None, "Haqqani network"),
        ("contacts” with the Haqqanis", "Haqqanis", "ORG", None, "Haqqani network"),
        ("al Qaeda-linked Haqqani extremists", "Haqqani", "ORG", None, "Haqqani network"),
        ("the Haqqani network, which", "Haqqani network", "ORG", None, "Haqqani network"),
        ("former CIA asset Jalaluddin Haqqani", "Jalaluddin Haqqani", "PERSON", None, "Jalaluddin Haqqani"),
        # A leading "the" is not part of the name; aliases give one actor per country.
        ("The White House has", "White House", "ORG", None, "White House"),
        ("Pakistan and the United States", "United States", "GPE", None, "United States"),
        ("mounting US demands", "US", "GPE", None, "United States"),
        ("the UN General Assembly", "UN General Assembly", "ORG", None, "UN General Assembly"),
        ("the US Central Command", "US Central Command", "ORG", None, "US Central Command"),
        # The agency a source talks to is the story's source, not an actor: a mention, no actor.
        ("security official told AFP", "AFP", "ORG", None, None),
    ],
)  # fmt: skip
def test_seed_mentions(seed_rows, seed_text, context, text, label, title, actor):
    row = row_at(seed_rows, text, context, seed_text)
    assert (row["text"], row["label"], row["title"], row["actor"]) == (text, label, title, actor)
    if title is not None:
        # The title's own span sits right before the name.
        assert seed_text[row["title_start"] : row["title_end"]] == title
        assert seed_text[row["title_end"] : row["start"]] == " "


@pytest.mark.parametrize(
    ("context", "text"),
    [
        ("Defence Secretary", "Defence"),  # the model's ORG "Defence" is part of a title
        ("Gilani’s office", "Gilani’s"),
        ("The Karachi Stock Exchange’s", "The Karachi Stock Exchange’s"),
        ("The White House", "The White House"),
    ],
)
def test_seed_spans_the_clean_up_removes(seed_rows, seed_text, context, text):
    at = seed_text.index(context) + context.index(text)
    spans = {(r["start"], r["end"], r["label"]) for r in seed_rows}
    assert not any(s == at and e == at + len(text) for s, e, _ in spans)


def test_seed_index_value_is_never_a_date(seed_rows, seed_text):
    row = row_at(seed_rows, "11,265.03", "close at 11,265.03", seed_text)
    assert (row["label"], row["model_label"], row["actor"]) == ("CARDINAL", "DATE", None)
    assert "11,265.03" not in {r["text"] for r in seed_rows if r["label"] == "DATE"}


def test_seed_rows_follow_the_table_contract(seed_rows, seed_text):
    assert len(seed_rows) > 80
    for row in seed_rows:
        assert list(row)[: len(MENTION_COLUMNS)] == list(MENTION_COLUMNS)
        assert row["article_id"] == SEED_ID
        assert seed_text[row["start"] : row["end"]] == row["text"]
    starts = [r["start"] for r in seed_rows]
    assert starts == sorted(starts)
    persons = {r["actor"] for r in seed_rows if r["label"] == "PERSON"}
    assert persons == {
        "Osama bin Laden", "Jalaluddin Haqqani", "Sirajuddin", "Ashfaq Kayani", "Liam Fox",
        "Athar Abbas", "Yousuf Raza Gilani", "Hina Rabbani Khar", "Cameron Munter",
        "Salman Bashir", "James Mattis", "Mike Mullen",
    }  # fmt: skip


def test_seed_sentence_numbers_match_the_sentences_table(nlp, seed_article, seed_rows):
    from analysis.nlp import extract_sentences

    doc = nlp(normalise_for_parse(seed_article["text"]))
    sentences = {s["sentence"]: s for s in extract_sentences(doc, seed_article)}
    for row in seed_rows:
        sent = sentences[row["sentence"]]
        assert sent["start"] <= row["start"] and row["end"] <= sent["end"]


@pytest.mark.parametrize("tail", [" afp", " AFP", "\n\n-- AFP", " Reuters"])
def test_agency_tag_is_never_a_person(nlp, seed_text, tail):
    text = seed_text + tail
    rows = extract_mentions(nlp(normalise_for_parse(text)), {"article_id": "x", "text": text})
    assert not [
        r for r in rows if r["label"] == "PERSON" and r["text"].lower() in {"afp", "reuters"}
    ]
    # The sign-off itself is no mention at all.
    assert max(r["end"] for r in rows) <= len(seed_text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # (text, [(mention, label, title, actor), ...] for the name labels)
        (
            "President Barack Obama met Chancellor Angela Merkel in Berlin.",
            [("Barack Obama", "PERSON", "President", "Barack Obama"),
             ("Angela Merkel", "PERSON", "Chancellor", "Angela Merkel"),
             ("Berlin", "GPE", None, "Berlin")],
        ),
        (
            "Secretary of State Hillary Clinton said Clinton’s trip was over.",
            [("Hillary Clinton", "PERSON", "Secretary of State", "Hillary Clinton"),
             ("Clinton", "PERSON", None, "Hillary Clinton")],
        ),
        (
            "Lieutenant General Khalid Rabbani said the army would move.",
            [("Khalid Rabbani", "PERSON", "Lieutenant General", "Khalid Rabbani")],
        ),
        # A rank that starts a company's name is no title.
        ("General Motors said on Monday it would cut 2,000 jobs.", [("General Motors", "ORG", None, "General Motors")]),
        ("Reuters reported the deal on Friday.", []),
        ("Reuters cut 300 jobs in London, Reuters said.", [("Reuters", "ORG", None, "Reuters"), ("London", "GPE", None, "London"), ("Reuters", "ORG", None, "Reuters")]),
        # Credits name the journalists, not actors of the story.
        ("Prices rose on Tuesday.\n\n(Reporting by John Smith; Editing by Jane Doe)", []),
        # Scores after a name are not part of it.
        ("He was bowled out for 296 with Andy Caddick 4-43 taking three.", [("Andy Caddick", "PERSON", None, "Andy Caddick")]),
        ("The Senate passed the bill and the European Union welcomed it.",
         [("Senate", "ORG", None, "Senate"), ("European Union", "ORG", None, "European Union")]),
        # A wire's units are no actors, whatever the model tags them ("cts" as ORG).
        ("ChemLawn Corp said it raised its quarterly dividend to 12 cts a share from 10 cts.",
         [("ChemLawn Corp", "ORG", None, "ChemLawn Corp")]),
    ],
)  # fmt: skip
def test_clean_up_on_small_texts(nlp, text, expected):
    got = [
        (m.text, m.label, m.title, m.actor)
        for m in mentions(nlp(normalise_for_parse(text)), {"text": text})
        if m.actor is not None
    ]
    assert got == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # An opening parenthesis the model left open starts a second name.
        (
            "The region grew. The Inter-American Development Bank (IADB) said growth was strong.",
            [("Inter-American Development Bank", "ORG"), ("IADB", "ORG")],
        ),
        # A trailing dash and article are not part of the name.
        (
            "The region grew, the European Union - the biggest donor - agreed.",
            [("European Union", "ORG")],
        ),
    ],
)
def test_entity_edges(nlp, text, expected):
    got = [(m.text, m.label) for m in mentions(nlp(normalise_for_parse(text))) if m.actor]
    assert got == expected


def test_without_a_parser_nothing_breaks():
    from analysis.nlp import load_nlp

    nlp = load_nlp(disable=("parser",))
    text = "Prime Minister Yousuf Raza Gilani met General Ashfaq Kayani. Kayani left."
    got = [(m.text, m.title, m.actor, m.sentence) for m in mentions(nlp(text))]
    assert got == [
        ("Yousuf Raza Gilani", "Prime Minister", "Yousuf Raza Gilani", None),
        ("Ashfaq Kayani", "General", "Ashfaq Kayani", None),
        ("Kayani", None, "Ashfaq Kayani", None),
    ]
    assert list(mentions(nlp(""))) == []


def test_a_verb_is_no_title(nlp):
    text = "He will miss England's opening match."
    found = [m for m in mentions(nlp(normalise_for_parse(text))) if m.text == "England"]
    assert [m.title for m in found] == [None]


def mention_frame(rows: list[tuple]) -> pd.DataFrame:
    cols = ["article_id", "start", "end", "text", "label", "title", "actor", "sentence"]
    return pd.DataFrame(rows, columns=cols)


MENTIONS = mention_frame(
    [
        ("a1", 0, 13, "Ashfaq Kayani", "PERSON", "General", "Ashfaq Kayani", 0),
        ("a1", 20, 28, "Pakistan", "GPE", None, "Pakistan", 0),
        ("a1", 40, 46, "Kayani", "PERSON", None, "Ashfaq Kayani", 1),
        ("a1", 50, 56, "Monday", "DATE", None, None, 1),
        ("a1", 60, 62, "US", "GPE", None, "United States", 1),
        ("a2", 0, 8, "Pakistan", "GPE", None, "Pakistan", 0),
        ("a2", 10, 23, "United States", "GPE", None, "United States", 0),
        ("a2", 30, 36, "Kayani", "PERSON", None, "Kayani", 2),
        ("a3", 0, 8, "Pakistan", "GPE", None, "Pakistan", 0),
        ("a3", 10, 18, "Haqqanis", "ORG", None, "Haqqani network", 0),
        ("a3", 20, 27, "Haqqani", "GPE", None, "Haqqani network", 1),
        ("a3", 30, 38, "Haqqanis", "ORG", None, "Haqqani network", 1),
    ]
)
ARTICLES = pd.DataFrame(
    {"article_id": ["a1", "a2", "a3"], "published": ["2011-09-26", None, "2011-09-20"]}
)


def test_actor_table_counts_aliases_and_dates():
    table = actor_table(MENTIONS, ARTICLES)
    assert list(table.columns) == [*ACTOR_COLUMNS, *ACTOR_EXTRA_COLUMNS]
    rows = {r["actor"]: r for r in table.to_dict("records")}
    assert table["actor"].tolist()[:2] == ["Haqqani network", "Pakistan"]  # 3 each, by name
    assert rows["Pakistan"] == {
        "actor": "Pakistan", "label": "GPE", "aliases": ["Pakistan"], "n_mentions": 3,
        "n_articles": 3, "first_seen": "2011-09-20", "last_seen": "2011-09-26", "country": None,
    }  # fmt: skip
    assert rows["Ashfaq Kayani"]["aliases"] == ["Ashfaq Kayani", "Kayani"]
    assert (rows["Ashfaq Kayani"]["n_mentions"], rows["Ashfaq Kayani"]["n_articles"]) == (2, 1)
    assert rows["United States"]["aliases"] == ["US", "United States"]
    assert rows["Haqqani network"]["label"] == "ORG"  # the label it carries most often
    # Article a2 has no date: an actor seen only there has none either.
    assert (rows["Kayani"]["first_seen"], rows["Kayani"]["last_seen"]) == (None, None)
    assert "Monday" not in rows  # values (dates, amounts) are no actors


def test_actor_table_without_articles_and_empty():
    table = actor_table(MENTIONS)
    assert table["first_seen"].isna().all()
    assert actor_table(MENTIONS.iloc[:0], ARTICLES).columns.tolist() == [
        *ACTOR_COLUMNS,
        *ACTOR_EXTRA_COLUMNS,
    ]
    assert actor_table(MENTIONS, ARTICLES, labels=["ORG"])["actor"].tolist() == ["Haqqani network"]
    with pytest.raises(ValueError, match="DATE"):
        actor_table(MENTIONS, labels=["DATE"])


@pytest.mark.parametrize(
    ("by", "expected"),
    [
        (
            "article",
            [("Pakistan", "United States", 2, ["a1", "a2"]),
             ("Ashfaq Kayani", "Pakistan", 1, ["a1"]),
             ("Ashfaq Kayani", "United States", 1, ["a1"]),
             ("Haqqani network", "Pakistan", 1, ["a3"]),
             ("Kayani", "Pakistan", 1, ["a2"]),
             ("Kayani", "United States", 1, ["a2"])],
        ),
        (
            "sentence",
            [("Ashfaq Kayani", "Pakistan", 1, ["a1"]),
             ("Ashfaq Kayani", "United States", 1, ["a1"]),
             ("Haqqani network", "Pakistan", 1, ["a3"]),
             ("Pakistan", "United States", 1, ["a2"])],
        ),
    ],
)  # fmt: skip
def test_co_mentions(by, expected):
    pairs = co_mentions(MENTIONS, by=by)
    got = list(
        zip(pairs["actor_a"], pairs["actor_b"], pairs["count"], pairs["article_ids"], strict=True)
    )
    assert got == expected
    assert (pairs["actor_a"] < pairs["actor_b"]).all()


def test_co_mentions_options():
    assert co_mentions(MENTIONS, min_count=2)["actor_a"].tolist() == ["Pakistan"]
    only_people = co_mentions(MENTIONS, labels=["PERSON"])
    assert len(only_people) == 0 and "label_a" in only_people.columns
    with pytest.raises(ValueError, match="'paragraph'"):
        co_mentions(MENTIONS, by="paragraph")


def test_actor_table_on_the_seed(seed_rows):
    table = actor_table(
        pd.DataFrame(seed_rows),
        pd.DataFrame({"article_id": [SEED_ID], "published": ["2011-09-26"]}),
    )
    rows = {r["actor"]: r for r in table.to_dict("records")}
    assert rows["Ashfaq Kayani"]["aliases"] == ["Ashfaq Kayani", "Kayani"]
    assert rows["Haqqani network"]["n_mentions"] == 6
    assert sorted(rows["Haqqani network"]["aliases"]) == ["Haqqani", "Haqqani network", "Haqqanis"]
    assert rows["Yousuf Raza Gilani"]["n_mentions"] == 2
    assert rows["United States"]["aliases"][0] == "US"
    assert rows["Pakistan"]["first_seen"] == rows["Pakistan"]["last_seen"] == "2011-09-26"


def test_actor_table_merges_surnames_across_articles_on_request():
    plain = actor_table(MENTIONS, ARTICLES)
    assert "Kayani" in set(plain["actor"])
    merged = actor_table(MENTIONS, ARTICLES, merge_surnames=True)
    row = merged[merged["actor"] == "Ashfaq Kayani"].iloc[0]
    assert "Kayani" not in set(merged["actor"])
    assert (row["n_mentions"], row["n_articles"], row["aliases"]) == (
        3,
        2,
        ["Kayani", "Ashfaq Kayani"],
    )
    assert (row["first_seen"], row["last_seen"]) == ("2011-09-26", "2011-09-26")
