"""Scaling benchmark: ``extract`` (local and Dask engines) against bare spaCy, on the same texts.

For each corpus size it runs, each in its own process tree and in the same run:

- bare spaCy: ``nlp.pipe(texts, n_process=W)`` with the same pipeline and components;
- ``python -m analysis extract --workers W --no-cache`` (local engine);
- the same with ``--engine dask`` on a new two-worker LocalCluster;

and prints articles per second, words per second, peak resident memory of the whole process tree
(sampled every 50 ms) and throughput relative to bare spaCy. With ``--check-equal`` it also checks
that the Dask tables equal the local engine's, row for row.

Usage::

    .venv/bin/python benchmarks/bench_scale.py --corpus ../shared/data/reuters21578/reuters21578.jsonl \\
        --sizes 1000,5000,all --workers 2 [--engines local,dask] [--tables mentions,quotes,...]
    .venv/bin/python benchmarks/bench_scale.py --corpus ../shared/data/bbc_news/txt --sizes 1000
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _measure import communicate_with_peak_rss

from analysis.corpus import load_corpus, write_table

DEFAULT_CORPUS = (
    Path(__file__).resolve().parents[1].parent
    / "shared"
    / "data"
    / "reuters21578"
    / "reuters21578.jsonl"
)

BARE_SPACY = """
import sys, pandas as pd
from analysis.nlp import load_nlp, normalise_for_parse
texts = pd.read_parquet(sys.argv[1], columns=["text"])["text"].tolist()
nlp = load_nlp()
for _ in nlp.pipe((normalise_for_parse(t) for t in texts), batch_size=32, n_process=int(sys.argv[2])):
    pass
"""


def run_measured(cmd: list[str]) -> tuple[float, float, int]:
    """Run ``cmd``; return (seconds, peak RSS of the process tree in MiB, exit code)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _, err, peak_mib = communicate_with_peak_rss(proc)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        print(
            f"command failed ({proc.returncode}): {' '.join(cmd)}\n{err[-2000:]}", file=sys.stderr
        )
    return seconds, peak_mib, proc.returncode


def tables_equal(a: Path, b: Path) -> tuple[bool, str]:
    for folder in sorted(a.glob("*.parquet")):
        name = folder.name
        left = pd.read_parquet(folder)
        right = pd.read_parquet(b / name)
        keys = [
            c
            for c in ("article_id", "start", "sentence", "paragraph", "actor", "source")
            if c in left.columns
            and not left[c].map(lambda v: isinstance(v, list | tuple | np.ndarray)).any()
        ]
        if keys:
            left = left.sort_values(keys, kind="stable").reset_index(drop=True)
            right = right.sort_values(keys, kind="stable").reset_index(drop=True)
        try:
            pd.testing.assert_frame_equal(left, right, check_dtype=False)
        except AssertionError as exc:
            return False, f"{name}: {str(exc).splitlines()[0]}"
    return True, ""


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--corpus", type=Path, default=DEFAULT_CORPUS, help="any corpus the loader reads"
    )
    ap.add_argument(
        "--sizes", default="1000,5000,all", help="comma-separated article counts or 'all'"
    )
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--engines", default="local,dask")
    ap.add_argument("--tables", default=None, help="feature tables for extract (default: all)")
    ap.add_argument("--check-equal", action="store_true", help="compare Dask and local tables")
    args = ap.parse_args()

    articles, rejects = load_corpus(args.corpus, progress=False)
    articles = articles[articles["duplicate_of"].isna()].reset_index(drop=True)
    print(
        f"corpus {args.corpus}: {len(articles)} distinct non-empty articles ({len(rejects)} rejected inputs)"
    )
    engines = [e for e in args.engines.split(",") if e]
    rows = []
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        for size in args.sizes.split(","):
            n = len(articles) if size == "all" else min(int(size), len(articles))
            subset = articles.iloc[:n]
            words = int(subset["n_words"].sum())
            feed = write_table(subset.drop(columns=["duplicate_of"]), tmp / f"subset_{n}.parquet")
            runs = {}
            secs, mem, _ = run_measured(
                [sys.executable, "-c", BARE_SPACY, str(feed), str(args.workers)]
            )
            runs["bare spaCy"] = (secs, mem)
            for engine in engines:
                cmd = [
                    sys.executable,
                    "-m",
                    "analysis",
                    "extract",
                    str(feed),
                    "-o",
                    str(tmp / f"out_{engine}_{n}"),
                    "--workers",
                    str(args.workers),
                    "--no-cache",
                    "--engine",
                    engine,
                ]
                if args.tables:
                    cmd += ["--tables", args.tables]
                secs, mem, code = run_measured(cmd)
                runs[f"extract {engine}"] = (secs, mem) if code == 0 else (float("nan"), mem)
            base = runs["bare spaCy"][0]
            for name, (secs, mem) in runs.items():
                rows.append(
                    {
                        "articles": n,
                        "run": name,
                        "seconds": secs,
                        "articles/s": n / secs,
                        "words/s": words / secs,
                        "peak RSS MiB": mem,
                        "vs bare spaCy": base / secs,
                    }
                )
            if args.check_equal and "local" in engines and "dask" in engines:
                ok, why = tables_equal(tmp / f"out_local_{n}", tmp / f"out_dask_{n}")
                print(f"{n} articles: dask tables equal local tables: {ok} {why}")
            print(
                pd.DataFrame(rows[-len(runs) :]).to_string(
                    index=False, float_format=lambda v: f"{v:,.2f}"
                ),
                flush=True,
            )
    frame = pd.DataFrame(rows)
    print(f"\nscaling table (workers={args.workers}, tables={args.tables or 'all'})")
    print(frame.to_string(index=False, float_format=lambda v: f"{v:,.2f}"))
    for run in frame["run"].unique():
        sub = frame[frame["run"] == run].set_index("articles")["peak RSS MiB"]
        if len(sub) > 1:
            print(
                f"{run}: peak RSS at {sub.index[1]} / at {sub.index[0]} = {sub.iloc[1] / sub.iloc[0]:.2f}x"
            )
    if {"extract local", "extract dask"} <= set(frame["run"]):
        wide = frame.pivot(index="articles", columns="run", values="articles/s")
        print(
            "dask / local throughput:",
            json.dumps(
                {
                    int(k): round(v, 3)
                    for k, v in (wide["extract dask"] / wide["extract local"]).items()
                }
            ),
        )


if __name__ == "__main__":
    main()
