"""Tests for analysis.quotes: quote spans, speakers, the quotes table and per-actor summaries."""

from __future__ import annotations

import pytest

from analysis.nlp import normalise_for_parse
from analysis.quotes import (
    QUOTE_COLUMNS,
    extract_quotes,
    quote_spans,
    quote_table,
    quotes,
    share_of_voice,
    sourcing,
)


def wire_body(raw: str) -> str:
    """The story body as the loader emits it: no headline, paragraphs joined, no agency tag."""
    body = raw.split("\n", 1)[1]
    paragraphs = [p.strip() for p in body.replace("\xa0", " ").split("\n\n") if p.strip()]
    text = "\n\n".join(paragraphs)
    return text.removesuffix(" afp")


@pytest.fixture(scope="module")
def seed_rows(nlp, seed_text) -> list[dict]:
    doc = nlp(normalise_for_parse(seed_text))
    return extract_quotes(doc, {"article_id": "seed", "text": seed_text})


# (start of the quotation, speaker, speaker_kind, mention the attribution was made from, cue)
SEED_QUOTES = [
    ("break any link they have", "White House", "organisation", "White House", "demand"),
    ("postponed indefinitely", "Athar Abbas", "person", "Athar Abbas", "say"),
    ("the current situation at home", "Athar Abbas", "person", "Abbas", "put"),
    ("disarray", "Yousuf Raza Gilani", "person", "he", "dismiss"),
    (
        "Pakistan and US agreed to remove misunderstandings",
        "a foreign office spokesperson",
        "anonymous",
        "a foreign office spokesperson",
        "say",
    ),
    (
        "I don’t think the indicators are as such,",
        "a senior Pakistani security official",
        "anonymous",
        "a senior Pakistani security official",
        "tell",
    ),
    ("consolidate gains", "a senior Pakistani security official", "anonymous", "he", "say"),
    (
        "enduring peace in the region",
        "the Pakistani military",
        "organisation",
        "the Pakistani military",
        "say",
    ),
    ("through mutual trust and cooperation", "the Pakistani military", "organisation", "it", "say"),
    (
        "These are kind of more pressing issues",
        "a senior Pakistani security official",
        "anonymous",
        "the security official",
        "say",
    ),
    ("exporting", "Mike Mullen", "person", "Mike Mullen", "accuse"),
    (
        "indirect contacts",
        "a senior Pakistani security official",
        "anonymous",
        "The Pakistani official who spoke to AFP",
        "confirm",
    ),
]


def test_seed_has_exactly_the_twelve_quotations(seed_rows):
    assert len(seed_rows) == 12
    for row, (start, *_rest) in zip(seed_rows, SEED_QUOTES, strict=True):
        assert row["quote"].startswith(start)
    # The headline's ‘won’t launch’ is not in the body, and no apostrophe opens a quotation.
    assert not any("won’t" in r["quote"] for r in seed_rows)
    assert [r["quote"] for r in seed_rows if "’" in r["quote"]] == [
        "I don’t think the indicators are as such,"
    ]


@pytest.mark.parametrize(("start", "speaker", "kind", "mention", "cue"), SEED_QUOTES)
def test_seed_quotation_speaker(seed_rows, seed_text, start, speaker, kind, mention, cue):
    row = next(r for r in seed_rows if r["quote"].startswith(start))
    assert row["speaker"] == speaker
    assert row["speaker_kind"] == kind
    assert seed_text[row["speaker_start"] : row["speaker_end"]] == mention
    assert row["cue"] == cue
    assert seed_text[row["start"] : row["end"]] == row["quote"]


def test_seed_speakers_without_entity_mentions(nlp, seed_text, seed_rows):
    # With no mentions rows the speaker is the span text, titles stripped, short forms expanded.
    doc = nlp(normalise_for_parse(seed_text))
    rows = extract_quotes(doc, {"article_id": "seed", "text": seed_text}, mentions=[])
    assert [r["speaker"] for r in rows] == [speaker for _, speaker, *_ in SEED_QUOTES]


def test_seed_rows_have_the_design_columns_in_order(seed_rows):
    assert list(seed_rows[0])[: len(QUOTE_COLUMNS)] == list(QUOTE_COLUMNS)
    starts = [r["start"] for r in seed_rows]
    assert starts == sorted(starts)
    kinds = {r["quote"][:12]: r["kind"] for r in seed_rows}
    assert kinds["I don’t thin"] == "direct"
    assert kinds["postponed in"] == "partial"


