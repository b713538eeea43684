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
    F1 0.756, 0.65 gives 0.754). With the wire layout left out of the windows (merged later)
    the figures are 0.756 / 0.622 / 0.911. The search of all windows of a text together
    (:func:`decode_windows`) takes 0.23 s of CPU for 200 BBC articles, against 0.33 s window
    by window and 0.06 s for the most probable labels.
    """
    return decode_windows([window], [probs], labels, transitions)[0]


def decode_windows(
    windows: Sequence[Window],
    probs: Sequence[np.ndarray],
    labels: Sequence[str] = LABELS,
    transitions: tuple[np.ndarray, np.ndarray] | None = None,
) -> list[list[TaggedSpan]]:
    """:func:`decode` of each window, the searches of all windows run together.

    The search steps through the words of every window at once (the longest first; a window
    whose words are done keeps its score), so it makes its numpy calls once per word position
    rather than once per word of each window (200 BBC articles: 0.23 s of CPU against 0.33 s
    window by window). The arithmetic of each window is the same as alone, so its spans are
    too (test).
    """
    views = []
    for window, p in zip(windows, probs, strict=True):
        n = len(window.ids)
        words = np.asarray(window.words[:n])
        first = np.flatnonzero(np.r_[True, words[1:] != words[:-1]]) if n else np.zeros(0, int)
        last = (np.r_[first[1:], n] - 1).tolist()
        views.append((first.tolist(), last, p[first]))
    if transitions is None:
        best = [wp.argmax(-1).tolist() for *_, wp in views]
    else:
        best = _search([wp for *_, wp in views], *transitions)
    return [
        _spans(window, labels, first, last, word_probs, path)
        for window, (first, last, word_probs), path in zip(windows, views, best, strict=True)
    ]


def _search(
    word_probs: Sequence[np.ndarray], start: np.ndarray, step: np.ndarray
) -> list[list[int]]:
    """The label sequence of each window with the largest sum of the log probabilities of its
    words' labels and of the transition scores (Viterbi), all windows stepped together."""
    # Hand-written: the libraries with a Viterbi decoder want their own model (sklearn-crfsuite
    # its trained weights, pytorch-crf torch at run time; hmmlearn's is private and not a
    # dependency), and none steps sequences of different lengths together.
    order = sorted(range(len(word_probs)), key=lambda k: -len(word_probs[k]))
    lengths = [len(word_probs[k]) for k in order]
    paths: list[list[int]] = [[] for _ in word_probs]
    if not lengths or lengths[0] == 0:
        return paths
    n_labels = len(start)
    logp = np.zeros((len(order), lengths[0], n_labels))
    for b, k in enumerate(order):
        logp[b, : lengths[b]] = np.log(np.maximum(word_probs[k], _FLOOR))
    # Windows with more than t words: a prefix of the longest-first order.
    active = np.searchsorted(-np.asarray(lengths), -np.arange(lengths[0]), side="left")
    n_windows, n_steps = len(order), lengths[0]
    back = np.zeros((n_steps, n_windows, n_labels), dtype=np.intp)  # best label before each
    score = start + logp[:, 0]  # best score of a sequence ending in each label
    for t in range(1, n_steps):
        k = active[t]  # windows with a word at position t: a prefix, the longest first
        candidates = score[:k, :, None] + step
        back[t, :k] = candidates.argmax(1)
        score[:k] = candidates.max(1) + logp[:k, t]
    # Back from each window's last word, all windows together.
    best = np.zeros((n_windows, n_steps), dtype=np.intp)
    ends = np.asarray(lengths) - 1
    best[np.arange(n_windows), ends] = score.argmax(1)
    for t in range(n_steps - 2, -1, -1):
        k = active[t + 1]  # windows whose label at t + 1 is known and has one before it
        best[:k, t] = back[t + 1, np.arange(k), best[:k, t + 1]]
    for b, k in enumerate(order):
        paths[k] = best[b, : lengths[b]].tolist()
    return paths


def _spans(window, labels, first, last, word_probs, best) -> list[TaggedSpan]:
    """The labelled spans of one window's word labels ``best`` (see :func:`decode`)."""
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
