"""The everyday path: ``report --corpus`` with a fresh cache against bare spaCy on the same texts.

For a sample of BBC articles (the same number from each category folder, chosen by sorted file
name, so every run reads the same files) it measures, in one run and each in its own process:

- bare spaCy: ``nlp.pipe(texts, n_process=W)`` over the loader's texts (the parse alone);
- ``python -m analysis report --corpus SAMPLE --workers W`` with an empty cache folder
  (``NEWS_ANALYSIS_CACHE``): the runner's up-front extraction, then every notebook;
- with ``--again``, the same report a second time with ``--force`` on the now warm cache (every
  notebook executes again; what a notebook keeps in the cache, such as the sentiment report's
  model-scored tables, is read back);
- with ``--add N``, N more articles added to the sample and the report run again (the fill
  parses the new articles; the notebooks run again on the grown corpus, scoring only new
  quotations);
- with ``--static-sentiment``, the first report again with ``report --static-sentiment`` on a
  fresh cache of its own (the fast path: the static sentence model instead of the transformer),
  before any articles are added;
- optionally ``python -m analysis extract`` (every table, no cache) on Reuters-21578 stories
  against bare spaCy on the same texts (throughput ratio).

It prints seconds, the ratio to bare spaCy, the runner's own extraction and notebook lines (the
notebooks run side by side, so their wall time is less than the sum) and each notebook's
time from ``manifest.json`` (so the notebooks' own work can be compared with the parse) with the
size of its HTML page (target: under 10 MB each).

Usage::

    nice -n 10 .venv/bin/python benchmarks/bench_everyday.py ../shared/data/bbc_news/txt \\
        --per-category 200 [--workers 2] [--again] [--add 20] [--static-sentiment] [--reuters ../shared/data/reuters21578/reuters21578.jsonl --n-reuters 1000]
    nice -n 10 .venv/bin/python benchmarks/bench_everyday.py ../shared/data/bbc_news/txt --per-category 0   # all
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from analysis.corpus import load_corpus, write_table

BARE_SPACY = """
import sys, pandas as pd
from analysis.nlp import load_nlp, normalise_for_parse
texts = pd.read_parquet(sys.argv[1], columns=["text"])["text"].tolist()
nlp = load_nlp()
for _ in nlp.pipe((normalise_for_parse(t) for t in texts), batch_size=32, n_process=int(sys.argv[2])):
    pass
