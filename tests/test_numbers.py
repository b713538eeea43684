"""Tests for analysis.numbers: amounts with units and objects, and event counts."""

from __future__ import annotations

import pytest

from analysis.nlp import normalise_for_parse
from analysis.numbers import (
    count_totals,
    event_counts,
    extract_counts,
    extract_numbers,
    numbers,
    parse_number,
)


@pytest.fixture(scope="module")
def seed_doc(nlp, seed_text):
    return nlp(normalise_for_parse(seed_text))


def test_seed_numbers(seed_doc):
    rows = extract_numbers(seed_doc, {"article_id": "seed", "published": None})
    assert [(r["text"], r["value"], r["unit"], r["object"], r["kind"]) for r in rows] == [
        ("10-year", 10.0, "year", None, "duration"),
        ("three percent", 3.0, "percent", "KSE-100 index", "percent"),
        ("11,265.03", 11265.03, None, "KSE-100 index", "index"),
    ]
    assert list(rows[0]) == [
        "article_id",
        "start",
        "end",
        "text",
        "value",
        "unit",
        "object",
        "kind",
        "approximate",
    ]
    assert all(seed_doc.text[r["start"] : r["end"]] == r["text"] for r in rows)


def test_seed_counts(seed_doc):
    rows = extract_counts(seed_doc, {"article_id": "seed", "published": None})
    assert [(r["kind"], r["number"], r["object"], r["trigger"]) for r in rows] == [
        ("killed", 1.0, "Osama bin Laden", "killed"),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("11,265.03", (11265.03, False)),
        ("1.5bn", (1.5e9, False)),
        ("5.93 mln", (5.93e6, False)),
        ("three", (3.0, False)),
        ("twenty-five", (25.0, False)),
        ("two hundred and fifty", (250.0, False)),
        ("a dozen", (12.0, False)),
        ("half a dozen", (6.0, False)),
        ("1.5 billion", (1.5e9, False)),
        ("dozens", (24.0, True)),
        ("several", (3.0, True)),
        ("hundreds", (200.0, True)),
        ("banana", (None, False)),
    ],
)
def test_parse_number(text, expected):
    assert parse_number(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The firm raised $1.5bn.", [("$1.5bn", 1.5e9, "USD", "money")]),
        ("Profits rose to £600m.", [("£600m", 6e8, "GBP", "money")]),
        ("The war cost 1.5 billion dollars.", [("1.5 billion dollars", 1.5e9, "USD", "money")]),
        ("The budget is Rs 500 crore.", [("Rs 500 crore", 5e9, "rupees", "money")]),
        (
            "Exports reached 5.93 mln bags of coffee.",
            [("5.93 mln bags", 5.93e6, "bags", "quantity")],
        ),
        ("Aircraft dropped a 1,100 kg bomb.", [("1,100 kg", 1100.0, "kg", "quantity")]),
        ("Turnout was 76% of voters.", [("76%", 76.0, "percent", "percent")]),
        ("Prices rose three percent.", [("three percent", 3.0, "percent", "percent")]),
        ("Growth was 3.5 per cent.", [("3.5 per cent", 3.5, "percent", "percent")]),
        ("The Dow fell 120 points.", [("120 points", 120.0, "points", "index")]),
        ("Dozens of people marched.", [("Dozens", 24.0, None, "count")]),
        (
            "Two hundred and fifty people marched.",
            [("Two hundred and fifty", 250.0, None, "count")],
        ),
        ("It was his sixth visit in 2011.", []),
        ("Troops carried AK-47 rifles.", []),
        ("See release 2010-04-CA-049 issued at 10:30.", []),
        ("One of them spoke; no one else did.", []),
    ],
)
def test_number_forms(nlp, text, expected):
    found = [(n.text, n.value, n.unit, n.kind) for n in numbers(nlp(text))]
    assert found == expected


