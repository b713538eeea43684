"""Count the attribution tagger's label transitions in PolNeAR train, word by word.

Builds the gold BIO labels of every training window exactly as ``scripts/train_attribution.py``
does (its :func:`parsed`, :func:`skip_regions` and :func:`window_labels`, the windows of
:func:`analysis.attribution.windows` with the shipped model's tokenizer), takes each word's
label from its first wordpiece, and writes to ``transitions.json`` beside the model's
``meta.json`` the counts of every word's label, of each window's first label and of
label-to-label transitions between consecutive words of a window, with their add-one smoothed
log probabilities. :func:`analysis.attribution.decode` reads them (through
:func:`analysis.attribution.transition_scores`). The dev and test splits are not read.

Run from the checkout::

    nice -n 10 .venv/bin/python scripts/attribution_transitions.py
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from train_attribution import (  # noqa: E402
    DEFAULT_DATA,
    DEFAULT_OUT,
    DEFAULT_WORK,
    load_tokenizer,
    log,
    parsed,
    skip_regions,
    window_labels,
)

from analysis.attribution import LABELS, TRANSITIONS_FILE, windows  # noqa: E402
from analysis.files import write_json  # noqa: E402


def count(records, docs, tok, max_tokens: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(label counts (K,), first-label counts (K,), transition counts (K, K)) of every window."""
    k = len(LABELS)
    label = np.zeros(k, np.int64)
    first = np.zeros(k, np.int64)
    trans = np.zeros((k, k), np.int64)
    for rec, doc in zip(records, docs, strict=True):
        for w in windows(doc, tok, max_tokens=max_tokens, skip=skip_regions(rec["text"])):
            labels = window_labels(w, rec["attributions"])
            word_labels = [
                lab for i, lab in enumerate(labels) if i == 0 or w.words[i] != w.words[i - 1]
            ]
            if not word_labels:
                continue
            np.add.at(label, word_labels, 1)
            first[word_labels[0]] += 1
            np.add.at(trans, (word_labels[:-1], word_labels[1:]), 1)
    return label, first, trans


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", type=Path, default=DEFAULT_DATA, help="PolNeAR folder")
    ap.add_argument("--model", type=Path, default=DEFAULT_OUT, help="the tagger's folder")
    ap.add_argument("--work-dir", type=Path, default=DEFAULT_WORK, help="parses (DocBin cache)")
    ap.add_argument("--out", type=Path, default=None, help="default: MODEL/transitions.json")
    args = ap.parse_args(argv)

    meta = json.loads((args.model / "meta.json").read_text(encoding="utf-8"))
    if tuple(meta["labels"]) != LABELS:
        raise SystemExit(f"{args.model}: labels {meta['labels']} are not {LABELS}")
    max_tokens = int(meta["max_length"])
    args.work_dir.mkdir(parents=True, exist_ok=True)
    tok = load_tokenizer(args.model)
    records, docs = parsed(args.data_dir / "polnear_train.jsonl", args.work_dir)
    label, first, trans = count(records, docs, tok, max_tokens)
    log(f"{len(records)} documents, {first.sum()} windows, {label.sum()} words")

    def log_prob(counts: np.ndarray) -> list:
        # Add-one smoothing: a label or transition never seen in train keeps a finite score.
        lp = np.log((counts + 1) / (counts + 1).sum(-1, keepdims=True))
        return np.round(lp, 4).tolist()

    out = args.out or args.model / TRANSITIONS_FILE
    write_json(
        out,
        {
            "labels": list(LABELS),
            "data": "polnear_train.jsonl, gold labels of scripts/train_attribution.py, "
            "first wordpiece of each word, consecutive words of one window",
            "script": "scripts/attribution_transitions.py",
            "documents": len(records),
            "windows": int(first.sum()),
            "words": int(label.sum()),
            "label_counts": label.tolist(),
            "start_counts": first.tolist(),
            "transition_counts": trans.tolist(),
            "label_log_prob": log_prob(label),
            "start_log_prob": log_prob(first),
            "transition_log_prob": log_prob(trans),
        },
    )
    log(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