"""


def timed(cmd: list[str], env: dict | None = None) -> tuple[float, str]:
    """Run ``cmd``; return its wall time and stderr (raise with stderr when it fails)."""
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:5])} ... failed:\n{proc.stderr[-2000:]}")
    return seconds, proc.stderr


def bbc_sample(root: Path, per_category: int, into: Path) -> Path:
    """A folder of symlinks: ``per_category`` files of each category (0: all), by sorted name."""
    sample = into / "bbc"
    for category in sorted(p for p in root.iterdir() if p.is_dir()):
        files = sorted(category.glob("*.txt"))
        chosen = files if per_category == 0 else files[:per_category]
        (sample / category.name).mkdir(parents=True)
        for f in chosen:
            (sample / category.name / f.name).symlink_to(f.resolve())
    return sample


def add_articles(root: Path, sample: Path, per_category: int, n: int) -> int:
    """Add up to ``n`` more articles to ``sample``: the next ones of each category, in turn."""
    categories = sorted(p for p in root.iterdir() if p.is_dir())
    added, offset = 0, per_category
    while added < n and per_category:
        grew = False
        for category in categories:
            files = sorted(category.glob("*.txt"))
            if offset < len(files) and added < n:
                (sample / category.name / files[offset].name).symlink_to(files[offset].resolve())
                added, grew = added + 1, True
        if not grew:
            break
        offset += 1
    return added


def bare_spacy(paths: list[Path], workers: int, into: Path) -> tuple[int, float]:
    articles, _ = load_corpus(paths)
    texts = into / f"texts-{len(articles)}.parquet"
    write_table(articles[["text"]], texts)
    seconds, _ = timed([sys.executable, "-c", BARE_SPACY, str(texts), str(workers)])
    return len(articles), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bbc", type=Path, help="the BBC folder of category folders")
    parser.add_argument("--per-category", type=int, default=200, help="0: every article")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--again", action="store_true", help="run the report again on the warm cache (--force)"
    )
    parser.add_argument(
        "--add",
        type=int,
        default=0,
        help="then add N articles (the next of each category) and report again: the everyday "
        "re-run of a growing corpus",
    )
    parser.add_argument(
        "--static-sentiment",
        action="store_true",
        help="also run the report with --static-sentiment on a fresh cache of its own (before "
        "--add; the other runs are as without it)",
    )
    parser.add_argument("--reuters", type=Path, default=None, help="reuters21578.jsonl")
    parser.add_argument("--n-reuters", type=int, default=1000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-everyday-") as tmp_name:
        tmp = Path(tmp_name)
        sample = bbc_sample(args.bbc, args.per_category, tmp)
        n, parse_s = bare_spacy([sample], args.workers, tmp)
        print(f"BBC sample: {n} articles; workers {args.workers}")
        print(f"bare spaCy nlp.pipe(n_process={args.workers}): {parse_s:.1f} s")

        env = dict(os.environ, NEWS_ANALYSIS_CACHE=str(tmp / "cache"))
        out = tmp / "reports"
        cmd = [sys.executable, "-m", "analysis", "report", "--corpus", str(sample)]
        cmd += ["--out", str(out), "--workers", str(args.workers)]
        runs = [("report --corpus (fresh cache)", cmd, env)]
        if args.again:
            runs.append(("report --corpus --force (warm cache)", [*cmd, "--force"], env))
        if args.static_sentiment:
            fresh = dict(env, NEWS_ANALYSIS_CACHE=str(tmp / "cache-static"))
            static = [*cmd, "--static-sentiment", "--force"]
            runs.append(("report --corpus --static-sentiment (fresh cache)", static, fresh))
        if args.add:
            runs.append(("report --corpus, articles added", cmd, env))
        for label, run, run_env in runs:
            if label.endswith("articles added"):
                added = add_articles(args.bbc, sample, args.per_category, args.add)
                label = f"report --corpus, {added} articles added (warm cache)"
            report_s, log = timed(run, run_env)
            manifest = json.loads((out / "manifest.json").read_text())
            print(f"{label}: {report_s:.1f} s = {report_s / parse_s:.2f}x bare spaCy")
            wall = None  # the notebooks' wall time, side by side (the runner's line)
            for line in log.splitlines():
                if line.startswith(("report: features", "report: notebooks:")):
                    print("  " + line)
                if line.startswith("report: notebooks:"):
                    wall = float(line.split(" in ")[1].split(" s")[0])
            notebooks_s = 0.0
            for entry in manifest["notebooks"]:
                seconds = entry["executed"]["duration_s"]
                notebooks_s += seconds
                size = (out / f"{entry['name']}.html").stat().st_size / 1e6
                print(
                    f"  {entry['name']}: {seconds:.1f} s ({entry['outcome']}), HTML {size:.2f} MB"
                )
            print(
                f"  notebooks one after another: {notebooks_s:.1f} s = "
                f"{notebooks_s / parse_s:.2f}x the parse"
            )
            if wall is not None:
                print(f"  notebooks side by side: {wall:.1f} s = {wall / parse_s:.2f}x the parse")

        if args.reuters is not None:
            articles, _ = load_corpus([args.reuters])
            subset = tmp / "reuters.jsonl"
            write_table(articles.head(args.n_reuters), subset)
            n_r, parse_r = bare_spacy([subset], args.workers, tmp)
            cmd = [sys.executable, "-m", "analysis", "extract", str(subset)]
            cmd += ["-o", str(tmp / "store"), "--workers", str(args.workers), "--no-cache"]
            extract_s, _ = timed(cmd)
            print(
                f"Reuters {n_r} stories: bare spaCy {parse_r:.1f} s, extract (every table) "
                f"{extract_s:.1f} s: throughput {parse_r / extract_s:.2f}x bare spaCy"
            )
            static_s, _ = timed(
                [*cmd[:6], str(tmp / "store-static"), *cmd[7:], "--static-sentiment"]
            )
            print(
                f"  extract --static-sentiment {static_s:.1f} s: throughput "
                f"{parse_r / static_s:.2f}x bare spaCy"
            )


if __name__ == "__main__":
    main()
