"""Batch invariance and model selection of the fast sentiment models (static sentence regressor,
target model with fixed int8 scales)."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from analysis import cli, config
from analysis.encoder import BucketedOnnxModel, OnnxModel
from analysis.sentiment import SentimentScorer, load_sentence_model, sentence_model_dir
from analysis.sentiment.static import StaticRegressor, _load_arrays, conv_features, pooled_features
from analysis.target import LABELS, load_target_model, target_sentiments

HAS_STATIC = (config.SENTENCE_SENTIMENT_MODELS["static"] / "model.npz").is_file()
HAS_FIXED = (config.TARGET_SENTIMENT_MODELS["fixed"] / "model.onnx").is_file()

#: Sentences of different lengths and kinds, including ones with no token the vocabulary has.
EXTRA = [
    "",
    "   ",
    "A wonderful success.",
    "The ceasefire collapsed after talks failed.",
    "\u4e2d\u6587",
    "Officials said the plan would not work, but voters were hopeful.",
]


def _sentences(seed_text: str) -> list[str]:
    lines = [s.strip() for s in seed_text.replace("\n", " ").split(". ") if s.strip()]
    return lines[:40] + EXTRA


def _assert_batch_invariant(score, items) -> None:
    """``score(items)`` gives each item the same row alone, in one batch and shuffled."""
    together = score(items)
    alone = np.concatenate([score([x]) for x in items])
    np.testing.assert_array_equal(alone, together)
    order = list(range(len(items)))
    random.Random(0).shuffle(order)
    shuffled = score([items[i] for i in order])
    np.testing.assert_array_equal(shuffled, together[order])
    # A batch padded with other sentences on both sides.
    padded = score([*items[::-1], *items, *items[:7]])
    np.testing.assert_array_equal(padded[len(items) : 2 * len(items)], together)


def test_pooled_features_are_per_sentence():
    table = np.random.default_rng(0).normal(size=(10, 3)).astype(np.float32)
    out = pooled_features(table, [[1, 2, 2], [], [9]])
    np.testing.assert_allclose(out[0, :3], table[[1, 2, 2]].mean(0), rtol=1e-6)
    np.testing.assert_array_equal(out[0, 3:6], table[[1, 2]].max(0))
    np.testing.assert_array_equal(out[0, 6:], table[[1, 2]].min(0))
    # An empty sentence reads [PAD] (row 0).
    np.testing.assert_array_equal(out[1], np.concatenate([table[0]] * 3))
    np.testing.assert_array_equal(out[2], np.concatenate([table[9]] * 3))


def _tiny_conv_model(rng):
    """A convolutional model's arrays as ``model.npz`` holds them (vocabulary 12, d 4)."""
    return {
        "table": rng.normal(size=(12, 4)).astype(np.float16),
        "conv_widths": np.array([1, 3]),
        "conv_weight_0": rng.normal(size=(5, 4, 1)).astype(np.float32),
        "conv_bias_0": rng.normal(size=5).astype(np.float32),
        "conv_weight_1": rng.normal(size=(2, 4, 3)).astype(np.float32),
        "conv_bias_1": rng.normal(size=2).astype(np.float32),
        "weight": rng.normal(size=14).astype(np.float32),
        "intercept": np.float32(0.1),
    }


def test_conv_features_are_a_convolution_per_sentence():
    data = _tiny_conv_model(np.random.default_rng(1))
    arrays = _load_arrays(data)
    sentences = [[1, 2, 3, 4], [], [11], [5, 5, 6], [7, 8, 9, 10], [2, 1]]
    out = conv_features(arrays["conv_tables"], arrays["conv_biases"], sentences)
    table = data["table"].astype(np.float32)
    for row, ids in zip(out, sentences, strict=True):
        x = table[ids or [0]]
        x = np.vstack([x, np.zeros((2, 4), dtype=np.float32)])  # zero vectors past the end
        n = len(ids or [0])
        expected = []
        for j in (0, 1):
            w, b = data[f"conv_weight_{j}"], data[f"conv_bias_{j}"]
            h = np.tanh(
                [b + sum(w[:, :, k] @ x[t + k] for k in range(w.shape[2])) for t in range(n)]
            )
            expected += [h.mean(0), h.max(0)]
        np.testing.assert_allclose(row, np.concatenate(expected), rtol=1e-5, atol=1e-6)
    # Alone, in another order, in another company: the same numbers to the last bit.
    for i, ids in enumerate(sentences):
        alone = conv_features(arrays["conv_tables"], arrays["conv_biases"], [ids])
        np.testing.assert_array_equal(alone[0], out[i])
    order = [4, 0, 5, 2, 1, 3]
    shuffled = conv_features(
        arrays["conv_tables"], arrays["conv_biases"], [sentences[i] for i in order]
    )
    np.testing.assert_array_equal(shuffled, out[order])


