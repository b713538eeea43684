"""Reports over independent stories: the dedupe parameter, the stories and attention sections."""

from __future__ import annotations

import json

import pytest

from analysis.reports import counted, overview
from analysis.reports.sections import load_report_data

STORY = (
    "LONDON, March 3 - The central bank raised interest rates by half a point on Tuesday, "
    "its third increase this year, citing stubborn inflation in services and wages.\n\n"
    "The governor said further rises could follow if price pressures did not ease, and "
    "markets priced in another move by the summer. Sterling rose against the dollar."
)
OTHER = (
    "PARIS, March 4 - Farmers blocked roads around the capital on Wednesday to protest "
    "against new rules on pesticide use and cheap imports, snarling traffic for hours.\n\n"
    "Police said about two hundred tractors took part. The farm minister promised talks."
)


@pytest.fixture
def corpus(tmp_path):
    rows = [
        {"id": "a1", "text": STORY, "outlet": "Wire", "date": "2024-03-03"},
        {
            "id": "a2",
            "text": STORY + "\n\nCopyright City Post.",
            "outlet": "City Post",
            "date": "2024-03-04",
        },
        {"id": "b1", "text": OTHER, "outlet": "Wire", "date": "2024-04-04"},
    ]
    path = tmp_path / "corpus.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_dedupe_story_keeps_one_article_per_story(corpus):
    every = load_report_data(corpus, ("stories",), loader=True)
    assert len(every["articles"]) == 3 and every.options["dedupe"] == "none"
    assert "every copy" in counted(every).text
    once = load_report_data(corpus, loader=True, dedupe="story")
    kept = set(once["articles"]["article_id"])
    assert len(kept) == 2 and "b1" in kept  # one of the two copies of the first story
    assert "independent stories (3 articles, 2 stories)" in counted(once).text
    with pytest.raises(ValueError, match="dedupe must be one of"):
        load_report_data(corpus, loader=True, dedupe="stories")


def test_stories_and_attention_sections(corpus):
    data = overview.load(corpus)
    section = overview.stories(data)
    assert "2 stories" in section.text
    assert list(section.tables["largest stories"]["n_copies"]) == [2]
    assert overview.attention(data).empty.startswith("Set the attention_query")
    attention = overview.attention(data, "interest rates", freq="M")
    table = attention.tables["attention"]
    march = table[table["period"].astype(str).str.startswith("2024-03")]
    assert march["count"].sum() == 2 and set(table["query"]) == {"interest rates"}
