"""The learned component: the shipped sentence regressor, its blend with the rules, the scale."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from analysis import config
from analysis.sentiment.rules import GOLD_THRESHOLD, POLARITY_THRESHOLD

# --- learned component and blend -----------------------------------------------------------


def sentence_model_dir(model: str | Path | None = None) -> Path:
    """The folder of a sentence-sentiment model.

    Parameters
    ----------
    model : str or Path, optional
        A name in ``config.SENTENCE_SENTIMENT_MODELS`` (``transformer``, ``static``), a model
        folder, or None for ``config.SENTENCE_SENTIMENT_MODEL_DIR`` (the default model).

    Returns
    -------
    pathlib.Path
    """
    if model is None:
        return Path(config.SENTENCE_SENTIMENT_MODEL_DIR)
    if isinstance(model, str) and model in config.SENTENCE_SENTIMENT_MODELS:
        return Path(config.SENTENCE_SENTIMENT_MODELS[model])
    path = Path(model)
    if not path.is_dir():
        names = ", ".join(sorted(config.SENTENCE_SENTIMENT_MODELS))
        raise ValueError(f"{model}: not a sentence-sentiment model name ({names}) nor a folder")
    return path


def has_sentence_model(model: str | Path | None = None) -> bool:
    """Whether the model's weights are installed (an ONNX graph or a static table)."""
    from analysis.sentiment.static import STATIC_WEIGHTS_FILE

    folder = sentence_model_dir(model)
    return (folder / "model.onnx").is_file() or (folder / STATIC_WEIGHTS_FILE).is_file()


@functools.lru_cache(maxsize=4)
def load_sentence_model(intra_op_num_threads: int = 1, model: str | Path | None = None):
    """Load (once per process) a committed sentence-sentiment regressor.

    Parameters
    ----------
    intra_op_num_threads : int, default 1
        onnxruntime threads per operator (the static model uses none).
    model : str or Path, optional
        Model name or folder (see :func:`sentence_model_dir`); default the configured model.

    Returns
    -------
    analysis.encoder.OnnxModel or analysis.sentiment.static.StaticRegressor
        Its ``predict(texts, batch_size=...)`` gives one row per text whose first column is the
        predicted human mean rating / 4.
    """
    from analysis.sentiment.static import StaticRegressor, is_static_model_dir

    folder = sentence_model_dir(model)
    if is_static_model_dir(folder):
        return StaticRegressor(folder)
    from analysis.encoder import OnnxModel

    return OnnxModel(folder, intra_op_num_threads=intra_op_num_threads)


def _read_blend(model: str | Path | None = None) -> dict:
    path = sentence_model_dir(model) / "meta.json"
    if not path.is_file():
        return {}
    return json.loads(path.read_text(encoding="utf-8")).get("blend", {})


#: Score columns a blend can weigh, by name (see :func:`blend_columns`).
BLEND_COLUMNS = ("rules", "model", "rules_positive", "rules_negative")
#: Columns a blend fitted by :func:`fit_blend` weighs, by scorer kind. The rules' positive and
#: negative shares add about 0.005 of NYT dev r to the compound alone (they tell a sentence with
#: one strong word from one with several).
FIT_COLUMNS = {
    "rules": ("rules", "rules_positive", "rules_negative"),
    "model": ("rules", "model", "rules_positive", "rules_negative"),
}

#: Used when meta.json carries no fitted blend: plain VADER-like rules, or an even mix.
DEFAULT_BLEND = {
    "rules": {"intercept": 0.0, "weights": [1.0]},
    "model": {"intercept": 0.0, "weights": [0.5, 0.5]},
}


def blend_columns(blend: Mapping, use_model: bool) -> tuple[str, ...]:
    """The score columns ``blend`` weighs, in order.

    A blend names them in ``columns``; an older one (without) weighs the rule compound and, with
    the model, the model score.
    """
    cols = tuple(blend.get("columns") or (("rules", "model") if use_model else ("rules",)))
    unknown = [c for c in cols if c not in BLEND_COLUMNS or (c == "model" and not use_model)]
    if unknown:
        raise ValueError(f"blend weighs unavailable score columns {unknown}")
    return cols


def _macro_f1(gold: np.ndarray, pred: np.ndarray) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(gold, pred, labels=[-1, 0, 1], average="macro", zero_division=0))


