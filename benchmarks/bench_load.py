"""Benchmark the corpus loader: dateline parsing on real wire copy and load cost against parsing.

Prints:
- ISAF press releases fed with ``text`` only: share of records whose dateline date equals the
  record's ``date`` (records whose ``date`` is a full day). Target >= 95%.
- Reuters-21578 with each story's ``dateline`` field put back in front of its text: share of
  stories whose dateline place is recovered. Target >= 98%.
- Load throughput on the Reuters JSONL and the BBC ``.txt`` folder, and spaCy ``en_core_web_sm``
  parse time on a sample of the same texts: loading must cost under 5% of parsing per article.

Usage::

    .venv/bin/python benchmarks/bench_load.py [--data ../shared/data] [--sample 300]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import tempfile
import time
from pathlib import Path

from analysis.articles import published_day
from analysis.corpus import load_corpus
from analysis.nlp import load_nlp, parse

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
_GOLD_PLACE = re.compile(
    r"^(.*?),?\s+(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\w*\.?\s+\d", re.IGNORECASE
)


def isaf_dateline_accuracy(path: Path, tmp: Path) -> tuple[int, int]:
    rows = [json.loads(line) for line in path.open(encoding="utf-8")]
    feed = tmp / "isaf_text_only.jsonl"
    with feed.open("w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps({"id": r["id"], "text": r["text"]}) + "\n")
    articles, _ = load_corpus(feed)
    published = dict(zip(articles["article_id"], articles["published"], strict=True))
    full = [r for r in rows if r.get("date") and len(r["date"]) == 10]
    hits = sum(published_day(published.get(r["id"])) == r["date"] for r in full)
    return hits, len(full)


def gold_place(dateline: str) -> str:
    dateline = dateline.strip()
    m = _GOLD_PLACE.match(dateline)
    return (m.group(1) if m else dateline.rstrip(" -")).strip(" ,")


def reuters_place_accuracy(path: Path, tmp: Path) -> tuple[int, int]:
    rows = [json.loads(line) for line in path.open(encoding="utf-8")]
    feed = tmp / "reuters_with_dateline.jsonl"
    gold = {}
    with feed.open("w", encoding="utf-8") as f:
        for r in rows:
            if not (r.get("text") or "").strip() or not r.get("dateline"):
                continue
            gold[str(r["id"])] = gold_place(r["dateline"])
            f.write(
                json.dumps({"id": str(r["id"]), "text": r["dateline"].strip() + " " + r["text"]})
                + "\n"
            )
    articles, _ = load_corpus(feed)
    hits = sum(
        isinstance(place, str) and place.upper() == gold[i].upper()
        for i, place in zip(articles["article_id"], articles["dateline"], strict=True)
    )
    return hits, len(articles)


def timed_load(path: Path):
    start = time.perf_counter()
    articles, rejects = load_corpus(path, progress=False)
    return articles, rejects, time.perf_counter() - start


def parse_seconds_per_article(texts: list[str]) -> float:
    nlp = load_nlp()
    list(parse(texts[:5], nlp=nlp))  # warm up
    start = time.perf_counter()
    for _ in parse(texts, nlp=nlp, batch_size=32):
        pass
    return (time.perf_counter() - start) / len(texts)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared data folder")
    ap.add_argument(
        "--sample", type=int, default=300, help="articles parsed per corpus for the spaCy timing"
    )
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    data = args.data
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        hits, n = isaf_dateline_accuracy(data / "isaf_press_releases" / "isaf_dev.jsonl", tmp)
        print(f"ISAF dateline date == record date: {hits}/{n} = {hits / n:.1%} (target >= 95%)")
        hits, n = reuters_place_accuracy(data / "reuters21578" / "reuters21578.jsonl", tmp)
        print(f"Reuters dateline place recovered: {hits}/{n} = {hits / n:.1%} (target >= 98%)")

    rng = random.Random(args.seed)
    print(
        f"\n{'corpus':<22}{'articles':>9}{'rejects':>9}{'load ms/art':>13}{'parse ms/art':>14}{'load/parse':>12}"
    )
    for name, path in (
        ("reuters21578.jsonl", data / "reuters21578" / "reuters21578.jsonl"),
        ("bbc_news/txt", data / "bbc_news" / "txt"),
    ):
        articles, rejects, seconds = timed_load(path)
        load_ms = 1000 * seconds / len(articles)
        texts = list(articles["text"])
        sample = rng.sample(texts, min(args.sample, len(texts)))
        parse_ms = 1000 * parse_seconds_per_article(sample)
        print(
            f"{name:<22}{len(articles):>9}{len(rejects):>9}{load_ms:>13.3f}{parse_ms:>14.2f}"
            f"{load_ms / parse_ms:>11.2%}"
        )
    print("target: load/parse < 5% per article (spaCy pipeline: all components, one process)")


if __name__ == "__main__":
    main()
