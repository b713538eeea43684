"""Benchmark attributions (quotations and reported speech) against PolNeAR, and their cost.

Usage::

    .venv/bin/python benchmarks/bench_attribution.py [PATH.jsonl] [--limit N] [--show-errors N]
        [--model-dir DIR] [--timing-corpus PATH --timing-n 200]

Gold: every attribution of each record (primary annotator) with a content span; its span is
``content_span`` (first to last content fragment) and its source ``source_span``.
Predictions: the rows :func:`analysis.attribution.extract_attributions` gives (every kind:
direct, partial, indirect, mixed, non_answer), the mentions table computed first as the feature
store does; rows sharing ``attribution`` are merged into one span, first piece to last.

Figures printed:

- overlap match: a prediction matches a gold span when they overlap by at least half of the
  longer (one-to-one, largest overlap first); precision, recall, F1;
- exact match: the same one-to-one pairing on equal spans after trimming whitespace, quotation
  marks and end punctuation (``.,;:!?`` and dashes) from both ends of both spans;
- speaker accuracy on overlap-matched pairs: the predicted speaker span (``speaker_start:
  speaker_end``) overlaps the gold source span, over the pairs whose gold attribution has a
  source; also over all matched pairs, a pair with no gold source counting as right when no
  speaker is predicted;
- the same figures for the rules alone (quotations only), recall by gold form (content opening
  with a quotation mark or not) and precision by predicted kind;
- direct quotations by ``benchmarks/bench_quotes.py``'s protocol, on the rules' ``quotes()``
  and on the direct rows of the merged table;
- with ``--timing-corpus``: CPU and wall seconds of the extract path (parse, then every feature
  extractor of the store) on the first ``--timing-n`` articles, the quotes table made by the
  rules alone (``analysis.quotes.extract_quotes``, today's default before reported speech),
  by ``extract_attributions`` without the tagger (roles and non-answers added) and with it, in
  the same run, interleaved article by article; and the ratios to the rules alone.

Tune on dev only: the test split is held out.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from types import SimpleNamespace

from bench_quotes import score as quote_protocol

from analysis import config
from analysis.attribution import AttributionTagger, extract_attributions
from analysis.entities import extract_mentions
from analysis.nlp import load_nlp, normalise_for_parse
from analysis.quotes import quotes as rule_quotes

DEFAULT_DATA = config.PROJECT_DIR.parent / "shared" / "data" / "polnear" / "polnear_dev.jsonl"
#: Characters trimmed from both ends of a span before exact matching.
TRIM = set(" \t\r\n\xa0\"'“”‘’«»`.,;:!?—–-…")


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def trimmed(text: str, span: tuple[int, int]) -> tuple[int, int]:
    """``span`` without whitespace, quotation marks and end punctuation at either end."""
    start, end = span
    while start < end and text[start] in TRIM:
        start += 1
    while end > start and text[end - 1] in TRIM:
        end -= 1
    return start, end


def match_overlap(preds: list[tuple], golds: list[tuple]) -> list[tuple[int, int]]:
    """One-to-one (pred, gold) pairs overlapping by half the longer, largest overlap first."""
    pairs = []
    for i, p in enumerate(preds):
        for j, g in enumerate(golds):
            ov = _overlap(p, g)
            if ov and ov >= 0.5 * max(p[1] - p[0], g[1] - g[0]):
                pairs.append((ov, i, j))
    pairs.sort(key=lambda x: (-x[0], x[1], x[2]))
    used_p, used_g, out = set(), set(), []
    for _, i, j in pairs:
        if i not in used_p and j not in used_g:
            used_p.add(i)
            used_g.add(j)
            out.append((i, j))
    return out


def match_exact(preds: list[tuple], golds: list[tuple]) -> int:
    """Number of one-to-one pairs of equal spans."""
    remaining: dict[tuple, int] = {}
    for g in golds:
        remaining[g] = remaining.get(g, 0) + 1
    n = 0
    for p in preds:
        if remaining.get(p):
            remaining[p] -= 1
            n += 1
    return n


def merge_rows(rows: list[dict]) -> list[dict]:
    """One prediction per attribution: span from first piece to last, the first speaker found."""
    groups: dict = {}
    for k, r in enumerate(rows):
        key = ("row", k) if r["attribution"] is None else r["attribution"]
        groups.setdefault(key, []).append(r)
    out = []
    for group in groups.values():
        sp = next((r for r in group if r["speaker_start"] is not None), None)
        out.append(
            {
                "span": (min(r["start"] for r in group), max(r["end"] for r in group)),
                "speaker": (sp["speaker_start"], sp["speaker_end"]) if sp else None,
                "kind": "+".join(sorted({r["kind"] for r in group})),
                "rows": group,
            }
        )
    return out


def _prf(tp: int, n_pred: int, n_gold: int) -> tuple[float, float, float]:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def score(records: list[dict], predictions: list[list[dict]]) -> dict:
    """Counts and figures of merged predictions against every gold attribution with content."""
    tp = tp_exact = n_pred = n_gold = 0
    sp_ok = sp_n = sp_all_ok = 0
    by_form = {"quote mark": [0, 0], "no mark": [0, 0]}
    by_kind: dict[str, list[int]] = {}
    errors = []
    for rec, rows in zip(records, predictions, strict=True):
        text = rec["text"]
        golds = [a for a in rec["attributions"] if a.get("content_span")]
        gspans = [tuple(a["content_span"]) for a in golds]
        preds = merge_rows(rows)
        pspans = [p["span"] for p in preds]
        pairs = match_overlap(pspans, gspans)
        tp_exact += match_exact(
            [trimmed(text, s) for s in pspans], [trimmed(text, s) for s in gspans]
        )
        n_pred += len(preds)
        n_gold += len(golds)
        tp += len(pairs)
        matched_g = {j for _, j in pairs}
        matched_p = {i for i, _ in pairs}
        for j, a in enumerate(golds):
            form = "quote mark" if a["content_opens_with_quote_mark"] else "no mark"
            by_form[form][0] += j in matched_g
            by_form[form][1] += 1
            if j not in matched_g:
                errors.append(("missed", rec["id"], None, a))
        for i, p in enumerate(preds):
            stats = by_kind.setdefault(p["kind"], [0, 0])
            stats[0] += i in matched_p
            stats[1] += 1
            if i not in matched_p:
                errors.append(("extra", rec["id"], p, None))
        for i, j in pairs:
            src, sp = golds[j].get("source_span"), preds[i]["speaker"]
            ok = bool(src and sp and _overlap(tuple(src), sp) > 0)
            if src:
                sp_n += 1
                sp_ok += ok
                if not ok:
                    errors.append(("speaker", rec["id"], preds[i], golds[j]))
            sp_all_ok += ok or (not src and sp is None)
    p, r, f = _prf(tp, n_pred, n_gold)
    pe, re_, fe = _prf(tp_exact, n_pred, n_gold)
    return {
        "predicted": n_pred,
        "gold": n_gold,
        "matched": tp,
        "precision": p,
        "recall": r,
        "f1": f,
        "matched_exact": tp_exact,
        "precision_exact": pe,
        "recall_exact": re_,
        "f1_exact": fe,
        "speaker_acc": sp_ok / sp_n if sp_n else 0.0,
        "speaker_pairs": sp_n,
        "speaker_acc_all": sp_all_ok / tp if tp else 0.0,
        "by_form": by_form,
        "by_kind": by_kind,
        "errors": errors,
    }


def print_score(label: str, s: dict) -> None:
    print(f"{label}:")
    print(f"  predicted {s['predicted']}  gold {s['gold']}  matched {s['matched']}")
    print(
        f"  overlap match: precision {s['precision']:.3f}  recall {s['recall']:.3f}  "
        f"F1 {s['f1']:.3f}"
    )
    print(
        f"  exact match ({s['matched_exact']}): precision {s['precision_exact']:.3f}  "
        f"recall {s['recall_exact']:.3f}  F1 {s['f1_exact']:.3f}"
    )
    print(
        f"  speaker accuracy on matched pairs with a gold source ({s['speaker_pairs']}): "
        f"{s['speaker_acc']:.3f}; on all matched pairs {s['speaker_acc_all']:.3f}"
    )
    recall = ", ".join(
        f"{k} {m}/{n} ({m / n if n else 0:.3f})" for k, (m, n) in s["by_form"].items()
    )
    print(f"  recall by gold form: {recall}")
    precision = ", ".join(
        f"{k} {m}/{n} ({m / n if n else 0:.3f})" for k, (m, n) in sorted(s["by_kind"].items())
    )
    print(f"  precision by predicted kind: {precision}")


def show_errors(s: dict, records: list[dict], n: int) -> None:
    texts = {r["id"]: r["text"] for r in records}
    for kind in ("missed", "extra", "speaker"):
        for _, rid, p, g in [e for e in s["errors"] if e[0] == kind][:n]:
            text = texts[rid]
            if g is not None:
                a, b = g["content_span"]
                src = g.get("source_span")
                cue = g.get("cue_span")
                print(
                    f"  {kind.upper()} gold {text[a:b][:100]!r} cue "
                    f"{text[cue[0] : cue[1]] if cue else None!r} src "
                    f"{text[src[0] : src[1]] if src else None!r}"
                )
            if p is not None:
                a, b = p["span"]
                sp = text[p["speaker"][0] : p["speaker"][1]] if p["speaker"] else None
                r0 = p["rows"][0]
                print(
                    f"  {kind.upper()} pred [{p['kind']}] {text[a:b][:100]!r} speaker {sp!r} "
                    f"({r0['speaker']}) cue {r0['cue']}"
                )


def _as_quote(row: dict) -> SimpleNamespace:
    """A quotes-table row with the attributes bench_quotes.score reads from a Quote."""
    return SimpleNamespace(**row)


def timing(corpus: str, n: int, tagger) -> None:
    """CPU and wall time of the extract path with the rules' quotes table and with the tagger."""
    from analysis.corpus import load_corpus
    from analysis.nlp import parse
    from analysis.quotes import extract_quotes
    from analysis.store import Extractor, available_extractors

    articles, _ = load_corpus([corpus], progress=False)
    records = articles.sort_values("article_id").head(n).to_dict("records")
    nlp = load_nlp()
    list(parse(["Warm up, he said."], nlp=nlp))
    with_model = available_extractors()

    def with_tagger(doc, article, mentions=None):
        return extract_attributions(doc, article, mentions=mentions, tagger=tagger)

    def without_tagger(doc, article, mentions=None):
        return extract_attributions(doc, article, mentions=mentions, tagger=False)

    def swap(func):
        return [
            Extractor(ex.table, func, ex.context) if ex.table == "quotes" else ex
            for ex in with_model
        ]

    variants = {
        "rules only": swap(extract_quotes),
        "roles and non-answers, no tagger": swap(without_tagger),
        "with tagger": swap(with_tagger),
    }
    cpu = dict.fromkeys(variants, 0.0)
    wall = dict.fromkeys(variants, 0.0)
    parse_cpu = parse_wall = 0.0
    rows = dict.fromkeys(variants, 0)
    for k, article in enumerate(records):
        c0, w0 = time.process_time(), time.perf_counter()
        doc = next(parse([article["text"]], nlp=nlp))
        parse_cpu += time.process_time() - c0
        parse_wall += time.perf_counter() - w0
        # Rotate the order so drift in the machine's load falls on every variant alike.
        names = list(variants)
        names = names[k % len(names) :] + names[: k % len(names)]
        for name in names:
            tables: dict[str, list] = {}
            c0, w0 = time.process_time(), time.perf_counter()
            for ex in variants[name]:
                kwargs = {t: tables.get(t, []) for t in ex.context}
                tables[ex.table] = list(ex.func(doc, article, **kwargs))
            cpu[name] += time.process_time() - c0
            wall[name] += time.perf_counter() - w0
            rows[name] += len(tables["quotes"])
    print(f"timing: {len(records)} articles of {corpus}")
    print(f"  parse: cpu {parse_cpu:.1f}s, wall {parse_wall:.1f}s")
    for name in variants:
        print(
            f"  {name}: extractors cpu {cpu[name]:.1f}s wall {wall[name]:.1f}s, "
            f"quotes rows {rows[name]}; extract path (parse + extractors) cpu "
            f"{parse_cpu + cpu[name]:.1f}s wall {parse_wall + wall[name]:.1f}s"
        )
    base_cpu, base_wall = parse_cpu + cpu["rules only"], parse_wall + wall["rules only"]
    for name in list(variants)[1:]:
        print(
            f"  ratio {name} / rules only: cpu {(parse_cpu + cpu[name]) / base_cpu:.3f}"
            f", wall {(parse_wall + wall[name]) / base_wall:.3f}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", nargs="?", default=str(DEFAULT_DATA), help="PolNeAR JSONL")
    parser.add_argument("--limit", type=int, default=None, help="first N documents only")
    parser.add_argument("--show-errors", type=int, default=0, help="print N errors of each kind")
    parser.add_argument("--model-dir", default=None, help="attribution model folder")
    parser.add_argument("--timing-corpus", default=None, help="corpus for the cost figures")
    parser.add_argument("--timing-n", type=int, default=200, help="articles timed")
    parser.add_argument("--no-quality", action="store_true", help="timing only")
    args = parser.parse_args(argv)

    tagger = AttributionTagger(args.model_dir) if args.model_dir else AttributionTagger()
    if not args.no_quality:
        path = Path(args.data)
        records = [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]
        records = records[: args.limit] if args.limit else records
        for rec in records:
            assert len(normalise_for_parse(rec["text"])) == len(rec["text"]), rec["id"]
        nlp = load_nlp()
        t0 = time.perf_counter()
        docs = list(nlp.pipe((normalise_for_parse(r["text"]) for r in records), batch_size=16))
        t_parse = time.perf_counter() - t0
        merged, rules_only, t_extract = [], [], 0.0
        for doc, rec in zip(docs, records, strict=True):
            article = {"article_id": rec["id"], "text": rec["text"]}
            mentions = list(extract_mentions(doc, article))
            t0 = time.perf_counter()
            merged.append(extract_attributions(doc, article, mentions=mentions, tagger=tagger))
            t_extract += time.perf_counter() - t0
            rules_only.append(
                [
                    {"article_id": rec["id"], **q._asdict()}
                    for q in rule_quotes(doc, text=rec["text"], mentions=mentions)
                ]
            )
        n_gold = sum(1 for r in records for a in r["attributions"] if a.get("content_span"))
        print(f"data: {path}")
        print(f"model: {tagger.model.model_dir}")
        print(f"documents: {len(records)}  gold attributions with content: {n_gold}")
        print(f"time: parse {t_parse:.1f}s, extract_attributions {t_extract:.1f}s (wall)")
        s = score(records, merged)
        print_score("all attributions, rules + tagger", s)
        if args.show_errors:
            show_errors(s, records, args.show_errors)
        print_score("all attributions, rules alone (quotations)", score(records, rules_only))
        print("direct quotations by bench_quotes.py's protocol:")
        for label, preds in (("rules alone (quotes())", rules_only), ("merged table", merged)):
            qs = [[_as_quote(r) for r in rows] for rows in preds]
            q = quote_protocol(records, qs, merge=True)
            print(
                f"  {label}: predicted {q['predicted']} gold {q['gold']} matched "
                f"{q['matched']}; P {q['precision']:.3f} R {q['recall']:.3f} F1 {q['f1']:.3f}; "
                f"speaker accuracy {q['speaker_acc']:.3f}"
            )
    if args.timing_corpus:
        timing(args.timing_corpus, args.timing_n, tagger)
    return 0


if __name__ == "__main__":
    sys.exit(main())
