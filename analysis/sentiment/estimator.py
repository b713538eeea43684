"""SentimentScorer: the rules and the learned model as one scikit-learn estimator."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from analysis.sentiment.model import (
    DEFAULT_BLEND,
    FIT_COLUMNS,
    _macro_f1,
    _read_blend,
    apply_blend,
    blend_columns,
    fit_blend,
    has_sentence_model,
    load_sentence_model,
    neutral_mask,
    polarity_classes,
    polarity_labels,
    score_columns,
    share_scores,
)
from analysis.sentiment.rules import (
    _EXPLAIN_COLUMNS,
    EMPTY_SCORE,
    GOLD_THRESHOLD,
    LABEL_COLUMN,
    POLARITY_THRESHOLD,
    SCORE_COLUMNS,
    rule_score,
)


class SentimentScorer(BaseEstimator):
    """Sentence sentiment for news: news-adapted VADER rules blended with a learned regressor.

    Parameters
    ----------
    use_model : bool, default True
        Blend in a committed learned regressor; ``False`` gives the rules alone.
    model : str or Path, optional
        Which regressor: ``"static"`` (a static-embedding model run with numpy: fast, and a
        sentence scores the same alone or in any batch), ``"transformer"`` (int8 ONNX
        MiniLM), a model folder, or None for ``config.SENTENCE_SENTIMENT_MODEL``. Each model
        carries its own blend (its meta.json).
    batch_size : int, default 1
        Sentences per call of the transformer model. Its int8 graph quantises activations per
        call, so in a batch a sentence's score shifts with its neighbours and their padding (up
        to 0.1 on the model's scale); one sentence per call keeps every score reproducible on
        its own. The static model's scores never depend on the batch.
    intra_op_num_threads : int, default 1
        onnxruntime threads per operator.
    blend : dict, optional
        ``{"intercept": float, "weights": [w_rules(, w_model)]}``; defaults to the weights
        fitted on the NYT editorial dev split and stored in the model's meta.json.

    Attributes
    ----------
    blend_ : dict
        The blend in use, set by :meth:`fit` (from rated sentences, else ``blend`` or the one
        shipped in meta.json). An unfitted scorer scores with ``blend`` or the shipped blend.

    Examples
    --------
    >>> scorer = SentimentScorer(use_model=False)
    >>> float(scorer.transform(["The ceasefire collapsed."])["compound"].iloc[0]) < 0
    True
    """

    def __init__(
        self,
        use_model: bool = True,
        *,
        model: str | None = None,
        batch_size: int = 1,
        intra_op_num_threads: int = 1,
        blend: Mapping | None = None,
    ) -> None:
        self.use_model = use_model
        self.model = model
        self.batch_size = batch_size
        self.intra_op_num_threads = intra_op_num_threads
        self.blend = blend

    # -- parts ---------------------------------------------------------------------------

    @property
    def _kind(self) -> str:
        return "model" if self.use_model else "rules"

    def _blend(self) -> dict:
        # A fitted blend, else the one given or shipped; never set here (only fit sets blend_).
        fitted = getattr(self, "blend_", None)
        if fitted is not None:
            return fitted
        shipped = _read_blend(self.model).get(self._kind)
        return dict(self.blend or shipped or DEFAULT_BLEND[self._kind])

    def rule_scores(self, sentences: Sequence[str]) -> pd.DataFrame:
        """Return the rule engine's compound/positive/negative/neutral for each sentence."""
        rows = [rule_score(str(s)) for s in sentences]
        return pd.DataFrame(
            {
                "compound": [r.compound for r in rows],
                "positive": [r.positive for r in rows],
                "negative": [r.negative for r in rows],
                "neutral": [r.neutral for r in rows],
            }
        )

    def model_scores(self, sentences: Sequence[str]) -> np.ndarray:
        """Return the regressor's prediction (human mean rating / 4) for each sentence."""
        texts = [str(s) for s in sentences]
        out = np.zeros(len(texts), dtype=float)
        keep = [i for i, t in enumerate(texts) if t.strip()]
        if keep:
            model = load_sentence_model(self.intra_op_num_threads, self.model)
            pred = model.predict([texts[i] for i in keep], batch_size=self.batch_size)
            out[keep] = np.asarray(pred, dtype=float).reshape(len(keep), -1)[:, 0]
        return out

    def _features(
        self, sentences: Sequence[str], columns: Sequence[str] | None = None
    ) -> tuple[pd.DataFrame, np.ndarray]:
        """The rules' scores and the blend's score columns (default: those the blend in use
        weighs; see :func:`analysis.sentiment.model.blend_columns`)."""
        if columns is None:
            columns = blend_columns(self._blend(), self.use_model)
        rules = self.rule_scores(sentences)
        needs_model = any(c in columns for c in ("model", "model_polar", "rules_model"))
        named = score_columns(
            rules["compound"],
            rules["positive"],
            rules["negative"],
            self.model_scores(sentences) if needs_model else None,
        )
        cols = [named[c] for c in columns]
        return rules, np.column_stack(cols) if len(rules) else np.zeros((0, len(cols)))

    # -- estimator API -------------------------------------------------------------------

    def fit(self, sentences: Sequence[str] | None = None, y=None):
        """Fit the blend weights, the scale and the neutral rule on rated sentences (optional).

        Without data this is a no-op that returns ``self`` (the shipped weights are used).

        Parameters
        ----------
        sentences : sequence of str, optional
            Rated sentences.
        y : array-like, optional
            Their human ratings on -1..1 (VADER ground truth: mean rating / 4).

        Returns
        -------
        SentimentScorer
            ``self``, with ``blend_`` set by :func:`fit_blend`: least-squares weights of the
            score columns (:data:`~analysis.sentiment.model.FIT_COLUMNS`) against ``y``, the
            calibrated scale (the neutral band, then linear to ±0.85 at the 98th percentile
            of ``|z|``) and the neutral rule for sentences without polar wording.
        """
        if sentences is None:
            self.blend_ = self._blend()
            return self
        y = np.asarray(y, dtype=float)
        if len(y) != len(sentences):
            raise ValueError(f"{len(sentences)} sentences but {len(y)} ratings")
        columns = FIT_COLUMNS[self._kind]
        _, X = self._features(sentences, columns)
        self.blend_ = fit_blend(X, y, base_columns=2 if self.use_model else 1, columns=columns)
        return self

    def predict(self, sentences: Sequence[str] | str) -> np.ndarray:
        """The blended compound score (-1..1) of each sentence."""
        return self.transform(sentences)["compound"].to_numpy()

    def score(self, sentences: Sequence[str] | str, y=None):
        """Goodness of fit on rated sentences: 3-class macro F1 (scikit-learn's meaning).

        Predictions beyond ±0.05 and ratings beyond ±:data:`GOLD_THRESHOLD` are positive or
        negative, the rest neutral. Called without ``y`` (the former meaning) it returns the
        per-sentence scores of :meth:`transform`, with a ``FutureWarning``.
        """
        if y is None:
            warnings.warn(
                "SentimentScorer.score(sentences) without ratings is deprecated: use "
                "transform(sentences) for the scores, predict(sentences) for the compound",
                FutureWarning,
                stacklevel=2,
            )
            return self.transform(sentences)
        y = np.asarray(y, dtype=float)
        pred = polarity_classes(self.predict(sentences), POLARITY_THRESHOLD)
        return _macro_f1(polarity_classes(y, GOLD_THRESHOLD), pred)

    def transform(self, sentences: Sequence[str] | str) -> pd.DataFrame:
        """Score sentences.

        Parameters
        ----------
        sentences : sequence of str (or one str)
            One sentence per item; longer texts should be split and aggregated
            (:func:`aggregate`), as a sum over many sentences saturates.

        Returns
        -------
        pandas.DataFrame
            ``compound`` (-1..1, the blended score on the calibrated scale), ``positive``,
            ``negative``, ``neutral`` (shares that agree with the compound, see
            :func:`analysis.sentiment.model.share_scores`) and ``label`` (``negative``,
            ``neutral`` or ``positive``: compound beyond ±0.05), one row per sentence.
            An empty or whitespace-only sentence scores exactly compound 0, positive 0,
            negative 0, neutral 1, label neutral (:data:`EMPTY_SCORE`), and the model is not
            called for it.
        """
        if isinstance(sentences, str):
            sentences = [sentences]
        texts = [str(s) for s in sentences]
        # An empty or whitespace-only text says nothing: exactly neutral, without a model call
        # (the blend's intercept would otherwise give it a small non-zero compound).
        out = pd.DataFrame({c: [EMPTY_SCORE[c]] * len(texts) for c in SCORE_COLUMNS}, dtype=float)
        keep = [i for i, t in enumerate(texts) if t.strip()]
        if keep:
            rules, X = self._features([texts[i] for i in keep])
            compound = apply_blend(X, self._blend())
            pos, neg, neu = share_scores(compound, rules["positive"], rules["negative"])
            out.iloc[keep] = np.column_stack([compound, pos, neg, neu])
        out[LABEL_COLUMN] = polarity_labels(out["compound"])
        return out

    def explain(self, sentence: str) -> Explanation:
        """Show which words and rules moved one sentence's score.

        Parameters
        ----------
        sentence : str

        Returns
        -------
        Explanation
            ``words`` (a DataFrame: token, lexicon valence, valence after rules, rules applied),
            the rule compound, the model score (None without the model, or for an empty text,
            which scores 0 like in :meth:`transform`), the blended compound and whether the
            neutral rule set it to 0.
        """
        if not str(sentence).strip():
            words = pd.DataFrame(columns=_EXPLAIN_COLUMNS)
            return Explanation(str(sentence), 0.0, 0.0, None, words, dict(self._blend()))
        r = rule_score(str(sentence), explain=True)
        words = pd.DataFrame(
            {
                "position": range(len(r.tokens)),
                "token": r.tokens,
                "lexicon": r.base,
                "valence": r.valence,
                "rules": ["; ".join(x) for x in r.rules],
            }
        )
        words = words[(words["lexicon"] != 0) | (words["rules"] != "")].reset_index(drop=True)
        model = float(self.model_scores([sentence])[0]) if self.use_model else None
        named = score_columns(
            [r.compound], [r.positive], [r.negative], None if model is None else [model]
        )
        X = np.column_stack([named[c] for c in blend_columns(self._blend(), self.use_model)])
        compound = float(apply_blend(X, self._blend())[0])
        neutral = bool(neutral_mask(X, self._blend())[0])
        return Explanation(
            str(sentence), compound, r.compound, model, words, dict(self._blend()), neutral
        )


