"""The actors and quotes report: executed on the seed, its JSON summary and page checked."""

from __future__ import annotations

import io
import json
import re
import shutil

import pandas as pd
import pytest

from analysis import config

NAME = "02_actors_and_quotes"
NOTEBOOK = config.NOTEBOOKS_DIR / f"{NAME}.ipynb"


@pytest.fixture(scope="module")
def report(tmp_path_factory, seed_path):
    """Run the report runner on a copy of the seed, with only this notebook in its folder."""
    from analysis.reports import run_reports

    root = tmp_path_factory.mktemp("actors_quotes")
    corpus = root / "corpus"
    corpus.mkdir()
    shutil.copy(seed_path, corpus / seed_path.name)
    notebooks = root / "notebooks"
    notebooks.mkdir()
    shutil.copy(NOTEBOOK, notebooks / NOTEBOOK.name)
    log = io.StringIO()
    result = run_reports([corpus], root / "out", notebooks_dir=notebooks, force=True, progress=log)
    assert result.failed == [], f"{NAME} failed: {result.manifest['notebooks'][0]['error']}"
    summary = json.loads((result.out / f"{NAME}.summary.json").read_text(encoding="utf-8"))
    page = (result.out / f"{NAME}.html").read_text(encoding="utf-8")
    return summary, page


# --- the committed notebook -----------------------------------------------------------------------


def test_notebook_is_stored_clean():
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    assert nb["metadata"]["kernelspec"]["name"] == config.REPORT_KERNEL_NAME
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in code)
    tagged = [c for c in code if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1 and tagged[0] is code[0]
    # Thin cells: the package does the work, the notebook only calls it.
    source = "\n".join("".join(c["source"]) for c in code)
    assert not re.search(r"^\s*(def|class|for|while)\b", source, flags=re.MULTILINE)


def test_runner_sees_the_parameters():
    from analysis.reports import discover

    nb = next(n for n in discover() if n.name == NAME)
    assert {name: (p.type, p.default) for name, p in nb.parameters.items()} == {
        "corpus": ("str", '"seeds"'),
        "columns": ("dict", "{}"),
        "top_n": ("int", "15"),
        "co_mention_unit": ("str", '"sentence"'),
        "max_table_rows": ("int", "1000"),
        "workers": ("int", "0"),
        "extract_options": ("list", "[]"),
        "dedupe": ("str", '"none"'),
    }
    assert all(p.help for p in nb.parameters.values())


# --- executed on the seed -------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.notebook
@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("n_articles", 1),
        ("n_quotes", 12),
        ("n_unattributed", 0),
        ("n_pairs", lambda n: n > 0),
        ("n_anonymous", lambda n: n >= 4),
        ("n_mentions", lambda n: n >= 80),
        ("n_actors", lambda n: n >= 30),
        ("n_numbers", lambda n: n >= 2),  # "three percent", "11,265.03"
        ("n_counts", lambda n: n >= 1),  # the raid that killed Osama bin Laden
        ("n_dates", lambda n: n >= 10),  # Monday, Sunday, September 13, last week...
        ("anonymous_share", lambda x: 4 / 12 <= x <= 6 / 12),
    ],
)
def test_summary_figures(report, key, expected):
    summary, _ = report
    value = summary[key]
    if callable(expected):
        assert expected(value), f"{key} = {value!r}"
    else:
        assert value == expected


@pytest.mark.slow
@pytest.mark.notebook
def test_summary_speakers_and_actors(report):
    summary, _ = report
    speakers = {s["speaker"]: s for s in summary["top_speakers"]}
    assert speakers["Athar Abbas"]["n_quotes"] == 2
    assert speakers["Athar Abbas"]["speaker_kind"] == "person"
    assert speakers["Mike Mullen"]["n_quotes"] == 1
    assert sum(s["n_quotes"] for s in summary["top_speakers"]) == summary["n_quotes"]
    actors = {a["actor"]: a for a in summary["top_actors"]}
    assert actors["Ashfaq Kayani"]["label"] == "PERSON"
    assert actors["Ashfaq Kayani"]["n_mentions"] == 2  # "General Ashfaq Kayani", "Kayani"
    assert summary["named_share"] + summary["anonymous_share"] == pytest.approx(1.0)
    assert 4 <= len(summary["headline"]) <= 6
    assert summary["headline"]["quotes"] == 12


