"""Hostile single articles in ``extract``: runs of punctuation, and articles over spaCy's limit.

1. Punctuation: an article of 20,000 consecutive quote marks (and other marks). spaCy's tokenizer
   strips such marks one at a time, at a cost that grows with the square of the run; the store
   breaks long runs up before parsing (``analysis.nlp.normalise_for_parse``, same length). It
   prints the tokenizer's time on the raw text and on the normalised text, and the whole
   per-article work (``process_chunk``: parse and every extractor) against a normal article of
   the same length, built from real paragraphs.
2. Over-long articles: spaCy refuses more than ``nlp.max_length`` (1,000,000) characters; the
   store parses such an article in pieces cut at paragraph boundaries and joins them
   (``analysis.nlp.parse_long``). It prints the time and peak memory of one article of
   ``--long-chars`` characters against the same paragraphs as separate articles, and, on
   ``--compare-chars`` characters, how many table rows the pieces give identical to one whole
   parse.

Each measurement runs in a fresh process, so peak memory is its own.

    .venv/bin/python benchmarks/bench_hostile_articles.py                  # ../shared/data/bbc_news/txt
    .venv/bin/python benchmarks/bench_hostile_articles.py --skip-raw --long-chars 300000
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = CHECKOUT.parent / "shared/data/bbc_news/txt"


def real_text(corpus: Path, chars: int) -> str:
    """``chars`` characters of real article bodies, paragraphs separated by blank lines."""
    bodies: list[str] = []
    total = 0
    for path in sorted(corpus.rglob("*.txt")):
        body = path.read_text(encoding="utf-8", errors="replace").split("\n", 1)[-1].strip()
        bodies.append(body)
        total += len(body) + 2
        if total >= chars:
            break
    return "\n\n".join(bodies)[:chars]


def real_articles(corpus: Path, chars: int) -> list[str]:
    """Whole article bodies adding up to about ``chars`` characters."""
    out: list[str] = []
    for path in sorted(corpus.rglob("*.txt")):
        out.append(path.read_text(encoding="utf-8", errors="replace").split("\n", 1)[-1].strip())
        if sum(map(len, out)) >= chars:
            break
    return out


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _articles(texts: list[str]) -> list[dict]:
    return [{"article_id": f"a{i:05d}", "text": t, "published": None} for i, t in enumerate(texts)]


def one(task: str, corpus: Path, chars: int, extra: dict) -> dict:
    """Run one measurement in this process and return its figures."""
    from analysis.nlp import load_nlp, normalise_for_parse
    from analysis.store import process_chunk

    nlp = load_nlp()
    process_chunk(_articles(["Warm up the pipeline. It said so."]), cache_dir=None)
    base = peak_mib()
    if task == "tokenize":
        text = extra["mark"] * chars
        t0 = time.perf_counter()
        nlp.tokenizer(text if extra["raw"] else normalise_for_parse(text))
        return {"seconds": time.perf_counter() - t0}
    if task == "chunk":
        if extra["kind"] == "marks":
            text = "Officials said on Monday. " + extra["mark"] * chars + " The end."
            texts = [text]
        elif extra["kind"] == "normal":
            texts = [real_text(corpus, chars + 35)]
        elif extra["kind"] == "long":
            texts = [real_text(corpus, chars)]
        else:  # the same paragraphs as separate articles
            texts = real_articles(corpus, chars)
        t0 = time.perf_counter()
        res = process_chunk(_articles(texts), cache_dir=None)
        return {
            "seconds": time.perf_counter() - t0,
            "peak_mib": peak_mib(),
            "base_mib": base,
            "chars": sum(map(len, texts)),
            "rows": {t: len(r) for t, r in res.tables.items()},
            "errors": [e["reason"][:200] for e in res.errors],
        }
    if task == "agreement":
        text = real_text(corpus, chars)
        whole_nlp_limit = max(nlp.max_length, len(text) + 1)
        nlp.max_length = whole_nlp_limit  # parse whole: allowed, if memory permits
        whole = process_chunk(_articles([text]), cache_dir=None)
        nlp.max_length = extra["piece"]  # now too long: parsed in pieces
        pieces = process_chunk(_articles([text]), cache_dir=None)
        out = {}
        for table, rows in whole.tables.items():
            got = pieces.tables[table]
            keyed = {json.dumps(r, sort_keys=True, default=str) for r in got}
            same = sum(1 for r in rows if json.dumps(r, sort_keys=True, default=str) in keyed)
            out[table] = [len(rows), len(got), same]
        return {"tables": out}
    raise ValueError(task)


def measure(task: str, corpus: Path, chars: int, **extra) -> dict:
    command = [sys.executable, __file__, "--one", json.dumps([task, str(corpus), chars, extra])]
    done = subprocess.run(command, capture_output=True, text=True, cwd=CHECKOUT)
    if done.returncode:
        raise RuntimeError(done.stderr[-2000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--marks", type=int, default=20000, help="length of the run of marks")
    parser.add_argument("--skip-raw", action="store_true", help="skip the slow raw tokenizer runs")
    parser.add_argument("--long-chars", type=int, default=1_200_000)
    parser.add_argument("--compare-chars", type=int, default=300_000)
    parser.add_argument("--piece", type=int, default=100_000, help="max_length for the comparison")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        task, corpus, chars, extra = json.loads(args.one)
        print(json.dumps(one(task, Path(corpus), chars, extra)))
        return 0
    if not args.corpus.exists():
        parser.error(f"{args.corpus}: no such corpus")

    print(f"1. runs of punctuation ({args.marks:,} marks); normal article of the same length")
    normal = measure("chunk", args.corpus, args.marks, kind="normal")
    print(f"   normal article, whole per-article work: {normal['seconds']:.2f}s")
    for mark in ['"', "!", "“"]:
        line = f"   {mark!r}: tokenizer"
        if not args.skip_raw:
            raw = measure("tokenize", args.corpus, args.marks, mark=mark, raw=True)
            line += f" raw {raw['seconds']:.2f}s,"
        fixed = measure("tokenize", args.corpus, args.marks, mark=mark, raw=False)
        line += f" normalised {fixed['seconds']:.3f}s"
        if not args.skip_raw:
            line += f" ({raw['seconds'] / max(fixed['seconds'], 1e-9):.0f}x faster)"
        work = measure("chunk", args.corpus, args.marks, kind="marks", mark=mark)
        line += f"; whole work {work['seconds']:.2f}s = {work['seconds'] / normal['seconds']:.2f}x"
        line += " the normal article" + (f"; rejects {work['errors']}" if work["errors"] else "")
        print(line, flush=True)

    print(f"\n2. an article of {args.long_chars:,} characters (spaCy's limit: 1,000,000)")
    long = measure("chunk", args.corpus, args.long_chars, kind="long")
    parts = measure("chunk", args.corpus, args.long_chars, kind="separate")
    print(
        f"   one article, parsed in pieces: {long['seconds']:.1f}s, peak {long['peak_mib']:.0f} MiB "
        f"(pipeline loaded: {long['base_mib']:.0f} MiB); rejects: {long['errors'] or 'none'}"
    )
    print(
        f"   the same text as {parts['chars']:,} characters of separate articles: "
        f"{parts['seconds']:.1f}s, peak {parts['peak_mib']:.0f} MiB; "
        f"time ratio long/separate {long['seconds'] / parts['seconds']:.2f}"
    )
    print(f"   rows: {long['rows']}")
    print(
        f"\n   pieces of {args.piece:,} vs one whole parse, on {args.compare_chars:,} characters "
        "(rows identical / whole / pieces):"
    )
    agree = measure("agreement", args.corpus, args.compare_chars, piece=args.piece)
    for table, (whole, pieces, same) in agree["tables"].items():
        print(f"   {table:10} {same:6d} / {whole:6d} / {pieces:6d}  ({same / max(whole, 1):.1%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
