"""Benchmark sentence sentiment on the NYT editorial dev split against vaderSentiment, and speed.

Prints, in one run:

* Pearson r between each scorer's ``compound`` and the human mean rating, 3-class macro F1
  (gold: mean > 0.5 positive, < -0.5 negative, else neutral; scores: beyond ±0.05) and the
  1st and 99th percentiles of the scores (the spread of the scale), for vaderSentiment, the
  project's rules alone and the project's blended scorer (and, with ``--baseline-meta``, the
  blends of an older meta.json, in the same run). The blend weights
  were fitted on this same split (see the model's meta.json), so those figures are in-sample;
  the 5-fold cross-validated figures (folds by article) are printed beside them.
* Sentences per second for vaderSentiment and the project's scorer on the same sentences
  (default 10,000 drawn from the four ground-truth files), pinned to one core with one
  onnxruntime thread; wall-clock and CPU-time rates are both shown, as the machine is shared.

Usage::

    .venv/bin/python benchmarks/bench_sentiment.py [--data ../shared/data/vader_groundtruth]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

# One core for the speed figures: tokenizers' thread pool must be sized before it is imported.
os.environ.setdefault("RAYON_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np  # noqa: E402

CHECKOUT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = CHECKOUT.parent / "shared" / "data" / "vader_groundtruth"
DEV_FILE = "nytEditorialSnippets_dev.jsonl"
ALL_FILES = (
    "tweets.jsonl",
    "movieReviewSnippets.jsonl",
    "amazonReviewSnippets.jsonl",
    DEV_FILE,
)


#: Sentences of issue 17 and the README, printed with their compound before and after.
EXAMPLES = (
    "The bank left interest rates unchanged.",
    "The minister will visit Paris on Tuesday.",
    "Officials said the meeting would take place next week.",
    "The brutal massacre of innocent children horrified the world.",
    "The ceasefire collapsed.",
    "The talks failed to reach an agreement.",
    "A terrible, deadly attack killed dozens.",
    "The company reported record profits and raised its dividend.",
)


def read(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def accuracy(data: Path, baseline: Path | None = None) -> None:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    from analysis.sentiment import (
        FIT_COLUMNS,
        GOLD_THRESHOLD,
        RATING_SCALE,
        SentimentScorer,
        _macro_f1,
        cross_val_blend,
        polarity_classes,
    )

    rows = read(data / DEV_FILE)
    texts = [r["text"] for r in rows]
    y = np.array([r["mean_rating"] for r in rows], dtype=float) / RATING_SCALE
    groups = [r["id"].split("_")[0] for r in rows]
    gold = polarity_classes(y, GOLD_THRESHOLD)
    print(f"NYT editorial dev split: {len(rows)} sentences from {len(set(groups))} articles")
    print(
        f"gold classes: {int((gold == 1).sum())} positive, {int((gold == 0).sum())} neutral, "
        f"{int((gold == -1).sum())} negative"
    )

    vader = SentimentIntensityAnalyzer()
    results = {"vaderSentiment": np.array([vader.polarity_scores(t)["compound"] for t in texts])}
    cv = {}
    kinds = (("project rules only", False), ("project blended", True))
    examples = {}
    if baseline is not None:
        # An older meta.json's blend, scored by this code: an older blend (without "columns",
        # with a cut/slope "scale", without "neutral") gives exactly the compound it gave
        # before, so before/after share one run.
        old = json.loads(baseline.read_text(encoding="utf-8")).get("blend", {})
        for name, use_model in kinds:
            blend = old.get("model" if use_model else "rules")
            scorer = SentimentScorer(use_model=use_model, blend=blend)
            results[f"{name} [{baseline.name}]"] = scorer.predict(texts)
            if use_model:
                examples[f"blended [{baseline.name}]"] = scorer.predict(EXAMPLES)
    for name, use_model in kinds:
        scorer = SentimentScorer(use_model=use_model)
        results[name] = scorer.transform(texts)["compound"].to_numpy()
        # The 5-fold estimate refits what --calibrate fits: every column, scale, neutral rule.
        columns = FIT_COLUMNS["model" if use_model else "rules"]
        _, X = scorer._features(texts, columns)
        cv[name] = cross_val_blend(
            X, y, groups, base_columns=2 if use_model else 1, columns=columns
        )
        print(f"{name}: blend {scorer._blend()}")
        if use_model:
            examples["blended"] = scorer.predict(EXAMPLES)

    print()
    width = max(34, *(len(n) for n in results))
    print(
        f"{'scorer':<{width}} {'pearson r':>10} {'macro F1':>9} {'1%':>7} {'99%':>7} "
        f"{'exactly 0':>9}"
    )
    for name, scores in [*results.items(), *((f"{n} (5-fold CV)", s) for n, s in cv.items())]:
        r = np.corrcoef(scores, y)[0, 1]
        f1 = _macro_f1(gold, polarity_classes(scores, 0.05))
        lo, hi = np.quantile(scores, [0.01, 0.99])
        zero = float(np.mean(scores == 0))
        print(f"{name:<{width}} {r:>10.4f} {f1:>9.4f} {lo:>+7.3f} {hi:>+7.3f} {zero:>9.1%}")
    raw = np.corrcoef(SentimentScorer(use_model=True).model_scores(texts), y)[0, 1]
    print(f"{'model alone (no rules, no blend)':<{width}} {raw:>10.4f}")
    lo, hi = np.quantile(y, [0.01, 0.99])
    print(f"{'human ratings / 4':<{width}} {'':>10} {'':>9} {lo:>+7.3f} {hi:>+7.3f}")
    base = np.corrcoef(results["vaderSentiment"], y)[0, 1]
    gain = np.corrcoef(results["project blended"], y)[0, 1] - base
    print(f"\nblended r - VADER r = {gain:+.4f} (target >= +0.10)")
    print("\nexamples (issue 17; the README's and the reader's expectations):")
    names = list(examples)
    print(" | ".join([f"{'sentence':<62}", *(f"{n:>{max(8, len(n))}}" for n in names)]))
    for i, text in enumerate(EXAMPLES):
        cells = [f"{examples[n][i]:>+{max(8, len(n))}.3f}" for n in names]
        print(" | ".join([f"{text:<62}", *cells]))


def speed(data: Path, n: int, seed: int) -> None:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    from analysis.sentiment import SentimentScorer

    texts = [r["text"] for name in ALL_FILES for r in read(data / name)]
    rng = random.Random(seed)
    sample = rng.sample(texts, min(n, len(texts)))
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    print(f"\nspeed: {len(sample):,} sentences (seed {seed}) from {', '.join(ALL_FILES)}")
    print(f"pinned to CPU(s) {sorted(os.sched_getaffinity(0))}, onnxruntime intra-op threads 1")

    def timed(label, fn) -> None:
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        print(
            f"{label:<34} {len(sample) / wall:>8.0f} sentences/s wall, "
            f"{len(sample) / cpu:>8.0f} per CPU-second"
        )

    vader = SentimentIntensityAnalyzer()
    timed("vaderSentiment", lambda: [vader.polarity_scores(t) for t in sample])
    rules = SentimentScorer(use_model=False)
    timed("project rules only", lambda: rules.transform(sample))
    blended = SentimentScorer(use_model=True, intra_op_num_threads=1)
    blended.transform(sample[:32])  # load the ONNX session outside the timing
    timed("project blended (rules + model)", lambda: blended.transform(sample))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="vader_groundtruth folder")
    ap.add_argument("--n", type=int, default=10_000, help="sentences for the speed test")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-speed", action="store_true", help="skip the speed test")
    ap.add_argument(
        "--baseline-meta",
        type=Path,
        help="also score with the blend of this (older) meta.json, e.g. from "
        "`git show main:analysis/models/sentence_sentiment/meta.json`",
    )
    args = ap.parse_args(argv)
    if not (args.data / DEV_FILE).is_file():
        print(f"{args.data / DEV_FILE}: not found (pass --data)", file=sys.stderr)
        return 1
    accuracy(args.data, args.baseline_meta)
    if not args.no_speed:
        speed(args.data, args.n, args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
