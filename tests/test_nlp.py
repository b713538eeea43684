"""Tests for analysis.nlp: same-length normalisation, parsing and the sentences table."""

from __future__ import annotations

import pytest

from analysis.nlp import (
    SENTENCE_COLUMNS,
    extract_sentences,
    load_nlp,
    normalise_for_parse,
    parse,
)


def wire_body(raw: str) -> str:
    """The story body as the loader emits it: no headline, paragraphs joined, no agency tag."""
    body = raw.split("\n", 1)[1]
    paragraphs = [p.strip() for p in body.replace("\xa0", " ").split("\n\n") if p.strip()]
    return "\n\n".join(paragraphs).removesuffix(" afp")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("one\ntwo", "one two"),  # a hard wrap
        ("one\n\ntwo", "one\n\ntwo"),  # a paragraph break stays
        ("a\xa0b", "a b"),
        ("a\u2028\u2028b", "a\n\nb"),  # line separators become newlines
        ("a\r\nb", "a  b"),
        ("", ""),
    ],
)
def test_normalise_for_parse_keeps_length(text, expected):
    out = normalise_for_parse(text)
    assert out == expected
    assert len(out) == len(text)


def test_load_nlp_is_cached_and_parse_keeps_offsets(nlp):
    assert load_nlp() is nlp
    texts = ["One line\nwrapped here.", "Second\xa0text."]
    docs = list(parse(texts, nlp=nlp))
    assert [d.text for d in docs] == ["One line wrapped here.", "Second text."]
    assert [len(d.text) for d in docs] == [len(t) for t in texts]


@pytest.fixture(scope="module")
def seed_sentences(nlp, seed_path) -> tuple[str, list[dict]]:
    text = wire_body(seed_path.read_text(encoding="utf-8"))
    rows = extract_sentences(nlp(normalise_for_parse(text)), {"article_id": "seed", "text": text})
    return text, rows


def test_seed_sentences_cover_the_nineteen_paragraphs(seed_sentences):
    text, rows = seed_sentences
    assert list(rows[0])[: len(SENTENCE_COLUMNS)] == list(SENTENCE_COLUMNS)
    assert sorted({r["paragraph"] for r in rows}) == list(range(19))
    assert [r["sentence"] for r in rows] == list(range(len(rows)))
    assert all(text[r["start"] : r["end"]] == r["text"] for r in rows)
    assert rows[0]["text"].startswith("ISLAMABAD: Pakistan’s army chief")
    abbas = [r for r in rows if r["paragraph"] == 5]
    assert [r["text"][:12] for r in abbas] == ["Pakistani ar", "Abbas put th"]
    assert rows[-1]["paragraph"] == 18
    assert rows[-1]["text"].endswith("endorsed their attacks.")


def test_seed_has_no_fully_quoted_sentence(seed_sentences):
    _, rows = seed_sentences
    # Every quotation of the seed shares its sentence with the reporter's words.
    assert not any(r["in_quote"] for r in rows)
    official = next(r for r in rows if r["text"].startswith("“These are kind"))
    assert 0.5 < official["quoted_share"] < 1.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Khan spoke on Monday.\n\n“We will not retreat. Our men are ready. "
            "The war goes on,” he said.",
            [False, True, True, False],
        ),
        ("“We will not retreat.”\n\nKhan spoke on Monday.", [True, False]),
        ("Khan said the war goes on.", [False]),
    ],
)
def test_in_quote_flags(nlp, text, expected):
    rows = extract_sentences(nlp(normalise_for_parse(text)), {"article_id": "a", "text": text})
    assert [r["in_quote"] for r in rows] == expected


@pytest.mark.parametrize(
    ("quotes", "expected"),
    [
        (None, [True, False]),  # spans found from the marks
        ([], [False, False]),  # the article's quotes table had no rows
        ([{"start": 1, "end": 21}], [True, False]),
        ([{"start": 1, "end": 21, "kind": "direct"}], [True, False]),
        # Reported speech and non-answers are the reporter's words: never "in quote".
        ([{"start": 1, "end": 21, "kind": "indirect"}], [False, False]),
        ([{"start": 24, "end": 45, "kind": "non_answer"}], [False, False]),
    ],
)
def test_in_quote_from_quote_rows(nlp, quotes, expected):
    text = "“We will not retreat.”\n\nKhan spoke on Monday."
    doc = nlp(normalise_for_parse(text))
    rows = extract_sentences(doc, {"article_id": "a", "text": text}, quotes=quotes)
    assert [r["in_quote"] for r in rows] == expected


def test_doc_text_is_the_docs_text_built_once(nlp, seed_text):
    from analysis.nlp import doc_text, normalise_for_parse

    doc = nlp(normalise_for_parse(seed_text))
    assert doc_text(doc) == doc.text
    # Kept on the Doc: the second read is the same object, not a new join of every token.
    assert doc_text(doc) is doc_text(doc)
    other = nlp("A different article.")
    assert doc_text(other) == "A different article."