@pytest.mark.skipif(not HAS_STATIC, reason="no static sentence model")
def test_cached_word_ids_are_the_tokenizers(seed_text):
    model = StaticRegressor(config.SENTENCE_SENTIMENT_MODELS["static"])
    texts = [
        *_sentences(seed_text),
        seed_text,
        "caf\u00e9 na\u0308ive \u4e2d\u6587abc don\u2019t",
        "\u00a0word\u3000two\tthree\nfour",
        "a\x1cb c",
        "x\u2028y z",
        " ".join(["word"] * 600),
    ]
    expected = [e.ids for e in model.tokenizer.encode_batch(texts, add_special_tokens=False)]
    assert model.token_ids(texts) == expected
    # Again, from the cache only.
    assert model.token_ids(texts[::-1]) == expected[::-1]


@pytest.mark.skipif(not HAS_STATIC, reason="no static sentence model")
def test_static_model_scores_are_batch_invariant(seed_text):
    model = load_sentence_model(1, "static")
    assert isinstance(model, StaticRegressor)
    _assert_batch_invariant(lambda xs: model.predict(xs)[:, 0], _sentences(seed_text))


@pytest.mark.skipif(not HAS_STATIC, reason="no static sentence model")
def test_static_blended_scores_are_batch_invariant(seed_text):
    scorer = SentimentScorer(model="static")
    columns = ["compound", "positive", "negative", "neutral"]
    _assert_batch_invariant(
        lambda xs: scorer.transform(xs)[columns].to_numpy(), _sentences(seed_text)
    )


@pytest.mark.skipif(not HAS_STATIC, reason="no static sentence model")
def test_static_model_reads_sentiment():
    scores = SentimentScorer(model="static").predict(
        ["The talks were a great success and everyone was delighted.", "The attack killed 40."]
    )
    assert scores[0] > 0.05 > -0.05 > scores[1]


def test_sentence_model_names_and_folders():
    assert sentence_model_dir() == config.SENTENCE_SENTIMENT_MODEL_DIR
    assert sentence_model_dir("transformer") == config.SENTENCE_SENTIMENT_MODELS["transformer"]
    folder = config.SENTENCE_SENTIMENT_MODELS["static"]
    assert sentence_model_dir(folder) == folder
    with pytest.raises(ValueError, match="no-such-model: not a sentence-sentiment model name"):
        sentence_model_dir("no-such-model")
    assert isinstance(load_sentence_model(1, "transformer"), OnnxModel)


@pytest.mark.skipif(not HAS_STATIC, reason="no static sentence model")
def test_each_model_uses_its_own_blend():
    static = SentimentScorer(model="static")._blend()
    transformer = SentimentScorer(model="transformer")._blend()
    assert static["weights"] != transformer["weights"]
    # Rules only: the rules' blend, whatever the model.
    rules = SentimentScorer(use_model=False, model="static")._blend()
    assert rules == SentimentScorer(use_model=False, model="transformer")._blend()


