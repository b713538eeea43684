"""Topics across runs and slices: one-to-one matching, stable topic ids (align_to), models per period."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.topics.model import TopicModel


def align_to(model: TopicModel, reference: TopicModel, min_similarity: float = 0.1) -> TopicModel:
    """Renumber ``model``'s topics to the ids of the matching topics of ``reference``, in place.

    The machinery of :meth:`TopicModel.align_to` (see there): match, give unmatched topics new
    ids after the reference's largest, then sort every per-topic attribute by the new ids.
    """
    matches = match_topics(reference, model)
    next_id = int(np.max(reference.topic_ids_)) + 1
    new_ids = np.empty(model.n_topics_, dtype=int)
    stability = np.zeros(model.n_topics_)
    for pos in range(model.n_topics_):
        row = matches[matches["topic_b"] == int(model.topic_ids_[pos])]
        sim = float(row["similarity"].iloc[0]) if len(row) else 0.0
        if len(row) and pd.notna(row["topic_a"].iloc[0]) and sim >= min_similarity:
            new_ids[pos] = int(row["topic_a"].iloc[0])
            stability[pos] = sim
        else:
            new_ids[pos] = next_id
            next_id += 1
    order = np.argsort(new_ids, kind="stable")
    model.topic_ids_ = new_ids[order]
    model.stability_ = stability[order]
    _permute_topics(model, order)
    return model


def _permute_topics(model: TopicModel, order: np.ndarray) -> None:
    """Put every per-topic attribute of a fitted ``model`` (but ids and stability) in ``order``."""
    model.components_ = model.components_[order]
    if model.unit_topics_ is not None:
        model.unit_topics_ = model.unit_topics_[:, order]
    if getattr(model, "_topic_stats", None) is not None:
        dominant, share_sum, n_with_terms = model._topic_stats
        model._topic_stats = (dominant[order], share_sum[order], n_with_terms)
    model._order = model._order[order]
    model.top_terms_ = [model.top_terms_[i] for i in order]
    model.topic_npmi_ = model.topic_npmi_[order]
    model.topic_uniqueness_ = model.topic_uniqueness_[order]
    model.labels_ = [model.labels_[i] for i in order]


def match_topics(model_a: TopicModel, model_b: TopicModel) -> pd.DataFrame:
    """Match the topics of two fitted models one-to-one (Hungarian matching on term vectors).

    Each topic is its term-weight vector (normalised to unit length) over the union of both
    vocabularies; similarity is the cosine; ``scipy.optimize.linear_sum_assignment`` finds the
    matching of largest total similarity.

    Returns
    -------
    pandas.DataFrame
        topic_a, topic_b, similarity: one row per topic of either model; a topic without a
        partner (the models have different k) has the other side missing and similarity 0.
        The similarity of a matched pair is that topic's stability score.
    """
    from scipy.optimize import linear_sum_assignment

    vocab = sorted(set(model_a.vocabulary_) | set(model_b.vocabulary_))
    index = {t: i for i, t in enumerate(vocab)}

    def vectors(model):
        cols = np.array([index[t] for t in model.vocabulary_])
        out = np.zeros((model.n_topics_, len(vocab)))
        out[:, cols] = model.components_
        norm = np.linalg.norm(out, axis=1, keepdims=True)
        return np.divide(out, norm, out=np.zeros_like(out), where=norm > 0)

    sim = vectors(model_a) @ vectors(model_b).T
    rows_a, rows_b = linear_sum_assignment(-sim)
    out = [
        (int(model_a.topic_ids_[i]), int(model_b.topic_ids_[j]), float(sim[i, j]))
        for i, j in zip(rows_a, rows_b, strict=True)
    ]
    out += [(int(model_a.topic_ids_[i]), None, 0.0) for i in set(range(len(sim))) - set(rows_a)]
    out += [(None, int(model_b.topic_ids_[j]), 0.0) for j in set(range(sim.shape[1])) - set(rows_b)]
    frame = pd.DataFrame(out, columns=["topic_a", "topic_b", "similarity"])
    frame["topic_a"] = frame["topic_a"].astype("Int64")
    frame["topic_b"] = frame["topic_b"].astype("Int64")
    return frame.sort_values(["topic_a", "topic_b"], na_position="last", kind="stable").reset_index(
        drop=True
    )


def fit_slices(
    articles: pd.DataFrame,
    *,
    by: str = "published",
    freq: str = "Y",
    reference: TopicModel | None = None,
    min_similarity: float = 0.1,
    **params,
) -> dict[str, TopicModel]:
    """Fit one topic model per time slice (or group) with topic ids kept stable across slices.

    Each slice's model is aligned (:meth:`TopicModel.align_to`) to the previous slice's, or to
    ``reference`` for every slice when given (e.g. a model of the whole corpus), so topic 3 is
    the same topic in every slice and ``stability_`` tells how closely it matched.

    Parameters
    ----------
    articles : pandas.DataFrame
        Articles with ``text`` (or pre-tokenised text with ``tokens="whitespace"``) and ``by``.
    by : str
        ``"published"`` (grouped into periods of ``freq``) or any metadata column.
    freq : str
        Period of a date column: ``"M"``, ``"Q"``, ``"Y"``...
    reference : TopicModel, optional
        Align every slice to this model instead of to the previous slice.
    min_similarity : float
        Below this cosine similarity a topic is new and gets a new id.
    **params
        Passed to :class:`TopicModel`.

    Returns
    -------
    dict of str to TopicModel
        Fitted models by slice name, in slice order; slices without articles are left out.
    """
    if by not in articles.columns:
        raise ValueError(f"no column {by!r} in articles; columns are {list(articles.columns)}")
    if by == "published" or pd.api.types.is_datetime64_any_dtype(articles[by]):
        dates = pd.to_datetime(articles[by], errors="coerce")
        keys = dates.dt.to_period(freq).astype(str).where(dates.notna())
    else:
        keys = articles[by]
    models: dict[str, TopicModel] = {}
    previous = reference
    for key in sorted(keys.dropna().unique(), key=str):
        model = TopicModel(**params).fit(articles[keys == key])
        if previous is not None:
            model.align_to(previous, min_similarity=min_similarity)
        models[str(key)] = model
        previous = reference or model
    return models
