"""The functions behind the explorer (analysis/explorer.py), on the seed and small tables."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys

import pandas as pd
import pytest

from analysis import explorer
from analysis.reports.sections import ReportData
from analysis.search import QueryError

SEED_ID = "000_fbdc2a47216796c1"


@pytest.fixture(scope="module")
def data():
    return explorer.load("seeds")


def test_actor_quotes_are_the_actors_own_with_their_kind(data):
    quotes = explorer.actor_quotes(data, "Athar Abbas")
    assert quotes["quote"].tolist() == ["postponed indefinitely", "the current situation at home"]
    assert set(quotes["kind"]) == {"partial"}
    # the second is attributed to the surname alone, resolved to the actor
    assert quotes["attributed_as"].tolist() == ["Athar Abbas", "Abbas"]
    assert quotes["headline"].iat[0] == "Pakistan ‘won’t launch’ Haqqani offensive"
    assert "postponed indefinitely" in quotes["sentence_text"].iat[0]


def test_an_anonymous_speaker_can_be_picked_too(data):
    table = explorer.actors(data)
    row = table.set_index("actor").loc["a senior Pakistani security official"]
    assert (row["label"], row["n_mentions"], row["n_quotes"]) == ("SPEAKER", 0, 4)
    assert table["actor"].iat[0] == "United States"  # 11 mentions, the most
    quotes = explorer.actor_quotes(data, "a senior Pakistani security official")
    assert set(quotes["kind"]) == {"direct", "partial"} and len(quotes) == 4


def test_co_mentions_are_counted_in_the_actors_sentences(data):
    table = explorer.actor_co_mentions(data, "Athar Abbas")
    assert table.to_dict("records") == [
        {"actor": "Pakistani", "label": "NORP", "count": 1, "n_articles": 1}
    ]
    by_article = explorer.actor_co_mentions(data, "Athar Abbas", unit="article")
    assert len(by_article) > 20 and "Athar Abbas" not in set(by_article["actor"])
    assert explorer.actor_co_mentions(data, "Nobody").empty


def test_tone_reads_the_sentences_that_mention_the_actor(data):
    sentences, summary = explorer.actor_tone(data, "Athar Abbas")
    assert len(sentences) == 2 and sentences["text"].str.contains("Abbas").all()
    assert sentences["compound"].is_monotonic_increasing
    assert summary["voice"].tolist() == ["narrator"]
    assert summary["n_sentences"].iat[0] == 2
    assert summary["mean_compound"].iat[0] == pytest.approx(sentences["compound"].mean(), abs=1e-3)


def test_attention_needs_dates(data):
    assert explorer.actor_attention(data, "Athar Abbas").empty  # the seed carries no date
    dated = _dated(data)
    table = explorer.actor_attention(dated, "Athar Abbas")
    assert table[["outlet", "count", "total"]].to_dict("records") == [
        {"outlet": "Dawn", "count": 1, "total": 1},
        {"outlet": "Nation", "count": 1, "total": 1},
    ]


def _dated(data) -> ReportData:
    """The seed twice, as two outlets on two dates; the copy's tables carry a second id."""
    tables = {}
    for name in explorer.TABLES:
        frame = data[name]
        if "article_id" in frame.columns:
            copy = frame.assign(article_id="copy")
            frame = pd.concat([frame, copy], ignore_index=True)
        tables[name] = frame
    tables["articles"] = tables["articles"].assign(
        outlet=["Dawn", "Nation"], published=["2011-09-26", "2011-10-03"]
    )
    return ReportData(paths=data.paths, tables=tables)


def test_filters_by_outlet_period_and_topic(data):
    dated = _dated(data)
    assert explorer.outlets(dated) == ["Dawn", "Nation"] and explorer.outlets(data) == []
    assert explorer.period(dated) == (dt.date(2011, 9, 26), dt.date(2011, 10, 3))
    assert explorer.period(data) is None
    assert explorer.select_articles(dated) == [SEED_ID, "copy"]
    assert explorer.select_articles(dated, outlet="Nation") == ["copy"]
    assert explorer.select_articles(dated, start="2011-10-01") == ["copy"]
    assert explorer.select_articles(dated, end=dt.date(2011, 9, 30)) == [SEED_ID]
    assert explorer.select_articles(data, start="2011-01-01") == []  # undated: left out
    topics = pd.DataFrame(
        {"article_id": [SEED_ID, SEED_ID, "copy"], "topic": [0, 1, 1], "weight": [0.7, 0.3, 0.9]}
    )
    assert explorer.select_articles(dated, topic=0, doc_topics=topics) == [SEED_ID]
    assert explorer.select_articles(dated, topic=1, doc_topics=topics) == ["copy"]
    with pytest.raises(ValueError, match="no topics"):
        explorer.select_articles(dated, topic=1)
    with pytest.raises(ValueError):
        explorer.select_articles(dated, start="26/09/2011")
    # a filter narrows every view
    ids = explorer.select_articles(dated, outlet="Nation")
    view = explorer.actor_view(dated, "Athar Abbas", articles=ids)
    assert set(view.quotes["article_id"]) == {"copy"} and len(view.quotes) == 2
    assert view.quotes["outlet"].eq("Nation").all()
    assert explorer.actor_quotes(dated, "Athar Abbas", articles=[]).empty


