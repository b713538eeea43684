"""Interactive report pages: itables and plotly inlined, scripts allowed by hash, data files."""

from __future__ import annotations

import re

import nbformat
import pandas as pd
import pytest

from analysis import config, reports
from analysis.reports import charts, interactive
from analysis.reports import html as report_html
from analysis.reports import runner as report_runner
from analysis.reports.notebook import interactive_table

XSS_HEADLINE = "<script>alert(1)</script>"
XSS_BODY = "<img src=x onerror=alert(1)>"


def _policy(page: str) -> str:
    tag = re.search(r"<meta\b[^>]*Content-Security-Policy[^>]*>", page).group(0)
    return re.search(r'content="([^"]*)"', tag).group(1)


def _export(tmp_path, *objects) -> str:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("hidden")
    cell.outputs = [
        nbformat.v4.new_output("display_data", data=o._repr_mimebundle_()) for o in objects
    ]
    nb.cells = [nbformat.v4.new_markdown_cell("# Title\n\n## A section"), cell]
    src = tmp_path / "r.ipynb"
    nbformat.write(nb, str(src))
    return reports.export_html(src, tmp_path / "r.html").read_text(encoding="utf-8")


def _xss_figure():
    import plotly.graph_objects as go

    figure = go.Figure(go.Scatter(x=[1, 2], y=[3, 4], text=[XSS_HEADLINE, "</script>" + XSS_BODY]))
    return interactive.InteractiveFigure(figure, "f")


def test_a_page_with_tables_and_charts_runs_only_its_own_scripts(tmp_path):
    frame = pd.DataFrame({"headline": [XSS_HEADLINE, "b"], "text": [XSS_BODY, "</script>"]})
    page = _export(tmp_path, interactive_table(frame, "t"), _xss_figure(), interactive_table(frame))
    # Article text never reaches the page as markup: escaped cells, "<" escaped in plotly JSON.
    assert XSS_HEADLINE not in page and XSS_BODY not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert reports.unsafe_markup(page) == [] and reports.remote_resources(page) == []
    policy = _policy(page)
    scripts = interactive.inline_scripts(page)
    assert scripts and all("src" not in attrs for attrs, _ in scripts)
    for _, text in scripts:
        assert interactive.script_hash(text) in policy.split()
    assert "http" not in policy and "'unsafe-inline'" not in policy.split("script-src")[1]
    assert "'unsafe-eval'" not in policy
    # The libraries once per page: plotly.js and the DataTables bundle.
    assert page.count("plotly.js v") == 1 and page.count("function injectCSS") == 1
    assert page.count('class="dataTable') == 0  # built in the browser, from data
    assert 'href="index.html"' in page and 'href="#A-section"' in page


def test_a_page_without_interactive_outputs_keeps_the_strict_policy(tmp_path):
    from IPython.display import Markdown

    class Plain:
        def _repr_mimebundle_(self):
            return {"text/markdown": Markdown("**bold**").data, "text/plain": "m"}

    page = _export(tmp_path, Plain())
    assert "<script" not in page and "script-src 'none'" in _policy(page)


def test_unsafe_markup_flags_a_script_the_policy_does_not_name():
    allowed = "var a = 1;"
    policy = report_html.interactive_policy([interactive.script_hash(allowed)])
    head = f'<head><meta http-equiv="Content-Security-Policy" content="{policy}"></head>'
    assert report_html.unsafe_markup(f"{head}<script>{allowed}</script>") == []
    found = report_html.unsafe_markup(f"{head}<script>{allowed}</script><script>alert(1)</script>")
    assert len(found) == 1 and "alert(1)" in found[0]
    assert report_html.unsafe_markup(f'{head}<script src="x.js"></script>') == ["<script>"]
    # No policy, no hash: every script is active markup, as before.
    assert report_html.unsafe_markup(f"<script>{allowed}</script>")


def test_a_slot_cannot_be_forged_by_an_output(tmp_path):
    forged = '<div class="news-slot" id="news-slot-0000-0"></div>'

    class Forged:
        def _repr_mimebundle_(self):
            return {"text/html": forged, "text/plain": "x"}

    page = _export(tmp_path, Forged(), interactive_table(pd.DataFrame({"a": [1]})))
    assert page.count('id="news-slot-') == 1  # the forged one, inert; the real one filled
    assert "dataTable" in page or "news-table-0" in page


