"""Tests for analysis.sources: non-answers, source roles, and voice and sourcing by kind."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.nlp import normalise_for_parse
from analysis.sources import (
    ATTRIBUTION_COLUMNS,
    ROLES,
    SOURCING_COLUMNS,
    VOICE_COLUMNS,
    form_of,
    merge_pieces,
    non_answers,
    source_role,
    sourcing_by_kind,
    voice_by_kind,
)


@pytest.mark.parametrize(
    ("text", "declined", "verb", "subject"),
    [
        ("The ministry declined to comment.", "to comment", "declined", "ministry"),
        (
            "A spokeswoman refused to comment on the report.",
            "to comment on the report",
            "refused",
            "spokeswoman",
        ),
        (
            "Smith did not respond to a request for comment.",
            "a request for comment",
            "respond",
            "Smith",
        ),
        (
            "The campaign did not return calls seeking comment on Monday.",
            "calls seeking comment on Monday",
            "return",
            "campaign",
        ),
        ("Jones could not be reached for comment.", "for comment", "reached", "Jones"),
        ("The embassy had no comment.", "no comment", "had", "embassy"),
    ],
)
def test_non_answers(nlp, text, declined, verb, subject):
    doc = nlp(normalise_for_parse(text))
    found = list(non_answers(doc))
    assert len(found) == 1
    n = found[0]
    assert text[n.start : n.end] == declined
    assert doc[n.cue_token].text == verb
    assert doc[n.subject_token].text == subject


@pytest.mark.parametrize(
    "text",
    [
        "He declined the offer of a second term.",
        "The army responded to the attack within hours.",
        "She said the ministry would comment later.",
        "They could not reach the village before dark.",
    ],
)
def test_not_non_answers(nlp, text):
    assert list(non_answers(nlp(normalise_for_parse(text)))) == []


def _head(doc, words: str):
    start = doc.text.index(words)
    return doc.char_span(start, start + len(words), alignment_mode="expand").root


@pytest.mark.parametrize(
    ("text", "source", "speaker", "kind", "role"),
    [
        (
            "Pakistani army spokesman General Athar Abbas said the visit was postponed.",
            "Athar Abbas",
            "Athar Abbas",
            "person",
            "official",
        ),
        (
            "Liam Fox, the defence secretary, met Kayani in May. Fox said the talks went well.",
            "Fox said",
            "Liam Fox",
            "person",
            "official",
        ),
        (
            "Jane Doe, an economist at the central bank, said prices would rise.",
            "Jane Doe",
            "Jane Doe",
            "person",
            "expert",
        ),
        ("John Smith said prices would rise.", "John Smith", "John Smith", "person", "person"),
        (
            "A WikiLeaks document suggests the talks failed.",
            "A WikiLeaks document",
            "A WikiLeaks document",
            "unknown",
            "document",
        ),
        (
            "The ministry said the talks failed.",
            "The ministry",
            "ministry",
            "organisation",
            "organisation",
        ),
        (
            "A senior official said the talks failed.",
            "A senior official",
            "A senior official",
            "anonymous",
            "anonymous",
        ),
        ("He said the talks failed.", "He", None, "unknown", "unknown"),
    ],
)
def test_source_role(nlp, text, source, speaker, kind, role):
    doc = nlp(normalise_for_parse(text))
    head = _head(doc, source.removesuffix(" said"))
    assert source_role(doc, head, speaker, kind) == role
    assert role in ROLES


def test_source_role_reads_the_mentions_title(nlp):
    text = "Khan said the road was open."
    doc = nlp(text)
    mentions = [{"start": 0, "end": 4, "label": "PERSON", "title": "Governor", "actor": "Khan"}]
    assert source_role(doc, doc[0], "Khan", "person") == "person"
    assert source_role(doc, doc[0], "Khan", "person", mentions) == "official"


@pytest.mark.parametrize(
    ("kinds", "form"),
    [
        (["direct"], "quotation"),
        (["direct", "partial"], "quotation"),
        (["indirect"], "reported"),
        (["mixed", "partial"], "mixed"),
        (["indirect", "direct"], "mixed"),
        (["non_answer"], "non_answer"),
    ],
)
def test_form_of(kinds, form):
    assert form_of(kinds) == form


# An article with: a mixed attribution (reported content holding a partial quotation, two
# rows), a direct quotation, an indirect one by an anonymous source, a non-answer, and an
# unattributed quotation.
TEXT = (
    "Mullen accused Pakistan of “exporting” violent extremism. “We will act,” Mullen said. "
    "Officials said the talks would resume. The army declined to comment. “Who knows.”"
)


def _row(quote, kind, attribution, speaker, speaker_kind, role):
    start = TEXT.index(quote)
    return {
        "article_id": "a",
        "start": start,
        "end": start + len(quote),
        "quote": quote,
        "kind": kind,
        "cue": None,
        "attribution": attribution,
        "speaker": speaker,
        "speaker_kind": speaker_kind,
        "role": role,
    }


QUOTES = pd.DataFrame(
    [
        _row("exporting", "partial", 0, "Mike Mullen", "person", "official"),
        _row(
            "Pakistan of “exporting” violent extremism",
            "mixed",
            0,
            "Mike Mullen",
            "person",
            "official",
        ),
        _row("We will act,", "direct", 1, "Mike Mullen", "person", "official"),
        _row("the talks would resume", "indirect", 2, "Officials", "anonymous", "anonymous"),
        _row("to comment", "non_answer", 3, "The army", "organisation", "organisation"),
        _row("Who knows.", "direct", None, None, "unknown", "unknown"),
    ]
)


def test_merge_pieces():
    merged = merge_pieces(QUOTES)
    assert list(merged.columns) == list(ATTRIBUTION_COLUMNS)
    assert len(merged) == 5
    mullen = merged.iloc[0]
    assert (mullen["form"], mullen["n_pieces"], mullen["kinds"]) == ("mixed", 2, "mixed,partial")
    # The partial quotation inside the reported content counts once.
    assert mullen["n_words"] == 5
    assert TEXT[mullen["start"] : mullen["end"]] == "Pakistan of “exporting” violent extremism"
    assert merged["form"].tolist() == ["mixed", "quotation", "reported", "non_answer", "quotation"]
    assert merged["n_words"].tolist() == [5, 3, 4, 0, 2]
    assert merge_pieces(QUOTES.iloc[:0]).empty


def test_voice_by_kind():
    voice = voice_by_kind(QUOTES)
    assert list(voice.columns) == list(VOICE_COLUMNS)
    assert voice[["speaker", "form"]].values.tolist() == [
        ["Mike Mullen", "quotation"],
        ["Mike Mullen", "mixed"],
        ["Officials", "reported"],
        ["(unknown)", "quotation"],
    ]
    assert voice["n_words"].tolist() == [3, 5, 4, 2]
    assert voice["attribution_share"].sum() == pytest.approx(1.0)
    assert voice["word_share"].sum() == pytest.approx(1.0)
    assert voice_by_kind(QUOTES.iloc[:0]).empty


def test_sourcing_by_kind():
    src = sourcing_by_kind(QUOTES).set_index("form")
    assert list(sourcing_by_kind(QUOTES).columns) == list(SOURCING_COLUMNS)
    assert src.index.tolist() == ["quotation", "mixed", "reported", "non_answer"]
    assert src.loc["quotation", ["n_attributions", "named", "unknown"]].tolist() == [2, 1, 1]
    assert src.loc["reported", "anonymous_share"] == 1.0
    assert src.loc["non_answer", "role_organisation"] == 1
    assert src.loc["mixed", "role_official"] == 1
    assert sourcing_by_kind(QUOTES.iloc[:0]).empty


def test_quotation_summaries_leave_reported_speech_out():
    from pandas.testing import assert_frame_equal

    from analysis.quotes import share_of_voice, sourcing

    quotations = QUOTES[QUOTES["kind"].isin(["direct", "partial"])].assign(
        speaker_start=None, speaker_end=None
    )
    full = QUOTES.assign(speaker_start=None, speaker_end=None)
    assert_frame_equal(share_of_voice(full), share_of_voice(quotations))
    assert_frame_equal(sourcing(full), sourcing(quotations))
    assert share_of_voice(full)["n_quotes"].sum() == 3
