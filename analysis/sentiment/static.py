"""The static sentence regressor: a batch-invariant learned sentence score with numpy and scipy.

Distilled from the transformer regressor (``scripts/distil_sentence_sentiment.py``): a sentence
is a bag of WordPiece tokens, each token a row of a table, and the score is linear in the mean,
the maximum and the minimum of its rows. A sentence scores the same alone, in any batch and in
any order, to the last bit (see `StaticRegressor`).
"""

from __future__ import annotations

import itertools
import re
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from analysis.encoder import TOKENIZER_FILE, ModelFilesError, read_meta

#: Arrays of a `StaticRegressor` folder (numpy ``.npz``).
STATIC_WEIGHTS_FILE = "model.npz"
#: Sentences per block of work in `StaticRegressor.predict` (bounds memory, not results).
STATIC_BLOCK = 1024
#: Most words whose ids `StaticRegressor.token_ids` keeps (the cache is emptied beyond).
WORD_CACHE_SIZE = 500_000
#: Characters Python's ``str.split`` takes for whitespace but BERT's normaliser removes as
#: control characters or keeps (``\x0b``, ``\x0c``, ``\x1c``-``\x1f``, ``\x85``, U+2028,
#: U+2029): a text with one is tokenised whole.
_WHITESPACE_DISAGREE = re.compile("[\x0b\x0c\x1c-\x1f\x85\u2028\u2029]")
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
    token order; the maxima and minima are reductions over each sentence's own rows
    (``np.maximum.reduceat``). No number of one sentence is added to, or reordered by, another
    sentence's numbers.
    """
    from scipy.sparse import csr_matrix

    counts = np.fromiter((len(i) or 1 for i in id_lists), dtype=np.int64, count=len(id_lists))
    flat = np.fromiter(
        itertools.chain.from_iterable(i or (EMPTY_TOKEN,) for i in id_lists),
        dtype=np.int64,
        count=int(counts.sum()),
    )
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    bag = csr_matrix(
        (np.ones(len(flat), dtype=np.float32), flat, np.append(starts, len(flat))),
        shape=(len(counts), table.shape[0]),
    )
    means = np.asarray(bag @ table, dtype=np.float32) / counts[:, None].astype(np.float32)
    # Max and min are exact whatever the order, so sentences of one length are stacked and
    # reduced together (``np.maximum.reduceat`` over ragged segments is about 20x slower).
    maxima = np.empty_like(means)
    minima = np.empty_like(means)
    for length in np.unique(counts):
        which = np.flatnonzero(counts == length)
        rows = table[flat[starts[which, None] + np.arange(length)]]
        maxima[which] = rows.max(axis=1)
        minima[which] = rows.min(axis=1)
    return np.hstack([means, maxima, minima])


def conv_features(
    tables: Sequence[Sequence[np.ndarray]],
    biases: Sequence[np.ndarray],
    id_lists: Sequence[Sequence[int]],
) -> np.ndarray:
    """Mean and max over positions of a one-layer convolution over each sentence's tokens.

    Parameters
    ----------
    tables : sequence of sequence of numpy.ndarray
        ``tables[j][k]`` is the (vocabulary + 1, channels) float32 product of the token table
        and the ``k``-th tap of the ``j``-th filter bank (width ``len(tables[j])``); its last
        row is zeros, read past a sentence's end (the training pads with zero vectors).
    biases : sequence of numpy.ndarray
        (channels,) bias of each filter bank.
    id_lists : sequence of sequence of int
        Token ids of each sentence; an empty one reads :data:`EMPTY_TOKEN`.

    Returns
    -------
    numpy.ndarray
        (len(id_lists), 2 * channels * banks) float32: per bank, the mean then the max of
        ``tanh(bias + sum_k tables[j][k][ids[t + k]])`` over positions ``t``.

    Notes
    -----
    Batch-invariant by construction: a window's value is a sum of looked-up rows added in tap
    order, the non-linearity is element-wise, and the mean and max run over one sentence's
    positions one after another (sentences of one length are stacked so numpy works on many at
    once, but no number of one sentence meets another's). The convolution is written out as
    lookups because a matrix product per batch would let BLAS pick its kernel (and rounding)
    by the number of rows.
    """
    null = tables[0][0].shape[0] - 1
    lists = [list(i) or [EMPTY_TOKEN] for i in id_lists]
    lengths = np.fromiter((len(i) for i in lists), dtype=np.int64, count=len(lists))
    widest = max(len(bank) for bank in tables)
    out = np.empty((len(lists), 2 * sum(b.shape[0] for b in biases)), dtype=np.float32)
    for length in np.unique(lengths):
        which = np.flatnonzero(lengths == length)
        ids = np.full((len(which), int(length) + widest - 1), null, dtype=np.int64)
        ids[:, :length] = [lists[i] for i in which]
        parts = []
        for bank, bias in zip(tables, biases, strict=True):
            h = np.broadcast_to(bias, (len(which), int(length), bias.shape[0])).copy()
            for k, tap in enumerate(bank):
                h += tap[ids[:, k : k + length]]
            np.tanh(h, out=h)
            total = h[:, 0].copy()
            for t in range(1, int(length)):
                total += h[:, t]
            parts += [total / np.float32(length), h.max(axis=1)]
        out[which] = np.hstack(parts)
    return out


def _load_arrays(data, path: Path | str = STATIC_WEIGHTS_FILE) -> dict:
    """The arrays a `StaticRegressor` computes with, from its ``model.npz``.

    A pooled model holds ``table``, ``weight_mean``, ``weight_max``, ``weight_min`` and
    ``intercept``; a convolutional one holds ``table``, ``conv_widths``, ``conv_weight_J``
    ((channels, d, width) like torch's ``Conv1d``), ``conv_bias_J``, ``weight`` and
    ``intercept``, and each tap of each filter bank is multiplied into the table once, here, so
    scoring is lookups and additions (:func:`conv_features`).
    """
    table = data["table"].astype(np.float32)
    arrays = {"table": table, "intercept": np.float32(data["intercept"])}
    if "conv_widths" not in data:
        arrays["weight"] = np.concatenate(
            [data["weight_mean"], data["weight_max"], data["weight_min"]]
        ).astype(np.float32)
        return arrays
    tables, biases = [], []
    for j, width in enumerate(data["conv_widths"]):
        weight = data[f"conv_weight_{j}"].astype(np.float32)
        if weight.shape[1:] != (table.shape[1], int(width)):
            raise ModelFilesError(
                f"{path}: conv_weight_{j} has shape {weight.shape}, not (c, {table.shape[1]}, {width})"
            )
        null = np.zeros((1, weight.shape[0]), dtype=np.float32)
        tables.append([np.vstack([table @ weight[:, :, k].T, null]) for k in range(int(width))])
        biases.append(data[f"conv_bias_{j}"].astype(np.float32))
    arrays |= {"conv_tables": tables, "conv_biases": biases}
    arrays["weight"] = data["weight"].astype(np.float32)
    return arrays


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
        self.meta = read_meta(self.model_dir)
        self.max_length = int(self.meta.get("max_length") or 256)
        self._arrays: dict | None = None
        self._tokenizer = None
        self._word_ids: dict[str, list[int]] = {}
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
                        self._arrays = _load_arrays(data, self.model_dir / STATIC_WEIGHTS_FILE)
        return self._arrays

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """WordPiece ids of each text, special tokens left out, truncated at ``max_length``.

        The same ids as the tokenizer gives the whole text, found faster: BERT's normaliser and
        pre-tokeniser never join characters across whitespace, so a text's ids are its
        whitespace-separated words' ids one after another, and each word's ids are cached
        (tokenising a sentence costs more than the model). A text holding a character Python
        and BERT disagree on as whitespace goes through the tokenizer whole.
        """
        texts = [str(t) for t in texts]
        cache = self._word_ids
        if len(cache) > WORD_CACHE_SIZE:
            cache.clear()
        new = {w for t in texts for w in t.split() if w not in cache}
        if new:
            words = sorted(new)
            encodings = self.tokenizer.encode_batch(words, add_special_tokens=False)
            cache.update({w: e.ids for w, e in zip(words, encodings, strict=True)})
        out = []
        whole = []
        for i, text in enumerate(texts):
            if _WHITESPACE_DISAGREE.search(text):
                whole.append(i)
                out.append([])
                continue
            ids = list(itertools.chain.from_iterable(cache[w] for w in text.split()))
            out.append(ids[: self.max_length])
        if whole:
            encodings = self.tokenizer.encode_batch(
                [texts[i] for i in whole], add_special_tokens=False
            )
            for i, e in zip(whole, encodings, strict=True):
                out[i] = e.ids
        return out

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
            ids = self.token_ids(texts[lo : lo + STATIC_BLOCK])
            if "conv_tables" in arrays:
                features = conv_features(arrays["conv_tables"], arrays["conv_biases"], ids)
            else:
                features = pooled_features(arrays["table"], ids)
            # A row-wise sum (numpy's pairwise summation over one row of fixed length), not a
            # matrix product whose kernel and blocking BLAS may pick by the number of rows.
            scores = (features * arrays["weight"]).sum(axis=1, dtype=np.float32)
            out[lo : lo + STATIC_BLOCK, 0] = scores + arrays["intercept"]
        return out

    def __repr__(self) -> str:
        return f"StaticRegressor({str(self.model_dir)!r})"