@pytest.mark.parametrize(
    ("text", "expected_object"),
    [
        ("Turnout was 76% of voters.", "voters"),
        ("Exports reached 5.93 mln bags of coffee.", "coffee"),
        ("The benchmark KSE-100 index shed three percent.", "KSE-100 index"),
        ("Police detained six suspected insurgents.", "suspected insurgents"),
    ],
)
def test_number_objects(nlp, text, expected_object):
    assert [n.object for n in numbers(nlp(text))] == [expected_object]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Police detained six suspected insurgents.",
            [("detained", 6.0, "suspected insurgents", False)],
        ),
        ("The force killed two insurgents.", [("killed", 2.0, "insurgents", False)]),
        ("Two insurgents were killed in the strike.", [("killed", 2.0, "insurgents", False)]),
        ("The security force detained several suspects.", [("detained", 3.0, "suspects", True)]),
        ("Dozens of people were wounded.", [("wounded", 24.0, "people", True)]),
        ("Six were arrested.", [("arrested", 6.0, None, False)]),
        ("Three soldiers died.", [("killed", 3.0, "soldiers", False)]),
        ("The blast left three dead.", [("killed", 3.0, None, False)]),
        ("The bombing led to the killing of three soldiers.", [("killed", 3.0, "soldiers", False)]),
        (
            "More than 10 suspected insurgents were detained.",
            [("detained", 11.0, "suspected insurgents", False)],
        ),
        ("Gunmen abducted two engineers.", [("kidnapped", 2.0, "engineers", False)]),
        ("Police arrested a man.", [("arrested", 1.0, "man", False)]),
        (
            "Forces detained suspected insurgents.",
            [("detained", None, "suspected insurgents", True)],
        ),
        (
            "Two Haqqani facilitators and two other militants were captured.",
            [
                ("captured", 2.0, "Haqqani facilitators", False),
                ("captured", 2.0, "other militants", False),
            ],
        ),
        (
            "Two insurgents were killed and several others detained.",
            [("killed", 2.0, "insurgents", False), ("detained", 3.0, "others", True)],
        ),
        ("The forces conducted a raid to capture a Taliban leader.", []),
        ("Insurgents planted a bomb.", []),
    ],
)
def test_count_forms(nlp, text, expected):
    found = [(c.kind, c.number, c.object, c.approximate) for c in event_counts(nlp(text))]
    assert found == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("No civilians were injured.", [("injured", 0.0, True)]),
        ("Nobody was hurt.", [("injured", 0.0, True)]),
        ("The woman was not detained.", [("detained", 0.0, True)]),
    ],
)
def test_negated_counts(nlp, text, expected):
    assert [(c.kind, c.number, c.negated) for c in event_counts(nlp(text))] == expected


def test_count_rows_point_at_the_counted_phrase(nlp):
    doc = nlp("Afghan forces detained six suspected insurgents in Helmand.")
    (row,) = extract_counts(doc, {"article_id": "a1"})
    assert row["article_id"] == "a1"
    assert doc.text[row["start"] : row["end"]] == "six suspected insurgents"
    assert doc.text[row["trigger_start"] : row["trigger_end"]] == "detained"
    assert row["voice"] == "active"


@pytest.mark.parametrize(
    ("text", "kinds", "expected"),
    [
        # The lead states the event and the body retells it: counted once.
        (
            "Forces killed two insurgents on Monday. Two insurgents were killed when they fired.",
            ("killed",),
            2.0,
        ),
        # A later exact figure refines an earlier vague one.
        (
            "Forces detained several suspected insurgents. The five suspected insurgents were detained for questioning.",
            ("detained",),
            5.0,
        ),
        # Capture and detention of different people add up.
        (
            "Forces captured a Taliban leader. Two other militants were detained.",
            ("captured", "detained"),
            3.0,
        ),
        # A later definite mention refers back to the leader.
        (
            "Forces captured a Taliban leader. The leader was detained without a shot.",
            ("captured", "detained"),
            1.0,
        ),
        # Background totals in the present perfect are not this event.
        (
            "Forces detained two suspects. Forces have detained more than 25 leaders since October.",
            ("detained",),
            2.0,
        ),
        ("No civilians were killed.", ("killed",), 0.0),
    ],
)
def test_count_totals(nlp, text, kinds, expected):
    assert count_totals(event_counts(nlp(text)), kinds) == expected
