"""Sentiment toward a target mention (NewsMTSC-trained ONNX model) and the actor stance table."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import config
from analysis.encoder import OnnxModel, load_onnx_model

LABELS = ("negative", "neutral", "positive")
#: Columns a `target-sentiment` input row must carry.
INPUT_COLUMNS = ("text", "target_start", "target_end")
#: The model saw single sentences: a longer text is reduced to the sentence around the target,
#: and a sentence longer than this (characters) is cut around the target.
MAX_WINDOW_CHARS = 600

# A sentence ends at . ! or ? (plus closing quotes/brackets) followed by space and a capital,
# digit or opening quote, or at a line break. Titles and initials ("Mr.", "J.") are not ends.
_BOUNDARY = re.compile(r"[.!?][\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9])|\n+")
_ABBREVIATIONS = frozenset(
    (  # noqa: SIM905
        "mr mrs ms dr gen lt col maj capt sgt sen rep gov pres prof st jr sr no vs adm cmdr rev "
        "hon insp supt brig ft mt jan feb mar apr jun jul aug sep sept oct nov dec"
    ).split()
)


class TargetOffsetError(ValueError):
    """Target offsets that do not select a non-empty span of the text."""


@functools.lru_cache(maxsize=4)
def load_target_model(intra_op_num_threads: int = 1, model: str | None = None) -> OnnxModel:
    """Load the committed target-sentiment model from the installed package (cached).

    Parameters
    ----------
    intra_op_num_threads : int, default 1
        onnxruntime threads per operator.
    model : str, optional
        A name in ``config.TARGET_SENTIMENT_MODELS`` (``fixed``, ``dynamic``) or a model
        folder; default ``config.TARGET_SENTIMENT_MODEL_DIR``.

    Returns
    -------
    OnnxModel
        Nothing is downloaded. A model whose meta.json declares it batch-invariant (fixed int8
        scales) is run by `analysis.encoder.BucketedOnnxModel`, in batches of equal token
        length.
    """
    if model is None:
        folder = config.TARGET_SENTIMENT_MODEL_DIR
    elif model in config.TARGET_SENTIMENT_MODELS:
        folder = config.TARGET_SENTIMENT_MODELS[model]
    else:
        folder = Path(model)
        if not folder.is_dir():
            names = ", ".join(sorted(config.TARGET_SENTIMENT_MODELS))
            raise ValueError(f"{model}: not a target-sentiment model name ({names}) nor a folder")
    return load_onnx_model(folder, intra_op_num_threads=intra_op_num_threads)


def _check_offsets(text: str, start, end) -> tuple[int, int]:
    try:
        s, e = int(start), int(end)
        if s != start or e != end:
            raise ValueError
    except (TypeError, ValueError):
        raise TargetOffsetError(
            f"target offsets must be integers, got start={start!r} end={end!r}"
        ) from None
    if not 0 <= s < e <= len(text):
        raise TargetOffsetError(
            f"target offsets ({s}, {e}) are outside the text (length {len(text)}); "
            "need 0 <= start < end <= len(text)"
        )
    if not text[s:e].strip():
        raise TargetOffsetError(f"target offsets ({s}, {e}) select only whitespace")
    return s, e


#: The last word of a text (``pattern.search(text, pos, endpos)``: ``$`` is ``endpos``).
_LAST_WORD = re.compile(r"(\w+)\W*$")
#: Characters of a text's end that :func:`_last_word` looks at first.
_LAST_WORD_REACH = 80


def _last_word(text: str, end: int) -> re.Match | None:
    """``_LAST_WORD.search(text[:end])``, reading only the end of ``text[:end]``.

    Searching the whole prefix is quadratic in an article's length (every sentence boundary
    searched all the text before it: 2.5 s for the stances of 1,000 articles); this looks at
    the last characters and widens only while the word may go on before them.
    """
    lo = max(0, end - _LAST_WORD_REACH)
    while True:
        word = _LAST_WORD.search(text, lo, end)
        if lo == 0 or (word is not None and word.start() > lo):
            return word
        lo = max(0, lo - _LAST_WORD_REACH)


def _is_real_boundary(text: str, match: re.Match) -> bool:
    if match.group(0).startswith("\n"):
        return True
    word = _last_word(text, match.start() + 1)
    if word is None:
        return True
    token = word.group(1)
    # "Mr." / "Gen." or an initial ("J. Smith", "U.S. officials") does not end a sentence.
    return not (token.lower() in _ABBREVIATIONS or len(token) == 1 and token.isalpha())


def sentence_window(text: str, start: int, end: int) -> tuple[str, int, int]:
    """Cut the sentence(s) holding ``text[start:end]`` out of a longer text.

    The model was trained on single news sentences, so an article-length input is reduced to the
    sentence around the target; a sentence longer than ``MAX_WINDOW_CHARS`` is cut to about that
    many characters centred on the target, at spaces.

    Parameters
    ----------
    text : str
        Sentence, paragraph or article.
    start, end : int
        Character offsets of the target in ``text``.

    Returns
    -------
    tuple of (str, int, int)
        The window and the target's offsets inside it.
    """
    lo, hi = 0, len(text)
    for m in _BOUNDARY.finditer(text):
        if not _is_real_boundary(text, m):
            continue
        if m.end() <= start:
            lo = m.end()
        elif m.start() >= end:
            hi = m.start() + (0 if m.group(0).startswith("\n") else 1)
            break
    if hi - lo > MAX_WINDOW_CHARS:
        half = max(0, (MAX_WINDOW_CHARS - (end - start)) // 2)
        new_lo, new_hi = max(lo, start - half), min(hi, end + half)
        if new_lo > lo:
            space = text.find(" ", new_lo, start)
            new_lo = space + 1 if space != -1 else new_lo
        if new_hi < hi:
            space = text.rfind(" ", end, new_hi)
            new_hi = space if space != -1 else new_hi
        lo, hi = new_lo, new_hi
    # Strip surrounding whitespace so the window looks like a training sentence.
    while lo < start and text[lo].isspace():
        lo += 1
    while hi > end and text[hi - 1].isspace():
        hi -= 1
    return text[lo:hi], start - lo, end - lo


def target_window(text: str, start: int, end: int) -> tuple[str, int, int]:
    """The text the model reads for one target, and the target's offsets in it.

    A text of at most ``MAX_WINDOW_CHARS`` characters (a sentence or a short paragraph, like the
    model's training sentences) is read whole; a longer one is reduced to the sentence around
    the target with `sentence_window`.

    Parameters
    ----------
    text : str
        The input text.
    start, end : int
        Character offsets of the target in ``text``.

    Returns
    -------
    tuple of (str, int, int)
        The window and the target's offsets inside it.
    """
    if len(text) <= MAX_WINDOW_CHARS:
        return text, start, end
    return sentence_window(text, start, end)


def _softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(z)
    return exp / exp.sum(axis=1, keepdims=True)


def target_sentiments(
    texts: Sequence[str],
    starts: Sequence[int],
    ends: Sequence[int],
    *,
    model: OnnxModel | None = None,
    batch_size: int | None = None,
) -> pd.DataFrame:
    """Sentiment toward one target per text, for many texts at once.

    Parameters
    ----------
    texts : sequence of str
        Sentences (texts over ``MAX_WINDOW_CHARS`` characters are reduced to the sentence around
        the target, see `target_window`).
    starts, ends : sequence of int
        Character offsets of each target in its text.
    model : OnnxModel, optional
        Defaults to the committed model (`load_target_model`).
    batch_size : int, optional
        Targets per onnxruntime call; by default 32 for a batch-invariant model
        (`analysis.encoder.BucketedOnnxModel`: batches of equal token length and a graph with
        fixed int8 scales, so a target gets the same probabilities alone, in any batch and in
        any order) and 1 otherwise: a dynamically quantised int8 graph scales activations per
        call, so in a batch a target's probabilities would shift with its neighbours and their
        padding (up to 0.09 on NewsMTSC dev, enough to flip some polarities).

    Returns
    -------
    pandas.DataFrame
        One row per input, in order: ``polarity`` (negative, neutral or positive) and the
        probabilities ``negative``, ``neutral``, ``positive`` (summing to 1).

    Raises
    ------
    TargetOffsetError
        When a target's offsets are outside its text (the message gives the row index).
    """
    if not len(texts) == len(starts) == len(ends):
        raise ValueError(
            f"texts, starts and ends differ in length ({len(texts)}, {len(starts)}, {len(ends)})"
        )
    model = model or load_target_model()
    model_input = model.meta.get("input", {})
    marker_open = model_input.get("marker_open", "[unused0]")
    marker_close = model_input.get("marker_close", "[unused1]")
    # Which segment the model saw first (see scripts/train_target_sentiment.py --pair-order).
    mention_first = model_input.get("pair_order", "sentence-first") == "mention-first"
    labels = tuple(model.meta.get("labels", LABELS))
    marked, mentions = [], []
    for i, (text, start, end) in enumerate(zip(texts, starts, ends, strict=True)):
        text = "" if text is None else str(text)
        try:
            s, e = _check_offsets(text, start, end)
        except TargetOffsetError as exc:
            raise TargetOffsetError(f"row {i}: {exc}") from None
        window, ws, we = target_window(text, s, e)
        # Same marking as scripts/train_target_sentiment.py: the sentence with markers around
        # the target, and the mention itself.
        marked.append(f"{window[:ws]}{marker_open} {window[ws:we]} {marker_close}{window[we:]}")
        mentions.append(window[ws:we])
    if not marked:
        return pd.DataFrame(
            {"polarity": pd.Series(dtype=object), **{k: pd.Series(dtype=float) for k in LABELS}}
        )
    first, second = (mentions, marked) if mention_first else (marked, mentions)
    if batch_size is None:
        batch_size = 32 if getattr(model, "batch_invariant", False) else 1
    probs = _softmax(model.predict(first, second, batch_size=batch_size).astype(np.float64))
    frame = pd.DataFrame(probs, columns=list(labels))[list(LABELS)]
    frame.insert(0, "polarity", [LABELS[j] for j in frame[list(LABELS)].to_numpy().argmax(axis=1)])
    return frame


def target_sentiment(text: str, start: int, end: int, *, model: OnnxModel | None = None) -> dict:
    """Sentiment of ``text`` toward the target at ``text[start:end]``.

    Parameters
    ----------
    text : str
        A sentence (or a longer text: the sentence around the target is used).
    start, end : int
        Character offsets of the target mention.
    model : OnnxModel, optional
        Defaults to the committed model.

    Returns
    -------
    dict
        ``polarity`` (``"negative"``, ``"neutral"`` or ``"positive"``) and the probabilities
        ``negative``, ``neutral`` and ``positive``.

    Raises
    ------
    TargetOffsetError
        When the offsets do not select a non-empty span of ``text``.

    Examples
    --------
    >>> target_sentiment("Critics accused the minister of lying.", 16, 28)["polarity"]  # doctest: +SKIP
    'negative'
    """
    _check_offsets(text, start, end)
    row = target_sentiments([text], [start], [end], model=model).iloc[0]
    return {"polarity": row["polarity"], **{k: float(row[k]) for k in LABELS}}


def stance_table(
    quotes_df: pd.DataFrame,
    mentions_df: pd.DataFrame,
    articles_df: pd.DataFrame,
    *,
    detail: bool = False,
    model: OnnxModel | None = None,
) -> pd.DataFrame:
    """Actor stance table: how each speaker's quotes treat each actor they mention.

    For every quote with a speaker, every actor mention whose span lies inside the quote's span
    is scored with `target_sentiments` on the article text (the sentence around the mention).
    A speaker's mentions of itself are left out.

    Parameters
    ----------
    quotes_df : pandas.DataFrame
        Quotes table (``article_id``, ``start``, ``end``, ``speaker``, ...).
    mentions_df : pandas.DataFrame
        Mentions table (``article_id``, ``start``, ``end``, ``actor``, ...).
    articles_df : pandas.DataFrame
        Articles table (``article_id``, ``text``).
    detail : bool, default False
        Return one row per scored mention instead of the aggregate.
    model : OnnxModel, optional
        Defaults to the committed model.

    Returns
    -------
    pandas.DataFrame
        Aggregate: ``speaker``, ``target``, ``n_mentions``, ``n_quotes``, ``n_articles``, the
        mean ``negative``, ``neutral`` and ``positive``, ``net`` (mean positive minus mean
        negative) and the counts ``n_negative``, ``n_neutral``, ``n_positive``; sorted by
        ``n_mentions`` (descending), then speaker and target. With ``detail=True``:
        ``article_id``, ``quote_start``, ``quote_end``, ``speaker``, ``target``, ``start``,
        ``end``, ``polarity`` and the three probabilities.
    """
    detail_cols = [
        "article_id",
        "quote_start",
        "quote_end",
        "speaker",
        "target",
        "start",
        "end",
        "polarity",
        *LABELS,
    ]
    agg_cols = [
        "speaker",
        "target",
        "n_mentions",
        "n_quotes",
        "n_articles",
        *LABELS,
        "net",
        "n_negative",
        "n_neutral",
        "n_positive",
    ]
    for name, df, cols in (
        ("quotes_df", quotes_df, ("article_id", "start", "end", "speaker")),
        ("mentions_df", mentions_df, ("article_id", "start", "end", "actor")),
        ("articles_df", articles_df, ("article_id", "text")),
    ):
        missing = [c for c in cols if c not in df.columns]
        if missing:
            raise KeyError(f"{name} lacks column(s) {missing}; it has {list(df.columns)}")
    from analysis.quotes import quotations

    quotes_df = quotations(quotes_df)  # a speaker's own words: reported speech is the reporter's
    quotes = quotes_df.loc[quotes_df["speaker"].notna(), ["article_id", "start", "end", "speaker"]]
    quotes = quotes.rename(columns={"start": "quote_start", "end": "quote_end"})
    quotes = quotes.reset_index(drop=True).reset_index(names="quote_id")
    mentions = mentions_df.loc[
        mentions_df["actor"].notna(), ["article_id", "start", "end", "actor"]
    ]
    pairs = quotes.merge(mentions, on="article_id", how="inner")
    pairs = pairs[
        (pairs["start"] >= pairs["quote_start"])
        & (pairs["end"] <= pairs["quote_end"])
        & (pairs["actor"] != pairs["speaker"])
    ].rename(columns={"actor": "target"})
    pairs = pairs.sort_values(["article_id", "quote_start", "start"], kind="stable").reset_index(
        drop=True
    )
    if pairs.empty:
        return pd.DataFrame(columns=detail_cols if detail else agg_cols)
    texts = articles_df.drop_duplicates("article_id").set_index("article_id")["text"]
    scores = target_sentiments(
        texts.loc[pairs["article_id"]].tolist(),
        pairs["start"].tolist(),
        pairs["end"].tolist(),
        model=model,
    )
    scored = pd.concat([pairs, scores], axis=1)
    if detail:
        return scored[detail_cols]
    for label in LABELS:
        scored[f"is_{label}"] = scored["polarity"] == label
    table = scored.groupby(["speaker", "target"], sort=False).agg(
        n_mentions=("quote_id", "size"),
        n_quotes=("quote_id", "nunique"),
        n_articles=("article_id", "nunique"),
        negative=("negative", "mean"),
        neutral=("neutral", "mean"),
        positive=("positive", "mean"),
        n_negative=("is_negative", "sum"),
        n_neutral=("is_neutral", "sum"),
        n_positive=("is_positive", "sum"),
    )
    table["net"] = table["positive"] - table["negative"]
    table = table.reset_index()[agg_cols]
    return table.sort_values(
        ["n_mentions", "speaker", "target"], ascending=[False, True, True], kind="stable"
    ).reset_index(drop=True)