def test_tables_are_written_whole_beside_the_page(tmp_path, monkeypatch):
    monkeypatch.setenv(config.REPORT_SUMMARY_ENV, str(tmp_path / "02_x.summary.json"))
    monkeypatch.setattr(interactive, "_WRITTEN", {})
    frame = pd.DataFrame({"speaker": [f"s{i}" for i in range(30)], "n": range(30)})
    table = interactive_table(frame, "quote ledger", max_rows=10)
    again = interactive_table(frame.head(3), "quote ledger")
    assert table.payload["files"] == {
        "csv": "02_x.quote-ledger.csv",
        "parquet": "02_x.quote-ledger.parquet",
    }
    assert again.payload["files"]["csv"] == "02_x.quote-ledger-2.csv"
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "02_x.quote-ledger.csv"), frame)
    back = pd.read_parquet(tmp_path / "02_x.quote-ledger.parquet")
    assert back["speaker"].tolist() == frame["speaker"].tolist()
    assert len(table.payload["rows"]) == 10 and table.payload["n_rows"] == 30
    note = interactive.table_note(table.payload)
    assert "first 10 of 30 rows" in note and 'href="02_x.quote-ledger.csv"' in note
    assert "Showing 10 of 30 rows." in table.data  # the static table, for JupyterLab


def test_no_files_outside_the_runner(monkeypatch):
    monkeypatch.delenv(config.REPORT_SUMMARY_ENV, raising=False)
    table = interactive_table(pd.DataFrame({"a": [1]}), "t")
    assert table.payload["files"] == {}


def test_a_link_names_only_a_file_beside_the_page():
    payload = {"rows": [], "n_rows": 0, "files": {"csv": "../x.csv", "parquet": "javascript:x"}}
    assert interactive.table_note(payload) == ""


def test_the_runner_owns_only_its_notebooks_data_files():
    assert report_runner._is_data_file("02_x", "02_x.quote-ledger.csv")
    assert report_runner._is_data_file("02_x", "02_x.t-2.parquet")
    assert not report_runner._is_data_file("02_x", "03_y.t.csv")
    assert not report_runner._is_data_file("02_x", "02_x.../a.csv")
    assert not report_runner._is_data_file("02_x", "02_x.t.csv/x")
    prior = {"name": "02_x", "key": "k", "outcome": "ok", "files": ["02_x.html", "../etc.csv"]}
    assert not report_runner._reusable(prior, "k", config.PROJECT_DIR)


def test_time_series_show_gaps_as_gaps():
    table = pd.DataFrame(
        {
            "period": pd.to_datetime(["2011-01-01", "2011-03-01"]),
            "tone": [1.0, 2.0],
            "n_articles": [1, 2],
        }
    )
    filled = charts.with_gaps(table, "M")
    assert filled["period"].dt.month.tolist() == [1, 2, 3]
    assert pd.isna(filled["tone"].iat[1])
    figure = charts.tone_over_time_chart(table)
    line = figure.data[0]
    assert line.connectgaps is False and len(line.x) == 3
    assert "articles" in line.hovertemplate


def test_hover_text_is_escaped():
    tone = pd.DataFrame({"article_id": ["a"], "tone": [-1.0]})
    articles = pd.DataFrame({"article_id": ["a"], "headline": [XSS_HEADLINE], "n_words": [10]})
    figure = charts.article_tone_chart(tone, articles)
    assert figure.data[0].text == ("&lt;script&gt;alert(1)&lt;/script&gt;",)


@pytest.mark.parametrize("freq", ["M", "W"])
def test_prevalence_over_time_is_on_a_date_axis(freq):
    groups = {"M": ["2011-01", "2011-03"], "W": ["2011-01-03/2011-01-09", "2011-01-17/2011-01-23"]}
    prevalence = pd.DataFrame(
        {"group": groups[freq], "topic": [0, 0], "label": ["x", "x"], "share": [0.5, 0.7]}
    ).assign(n_articles=[2, 3])
    figure = charts.prevalence_chart(prevalence, freq=freq)
    assert figure.layout.xaxis.type == "date"
    assert len(figure.data[0].x) == 3  # the period between is a gap


