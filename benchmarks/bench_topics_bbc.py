"""Topics on the raw BBC articles (our own spaCy preprocessing): NMI of dominant topic vs category, k="auto".

The corpus is the JSONL of all 2,225 articles (``category`` column), or the folder of category
sub-folders (``txt/``); ``--sample N`` picks N articles spread evenly over the categories (a
seeded draw, copied into a temporary folder of category sub-folders and loaded from there, as a
new user's corpus of a few dozen articles would be). The parse is cached to a file (terms with
offsets, keyed by the texts and the term extractor's code), so a second run measures the topic
model alone, as the feature store lets the package do.

    nice -n 10 .venv/bin/python benchmarks/bench_topics_bbc.py
    nice -n 10 .venv/bin/python benchmarks/bench_topics_bbc.py ../shared/data/bbc_news/txt --sample 81
    nice -n 10 .venv/bin/python benchmarks/bench_topics_bbc.py ... --stop-words FILE   # with stop words
"""

from __future__ import annotations

import argparse
import hashlib
import pickle
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

CHECKOUT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = CHECKOUT.parent / "shared/data/bbc_news/bbc_news_raw.jsonl"
#: Files whose content decides the terms of a text: a change to either invalidates the cache.
TERM_CODE = (
    "analysis/terms.py",
    "analysis/wire.py",
    "analysis/lexicon.py",
    "analysis/resources/actor_aliases.txt",
)


def sample_files(folder: Path, n: int, seed: int) -> list[Path]:
    """Return ``n`` ``.txt`` files of ``folder``'s category sub-folders, spread evenly, seeded."""
    rng = np.random.default_rng(seed)
    categories = sorted(p for p in folder.iterdir() if p.is_dir())
    if not categories:
        raise SystemExit(f"{folder}: no category sub-folders to sample from")
    picked = []
    for i, cat in enumerate(categories):
        files = sorted(cat.glob("*.txt"))
        take = n // len(categories) + (1 if i < n % len(categories) else 0)
        picked += [files[j] for j in sorted(rng.choice(len(files), size=take, replace=False))]
    return picked


def load_articles(path: Path, sample: int | None, seed: int) -> pd.DataFrame:
    """Return the articles (article_id, text, category), loaded by ``analysis.corpus.load_corpus``."""
    from analysis.corpus import load_corpus

    if sample is None:
        articles, _ = load_corpus([path])
    else:
        if not path.is_dir():
            raise SystemExit(f"{path}: --sample needs the folder of category sub-folders (txt/)")
        with tempfile.TemporaryDirectory(prefix="bbc-sample-") as tmp:
            for f in sample_files(path, sample, seed):
                (Path(tmp) / f.parent.name).mkdir(exist_ok=True)
                shutil.copyfile(f, Path(tmp) / f.parent.name / f.name)
            articles, _ = load_corpus([tmp])
    if "category" not in articles.columns:
        # A folder of category sub-folders: the category is the first part of the id.
        articles["category"] = articles["article_id"].str.split("/").str[0]
    return articles.sort_values("article_id").reset_index(drop=True)


def cached_terms(articles: pd.DataFrame, cache: Path) -> float:
    """Fill the in-process term cache from ``cache`` or by parsing; return the seconds it took."""
    from analysis.terms import cache_terms, term_docs

    texts = articles["text"].tolist()
    h = hashlib.sha1("\x00".join(texts).encode())
    for name in TERM_CODE:
        h.update((CHECKOUT / name).read_bytes())
    digest = h.hexdigest()
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


def show_topics(model, category: np.ndarray) -> None:
    """Print each topic's majority category, size, NPMI, label and top terms."""
    dominant = model.article_topics().argmax(axis=1)
    table = model.topic_table()
    table["category"] = [
        pd.Series(category[dominant == i]).mode().iloc[0] if (dominant == i).any() else "-"
        for i in range(model.n_topics_)
    ]
    with pd.option_context("display.width", 220, "display.max_colwidth", 70):
        print(
            table[["topic", "category", "size", "npmi", "label", "top_terms"]].to_string(
                index=False
            )
        )


