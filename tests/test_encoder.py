"""Tests of the shared ONNX runtime, run against the committed target-sentiment model."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from analysis import config
from analysis.encoder import ModelFilesError, OnnxModel

MODEL_DIR = config.TARGET_SENTIMENT_MODEL_DIR

TEXTS = [
    "The [unused0] minister [unused1] was praised for a calm and skilful response.",
    "Critics said the [unused0] agency [unused1] had failed.",
    "[unused0] Talks [unused1] resumed.",
]
PAIRS = ["minister", "agency", "Talks"]


@pytest.fixture(scope="module")
def model() -> OnnxModel:
    return OnnxModel(MODEL_DIR)


@pytest.mark.parametrize(
    ("present", "missing"),
    [((), "model.onnx"), (("model.onnx",), "tokenizer.json"), (("tokenizer.json",), "model.onnx")],
)
def test_missing_files_name_the_folder(tmp_path, present, missing):
    for name in present:
        shutil.copy(MODEL_DIR / name, tmp_path / name)
    with pytest.raises(ModelFilesError) as err:
        OnnxModel(tmp_path)
    assert str(tmp_path) in str(err.value)
    assert missing in str(err.value)


def test_session_is_lazy_and_cached():
    m = OnnxModel(MODEL_DIR, intra_op_num_threads=1)
    assert m._session is None
    m.predict(["x"])
    first = m.session
    m.predict(["y"])
    assert m.session is first
    assert first.get_session_options().intra_op_num_threads == 1


def test_max_length_comes_from_meta(model):
    assert model.max_length == model.meta["max_length"] == 128
    assert model.encode(["word " * 500])["input_ids"].shape == (1, 128)
    assert OnnxModel(MODEL_DIR, max_length=16).encode(["word " * 500])["input_ids"].shape == (1, 16)


@pytest.mark.parametrize(
    ("text", "pair", "expected_ids"),
    [
        # [CLS] [unused0] talks [unused1] [SEP]: the markers stay whole tokens (ids 1 and 2).
        ("[unused0] talks [unused1]", None, [101, 1, 7566, 2, 102]),
        ("talks", "talks", [101, 7566, 102, 7566, 102]),
    ],
)
def test_encode(model, text, pair, expected_ids):
    enc = model.encode([text], None if pair is None else [pair])
    assert enc["input_ids"].tolist() == [expected_ids]
    assert enc["attention_mask"].tolist() == [[1] * len(expected_ids)]
    second = 0 if pair is None else 2
    assert enc["token_type_ids"].tolist() == [[0] * (len(expected_ids) - second) + [1] * second]


def test_predict_shape_and_order(model):
    out = model.predict(TEXTS, PAIRS)
    assert out.shape == (3, 3)
    assert out.dtype == np.float32
    # Inputs are regrouped by length inside predict, so any order gives the same batches.
    reversed_out = model.predict(TEXTS[::-1], PAIRS[::-1])
    np.testing.assert_array_equal(out, reversed_out[::-1])


def test_batch_size_changes_little(model):
    together = model.predict(TEXTS, PAIRS, batch_size=32)
    alone = model.predict(TEXTS, PAIRS, batch_size=1)
    # int8 activation scales are set per batch, so logits move slightly, classes do not.
    assert together.argmax(1).tolist() == alone.argmax(1).tolist()
    np.testing.assert_allclose(together, alone, atol=0.5)


def test_predict_checks_arguments(model):
    with pytest.raises(ValueError, match="text_pairs has 1 items but texts has 3"):
        model.predict(TEXTS, ["x"])
    with pytest.raises(ValueError, match="batch_size"):
        model.predict(TEXTS, PAIRS, batch_size=0)
    assert model.predict([]).shape == (0, 3)


def test_scoring_never_writes_under_home(tmp_path, fixtures_dir):
    # onnxruntime's telemetry writes a device id under ~/.cache (or $XDG_CACHE_HOME) when it is
    # imported, unless the package switches it off first. Fresh processes, so nothing is cached.
    home, cache = tmp_path / "home", tmp_path / "cache"
    home.mkdir()
    cache.mkdir()
    env = {
        k: v for k, v in os.environ.items() if k not in ("XDG_CACHE_HOME", "ORT_DISABLE_TELEMETRY")
    }
    env.update(HOME=str(home), XDG_CACHE_HOME=str(cache))
    src = fixtures_dir / "target_rows.jsonl"
    for command in ("sentiment", "target-sentiment"):
        out = tmp_path / f"{command}.jsonl"
        subprocess.run(
            [sys.executable, "-m", "analysis", command, str(src), "-o", str(out)],
            env=env,
            cwd=tmp_path,
            check=True,
            capture_output=True,
        )
        assert len(out.read_text(encoding="utf-8").splitlines()) == 3
    assert list(home.iterdir()) == []
    assert list(cache.iterdir()) == []