def test_top_actors_chart_ranks_like_the_static_one():
    actors = pd.DataFrame(
        {"actor": ["A", "B", "C"], "label": ["PERSON", "ORG", "PERSON"], "n_mentions": [1, 5, 3]}
    ).assign(n_articles=1)
    figure = charts.top_actors_chart(actors, top_n=2)
    assert list(figure.layout.yaxis.categoryarray) == ["C", "B"]  # bottom to top
    assert sorted(t.name for t in figure.data) == ["ORG", "PERSON"]


def test_topic_map_places_topics_as_the_static_map_and_hovers_their_terms(fixtures_dir):
    from analysis import TopicModel
    from analysis.corpus import load_corpus
    from analysis.plots import topic_map_coordinates

    articles, _ = load_corpus([fixtures_dir / "topics_tokens.jsonl"])
    model = TopicModel(n_topics=3, tokens="whitespace", random_state=0).fit(articles)
    figure = charts.topic_map_chart(model)
    table, xy = topic_map_coordinates(model)
    bubbles = figure.data[0]
    assert list(bubbles.x) == pytest.approx(xy[:, 0]) and list(bubbles.y) == pytest.approx(xy[:, 1])
    assert [c[0] for c in bubbles.customdata] == list(table["top_terms_display"])
    assert "dominant in" in bubbles.hovertemplate
    assert bubbles.marker.sizemode == "area"


def test_keyness_chart_hovers_counts_g2_and_p():
    keyness = pd.DataFrame(
        {
            "term": ["budget", "tax", "club"],
            "count_target": [9, 4, 0],
            "count_reference": [0, 1, 7],
            "log_likelihood": [12.5, 3.1, 9.7],
            "p_value": [0.0004, 0.08, 0.002],
            "log_ratio": [4.2, 1.5, -3.9],
            "key_for": ["target", "target", "reference"],
        }
    )
    figure = charts.keyness_chart(keyness, target="BBC", reference="<others>")
    assert [t.name for t in figure.data] == ["&lt;others&gt;", "BBC"]
    assert list(figure.layout.yaxis.categoryarray) == ["club", "tax", "budget"]
    assert list(figure.data[1].customdata[0]) == [9, 0, 12.5, 0.0004]
    assert "G²" in figure.data[1].hovertemplate and "<others>" not in figure.data[1].hovertemplate


def test_share_of_voice_chart_ranks_by_words_and_colours_by_kind():
    voice = pd.DataFrame(
        {
            "speaker": ["Jane Doe", "an official", "John Roe"],
            "speaker_kind": ["person", "anonymous", "person"],
            "n_quotes": [3, 2, 1],
            "n_words": [90, 40, 10],
        }
    )
    figure = charts.share_of_voice_chart(voice, top_n=2)
    assert list(figure.layout.yaxis.categoryarray) == ["an official", "Jane Doe"]
    assert sorted(t.name for t in figure.data) == ["anonymous", "person"]


def test_widget_state_in_the_metadata_does_not_reach_the_page(tmp_path):
    # A tqdm progress bar in a notebook leaves widget state that the lab template would write
    # as a <script>; the export refused such pages (every report of a 300-article corpus).
    nb = nbformat.v4.new_notebook()
    nb.metadata["widgets"] = {
        "application/vnd.jupyter.widget-state+json": {"state": {}, "version_major": 2}
    }
    nb.cells = [nbformat.v4.new_markdown_cell("# Title")]
    src = tmp_path / "r.ipynb"
    nbformat.write(nb, str(src))
    page = reports.export_html(src, tmp_path / "r.html").read_text(encoding="utf-8")
    assert "<script" not in page and "widget-state" not in page


def test_one_article_histogram_has_whole_number_ticks():
    from analysis.plots import plot_length_histogram

    figure = plot_length_histogram(pd.DataFrame({"n_words": [626]}))
    figure.savefig(__import__("io").BytesIO())  # lay out the ticks
    ticks = [float(t.get_text().replace("−", "-")) for t in figure.axes[0].get_xticklabels()]
    assert ticks and all(t == int(t) for t in ticks)
    low, high = figure.axes[0].get_xlim()
    assert high - low > 10  # not a one-word-wide axis