def main(argv: list[str] | None = None) -> int:
    from analysis import config

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--sample", type=int, default=None, help="articles to draw from txt/")
    parser.add_argument("--sample-seed", type=int, default=0)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--method", default="nmf")
    parser.add_argument("--cache", type=Path, default=None, help="parse cache file")
    parser.add_argument("--no-auto", action="store_true", help="skip the k='auto' scan")
    parser.add_argument(
        "--stop-words", type=Path, default=None, help="stop-word file passed to every fit"
    )
    parser.add_argument(
        "--baseline-grid",
        type=int,
        nargs="*",
        default=[3, 5, 8, 10, 15, 20],
        help="k grid of the same-run baseline scan (the grid before every k from 2 to 10; "
        "give no value to skip it)",
    )
    args = parser.parse_args(argv)
    cache = args.cache or config.CACHE_DIR / (
        "bench_topics_bbc_terms.pkl"
        if args.sample is None
        else f"bench_topics_bbc_terms_{args.sample}_{args.sample_seed}.pkl"
    )

    from sklearn.metrics import normalized_mutual_info_score

    from analysis.topics import TopicModel

    t_start = time.perf_counter()
    articles = load_articles(args.corpus, args.sample, args.sample_seed)
    t_parse = cached_terms(articles, cache)
    counts = articles["category"].value_counts().sort_index()
    print(
        f"corpus: {args.corpus} ({len(articles)} articles: "
        f"{', '.join(f'{c} {n}' for c, n in counts.items())}); terms ready in {t_parse:.1f} s"
    )
    category = articles["category"].to_numpy()
    # Only given when asked, so the benchmark runs unchanged on a checkout without stop words.
    stop = {} if args.stop_words is None else {"stop_words": args.stop_words}
    if stop:
        print(f"stop words: {args.stop_words}")

    nmis = []
    for seed in args.seeds:
        t0 = time.perf_counter()
        model = TopicModel(n_topics=args.k, method=args.method, random_state=seed, **stop).fit(
            articles
        )
        nmi = normalized_mutual_info_score(category, model.article_topics().argmax(axis=1))
        nmis.append(nmi)
        print(
            f"k={model.n_topics_} seed={seed}: NMI {nmi:.3f}  npmi {model.npmi_:.3f}  "
            f"diversity {model.diversity_:.3f}  vocabulary {len(model.vocabulary_)}  "
            f"fit {time.perf_counter() - t0:.1f} s"
        )
        if seed == args.seeds[0]:
            show_topics(model, category)
    print(f"mean NMI (dominant topic vs category) over seeds {args.seeds}: {np.mean(nmis):.3f}")

    if not args.no_auto:
        grids = {"default grid": None}
        if args.baseline_grid:
            grids["baseline grid"] = tuple(args.baseline_grid)
        seconds: dict[str, float] = {}
        for name, grid in grids.items():
            nmis = []
            seconds[name] = 0.0
            for seed in args.seeds:
                params = {} if grid is None else {"k_grid": grid}
                t0 = time.perf_counter()
                auto = TopicModel(
                    n_topics="auto", method=args.method, random_state=seed, **params, **stop
                ).fit(articles)
                elapsed = time.perf_counter() - t0
                seconds[name] += elapsed
                nmi = normalized_mutual_info_score(category, auto.article_topics().argmax(axis=1))
                nmis.append(nmi)
                print(
                    f"\nk='auto' ({name}) seed={seed}: tried k={auto.k_scores_['k'].tolist()}, "
                    f"chose k={auto.n_topics_} in {elapsed:.1f} s; NMI at chosen k {nmi:.3f}"
                )
                if seed == args.seeds[0] and grid is None:
                    print(auto.k_scores_.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
                    show_topics(auto, category)
            print(f"{name}: mean NMI at the chosen k over seeds {args.seeds}: {np.mean(nmis):.3f}")
        if len(seconds) == 2:
            ratio = seconds["default grid"] / max(seconds["baseline grid"], 1e-9)
            print(
                f"k='auto' scan time, default / baseline grid: {seconds['default grid']:.1f} s / "
                f"{seconds['baseline grid']:.1f} s = {ratio:.2f}x"
            )
    print(f"total {time.perf_counter() - t_start:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
