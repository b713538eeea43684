"""Benchmark dates and event counts on the ISAF press releases (gold event dates, killed, captured).

Usage::

    .venv/bin/python benchmarks/bench_dates_counts.py [ISAF_JSONL] [--limit N] [--show-errors N]

The headline figures use each record's ``text`` only: the records are rewritten, with only
``id`` and ``text``, to a temporary JSONL that ``analysis.corpus.load_corpus`` reads, exactly as
the feature store would read such a file. The published date is then what the loader reads from
the text alone: the dateline's day ("KABUL, Afghanistan (Nov. 20, 2011)"), its year from the
dateline, else the year most written in the text (the ISAF reference number "2010-05-CA-039"
carries it). Each text is parsed once with ``analysis.nlp.parse`` and ``extract_dates`` and
``extract_counts`` run on the loaded article rows. The gold labels are read for scoring only.

A secondary date line, labelled metadata-assisted, loads the original records instead, so the
loader may also take the published date, or its year, from the record's ``date`` field (itself
derived from the dateline or reference number, never from the gold).

Scoring, per record:

- date: the gold ``event_date`` is among the record's resolved dates of day resolution;
- killed: the sum of ``killed`` counts (kill, die, dead, killing) equals gold ``min_killed``;
- captured: the sum of ``captured``, ``detained`` and ``arrested`` counts equals gold
  ``min_captured``. The annotators counted detentions as captures ("Two other militants were
  detained" -> 3 with the leader "captured"; "detained several suspected insurgents" -> 3), so
  the three kinds are one total here. Vague counts take the value in
  ``analysis.numbers.APPROXIMATE`` ("several" = 3, as the gold has it).

Records the loader rejects (empty text) are reported and not scored.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "isaf_press_releases" / "isaf_dev.jsonl"

KILLED_KINDS = ("killed",)
CAPTURED_KINDS = ("captured", "detained", "arrested")


def read_gold(path: Path) -> dict[str, dict]:
    """Return the records of ``path`` by id (as the loader spells it: a string)."""
    gold = {}
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                rec = json.loads(line)
                gold[str(rec["id"])] = rec
    return gold


def load_text_only(path: Path):
    """Load ``path`` as ``id`` and ``text`` only, through ``load_corpus``; return (articles, rejects)."""
    from analysis.corpus import load_corpus

    with tempfile.TemporaryDirectory(prefix="bench_dates_") as tmp:
        text_only = Path(tmp) / "isaf_text_only.jsonl"
        with path.open(encoding="utf-8") as src, text_only.open("w", encoding="utf-8") as out:
            for line in src:
                if line.strip():
                    rec = json.loads(line)
                    out.write(json.dumps({"id": rec["id"], "text": rec["text"]}) + "\n")
        return load_corpus([text_only], progress=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "data", nargs="?", default=str(DEFAULT_DATA), help="ISAF JSONL (default: %(default)s)"
    )
    parser.add_argument("--limit", type=int, default=None, help="score only the first N records")
    parser.add_argument(
        "--show-errors", type=int, default=0, help="print up to N misses of each kind"
    )
    args = parser.parse_args(argv)

    from analysis.articles import published_day
    from analysis.corpus import load_corpus
    from analysis.dates import extract_dates
    from analysis.nlp import load_nlp, parse
    from analysis.numbers import count_totals, extract_counts

    path = Path(args.data)
    gold = read_gold(path)
    articles, rejects = load_text_only(path)
    if args.limit:
        articles = articles.head(args.limit)
    rows = articles.to_dict("records")
    # The metadata-assisted published dates, for the secondary line only.
    with_meta, _ = load_corpus([path], progress=False)
    meta_published = dict(zip(with_meta["article_id"], with_meta["published"], strict=True))

    nlp = load_nlp()
    t0 = time.perf_counter()
    docs = list(parse((r["text"] for r in rows), nlp=nlp, batch_size=32))
    parse_seconds = time.perf_counter() - t0

    t0 = time.perf_counter()
    results = []
    for row, doc in zip(rows, docs, strict=True):
        results.append((row, extract_dates(doc, row), extract_counts(doc, row)))
    feature_seconds = time.perf_counter() - t0
    meta_dates = [
        extract_dates(doc, {**row, "published": meta_published.get(row["article_id"])})
        for row, doc in zip(rows, docs, strict=True)
    ]

    def date_hit(row, dates) -> bool:
        resolved = {d["resolved"] for d in dates if d["resolution"] == "day" and d["resolved"]}
        return gold[row["article_id"]]["event_date"] in resolved

    n = len(results)
    misses = {"date": [], "killed": [], "captured": []}
    date_hits = killed_hits = captured_hits = 0
    for row, dates, counts in results:
        want = gold[row["article_id"]]
        if date_hit(row, dates):
            date_hits += 1
        else:
            misses["date"].append((row, want["event_date"], None, dates))
        killed = count_totals(counts, KILLED_KINDS)
        captured = count_totals(counts, CAPTURED_KINDS)
        if killed == want["gold"]["min_killed"]:
            killed_hits += 1
        else:
            misses["killed"].append((row, want["gold"]["min_killed"], killed, counts))
        if captured == want["gold"]["min_captured"]:
            captured_hits += 1
        else:
            misses["captured"].append((row, want["gold"]["min_captured"], captured, counts))
    meta_hits = sum(date_hit(row, d) for (row, _, _), d in zip(results, meta_dates, strict=True))
    with_day = [i for i, (row, _, _) in enumerate(results) if published_day(row["published"])]
    day_hits = sum(date_hit(results[i][0], results[i][1]) for i in with_day)
    n_meta_day = sum(bool(published_day(meta_published.get(row["article_id"]))) for row in rows)

    if args.show_errors:
        keep = ("text", "resolved", "resolution", "kind", "number", "negated", "trigger")
        for what, items in misses.items():
            for row, want, got, found in items[: args.show_errors]:
                print(
                    f"--- {what} miss {row['article_id']} gold={want} got={got} "
                    f"published={published_day(row['published'])}"
                )
                print("   ", row["text"].replace("\u2028", " | ")[:700])
                for item in found:
                    if what == "date" or item["kind"] in (
                        KILLED_KINDS if what == "killed" else CAPTURED_KINDS
                    ):
                        print("      ", {k: item[k] for k in item if k in keep})

    # Why the text-only misses miss (read from the gold for this report only): the text gives
    # no day to resolve against, or the gold sits exactly one day from a date the text states
    # (the annotators' dates for "yesterday"/"today"/weekday stories are often a day earlier
    # than the dateline implies), or neither.
    breakdown = {"no day-level date in the text": 0, "gold one day from a resolved date": 0}
    breakdown["other"] = 0
    for _row, want, _got, dates in misses["date"]:
        days = {
            dt.date.fromisoformat(d["resolved"])
            for d in dates
            if d["resolution"] == "day" and d["resolved"]
        }
        gold_day = dt.date.fromisoformat(want)
        if not days:
            breakdown["no day-level date in the text"] += 1
        elif any(abs((day - gold_day).days) == 1 for day in days):
            breakdown["gold one day from a resolved date"] += 1
        else:
            breakdown["other"] += 1

    def share(hits: int, total: int) -> str:
        return f"{hits}/{total} = {hits / total:.1%}" if total else "0/0"

    print(f"data: {args.data}")
    print(
        f"records evaluated: {n} (text only via analysis.corpus.load_corpus; "
        f"{len(rejects)} records rejected by the loader: empty text)"
    )
    print(
        f"published day known: {len(with_day)} from the text alone, "
        f"{n_meta_day} with the records' `date` field"
    )
    print(
        f"gold event_date among resolved dates (text only): {share(date_hits, n)} (target >= 70%)"
    )
    print(f"  ... records whose published day the text gives:  {share(day_hits, len(with_day))}")
    print("  ... the misses: " + "; ".join(f"{what} {count}" for what, count in breakdown.items()))
    print(f"  ... metadata-assisted (records' `date` field):  {share(meta_hits, n)}")
    print(
        f"killed total == gold min_killed:                  {share(killed_hits, n)} (target >= 70%)"
    )
    print(
        f"captured total == gold min_captured:              {share(captured_hits, n)} (target >= 70%)"
    )
    print(
        f"time: parse {parse_seconds:.1f}s, dates+counts {feature_seconds:.2f}s "
        f"({feature_seconds / max(parse_seconds, 1e-9):.1%} of the parse)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