@pytest.mark.slow
@pytest.mark.notebook
def test_who_is_quoted_counts_quotations_not_non_answers(report):
    # The seed's quotes table also holds a non-answer ("refused to elaborate further").
    _, page = report
    assert "<strong>12</strong> quotations (" in page


@pytest.mark.slow
@pytest.mark.notebook
@pytest.mark.parametrize(
    "text",
    [
        "Quote ledger",
        "postponed indefinitely",
        # the sentence a quotation sits in, and the pronoun it was attributed from
        "Instead, he said, the military needs to “consolidate gains”",
        "a senior Pakistani security official",
        "three percent",
        "September 13",
    ],
)
def test_page_shows_the_ledger(report, text):
    import json

    _, page = report
    # In the page's markup, or in an interactive table's data (JSON text inside JSON).
    as_data = json.dumps(json.dumps(text)[1:-1])[1:-1]
    assert text in page or as_data in page


@pytest.mark.slow
@pytest.mark.notebook
@pytest.mark.parametrize(
    "code", ["feature_store(", "from analysis", "write_summary(", "show_table("]
)
def test_page_hides_code(report, code):
    _, page = report
    assert code not in page


@pytest.mark.slow
@pytest.mark.notebook
def test_page_embeds_the_figures(report):
    _, page = report
    # actors, co-mentions and share of voice as plotly charts, inline, so the page opens
    # offline (plotly.js once); no PNG left
    assert not re.findall(r"<img\b[^>]*>", page)
    assert page.count('class="plotly-graph-div"') == 3 and page.count("plotly.js v") == 1


# --- the figures ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("plot", "frame", "n_bars", "labels"),
    [
        (
            "plot_top_actors",
            pd.DataFrame(
                {
                    "actor": ["Ashfaq Kayani", "$1.5bn Fund", "Pakistan"],
                    "label": ["PERSON", "ORG", "GPE"],
                    "n_mentions": [2, 1, 9],
                    "n_articles": [1, 1, 1],
                }
            ),
            3,
            {"Ashfaq Kayani", "\\$1.5bn Fund", "Pakistan"},
        ),
        (
            "plot_share_of_voice",
            pd.DataFrame(
                {
                    "speaker": ["Athar Abbas", "a senior official"],
                    "speaker_kind": ["person", "anonymous"],
                    "n_quotes": [2, 4],
                    "n_words": [7, 24],
                }
            ),
            4,  # two panels of two bars
            {"Athar Abbas", "a senior official"},
        ),
    ],
)
def test_bar_figures(plot, frame, n_bars, labels):
    from matplotlib.patches import Rectangle

    from analysis import plots

    fig = getattr(plots, plot)(frame, top_n=10)
    bars = [p for ax in fig.axes for p in ax.patches if isinstance(p, Rectangle)]
    assert len(bars) == n_bars
    # A dollar sign from article text is escaped, so it shows as written instead of mathtext.
    assert {t.get_text() for t in fig.axes[0].get_yticklabels()} == labels
    fig.savefig(io.BytesIO(), format="png")  # renders without a mathtext error


def test_co_mention_figure_is_symmetric():
    from analysis.plots import plot_co_mentions

    pairs = pd.DataFrame(
        {
            "actor_a": ["Pakistan", "Haqqani network", "Afghanistan"],
            "actor_b": ["United States", "Pakistani", "United States"],
            "count": [5, 4, 4],
        }
    )
    fig = plot_co_mentions(pairs, top_n=4)
    grid = fig.axes[0].images[0].get_array().filled(0)
    assert grid.shape == (4, 4)
    assert (grid == grid.T).all()
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    # Actors of the strongest pairs first (ties by name), until there are top_n of them.
    assert labels == ["Pakistan", "United States", "Afghanistan", "Haqqani network"]
    assert grid[0, 1] == 5 and grid[1, 2] == 4
    assert grid[3].sum() == 0  # its partner, Pakistani, did not make the cut


@pytest.mark.parametrize("plot", ["plot_top_actors", "plot_co_mentions", "plot_share_of_voice"])
def test_figures_of_empty_tables(plot):
    from analysis import plots

    empty = pd.DataFrame(
        columns=["actor", "label", "n_mentions", "n_articles", "actor_a", "actor_b", "count",
                 "speaker", "speaker_kind", "n_quotes", "n_words"]
    )  # fmt: skip
    fig = getattr(plots, plot)(empty)
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert texts and texts[0].startswith("no ")