def polarity_classes(values, threshold: float) -> np.ndarray:
    """-1, 0 or 1 for each value beyond ``-threshold`` / ``+threshold``."""
    values = np.asarray(values, dtype=float)
    return np.where(values > threshold, 1, np.where(values < -threshold, -1, 0))


def polarity_labels(compound) -> np.ndarray:
    """``negative``, ``neutral`` or ``positive`` for each compound, cut at ±0.05 (VADER's)."""
    names = np.array(["negative", "neutral", "positive"], dtype=object)
    return names[polarity_classes(compound, POLARITY_THRESHOLD) + 1]


def stretch(z, scale: Mapping | None) -> np.ndarray:
    """The calibrated scale: a fixed monotonic, piecewise-linear map of the blended rating.

    ``z`` (predicted mean rating / 4) within ``±scale["cut"]`` maps linearly onto ±0.05, the
    neutral band; beyond it, ``compound = ±0.05 + slope * (z ∓ cut)``, clipped to -1..1. The map
    depends on nothing but ``z``, so a sentence scores the same alone or in any batch.

    Parameters
    ----------
    z : array-like
        Blended scores.
    scale : mapping or None
        ``cut`` and ``slope``, as :func:`fit_blend` stores them; ``None`` is the identity.

    Returns
    -------
    numpy.ndarray
        Compound scores in -1..1.
    """
    z = np.asarray(z, dtype=float)
    if not scale:
        return np.clip(z, -1.0, 1.0)
    cut, slope = float(scale["cut"]), float(scale["slope"])
    inside = z * (POLARITY_THRESHOLD / cut)
    outside = np.sign(z) * (POLARITY_THRESHOLD + slope * (np.abs(z) - cut))
    return np.clip(np.where(np.abs(z) <= cut, inside, outside), -1.0, 1.0)


def apply_blend(X: np.ndarray, blend: Mapping) -> np.ndarray:
    """Blend score columns into the compound: an affine map, then the calibrated scale.

    Parameters
    ----------
    X : numpy.ndarray
        (n, k) score columns, in the order of :func:`blend_columns`.
    blend : mapping
        ``intercept``, ``weights`` (k of them) and optionally ``scale`` (see :func:`stretch`),
        as :func:`fit_blend` returns.

    Returns
    -------
    numpy.ndarray
        Compound scores in -1..1.
    """
    w = np.asarray(blend["weights"], dtype=float)
    if X.shape[1] != len(w):
        raise ValueError(f"blend has {len(w)} weights for {X.shape[1]} score columns")
    # Column by column, not ``X @ w``: BLAS may pick its kernel (and so its rounding) by the
    # number of rows, and a sentence must score the same alone or in any batch.
    z = np.full(len(X), float(blend["intercept"]))
    for j, weight in enumerate(w):
        z = z + X[:, j] * weight
    return stretch(z, blend.get("scale"))


