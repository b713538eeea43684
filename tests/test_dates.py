"""Tests for analysis.dates: date expressions and their resolution against the published date."""

from __future__ import annotations

import pytest

from analysis.dates import date_expressions, extract_dates, parse_published
from analysis.nlp import normalise_for_parse

SEED_MONDAY = "2011-09-26"  # the seed story was filed on Monday 26 September 2011


@pytest.fixture(scope="module")
def seed_doc(nlp, seed_text):
    text = seed_text
    assert text.startswith("ISLAMABAD: Pakistan’s army chief on Monday")
    return nlp(normalise_for_parse(text))


def resolved(doc, published):
    return [(d.text, d.resolved, d.resolution) for d in date_expressions(doc, published)]


def test_seed_dates_resolve_against_the_published_monday(seed_doc):
    rows = extract_dates(seed_doc, {"article_id": "seed", "published": SEED_MONDAY})
    found = [(r["text"], r["resolved"], r["resolution"]) for r in rows]
    assert found == [
        ("Monday", "2011-09-26", "day"),
        ("this year", "2011-01-01", "year"),
        ("May 2", "2011-05-02", "day"),
        ("September 13", "2011-09-13", "day"),
        ("September 11", "2011-09-11", "day"),
        ("Sunday", "2011-09-25", "day"),
        # "has called a rare cross-party conference for Thursday": the future, so the next one.
        ("Thursday", "2011-09-29", "day"),
        ("Tuesday", "2011-09-27", "day"),  # "which she is expected to address on Tuesday"
        ("Monday", "2011-09-26", "day"),
        ("Sunday", "2011-09-25", "day"),
        ("last week", "2011-09-19", "week"),
        ("Last week", "2011-09-19", "week"),
    ]
    assert [r["start"] for r in rows] == sorted(r["start"] for r in rows)
    assert all(seed_doc.text[r["start"] : r["end"]] == r["text"] for r in rows)
    assert list(rows[0]) == [
        "article_id",
        "start",
        "end",
        "text",
        "resolved",
        "resolution",
        "relative",
        "direction",
        "source",
    ]
    thursday = next(r for r in rows if r["text"] == "Thursday")
    assert thursday["direction"] == "future"


def test_seed_dates_without_published_date_stay_unresolved(seed_doc):
    rows = extract_dates(seed_doc, {"article_id": "seed", "published": None})
    assert len(rows) == 12
    assert all(r["resolved"] is None for r in rows)
    assert {r["resolution"] for r in rows} == {"day", "week", "year"}


def test_index_value_is_never_a_date(seed_doc):
    texts = [d.text for d in date_expressions(seed_doc, SEED_MONDAY)]
    assert not any("11,265" in t for t in texts)
    assert "10-year" not in texts  # a duration, not a date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("He arrived yesterday.", [("yesterday", "2011-09-25", "day")]),
        ("They met today.", [("today", "2011-09-26", "day")]),
        ("Troops raided the village last night.", [("last night", "2011-09-25", "day")]),
        ("The talks were held last week.", [("last week", "2011-09-19", "week")]),
        ("The attack came on Sept. 19.", [("Sept. 19", "2011-09-19", "day")]),
        ("It began on Dec. 1, 2009.", [("Dec. 1, 2009", "2009-12-01", "day")]),
        ("On 13 September 2011 he resigned.", [("13 September 2011", "2011-09-13", "day")]),
        ("In September 2011 he resigned.", [("September 2011", "2011-09-01", "month")]),
        ("The report was dated 2011-09-20.", [("2011-09-20", "2011-09-20", "day")]),
        ("Sales rose this year.", [("this year", "2011-01-01", "year")]),
        ("He said on Thursday that the talks failed.", [("Thursday", "2011-09-22", "day")]),
        ("The summit will open on Thursday.", [("Thursday", "2011-09-29", "day")]),
        ("The minister arrives on Tuesday.", [("Tuesday", "2011-09-27", "day")]),
        ("He left last Monday.", [("last Monday", "2011-09-19", "day")]),
        ("The operation took place Saturday night.", [("Saturday night", "2011-09-24", "day")]),
        ("He will visit next month.", [("next month", "2011-10-01", "month")]),
        ("The raid took place three days ago.", [("three days ago", "2011-09-23", "day")]),
        ("Elections were held in May.", [("May", "2011-05-01", "month")]),
        ("It was founded in 1998.", [("1998", "1998-01-01", "year")]),
        ("Voting ends on Oct. 5.", [("Oct. 5", "2011-10-05", "day")]),
        ("The bomb exploded on Dec. 30.", [("Dec. 30", "2010-12-30", "day")]),
        ("The index closed at 11,265.03.", []),
        ("The 2000 troops left.", []),
        ("He may resign; the march went on.", []),
        ("Reference 2010-04-CA-049 follows.", []),
        # Times of day: the night before publication, or the published day itself.
        ("Troops struck the compound overnight.", [("overnight", "2011-09-25", "day")]),
        ("Insurgents attacked early this morning.", [("this morning", "2011-09-26", "day")]),
        ("The convoy was hit late yesterday.", [("yesterday", "2011-09-25", "day")]),
        ("Police will patrol the city tonight.", [("tonight", "2011-09-26", "day")]),
        ("The raid began on the night of Sept. 20.", [("Sept. 20", "2011-09-20", "day")]),
        ("Gunmen attacked the post Friday night.", [("Friday night", "2011-09-23", "day")]),
        # Ranges: one date per day, the second taking the first's month and year.
        (
            "Two leaders were detained Feb. 16 and 18.",
            [("Feb. 16", "2011-02-16", "day"), ("18", "2011-02-18", "day")],
        ),
        (
            "Talks were held between Sept. 1 and 3.",
            [("Sept. 1", "2011-09-01", "day"), ("3", "2011-09-03", "day")],
        ),
        (
            "The summit ran Dec. 1-3, 2009.",
            [("Dec. 1", "2009-12-01", "day"), ("3, 2009", "2009-12-03", "day")],
        ),
        # ... but not a date followed by a count, a smaller number or a rate.
        (
            "Troops killed five fighters on Sept. 1 and 20 insurgents fled.",
            [("Sept. 1", "2011-09-01", "day")],
        ),
        ("Shops reopened on Sept. 14 and 3 more closed.", [("Sept. 14", "2011-09-14", "day")]),
        ("Rates rose on Sept. 1 to 15 percent.", [("Sept. 1", "2011-09-01", "day")]),
        # A day of the month alone: in the published month or a neighbour, by tense.
        ("The strike happened on the 5th.", [("the 5th", "2011-09-05", "day")]),
        ("He was arrested on the 28th, police said.", [("the 28th", "2011-08-28", "day")]),
        ("The talks will end on the 30th.", [("the 30th", "2011-09-30", "day")]),
        ("He was the 17th leader captured since the 2nd Battalion left.", []),
    ],
)
def test_date_forms(nlp, text, expected):
    assert resolved(nlp(text), SEED_MONDAY) == expected


