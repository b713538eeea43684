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
  Every sentence model (``config.SENTENCE_SENTIMENT_MODELS``: transformer, static) is scored.
* Batch invariance: the largest difference between a sentence's compound alone and in a batch
  (and shuffled), per model.
* Wall-clock of the ``sentiment`` command on the same sentences, per model, against
  ``--rules-only``.

Usage::

    .venv/bin/python benchmarks/bench_sentiment.py [--data ../shared/data/vader_groundtruth]
"""

from __future__ import annotations

import argparse
import functools
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

from analysis import config  # noqa: E402

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
    kinds = [("project rules only", False, None)] + [
        (f"project blended ({m})", True, m) for m in config.SENTENCE_SENTIMENT_MODELS
    ]
    examples = {}
    if baseline is not None:
        # An older meta.json's blend, scored by this code: an older blend (without "columns",
        # with a cut/slope "scale", without "neutral") gives exactly the compound it gave
        # before, so before/after share one run.
        old = json.loads(baseline.read_text(encoding="utf-8")).get("blend", {})
        for name, use_model, model in kinds[:2]:
            blend = old.get("model" if use_model else "rules")
            scorer = SentimentScorer(use_model=use_model, blend=blend, model=model)
            results[f"{name} [{baseline.name}]"] = scorer.predict(texts)
            if use_model:
                examples[f"blended [{baseline.name}]"] = scorer.predict(EXAMPLES)
    for name, use_model, model in kinds:
        scorer = SentimentScorer(use_model=use_model, model=model)
        results[name] = scorer.transform(texts)["compound"].to_numpy()
        # The 5-fold estimate refits what --calibrate fits: every column, scale, neutral rule.
        columns = FIT_COLUMNS["model" if use_model else "rules"]
        _, X = scorer._features(texts, columns)
        cv[name] = cross_val_blend(
            X, y, groups, base_columns=2 if use_model else 1, columns=columns
        )
        print(f"{name}: blend {scorer._blend()}")
        if use_model:
            examples[f"blended ({model})"] = scorer.predict(EXAMPLES)

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
    for model in config.SENTENCE_SENTIMENT_MODELS:
        raw = np.corrcoef(SentimentScorer(model=model).model_scores(texts), y)[0, 1]
        print(f"{f'model alone ({model}; no rules, no blend)':<{width}} {raw:>10.4f}")
    lo, hi = np.quantile(y, [0.01, 0.99])
    print(f"{'human ratings / 4':<{width}} {'':>10} {'':>9} {lo:>+7.3f} {hi:>+7.3f}")
    base = np.corrcoef(results["vaderSentiment"], y)[0, 1]
    default = f"project blended ({config.SENTENCE_SENTIMENT_MODEL})"
    gain = np.corrcoef(results[default], y)[0, 1] - base
    print(f"\n{default} r - VADER r = {gain:+.4f} (target >= +0.10)")
    r_static = np.corrcoef(results["project blended (static)"], y)[0, 1]
    r_transformer = np.corrcoef(results["project blended (transformer)"], y)[0, 1]
    cv_static = np.corrcoef(cv["project blended (static)"], y)[0, 1]
    cv_transformer = np.corrcoef(cv["project blended (transformer)"], y)[0, 1]
    print(
        f"static - transformer blended r = {r_static - r_transformer:+.4f} in-sample, "
        f"{cv_static - cv_transformer:+.4f} 5-fold (target >= -0.01)"
    )
    print("\nexamples (issue 17; the README's and the reader's expectations):")
    names = list(examples)
    print(" | ".join([f"{'sentence':<62}", *(f"{n:>{max(8, len(n))}}" for n in names)]))
    for i, text in enumerate(EXAMPLES):
        cells = [f"{examples[n][i]:>+{max(8, len(n))}.3f}" for n in names]
        print(" | ".join([f"{text:<62}", *cells]))


def speed(data: Path, n: int, seed: int) -> list[str]:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    from analysis.sentiment import SentimentScorer

    texts = [r["text"] for name in ALL_FILES for r in read(data / name)]
    rng = random.Random(seed)
    sample = rng.sample(texts, min(n, len(texts)))
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    print(f"\nspeed: {len(sample):,} sentences (seed {seed}) from {', '.join(ALL_FILES)}")
    print(f"pinned to CPU(s) {sorted(os.sched_getaffinity(0))}, onnxruntime intra-op threads 1")
    rates = {}

    def timed(label, fn) -> None:
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        rates[label] = len(sample) / cpu
        print(
            f"{label:<34} {len(sample) / wall:>8.0f} sentences/s wall, "
            f"{len(sample) / cpu:>8.0f} per CPU-second"
        )

    vader = SentimentIntensityAnalyzer()
    timed("vaderSentiment", lambda: [vader.polarity_scores(t) for t in sample])
    rules = SentimentScorer(use_model=False)
    timed("project rules only", lambda: rules.transform(sample))
    for model in config.SENTENCE_SENTIMENT_MODELS:
        blended = SentimentScorer(model=model, intra_op_num_threads=1)
        blended.transform(sample[:32])  # load the model outside the timing
        timed(f"project blended ({model})", functools.partial(blended.transform, sample))
    static, old = rates["project blended (static)"], rates["project blended (transformer)"]
    print(
        f"blended static / blended transformer = {static / old:.1f}x per CPU-second "
        f"(target >= 10x and >= 5,000 sentences/s); static / rules only = "
        f"{static / rates['project rules only']:.2f}"
    )
    return sample


def batch_check(sample: list[str], n: int = 300) -> None:
    """Largest difference of a score alone against the same sentence in a batch, shuffled."""
    from analysis.sentiment import SentimentScorer

    sentences = sample[:n]
    order = list(range(len(sentences)))
    random.Random(1).shuffle(order)
    print(f"\nbatch invariance: {len(sentences)} sentences alone, in one batch and shuffled")
    for model in config.SENTENCE_SENTIMENT_MODELS:
        for batch_size in (1, 32):
            scorer = SentimentScorer(model=model, batch_size=batch_size)
            together = scorer.predict(sentences)
            shuffled = np.empty_like(together)
            shuffled[order] = scorer.predict([sentences[i] for i in order])
            alone = np.array([scorer.predict([s])[0] for s in sentences])
            worst = max(np.abs(alone - together).max(), np.abs(shuffled - together).max())
            same = "identical" if worst == 0 else "DIFFERENT"
            size = "any batch size" if model == "static" else f"model batch size {batch_size}"
            print(f"  blended ({model}), {size}: max |difference| {worst:.3g} ({same})")
            if model == "static":
                break  # the static model takes no batch size


def cli_timing(sample: list[str]) -> None:
    """Wall-clock of the ``sentiment`` command on the sample, per model, against --rules-only."""
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "sentences.jsonl"
        with src.open("w", encoding="utf-8") as fh:
            for text in sample:
                fh.write(json.dumps({"text": text}) + "\n")
        print(f"\n`sentiment` command on {len(sample):,} sentences (wall-clock, one run each)")
        seconds = {}
        for label, extra in [
            ("--rules-only", ["--rules-only"]),
            *((f"--model {m}", ["--model", m]) for m in config.SENTENCE_SENTIMENT_MODELS),
        ]:
            cmd = [sys.executable, "-m", "analysis", "sentiment", str(src)]
            cmd += ["-o", str(Path(tmp) / "out.jsonl"), *extra]
            t0 = time.perf_counter()
            subprocess.run(cmd, check=True, cwd=CHECKOUT)
            seconds[label] = time.perf_counter() - t0
            ratio = seconds[label] / seconds["--rules-only"]
            print(f"  sentiment {label:<20} {seconds[label]:>7.1f} s ({ratio:.2f}x --rules-only)")
        print("  (target: the default at most 2x --rules-only)")


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
        sample = speed(args.data, args.n, args.seed)
        batch_check(sample)
        cli_timing(sample)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
