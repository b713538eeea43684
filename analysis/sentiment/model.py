"""The learned component: the shipped sentence regressor and the blend of its score with the rules."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence

import numpy as np

from analysis import config
from analysis.sentiment.rules import GOLD_THRESHOLD, POLARITY_THRESHOLD

# --- learned component and blend -----------------------------------------------------------


@functools.lru_cache(maxsize=2)
def load_sentence_model(intra_op_num_threads: int = 1):
    """Load (once per process) the committed sentence-sentiment regressor.

    Parameters
    ----------
    intra_op_num_threads : int, default 1
        onnxruntime threads per operator.

    Returns
    -------
    analysis.encoder.OnnxModel
        The model in ``config.SENTENCE_SENTIMENT_MODEL_DIR``; its first output column is the
        predicted human mean rating / 4.
    """
    from analysis.encoder import OnnxModel

    return OnnxModel(config.SENTENCE_SENTIMENT_MODEL_DIR, intra_op_num_threads=intra_op_num_threads)


def _read_blend() -> dict:
    path = config.SENTENCE_SENTIMENT_MODEL_DIR / "meta.json"
    if not path.is_file():
        return {}
    return json.loads(path.read_text(encoding="utf-8")).get("blend", {})


#: Used when meta.json carries no fitted blend: plain VADER-like rules, or an even mix.
DEFAULT_BLEND = {
    "rules": {"intercept": 0.0, "weights": [1.0]},
    "model": {"intercept": 0.0, "weights": [0.5, 0.5]},
}


def _macro_f1(gold: np.ndarray, pred: np.ndarray) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(gold, pred, labels=[-1, 0, 1], average="macro", zero_division=0))


def polarity_classes(values, threshold: float) -> np.ndarray:
    """-1, 0 or 1 for each value beyond ``-threshold`` / ``+threshold``."""
    values = np.asarray(values, dtype=float)
    return np.where(values > threshold, 1, np.where(values < -threshold, -1, 0))


def apply_blend(X: np.ndarray, blend: Mapping) -> np.ndarray:
    """Blend score columns (rule compound, model score) into the compound: an affine map, clipped.

    Parameters
    ----------
    X : numpy.ndarray
        (n, k) score columns.
    blend : mapping
        ``intercept`` and ``weights`` (k of them), as :func:`fit_blend` returns.

    Returns
    -------
    numpy.ndarray
        Compound scores in -1..1.
    """
    w = np.asarray(blend["weights"], dtype=float)
    if X.shape[1] != len(w):
        raise ValueError(f"blend has {len(w)} weights for {X.shape[1]} score columns")
    return np.clip(float(blend["intercept"]) + X @ w, -1.0, 1.0)


def fit_blend(X: np.ndarray, y: np.ndarray, *, cuts: Sequence[float] | None = None) -> dict:
    """Fit blend weights: least squares of ``y`` on ``X``, rescaled so the ±0.05 cut fits best.

    The least-squares score ``z`` predicts the rating. The cut ``c`` on ``|z|`` that maximises
    3-class macro F1 (gold classes beyond ±0.125, i.e. ±0.5 on VADER's -4..4 scale) is found, and
    the weights are multiplied by ``0.05 / c``, so VADER's ±0.05 convention separates neutral from
    polar sentences. The map stays affine, so ranks and Pearson r are those of least squares.

    Parameters
    ----------
    X : numpy.ndarray
        (n, k) score columns.
    y : numpy.ndarray
        Ratings on -1..1.
    cuts : sequence of float, optional
        Candidate cuts on the least-squares scale (default 0.01..0.40).

    Returns
    -------
    dict
        ``intercept``, ``weights`` and ``cut`` (the chosen cut before rescaling).
    """
    A = np.column_stack([np.ones(len(X)), X])
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    z = A @ coef
    gold = polarity_classes(y, GOLD_THRESHOLD)
    cuts = cuts if cuts is not None else np.round(np.arange(0.01, 0.401, 0.005), 3)
    best = float(max(cuts, key=lambda c: _macro_f1(gold, polarity_classes(z, c))))
    coef = coef * (POLARITY_THRESHOLD / best)
    return {"intercept": float(coef[0]), "weights": [float(c) for c in coef[1:]], "cut": best}


def cross_val_blend(
    X: np.ndarray, y: np.ndarray, groups: Sequence, *, n_splits: int = 5
) -> np.ndarray:
    """Out-of-fold compounds: :func:`fit_blend` on the other folds, applied to each fold.

    Parameters
    ----------
    X : numpy.ndarray
        (n, k) score columns (rule compound, model score).
    y : numpy.ndarray
        Ratings on -1..1.
    groups : sequence
        Group of each row (the article of a sentence), kept within one fold.
    n_splits : int, default 5

    Returns
    -------
    numpy.ndarray
        The compound of each row, predicted by a blend that never saw its group.
    """
    from sklearn.model_selection import GroupKFold

    out = np.zeros(len(y), dtype=float)
    for train, test in GroupKFold(n_splits=n_splits).split(X, y, groups):
        out[test] = apply_blend(X[test], fit_blend(X[train], y[train]))
    return out
