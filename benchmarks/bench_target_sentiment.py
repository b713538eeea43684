"""Benchmark sentiment toward a target on NewsMTSC dev: macro F1, targets per second, and a baseline.

Runs each committed model (``config.TARGET_SENTIMENT_MODELS``: ``dynamic``, one target per call,
and ``fixed``, batch-invariant in equal-length batches) through the package runtime
(`analysis.target_sentiments`, one onnxruntime thread, pinned to one CPU) on ``dev_rw.jsonl``
and ``dev_mt.jsonl``, checks that a target's result is the same alone, in a batch and
shuffled, and in the same run trains a bag-of-words + VADER logistic regression on
``train.jsonl``. Usage::

    .venv/bin/python benchmarks/bench_target_sentiment.py [--data-dir ../shared/data/newsmtsc]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import accuracy_score, f1_score

from analysis import config
from analysis.target import LABELS, load_target_model, target_sentiments, target_window

PROJECT_DIR = Path(__file__).resolve().parents[1]
DEFAULT_DATA = PROJECT_DIR.parent / "shared" / "data" / "newsmtsc"
POLARITY = {2.0: "negative", 4.0: "neutral", 6.0: "positive"}


def read_split(path: Path) -> list[dict]:
    """One row per target: sentence, offsets, gold label."""
    rows = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                rec = json.loads(line)
                for t in rec["targets"]:
                    rows.append(
                        {
                            "text": rec["sentence_normalized"],
                            "start": int(t["from"]),
                            "end": int(t["to"]),
                            "gold": POLARITY[float(t["polarity"])],
                        }
                    )
    return rows


def baseline(train: list[dict], splits: dict[str, list[dict]]) -> dict[str, float]:
    """Bag-of-words + VADER logistic regression: sentence words, words near the target, and
    VADER scores of the sentence and of the 8-word window around the target."""
    from scipy.sparse import csr_matrix, hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    vader = SentimentIntensityAnalyzer()

    def near(r):
        left = r["text"][: r["start"]].split()[-8:]
        right = r["text"][r["end"] :].split()[:8]
        return " ".join(left + ["TARGET"] + right)

    def vader_feats(rows):
        out = []
        for r in rows:
            a, b = vader.polarity_scores(r["text"]), vader.polarity_scores(near(r))
            out.append([a["compound"], a["pos"], a["neg"], b["compound"], b["pos"], b["neg"]])
        return csr_matrix(np.array(out))

    sent_vec = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    near_vec = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)

    def features(rows, fit=False):
        texts, nears = [r["text"] for r in rows], [near(r) for r in rows]
        if fit:
            return hstack(
                [sent_vec.fit_transform(texts), near_vec.fit_transform(nears), vader_feats(rows)]
            )
        return hstack([sent_vec.transform(texts), near_vec.transform(nears), vader_feats(rows)])

    clf = LogisticRegression(max_iter=2000, C=2.0, class_weight="balanced", random_state=0)
    clf.fit(features(train, fit=True), [r["gold"] for r in train])
    return {
        name: f1_score([r["gold"] for r in rows], clf.predict(features(rows)), average="macro")
        for name, rows in splits.items()
    }


def batch_check(model, rows: list[dict], n: int = 120) -> float:
    """Largest difference of a target's probabilities alone against in one batch and shuffled."""
    import random

    rows = rows[:n]
    cols = list(LABELS)

    def score(rs, batch_size=None):
        return target_sentiments(
            [r["text"] for r in rs],
            [r["start"] for r in rs],
            [r["end"] for r in rs],
            model=model,
            batch_size=batch_size,
        )[cols].to_numpy()

    together = score(rows)
    order = list(range(len(rows)))
    random.Random(0).shuffle(order)
    shuffled = np.empty_like(together)
    shuffled[order] = score([rows[i] for i in order])
    alone = np.concatenate([score([r]) for r in rows])
    # The largest batch a caller might ask for, whatever the model's default.
    big = score(rows, batch_size=64)
    return float(max(np.abs(x - together).max() for x in (shuffled, alone, big)))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", type=Path, default=DEFAULT_DATA, help="NewsMTSC folder")
    ap.add_argument(
        "--batch-size", type=int, default=None, help="targets per model call (default: the model's)"
    )
    ap.add_argument(
        "--models",
        nargs="+",
        default=list(config.TARGET_SENTIMENT_MODELS),
        help="models to compare in one run (names in config.TARGET_SENTIMENT_MODELS)",
    )
    ap.add_argument("--no-baseline", action="store_true", help="skip the BoW + VADER baseline")
    args = ap.parse_args(argv)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})

    splits = {name: read_split(args.data_dir / f"{name}.jsonl") for name in ("dev_rw", "dev_mt")}
    rates: dict[str, float] = {}
    for model_name in args.models:
        model = load_target_model(1, model_name)
        print(
            f"\nmodel {model_name}: {model.model_dir.name} ({type(model).__name__}, "
            f"batch size {args.batch_size or ('32' if getattr(model, 'batch_invariant', False) else '1')}), "
            "onnxruntime 1 thread, pinned to one CPU"
        )
        model.predict(["warm up"], ["up"])
        model_f1 = {}
        n_all, cpu_all = 0, 0.0
        for name, rows in splits.items():
            n_cut = sum(
                target_window(r["text"], r["start"], r["end"])[0] != r["text"] for r in rows
            )
            t0, c0 = time.perf_counter(), time.process_time()
            pred = target_sentiments(
                [r["text"] for r in rows],
                [r["start"] for r in rows],
                [r["end"] for r in rows],
                model=model,
                batch_size=args.batch_size,
            )
            seconds = time.perf_counter() - t0
            # CPU seconds as well: on a shared machine wall-clock speed depends on the other jobs.
            cpu_seconds = time.process_time() - c0
            n_all, cpu_all = n_all + len(rows), cpu_all + cpu_seconds
            gold = [r["gold"] for r in rows]
            model_f1[name] = f1_score(gold, pred["polarity"], average="macro", labels=list(LABELS))
            n_sent = len({r["text"] for r in rows})
            print(
                f"{name}: {len(rows)} targets in {n_sent} sentences ({n_cut} over 600 characters, "
                f"read as a window): macro F1 {model_f1[name]:.4f}, accuracy {accuracy_score(gold, pred['polarity']):.4f}; "
                f"{len(rows) / seconds:.1f} targets/s ({n_sent / seconds:.1f} sentences/s) wall-clock, "
                f"{len(rows) / cpu_seconds:.1f} targets per CPU-second"
            )
        rates[model_name] = n_all / cpu_all
        worst = batch_check(model, splits["dev_mt"])
        print(
            f"batch invariance (120 dev_mt targets alone, batched, shuffled, batch size 64): "
            f"max |difference| {worst:.3g} ({'identical' if worst == 0 else 'DIFFERENT'})"
        )
    if "fixed" in rates and "dynamic" in rates:
        print(
            f"\nfixed / dynamic targets per CPU-second: {rates['fixed'] / rates['dynamic']:.2f}x "
            "(target >= 5x, >= 700 targets/s)"
        )
    if not args.no_baseline:
        t0 = time.perf_counter()
        base = baseline(read_split(args.data_dir / "train.jsonl"), splits)
        print(
            f"baseline BoW + VADER logistic regression ({time.perf_counter() - t0:.0f} s to train and score):"
        )
        for name, f1 in base.items():
            print(f"  {name}: macro F1 {f1:.4f} (last model above {model_f1[name]:.4f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
