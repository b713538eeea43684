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


def test_the_topic_report_keeps_its_k_scan_and_fits_the_same_model_again(cache, monkeypatch):
    import numpy as np

    from analysis.reports import topics
    from analysis.topics import TopicModel

    data = topics.load(config.SEEDS_DIR, tokens="whitespace")
    asked = []
    fit = TopicModel.fit
    monkeypatch.setattr(
        TopicModel, "fit", lambda self, X: asked.append(self.n_topics) or fit(self, X)
    )
    first = topics.fit(data, unit="paragraph", seed=0)
    again = topics.fit(data, unit="paragraph", seed=0)
    # The scan ran once; the second run fitted only the k it chose, and got the same model.
    assert asked == ["auto", first.n_topics_]
    assert len(list(cache.glob("topic_k_scores-*.parquet"))) == 1
    pd.testing.assert_frame_equal(again.k_scores_, first.k_scores_)
    assert again.get_params() == first.get_params()
    assert again.top_terms_ == first.top_terms_
    assert np.array_equal(again.components_, first.components_)
    assert np.array_equal(again.unit_topics_, first.unit_topics_)
    # Another seed is another scan.
    topics.fit(data, unit="paragraph", seed=1)
    assert asked[-1] == "auto"


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


def _scored(texts: list[str], calls: list) -> pd.DataFrame:
    calls.append(list(texts))
    return pd.DataFrame({"length": [len(t) for t in texts], "upper": [t.upper() for t in texts]})


def test_kept_scores_score_each_new_input_once_and_keep_the_input_order(tmp_path, monkeypatch):
    from analysis.reports.sections import KEPT_SCORES_DIR, KeptScores

    monkeypatch.setattr(config, "CACHE_DIR", tmp_path)
    calls: list = []
    texts = ["Kayani said", "ISLAMABAD", "Kayani said", "exporting"]
    kept = KeptScores("toy", {"setting": 1})
    first = kept.rows(texts, lambda at: _scored([texts[i] for i in at], calls))
    assert calls == [["Kayani said", "ISLAMABAD", "exporting"]]  # each distinct input once
    assert first["upper"].tolist() == [t.upper() for t in texts]
    # A later run (a new object, as in a new kernel) scores only what it has not seen.
    grown = ["exporting", "Mullen", "ISLAMABAD"]
    again = KeptScores("toy", {"setting": 1}).rows(
        grown, lambda at: _scored([grown[i] for i in at], calls)
    )
    assert calls[1:] == [["Mullen"]]
    assert again["length"].tolist() == [9, 6, 9]
    # Other settings are other scores.
    KeptScores("toy", {"setting": 2}).rows(grown, lambda at: _scored([grown[i] for i in at], calls))
    assert calls[2:] == [grown]
    assert len(list((tmp_path / KEPT_SCORES_DIR).iterdir())) == 2


def test_damaged_kept_scores_are_scored_again_and_parts_are_merged(tmp_path, monkeypatch):
    from analysis.reports import sections
    from analysis.reports.sections import KeptScores

    monkeypatch.setattr(config, "CACHE_DIR", tmp_path)
    calls: list = []
    kept = KeptScores("toy")
    kept.rows(["a", "b"], lambda at: _scored([["a", "b"][i] for i in at], calls))
    (part,) = kept.folder.glob("part-*.parquet")
    part.write_bytes(b"not parquet")
    out = kept.rows(["b", "a"], lambda at: _scored([["b", "a"][i] for i in at], calls))
    assert calls[-1] == ["b", "a"] and out["upper"].tolist() == ["B", "A"]
    monkeypatch.setattr(sections, "KEPT_SCORES_MAX_PARTS", 3)
    for word in ("c", "d", "e", "f"):
        kept.rows([word], lambda at, w=word: _scored([w], calls))
    assert len(list(kept.folder.glob("part-*.parquet"))) <= 3
    n = len(calls)
    out = kept.rows(["f", "a", "c"], lambda at: _scored(["?"], calls))
    assert len(calls) == n and out["upper"].tolist() == ["F", "A", "C"]
    assert not [p for p in kept.folder.iterdir() if not p.name.startswith("part-")]


