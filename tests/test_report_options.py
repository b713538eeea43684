"""The feature store's opt-in extractors in the report path: ``report --reported-speech``,
``report --static-sentiment`` and the notebooks' ``extract_options`` parameter."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pandas as pd
import pytest

from analysis import cli, config, features, reports
from analysis.reports.sections import ReportData, counted


def test_with_options_adds_the_options_to_the_tables():
    assert features.with_options([]) is None  # a store without options keeps its name
    assert features.with_options([], ["quotes"]) == ("quotes",)
    assert features.with_options(["reported_speech"]) == (*features.TABLES, "reported_speech")
    assert features.with_options(["static_sentiment", "static_sentiment"], ["sentiment"]) == (
        "sentiment",
        "static_sentiment",
    )
    with pytest.raises(ValueError, match="option 'bogus' is not available; choose from"):
        features.with_options(["bogus"])


def test_report_flags_become_the_extract_options_parameter(tmp_path, monkeypatch):
    import analysis.reports.runner

    seen = {}

    def fake_run(corpus, out, parameters, **kwargs):
        seen.update(parameters)
        return analysis.reports.runner.RunResult(out=Path(out), manifest={}, failed=[])

    monkeypatch.setattr(analysis.reports.runner, "run_reports", fake_run)
    argv = ["report", "--out", str(tmp_path / "o"), "--static-sentiment", "--reported-speech"]
    assert cli.main(argv) == 0
    assert seen == {"extract_options": ["reported_speech", "static_sentiment"]}
    seen.clear()
    assert cli.main(["report", "--out", str(tmp_path / "o")]) == 0
    assert seen == {}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('["bogus"]', "extraction option 'bogus' is not available; choose from reported_speech"),
        ("reported_speech", "a list of option names"),
        ("[1]", "a list of option names"),
    ],
)
def test_unknown_options_are_refused_before_anything_runs(tmp_path, capsys, value, message):
    out = tmp_path / "out"
    assert cli.main(["report", "--out", str(out), "-p", f"extract_options={value}"]) == 2
    assert message in capsys.readouterr().err and not out.exists()


def test_reported_speech_without_its_model_names_the_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(config, "ATTRIBUTION_MODEL_DIR", tmp_path / "no-model")
    out = tmp_path / "out"
    assert cli.main(["report", "--out", str(out), "--reported-speech"]) == 1
    err = capsys.readouterr().err
    assert "--reported-speech: the attribution model is not installed in" in err
    assert "no-model" in err and not out.exists()


def _data(options, tables=("quotes", "sentiment")) -> ReportData:
    frames = {name: pd.DataFrame() for name in tables}
    return ReportData(paths=[], tables=frames, options={"extract_options": options})


def test_what_is_counted_names_the_options_of_the_tables_read():
    both = ("reported_speech", "static_sentiment")
    text = counted(_data(both)).text
    assert "reported speech" in text and "static sentence model" in text
    assert "reported speech" not in counted(_data(both, tables=("sentiment",))).text
    assert "static" not in counted(_data(both, tables=("quotes",))).text
    assert "reported speech" not in counted(_data(())).text


def test_every_option_has_its_note():
    from analysis.reports.sections import _OPTION_NOTES

    assert set(_OPTION_NOTES) == set(features.OPTIONS)


def test_the_sentiment_report_scores_quotations_with_the_stores_model():
    from analysis.reports.sentiment import _scorer

    assert _scorer(_data(("static_sentiment",))).model == "static"
    assert _scorer(_data(())).model != "static"


@pytest.mark.slow
@pytest.mark.notebook
def test_a_report_with_reported_speech_fills_one_store_and_shows_it(tmp_path, monkeypatch):
    # A cache of its own, for this process and the kernels, so its stores can be counted.
    cache = tmp_path / "cache"
    monkeypatch.setattr(config, "CACHE_DIR", cache)
    monkeypatch.setenv("NEWS_ANALYSIS_CACHE", str(cache))
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(config.SEEDS_DIR / "000_fbdc2a47216796c1.txt", corpus)
    out = tmp_path / "out"
    result = reports.run_reports(
        [corpus], out, {"extract_options": ["reported_speech"]}, progress=io.StringIO()
    )
    assert result.failed == [], [e.get("error") for e in result.manifest["notebooks"]]
    # Every notebook opened the store the runner filled: one store, made with the option.
    stores = list((cache / "stores").iterdir())
    assert len(stores) == 1
    quotes = pd.read_parquet(stores[0] / "quotes.parquet")
    assert {"indirect", "mixed"} <= set(quotes["kind"])
    ledger = pd.read_parquet(out / "02_actors_and_quotes.quotes.parquet")
    assert (ledger["kind"] == "indirect").sum() == (quotes["kind"] == "indirect").sum() > 0
    # The wire dateline is no speaker ("ISLAMABAD: Pakistan's army chief ...").
    assert not ledger["speaker"].fillna("").str.isupper().any()
    # Share of voice and sourcing count the reported speech too, by form.
    voice = pd.read_parquet(out / "02_actors_and_quotes.voice-by-form.parquet")
    assert {"quotation", "reported"} <= set(voice["form"])
    sourcing = pd.read_parquet(out / "02_actors_and_quotes.sourcing-by-form.parquet")
    assert sourcing["n_attributions"].sum() == quotes["attribution"].nunique()
    page = (out / "02_actors_and_quotes.html").read_text(encoding="utf-8")
    assert "the quotes table holds reported speech" in page
    assert "the quotes table holds reported speech" not in (out / "04_topics.html").read_text(
        encoding="utf-8"
    )


def test_the_explorer_opens_the_store_the_options_made():
    from analysis import explorer

    data = explorer.load("seeds", extract_options=["reported_speech"])
    assert data.options["extract_options"] == ("reported_speech",)
    assert {"indirect", "mixed"} <= set(data["quotes"]["kind"])
    assert "indirect" not in set(explorer.load("seeds")["quotes"]["kind"])


def test_the_actors_report_counts_reported_speech_only_when_there_is_some():
    from analysis.reports import actors

    plain = actors.load("seeds")
    assert list(actors.quoted(plain).tables) == ["share_of_voice"]
    assert list(actors.sourcing(plain).tables) == ["sourcing"]
    data = actors.load("seeds", extract_options=["reported_speech"])
    section = actors.quoted(data)
    assert list(section.tables) == ["share_of_voice", "voice_by_form"]
    assert "Counting reported speech too" in section.text
    # The quotations-only table is the same with or without the reported speech.
    pd.testing.assert_frame_equal(
        section.tables["share_of_voice"], actors.quoted(plain).tables["share_of_voice"]
    )
    by_form = actors.sourcing(data).tables["sourcing_by_form"]
    assert set(by_form["form"]) >= {"quotation", "mixed", "reported"}
