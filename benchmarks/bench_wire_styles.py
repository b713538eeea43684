"""Benchmark wire house styles on Reuters-21578: agency credit, the sign-off as an actor, money.

Reads the first N stories of Reuters-21578 that have a body (the headline-only BRIEF records
have an empty ``text`` and the loader rejects them), as JSONL with their own fields, runs
``python -m analysis extract`` on them and prints:

- ``agency_reuters``: share of the loaded articles whose ``agency`` is Reuters (target >= 0.95);
- ``agency_actor_mentions``: mentions whose actor is named after the agency ("Reuter",
  "REUTERS"), and the articles holding one (target 0); ``signoff_actor_mentions``: those on
  the story's last line (the sign-off), apart from "told Reuters" in running text;
  ``agency_mentions_without_actor``: mentions of the agency kept with no actor (for reference);
- ``dlrs_money``: of the amounts written in dollars in wire style (a number, an optional scale
  "mln"/"bln"/"million"/"billion", an optional word such as "Canadian", then "dlr"/"dlrs";
  found here by a regex on the text, independent of the code measured), the share whose number
  lies in a ``numbers`` row of kind ``money`` (target >= 0.95).

With ``--baseline-src DIR`` (a checkout of other code, e.g. ``git archive main | tar -x -C DIR``)
the same figures are measured in the same run for that code, printed as "before".

Usage::

    .venv/bin/python benchmarks/bench_wire_styles.py ../shared/data/reuters21578 \\
        [--n 200] [--baseline-src /tmp/main-src] [--workers 1]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
# A wire amount in dollars: "5.93 mln dlrs", "25 dlrs", "1.2 billion Canadian dlrs".
_DLRS_RE = re.compile(
    r"(?<![\w.,])(?P<num>\d[\d,]*(?:\.\d+)?)\s+(?:(?:mln|bln|million|billion)\s+)?"
    r"(?:[A-Z][\w.]*\s+)?dlrs?\b"
)
_AGENCY_FORMS = {"reuter", "reuters"}


def read_stories(data: Path, n: int) -> list[dict]:
    """The first ``n`` records of ``data`` (a JSONL file or a folder holding one) with a body."""
    path = data / "reuters21578.jsonl" if data.is_dir() else data
    out = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            if (rec.get("text") or "").strip():
                out.append(rec)
                if len(out) == n:
                    break
    return out


def run_extract(src: Path, corpus: Path, out: Path, workers: int) -> float:
    """Run the extract command of the code in ``src`` (cwd first on sys.path); return seconds."""
    env = dict(os.environ, NEWS_ANALYSIS_CACHE=str(out.parent / f"cache-{out.name}"))
    env.pop("PYTHONPATH", None)
    cmd = [sys.executable, "-m", "analysis", "extract", str(corpus), "-o", str(out)]
    cmd += ["--no-cache", "--workers", str(workers), "--tables", "mentions,numbers"]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=src, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"extract failed in {src}:\n{proc.stderr[-2000:]}")
    return time.perf_counter() - t0


def figures(out: Path) -> dict:
    """The three figures of one extract output folder."""
    articles = pd.read_parquet(out / "articles.parquet")
    mentions = pd.read_parquet(out / "mentions.parquet")
    numbers = pd.read_parquet(out / "numbers.parquet")
    n = len(articles)
    reuters = int((articles["agency"] == "Reuters").sum())
    # A mention of the agency in running text ("told Reuters") stays in the mentions table
    # with no actor; what must not happen is an actor named after the agency.
    agency_text = mentions["text"].str.lower().str.rstrip(".").isin(_AGENCY_FORMS)
    named_actor = mentions["actor"].fillna("").str.lower().str.rstrip(".").isin(_AGENCY_FORMS)
    has_actor = mentions["actor"].notna()
    named = mentions[named_actor | (agency_text & has_actor)]
    without_actor = int((agency_text & ~has_actor).sum())
    # On the story's last line: the sign-off ("Reuter"), not "told Reuters" in running text.
    texts = dict(zip(articles["article_id"].astype(str), articles["text"], strict=True))
    last_line = [
        "\n" not in texts[str(a)][int(e) :].strip()
        for a, e in zip(named["article_id"], named["end"], strict=True)
    ]
    money = numbers[numbers["kind"] == "money"]
    spans: dict[str, list[tuple[int, int]]] = {}
    for aid, s, e in zip(money["article_id"], money["start"], money["end"], strict=True):
        spans.setdefault(str(aid), []).append((int(s), int(e)))
    total = hit = 0
    for aid, text in zip(articles["article_id"], articles["text"], strict=True):
        for m in _DLRS_RE.finditer(text):
            total += 1
            p = m.start("num")
            hit += any(s <= p < e for s, e in spans.get(str(aid), ()))
    return {
        "articles": n,
        "agency_reuters": reuters / n if n else float("nan"),
        "agency_actor_mentions": len(named),
        "agency_actor_articles": named["article_id"].nunique(),
        "agency_mentions_without_actor": without_actor,
        "signoff_actor_mentions": sum(last_line),
        "dlrs_amounts": total,
        "dlrs_money": hit / total if total else float("nan"),
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("data", type=Path, help="reuters21578 folder or its JSONL file")
    ap.add_argument("--n", type=int, default=200, help="stories (default 200)")
    ap.add_argument("--baseline-src", type=Path, help="a checkout of the code to compare")
    ap.add_argument("--workers", type=int, default=1)
    args = ap.parse_args(argv)
    stories = read_stories(args.data, args.n)
    with tempfile.TemporaryDirectory(prefix="bench-wire-") as tmp:
        corpus = Path(tmp) / "reuters.jsonl"
        corpus.write_text("".join(json.dumps(r) + "\n" for r in stories), encoding="utf-8")
        runs = [("after", ROOT)]
        if args.baseline_src:
            runs.insert(0, ("before", args.baseline_src.resolve()))
        results = {}
        for name, src in runs:
            secs = run_extract(src, corpus, Path(tmp) / name, args.workers)
            results[name] = figures(Path(tmp) / name)
            print(f"[{name}] extract of {len(stories)} stories: {secs:.0f}s", file=sys.stderr)
    print(f"Reuters-21578, first {len(stories)} stories with a body (JSONL, own fields)")
    print(f"{'figure':<24}" + "".join(f"{n:>12}" for n in results) + "   target")
    targets = {
        "articles": "",
        "agency_reuters": ">= 0.95",
        "agency_actor_mentions": "0",
        "agency_actor_articles": "0",
        "agency_mentions_without_actor": "",
        "signoff_actor_mentions": "0",
        "dlrs_amounts": "",
        "dlrs_money": ">= 0.95",
    }
    for key, target in targets.items():
        cells = "".join(
            f"{v:>12.3f}" if isinstance(v, float) else f"{v:>12}"
            for v in (results[n][key] for n in results)
        )
        print(f"{key:<24}{cells}   {target}")


if __name__ == "__main__":
    main()
