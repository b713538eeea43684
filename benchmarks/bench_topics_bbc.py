"""Topics on the raw BBC articles (our own spaCy preprocessing): NMI of dominant topic vs category, k="auto" time.

The parse is cached to a file (terms with offsets, keyed by the input's content hash), so a
second run measures the topic model alone, as the feature store will let the package do.

    nice -n 10 .venv/bin/python benchmarks/bench_topics_bbc.py
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

CHECKOUT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = CHECKOUT.parent / "shared/data/bbc_news/bbc_news_raw.jsonl"


def load_articles(path: Path) -> pd.DataFrame:
    """Return the articles (article_id, text, category) via ``analysis.corpus.load_corpus`` if present."""
    try:
        from analysis.corpus import load_corpus
    except ImportError:
        rows = [json.loads(line) for line in path.open(encoding="utf-8")]
        frame = pd.DataFrame(rows).rename(columns={"id": "article_id"})
        return (
            frame[["article_id", "text", "category"]]
            .sort_values("article_id")
            .reset_index(drop=True)
        )
    articles, _ = load_corpus([path])
    return articles.sort_values("article_id").reset_index(drop=True)


def cached_terms(articles: pd.DataFrame, cache: Path) -> float:
    """Fill the in-process term cache from ``cache`` or by parsing; return the seconds it took."""
    from analysis.terms import cache_terms, term_docs

    texts = articles["text"].tolist()
    digest = hashlib.sha1("\x00".join(texts).encode()).hexdigest()
    t0 = time.perf_counter()
    if cache.exists():
        stored = pickle.loads(cache.read_bytes())
        if stored.get("digest") == digest:
            cache_terms(texts, stored["term_docs"])
            print(f"parse: loaded from {cache}", file=sys.stderr)
            return time.perf_counter() - t0
    print(f"parse: {len(texts)} articles with spaCy (cached to {cache})", file=sys.stderr)
    docs = term_docs(texts, batch_size=64)
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_bytes(pickle.dumps({"digest": digest, "term_docs": docs}))
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    from analysis import config

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--method", default="nmf")
    parser.add_argument(
        "--cache", type=Path, default=config.CACHE_DIR / "bench_topics_bbc_terms.pkl"
    )
    parser.add_argument("--no-auto", action="store_true", help="skip the k='auto' timing")
    args = parser.parse_args(argv)

    from sklearn.metrics import normalized_mutual_info_score

    from analysis.topics import TopicModel

    t_start = time.perf_counter()
    articles = load_articles(args.corpus)
    t_parse = cached_terms(articles, args.cache)
    print(f"corpus: {args.corpus} ({len(articles)} articles); terms ready in {t_parse:.1f} s")
    category = articles["category"].to_numpy()

    nmis = []
    for seed in args.seeds:
        t0 = time.perf_counter()
        model = TopicModel(n_topics=args.k, method=args.method, random_state=seed).fit(articles)
        mix = model.article_topics()
        nmi = normalized_mutual_info_score(category, mix.argmax(axis=1))
        nmis.append(nmi)
        print(
            f"k={model.n_topics_} seed={seed}: NMI {nmi:.3f}  npmi {model.npmi_:.3f}  "
            f"diversity {model.diversity_:.3f}  vocabulary {len(model.vocabulary_)}  "
            f"fit {time.perf_counter() - t0:.1f} s"
        )
        if seed == args.seeds[0]:
            table = model.topic_table()
            table["category"] = [
                pd.Series(category[mix.argmax(axis=1) == i]).mode().iloc[0]
                if (mix.argmax(axis=1) == i).any()
                else "-"
                for i in range(model.n_topics_)
            ]
            with pd.option_context("display.width", 200, "display.max_colwidth", 70):
                print(
                    table[["topic", "category", "size", "npmi", "label", "top_terms"]].to_string(
                        index=False
                    )
                )
    print(f"mean NMI (dominant topic vs category) over seeds {args.seeds}: {np.mean(nmis):.3f}")

    if not args.no_auto:
        t0 = time.perf_counter()
        articles = load_articles(args.corpus)
        t_cache = cached_terms(articles, args.cache)
        auto = TopicModel(n_topics="auto", method=args.method, random_state=0).fit(articles)
        elapsed = time.perf_counter() - t0
        print(
            f"\nk='auto' (grid {list(auto.k_grid)}): chose k={auto.n_topics_} in {elapsed:.1f} s "
            f"(cache load {t_cache:.1f} s)"
        )
        print(auto.k_scores_.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
        nmi = normalized_mutual_info_score(category, auto.article_topics().argmax(axis=1))
        print(f"NMI at chosen k: {nmi:.3f}")
    print(f"total {time.perf_counter() - t_start:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
