"""Streaming topics at scale: peak memory and time of ``fit_stream`` on 1x and 4x the BBC articles.

The terms are extracted once through the feature store (``extract_corpus(..., tables=("terms",))``,
cached per article); the 4x corpus reads every part four times with renamed article ids. Each
fit runs in its own process, so each peak resident memory is its own; the in-memory ``fit`` on
the same terms is measured the same way for contrast.

    nice -n 10 .venv/bin/python benchmarks/bench_topics_stream.py
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = CHECKOUT.parent / "shared/data/bbc_news/bbc_news_raw.jsonl"


def ensure_store(corpus: Path, store: Path, part_size: int, workers: int) -> None:
    """Extract the ``terms`` table of ``corpus`` into ``store`` unless it is already there."""
    from analysis.corpus import iter_corpus
    from analysis.store import extract_corpus

    if (store / "terms.parquet").exists():
        print(f"store: reusing {store}", file=sys.stderr)
        return
    t0 = time.perf_counter()
    summary = extract_corpus(
        iter_corpus([corpus]), store, tables=("terms",), part_size=part_size, workers=workers
    )
    print(
        f"store: {summary.articles} articles ({summary.parsed} parsed, {summary.cached} cached) "
        f"in {time.perf_counter() - t0:.1f}s -> {store}",
        file=sys.stderr,
    )


def repeated_batches(store: Path, repeats: int):
    """``batches()`` over the store's terms parts, ``repeats`` times, ids made unique per copy."""
    from analysis.topics import store_batches

    base = store_batches(store)

    def batches():
        for copy in range(repeats):
            for frame in base():
                if copy:
                    frame = frame.assign(article_id=frame["article_id"] + f"~{copy}")
                yield frame

    return batches


def child(args) -> None:
    """Fit once in this process and print one JSON line of results."""
    import resource

    import pandas as pd
    from sklearn.metrics import normalized_mutual_info_score

    from analysis.topics import TopicModel

    store = Path(args.store)
    batches = repeated_batches(store, args.repeats)
    params = dict(n_topics=args.k, random_state=0, coherence_units=args.coherence_units)
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        if args.mode == "stream":
            out = Path(tmp) / "doc_topics.csv"
            model = TopicModel(**params).fit_stream(batches, epochs=args.epochs, doc_topics=out)
            seconds = time.perf_counter() - t0
            doc_topics = pd.read_csv(out)
        else:
            model = TopicModel(**params).fit(pd.concat(list(batches()), ignore_index=True))
            seconds = time.perf_counter() - t0
            doc_topics = model.doc_topics_frame()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # NMI of each article's dominant topic with its BBC category (first copy of the corpus).
    dominant = doc_topics.sort_values("weight", ascending=False).drop_duplicates("article_id")
    cats = pd.read_parquet(store / "articles.parquet", columns=["article_id", "category"])
    joined = dominant.merge(cats, on="article_id")
    print(
        json.dumps(
            {
                "mode": args.mode,
                "repeats": args.repeats,
                "articles": int(model.n_articles_),
                "seconds": round(seconds, 2),
                "peak_rss_mb": round(peak, 1),
                "rss_before_fit_mb": round(base_rss, 1),
                "npmi": round(model.npmi_, 4),
                "diversity": round(model.diversity_, 3),
                "nmi": round(normalized_mutual_info_score(joined["category"], joined["topic"]), 4),
                "top_terms": [" ".join(t[:6]) for t in model.top_terms_],
            }
        ),
        flush=True,
    )


def run_child(argv: list[str]) -> tuple[dict, float]:
    """Run one fit in a subprocess; return its JSON result and its psutil-sampled peak RSS (MB)."""
    from _measure import communicate_with_peak_rss

    proc = subprocess.Popen(
        [sys.executable, __file__, "--child", *argv], stdout=subprocess.PIPE, text=True
    )
    out, _, peak_mib = communicate_with_peak_rss(proc, interval=0.02)
    if proc.returncode != 0:
        raise SystemExit(f"child {argv} failed with exit code {proc.returncode}")
    return json.loads(out.strip().splitlines()[-1]), peak_mib


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--store", type=Path, default=None, help="feature store folder to reuse")
    parser.add_argument("--part-size", type=int, default=250, help="articles per store part")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--coherence-units", type=int, default=2000)
    parser.add_argument("--repeats", default="1,4", help="corpus multiples to fit")
    parser.add_argument("--modes", default="stream,memory", help="stream and/or memory")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--mode", default="stream", help=argparse.SUPPRESS)
    parser.add_argument("--repeat", dest="repeat_one", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.store is None:
        from analysis import config

        args.store = config.CACHE_DIR / "bench_topics_stream" / f"bbc_terms_p{args.part_size}"
    if args.child:
        args.repeats = args.repeat_one
        child(args)
        return
    ensure_store(args.corpus, args.store, args.part_size, args.workers)
    common = [
        f"--store={args.store}",
        f"--k={args.k}",
        f"--epochs={args.epochs}",
        f"--coherence-units={args.coherence_units}",
    ]
    print(
        f"{'mode':<7} {'copies':>6} {'articles':>8} {'seconds':>8} {'peak RSS MB':>11} "
        f"{'sampled MB':>10} {'before fit MB':>13} {'NPMI':>6} {'div':>5} {'NMI':>6}"
    )
    for mode in args.modes.split(","):
        for repeats in (int(r) for r in args.repeats.split(",")):
            res, sampled = run_child([*common, f"--mode={mode}", f"--repeat={repeats}"])
            print(
                f"{mode:<7} {repeats:>6} {res['articles']:>8} {res['seconds']:>8.1f} "
                f"{res['peak_rss_mb']:>11.0f} {sampled:>10.0f} {res['rss_before_fit_mb']:>13.0f} "
                f"{res['npmi']:>6.3f} "
                f"{res['diversity']:>5.2f} {res['nmi']:>6.3f}",
                flush=True,
            )
            if repeats == 1:
                for terms in res["top_terms"]:
                    print(f"        {terms}")


if __name__ == "__main__":
    main()
