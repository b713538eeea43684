"""Tables a report scores with a learned model, kept on disk by the content of their inputs."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis import config
from analysis.reports.sections import KEPT_TABLES_DIR, kept_table


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setattr(config, "CACHE_DIR", tmp_path)
    return tmp_path / KEPT_TABLES_DIR


def _table(quotes: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "speaker": quotes["speaker"].str.upper(),
            "n": quotes["start"] * 2,
            "score": quotes["start"] / 7,
        }
    )


def _quotes(speaker: str = "Kayani") -> pd.DataFrame:
    return pd.DataFrame({"speaker": [speaker, "Musharraf"], "start": [3, 11]})


def _never() -> pd.DataFrame:
    raise AssertionError("computed again although its inputs did not change")


def test_a_kept_table_is_read_back_as_it_was_computed(cache):
    quotes = _quotes()
    first = kept_table("scores", {"quotes": quotes}, lambda: _table(quotes))
    assert len(list(cache.glob("scores-*.parquet"))) == 1
    again = kept_table("scores", {"quotes": quotes.copy()}, _never)
    pd.testing.assert_frame_equal(again, first, check_exact=True)
    pd.testing.assert_frame_equal(again, _table(quotes), check_exact=True)


def test_changed_inputs_or_name_compute_the_table_again(cache):
    kept_table("scores", {"quotes": _quotes()}, lambda: _table(_quotes()))
    changed = _quotes("Sharif")
    out = kept_table("scores", {"quotes": changed}, lambda: _table(changed))
    assert out["speaker"].tolist() == ["SHARIF", "MUSHARRAF"]
    calls = []
    kept_table("other", {"quotes": _quotes()}, lambda: calls.append(1) or _table(_quotes()))
    assert calls == [1]
    assert len(list(cache.glob("*.parquet"))) == 3


def test_a_damaged_kept_table_is_computed_again(cache):
    quotes = _quotes()
    kept_table("scores", {"quotes": quotes}, lambda: _table(quotes))
    (path,) = cache.glob("scores-*.parquet")
    path.write_bytes(b"not parquet")
    out = kept_table("scores", {"quotes": quotes}, lambda: _table(quotes))
    pd.testing.assert_frame_equal(out, _table(quotes), check_exact=True)
    # and written again, so the next run reads it
    kept_table("scores", {"quotes": quotes}, _never)


def test_a_report_reads_a_large_corpus_without_a_progress_bar(tmp_path, monkeypatch, capfd):
    # A notebook's stderr lands in its report page: reading a corpus of many files (a progress
    # bar on the command line) must print nothing there.
    from analysis.reports.sections import load_report_data

    monkeypatch.setattr(config, "CACHE_DIR", tmp_path / "cache")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(config.PROGRESS_MIN_ITEMS + 2):
        (corpus / f"{i:03d}.txt").write_text(f"Headline {i}\n\nThe minister spoke on day {i}.\n")
    data = load_report_data(corpus, tables=("sentences",), loader=True, workers=1)
    assert len(data["articles"]) == config.PROGRESS_MIN_ITEMS + 2
    assert len(data["sentences"])
    assert "loading" not in capfd.readouterr().err
