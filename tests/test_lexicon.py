"""Tests for analysis.lexicon (constants, the word-list reader) and analysis.wire (layout spans)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from analysis import config, lexicon, wire

# --- the word-list reader -------------------------------------------------------------------------


def test_read_word_list_drops_comments_and_blanks(tmp_path, monkeypatch):
    (tmp_path / "words.txt").write_text(
        "# a comment\n\nalpha\n  Beta  \n\t# an indented comment\nGen.\talias\n", encoding="utf-8"
    )
    monkeypatch.setattr(config, "RESOURCES_DIR", tmp_path)
    lexicon.read_word_list.cache_clear()
    try:
        assert lexicon.read_word_list("words.txt") == ("alpha", "Beta", "Gen.\talias")
    finally:
        lexicon.read_word_list.cache_clear()


def test_read_word_list_names_a_missing_file(tmp_path, monkeypatch):
    monkeypatch.setattr(config, "RESOURCES_DIR", tmp_path)
    lexicon.read_word_list.cache_clear()
    try:
        with pytest.raises(RuntimeError, match=r"nowhere\.txt: cannot read word list"):
            lexicon.read_word_list("nowhere.txt")
    finally:
        lexicon.read_word_list.cache_clear()


@pytest.mark.parametrize("path", sorted(config.RESOURCES_DIR.glob("*.txt")), ids=lambda p: p.name)
def test_every_shipped_list_reads_the_same_by_every_former_rule(path):
    # The three readers this one replaced differed only on leading whitespace and indented
    # "#" lines; the shipped lists have neither, so every caller reads what it read before.
    lines = path.read_text(encoding="utf-8").splitlines()
    assert not [ln for ln in lines if ln[:1].isspace() or ln != ln.rstrip()]
    entries = lexicon.read_word_list(path.name)
    assert entries == tuple(ln for ln in lines if ln.strip() and not ln.startswith("#"))
    assert entries


# --- the named subsets ----------------------------------------------------------------------------


def test_reporting_verb_sets_are_subsets_of_one_set():
    assert lexicon.CORE_REPORTING_VERBS < lexicon.REPORTING_VERBS
    assert lexicon.QUOTE_CUE_VERBS < lexicon.REPORTING_VERBS
    # "according to" attributes a claim but never opens a quote; topics drop it.
    assert "accord" not in lexicon.QUOTE_CUE_VERBS
    assert "accord" in lexicon.CORE_REPORTING_VERBS


def test_modules_use_the_lexicon_sets():
    from analysis import dates, entities, quotes, terms, tone

    assert quotes.REPORTING_VERBS is lexicon.QUOTE_CUE_VERBS
    assert terms.REPORTING_VERBS is lexicon.CORE_REPORTING_VERBS
    assert terms.ENTITY_LABELS is tone.NAME_LABELS is lexicon.TERM_ENTITY_LABELS
    assert entities.NAME_LABELS is lexicon.NAME_LABELS
    assert lexicon.NAME_LABELS - {"LANGUAGE"} == lexicon.TERM_ENTITY_LABELS
    assert terms.AGENCY_TERMS is lexicon.AGENCY_TERMS
    assert dates._MONTHS is lexicon.MONTHS


def test_small_numbers_agree_with_number_words():
    for word, value in lexicon.SMALL_NUMBERS.items():
        if word in lexicon.NUMBER_UNITS:
            assert value == lexicon.NUMBER_UNITS[word]
    assert lexicon.SMALL_NUMBERS["twelve"] == 12 and lexicon.SMALL_NUMBERS["several"] is None


def test_dateline_agencies_come_from_the_lexicon():
    dl = wire.parse_dateline("LONDON, Jan 5 (Associated Press) - Markets fell.")
    assert dl is not None and dl.agency == lexicon.AGENCIES["associated press"] == "AP"


# --- wire layout ----------------------------------------------------------------------------------


def test_signoff_spans_tag_and_credit():
    text = "He left.\n(Reporting by Jane Doe)\nThe talks ended. afp"
    spans = wire.signoff_spans(text, ["afp"])
    assert [text[s:e] for s, e in spans] == ["(Reporting by Jane Doe)", "afp"]
    # A story that ends "... told AFP" has no tag.
    assert wire.signoff_spans("The minister told AFP", ["afp"]) == []


def test_old_import_paths_keep_working():
    from analysis.corpus import (
        AGENCIES,
        WRITE_BATCH,
        Dateline,
        decode_bytes,
        paragraph_spans,
        parse_wire,
        write_jsonl,
    )
    from analysis.terms import layout_spans

    assert AGENCIES is lexicon.AGENCIES and Dateline is wire.Dateline
    assert paragraph_spans is wire.paragraph_spans and parse_wire is wire.parse_wire
    assert layout_spans is wire.layout_spans
    assert WRITE_BATCH > 0 and callable(decode_bytes) and callable(write_jsonl)


def test_wire_and_terms_import_without_pandas():
    code = (
        "import sys, analysis.wire, analysis.lexicon, analysis.terms; "
        "print('pandas' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
