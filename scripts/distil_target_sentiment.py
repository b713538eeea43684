"""Distil the 6-layer target-sentiment model into a smaller student and export a batch-safe graph.

The teacher is the shipped int8 model (``analysis/models/target_sentiment``). Its weights are
read back out of the ONNX file (``scripts/onnx_weights.py``: int8 weights dequantised) into the
torch module of ``scripts/train_target_sentiment.py``; the student keeps some of its transformer
blocks (``--layers``, default the first three) and its head, and is trained on

* NewsMTSC train with the gold labels (cross-entropy) and the teacher's probabilities
  (knowledge distillation, temperature ``--temperature``), and
* targets the gold set does not have: named entities (people, organisations, groups, places)
  in POLNEAR train sentences (US and UK political news), with the teacher's probabilities only.

The teacher's probabilities come from the shipped graph run by onnxruntime one target per call,
i.e. exactly as the package scores today. NewsMTSC dev_rw and dev_mt only choose the checkpoint
(best mean macro F1, evaluated ``--evals-per-epoch`` times per epoch); their test parts are not
used. The student is exported as a float32 ONNX graph: with no dynamic quantisation and the
runtime batching only inputs of equal token length (``analysis.encoder.BucketedOnnxModel``), a target's
probabilities do not depend on the other targets of a call.

Steps (from the checkout, ``train`` extra installed)::

    nice -n 10 .venv/bin/python scripts/distil_target_sentiment.py teacher   # ~10 min
    nice -n 10 .venv/bin/python scripts/distil_target_sentiment.py train --layers 3
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import train_target_sentiment as tts  # noqa: E402
from onnx_weights import load_into  # noqa: E402

PROJECT_DIR = Path(__file__).resolve().parents[1]
DATA_DIR = PROJECT_DIR.parent / "shared" / "data"
TEACHER_DIR = PROJECT_DIR / "analysis" / "models" / "target_sentiment"
DEFAULT_OUT = PROJECT_DIR / "analysis" / "models" / "target_sentiment_fixed"
WORK_DIR = PROJECT_DIR / ".cache" / "distil_target_sentiment"
#: spaCy entity labels taken as extra targets (NewsMTSC targets are people and organisations
#: in the main, plus groups and countries).
TARGET_LABELS = ("PERSON", "ORG", "NORP", "GPE")

log = tts.log


def load_teacher(model_dir: Path, tok):
    """The shipped int8 teacher as a float torch module (weights dequantised)."""
    model = tts.build_model(model_dir, tok.token_to_id(tts.MARKER_OPEN))
    return load_into(model, TEACHER_DIR / "model.onnx")


def make_student(teacher, layers: list[int]):
    """A copy of ``teacher`` keeping only the transformer blocks in ``layers``.

    Its forward pools with a batched matrix product (mask row times token vectors) instead of a
    sum over the sequence axis: onnxruntime's ReduceSum takes another summation path for a
    batch of one than for a larger batch (its output differed in the 6th digit between a target
    alone and in a batch of seven), while each slice of a batched MatMul is the same small
    product whatever the batch. The value is the same mean as the teacher's.
    """
    import copy

    import torch

    class Student(torch.nn.Module):
        def __init__(self, base) -> None:
            super().__init__()
            self.encoder = base.encoder
            self.dropout = base.dropout
            self.head = base.head
            self.open_id = base.open_id

        def forward(self, input_ids, attention_mask, token_type_ids):
            states = self.encoder(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.to(states.dtype).unsqueeze(1)
            mean = torch.matmul(mask, states)[:, 0] / mask.sum(-1).clamp(min=1.0)
            pos = (input_ids == self.open_id).to(torch.int64).argmax(dim=1)
            marker = states[torch.arange(states.shape[0]), pos]
            return self.head(self.dropout(torch.cat([mean, marker], dim=-1)))

    base = copy.deepcopy(teacher)
    blocks = base.encoder.encoder.layer
    base.encoder.encoder.layer = torch.nn.ModuleList([blocks[i] for i in layers])
    base.encoder.config.num_hidden_layers = len(layers)
    return Student(base)


def entity_targets(data: Path, limit: int, seed: int) -> list[dict]:
    """Entity mentions in POLNEAR train sentences as unlabeled targets (spaCy NER)."""
    if limit <= 0:
        return []
    from analysis.nlp import load_nlp

    nlp = load_nlp()
    texts = [
        json.loads(line)["text"]
        for line in (data / "polnear" / "polnear_train.jsonl").open(encoding="utf-8")
        if line.strip()
    ]
    rows = []
    for doc in nlp.pipe(texts, batch_size=16):
        for sent in doc.sents:
            s = sent.text.strip()
            if not 40 <= len(s) <= 400:
                continue
            lead = len(sent.text) - len(sent.text.lstrip())
            base = sent.start_char + lead
            for ent in sent.ents:
                if ent.label_ in TARGET_LABELS:
                    rows.append(
                        {"sentence": s, "from": ent.start_char - base, "to": ent.end_char - base}
                    )
    rng = random.Random(seed)
    rng.shuffle(rows)
    return rows[:limit]


def cmd_teacher(args: argparse.Namespace) -> int:
    """Teacher probabilities (shipped ONNX graph, one target per call) for train and extra targets."""
    from analysis.target import load_target_model, target_sentiments

    args.work.mkdir(parents=True, exist_ok=True)
    model = load_target_model(1, "dynamic")  # the shipped teacher, one target per call
    sets = {
        "newsmtsc_train": [],
        "polnear_entities": entity_targets(args.data, args.extra, args.seed),
    }
    for line in (args.data / "newsmtsc" / "train.jsonl").open(encoding="utf-8"):
        if line.strip():
            rec = json.loads(line)
            for t in rec["targets"]:
                sets["newsmtsc_train"].append(
                    {
                        "sentence": rec["sentence_normalized"],
                        "from": int(t["from"]),
                        "to": int(t["to"]),
                        "label": tts.POLARITY_CODES[float(t["polarity"])],
                    }
                )
    for name, rows in sets.items():
        log(f"{name}: {len(rows)} targets")
        t0 = time.time()
        probs = target_sentiments(
            [r["sentence"] for r in rows],
            [r["from"] for r in rows],
            [r["to"] for r in rows],
            model=model,
            batch_size=1,
        )[list(tts.LABELS)].to_numpy()
        for r, p in zip(rows, probs, strict=True):
            r["teacher"] = [float(x) for x in p]
        with (args.work / f"{name}.jsonl").open("w", encoding="utf-8") as fh:
            for r in rows:
                fh.write(json.dumps(r) + "\n")
        log(f"{name}: scored in {time.time() - t0:.0f} s")
    return 0


def read_rows(path: Path, pair_order: str) -> list[dict]:
    rows = []
    for line in path.open(encoding="utf-8"):
        r = json.loads(line)
        s, a, b = r["sentence"], r["from"], r["to"]
        marked, mention = tts.mark_target(s, a, b), s[a:b]
        first, second = (mention, marked) if pair_order == "mention-first" else (marked, mention)
        rows.append(
            {
                "text": first,
                "pair": second,
                "label": r.get("label", -1),
                "teacher": r["teacher"],
                "length": len(marked),
            }
        )
    return rows


def cmd_train(args: argparse.Namespace) -> int:
    import torch

    torch.set_num_threads(args.threads)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    model_dir = tts.default_model_dir()
    tok = tts.load_tokenizer(model_dir, args.max_length)
    teacher = load_teacher(model_dir, tok)
    layers = [int(x) for x in args.layers.split(",")]
    student = make_student(teacher, layers)
    del teacher
    work = args.work / f"layers_{'_'.join(map(str, layers))}_seed{args.seed}"
    work.mkdir(parents=True, exist_ok=True)

    train = read_rows(args.work / "newsmtsc_train.jsonl", "sentence-first")
    extra = read_rows(args.work / "polnear_entities.jsonl", "sentence-first")[: args.extra]
    rows = train + extra
    dev = {
        name: tts.read_newsmtsc(args.data / "newsmtsc" / f"{name}.jsonl", "sentence-first")
        for name in ("dev_rw", "dev_mt")
    }
    log(f"student layers {layers}; train {len(train)} gold + {len(extra)} teacher-only targets")
    for name, d in dev.items():
        log(f"{name} at start: {tts.evaluate_torch(student, d, tok):.4f}")

    steps_per_epoch = math.ceil(len(rows) / args.batch_size)
    total = int(steps_per_epoch * args.epochs)
    warm = int(total * 0.06)
    no_decay = ("bias", "LayerNorm.weight", "LayerNorm.bias")
    params = list(student.named_parameters())
    opt = torch.optim.AdamW(
        [
            {"params": [p for n, p in params if not n.endswith(no_decay)], "weight_decay": 0.01},
            {"params": [p for n, p in params if n.endswith(no_decay)], "weight_decay": 0.0},
        ],
        lr=args.lr,
    )
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt,
        lambda s: (
            (s + 1) / max(1, warm) if s < warm else max(0.0, (total - s) / max(1, total - warm))
        ),
    )
    T = args.temperature
    rng = random.Random(args.seed)
    eval_at = {
        round(steps_per_epoch * k / args.evals_per_epoch)
        for k in range(1, args.evals_per_epoch + 1)
    }
    history, best = [], None
    t0 = time.time()
    step = 0
    for epoch in range(math.ceil(args.epochs)):
        student.train()
        for in_epoch, (ids, att, tt, _, group) in enumerate(
            tts.batches(rows, tok, args.batch_size, rng), 1
        ):
            if step >= total:
                break
            logits = student(ids, att, tt)
            soft = torch.tensor([rows[i]["teacher"] for i in group], dtype=torch.float32)
            # Teacher probabilities at temperature T: p^(1/T), renormalised.
            soft_t = soft.clamp_min(1e-8) ** (1.0 / T)
            soft_t = soft_t / soft_t.sum(1, keepdim=True)
            kd = torch.nn.functional.kl_div(
                torch.log_softmax(logits / T, -1), soft_t, reduction="batchmean"
            ) * (T * T)
            gold = torch.tensor([rows[i]["label"] for i in group])
            has = gold >= 0
            ce = (
                torch.nn.functional.cross_entropy(logits[has], gold[has])
                if bool(has.any())
                else logits.sum() * 0.0
            )
            loss = args.alpha * ce + (1 - args.alpha) * kd
            loss.backward()
            torch.nn.utils.clip_grad_norm_(student.parameters(), 1.0)
            opt.step()
            sched.step()
            opt.zero_grad()
            step += 1
            if step % 50 == 0:
                log(
                    f"step {step}/{total} loss {loss.item():.4f} ({(time.time() - t0) / 60:.1f} min)"
                )
            if in_epoch in eval_at or step == total:
                scores = {k: tts.evaluate_torch(student, v, tok) for k, v in dev.items()}
                mean = (scores["dev_rw"] + scores["dev_mt"]) / 2
                point = {
                    "epoch": round(epoch + in_epoch / steps_per_epoch, 2),
                    "step": step,
                    **{k: round(v, 4) for k, v in scores.items()},
                    "minutes": round((time.time() - t0) / 60, 1),
                }
                history.append(point)
                log(f"eval {point}")
                if best is None or mean > best["mean"]:
                    best = {**point, "mean": round(mean, 4)}
                    torch.save(student.state_dict(), work / "best.pt")
                (work / "history.json").write_text(
                    json.dumps(
                        {
                            "history": history,
                            "best": best,
                            "args": vars(args) | {"data": str(args.data), "work": str(args.work)},
                        },
                        indent=1,
                        default=str,
                    )
                )
    log(f"best {best}")
    return 0


def dev_rows(data: Path) -> dict[str, list[dict]]:
    """NewsMTSC dev_rw and dev_mt targets: sentence, offsets, gold label index."""
    out = {}
    for name in ("dev_rw", "dev_mt"):
        rows = []
        for line in (data / "newsmtsc" / f"{name}.jsonl").open(encoding="utf-8"):
            if line.strip():
                rec = json.loads(line)
                for t in rec["targets"]:
                    rows.append(
                        {
                            "sentence": rec["sentence_normalized"],
                            "from": int(t["from"]),
                            "to": int(t["to"]),
                            "label": tts.POLARITY_CODES[float(t["polarity"])],
                        }
                    )
        out[name] = rows
    return out


def package_figures(model_dir: Path, data: Path) -> dict:
    """Macro F1 through the package runtime, batched and alone, and the largest difference."""
    from analysis.encoder import BucketedOnnxModel
    from analysis.target import target_sentiments

    model = BucketedOnnxModel(model_dir)
    figures = {}
    for name, rows in dev_rows(data).items():
        args = ([r["sentence"] for r in rows], [r["from"] for r in rows], [r["to"] for r in rows])
        c0 = time.process_time()
        batched = target_sentiments(*args, model=model, batch_size=32)
        cpu = time.process_time() - c0
        alone = target_sentiments(*args, model=model, batch_size=1)
        probs = list(tts.LABELS)
        pred = [tts.LABELS.index(p) for p in batched["polarity"]]
        figures[name] = {
            "targets": len(rows),
            "macro_f1": round(tts.macro_f1([r["label"] for r in rows], pred), 4),
            "max_abs_diff_alone_vs_batched": float(
                np.abs(batched[probs].to_numpy() - alone[probs].to_numpy()).max()
            ),
            "targets_per_cpu_second_batched": round(len(rows) / cpu, 1),
        }
    return figures


class _Calibration:
    """onnxruntime calibration reader: single NewsMTSC train targets, unpadded."""

    def __init__(self, rows: list[dict], tok) -> None:
        self.items = iter(rows)
        self.tok = tok

    def get_next(self):
        row = next(self.items, None)
        if row is None:
            return None
        enc = self.tok.encode(row["text"], row["pair"])
        ids = np.array([enc.ids], dtype=np.int64)
        return {
            "input_ids": ids,
            "attention_mask": np.ones_like(ids),
            "token_type_ids": np.array([enc.type_ids], dtype=np.int64),
        }


def cmd_export(args: argparse.Namespace) -> int:
    """Export the best student: float32 graph, then int8 with fixed (calibrated) scales."""
    import shutil

    import torch
    from onnxruntime.quantization import (
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quant_pre_process,
        quantize_static,
    )

    torch.set_num_threads(args.threads)
    model_dir = tts.default_model_dir()
    tok = tts.load_tokenizer(model_dir, args.max_length)
    layers = [int(x) for x in args.layers.split(",")]
    student = make_student(load_teacher(model_dir, tok), layers)
    work = args.work / f"layers_{'_'.join(map(str, layers))}_seed{args.seed}"
    student.load_state_dict(torch.load(work / "best.pt", map_location="cpu"))
    student.eval()
    fp32 = work / "model_fp32.onnx"
    tts.export_onnx(student, fp32, tok)
    pre = work / "model_pre.onnx"
    quant_pre_process(str(fp32), str(pre), skip_symbolic_shape=True)
    rng = random.Random(args.seed)
    calib = read_rows(args.work / "newsmtsc_train.jsonl", "sentence-first")
    calib = rng.sample(calib, args.calibration)
    args.out.mkdir(parents=True, exist_ok=True)
    keep = []
    if args.keep_float:
        import onnx

        # Feed-forward output projections of these blocks stay float32 (their inputs, after
        # GELU, have the widest range); float32 MatMuls are batch-invariant in onnxruntime.
        keep = [
            n.name
            for n in onnx.load(str(pre)).graph.node
            if n.op_type == "MatMul"
            and n.name.endswith("/output/dense/MatMul")
            and "/attention/" not in n.name
            and any(f"/layer.{i}/" in n.name for i in args.keep_float.split(","))
        ]
    quantize_static(
        str(pre),
        str(args.out / "model.onnx"),
        _Calibration(calib, tok),
        quant_format=QuantFormat.QDQ,
        op_types_to_quantize=["MatMul", "Gather"],
        per_channel=True,
        activation_type=QuantType.QUInt8,
        weight_type=QuantType.QInt8,
        calibrate_method=getattr(CalibrationMethod, args.calibrate_method),
        nodes_to_exclude=keep,
        extra_options={"CalibMovingAverage": False},
    )
    shutil.copy(TEACHER_DIR / "tokenizer.json", args.out / "tokenizer.json")
    history = json.loads((work / "history.json").read_text())
    teacher_meta = json.loads((TEACHER_DIR / "meta.json").read_text())
    meta = {
        "name": args.out.name,
        "task": teacher_meta["task"],
        "labels": list(tts.LABELS),
        "max_length": args.max_length,
        "pad_token": "[PAD]",
        "input": teacher_meta["input"],
        "output": teacher_meta["output"],
        "runtime": "analysis.encoder.BucketedOnnxModel (batches of equal token length)",
        "batch_invariant": True,
        "base_model": teacher_meta["base_model"],
        "teacher": "models/target_sentiment (6 layers, int8 dynamic); weights dequantised "
        "into torch (scripts/onnx_weights.py)",
        "student_layers": layers,
        "data": teacher_meta["data"],
        "training": {
            "script": "scripts/distil_target_sentiment.py",
            "recipe": "student = the teacher's blocks "
            f"{layers} + its head; loss = alpha * cross-entropy(gold) + (1 - alpha) * T^2 * "
            "KL(teacher probabilities at temperature T); teacher probabilities from the "
            "shipped graph, one target per call",
            "selection": "best mean of dev_rw and dev_mt macro F1 (dev chose the checkpoint)",
            **{k: v for k, v in history["args"].items() if k not in ("func", "data", "work")},
        },
        "history": history["history"],
        "best": history["best"],
        "export": {
            "graph": "torch.onnx.export (TorchScript) opset 17; mean pooling as a batched "
            "MatMul (ReduceSum is not batch-invariant in onnxruntime)",
            "quantisation": "onnxruntime.quantization.quantize_static, QDQ, int8 per-channel "
            "weights, uint8 activations with fixed scales calibrated on "
            f"{args.calibration} NewsMTSC train targets ({args.calibrate_method})",
            "float32_nodes": keep,
        },
    }
    (args.out / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    meta["metrics"] = package_figures(args.out, args.data)
    (args.out / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    log(f"int8: {meta['metrics']}")
    size = (args.out / "model.onnx").stat().st_size / 1e6
    log(f"wrote {args.out} (model.onnx {size:.1f} MB)")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DATA_DIR, help="the shared data folder")
    ap.add_argument("--work", type=Path, default=WORK_DIR, help="teacher outputs, checkpoints")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--max-length", type=int, default=128)
    sub = ap.add_subparsers(dest="step", required=True)
    t = sub.add_parser("teacher", help="teacher probabilities for train and extra targets")
    t.add_argument("--extra", type=int, default=15000, help="entity targets from POLNEAR train")
    t.set_defaults(func=cmd_teacher)
    tr = sub.add_parser("train", help="train a student")
    tr.add_argument("--layers", default="0,1,2", help="teacher blocks the student keeps")
    tr.add_argument("--epochs", type=float, default=3)
    tr.add_argument("--lr", type=float, default=5e-5)
    tr.add_argument("--batch-size", type=int, default=16)
    tr.add_argument("--alpha", type=float, default=0.5, help="weight of the gold cross-entropy")
    tr.add_argument("--temperature", type=float, default=2.0)
    tr.add_argument("--extra", type=int, default=15000, help="teacher-only targets used")
    tr.add_argument("--evals-per-epoch", type=int, default=4)
    tr.set_defaults(func=cmd_train)
    ex = sub.add_parser("export", help="export the best student (float32 and static int8)")
    ex.add_argument("--layers", default="0,1,2")
    ex.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ex.add_argument("--calibration", type=int, default=300, help="train targets for scales")
    ex.add_argument(
        "--calibrate-method", default="MinMax", choices=["MinMax", "Percentile", "Entropy"]
    )
    ex.add_argument(
        "--keep-float", default="", help="blocks whose feed-forward output stays float32 (0,1,2)"
    )
    ex.set_defaults(func=cmd_export)
    args = ap.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
