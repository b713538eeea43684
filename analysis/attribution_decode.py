"""Decoding of the attribution tagger: per-wordpiece label probabilities to labelled spans.

:class:`analysis.attribution.AttributionTagger` gives each wordpiece of a window a probability
for every label of :data:`LABELS`; :func:`decode` reads the words' labels from them (a Viterbi
search with the label transitions of PolNeAR train, :func:`transition_scores`) and cuts the
window into source, cue and content spans. Re-exported by :mod:`analysis.attribution`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

if TYPE_CHECKING:
    from analysis.attribution import Window

#: Token labels of the tagger (BIO over the three roles of an attribution, as in PolNeAR).
LABELS = ("O", "B-source", "I-source", "B-cue", "I-cue", "B-content", "I-content")
#: File beside the model's meta.json with label and label-transition counts of PolNeAR train
#: (written by scripts/attribution_transitions.py); the tagger decodes with them.
TRANSITIONS_FILE = "transitions.json"
#: Weight of the transition scores in :func:`decode`'s search. Of the two weights tried on
#: PolNeAR dev (benchmarks/bench_attribution.py), 0.5 kept overlap F1 (0.756) and raised
#: exact-span F1 0.609 -> 0.620; 1.0 lowered overlap F1 to 0.753.
TRANSITION_WEIGHT = 0.5
#: Probabilities below this are taken as this in the search (the log of zero).
_FLOOR = 1e-12


class TaggedSpan(NamedTuple):
    """A span the tagger labelled: ``role`` is source, cue or content."""

    role: str
    start: int
    end: int
    score: float  # mean probability of the span's labels


def transition_scores(
    table: Mapping, labels: Sequence[str] = LABELS, weight: float = TRANSITION_WEIGHT
) -> tuple[np.ndarray, np.ndarray]:
    """Scores of a window's first label and of each label after another, for :func:`decode`.

    Label ``j`` after label ``i`` scores ``weight * log(P(j | i) / P(j))``, and first in a
    window ``weight * log(P(j | start) / P(j))``, with the probabilities of ``table``: what a
    transition says beyond the label's own frequency, which the tagger's probabilities already
    hold. An ``I-`` label first in a window or after anything but ``B-`` or ``I-`` of its role
    is forbidden (``-inf``).

    Parameters
    ----------
    table : mapping
        The contents of :data:`TRANSITIONS_FILE`: ``labels``, ``label_log_prob``,
        ``start_log_prob`` and ``transition_log_prob``.
    labels : sequence of str
        The tagger's labels in the order of its outputs; must equal ``table["labels"]``.
    weight : float
        Weight of the scores (:data:`TRANSITION_WEIGHT`).

    Returns
    -------
    (start, step) : tuple of numpy.ndarray
        Shapes (labels,) and (labels, labels); ``step[i, j]`` scores label ``j`` after ``i``.
    """
    if list(table["labels"]) != list(labels):
        raise ValueError(f"transition labels {table['labels']} are not the tagger's {labels}")
    prior = np.asarray(table["label_log_prob"], dtype=np.float64)
    start = weight * (np.asarray(table["start_log_prob"], dtype=np.float64) - prior)
    step = weight * (np.asarray(table["transition_log_prob"], dtype=np.float64) - prior)
    for j, label in enumerate(labels):
        tag, _, role = label.partition("-")
        if tag == "I":
            start[j] = -np.inf
            for i, prev in enumerate(labels):
                if prev not in (f"B-{role}", f"I-{role}"):
                    step[i, j] = -np.inf
    return start, step


def decode(
    window: Window,
    probs: np.ndarray,
    labels: Sequence[str] = LABELS,
    transitions: tuple[np.ndarray, np.ndarray] | None = None,
) -> list[TaggedSpan]:
    """Turn per-wordpiece label probabilities of one window into labelled character spans.

    Each word is read from its first wordpiece's probabilities. Without ``transitions`` each
    word takes its most probable label. With them (:func:`transition_scores`; the tagger
    passes the shipped model's) the words' labels are the sequence with the largest sum of
    their log probabilities and transition scores (Viterbi search): no ``I-`` label follows
    ``O`` or another role, so a span the probabilities hesitate over is read whole or not at
    all rather than broken ("B-content O I-content"), and transitions PolNeAR rarely has cost
    more. A span starts at a ``B-`` label, or at an ``I-`` label that does not continue the
    same role, and runs while ``I-`` of its role follows; its ``score`` is the mean
    probability of its words' labels.

    PolNeAR dev (benchmarks/bench_attribution.py, the shipped model), most probable labels ->
    the search: overlap F1 0.756 -> 0.756 (P 0.786 -> 0.787, R 0.729 -> 0.728), exact-span F1
    0.609 -> 0.620, speaker accuracy 0.904 -> 0.911, direct quotations unchanged (F1 0.852,
    speaker 0.890). The constraints alone (overlap 0.752, exact 0.615), transition weight 1.0
    (0.753, 0.616) and the transition log probabilities not divided by the label frequencies
    (0.735, 0.598 at weight 0.5) did worse; averaging a word's wordpieces changed little. With
    the search 6% of content spans score below the checks' 0.6 (16% without): it drops most
    unsure spans itself; the checks' thresholds still hold (a floor of 0.55-0.6 gives overlap
    F1 0.756, 0.65 gives 0.754). The search costs about 2.6 ms of CPU per 1,000 words (200
    BBC articles: 0.25 s against 0.06 s without it).
    """
    n = len(window.ids)
    if not n:
        return []
    words = np.asarray(window.words[:n])
    first = np.flatnonzero(np.r_[True, words[1:] != words[:-1]])  # each word's first piece
    word_probs = probs[first]
    last = (np.r_[first[1:], n] - 1).tolist()
    first = first.tolist()
    if transitions is None:
        best = word_probs.argmax(-1).tolist()
    else:
        start_scores, step = transitions
        logp = np.log(np.maximum(word_probs, _FLOOR))
        totals = np.empty_like(logp)  # best score of a sequence ending in each label
        score = totals[0] = start_scores + logp[0]
        for t in range(1, len(first)):
            score = totals[t] = (score[:, None] + step).max(0) + logp[t]
        back = (totals[:-1, :, None] + step).argmax(1).tolist()  # best label before each
        best = [int(score.argmax())]
        for t in range(len(first) - 2, -1, -1):
            best.append(back[t][best[-1]])
        best.reverse()
    spans: list[TaggedSpan] = []
    role = None
    start = end = 0
    scores: list[float] = []
    for w, label_id in enumerate(best):
        tag, _, lab_role = labels[label_id].partition("-")
        if role is not None and (tag != "I" or lab_role != role):
            spans.append(TaggedSpan(role, start, end, float(np.mean(scores))))
            role = None
        if tag in {"B", "I"} and role is None:
            role, start, scores = lab_role, window.offsets[first[w]][0], []
        if role is not None:
            end = window.offsets[last[w]][1]
            scores.append(float(word_probs[w, label_id]))
    if role is not None:
        spans.append(TaggedSpan(role, start, end, float(np.mean(scores))))
    return spans
