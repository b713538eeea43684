"""Tests for the actor clean-up: merged forms, demonyms, labels, sources, and the actors file."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from spacy.tokens import Span

from analysis.actors import (
    ActorsFileError,
    actor_table,
    apply_actor_edits,
    co_mentions,
    find_actors_file,
    read_actors_file,
)
from analysis.cli import main
from analysis.corpus import load_corpus
from analysis.entities import mentions
from analysis.nlp import normalise_for_parse
from analysis.store import read_table


def actors_of(nlp, text: str) -> list[tuple[str, str, str | None]]:
    return [
        (m.text, m.label, m.actor) for m in mentions(nlp(normalise_for_parse(text)), {"text": text})
    ]


def with_ents(nlp, text: str, ents: list[tuple[str, int, str]]):
    """Parse ``text`` and give it the entities ``(word, occurrence, label)``, as a model might."""
    doc = nlp(normalise_for_parse(text))
    spans = []
    for word, nth, label in ents:
        at = -1
        for _ in range(nth + 1):
            at = text.index(word, at + 1)
        spans.append(doc.char_span(at, at + len(word), label=label))
    doc.ents = [s for s in spans if isinstance(s, Span)]
    assert len(doc.ents) == len(ents)
    return doc


# --- within an article ----------------------------------------------------------------------------


def test_party_and_broadcaster_forms_share_one_actor(nlp):
    text = (
        "Tory leader Michael Howard attacked the plan. The Tories said the Conservatives would win."
        " The programme was shown on BBC News on Monday. The BBC said viewers complained."
    )
    got = {(t, a) for t, _, a in actors_of(nlp, text)}
    assert {("Tory", "Conservative Party"), ("Tories", "Conservative Party")} <= got
    assert {("Conservatives", "Conservative Party"), ("BBC News", "BBC"), ("BBC", "BBC")} <= got


def test_an_acronym_joins_the_name_the_article_spells_out(nlp):
    text = (
        "The International Energy Agency (IEA) cut its forecast on Tuesday. The IEA said demand "
        "in China would slow. The Organisation for Economic Cooperation and Development said "
        "growth would slow. The OECD cut its forecast."
    )
    got = {(t, a) for t, _, a in actors_of(nlp, text)}
    assert {
        ("IEA", "International Energy Agency"),
        ("OECD", "Organisation for Economic Cooperation and Development"),
    } <= got
    assert not {("IEA", "IEA"), ("OECD", "OECD")} & got
    # A name holding the acronym is no expansion of it ("EC Commission" is E-C-C).
    text = "EC ministers met. The EC Commission said farm prices would rise."
    assert ("EC", "European Community") in {(t, a) for t, _, a in actors_of(nlp, text)}


@pytest.mark.parametrize(
    "text",
    [
        "\u201cWe will cut rates,\u201d a central bank official told Reuters on Monday.",
        "Managing director Tim Osborne told the Reuters news agency that talks had failed.",
        "Reuters reported the deal on Friday.",
        "Prices fell, according to Reuters calculations.",
        "Prices fell 3 percent, according to Reuters.",
        "A Reuters poll of 20 economists showed growth slowing.",
        "Economists polled by Reuters said that growth should slow.",
    ],
)
def test_the_agency_as_the_story_source_is_no_actor(nlp, text):
    agency = [(t, lab, a) for t, lab, a in actors_of(nlp, text) if t == "Reuters"]
    assert agency and all(a is None for _, _, a in agency)


def test_a_lone_common_noun_is_no_actor(nlp):
    text = "Bank officials said rates would stay. The Bank of England agreed with Government."
    doc = with_ents(
        nlp, text, [("Bank", 0, "ORG"), ("Bank of England", 0, "ORG"), ("Government", 0, "ORG")]
    )
    assert [m.text for m in mentions(doc, {"text": text})] == ["Bank of England"]


def test_the_label_most_mentions_carry_wins(nlp):
    text = "BT said profits rose. Shares in BT fell in London. BT cut 1,000 jobs."
    doc = with_ents(
        nlp, text, [("BT", 0, "ORG"), ("BT", 1, "GPE"), ("London", 0, "GPE"), ("BT", 2, "ORG")]
    )
    got = [(m.text, m.label) for m in mentions(doc, {"text": text})]
    assert got == [("BT", "ORG"), ("BT", "ORG"), ("London", "GPE"), ("BT", "ORG")]


def test_a_surname_of_any_name_label_joins_the_full_name(nlp):
    text = "World Bank President Barber Conable spoke on Tuesday. Conable said lending would rise."
    doc = with_ents(nlp, text, [("Barber Conable", 0, "PERSON"), ("Conable", 1, "FAC")])
    got = [(m.text, m.label, m.actor) for m in mentions(doc, {"text": text})]
    assert got == [
        ("Barber Conable", "PERSON", "Barber Conable"),
        ("Conable", "PERSON", "Barber Conable"),
    ]


def test_a_company_with_shares_is_no_person(nlp):
    text = "Yukos said it would appeal. Shares in Yukos fell. Yukos' shares fell again."
    got = [(t, lab) for t, lab, _ in actors_of(nlp, text) if t == "Yukos"]
    assert got == [("Yukos", "ORG")] * 3


@pytest.mark.parametrize(
    ("text", "name", "label"),
    [
        ("The owners of embattled Russian oil giant Yukos are to ask for damages.", "Yukos", "ORG"),
        ("Yukos' owner Menatep Group says it will appeal.", "Yukos", "ORG"),
        ("Mozilla's Firefox browser has won 10% of the market.", "Firefox", "PRODUCT"),
    ],
)
def test_company_and_product_contexts_are_no_person(nlp, text, name, label):
    got = [lab for t, lab, _ in actors_of(nlp, text) if t == name]
    assert got == [label]


def test_an_accord_named_after_a_place_is_no_person(nlp):
    text = "Finance ministers reaffirmed the Louvre accord on Saturday."
    got = [(t, lab) for t, lab, _ in actors_of(nlp, text) if t == "Louvre"]
    assert got and all(lab != "PERSON" for _, lab in got)


# --- across the corpus ----------------------------------------------------------------------------


def frame(rows):
    return pd.DataFrame(rows, columns=["article_id", "text", "label", "actor"], dtype=object)


MENTIONS = frame(
    [
        ("a1", "European Community", "ORG", "European Community"),
        ("a1", "EC", "ORG", "European Community"),
        ("a2", "EC", "ORG", "EC"),
        ("a2", "Japanese", "NORP", "Japanese"),
        ("a2", "Japan", "GPE", "Japan"),
        ("a2", "English", "LANGUAGE", "English"),
        ("a3", "Tories", "NORP", "Tories"),
        ("a3", "Bank", "ORG", "Bank"),
        ("a3", "BT", "GPE", "BT"),
        ("a3", "Smith, J.", "PERSON", "Smith, J."),
    ]
)


def test_actor_table_links_demonyms_and_spelled_out_acronyms():
    table = actor_table(MENTIONS).set_index("actor")
    assert table.loc["Japanese", "country"] == "Japan"  # linked, not merged
    assert table.loc["Japan", "n_mentions"] == 1 and table.loc["Japan", "country"] is None
    assert table.loc["English", "country"] is None  # a language, not a people
    assert "EC" not in table.index  # a2's lone "EC" joins a1's spelled-out name
    assert table.loc["European Community", "n_articles"] == 2


def test_actors_file_merges_drops_and_labels(fixtures_dir):
    path = fixtures_dir / "actors" / "actors.csv"
    edits = read_actors_file(path)
    assert edits.aliases == {
        "Tories": "Conservative Party",
        "Smith, J.": "John Smith",
        "Michael Howard": "Leader of the Opposition",
    }
    assert edits.drops == {"Bank"} and edits.labels == {"BT": "ORG"}
    for actors in (path, str(path), edits):
        table = actor_table(MENTIONS, actors=actors).set_index("actor")
        assert {"Conservative Party", "John Smith"} <= set(table.index)
        assert not {"Tories", "Bank", "Smith, J."} & set(table.index)
        assert table.loc["BT", "label"] == "ORG"
    kept = apply_actor_edits(MENTIONS, edits)
    assert len(kept) == len(MENTIONS) - 1
    pairs = co_mentions(MENTIONS, actors=path, labels=None)
    assert ("BT", "ORG", "Conservative Party", "NORP") in set(
        zip(pairs["actor_a"], pairs["label_a"], pairs["actor_b"], pairs["label_b"], strict=True)
    )


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("bad_action.csv", "bad_action.csv: line 2: unknown action 'merge'"),
        ("bad_label.csv", "bad_label.csv: line 3: 'COMPANY' is not a name label"),
        (
            "alias_no_value.csv",
            "alias_no_value.csv: line 1: alias row for 'Tories' without a value",
        ),
        ("twice.csv", "twice.csv: line 2: 'Tories' was already given on line 1"),
        ("circle.csv", "circle.csv: line 1: aliases run in a circle"),
        ("missing.csv", "missing.csv: cannot read the actors file"),
    ],
)
def test_bad_actors_file_names_file_and_line(fixtures_dir, name, message):
    with pytest.raises(ActorsFileError, match=message.replace("(", r"\(")):
        read_actors_file(fixtures_dir / "actors" / name)


# --- the command line -----------------------------------------------------------------------------

ARTICLE = (
    "LONDON (Reuters) - The Tories said on Monday they would cut taxes. Bank officials said "
    "rates would stay. Michael Howard, the Conservative leader, said the Tories would win.\n"
)


@pytest.fixture
def corpus(tmp_path, fixtures_dir):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "a1.txt").write_text(ARTICLE, encoding="utf-8")
    shutil.copy(fixtures_dir / "actors" / "actors.csv", folder / "actors.csv")
    return folder


def _extract(corpus, out, *extra):
    return main(
        ["extract", str(corpus), "-o", str(out), "--workers", "1", "--no-cache",
         "--tables", "mentions", *extra]
    )  # fmt: skip


def test_cli_extract_finds_the_folders_actors_file(corpus, tmp_path, capsys):
    assert _extract(corpus, tmp_path / "store") == 0
    err = capsys.readouterr().err
    assert f"actors file: {corpus / 'actors.csv'}" in err and "rejected" not in err
    actors = set(read_table(tmp_path / "store", "actors")["actor"])
    assert "Leader of the Opposition" in actors and "Michael Howard" not in actors
    # The loader does not take the actors file for articles.
    articles, rejects = load_corpus(corpus)
    assert len(articles) == 1 and rejects.empty
    assert find_actors_file([corpus, tmp_path / "elsewhere.txt"]) == corpus / "actors.csv"


def test_cli_extract_bad_actors_file(corpus, tmp_path, fixtures_dir, capsys):
    bad = fixtures_dir / "actors" / "bad_action.csv"
    assert _extract(corpus, tmp_path / "store", "--actors", str(bad)) == 1
    assert f"{bad}: line 2: unknown action 'merge'" in capsys.readouterr().err
    assert not (tmp_path / "store").exists()


def test_feature_store_uses_the_folders_actors_file(corpus, tmp_path, monkeypatch):
    from analysis.store import feature_store

    monkeypatch.setattr("analysis.config.CACHE_DIR", tmp_path / "cache")
    store = feature_store(corpus, tables=("mentions",), progress=False)
    actors = set(read_table(store, "actors")["actor"])
    assert "Leader of the Opposition" in actors and "Michael Howard" not in actors