def test_the_sentiment_report_scores_only_new_quotations(tmp_path, monkeypatch):
    from analysis.reports.sentiment import _KeptScorer
    from analysis.sentiment import SentimentScorer

    monkeypatch.setattr(config, "CACHE_DIR", tmp_path)
    scorer = SentimentScorer(use_model=False)
    seen: list = []
    real = scorer.transform
    monkeypatch.setattr(scorer, "transform", lambda texts: seen.append(list(texts)) or real(texts))
    quotes = ["We will not allow it.", "It was a terrible, deadly attack."]
    first = _KeptScorer(scorer).transform(quotes)
    again = _KeptScorer(scorer).transform([*quotes, "Talks went well."])
    assert seen == [quotes, ["Talks went well."]]
    pd.testing.assert_frame_equal(again.iloc[:2], first, check_exact=True)
    pd.testing.assert_frame_equal(again, real([*quotes, "Talks went well."]), check_exact=True)


def test_the_stance_model_scores_only_targets_it_has_not_seen(tmp_path, monkeypatch):
    import numpy as np

    from analysis.reports.sentiment import _KeptTargetModel
    from analysis.target import load_target_model, target_sentiments

    monkeypatch.setattr(config, "CACHE_DIR", tmp_path)
    model = load_target_model()
    text = "Mullen accused Pakistan of exporting violent extremism, and praised Kayani."
    starts, ends = [15, 68], [23, 74]
    direct = target_sentiments([text] * 2, starts, ends, model=model)
    kept = target_sentiments([text] * 2, starts, ends, model=_KeptTargetModel(model))
    pd.testing.assert_frame_equal(kept, direct, check_exact=True)

    class Counting:
        calls = 0

        def __getattr__(self, name):
            return getattr(model, name)

        def predict(self, *args, **kwargs):
            Counting.calls += 1
            return model.predict(*args, **kwargs)

    monkeypatch.setattr(Counting, "model_dir", model.model_dir, raising=False)
    again = target_sentiments([text] * 2, starts, ends, model=_KeptTargetModel(Counting()))
    assert Counting.calls == 0
    assert np.array_equal(
        again[["negative", "neutral", "positive"]], direct[["negative", "neutral", "positive"]]
    )


def test_notebooks_take_the_corpus_the_runner_handed_over_for_the_same_inputs(
    tmp_path, monkeypatch
):
    """The report runner loads the corpus once and hands it to its kernels: a notebook asking
    for the same inputs and column options reads that, not the files; any other request, a
    missing or damaged hand-over file, and no hand-over at all read the files."""
    import pickle

    from analysis.corpus import load_corpus
    from analysis.reports.sections import hand_over_corpus, load_report_data

    monkeypatch.setattr(config, "CACHE_DIR", tmp_path / "cache")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Headline\n\nThe minister spoke on Monday.\n")
    articles, rejects = load_corpus([corpus], progress=False)
    # What the runner handed over, told apart from what the files hold.
    handed = articles.assign(headline="Handed over")
    hand = tmp_path / "hand"
    hand.mkdir()
    path = hand_over_corpus((handed, rejects), [corpus], None, hand)
    monkeypatch.setenv(config.LOADED_CORPUS_ENV, str(path))

    def title(**kwargs) -> str:
        return load_report_data(corpus, loader=True, **kwargs)["articles"]["headline"].iloc[0]

    assert title() == "Handed over"
    assert title(columns={"text_column": None}) == "Handed over"  # unset options are no options
    assert title(columns={"text_column": "body"}) == "Headline"
    one_file = load_report_data(corpus / "a.txt", loader=True)["articles"]
    assert one_file["headline"].iloc[0] == "Headline"
    path.write_bytes(b"cut short")
    assert title() == "Headline"
    path.write_bytes(pickle.dumps(["not", "a", "hand-over"]))
    assert title() == "Headline"
    path.unlink()
    assert title() == "Headline"
    monkeypatch.delenv(config.LOADED_CORPUS_ENV)
    assert title() == "Headline"
