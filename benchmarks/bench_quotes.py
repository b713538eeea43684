"""Benchmark quote spans and speakers against PolNeAR's gold attributions.

Usage::

    .venv/bin/python benchmarks/bench_quotes.py [PATH.jsonl] [--limit N] [--show-errors N]

Gold: the attributions of each record whose content opens with a quotation mark
(``content_opens_with_quote_mark``); the gold quote is the attribution's ``content_span`` (first to
last content fragment, marks included) and the gold speaker its ``source_span``. The record's
``text`` is what we parse (through ``normalise_for_parse``, which keeps every offset), so gold
code-point offsets are character offsets of the parsed text; the script checks every gold
fragment against that text before scoring.

Predictions: those of kind ``direct`` (the quotation is the whole reported content, as a content
opening with a mark is; partial quotes sit inside contents that open with other words) whose
opening mark is one the gold flag counts (``"``, ``“``, ``”``, ``''``; single marks are not).
PolNeAR annotates one attribution per cue, whose content may be several quoted
pieces ("A," she said. "B."), so the predicted quotations sharing a cue instance (the
``attribution`` column) are merged into one span, first opening mark to last closing mark. A
prediction matches a gold span when they overlap by at least half of the longer span (one-to-one,
largest overlap first). Speaker accuracy: among matched pairs, the predicted speaker span overlaps
the gold source span. Also printed: the same figures per single quotation (no merging), and
precision leaving out predictions that lie inside a gold attribution whose content does not open
with a mark (partial quotes inside reported speech, which this gold subset does not list).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from analysis import config
from analysis.nlp import load_nlp, normalise_for_parse
from analysis.quotes import quotes

DEFAULT_DATA = config.PROJECT_DIR.parent / "shared" / "data" / "polnear" / "polnear_dev.jsonl"


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def _match(preds: list[dict], golds: list[dict]) -> list[tuple[int, int]]:
    """One-to-one pairs (pred index, gold index) overlapping by half the longer, best first."""
    pairs = []
    for i, p in enumerate(preds):
        for j, g in enumerate(golds):
            ov = _overlap(p["span"], g["span"])
            longer = max(p["span"][1] - p["span"][0], g["span"][1] - g["span"][0])
            if ov and ov >= 0.5 * longer:
                pairs.append((ov, i, j))
    pairs.sort(reverse=True)
    used_p, used_g, out = set(), set(), []
    for _, i, j in pairs:
        if i not in used_p and j not in used_g:
            used_p.add(i)
            used_g.add(j)
            out.append((i, j))
    return out


#: The marks PolNeAR's ``content_opens_with_quote_mark`` flag looks for (single marks are not).
GOLD_MARKS = ('"', "“", "”", "''")


def _opens_with_double_mark(text: str, start: int) -> bool:
    """True when the quotation starting at ``start`` opens with a mark the gold flag counts."""
    i = start
    while i > 0 and text[i - 1].isspace():
        i -= 1
    return any(text[max(0, i - len(m)) : i] == m for m in GOLD_MARKS)


def _merge(qs: list, text: str) -> list[dict]:
    """Merge quotations of one attribution (one cue instance) into one span with marks."""
    out: list[dict] = []
    for q in qs:
        # Widen to the marks, as PolNeAR content spans include them.
        start = q.start - 1 if q.start > 0 and not text[q.start - 1].isalnum() else q.start
        end = q.end + 1 if q.end < len(text) and not text[q.end].isalnum() else q.end
        span = (start, end)
        speaker = (q.speaker_start, q.speaker_end) if q.speaker_start is not None else None
        if out and q.attribution is not None and out[-1]["attribution"] == q.attribution:
            out[-1]["span"] = (out[-1]["span"][0], end)
            continue
        out.append({"span": span, "speaker": speaker, "attribution": q.attribution, "q": q})
    return out


def _single(qs: list, text: str) -> list[dict]:
    out = []
    for q in qs:
        start = q.start - 1 if q.start > 0 and not text[q.start - 1].isalnum() else q.start
        end = q.end + 1 if q.end < len(text) and not text[q.end].isalnum() else q.end
        speaker = (q.speaker_start, q.speaker_end) if q.speaker_start is not None else None
        out.append({"span": (start, end), "speaker": speaker, "attribution": q.attribution, "q": q})
    return out


def score(records: list[dict], predictions: list[list], merge: bool, kinds=("direct",)) -> dict:
    """Return counts and figures for predictions against the gold quote-mark attributions."""
    tp = n_pred = n_gold = speaker_ok = ignored = 0
    errors = []
    for rec, qs in zip(records, predictions, strict=True):
        text = rec["text"]
        golds, others = [], []
        for a in rec["attributions"]:
            if not a.get("content_span"):
                continue
            item = {"span": tuple(a["content_span"]), "source": a.get("source_span")}
            (golds if a["content_opens_with_quote_mark"] else others).append(item)
        qs = [q for q in qs if q.kind in kinds and _opens_with_double_mark(text, q.start)]
        preds = _merge(qs, text) if merge else _single(qs, text)
        pairs = _match(preds, golds)
        matched_p = {i for i, _ in pairs}
        for i, p in enumerate(preds):
            if i in matched_p:
                continue
            plen = p["span"][1] - p["span"][0]
            if any(_overlap(p["span"], o["span"]) >= 0.5 * plen for o in others):
                ignored += 1
        n_pred += len(preds)
        n_gold += len(golds)
        tp += len(pairs)
        for i, j in pairs:
            src, sp = golds[j]["source"], preds[i]["speaker"]
            if src and sp and _overlap(tuple(src), sp) > 0:
                speaker_ok += 1
            else:
                errors.append(("speaker", rec["id"], preds[i], golds[j]))
        for j, g in enumerate(golds):
            if j not in {b for _, b in pairs}:
                errors.append(("missed", rec["id"], None, g))
        for i, p in enumerate(preds):
            if i not in matched_p:
                errors.append(("extra", rec["id"], p, None))
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    kept = n_pred - ignored
    p_adj = tp / kept if kept else 0.0
    f_adj = 2 * p_adj * r / (p_adj + r) if p_adj + r else 0.0
    return {
        "predicted": n_pred,
        "gold": n_gold,
        "matched": tp,
        "precision": p,
        "recall": r,
        "f1": f,
        "ignored": ignored,
        "precision_adj": p_adj,
        "f1_adj": f_adj,
        "speaker_acc": speaker_ok / tp if tp else 0.0,
        "errors": errors,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", nargs="?", default=str(DEFAULT_DATA), help="PolNeAR JSONL")
    parser.add_argument("--limit", type=int, default=None, help="first N documents only")
    parser.add_argument("--show-errors", type=int, default=0, help="print N errors of each kind")
    parser.add_argument("--batch-size", type=int, default=16)
    args = parser.parse_args(argv)

    path = Path(args.data)
    records = [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]
    records = records[: args.limit] if args.limit else records
    # Gold offsets are code points into `text`; the parsed text has the same length, so they are
    # its character offsets. Check that before trusting any figure.
    for rec in records:
        norm = normalise_for_parse(rec["text"])
        assert len(norm) == len(rec["text"]), rec["id"]
        for a in rec["attributions"]:
            for role in ("source", "cue", "content"):
                for frag in a[role]:
                    assert rec["text"][frag["start"] : frag["end"]] == frag["text"], rec["id"]

    nlp = load_nlp()
    t0 = time.perf_counter()
    docs = list(
        nlp.pipe((normalise_for_parse(r["text"]) for r in records), batch_size=args.batch_size)
    )
    t_parse = time.perf_counter() - t0
    t0 = time.perf_counter()
    predictions = [
        list(quotes(doc, text=rec["text"])) for doc, rec in zip(docs, records, strict=True)
    ]
    t_extract = time.perf_counter() - t0

    n_gold = sum(a["content_opens_with_quote_mark"] for r in records for a in r["attributions"])
    print(f"data: {path}")
    print(f"documents: {len(records)}  gold quotes (content opens with a mark): {n_gold}")
    print(
        f"time: parse {t_parse:.1f}s, quote extraction {t_extract:.2f}s "
        f"({100 * t_extract / t_parse:.1f}% of parse)"
    )
    for label, merge in (
        ("per attribution (quotes of one cue merged)", True),
        ("per quotation", False),
    ):
        s = score(records, predictions, merge)
        print(f"{label}:")
        print(f"  predicted {s['predicted']}  gold {s['gold']}  matched {s['matched']}")
        print(f"  precision {s['precision']:.3f}  recall {s['recall']:.3f}  F1 {s['f1']:.3f}")
        print(
            f"  precision without {s['ignored']} predictions inside non-quote gold content "
            f"{s['precision_adj']:.3f}  F1 {s['f1_adj']:.3f}"
        )
        print(f"  speaker accuracy on matched {s['speaker_acc']:.3f}")
        if args.show_errors and merge:
            by_id = {r["id"]: r["text"] for r in records}
            for kind in ("missed", "extra", "speaker"):
                shown = [e for e in s["errors"] if e[0] == kind][: args.show_errors]
                for _, rid, p, g in shown:
                    text = by_id[rid]
                    if g is not None:
                        a, b = g["span"]
                        src = g["source"]
                        print(
                            f"  {kind.upper()} gold {text[a:b][:90]!r} src "
                            f"{text[src[0] : src[1]] if src else None!r}"
                        )
                    if p is not None:
                        a, b = p["span"]
                        q = p["q"]
                        sp = (
                            text[q.speaker_start : q.speaker_end]
                            if q.speaker_start is not None
                            else None
                        )
                        ctx = text[max(0, a - 60) : a].replace("\n", "|")
                        print(
                            f"  {kind.upper()} pred ...{ctx!r} {text[a:b][:90]!r} speaker {sp!r} cue {q.cue}"
                        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
