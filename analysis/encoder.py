"""Run the package's committed ONNX text models on the CPU with onnxruntime and `tokenizers`.

`BucketedOnnxModel` runs a graph free of per-call quantisation (float32, or int8 with fixed
scales) on batches whose inputs all have the same number of tokens: with no padding, the other
rows of a batch cannot reach a row's result, so an input gets the same output alone, in any
batch and in any order (the tests check that onnxruntime keeps it so).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
META_FILE = "meta.json"
#: Used when meta.json is absent or does not name a length (the length the models were trained at).
DEFAULT_MAX_LENGTH = 128


#: onnxruntime's switch for its telemetry (see its Privacy.md): with it set before the library
#: initialises, no device id or event store is created (under ~/.cache/Microsoft otherwise).
TELEMETRY_ENV = "ORT_DISABLE_TELEMETRY"


def import_onnxruntime():
    """Import onnxruntime with its telemetry off, so a run never writes under the home folder.

    Official onnxruntime builds write a device id and an event store under
    ``$XDG_CACHE_HOME`` or ``~/.cache/Microsoft/DeveloperTools/.onnxruntime`` as soon as the
    library is imported, unless :data:`TELEMETRY_ENV` is set first;
    ``disable_telemetry_events()`` alone comes too late for that, but also stops events when
    someone imported onnxruntime before this package did.

    Returns
    -------
    module
        The ``onnxruntime`` module.
    """
    os.environ[TELEMETRY_ENV] = "1"
    import onnxruntime

    onnxruntime.disable_telemetry_events()
    return onnxruntime


class ModelFilesError(FileNotFoundError):
    """A model folder lacks a file the runtime needs (the message names the folder and the file)."""


def read_meta(model_dir: Path) -> dict:
    """A model folder's ``meta.json`` ({} when there is none); invalid JSON names the file."""
    path = Path(model_dir) / META_FILE
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ModelFilesError(f"{path}: meta.json is not valid JSON ({exc})") from exc