@dataclass
class Explanation:
    """Why a sentence got its score (see :meth:`SentimentScorer.explain`)."""

    sentence: str
    compound: float
    rules_compound: float
    model_score: float | None
    words: pd.DataFrame
    blend: dict
    #: True when the blend's neutral rule set the compound to 0 (no polar word, a mild model).
    neutral_rule: bool = False

    @property
    def label(self) -> str:
        """``negative``, ``neutral`` or ``positive`` (compound beyond ±0.05)."""
        return str(polarity_labels([self.compound])[0])

    def __str__(self) -> str:
        lines = [
            f"{self.sentence}",
            f"{self.label}: compound {self.compound:+.3f} = blend(rules {self.rules_compound:+.3f}"
            + (f", model {self.model_score:+.3f})" if self.model_score is not None else ")"),
        ]
        if self.neutral_rule:
            within = (self.blend.get("neutral") or {}).get("model_within")
            lines.append(
                "  neutral rule: the rules find no polar word"
                + (f" and the model is within {within[0]:+.2f}..{within[1]:+.2f}" if within else "")
            )
        for w in self.words.itertuples(index=False):
            lines.append(f"  {w.token:<18} lexicon {w.lexicon:+.2f} -> {w.valence:+.2f}  {w.rules}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        from html import escape

        head = escape(str(self).splitlines()[1])
        return f"<p>{escape(self.sentence)}<br><b>{head}</b></p>" + self.words.to_html(index=False)


@functools.lru_cache(maxsize=4)
def default_scorer(use_model: bool = True, model: str | None = None) -> SentimentScorer:
    """A shared scorer for the extractors (the model is loaded once per process); ``model`` as
    for `SentimentScorer` (None: the configured default)."""
    if use_model and not has_sentence_model(model):
        use_model = False
    return SentimentScorer(use_model=use_model, model=model)