@pytest.mark.skipif(not HAS_STATIC, reason="no static sentence model")
def test_cli_model_option(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(
        "\n".join(json.dumps({"text": t}) for t in ["A wonderful success.", "A grim failure."])
        + "\n"
    )
    out = tmp_path / "out.jsonl"
    assert cli.main(["sentiment", str(src), "-o", str(out), "--model", "static"]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    expected = SentimentScorer(model="static").predict(["A wonderful success.", "A grim failure."])
    assert [r["compound"] for r in rows] == [round(float(v), 4) for v in expected]


def test_cli_rejects_an_unknown_model(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"text": "x"}\n')
    with pytest.raises(SystemExit) as exit_:
        cli.main(["sentiment", str(src), "-o", str(tmp_path / "o.jsonl"), "--model", "nope"])
    assert exit_.value.code == 2


@pytest.mark.skipif(not HAS_FIXED, reason="no fixed-scale target model")
def test_target_results_are_batch_invariant():
    model = load_target_model(1, "fixed")
    assert isinstance(model, BucketedOnnxModel)
    cases = [
        ("The brave volunteers rescued the children.", "The brave volunteers"),
        ("Critics said the incompetent officials ignored warnings.", "the incompetent officials"),
        ("The minister met the delegation on Tuesday.", "The minister"),
        ("The minister met the delegation on Tuesday.", "the delegation"),
        ("Police arrested the suspect.", "Police"),
        ("Police arrested the suspect after a long chase through town.", "the suspect"),
    ]
    items = [(t, t.index(m), t.index(m) + len(m)) for t, m in cases]

    def score(rows):
        frame = target_sentiments(
            [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], model=model
        )
        return frame[list(LABELS)].to_numpy()

    _assert_batch_invariant(score, items)
    for batch_size in (1, 2, 5):
        frame = target_sentiments(
            [r[0] for r in items],
            [r[1] for r in items],
            [r[2] for r in items],
            model=model,
            batch_size=batch_size,
        )
        np.testing.assert_array_equal(frame[list(LABELS)].to_numpy(), score(items))


def test_target_model_names():
    assert load_target_model(1, "dynamic").model_dir == config.TARGET_SENTIMENT_MODELS["dynamic"]
    assert type(load_target_model(1, "dynamic")) is OnnxModel
    with pytest.raises(ValueError, match="nope: not a target-sentiment model name"):
        load_target_model(1, "nope")


@pytest.mark.skipif(not HAS_STATIC, reason="no static sentence model")
def test_static_sentiment_option_swaps_the_sentiment_extractor_and_the_key():
    from analysis import features
    from analysis.sentiment.extract import extract_sentiment_static

    plain = features.select(["sentiment"])
    opted = features.select(["static_sentiment"])
    assert [f.table for f in opted] == ["sentiment"]
    assert opted[0].load() is extract_sentiment_static
    assert opted[0].columns == plain[0].columns and opted[0].needs == plain[0].needs
    assert features.code_key(["sentiment"]) != features.code_key(["static_sentiment"])


@pytest.mark.skipif(not HAS_STATIC, reason="no static sentence model")
def test_extract_static_sentiment_scores_with_the_static_model(tmp_path, seed_path):
    import pandas as pd

    runs = {}
    for name, extra in (("transformer", []), ("static", ["--static-sentiment"])):
        out = tmp_path / name
        code = cli.main(
            [
                "extract",
                str(seed_path),
                "-o",
                str(out),
                "--tables",
                "quotes,sentiment",
                "--workers",
                "1",
                "--cache-dir",
                str(tmp_path / "cache"),
                *extra,
            ]
        )
        assert code == 0
        runs[name] = pd.read_parquet(out / "sentiment.parquet")
    from analysis.corpus import load_corpus

    # Offsets index the loaded article text (the loader normalises the file).
    text = load_corpus([seed_path])[0]["text"].iloc[0]
    static = runs["static"]
    sentences = [text[s:e] for s, e in zip(static["start"], static["end"], strict=True)]
    expected = SentimentScorer(model="static").transform(sentences)["compound"].round(4)
    np.testing.assert_array_equal(static["compound"].to_numpy(), expected.to_numpy())
    # Same sentences, voices and columns; other scores (the store keeps the two apart).
    same = ["article_id", "sentence", "start", "end", "voice", "n_words"]
    pd.testing.assert_frame_equal(static[same], runs["transformer"][same])
    assert not np.array_equal(static["compound"], runs["transformer"]["compound"])