class OnnxModel:
    """A tokenizer plus an ONNX graph, loaded from one folder of the installed package.

    The folder holds ``model.onnx``, ``tokenizer.json`` (Hugging Face `tokenizers` format) and,
    optionally, ``meta.json`` whose ``max_length`` sets truncation. Nothing is downloaded: the
    files are read from ``model_dir`` only.

    Parameters
    ----------
    model_dir : str or Path
        Folder holding the model files.
    intra_op_num_threads : int, default 1
        Threads onnxruntime uses inside one operator. One thread gives a predictable per-core
        speed and leaves the other cores to parallel workers; raise it for a single big job.
    max_length : int, optional
        Token limit per input (pair); defaults to meta.json's ``max_length``, else 128.

    Notes
    -----
    The tokenizer and the inference session are created on first use and cached on the
    instance, so constructing an `OnnxModel` is cheap and checks only that the files exist.
    """

    def __init__(
        self,
        model_dir: str | Path,
        *,
        intra_op_num_threads: int = 1,
        max_length: int | None = None,
    ) -> None:
        self.model_dir = Path(model_dir)
        self.intra_op_num_threads = int(intra_op_num_threads)
        for name in (MODEL_FILE, TOKENIZER_FILE):
            if not (self.model_dir / name).is_file():
                raise ModelFilesError(
                    f"{self.model_dir}: model folder has no {name} "
                    f"(expected {MODEL_FILE} and {TOKENIZER_FILE}; is the package installed with its models?)"
                )
        self.meta = read_meta(self.model_dir)
        self.max_length = int(max_length or self.meta.get("max_length") or DEFAULT_MAX_LENGTH)
        self._session = None
        self._tokenizer = None
        self._lock = threading.Lock()

    @property
    def tokenizer(self):
        """The `tokenizers.Tokenizer`, truncating to ``max_length`` and padding to the longest input."""
        if self._tokenizer is None:
            from tokenizers import Tokenizer

            tok = Tokenizer.from_file(str(self.model_dir / TOKENIZER_FILE))
            tok.enable_truncation(max_length=self.max_length, strategy="longest_first")
            pad_token = self.meta.get("pad_token", "[PAD]")
            pad_id = tok.token_to_id(pad_token)
            tok.enable_padding(pad_id=0 if pad_id is None else pad_id, pad_token=pad_token)
            self._tokenizer = tok
        return self._tokenizer

    @property
    def session(self):
        """The cached `onnxruntime.InferenceSession` (CPU only)."""
        if self._session is None:
            with self._lock:
                if self._session is None:
                    ort = import_onnxruntime()
                    options = ort.SessionOptions()
                    options.intra_op_num_threads = self.intra_op_num_threads
                    # One operator at a time: inter-op threads only add jitter for these small graphs.
                    options.inter_op_num_threads = 1
                    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
                    options.log_severity_level = 3
                    self._session = ort.InferenceSession(
                        str(self.model_dir / MODEL_FILE),
                        sess_options=options,
                        providers=["CPUExecutionProvider"],
                    )
        return self._session

    @property
    def input_names(self) -> list[str]:
        """Names of the graph's inputs (a subset of input_ids, attention_mask, token_type_ids)."""
        return [i.name for i in self.session.get_inputs()]

    def encode(self, texts: Sequence[str], text_pairs: Sequence[str] | None = None) -> dict:
        """Tokenise a batch into the int64 arrays the graph takes.

        Parameters
        ----------
        texts : sequence of str
            First segments.
        text_pairs : sequence of str, optional
            Second segments, one per text.

        Returns
        -------
        dict of str to numpy.ndarray
            ``input_ids``, ``attention_mask`` and ``token_type_ids``, each (batch, longest).
        """
        if text_pairs is None:
            encodings = self.tokenizer.encode_batch(list(texts))
        else:
            encodings = self.tokenizer.encode_batch(list(zip(texts, text_pairs, strict=True)))
        return {
            "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
        }

    def predict(
        self,
        texts: Sequence[str],
        text_pairs: Sequence[str] | None = None,
        batch_size: int = 32,
    ) -> np.ndarray:
        """Run the graph and return its first output, one row per input, in input order.

        Parameters
        ----------
        texts : sequence of str
            Inputs (first segments when ``text_pairs`` is given).
        text_pairs : sequence of str, optional
            Second segments, the same length as ``texts``.
        batch_size : int, default 32
            Inputs per onnxruntime call.

        Returns
        -------
        numpy.ndarray
            Shape (len(texts), ...) float array: the graph's first output (e.g. logits).
        """
        texts = [str(t) for t in texts]
        if text_pairs is not None:
            text_pairs = [str(t) for t in text_pairs]
            if len(text_pairs) != len(texts):
                raise ValueError(
                    f"text_pairs has {len(text_pairs)} items but texts has {len(texts)}"
                )
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        session = self.session
        wanted = self.input_names
        output_name = session.get_outputs()[0].name
        if not texts:
            shape = session.get_outputs()[0].shape
            width = shape[-1] if len(shape) > 1 and isinstance(shape[-1], int) else 0
            return np.zeros((0, width), dtype=np.float32)
        # Batch inputs of similar length together so padding (and wasted compute) stays small.
        lengths = [
            len(t) + (len(text_pairs[i]) if text_pairs is not None else 0)
            for i, t in enumerate(texts)
        ]
        order = np.argsort(lengths, kind="stable")
        chunks = []
        for lo in range(0, len(order), batch_size):
            idx = order[lo : lo + batch_size]
            batch_texts = [texts[i] for i in idx]
            batch_pairs = None if text_pairs is None else [text_pairs[i] for i in idx]
            feed = self.encode(batch_texts, batch_pairs)
            feed = {name: feed[name] for name in wanted}
            chunks.append(session.run([output_name], feed)[0])
        sorted_out = np.concatenate(chunks, axis=0)
        out = np.empty_like(sorted_out)
        out[order] = sorted_out
        return out

    def __repr__(self) -> str:
        return (
            f"OnnxModel({str(self.model_dir)!r}, intra_op_num_threads={self.intra_op_num_threads})"
        )


