"""OCTIS protocol on BBC News: mean NPMI (gensim c_npmi, top 10) and topic diversity over k and seeds.

Fits ``TopicModel(tokens="whitespace")`` and, as the baseline, scikit-learn's NMF on tf-idf with
default settings, for k = 10..50 and seeds 0..2, on the first column of OCTIS's ``corpus.tsv``.
Coherence is scored by gensim's ``CoherenceModel(coherence="c_npmi", topn=10)`` on that corpus;
gensim is not a project dependency, so it runs in the interpreter given by ``--gensim-python``
(or in this one if it imports gensim). Our own :func:`analysis.topics.npmi` is printed beside it.

    nice -n 10 .venv/bin/python benchmarks/bench_topics_octis.py --gensim-python /tmp/gensim_venv/bin/python
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

CHECKOUT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = CHECKOUT.parent / "shared/data/bbc_news/octis_BBC_News/corpus.tsv"

_GENSIM_SCORER = """
import json, sys
from gensim.corpora import Dictionary
from gensim.models import CoherenceModel
job = json.load(open(sys.argv[1]))
docs = [line.split("\\t")[0].split() for line in open(job["corpus"], encoding="utf-8")]
dictionary = Dictionary(docs)
out = {}
for key, topics in job["runs"].items():
    cm = CoherenceModel(topics=topics, texts=docs, dictionary=dictionary, coherence="c_npmi",
                        topn=10, processes=1)
    out[key] = cm.get_coherence_per_topic()
json.dump(out, open(sys.argv[2], "w"))
"""


def load_octis(path: Path) -> list[str]:
    """Return the first column of OCTIS's corpus.tsv (tab-separated, no header): one text per document.

    The texts go through ``analysis.corpus.load_corpus`` via a temporary JSONL when the loader
    is available, so the benchmark exercises the same input path as the CLI.
    """
    texts = [line.rstrip("\n").split("\t")[0] for line in path.open(encoding="utf-8")]
    try:
        from analysis.corpus import load_corpus
    except ImportError:
        return texts
    with tempfile.TemporaryDirectory() as tmp:
        jsonl = Path(tmp) / "octis.jsonl"
        with jsonl.open("w", encoding="utf-8") as fh:
            for i, text in enumerate(texts):
                fh.write(json.dumps({"id": f"{i:05d}", "text": text}) + "\n")
        articles, _ = load_corpus([jsonl])
    return articles.sort_values("article_id")["text"].tolist()


def baseline_topics(texts: list[str], k: int, seed: int) -> list[list[str]]:
    """scikit-learn defaults: TfidfVectorizer() + NMF(n_components=k, random_state=seed)."""
    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import TfidfVectorizer

    vec = TfidfVectorizer()
    X = vec.fit_transform(texts)
    nmf = NMF(n_components=k, random_state=seed).fit(X)
    vocab = vec.get_feature_names_out()
    return [[str(vocab[i]) for i in np.argsort(-row)[:10]] for row in nmf.components_]


def gensim_npmi(corpus: Path, runs: dict, python: str | None) -> dict[str, list[float]]:
    """Score every run's topics with gensim's c_npmi in ``python`` (or this interpreter)."""
    with tempfile.TemporaryDirectory() as tmp:
        job, result, script = Path(tmp, "job.json"), Path(tmp, "out.json"), Path(tmp, "score.py")
        job.write_text(json.dumps({"corpus": str(corpus), "runs": runs}))
        script.write_text(_GENSIM_SCORER)
        subprocess.run([python or sys.executable, str(script), str(job), str(result)], check=True)
        return json.loads(result.read_text())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--ks", type=int, nargs="+", default=[10, 20, 30, 40, 50])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--gensim-python", default=None, help="interpreter that has gensim")
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args(argv)

    from analysis.topics import TopicModel, diversity, npmi

    texts = load_octis(args.corpus)
    docs = [t.split() for t in texts]
    print(f"corpus: {args.corpus} ({len(texts)} documents)")
    runs: dict[str, list[list[str]]] = {}
    ours_npmi: dict[str, float] = {}
    timing = {"ours": 0.0, "baseline": 0.0}
    for k in args.ks:
        for seed in args.seeds:
            t0 = time.perf_counter()
            model = TopicModel(n_topics=k, tokens="whitespace", random_state=seed).fit(texts)
            timing["ours"] += time.perf_counter() - t0
            runs[f"ours/{k}/{seed}"] = model.top_terms_
            ours_npmi[f"ours/{k}/{seed}"] = model.npmi_
            if not args.no_baseline:
                t0 = time.perf_counter()
                runs[f"baseline/{k}/{seed}"] = baseline_topics(texts, k, seed)
                timing["baseline"] += time.perf_counter() - t0
            print(f"fitted k={k} seed={seed}", file=sys.stderr, flush=True)
    scores = gensim_npmi(args.corpus, runs, args.gensim_python)

    print(f"\n{'system':<9} {'k':>3} {'seed':>4} {'npmi':>7} {'ours*':>7} {'diversity':>9}")
    summary: dict[str, dict[str, list[float]]] = {}
    max_gap = 0.0
    for key, topics in runs.items():
        system, k, seed = key.split("/")
        g = float(np.mean(scores[key]))
        own = float(np.nanmean(npmi(topics, docs)))
        max_gap = max(max_gap, abs(own - g))
        d = diversity(topics)
        print(f"{system:<9} {k:>3} {seed:>4} {g:7.4f} {own:7.4f} {d:9.3f}")
        summary.setdefault(system, {"npmi": [], "diversity": []})
        summary[system]["npmi"].append(g)
        summary[system]["diversity"].append(d)
    print("(npmi: gensim c_npmi, top 10, window 10, on the corpus; ours*: analysis.topics.npmi)")
    print(f"largest |ours* - gensim| over all runs: {max_gap:.2e}")
    model_gap = max(abs(ours_npmi[k] - float(np.mean(scores[k]))) for k in ours_npmi)
    print(f"largest |TopicModel.npmi_ - gensim|: {model_gap:.2e}")
    print(f"\nmean over k={args.ks} x seeds={args.seeds}:")
    for system, vals in summary.items():
        print(
            f"  {system:<9} NPMI {np.mean(vals['npmi']):.3f}  diversity {np.mean(vals['diversity']):.3f}"
            f"  (fit time {timing[system]:.0f} s)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
