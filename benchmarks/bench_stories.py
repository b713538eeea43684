"""Benchmark stories (syndicated copies): accuracy on the syndication dev set, speed and memory.

Prints:
- syndication_dev: pairwise precision, recall and F1 of same-story pairs for
  ``analysis.stories`` and, measured in the same run, for the reference method (datasketch
  MinHash LSH on lower-cased word 5-shingles, 128 permutations, connected components) at
  thresholds 0.5 and 0.3. Targets: F1 >= 0.98 with precision >= 0.99, above the reference.
  Also: how many gold pairs the LSH proposes as candidates, how often the origin found is the
  gold group's source record, and how F1 moves with each threshold (sensitivity).
- Reuters-21578 on its own (no copies added): pairs put in one story whose plain word
  5-shingle containment is below 0.85 (look-alikes by the dev gold's rule for repeats) and
  repeats (>= 0.85) found.
- Speed: the ``stories`` command on all of Reuters-21578, articles per CPU second (target
  >= 500 on one core), beside the loader alone streaming the same file in the same run.
- Memory: peak RSS of the ``stories`` command on Reuters-21578 and on 4x the corpus (each story
  plus three copies with edits); target: 4x at most twice 1x.

Usage::

    .venv/bin/python benchmarks/bench_stories.py [--data ../shared/data] [--skip-scale]
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import re
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _measure import communicate_with_peak_rss  # noqa: E402

from analysis.corpus import iter_corpus  # noqa: E402
from analysis.stories import StoryIndex  # noqa: E402

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
_WORD = re.compile(r"\w+")


# --- accuracy --------------------------------------------------------------------------------------


def same_story_pairs(groups) -> set[tuple[str, str]]:
    pairs = set()
    for group in groups:
        pairs.update(itertools.combinations(sorted(group), 2))
    return pairs


def prf(found: set, gold: set) -> tuple[float, float, float]:
    tp = len(found & gold)
    p = tp / len(found) if found else 1.0
    r = tp / len(gold) if gold else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def plain_shingles(text: str) -> set[str]:
    words = _WORD.findall(text.lower())
    return {" ".join(words[i : i + 5]) for i in range(max(1, len(words) - 4))}


def reference_groups(rows: list[dict], threshold: float) -> list[list[str]]:
    """datasketch MinHash LSH on lower-cased word 5-shingles, connected components."""
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=128)
    sketches = {}
    for row in rows:
        m = MinHash(num_perm=128)
        m.update_batch([s.encode() for s in plain_shingles(row["text"])])
        sketches[row["article_id"]] = m
        lsh.insert(row["article_id"], m)
    parent = {i: i for i in sketches}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, m in sketches.items():
        for j in lsh.query(m):
            parent[find(i)] = find(j)
    groups = defaultdict(list)
    for i in sketches:
        groups[find(i)].append(i)
    return list(groups.values())


def story_groups(table) -> list[list[str]]:
    return table.groupby("story_id")["article_id"].apply(list).tolist()


def dev_figures(folder: Path) -> None:
    rows = list(iter_corpus([folder / "corpus.jsonl"], progress=False))
    gold_groups = json.loads((folder / "gold.json").read_text())["stories"]
    gold = same_story_pairs(gold_groups)
    print(
        f"syndication_dev: {len(rows)} articles, {len(gold_groups)} gold groups, {len(gold)} pairs"
    )

    start = time.process_time()
    index = StoryIndex().add_rows(rows)
    table = index.table()
    seconds = time.process_time() - start
    p, r, f = prf(same_story_pairs(story_groups(table)), gold)
    print(
        f"  analysis.stories (threshold {index.threshold}): P {p:.3f} R {r:.3f} F1 {f:.3f}  ({seconds:.1f} s CPU)"
    )
    for threshold in (0.5, 0.3):
        start = time.process_time()
        groups = reference_groups(rows, threshold)
        seconds = time.process_time() - start
        p, r, f = prf(same_story_pairs(groups), gold)
        print(
            f"  reference MinHash LSH 5-shingles, threshold {threshold}, components: "
            f"P {p:.3f} R {r:.3f} F1 {f:.3f}  ({seconds:.1f} s CPU)"
        )

    candidates = {tuple(sorted((index.ids[i], index.ids[j]))) for i, j in index.candidate_pairs()}
    outlets = {row["article_id"]: row["outlet"] for row in rows}
    sources = {
        g[0]
        for g in ([a for a in grp if outlets[a] in ("Reuters", "BBC")] for grp in gold_groups)
        if len(g) == 1
    }
    print(
        f"  LSH candidates: {len(candidates)} pairs, holding {len(candidates & gold)} of the "
        f"{len(gold)} gold pairs ({len(candidates & gold) / len(gold):.3f})"
    )
    origin = dict(zip(table["article_id"], table["origin_id"], strict=True))
    members = defaultdict(set)
    for grp in gold_groups:
        for a in grp:
            members[a] = set(grp)
    right = sum(all(origin[a] == s for a in members[s]) for s in sources)
    print(
        f"  origin = the gold group's source record (groups with one Reuters/BBC source): "
        f"{right}/{len(sources)} ({right / len(sources):.3f})"
    )

    print("  sensitivity (P R F1):")
    defaults = {
        name: getattr(index, name)
        for name in ("threshold", "number_conflicts", "min_shared", "identical")
    }
    sweeps = {
        "threshold": [0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8],
        "number_conflicts": [None, 1, 2, 3],
        "min_shared": [0, 5, 10, 20, 30],
        "identical": [0.8, 0.9, 1.0],
    }
    for name, values in sweeps.items():
        cells = []
        for value in values:
            setattr(index, name, value)
            p, r, f = prf(same_story_pairs(story_groups(index.table())), gold)
            cells.append(f"{value}: {p:.3f} {r:.3f} {f:.3f}")
        setattr(index, name, defaults[name])
        print(f"    {name} (default {defaults[name]}): " + " | ".join(cells))
    cells = []
    for jaccard in (0.1, 0.2, 0.3, 0.4):
        other = StoryIndex(candidate_jaccard=jaccard).add_rows(rows)
        p, r, f = prf(same_story_pairs(story_groups(other.table())), gold)
        cells.append(f"{jaccard} (b={other.b}, r={other.r}): {p:.3f} {r:.3f} {f:.3f}")
    print("    candidate_jaccard (default 0.2): " + " | ".join(cells))


def lookalike_figures(path: Path) -> None:
    rows = list(iter_corpus([path], progress=False))
    shingles = {row["article_id"]: plain_shingles(row["text"]) for row in rows}

    def contained(a, b):
        return len(shingles[a] & shingles[b]) / min(len(shingles[a]), len(shingles[b]))

    # Every pair at or above 0.85, by an inverted index (shingles in more than 50 articles skipped).
    holders = defaultdict(list)
    for a, s in shingles.items():
        for x in s:
            holders[x].append(a)
    counts = defaultdict(int)
    for ids in holders.values():
        if 1 < len(ids) <= 50:
            for pair in itertools.combinations(sorted(ids), 2):
                counts[pair] += 1
    repeats = {
        p for p, n in counts.items() if n / min(len(shingles[p[0]]), len(shingles[p[1]])) >= 0.85
    }
    found = same_story_pairs(story_groups(StoryIndex().add_rows(rows).table()))
    look = sum(1 for p in found if contained(*p) < 0.85)
    print(
        f"Reuters-21578 alone ({len(rows)} articles): {len(found)} same-story pairs found; "
        f"repeats (plain containment >= 0.85) found {len(found & repeats)}/{len(repeats)}; "
        f"look-alike pairs (< 0.85) merged {look}"
    )


# --- speed and memory ------------------------------------------------------------------------------


def _edit(rng: random.Random, text: str) -> str:
    paragraphs = [p for p in re.split(r"\n\s*\n|\n(?=\s{2,})", text) if p.strip()]
    edits = rng.sample(["cut", "wrap", "boilerplate", "style", "lede", "byline"], 2)
    if "cut" in edits and len(paragraphs) > 2:
        paragraphs = paragraphs[: max(len(paragraphs) // 2 + 1, len(paragraphs) - 2)]
    if "lede" in edits:
        words = paragraphs[0].split()
        paragraphs[0] = "As expected by many, " + " ".join(words[len(words) // 3 :])
    if "style" in edits:
        paragraphs = [
            p.replace(" mln ", " million ")
            .replace(" pct", " per cent")
            .replace(" dlrs", " dollars")
            for p in paragraphs
        ]
    if "boilerplate" in edits:
        paragraphs.append("(c) Wire services. All rights reserved. Click here for more coverage.")
    if "byline" in edits:
        paragraphs.insert(0, "By Staff Writer")
    if "wrap" in edits:
        return "\n\n".join(textwrap.fill(" ".join(p.split()), 66) for p in paragraphs)
    return "\n\n".join(" ".join(p.split()) for p in paragraphs)


def write_scaled(source: Path, target: Path, copies: int, seed: int = 0) -> int:
    """Write ``source`` plus ``copies`` edited copies of each record to ``target``."""
    rng = random.Random(seed)
    n = 0
    with source.open(encoding="utf-8") as fin, target.open("w", encoding="utf-8") as fout:
        for line in fin:
            record = json.loads(line)
            fout.write(json.dumps(record) + "\n")
            n += 1
            for k in range(copies):
                copy = dict(record, id=f"{record['id']}~copy{k + 1}")
                if (record.get("text") or "").strip():
                    copy["text"] = _edit(rng, record["text"])
                fout.write(json.dumps(copy) + "\n")
                n += 1
    return n


def run_measured(args: list[str]) -> tuple[float, float, float, str]:
    """Run ``python args`` and return (peak RSS MiB, CPU seconds, wall seconds, stderr)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    _, err, peak = communicate_with_peak_rss(proc)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(args)}\n{err[-2000:]}")
    return peak, cpu, wall, err


