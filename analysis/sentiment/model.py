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


#: Score columns a blend can weigh, by name (see :func:`blend_columns`, :func:`score_columns`).
BLEND_COLUMNS = (
    "rules",
    "model",
    "rules_positive",
    "rules_negative",
    "model_polar",
    "rules_model",
)
#: Columns a blend fitted by :func:`fit_blend` weighs, by scorer kind. The rules' positive and
#: negative shares add about 0.005 of NYT dev r to the compound alone (they tell a sentence with
#: one strong word from one with several). ``model_polar`` (the model score where the rules found
#: a polar word) and ``rules_model`` (their product: agreement) add about 0.0015 of 5-fold r;
#: a polar-word count and squared terms added nothing (issue 17).
FIT_COLUMNS = {
    "rules": ("rules", "rules_positive", "rules_negative"),
    "model": ("rules", "model", "rules_positive", "rules_negative", "model_polar", "rules_model"),
}

#: Used when meta.json carries no fitted blend: plain VADER-like rules, or an even mix.
DEFAULT_BLEND = {
    "rules": {"intercept": 0.0, "weights": [1.0]},
    "model": {"intercept": 0.0, "weights": [0.5, 0.5]},
}

#: The calibrated scale's end: the fitting sentences' 98th percentile of ``|z|`` maps onto
#: ±:data:`END_COMPOUND`, so their 1st and 99th percentiles land near ±0.85 and clearly worded
#: sentences reach near the ends (see :func:`fit_blend`).
END_QUANTILE = 0.98
END_COMPOUND = 0.85
#: Beyond the neutral band the scale climbs back to its straight line ``compound = z *
#: END_COMPOUND / z_end`` by ``KNEE`` times the band's edge. A map that bends only near the band
#: keeps Pearson r where one long segment from the band to the end (a kink of slope 0.6 to 2.6)
#: cost 0.02 of NYT dev r (issue 17).
KNEE = 1.5


def score_columns(rules, positive, negative, model=None) -> dict[str, np.ndarray]:
    """Every score column a blend can weigh, by name (:data:`BLEND_COLUMNS`).

    Parameters
    ----------
    rules, positive, negative : array-like
        The rules' compound and positive and negative shares.
    model : array-like, optional
        The regressor's score; without it the model columns are left out.

    Returns
    -------
    dict
        ``rules``, ``rules_positive``, ``rules_negative`` and, with ``model``, ``model``,
        ``model_polar`` (the model score where the rules found a polar word, else 0) and
        ``rules_model`` (rules compound times model score).
    """
    rules = np.asarray(rules, dtype=float)
    positive = np.asarray(positive, dtype=float)
    negative = np.asarray(negative, dtype=float)
    out = {"rules": rules, "rules_positive": positive, "rules_negative": negative}
    if model is not None:
        model = np.asarray(model, dtype=float)
        out["model"] = model
        out["model_polar"] = np.where(positive + negative > 0, model, 0.0)
        out["rules_model"] = rules * model
    return out


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