def load_onnx_model(model_dir: str | Path, *, intra_op_num_threads: int = 1) -> OnnxModel:
    """`BucketedOnnxModel` when the folder's meta.json says ``"batch_invariant": true``, else
    a plain `OnnxModel` (whose int8 graphs quantise activations per call: batch size 1)."""
    path = Path(model_dir) / META_FILE
    meta = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    cls = BucketedOnnxModel if meta.get("batch_invariant") else OnnxModel
    return cls(model_dir, intra_op_num_threads=intra_op_num_threads)


class BucketedOnnxModel(OnnxModel):
    """An `OnnxModel` whose batches hold inputs of one token length only (no padding).

    Inputs are tokenised one by one (no padding), grouped by their exact token count and run
    ``batch_size`` at a time, so a batch is a block of equal-length rows and the attention
    mask is all ones. With a graph free of per-batch quantisation (float32, or int8 with fixed
    scales) a row's output then depends on that row alone.

    Parameters are those of `OnnxModel`.
    """

    #: A row's result does not depend on the other rows of a call (see the class notes).
    batch_invariant = True

    @property
    def tokenizer(self):
        """The `tokenizers.Tokenizer`, truncating to ``max_length``, never padding."""
        if self._tokenizer is None:
            from tokenizers import Tokenizer

            tok = Tokenizer.from_file(str(self.model_dir / TOKENIZER_FILE))
            tok.enable_truncation(max_length=self.max_length, strategy="longest_first")
            tok.no_padding()
            self._tokenizer = tok
        return self._tokenizer

    def predict(
        self,
        texts: Sequence[str],
        text_pairs: Sequence[str] | None = None,
        batch_size: int = 32,
    ) -> np.ndarray:
        """Run the graph on equal-length batches; one output row per input, in input order.

        Parameters
        ----------
        texts : sequence of str
            Inputs (first segments when ``text_pairs`` is given).
        text_pairs : sequence of str, optional
            Second segments, the same length as ``texts``.
        batch_size : int, default 32
            Most inputs per onnxruntime call (results do not depend on it).

        Returns
        -------
        numpy.ndarray
            Shape (len(texts), ...) float array: the graph's first output.
        """
        texts = [str(t) for t in texts]
        if text_pairs is not None:
            text_pairs = [str(t) for t in text_pairs]
            if len(text_pairs) != len(texts):
                raise ValueError(
                    f"text_pairs has {len(text_pairs)} items but texts has {len(texts)}"
                )
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        session = self.session
        output = session.get_outputs()[0]
        if not texts:
            width = output.shape[-1] if isinstance(output.shape[-1], int) else 0
            return np.zeros((0, width), dtype=np.float32)
        wanted = self.input_names
        inputs = texts if text_pairs is None else list(zip(texts, text_pairs, strict=True))
        encodings = self.tokenizer.encode_batch(inputs)
        by_length: dict[int, list[int]] = {}
        for i, enc in enumerate(encodings):
            by_length.setdefault(len(enc.ids), []).append(i)
        out = None
        for length in sorted(by_length):
            rows = by_length[length]
            for lo in range(0, len(rows), batch_size):
                idx = rows[lo : lo + batch_size]
                ids = np.array([encodings[i].ids for i in idx], dtype=np.int64)
                feed = {
                    "input_ids": ids,
                    "attention_mask": np.ones_like(ids),
                    "token_type_ids": np.array(
                        [encodings[i].type_ids for i in idx], dtype=np.int64
                    ),
                }
                result = session.run([output.name], {n: feed[n] for n in wanted})[0]
                if out is None:
                    out = np.empty((len(texts), *result.shape[1:]), dtype=result.dtype)
                out[idx] = result
        return out

    def __repr__(self) -> str:
        return (
            f"BucketedOnnxModel({str(self.model_dir)!r}, "
            f"intra_op_num_threads={self.intra_op_num_threads})"
        )