@pytest.mark.parametrize(
    ("text", "quote", "speaker", "mention"),
    [
        # X said
        (
            "“We will win the vote,” John Smith said.",
            "We will win the vote,",
            "John Smith",
            "John Smith",
        ),
        # said X
        (
            "“We will win the vote,” said John Smith.",
            "We will win the vote,",
            "John Smith",
            "John Smith",
        ),
        # X told AFP
        (
            "“The talks failed,” Ahmed Khan told AFP on Monday.",
            "The talks failed,",
            "Ahmed Khan",
            "Ahmed Khan",
        ),
        # according to X
        (
            "The plan was “dead on arrival,” according to Senator John Smith.",
            "dead on arrival,",
            "John Smith",
            "John Smith",
        ),
        # X was quoted as saying
        (
            "Ahmed Khan was quoted as saying, “We will not retreat.”",
            "We will not retreat.",
            "Ahmed Khan",
            "Ahmed Khan",
        ),
        # quoted X as saying
        (
            "State television quoted Ahmed Khan as saying, “We will not retreat.”",
            "We will not retreat.",
            "Ahmed Khan",
            "Ahmed Khan",
        ),
        # X accused ... of 'exporting'
        (
            "Admiral Mike Mullen accused Pakistan of “exporting” violence to its neighbour.",
            "exporting",
            "Mike Mullen",
            "Mike Mullen",
        ),
        # he / she resolved to the earlier person
        (
            "Ahmed Khan arrived in Kabul on Monday. “We will not retreat,” he said.",
            "We will not retreat,",
            "Ahmed Khan",
            "he",
        ),
        (
            "Maria Lopez arrived in Kabul on Monday. “We will not retreat,” she told reporters.",
            "We will not retreat,",
            "Maria Lopez",
            "she",
        ),
        # it resolved to the earlier organisation
        (
            "The ministry issued a statement. “The army is ready,” it said.",
            "The army is ready,",
            "The ministry",
            "it",
        ),
        # the official resolved to the earlier description
        (
            "A senior official spoke to AFP on Monday. “We will not retreat,” the official said.",
            "We will not retreat,",
            "A senior official",
            "the official",
        ),
        # anonymous source kept as its description
        (
            "“The army is ready,” a senior security official said.",
            "The army is ready,",
            "a senior security official",
            "a senior security official",
        ),
        # straight double marks and PTB-style '' marks
        (
            'Maria Lopez said the plan was "a disaster" and left.',
            "a disaster",
            "Maria Lopez",
            "Maria Lopez",
        ),
        (
            "Maria Lopez called the plan ''a disaster'' and left.",
            "a disaster",
            "Maria Lopez",
            "Maria Lopez",
        ),
    ],
)
def test_attribution_forms(nlp, text, quote, speaker, mention):
    found = list(quotes(nlp(normalise_for_parse(text)), text=text))
    assert [q.quote for q in found] == [quote]
    assert found[0].speaker == speaker
    assert text[found[0].speaker_start : found[0].speaker_end] == mention


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", []),
        ("No quotation here.", []),
        ("The Haqqanis’ fighters and Pakistan’s army won’t move, it’s said.", []),
        ("It's the players' union's 'view' now.", ["view"]),
        ("He said “we will win.", ["we will win."]),  # never closed: ends with the paragraph
        ("He said we will win.” Then he left.", []),  # stray closing mark
        ("“", []),
        ('"', []),
        ("“ ”", []),
        ("He said “one “two” three.", ["one", "two"]),  # a new opener while one is open
        ("“A” and “B” and ‘C’.", ["A", "B", "C"]),
        ("He said “x ‘inner’ y” and left.", ["x ‘inner’ y"]),  # nested quotes stay inside
        ('He said "yes" and "no".', ["yes", "no"]),
        ("“Open in one paragraph.\n\nNarration in the next.", ["Open in one paragraph."]),
        ("Pakistan ‘won’t launch’ Haqqani offensive", ["won’t launch"]),  # the seed's headline
        (
            '"Straight ones ‘inside’ and “curly” too," he said.',
            ["Straight ones ‘inside’ and “curly” too,"],
        ),
    ],
)
def test_quote_spans_on_unbalanced_and_apostrophes(text, expected):
    assert [text[s:e] for s, e in quote_spans(text)] == expected


@pytest.mark.parametrize(
    "text",
    [
        "Washington, star of television’s “Scandal,” thanked Obama on Monday.",
        "He promoted his new book, “Sin Miedo,” in Miami.",
    ],
)
def test_quoted_titles_are_not_quotations(nlp, text):
    assert list(quotes(nlp(normalise_for_parse(text)), text=text)) == []


def test_quotation_across_paragraphs(nlp, fixtures_dir):
    text = wire_body((fixtures_dir / "quotes_across_paragraphs.txt").read_text(encoding="utf-8"))
    found = list(quotes(nlp(normalise_for_parse(text)), text=text))
    assert [q.quote for q in found] == [
        "We will not retreat from the valley. Our men are ready and the supplies are arriving,",
        "The war goes on until the last village is safe. Nobody should doubt our resolve,",
    ]
    second = found[1]
    # One quotation from the first paragraph's opening mark to the next paragraph's closing one.
    assert "\n\n“Nobody" in text[second.start : second.end]
    assert [q.speaker for q in found] == ["Ahmed Khan", "Ahmed Khan"]
    assert [text[q.speaker_start : q.speaker_end] for q in found] == ["he", "Khan"]
    assert [q.cue for q in found] == ["say", "add"]