def test_search_lines_link_to_the_articles(data, tmp_path):
    lines = explorer.search_lines(data, "kayani", relative_to=data.paths[0].parent / "notebooks")
    assert lines["keyword"].tolist() == ["Kayani", "Kayani"]
    assert lines["link"].tolist() == [f"../seeds/{SEED_ID}.txt"] * 2
    assert explorer.search_lines(data, "kayani NOT pakistan").empty
    with pytest.raises(QueryError):
        explorer.search_lines(data, "(kayani")
    page = explorer.kwic_html(lines)
    assert page.count("<tr>") == 3 and f'href="../seeds/{SEED_ID}.txt"' in page


def test_kwic_html_escapes_article_text():
    lines = pd.DataFrame(
        {"article_id": ["a<b>"], "headline": ["<script>x</script>"], "left": ["<img src=x "],
         "keyword": ["onerror"], "right": ["=alert(1)>"], "link": ['x" onclick="y']}
    )  # fmt: skip
    page = explorer.kwic_html(lines)
    assert "<script>" not in page and "<img" not in page and 'onclick="y"' not in page
    assert "&lt;script&gt;" in page


def test_the_widgets_follow_the_picker_and_the_query(data):
    pytest.importorskip("ipywidgets")
    e = explorer.Explorer(data)
    assert e.actor.value == explorer.ALL and e.outlet.disabled and e.start.disabled
    assert e.topic.disabled
    e.actor.value = "Athar Abbas"
    assert e.selected() == [SEED_ID] and "1 of 1 articles" in e.status.value
    e.query.value = "kayani"
    assert e.tabs.selected_index == list(e.outputs).index("Search")


def test_importing_the_explorer_imports_no_widgets():
    code = (
        "import sys, analysis.explorer; "
        "print(sorted(m for m in ('ipywidgets', 'itables', 'plotly') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "[]", result.stderr


def test_the_filter_widgets_narrow_the_views_and_chart_attention(data):
    pytest.importorskip("ipywidgets")
    dated = _dated(data)
    e = explorer.Explorer(dated)
    assert not e.outlet.disabled and not e.start.disabled
    assert (e.start.value, e.end.value) == (dt.date(2011, 9, 26), dt.date(2011, 10, 3))
    assert e.filters()["start"] is None  # the whole period keeps undated articles too
    e.actor.value = "Athar Abbas"
    e.outlet.value = "Nation"
    assert e.selected() == ["copy"] and "1 of 2 articles" in e.status.value
    e.outlet.value = explorer.ALL
    e.start.value = dt.date(2011, 10, 1)
    assert e.selected() == ["copy"]
    e.end.value = dt.date(2011, 9, 30)  # an empty period: nothing, and no error
    assert e.selected() == [] and "0 of 2 articles" in e.status.value
    chart = explorer._attention_chart(explorer.actor_attention(dated, "Athar Abbas"))
    assert sorted(trace.name for trace in chart.data) == ["Dawn", "Nation"]


def test_the_topic_picker_lists_the_main_topics_with_their_labels(data):
    pytest.importorskip("ipywidgets")
    topics = pd.DataFrame({"article_id": [SEED_ID, "copy"], "topic": [3, 5], "weight": [1.0, 1.0]})
    e = explorer.Explorer(_dated(data), doc_topics=topics, topic_labels={3: "army, talks"})
    assert e.topic.options == (("all topics", ""), ("army, talks", 3), ("topic 5", 5))
    e.topic.value = 5
    assert e.selected() == ["copy"]


def test_the_explorer_notebook_is_thin_paired_and_not_a_report():
    import jupytext
    import nbformat

    from analysis import config, reports

    path = config.NOTEBOOKS_DIR / "explorer.ipynb"
    nb = nbformat.read(str(path), as_version=4)
    assert nb.metadata["kernelspec"]["name"] == config.REPORT_KERNEL_NAME
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code), "stored with outputs"
    assert "parameters" in code[0].metadata.get("tags", [])
    assert 'corpus: str = "seeds"' in code[0].source
    assert "explorer.explore(" in code[-1].source
    # Only calls into the package: no logic of its own (the topic fit is explore's n_topics).
    assert not [
        c.source for c in code if re.search(r"^\s*(if|for|while|def|class|with)\b", c.source, re.M)
    ]
    paired = jupytext.read(path.with_suffix(".py"))
    hint = "explorer.py differs from explorer.ipynb: run jupytext --sync notebooks/*.ipynb"
    assert [(c.cell_type, c.source) for c in paired.cells] == [
        (c.cell_type, c.source) for c in nb.cells
    ], hint
    assert path not in [r.path for r in reports.discover()]


def test_actor_labels_count_in_words(data):
    rows = explorer.actors(data).set_index("actor", drop=False)
    assert explorer.actor_label(rows.loc["Athar Abbas"]) == (
        "Athar Abbas (person; 2 mentions, 2 quotes)"
    )
    assert explorer.actor_label(rows.loc["Mike Mullen"]) == (
        "Mike Mullen (person; 1 mention, 1 quote)"
    )
