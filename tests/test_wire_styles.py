"""Wire house styles as data: agency forms, datelines with the agency after the date, sign-offs,
wire abbreviations for money. The Reuters-style fixture is composed for these tests."""

from __future__ import annotations

import pytest

from analysis import config, lexicon
from analysis.corpus import load_corpus
from analysis.entities import mentions
from analysis.lexicon import AGENCIES, AGENCY_NAMES, AGENCY_TERMS, agency_table
from analysis.nlp import normalise_for_parse
from analysis.numbers import numbers
from analysis.wire import parse_dateline, parse_wire, signoff_spans

# A story closing with a table, then the old Reuters sign-off on a line of its own.
TABLE_STORY = (
    "Harbour Trust said its loan book grew in the quarter.\n"
    "    Loans by region, in mln dlrs:\n"
    "        North.........41.2 vs.....38.0\n"
    "        South.........12.7 vs.....11.9\n"
    " REUTER\n"
)
# Hard-wrapped copy breaks lines anywhere: a name at the start of the last line is no sign-off.
WRAPPED_NAME = "Shipments were lower than expected, a trader at the port told\nReuters.\n"


def test_agency_table_is_the_one_home_of_agency_forms():
    rows = {form: (agency, roles) for form, agency, roles in agency_table()}
    assert rows["Reuter"] == ("Reuters", frozenset({"credit", "name"}))
    assert AGENCIES["reuter"] == AGENCIES["reuters"] == "Reuters"
    assert (
        AGENCIES["agence france-presse"] == "AFP" and AGENCIES["deutsche presse-agentur"] == "dpa"
    )
    assert {"reuter", "reuters", "afp", "xinhua", "dpa", "upi"} <= AGENCY_NAMES
    # Credits that are ordinary words in running text are not agency names there.
    assert "online" in AGENCIES and "online" not in AGENCY_NAMES
    assert "reuter" in AGENCY_TERMS


def test_agency_table_bad_row_names_the_file(tmp_path, monkeypatch):
    (tmp_path / "agencies.tsv").write_text("Reuter\tReuters\tsignoff\n", encoding="utf-8")
    monkeypatch.setattr(config, "RESOURCES_DIR", tmp_path)
    lexicon.read_word_list.cache_clear()
    lexicon.agency_table.cache_clear()
    try:
        with pytest.raises(RuntimeError, match=r"agencies\.tsv: bad row 'Reuter"):
            agency_table()
    finally:
        lexicon.read_word_list.cache_clear()
        lexicon.agency_table.cache_clear()


@pytest.mark.parametrize(
    "line, place, month, day, agency",
    [
        ("BRUSSELS, March 27, Reuter - The Commission said", "BRUSSELS", 3, 27, "Reuters"),
        ("NEW YORK, Feb 26, AP - Stocks fell", "NEW YORK", 2, 26, "AP"),
        ("PORTLAND, Ore., Feb 26 - The company said", "PORTLAND, Ore.", 2, 26, None),
        ("LONDON, March 3 (Reuters) - Shares rose", "LONDON", 3, 3, "Reuters"),
    ],
)
def test_dateline_with_the_agency_after_the_date(line, place, month, day, agency):
    dl = parse_dateline(line)
    assert (dl.place, dl.month, dl.day, dl.agency) == (place, month, day, agency)


def test_a_word_after_the_date_is_not_an_agency():
    # "Apple" starts like "AP": the agency must be a whole word.
    assert parse_dateline("PARIS, March 2, Apple - said") is None


def test_signoff_line_after_a_table_credits_the_story():
    wire = parse_wire(TABLE_STORY, detect_headline=False)
    assert wire.agency == "Reuters"
    assert not wire.paragraphs[-1].endswith("REUTER")
    spans = signoff_spans(TABLE_STORY, AGENCY_NAMES)
    assert [TABLE_STORY[a:b] for a, b in spans] == ["REUTER"]


def test_a_name_wrapped_onto_the_last_line_is_no_signoff():
    assert parse_wire(WRAPPED_NAME, detect_headline=False).agency is None
    assert signoff_spans(WRAPPED_NAME, AGENCY_NAMES) == []


def test_reuters_jsonl_with_its_own_fields(fixtures_dir):
    articles, rejects = load_corpus(fixtures_dir / "wire" / "reuters_style.jsonl", progress=False)
    assert rejects.empty
    agency = articles["agency"].astype(object).where(articles["agency"].notna(), None)
    by_id = dict(zip(articles["article_id"].astype(str), agency, strict=True))
    # 101 signs off " Reuter"; 102 ends "told\nReuters." in running text: no credit.
    assert by_id == {"101": "Reuters", "102": None}


def test_no_mention_of_the_signoff_and_wire_amounts_are_money(nlp, fixtures_dir):
    articles, _ = load_corpus(fixtures_dir / "wire" / "reuters_style.jsonl", progress=False)
    text = articles.loc[articles["article_id"].astype(str) == "101", "text"].iloc[0]
    doc = nlp(normalise_for_parse(text))
    assert not [m for m in mentions(doc, {"text": text}) if "reuter" in m.text.lower()]
    found = {(n.text.replace("\n", " "), n.kind, n.unit) for n in numbers(doc)}
    assert {
        ("12.4 mln dlrs", "money", "USD"),
        ("85 cts", "money", "cents"),
        ("9.1 mln dlrs", "money", "USD"),
        ("6.5 pct", "percent", "percent"),
        ("20 cts", "money", "cents"),
        ("40 mln stg", "money", "GBP"),
        ("3.2 billion yen", "money", "JPY"),
    } <= found


def test_signoff_is_no_mention_after_a_name_running_onto_its_line(nlp):
    # The model may take "Co.\n Reuter" as one entity; the piece left after the split at the
    # line break is the sign-off and no mention.
    text = (
        "Harbour Trust said it would sell 2.5 mln shares.\n"
        "    Underwriters are led by Lake, Holm and Co.\n Reuter\n"
    )
    doc = nlp(normalise_for_parse(text))
    assert not [m for m in mentions(doc, {"text": text}) if "reuter" in m.text.lower()]