def _fast_macro_f1(gold: np.ndarray, pred: np.ndarray) -> float:
    # The same figure as _macro_f1 (scikit-learn), by hand from one confusion matrix: the fit's
    # grid scores thousands of candidates, where f1_score's input checks dominate.
    cm = np.bincount((gold + 1) * 3 + (pred + 1), minlength=9).reshape(3, 3).astype(float)
    tp = np.diag(cm)
    denom = cm.sum(axis=0) + cm.sum(axis=1)
    f1 = np.divide(2 * tp, denom, out=np.zeros(3), where=denom > 0)
    return float(f1.mean())


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

    The current form (``z`` and ``compound`` knots, as :func:`fit_blend` stores them) is odd
    and passes through the knots ``(0, 0)`` and each ``(z[i], compound[i])``, flat at the last
    knot's compound beyond it: the band ``|z| <= z[0]`` maps linearly onto ±0.05, the knee
    brings the map back to its straight line, which reaches ±0.85 at the fitting sentences'
    98th percentile of ``|z|`` and ±1 at their largest. The older form (``cut`` and ``slope``)
    maps ``|z| <= cut`` onto ±0.05 and continues with ``compound = ±0.05 + slope * (|z| -
    cut)``, clipped to -1..1. Either map depends on nothing but ``z``, so a sentence scores the
    same alone or in any batch.

    Parameters
    ----------
    z : array-like
        Blended scores.
    scale : mapping or None
        ``z`` and ``compound`` knots (or ``cut`` and ``slope``); ``None`` is the identity.

    Returns
    -------
    numpy.ndarray
        Compound scores in -1..1.
    """
    z = np.asarray(z, dtype=float)
    if not scale:
        return np.clip(z, -1.0, 1.0)
    if "z" in scale:
        xs = [0.0, *map(float, scale["z"])]
        ys = [0.0, *map(float, scale["compound"])]
        return np.clip(np.sign(z) * np.interp(np.abs(z), xs, ys), -1.0, 1.0)
    cut, slope = float(scale["cut"]), float(scale["slope"])
    inside = z * (POLARITY_THRESHOLD / cut)
    outside = np.sign(z) * (POLARITY_THRESHOLD + slope * (np.abs(z) - cut))
    return np.clip(np.where(np.abs(z) <= cut, inside, outside), -1.0, 1.0)


def neutral_mask(X: np.ndarray, blend: Mapping) -> np.ndarray:
    """Sentences the blend's neutral rule scores exactly 0.

    A sentence is plainly neutral when the rules found no polar word (both shares 0) and, in a
    blend with the model, the model's score is strictly inside ``blend["neutral"]["model_within"]``
    (``[low, high]``; :func:`fit_blend` fits a symmetric range). Blends without a ``neutral``
    entry, or without the rules' share columns, have no such rule.

    Parameters
    ----------
    X : numpy.ndarray
        (n, k) score columns, in the order of ``blend["columns"]``.
    blend : mapping

    Returns
    -------
    numpy.ndarray
        Boolean, one per row.
    """
    rule = blend.get("neutral")
    cols = list(blend.get("columns") or ())
    if not rule or not {"rules_positive", "rules_negative"} <= set(cols):
        return np.zeros(len(X), dtype=bool)
    polar = X[:, cols.index("rules_positive")] + X[:, cols.index("rules_negative")] > 0
    quiet = ~polar
    if "model" in cols and rule.get("model_within") is not None:
        low, high = map(float, rule["model_within"])
        model = X[:, cols.index("model")]
        quiet &= (model > low) & (model < high)
    return quiet


def apply_blend(X: np.ndarray, blend: Mapping) -> np.ndarray:
    """Blend score columns into the compound: an affine map, the calibrated scale, the neutral
    rule.

    Parameters
    ----------
    X : numpy.ndarray
        (n, k) score columns, in the order of :func:`blend_columns`.
    blend : mapping
        ``intercept``, ``weights`` (k of them) and optionally ``scale`` (see :func:`stretch`),
        ``columns`` and ``neutral`` (see :func:`neutral_mask`), as :func:`fit_blend` returns.

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
    compound = stretch(z, blend.get("scale"))
    return np.where(neutral_mask(X, blend), 0.0, compound)


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


def end_scale(z: np.ndarray, cut: float) -> dict:
    """The calibrated scale's knots for blended scores ``z`` and a band edge ``cut``.

    ``|z| <= cut`` maps onto ±0.05; from ``KNEE * cut`` on the map is the straight line that
    takes ``z_end``, the :data:`END_QUANTILE` quantile of ``|z|``, to ±:data:`END_COMPOUND`; it
    then reaches ±1 at the largest ``|z|``, and stays there.
    """
    a = np.abs(np.asarray(z, dtype=float))
    z_end = float(np.quantile(a, END_QUANTILE)) if len(a) else 1.0
    z_end = max(z_end, KNEE * cut * 1.01)
    z_max = max(float(a.max()) if len(a) else 0.0, z_end * 1.01)
    knee = KNEE * cut
    return {
        "band": POLARITY_THRESHOLD,
        "z": [round(cut, 6), round(knee, 6), round(z_end, 6), round(z_max, 6)],
        # At least the band's edge, so the map stays monotonic when z_end is very wide.
        "compound": [
            POLARITY_THRESHOLD,
            round(max(END_COMPOUND * knee / z_end, POLARITY_THRESHOLD), 6),
            END_COMPOUND,
            1.0,
        ],
    }