def share_scores(compound, positive, negative) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Positive, negative and neutral shares that agree with the compound.

    The rules' shares (VADER's: the sentence's words weighted by valence) are kept when their
    balance ``positive - negative``, cut at ±0.05 like the compound, gives the compound's label.
    Otherwise the learned model has outweighed the words (or found sentiment where no lexicon
    word is), and the shares are re-weighted: the polar total ``p = max(positive + negative,
    |compound|)`` is split so that ``positive - negative = compound`` (``positive = (p +
    compound) / 2``, ``negative = (p - compound) / 2``, ``neutral = 1 - p``). Either way the
    three sum to 1 and ``positive - negative`` has the compound's label.

    Parameters
    ----------
    compound, positive, negative : array-like
        The blended compound and the rules' positive and negative shares.

    Returns
    -------
    tuple of numpy.ndarray
        ``positive``, ``negative``, ``neutral``.
    """
    c = np.asarray(compound, dtype=float)
    pos = np.asarray(positive, dtype=float)
    neg = np.asarray(negative, dtype=float)
    agree = polarity_classes(pos - neg, POLARITY_THRESHOLD) == polarity_classes(
        c, POLARITY_THRESHOLD
    )
    p = np.clip(np.maximum(pos + neg, np.abs(c)), 0.0, 1.0)
    new_pos = np.where(agree, pos, (p + c) / 2)
    new_neg = np.where(agree, neg, (p - c) / 2)
    return new_pos, new_neg, np.where(agree, 1.0 - pos - neg, 1.0 - p)


def fit_blend(
    X: np.ndarray,
    y: np.ndarray,
    *,
    base_columns: int | None = None,
    cuts: Sequence[float] | None = None,
    slopes: Sequence[float] | None = None,
) -> dict:
    """Fit blend weights and the calibrated scale on rated sentences.

    1. Least squares of ``y`` on ``X`` gives ``z``, the predicted rating (mean / 4).
    2. The scale (:func:`stretch`) maps ``|z| <= cut`` onto the neutral band ±0.05 and continues
       beyond with ``slope`` (1 keeps rating units: 0.25 of compound is one rating point). The
       cut and slope are chosen on a grid: the highest 3-class macro F1 (gold classes beyond
       ±0.125, i.e. ±0.5 of VADER's -4..4), then the largest slope (the widest spread), among
       the pairs whose compound keeps Pearson r with ``y`` at least that of the least-squares
       score of the first ``base_columns`` columns (the rules and model alone). A wider band
       raises F1 but compresses more sentences into it, which costs r; the floor on r bounds
       both.

    Parameters
    ----------
    X : numpy.ndarray
        (n, k) score columns.
    y : numpy.ndarray
        Ratings on -1..1.
    base_columns : int, optional
        The floor on r is that of least squares on ``X[:, :base_columns]``; default all
        columns.
    cuts, slopes : sequence of float, optional
        Candidates (defaults 0.05..0.15 and 1.0..2.0).

    Returns
    -------
    dict
        ``intercept``, ``weights``, ``cut`` and ``scale`` (``cut``, ``slope``, ``band``),
        with the in-sample ``pearson_r`` and ``macro_f1`` of the compound.
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)

    def least_squares(M: np.ndarray) -> np.ndarray:
        A = np.column_stack([np.ones(len(M)), M])
        return np.linalg.lstsq(A, y, rcond=None)[0]

    coef = least_squares(X)
    z = coef[0] + X @ coef[1:]
    k = X.shape[1] if base_columns is None else base_columns
    base = least_squares(X[:, :k])
    floor = _pearson(base[0] + X[:, :k] @ base[1:], y)
    gold = polarity_classes(y, GOLD_THRESHOLD)
    cuts = cuts if cuts is not None else np.round(np.arange(0.05, 0.1501, 0.005), 3)
    slopes = slopes if slopes is not None else np.round(np.arange(1.0, 2.001, 0.05), 2)
    # slope 1 at the narrowest band is the identity map, so one candidate always keeps r.
    best = (-1.0, -1.0, POLARITY_THRESHOLD, 1.0, _pearson(z, y))
    for cut in cuts:
        f1 = _macro_f1(gold, polarity_classes(z, float(cut)))
        for slope in slopes:
            scale = {"cut": float(cut), "slope": float(slope)}
            r = _pearson(stretch(z, scale), y)
            # A tiny tolerance: the identity map must pass its own floor despite rounding.
            if r >= floor - 1e-9 and (f1, slope) > best[:2]:
                best = (f1, float(slope), float(cut), float(slope), r)
    f1, _, cut, slope, r = best
    return {
        "intercept": float(coef[0]),
        "weights": [float(c) for c in coef[1:]],
        "cut": cut,
        "scale": {"cut": cut, "slope": slope, "band": POLARITY_THRESHOLD},
        "pearson_r": round(r, 4),
        "macro_f1": round(f1, 4),
    }


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    if np.std(a) == 0 or np.std(b) == 0:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


def cross_val_blend(
    X: np.ndarray,
    y: np.ndarray,
    groups: Sequence,
    *,
    n_splits: int = 5,
    base_columns: int | None = None,
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
    base_columns : int, optional
        Passed to :func:`fit_blend`.

    Returns
    -------
    numpy.ndarray
        The compound of each row, predicted by a blend that never saw its group.
    """
    from sklearn.model_selection import GroupKFold

    out = np.zeros(len(y), dtype=float)
    for train, test in GroupKFold(n_splits=n_splits).split(X, y, groups):
        blend = fit_blend(X[train], y[train], base_columns=base_columns)
        out[test] = apply_blend(X[test], blend)
    return out