@pytest.mark.parametrize(
    ("text", "published", "expected"),
    [
        ("He arrived yesterday.", None, [("yesterday", None, "day")]),
        ("It began on Dec. 1, 2009.", None, [("Dec. 1, 2009", "2009-12-01", "day")]),
        ("The attack on September 13 failed.", None, [("September 13", None, "day")]),
        # A partial published date (year-month) places dates without a year, not "yesterday".
        (
            "Troops detained him in Kabul City July 16.",
            "2010-07",
            [("July 16", "2010-07-16", "day")],
        ),
        ("KABUL, Afghanistan (Dec. 02) - A strike", "2009-11", [("Dec. 02", "2009-12-02", "day")]),
        ("He arrived yesterday.", "2010-07", [("yesterday", None, "day")]),
        ("He was detained on the 5th.", "2010-07", [("the 5th", "2010-07-05", "day")]),
        ("He was detained on the 5th.", "2010", [("the 5th", None, "day")]),
        # Without a published date, the one year the text is written in places "July 16"
        # (a reference number counts), never "yesterday".
        (
            "2010-07-CA-129\nForces detained him July 16 and freed another yesterday.",
            None,
            [("July 16", "2010-07-16", "day"), ("yesterday", None, "day")],
        ),
        (
            "Reference 2010-07-CA-129. A 2008 raid was recalled. He was detained July 16.",
            None,
            [("2008", "2008-01-01", "year"), ("July 16", None, "day")],
        ),
        ("The 2000 troops left on July 16.", None, [("July 16", None, "day")]),
    ],
)
def test_unknown_or_partial_published_date(nlp, text, published, expected):
    assert resolved(nlp(text), published) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2011-09-26", ("2011-09-26", "day")),
        ("2011-09-26T08:00:00", ("2011-09-26", "day")),
        ("2010-05", ("2010-05-15", "month")),
        ("2011", ("2011-07-01", "year")),
        ("", None),
        ("not a date", None),
        (None, None),
    ],
)
def test_parse_published(value, expected):
    anchor = parse_published(value)
    if expected is None:
        assert anchor is None
    else:
        assert (anchor.date.isoformat(), anchor.precision) == expected


def test_plain_string_runs_patterns_only():
    found = list(date_expressions("Talks were held on Monday and on Sept. 19.", SEED_MONDAY))
    assert [(d.text, d.resolved) for d in found] == [
        ("Monday", "2011-09-26"),
        ("Sept. 19", "2011-09-19"),
    ]


@pytest.mark.parametrize("missing", [None, float("nan"), "", "NaT"])
def test_missing_published_from_a_dataframe_row(nlp, missing):
    rows = extract_dates(nlp("He arrived yesterday."), {"article_id": "a", "published": missing})
    assert [(r["text"], r["resolved"]) for r in rows] == [("yesterday", None)]


def test_year_from_the_text_can_be_switched_off(nlp):
    doc = nlp("2010-07-CA-129\nForces detained him July 16.")
    found = list(date_expressions(doc, None, infer_year=False))
    assert [(d.text, d.resolved) for d in found] == [("July 16", None)]