def test_quote_table_and_summaries(nlp, seed_text):
    articles = [{"article_id": "seed", "text": seed_text}]
    table = quote_table([nlp(normalise_for_parse(seed_text))], articles)
    assert len(table) == 12
    voice = share_of_voice(table)
    top = voice.iloc[0]
    assert top["speaker"] == "a senior Pakistani security official"
    assert top["n_quotes"] == 4
    assert voice["quote_share"].sum() == pytest.approx(1.0)
    assert voice["word_share"].sum() == pytest.approx(1.0)
    abbas = voice.set_index("speaker").loc["Athar Abbas"]
    assert (abbas["n_quotes"], abbas["n_words"]) == (2, 7)
    src = sourcing(table).iloc[0]
    assert (src["n_quotes"], src["named"], src["anonymous"], src["unknown"]) == (12, 7, 5, 0)
    assert src["anonymous_share"] == pytest.approx(5 / 12)


def test_share_of_voice_gives_each_speaker_its_most_frequent_kind():
    """A speaker's kind is its most frequent one, the first in sort order on a tie (as
    Series.mode gives it), and "unknown" when none of its rows has a kind."""
    import pandas as pd

    rows = [
        ("Khan", "person"), ("Khan", "organisation"), ("Khan", "organisation"),
        ("Khan", "person"), ("Khan", None),
        ("Abbas", "person"), ("Abbas", "anonymous"), ("Abbas", "person"),
        ("ISPR", None), ("ISPR", None),
    ]  # fmt: skip
    table = pd.DataFrame(
        {
            "article_id": ["a"] * len(rows),
            "speaker": [s for s, _ in rows],
            "speaker_kind": [k for _, k in rows],
            "quote": ["We will not retreat"] * len(rows),
            "kind": ["direct"] * len(rows),
        }
    )
    kinds = share_of_voice(table).set_index("speaker")["speaker_kind"].to_dict()
    assert kinds == {"Khan": "organisation", "Abbas": "person", "ISPR": "unknown"}
    for speaker, group in table.groupby("speaker"):
        mode = group["speaker_kind"].mode()
        assert kinds[speaker] == (mode.iat[0] if len(mode) else "unknown")


def test_summaries_of_an_empty_table():
    assert share_of_voice(quote_table([], [])).empty
    assert sourcing(quote_table([], [])).empty


@pytest.mark.parametrize(
    "text",
    [
        # Words quoted as words.
        'Mr Smith avoided the word "incumbent" throughout the debate, aides said.',
        "Mr Howard said the term “asylum seeker” had been misused.",
        'They are so-called "sleeper" cells, police said.',
        'The district is known as "the Square Mile" in the City.',
        'A group called "Fathers 4 Justice" staged the protest.',
        # Titles of works and slogans, whatever their words.
        "The slogan “Are you thinking what we're thinking?” was criticised, Labour said.",
        'The song "Do they know it\'s Christmas?" topped the charts again, the label said.',
        # A list of such words or titles: no speaker "Words".
        'Words such as "incumbent" and "challenger" were banned from the leaflets.',
        'He starred in the films "Ray", "Collateral" and "Jarhead".',
    ],
)
def test_words_and_titles_in_marks_are_not_quotations(nlp, text):
    assert list(quotes(nlp(normalise_for_parse(text)), text=text)) == []


@pytest.mark.parametrize(
    ("text", "quote", "speaker"),
    [
        # Epithets of a speaker's own stay quotations.
        (
            'He condemned what he called "a disgraceful attack" on the party.',
            "a disgraceful attack",
            "he",
        ),
        ('Ms Jones described the move as "outrageous" on Monday.', "outrageous", "Jones"),
        # Speech right after quoted words is still speech.
        ('He used the word "hope". "We will win," he said.', "We will win,", "he"),
    ],
)
def test_quoted_epithets_stay_quotations(nlp, text, quote, speaker):
    found = list(quotes(nlp(normalise_for_parse(text)), text=text))
    assert [q.quote for q in found] == [quote]
    assert speaker in text[found[0].speaker_start : found[0].speaker_end]


def test_hard_wrapped_quotations_keep_their_speaker(nlp, fixtures_dir):
    # Wire copy wrapped at a fixed width: a line ending in `,"` and a line ending in "U.S." do
    # not end a paragraph when the next line goes on with the sentence.
    text = (fixtures_dir / "quotes_hard_wrapped.txt").read_text(encoding="utf-8")
    found = list(quotes(nlp(normalise_for_parse(text)), text=text))
    assert [q.quote.split()[-1] for q in found] == ["further,", "large,"]
    assert [q.speaker for q in found] == ["John Denman", "Mary Hollis"]
    assert "U.S.\ntrade deficit" in found[1].quote


def test_indented_wire_copy_wraps_at_any_line_end(nlp, fixtures_dir):
    # Paragraphs that open with an indent: a line ending in "." before an unindented line
    # starting in uppercase is a wrap inside the quotation, not its end.
    text = (fixtures_dir / "quotes_hard_wrapped_indented.txt").read_text(encoding="utf-8")
    found = list(quotes(nlp(normalise_for_parse(text)), text=text))
    assert len(found) == 1
    assert found[0].quote.endswith("no finance?")
    assert text[found[0].speaker_start : found[0].speaker_end] == "she"
