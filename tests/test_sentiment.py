"""Tests of analysis.sentiment: the news rules, the blend, aggregation, voice and the CLI."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis import config
from analysis.sentiment import (
    SentimentScorer,
    actor_voice,
    aggregate,
    apply_blend,
    cross_val_blend,
    extract_sentiment,
    fit_blend,
    paragraph_scores,
    polarity_labels,
    rule_score,
    share_scores,
    stretch,
)
from analysis.sentiment.model import END_COMPOUND, END_QUANTILE, neutral_mask

HAS_MODEL = (config.SENTENCE_SENTIMENT_MODEL_DIR / "model.onnx").is_file()
FIXTURES = Path(__file__).parent / "fixtures"
#: The rule engine as it scores (no fitted rescaling), so expected values are VADER-like.
IDENTITY = {"intercept": 0.0, "weights": [1.0]}
RULES = SentimentScorer(use_model=False, blend=IDENTITY)


def _rules_of(text: str, token: str) -> str:
    words = RULES.explain(text).words
    return ";".join(words.loc[words["token"] == token, "rules"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Names are not judgements: VADER scores "united" +1.8.
        ("The United States and the United Nations met on Monday.", 0.0),
        ("The Security Council meets in New York.", 0.0),
        # No lexicon word at all.
        ("The minister arrived in Kabul on Tuesday.", 0.0),
    ],
)
def test_neutral_news_sentences_score_zero(text, expected):
    assert rule_score(text).compound == pytest.approx(expected)


@pytest.mark.parametrize(
    ("text", "sign"),
    [
        ("The talks failed to reach an agreement.", -1),
        ("The ceasefire brought a fragile peace to the region.", 1),
        ("Militants killed 12 soldiers in an ambush.", -1),
        ("The talks weren’t good.", -1),
        # Negation reaches three words back, as in VADER; "didn't" here is four words away.
        ("He didn’t say the plan was good.", 1),
        ("The plan is good, but the execution is terrible.", -1),
        ("The plan is terrible, but the execution is good.", 1),
        ("Although the talks were friendly, the violence continued.", -1),
    ],
)
def test_rule_sign(text, sign):
    assert np.sign(rule_score(text).compound) == sign


@pytest.mark.parametrize(
    ("text", "token", "rule"),
    [
        ("The talks failed to reach an agreement.", "agreement", "negation:failed"),
        ("It isn’t good.", "good", "negation:isn't"),
        ("Militants reportedly killed 12 soldiers.", "killed", "hedge:reportedly"),
        ("The plan is good, but the execution is terrible.", "good", "before-contrast:but"),
        ("The plan is good, but the execution is terrible.", "terrible", "after-contrast:but"),
        (
            "Although the talks were friendly, the violence continued.",
            "friendly",
            "concessive:although",
        ),
        ("It was a very bad day.", "bad", "booster:very"),
    ],
)
def test_explain_names_the_rule(text, token, rule):
    assert _rules_of(text, token) == rule


def test_hedge_dampens():
    plain = rule_score("Militants killed 12 soldiers.").compound
    hedged = rule_score("Militants reportedly killed 12 soldiers.").compound
    assert plain < hedged < 0


def test_contrast_scope_ends_at_semicolon():
    # The boost after "but" stops at the semicolon: "wonderful" keeps its own weight.
    a = RULES.explain("The day was wonderful; the plan is good, but the cost is terrible.").words
    assert a.loc[a["token"] == "wonderful", "rules"].item() == ""


def test_score_columns_and_ranges():
    out = RULES.transform(["A terrible, deadly attack.", "A wonderful success.", "", "Monday."])
    assert list(out.columns) == ["compound", "positive", "negative", "neutral", "label"]
    assert out["compound"].between(-1, 1).all()
    assert out["compound"].iloc[0] < -0.5 < 0.5 < out["compound"].iloc[1]
    assert out["compound"].iloc[2] == 0.0
    shares = out.loc[[0, 1, 3], ["positive", "negative", "neutral"]].sum(axis=1)
    assert np.allclose(shares, 1.0)


@pytest.mark.parametrize(
    "use_model",
    [False, pytest.param(True, marks=pytest.mark.skipif(not HAS_MODEL, reason="no model"))],
)
def test_shipped_blend_keeps_clear_signs(use_model):
    out = SentimentScorer(use_model=use_model).transform(
        ["A terrible, deadly attack killed dozens.", "A wonderful success for peace."]
    )
    # The calibrated scale (issue 17): clearly worded sentences reach near the ends.
    assert out["compound"].iloc[0] < -0.5 and out["compound"].iloc[1] > 0.5
    assert out["compound"].between(-1, 1).all()


def test_score_accepts_one_string():
    assert len(RULES.transform("A wonderful success.")) == 1


def test_fit_blend_recovers_weights_and_scales_to_the_ends():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(400, 2))
    y = 0.1 + 0.3 * X[:, 0] + 0.5 * X[:, 1]
    blend = fit_blend(X, y)
    # Least squares is exact here: the weights are the true ones, unscaled.
    assert blend["intercept"] == pytest.approx(0.1)
    assert blend["weights"] == pytest.approx([0.3, 0.5])
    # The calibrated scale (issue 17): the 98th percentile of |z| lands on ±0.85, the largest on
    # ±1, monotonic in z.
    compound = apply_blend(X, blend)
    assert np.quantile(np.abs(compound), END_QUANTILE) == pytest.approx(END_COMPOUND, abs=0.01)
    assert np.abs(compound).max() == pytest.approx(1.0)
    order = np.argsort(y)
    assert np.all(np.diff(compound[order]) >= 0)
    # Every bend costs some r against an exact fit (the floor, r = 1), so the fit keeps the
    # narrowest band, the one closest to a straight line.
    assert blend["cut"] == 0.05
    assert np.corrcoef(compound, y)[0, 1] > 0.99
    oof = cross_val_blend(X, y, groups=np.arange(400) // 10)
    assert np.corrcoef(oof, y)[0, 1] > 0.99


def test_fit_blend_widens_the_band_only_while_r_holds():
    # Noisy ratings whose classes are best cut wider than ±0.05; a third column adds signal,
    # so the fit may spend that r on a wider neutral band, never below the two-column r.
    rng = np.random.default_rng(1)
    X = rng.normal(0, 0.25, size=(2000, 3))
    y = X[:, 0] + 0.5 * X[:, 1] + 0.3 * X[:, 2] + rng.normal(0, 0.2, size=2000)
    blend = fit_blend(X, y, base_columns=2)
    floor = np.corrcoef(X[:, :2] @ np.linalg.lstsq(X[:, :2], y, rcond=None)[0], y)[0, 1]
    compound = apply_blend(X, blend)
    assert np.corrcoef(compound, y)[0, 1] >= floor - 1e-6
    assert blend["cut"] > 0.05 and blend["scale"]["z"][0] == blend["cut"]
    assert blend["pearson_r"] == pytest.approx(np.corrcoef(compound, y)[0, 1], abs=1e-4)


def test_stretch_is_monotonic_and_puts_the_band_at_005():
    scale = {"cut": 0.08, "slope": 1.5}
    z = np.linspace(-1, 1, 2001)
    g = stretch(z, scale)
    assert np.all(np.diff(g) >= 0) and g.min() == -1.0 and g.max() == 1.0
    assert stretch([-0.08, 0.0, 0.08], scale) == pytest.approx([-0.05, 0.0, 0.05])
    assert stretch([0.18], scale) == pytest.approx([0.05 + 1.5 * 0.1])
    assert stretch(z, None) == pytest.approx(z)


@settings(max_examples=300)
@given(
    st.floats(-1, 1),
    st.floats(0, 1),
    st.floats(0, 1),
)
def test_shares_agree_with_the_compound(compound, positive, negative):
    total = positive + negative
    if total > 1:
        positive, negative = positive / total, negative / total
    pos, neg, neu = (float(v[0]) for v in share_scores([compound], [positive], [negative]))
    assert min(pos, neg, neu) >= -1e-12
    assert pos + neg + neu == pytest.approx(1.0)
    label = polarity_labels([compound])[0]
    assert polarity_labels([pos - neg])[0] == label
    # The rules' shares are kept whenever they already agree.
    if polarity_labels([positive - negative])[0] == label:
        assert (pos, neg) == (positive, negative)


def test_scorer_fit_is_optional_and_sets_blend():
    scorer = SentimentScorer(use_model=False)
    assert scorer.fit() is scorer
    texts = ["A terrible attack.", "A wonderful success.", "Monday.", "A bad day.", "Good news."]
    y = np.array([-0.8, 0.7, 0.0, -0.4, 0.5])
    fitted = SentimentScorer(use_model=False).fit(texts, y)
    assert {"columns", "intercept", "weights", "cut", "scale"} <= set(fitted.blend_)
    assert fitted.blend_["columns"] == ["rules", "rules_positive", "rules_negative"]
    assert fitted.blend_["weights"][0] > 0
    assert fitted.get_params()["use_model"] is False


def test_aggregate_does_not_saturate_on_long_articles():
    df = pd.DataFrame(
        {
            "article_id": ["a"] * 60 + ["b"] * 2,
            "compound": [-0.6] * 60 + [0.8, -0.2],
            "positive": 0.0,
            "negative": 0.3,
            "neutral": 0.7,
            "n_words": [20] * 60 + [30, 10],
        }
    )
    out = aggregate(df).set_index("article_id")
    assert out.loc["a", "compound"] == pytest.approx(-0.6)
    # Length-weighted: (0.8 * 30 - 0.2 * 10) / 40.
    assert out.loc["b", "compound"] == pytest.approx(0.55)
    assert out.loc["a", "n_sentences"] == 60
    assert out.loc["b", "share_negative"] == pytest.approx(0.5)


def test_paragraph_scores():
    sentiment = pd.DataFrame(
        {
            "article_id": ["a"] * 3,
            "sentence": [0, 1, 2],
            "compound": [-0.4, 0.2, 0.6],
            "positive": 0.0,
            "negative": 0.0,
            "neutral": 1.0,
            "n_words": [10, 10, 30],
        }
    )
    sentences = pd.DataFrame(
        {"article_id": ["a"] * 3, "sentence": [0, 1, 2], "paragraph": [0, 0, 1]}
    )
    out = paragraph_scores(sentiment, sentences)
    assert out["paragraph"].tolist() == [0, 1]
    assert out["compound"].tolist() == pytest.approx([-0.1, 0.6])


@pytest.fixture(scope="module")
def seed_article(seed_path):
    from analysis.corpus import load_corpus

    articles, _ = load_corpus([seed_path])
    return articles.iloc[0].to_dict()


@pytest.fixture(scope="module")
def seed_doc(nlp, seed_article):
    from analysis.nlp import parse

    return next(parse([seed_article["text"]], nlp=nlp))


def test_extract_sentiment_on_seed(seed_doc, seed_article):
    from analysis.quotes import extract_quotes

    quotes = extract_quotes(seed_doc, seed_article)
    rows = extract_sentiment(seed_doc, seed_article, quotes, scorer=RULES)
    text = seed_article["text"]
    assert len(rows) == len([s for s in seed_doc.sents if s.text.strip()])
    assert [r["sentence"] for r in rows] == list(range(len(rows)))
    assert all(-1 <= r["compound"] <= 1 for r in rows)
    speaker = [text[r["start"] : r["end"]] for r in rows if r["voice"] == "speaker"]
    assert any(s.startswith("“These are kind of more pressing issues") for s in speaker)
    first = rows[0]
    assert text[first["start"] : first["end"]].startswith("ISLAMABAD: Pakistan’s army chief")
    assert first["voice"] == "narrator"
    # Without quotes every sentence is the narrator's.
    assert {r["voice"] for r in extract_sentiment(seed_doc, seed_article, scorer=RULES)} == {
        "narrator"
    }
    # Reported speech and non-answers are the narrator's words too.
    reported = [{**q, "kind": "indirect"} for q in quotes]
    rows = extract_sentiment(seed_doc, seed_article, reported, scorer=RULES)
    assert {r["voice"] for r in rows} == {"narrator"}


def test_actor_voice():
    sentiment = pd.DataFrame(
        {
            "article_id": ["a", "a", "a"],
            "sentence": [0, 1, 2],
            "compound": [-0.5, 0.3, 0.9],
            "positive": 0.0,
            "negative": 0.0,
            "neutral": 1.0,
            "voice": ["narrator", "narrator", "speaker"],
            "start": [0, 50, 100],
            "end": [49, 99, 150],
            "n_words": [10, 10, 10],
        }
    )
    mentions = pd.DataFrame(
        {
            "article_id": ["a", "a", "a"],
            "start": [5, 60, 110],
            "end": [10, 65, 115],
            "actor": ["Kayani", "Kayani", "Kayani"],
        }
    )
    # Kayani's own quote covers sentence 2, so that mention is not "spoken of".
    quotes = pd.DataFrame(
        {
            "article_id": ["a"],
            "start": [100],
            "end": [150],
            "quote": ["We welcome this wonderful agreement."],
            "speaker": ["Kayani"],
        }
    )
    out = actor_voice(sentiment, mentions, quotes, scorer=RULES).set_index("actor")
    assert out.loc["Kayani", "n_spoken_of"] == 2
    assert out.loc["Kayani", "spoken_of"] == pytest.approx(-0.1)
    assert out.loc["Kayani", "n_quotes"] == 1
    assert out.loc["Kayani", "speaks"] > 0.5
    # Reported speech is not the actor speaking: the same table with one more indirect row.
    indirect = pd.DataFrame(
        {
            "article_id": ["a"],
            "start": [0],
            "end": [49],
            "quote": ["the plan was a terrible, hateful failure"],
            "speaker": ["Kayani"],
            "kind": ["indirect"],
        }
    )
    both = pd.concat([quotes.assign(kind="direct"), indirect], ignore_index=True)
    pd.testing.assert_frame_equal(
        actor_voice(sentiment, mentions, both, scorer=RULES), out.reset_index()
    )


@pytest.mark.skipif(not HAS_MODEL, reason="the sentence-sentiment model is not built")
@pytest.mark.parametrize(
    ("text", "sign"),
    [
        ("Dozens of civilians were killed in the bombing.", -1),
        ("The agreement is a welcome step toward lasting peace.", 1),
    ],
)
def test_blended_scorer_sign(text, sign):
    scorer = SentimentScorer(use_model=True)
    assert np.sign(scorer.transform([text])["compound"].iloc[0]) == sign
    assert scorer.explain(text).model_score is not None


@pytest.mark.skipif(not HAS_MODEL, reason="the sentence-sentiment model is not built")
def test_blended_score_does_not_depend_on_neighbours():
    scorer = SentimentScorer(use_model=True)
    text = "The talks collapsed amid mutual accusations."
    alone = scorer.transform([text])["compound"].iloc[0]
    others = ["Short.", "A much longer sentence about the economy, trade and the weather.", text]
    assert scorer.transform(others)["compound"].iloc[2] == pytest.approx(alone, abs=1e-6)


def _cli(*args):
    from analysis.cli import main

    return main(["sentiment", *map(str, args)])


def test_cli_jsonl_keeps_rows_and_ids(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(
        '{"id": 1e3, "text": "A terrible attack.", "extra": 2.5}\n'
        '{"id": "007", "text": "A wonderful success.", "extra": null}\n',
        encoding="utf-8",
    )
    dst = tmp_path / "out.jsonl"
    assert _cli(src, "-o", dst, "--rules-only") == 0
    lines = dst.read_text(encoding="utf-8").splitlines()
    # The JSON number 1e3 comes back as the number 1e3, as written.
    assert lines[0].startswith('{"id": 1e3, "text": "A terrible attack.", "extra": 2.5, ')
    rows = [json.loads(line) for line in lines]
    assert rows[1]["id"] == "007"
    assert rows[0]["extra"] == 2.5 and rows[1]["extra"] is None
    assert rows[0]["compound"] < 0 < rows[1]["compound"]
    assert {"positive", "negative", "neutral"} <= set(rows[0])


def test_cli_csv_text_column(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text("id,body\n007,A terrible attack.\n8,Good news.\n", encoding="utf-8")
    dst = tmp_path / "out.csv"
    assert _cli(src, "--text-column", "body", "-o", dst, "--rules-only") == 0
    with dst.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["id"] for r in rows] == ["007", "8"]
    assert list(rows[0]) == ["id", "body", "compound", "positive", "negative", "neutral", "label"]
    assert float(rows[0]["compound"]) < 0 < float(rows[1]["compound"])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"text": broken}\n', "in.jsonl:2: not valid JSON (Expecting value at column 10)"),
        ('{"body": "ok"}\n', "in.jsonl:2: no 'text' column"),
        ('{"text": 5}\n', "in.jsonl:2: 'text' must be a string, got 5"),
        ('{"text": ["a"]}\n', "in.jsonl:2: 'text' must be a string, got [\"a\"]"),
        ('"just a string"\n', "in.jsonl:2: a record must be a JSON object, got a string"),
        # A lone surrogate is scored as U+FFFD (with a warning), not rejected.
        ('{"text": "A \\ud800 attack."}\n', None),
    ],
)
def test_cli_bad_rows_are_rejected_and_the_rest_written(tmp_path, capsys, content, message):
    src = tmp_path / "in.jsonl"
    src.write_text('{"text": "A terrible attack."}\n' + content, encoding="utf-8")
    dst = tmp_path / "out.jsonl"
    assert _cli(src, "-o", dst, "--rules-only") == 0
    err = capsys.readouterr().err
    written = dst.read_text(encoding="utf-8").splitlines()
    if message is None:
        assert len(written) == 2 and "rejected: " not in err
        assert f"warning: {src}:2: 'text' has lone surrogates" in err
    else:
        assert f"rejected: {tmp_path / message}" in err
        assert len(written) == 1 and json.loads(written[0])["compound"] < 0


@pytest.mark.parametrize(
    ("content", "suffix", "message", "code"),
    [
        ('{"text": broken}\n', ".jsonl", "in.jsonl: no row written: all 1 rows rejected", 1),
        ("text\nok\n", ".txt", "in.txt: unsupported input type", 1),
        ("", ".jsonl", "in.jsonl: no rows to score", 1),
    ],
)
def test_cli_errors_name_the_file(tmp_path, capsys, content, suffix, message, code):
    src = tmp_path / f"in{suffix}"
    src.write_text(content, encoding="utf-8")
    assert _cli(src, "-o", tmp_path / "out.jsonl", "--rules-only") == code
    assert f"error: {tmp_path / message}" in capsys.readouterr().err
    assert not (tmp_path / "out.jsonl").exists()


@pytest.mark.parametrize(
    "use_model",
    [False, pytest.param(True, marks=pytest.mark.skipif(not HAS_MODEL, reason="no model"))],
)
@pytest.mark.parametrize("text", ["", " ", "\n\t ", "\u00a0"])
def test_empty_text_is_exactly_neutral_without_a_model_call(monkeypatch, use_model, text):
    from analysis.sentiment import estimator

    calls = []
    real = estimator.load_sentence_model
    monkeypatch.setattr(estimator, "load_sentence_model", lambda *a: calls.append(a) or real(*a))
    scorer = SentimentScorer(use_model=use_model)
    out = scorer.transform([text, "A wonderful success.", text])
    expected = {
        "compound": 0.0,
        "positive": 0.0,
        "negative": 0.0,
        "neutral": 1.0,
        "label": "neutral",
    }
    for i in (0, 2):
        assert out.iloc[i].to_dict() == expected
    assert out["compound"].iloc[1] > 0.05
    assert scorer.transform([text]).iloc[0].to_dict() == expected
    assert len(calls) == (1 if use_model else 0)  # only for the non-empty sentence
    assert scorer.explain(text).compound == 0.0


def test_cli_empty_text_is_neutral(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text("id,text\n1,\n2,   \n", encoding="utf-8")
    src_json = tmp_path / "in.jsonl"
    src_json.write_text('{"id": 3, "text": null}\n', encoding="utf-8")
    for path in (src, src_json):
        dst = tmp_path / "out.jsonl"
        assert _cli(path, "-o", dst) == 0
        for line in dst.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            assert [row[c] for c in ("compound", "positive", "negative", "neutral")] == [
                0.0,
                0.0,
                0.0,
                1.0,
            ]


def test_cli_ordinary_scores_match_the_scorer(tmp_path):
    texts = ["A terrible attack.", "A wonderful success.", "The minister arrived on Monday."]
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts), encoding="utf-8")
    dst = tmp_path / "out.csv"
    assert _cli(src, "-o", dst) == 0
    expected = SentimentScorer().transform(texts).round(4)
    with dst.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for c in ("compound", "positive", "negative", "neutral"):
        assert [float(r[c]) for r in rows] == expected[c].tolist()


@pytest.mark.slow
@pytest.mark.notebook
def test_sentiment_notebook_on_seed(seed_path, tmp_path):
    import papermill as pm

    summary_path = tmp_path / "summary.json"
    pm.execute_notebook(
        str(config.NOTEBOOKS_DIR / "03_sentiment.ipynb"),
        str(tmp_path / "out.ipynb"),
        parameters={"corpus": str(seed_path), "summary_path": str(summary_path)},
        kernel_name="python3",
        progress_bar=False,
    )
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    assert summary["n_articles"] == 1
    assert summary["n_sentences"] == 21
    assert summary["mean_tone"] < 0 < summary["mean_polarity"]
    assert {v["voice"] for v in summary["voice"]} == {"narrator", "speaker"}
    assert summary["tone_over_time_periods"] == 0  # the seed carries no publication date
    assert summary["most_negative"][0]["compound"] < -0.1  # calibrated scale: -0.05 is the cut


def test_estimator_conventions_fit_sets_blend_and_score_is_one_number():
    scorer = SentimentScorer(use_model=False)
    texts = ["A terrible, deadly attack.", "A wonderful success.", "The meeting is on Monday."]
    scores = scorer.transform(texts)
    assert not hasattr(scorer, "blend_")  # scoring sets no fitted attribute
    assert list(scorer.predict(texts)) == list(scores["compound"])
    assert scorer.fit().blend_ == scorer._blend()
    f1 = scorer.score(texts, [-0.8, 0.8, 0.0])
    assert isinstance(f1, float) and f1 == pytest.approx(1.0)
    with pytest.warns(FutureWarning, match="transform"):
        old = scorer.score(texts)
    assert old.equals(scores)


@pytest.mark.skipif(not HAS_MODEL, reason="the sentence-sentiment model is not built")
@pytest.mark.parametrize(
    ("text", "label", "strong"),
    [
        # "truce" is a positive lexicon word and "fell apart" none: right side, but mild.
        ("The truce fell apart within hours.", "negative", False),
        ("A horrific bombing killed forty villagers.", "negative", True),
        ("Investors cheered the strong profits and a higher dividend.", "positive", True),
        ("The treaty is a welcome step toward lasting peace.", "positive", True),
    ],
)
def test_clear_sentences_read_right(text, label, strong):
    out = SentimentScorer().transform([text]).iloc[0]
    assert out["label"] == label
    # The shares say the same as the label, and a clear sentence reaches near the end of the
    # calibrated scale (issue 17; before it, 0.15 was the bar).
    assert (out["positive"] > out["negative"]) == (label == "positive")
    assert abs(out["compound"]) > (0.5 if strong else 0.05)


@pytest.mark.skipif(not HAS_MODEL, reason="the sentence-sentiment model is not built")
def test_scale_is_batch_invariant_and_labels_follow_compound():
    scorer = SentimentScorer()
    texts = [
        "The truce fell apart within hours.",
        "Short.",
        "A horrific bombing killed forty.",
        "The minister arrived on Monday.",  # the neutral rule: exactly 0
    ]
    together = scorer.transform(texts)
    for i, text in enumerate(texts):
        alone = scorer.transform([text]).iloc[0]
        assert alone["compound"] == pytest.approx(together["compound"].iloc[i], abs=1e-6)
    assert list(together["label"]) == list(polarity_labels(together["compound"]))
    assert together["compound"].iloc[3] == 0.0
    why = scorer.explain(texts[3])
    assert why.compound == 0.0 and why.neutral_rule and "neutral rule" in str(why)
    assert not scorer.explain(texts[0]).neutral_rule


def test_stretch_knots_are_odd_monotonic_and_flat_beyond_the_last():
    scale = {"band": 0.05, "z": [0.07, 0.105, 0.36, 0.5], "compound": [0.05, 0.25, 0.85, 1.0]}
    z = np.linspace(-1, 1, 2001)
    g = stretch(z, scale)
    assert np.all(np.diff(g) >= 0)
    assert g == pytest.approx(-stretch(-z, scale))
    assert stretch([0.0, 0.07, 0.105, 0.36, 0.5, 0.8], scale) == pytest.approx(
        [0.0, 0.05, 0.25, 0.85, 1.0, 1.0]
    )
    # Within the band the map is linear onto ±0.05.
    assert stretch([0.035], scale) == pytest.approx([0.025])


def test_neutral_rule_needs_no_polar_word_and_a_mild_model():
    columns = ["rules", "model", "rules_positive", "rules_negative"]
    blend = {
        "columns": columns,
        "intercept": 0.01,
        "weights": [0.2, 0.5, 0.1, -0.1],
        "scale": None,
        "neutral": {"model_within": [-0.2, 0.2]},
    }
    X = np.array(
        [
            [0.0, 0.1, 0.0, 0.0],  # no polar word, mild model: exactly 0
            [0.0, -0.19, 0.0, 0.0],  # the same, negative side
            [0.0, 0.3, 0.0, 0.0],  # no polar word, but the model sees polarity
            [0.4, 0.1, 0.3, 0.0],  # a polar word
        ]
    )
    assert neutral_mask(X, blend).tolist() == [True, True, False, False]
    compound = apply_blend(X, blend)
    assert compound[:2].tolist() == [0.0, 0.0]
    assert compound[2] == pytest.approx(0.01 + 0.5 * 0.3)
    assert compound[3] == pytest.approx(0.01 + 0.2 * 0.4 + 0.5 * 0.1 + 0.1 * 0.3)
    # Older blends (no "neutral", or no named columns) have no such rule.
    assert not neutral_mask(X, {k: v for k, v in blend.items() if k != "neutral"}).any()
    assert not neutral_mask(X, {k: v for k, v in blend.items() if k != "columns"}).any()


def test_fit_blend_fits_the_neutral_rule_while_r_holds():
    # Sentences without a polar word are rated neutral and the "model" only adds noise to them:
    # the fit should flatten them, never below the r of rules and model alone.
    rng = np.random.default_rng(2)
    n = 3000
    polar = rng.random(n) < 0.6
    y = np.where(polar, rng.normal(0, 0.3, n), rng.normal(0, 0.02, n))
    rules = np.where(polar, y + rng.normal(0, 0.2, n), 0.0)
    model = y + rng.normal(0, 0.1, n)
    pos = np.where(polar & (rules > 0), 0.3, 0.0)
    neg = np.where(polar & (rules <= 0), 0.3, 0.0)
    X = np.column_stack([rules, model, pos, neg])
    columns = ["rules", "model", "rules_positive", "rules_negative"]
    blend = fit_blend(X, y, base_columns=2, columns=columns)
    low, high = blend["neutral"]["model_within"]
    assert low == -high and high > 0
    compound = apply_blend(X, blend)
    floor = np.corrcoef(X[:, :2] @ np.linalg.lstsq(X[:, :2], y, rcond=None)[0], y)[0, 1]
    assert np.corrcoef(compound, y)[0, 1] >= floor - 1e-6
    assert (compound[~polar] == 0).mean() > 0.5 and (compound[polar] != 0).all()
    # Without column names there is nothing to key the rule on.
    assert "neutral" not in fit_blend(X, y, base_columns=2)


#: The hand-made check set (issue 17): sentences a reader labels clearly, written for this test,
#: never tuned on. Known misses, each with its cause, are strict xfails: a fix makes them pass.
CHECK_SET = list(
    csv.DictReader((FIXTURES / "sentiment_check.csv").read_text(encoding="utf-8").splitlines())
)
KNOWN_MISSES = {
    "The train from Leeds reaches London in just over two hours.": "the lexicon gives "
    "'reaches' +0.2, a polar word, so the neutral rule does not apply (model +0.18)",
    "Voters in the district will elect a new mayor in November.": "the model scores it +0.26, "
    "beyond the neutral rule's ±0.21 fitted on NYT dev",
    "The museum is located on the north bank of the river.": "the model scores it +0.30, "
    "beyond the neutral rule's ±0.21 fitted on NYT dev (it learned from reviews)",
    "The economy is booming and unemployment has fallen to a record low.": "the rules read "
    "'unemployment', 'fallen' and 'low' as three negative words; a fall in a bad thing is "
    "not composed",
}


@pytest.mark.skipif(not HAS_MODEL, reason="the sentence-sentiment model is not built")
@pytest.mark.parametrize(
    ("sentence", "label"),
    [
        pytest.param(
            row["sentence"],
            row["label"],
            marks=[pytest.mark.xfail(strict=True, reason=KNOWN_MISSES[row["sentence"]])]
            if row["sentence"] in KNOWN_MISSES
            else [],
            id=row["sentence"][:40],
        )
        for row in CHECK_SET
    ],
)
def test_check_set_reads_as_a_reader_would(sentence, label):
    out = SentimentScorer().transform([sentence]).iloc[0]
    assert out["label"] == label
    if label == "neutral":
        assert out["compound"] == 0.0
    else:
        assert abs(out["compound"]) >= 0.5


def test_check_set_is_balanced_and_mostly_read_right():
    labels = [row["label"] for row in CHECK_SET]
    assert {lab: labels.count(lab) for lab in set(labels)} == {
        "neutral": 10,
        "negative": 10,
        "positive": 10,
    }
    assert set(KNOWN_MISSES) <= {row["sentence"] for row in CHECK_SET}
    assert len(KNOWN_MISSES) <= 4


def test_actor_voice_places_each_mention_in_its_own_article_and_first_sentence():
    # Two articles with the same offsets: a mention counts in a sentence of its own article.
    # Sentences 0 and 1 of "b" overlap; a mention inside both counts once, in the first.
    # Kayani's mention inside Musharraf's quote is spoken of; inside his own quote it is not.
    # A second mention in the same sentence counts the sentence once; a mention outside every
    # sentence counts nowhere.
    sentiment = pd.DataFrame(
        {
            "article_id": ["a", "a", "b", "b"],
            "sentence": [0, 1, 0, 1],
            "compound": [-0.8, 0.6, 0.4, -0.2],
            "positive": 0.0,
            "negative": 0.0,
            "neutral": 1.0,
            "voice": ["narrator", "speaker", "narrator", "narrator"],
            "start": [0, 50, 0, 20],
            "end": [49, 99, 40, 60],
            "n_words": [10, 30, 10, 10],
        }
    )
    mentions = pd.DataFrame(
        {
            "article_id": ["a", "a", "a", "b", "b", "b"],
            "start": [5, 60, 70, 25, 30, 500],
            "end": [10, 65, 75, 30, 35, 505],
            "actor": ["Kayani", "Kayani", "Musharraf", "Musharraf", "Musharraf", "Kayani"],
        }
    )
    quotes = pd.DataFrame(
        {
            "article_id": ["a", "b"],
            "start": [50, 0],
            "end": [99, 40],
            "quote": ["Kayani will decide.", "Musharraf spoke."],
            "speaker": ["Musharraf", "Kayani"],
        }
    )
    out = actor_voice(sentiment, mentions, quotes, scorer=RULES).set_index("actor")
    # Kayani: a/0 (-0.8, 10 words) and a/1 (0.6, 30 words), weighted mean 0.25.
    assert out.loc["Kayani", "n_spoken_of"] == 2
    assert out.loc["Kayani", "spoken_of"] == pytest.approx((-0.8 * 10 + 0.6 * 30) / 40)
    # Musharraf: only b/0 (his mention in a/1 lies in his own quote; b/0 is not his quote).
    assert out.loc["Musharraf", "n_spoken_of"] == 1
    assert out.loc["Musharraf", "spoken_of"] == pytest.approx(0.4)
    assert out.loc["Musharraf", "n_quotes"] == 1
