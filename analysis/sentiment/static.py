"""The static sentence regressor: a batch-invariant learned sentence score with numpy and scipy.

Distilled from the transformer regressor (``scripts/distil_sentence_sentiment.py``): a sentence
is a bag of WordPiece tokens, each token a row of a table, and the score is linear in the mean,
the maximum and the minimum of its rows. A sentence scores the same alone, in any batch and in
any order, to the last bit (see `StaticRegressor`).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from analysis.encoder import META_FILE, TOKENIZER_FILE, ModelFilesError

#: Arrays of a `StaticRegressor` folder (numpy ``.npz``).
STATIC_WEIGHTS_FILE = "model.npz"
#: Sentences per block of work in `StaticRegressor.predict` (bounds memory, not results).
STATIC_BLOCK = 1024
#: The token a sentence without tokens reads (``[PAD]``), so every bag has a row.
EMPTY_TOKEN = 0


def is_static_model_dir(model_dir: str | Path) -> bool:
    """Whether ``model_dir`` holds a `StaticRegressor` (its ``model.npz``)."""
    return (Path(model_dir) / STATIC_WEIGHTS_FILE).is_file()


def pooled_features(table: np.ndarray, id_lists: Sequence[Sequence[int]]) -> np.ndarray:
    """Mean, max and min of each sentence's token rows, side by side.

    Parameters
    ----------
    table : numpy.ndarray
        (vocabulary, d) float32 token rows.
    id_lists : sequence of sequence of int
        Token ids of each sentence; an empty one reads :data:`EMPTY_TOKEN`.

    Returns
    -------
    numpy.ndarray
        (len(id_lists), 3 * d) float32.

    Notes
    -----
    Batch-invariant by construction: the means come from a sparse bag-of-tokens matrix times
    the table, which scipy computes row by row, adding one sentence's rows one after another in
    token order; the maxima and minima are reductions over each sentence's own segment
    (``np.maximum.reduceat``). No number of one sentence is added to, or reordered by, another
    sentence's numbers.
    """
    from scipy.sparse import csr_matrix

    ids = [list(i) or [EMPTY_TOKEN] for i in id_lists]
    counts = np.array([len(i) for i in ids], dtype=np.int64)
    flat = np.fromiter((t for i in ids for t in i), dtype=np.int64, count=int(counts.sum()))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    bag = csr_matrix(
        (np.ones(len(flat), dtype=np.float32), flat, np.append(starts, len(flat))),
        shape=(len(ids), table.shape[0]),
    )
    means = np.asarray(bag @ table, dtype=np.float32) / counts[:, None].astype(np.float32)
    rows = table[flat]
    return np.hstack(
        [
            means,
            np.maximum.reduceat(rows, starts, axis=0),
            np.minimum.reduceat(rows, starts, axis=0),
        ]
    )


def _read_meta(model_dir: Path) -> dict:
    path = model_dir / META_FILE
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ModelFilesError(f"{path}: meta.json is not valid JSON ({exc})") from exc


class StaticRegressor:
    """Sentence regressor over static token embeddings, run with numpy (no onnxruntime).

    A sentence is tokenised (WordPiece, without ``[CLS]``/``[SEP]``); its score is
    ``intercept + w_mean . mean + w_max . max + w_min . min`` over the rows of its tokens in
    ``table`` (see :func:`pooled_features`).

    Parameters
    ----------
    model_dir : str or Path
        Folder holding ``model.npz`` (``table``, ``weight_mean``, ``weight_max``,
        ``weight_min``, ``intercept``), ``tokenizer.json`` and ``meta.json`` (``max_length``
        in tokens).

    Notes
    -----
    A sentence's score depends on that sentence alone: tokenising is per text, pooling is per
    sentence (:func:`pooled_features`) and the head is an element-wise product summed over one
    sentence's row at a time, not a matrix product whose kernel BLAS may pick by the number of
    rows. A text with no tokens (empty, or only characters the vocabulary lacks) reads
    ``[PAD]``.
    """

    #: A sentence's score does not depend on the other sentences of a call.
    batch_invariant = True

    def __init__(self, model_dir: str | Path) -> None:
        self.model_dir = Path(model_dir)
        for name in (STATIC_WEIGHTS_FILE, TOKENIZER_FILE):
            if not (self.model_dir / name).is_file():
                raise ModelFilesError(
                    f"{self.model_dir}: model folder has no {name} (expected "
                    f"{STATIC_WEIGHTS_FILE} and {TOKENIZER_FILE}; is the package installed with "
                    "its models?)"
                )
        self.meta = _read_meta(self.model_dir)
        self.max_length = int(self.meta.get("max_length") or 256)
        self._arrays: dict | None = None
        self._tokenizer = None
        self._lock = threading.Lock()

    @property
    def tokenizer(self):
        """The `tokenizers.Tokenizer`: no padding, truncation at ``max_length`` tokens."""
        if self._tokenizer is None:
            from tokenizers import Tokenizer

            tok = Tokenizer.from_file(str(self.model_dir / TOKENIZER_FILE))
            tok.no_padding()
            tok.enable_truncation(max_length=self.max_length)
            self._tokenizer = tok
        return self._tokenizer

    @property
    def arrays(self) -> dict:
        """``table`` (vocabulary x d, float32), ``weight`` (3 d) and ``intercept``."""
        if self._arrays is None:
            with self._lock:
                if self._arrays is None:
                    with np.load(self.model_dir / STATIC_WEIGHTS_FILE) as data:
                        self._arrays = {
                            "table": data["table"].astype(np.float32),
                            "weight": np.concatenate(
                                [data["weight_mean"], data["weight_max"], data["weight_min"]]
                            ).astype(np.float32),
                            "intercept": np.float32(data["intercept"]),
                        }
        return self._arrays

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """WordPiece ids of each text, special tokens left out."""
        encodings = self.tokenizer.encode_batch([str(t) for t in texts], add_special_tokens=False)
        return [e.ids for e in encodings]

    def predict(self, texts: Sequence[str], batch_size: int | None = None) -> np.ndarray:
        """Score texts.

        Parameters
        ----------
        texts : sequence of str
            One sentence per item.
        batch_size : int, optional
            Accepted for the `OnnxModel` interface; results never depend on it.

        Returns
        -------
        numpy.ndarray
            Shape (len(texts), 1), float32: the predicted human mean rating / 4.
        """
        texts = list(texts)
        out = np.empty((len(texts), 1), dtype=np.float32)
        arrays = self.arrays
        for lo in range(0, len(texts), STATIC_BLOCK):
            features = pooled_features(
                arrays["table"], self.token_ids(texts[lo : lo + STATIC_BLOCK])
            )
            # A row-wise sum (numpy's pairwise summation over one row of fixed length), not a
            # matrix product whose kernel and blocking BLAS may pick by the number of rows.
            scores = (features * arrays["weight"]).sum(axis=1, dtype=np.float32)
            out[lo : lo + STATIC_BLOCK, 0] = scores + arrays["intercept"]
        return out

    def __repr__(self) -> str:
        return f"StaticRegressor({str(self.model_dir)!r})"