def fit_blend(
    X: np.ndarray,
    y: np.ndarray,
    *,
    base_columns: int | None = None,
    cuts: Sequence[float] | None = None,
    columns: Sequence[str] | None = None,
    model_within: Sequence[tuple[float, float]] | None = None,
) -> dict:
    """Fit blend weights, the calibrated scale and the neutral rule on rated sentences.

    1. Least squares of ``y`` on ``X`` gives ``z``, the predicted rating (mean / 4).
    2. The scale (:func:`stretch`, :func:`end_scale`) maps ``|z| <= cut`` onto the neutral
       band ±0.05 and, beyond a short knee, is linear with the 98th percentile of ``|z|`` at
       ±0.85 and the largest at ±1: clearly worded sentences reach near the ends.
    3. With ``columns`` naming the rules' shares, the neutral rule (:func:`neutral_mask`) scores
       exactly 0 a sentence in which the rules found no polar word and the model's score is
       strictly inside ``model_within``.
    4. ``cut`` and ``model_within`` are chosen on a grid: the highest 3-class macro F1 (gold
       classes beyond ±0.125, i.e. ±0.5 of VADER's -4..4), then the widest neutral rule, among
       the pairs whose compound keeps Pearson r with ``y`` at least that of the least-squares
       score of the first ``base_columns`` columns (the rules and model alone). A wider band or
       neutral rule raises F1 but flattens more sentences, which costs r; the floor bounds both.
       If no pair keeps the floor, the pair with the highest r is taken.

    Parameters
    ----------
    X : numpy.ndarray
        (n, k) score columns.
    y : numpy.ndarray
        Ratings on -1..1.
    base_columns : int, optional
        The floor on r is that of least squares on ``X[:, :base_columns]``; default all
        columns.
    cuts : sequence of float, optional
        Candidate band edges (default 0.05..0.12).
    columns : sequence of str, optional
        Names of ``X``'s columns (:data:`BLEND_COLUMNS`); needed for the neutral rule, and
        stored in the result.
    model_within : sequence of (float, float), optional
        Candidate model ranges of the neutral rule (default ``(-t, t)`` for t in 0..0.3 by
        0.01; separate ends on a 0.02 grid scored lower 5-fold r and F1 on NYT dev, issue 17).

    Returns
    -------
    dict
        (``columns``,) ``intercept``, ``weights``, ``cut``, ``scale`` (``band`` and the knots
        ``z``, ``compound``), ``neutral`` (``model_within``, when the rule applies) and the
        in-sample ``pearson_r`` and ``macro_f1`` of the compound.
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
    cuts = cuts if cuts is not None else np.round(np.arange(0.05, 0.1201, 0.005), 3)
    cols = list(columns) if columns is not None else []
    has_rule = {"rules_positive", "rules_negative"} <= set(cols)
    if not has_rule:
        rules: list[dict] = [{}]
    elif "model" in cols:
        if model_within is None:
            model_within = [(-t, t) for t in np.arange(0.0, 0.3001, 0.01)]
        rules = [
            {"neutral": {"model_within": [round(float(lo), 3), round(float(hi), 3)]}}
            for lo, hi in model_within
        ]
    else:
        # Rules alone: a sentence without a polar word is neutral, whatever the intercept.
        rules = [{"neutral": {"model_within": None}}]
    fitted = {"intercept": float(coef[0]), "weights": [float(c) for c in coef[1:]]}
    if cols:
        fitted = {"columns": cols} | fitted
    best, fallback = None, None
    for rule in rules:
        within = (rule.get("neutral") or {}).get("model_within") or (0.0, 0.0)
        t = within[1] - within[0]
        for cut in cuts:
            cand = fitted | {"scale": end_scale(z, float(cut))} | rule
            compound = apply_blend(X, cand)
            r = _pearson(compound, y)
            f1 = _fast_macro_f1(gold, polarity_classes(compound, POLARITY_THRESHOLD))
            key = (round(f1, 12), t, -float(cut))
            if fallback is None or r > fallback[0]:
                fallback = (r, f1, float(cut), cand)
            # A tiny tolerance, for rounding when the floor is the full least squares.
            if r >= floor - 1e-9 and (best is None or key > best[0]):
                best = (key, r, f1, float(cut), cand)
    if best is None:
        r, f1, cut, cand = fallback
    else:
        _, r, f1, cut, cand = best
    return cand | {"cut": cut, "pearson_r": round(r, 4), "macro_f1": round(f1, 4)}


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
    columns: Sequence[str] | None = None,
) -> np.ndarray:
    """Out-of-fold compounds: :func:`fit_blend` on the other folds, applied to each fold.

    Parameters
    ----------
    X : numpy.ndarray
        (n, k) score columns (rule compound, model score, ...).
    y : numpy.ndarray
        Ratings on -1..1.
    groups : sequence
        Group of each row (the article of a sentence), kept within one fold.
    n_splits : int, default 5
    base_columns : int, optional
        Passed to :func:`fit_blend`.
    columns : sequence of str, optional
        Names of ``X``'s columns, passed to :func:`fit_blend` (for the neutral rule).

    Returns
    -------
    numpy.ndarray
        The compound of each row, predicted by a blend that never saw its group.
    """
    from sklearn.model_selection import GroupKFold

    out = np.zeros(len(y), dtype=float)
    for train, test in GroupKFold(n_splits=n_splits).split(X, y, groups):
        blend = fit_blend(X[train], y[train], base_columns=base_columns, columns=columns)
        out[test] = apply_blend(X[test], blend)
    return out