_LOADER = (
    "import sys\nfrom analysis.corpus import iter_corpus\n"
    "n = sum(1 for _ in iter_corpus(sys.argv[1:], progress=False))\nprint(n, file=sys.stderr)"
)


def scale_figures(reuters: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-stories-") as tmp:
        tmp = Path(tmp)
        peak1, cpu1, wall1, err = run_measured(
            ["-m", "analysis", "stories", str(reuters), "-o", str(tmp / "one.parquet")]
        )
        n1 = int(re.search(r"stories: (\d+) articles", err).group(1))
        _, cpu_load, wall_load, err_load = run_measured(["-c", _LOADER, str(reuters)])
        print(
            f"speed: stories on Reuters-21578 ({n1} articles): {n1 / cpu1:.0f} articles per CPU "
            f"second ({cpu1:.1f} s CPU, {wall1:.1f} s wall); the loader alone in the same run: "
            f"{n1 / cpu_load:.0f} articles per CPU second ({cpu_load:.1f} s CPU, "
            f"{wall_load:.1f} s wall); stories / loader CPU = {cpu1 / cpu_load:.2f}"
        )
        scaled = tmp / "reuters_x4.jsonl"
        write_scaled(reuters, scaled, copies=3)
        peak4, cpu4, wall4, err4 = run_measured(
            ["-m", "analysis", "stories", str(scaled), "-o", str(tmp / "four.parquet")]
        )
        n4 = int(re.search(r"stories: (\d+) articles", err4).group(1))
        summary = err4.strip().splitlines()[-1]
        print(
            f"memory: peak RSS {peak1:.0f} MiB at 1x ({n1} articles), {peak4:.0f} MiB at 4x "
            f"({n4} articles): ratio {peak4 / peak1:.2f} (target <= 2); 4x speed "
            f"{n4 / cpu4:.0f} articles per CPU second ({wall4:.1f} s wall)"
        )
        print(f"  4x run: {summary}")


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared data folder")
    ap.add_argument("--skip-scale", action="store_true", help="accuracy figures only")
    args = ap.parse_args()
    dev_figures(args.data / "syndication_dev")
    reuters = args.data / "reuters21578" / "reuters21578.jsonl"
    lookalike_figures(reuters)
    if not args.skip_scale:
        scale_figures(reuters)


if __name__ == "__main__":
    main()
