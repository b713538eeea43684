"""Benchmark: exact-span F1 of cleaned mentions against bare spaCy entities on CoNLL-2003 dev.

Both are scored on the same parse of the same texts in the same run. Label mapping (OntoNotes to
CoNLL): PERSON->PER; ORG->ORG; GPE, LOC, FAC->LOC; NORP, EVENT, PRODUCT, WORK_OF_ART, LAW,
LANGUAGE->MISC; every other label (DATE, CARDINAL, ...) is dropped.

CoNLL PER spans exclude titles ("President Clinton" is PER "Clinton"), so the cleaned mentions
are scored with their name-only spans; the benchmark also scores them with the title put back in
the span and counts the gold PER spans with a title before or inside them, to show which
convention the gold data follows.

    .venv/bin/python benchmarks/bench_entities.py [PATH] [--limit N]

PATH is ``eng.testa.documents.jsonl`` or its folder (default ../shared/data/conll2003).
The clean-up rules were written while reading errors on this dev split (the test split is not
staged here), so the gain it prints is an optimistic estimate for unseen text.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

from analysis import config
from analysis.entities import _lists, mentions
from analysis.nlp import load_nlp, normalise_for_parse

DEFAULT_PATH = config.PROJECT_DIR.parent / "shared" / "data" / "conll2003"
LABEL_MAP = {
    "PERSON": "PER",
    "ORG": "ORG",
    "GPE": "LOC",
    "LOC": "LOC",
    "FAC": "LOC",
    "NORP": "MISC",
    "EVENT": "MISC",
    "PRODUCT": "MISC",
    "WORK_OF_ART": "MISC",
    "LAW": "MISC",
    "LANGUAGE": "MISC",
}
TYPES = ("PER", "ORG", "LOC", "MISC")


def read_documents(path: Path, limit: int | None) -> list[dict]:
    if path.is_dir():
        path = path / "eng.testa.documents.jsonl"
    if not path.is_file():
        sys.exit(f"error: {path}: no such file (pass the CoNLL-2003 dev documents JSONL)")
    docs = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                docs.append(json.loads(line))
            if limit and len(docs) >= limit:
                break
    return docs


def score(gold: set, pred: set) -> dict[str, tuple[float, float, float, int, int, int]]:
    """Precision, recall, F1 and (tp, n_pred, n_gold) overall and per type."""
    out = {}
    for t in (*TYPES, "ALL"):
        g = {x for x in gold if t in ("ALL", x[3])}
        p = {x for x in pred if t in ("ALL", x[3])}
        tp = len(g & p)
        prec = tp / len(p) if p else 0.0
        rec = tp / len(g) if g else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        out[t] = (prec, rec, f1, tp, len(p), len(g))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("path", nargs="?", type=Path, default=DEFAULT_PATH)
    ap.add_argument("--limit", type=int, default=None, help="first N documents only")
    ap.add_argument("--model", default=None, help="spaCy pipeline (default: analysis.nlp)")
    ap.add_argument(
        "--normalise",
        action="store_true",
        help="parse normalise_for_parse(text) as the feature store does (joins the lines)",
    )
    args = ap.parse_args(argv)

    records = read_documents(args.path, args.limit)
    nlp = load_nlp(args.model)
    texts = [r["text"] for r in records]
    # The documents are one sentence a line; by default the newlines are kept (normalise_for_parse
    # would join the lines as hard wraps) so both systems see the sentence breaks.
    if args.normalise:
        texts = [normalise_for_parse(t) for t in texts]
    t0 = time.perf_counter()
    docs = list(nlp.pipe(texts, batch_size=32))
    t_parse = time.perf_counter() - t0

    gold, bare, clean, clean_titled = set(), set(), set(), set()
    t0 = time.perf_counter()
    cleaned = [list(mentions(doc)) for doc in docs]
    t_clean = time.perf_counter() - t0

    lists = _lists()
    titles = lists["titles"]
    per_title_before = per_title_inside = n_gold_per = 0
    changed = Counter()
    for r, doc, ms in zip(records, docs, cleaned, strict=True):
        rid = r["id"]
        text = r["text"]
        for e in r["entities"]:
            gold.add((rid, e["start"], e["end"], e["label"]))
            if e["label"] == "PER":
                n_gold_per += 1
                words = text[: e["start"]].split()
                if words and words[-1].lower().rstrip(".") in titles:
                    per_title_before += 1
                if e["text"].split()[0].lower().rstrip(".") in titles:
                    per_title_inside += 1
        model_spans = set()
        for ent in doc.ents:
            model_spans.add((ent.start_char, ent.end_char))
            if ent.label_ in LABEL_MAP:
                bare.add((rid, ent.start_char, ent.end_char, LABEL_MAP[ent.label_]))
        kept = {(m.start, m.end) for m in ms}
        changed["span changed"] += len(kept - model_spans)
        changed["model entity dropped or split"] += len(model_spans - kept)
        for m in ms:
            if m.label in LABEL_MAP:
                clean.add((rid, m.start, m.end, LABEL_MAP[m.label]))
                start = m.title_start if m.title_start is not None else m.start
                clean_titled.add((rid, start, m.end, LABEL_MAP[m.label]))
                if m.title is not None:
                    changed["title split"] += 1
            if m.label != m.model_label:
                changed[f"{m.model_label}->{m.label}"] += 1

    s_bare, s_clean, s_titled = score(gold, bare), score(gold, clean), score(gold, clean_titled)
    model = f"{nlp.meta['lang']}_{nlp.meta['name']} {nlp.meta['version']}"
    layout = "normalise_for_parse" if args.normalise else "one sentence a line"
    print(f"CoNLL-2003 dev: {len(records)} documents, {len(gold)} gold entities; {model}; {layout}")
    print("exact-span match (document, start, end, type)")
    print(
        f"{'type':<5} {'bare P/R/F1':>22} {'cleaned P/R/F1':>22} {'F1 diff':>8} {'titled F1':>10}"
    )
    for t in (*TYPES, "ALL"):
        b, c, ti = s_bare[t], s_clean[t], s_titled[t]
        print(
            f"{t:<5} {b[0]:6.4f} {b[1]:6.4f} {b[2]:6.4f}   {c[0]:6.4f} {c[1]:6.4f} {c[2]:6.4f} "
            f"{c[2] - b[2]:+8.4f} {ti[2]:10.4f}"
        )
    f_bare, f_clean = s_bare["ALL"][2], s_clean["ALL"][2]
    print(f"bare F1 {f_bare:.4f}  cleaned F1 {f_clean:.4f}  difference {f_clean - f_bare:+.4f}")
    print(
        f"title convention: of {n_gold_per} gold PER spans, {per_title_before} have a title word right "
        f"before them and {per_title_inside} start with one; cleaned spans with the title put back "
        f"score PER F1 {s_titled['PER'][2]:.4f} against {s_clean['PER'][2]:.4f} name-only"
    )
    print("clean-up changes:", ", ".join(f"{k} {v}" for k, v in changed.most_common()) or "none")
    n = max(len(docs), 1)
    print(
        f"cost: parse {t_parse:.2f}s ({1000 * t_parse / n:.1f} ms/doc), clean-up {t_clean:.3f}s "
        f"({1000 * t_clean / n:.2f} ms/doc), {100 * t_clean / t_parse:.1f}% of the parse"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
