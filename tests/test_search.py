"""Boolean keyword search and the search command."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from analysis.search import QueryError, parse_query, search

ARTICLES = pd.DataFrame(
    {
        "article_id": ["a", "b", "c"],
        "headline": ["Army chief", "Bank loans", "Nothing"],
        "text": [
            "The army chief met the prime minister. Attacks continued.",
            "The World Bank's loans to Pakistan; IMF loan talks resumed.",
            "A quiet day in the capital.",
        ],
    }
)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("army", ["a"]),
        ("ARMY chief", ["a"]),
        ('"prime minister"', ["a"]),
        ('"minister prime"', []),
        ("attack", ["a"]),  # plural
        ("bank", ["b"]),  # possessive
        ("loan*", ["b"]),
        ("army OR imf", ["a", "b"]),
        ("army AND imf", []),
        ("(imf OR army) NOT pakistan", ["a"]),
        ("(imf OR army) -pakistan", ["a"]),
        ("the NOT (army OR bank)", ["c"]),
        ("prime-minister", ["a"]),
        ("capital", ["c"]),
    ],
)
def test_queries_select_articles(query, expected):
    node = parse_query(query)
    assert [
        a for a, t in zip(ARTICLES["article_id"], ARTICLES["text"], strict=True) if node.matches(t)
    ] == expected


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "empty"),
        ("(army", "not closed"),
        ("army)", r"unexpected '\)'"),
        ("army OR", "ends after an operator"),
        ('"army chief', "unclosed quotation mark"),
        ("NOT army", "only excludes"),
        ('""', "empty phrase"),
    ],
)
def test_bad_queries_say_why(query, message):
    with pytest.raises(QueryError, match=message):
        parse_query(query)


def test_lines_point_into_the_text_and_skip_excluded_words():
    lines = search(ARTICLES, "loan* NOT army", width=10)
    assert list(lines["article_id"].unique()) == ["b"]
    text = ARTICLES.set_index("article_id").loc["b", "text"]
    for row in lines.itertuples():
        assert text[row.start : row.end] == row.keyword
    assert list(lines["keyword"]) == ["loans", "loan"]
    assert lines["headline"].tolist() == ["Bank loans", "Bank loans"]
    assert len(search(ARTICLES, "the", limit=2)) == 2


@given(st.text(max_size=40))
def test_any_query_either_parses_or_raises_query_error(query):
    try:
        node = parse_query(query)
    except QueryError:
        return
    for text in ARTICLES["text"]:
        assert node.matches(text) in (True, False)


def test_search_command_on_the_seed(seed_path, tmp_path):
    run = [sys.executable, "-m", "analysis", "search", str(seed_path)]
    ok = subprocess.run([*run, 'haqqani "army chief"'], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert "[Haqqani]" in ok.stdout and "[army chief]" in ok.stdout.replace("[army] chief", "")
    assert "match" in ok.stderr
    out = tmp_path / "hits.csv"
    written = subprocess.run([*run, "kayani", "-o", str(out)], capture_output=True, text=True)
    assert written.returncode == 0, written.stderr
    table = pd.read_csv(out)
    assert set(table["keyword"].str.lower()) == {"kayani"} and len(table) >= 1
    bad = subprocess.run([*run, "(kayani"], capture_output=True, text=True)
    assert bad.returncode == 1 and "not closed" in bad.stderr and "Traceback" not in bad.stderr
