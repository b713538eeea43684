"""Reported speech: a learned tagger of sources, cues and contents, merged with the quotation rules."""

from __future__ import annotations

import functools
import json
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from analysis import attribution_checks as checks
from analysis import config, features
from analysis.attribution_decode import (
    LABELS,
    TRANSITIONS_FILE,
    TaggedSpan,
    decode,  # noqa: F401  (re-exported: analysis.attribution.decode)
    decode_windows,
    transition_scores,
)
from analysis.nlp import doc_text

if TYPE_CHECKING:
    import pandas as pd

ROLES = ("source", "cue", "content")
#: Columns of the quotes table (:mod:`analysis.features`): the rules' columns, then ``role``.
TABLE_COLUMNS = features.columns("quotes")
#: Wordpieces per window, [CLS] and [SEP] included (meta.json's ``max_length`` wins).
DEFAULT_MAX_TOKENS = 192


class Window(NamedTuple):
    """A run of whole sentences of one paragraph that the tagger reads in one call."""

    start: int  # character offset of the first sentence
    end: int  # one past the last character of the last sentence
    ids: tuple[int, ...]  # wordpiece ids, special tokens excluded
    offsets: tuple[tuple[int, int], ...]  # character offsets into the text, one per id
    words: tuple[int, ...]  # word index of each id within the window (pieces of one word share it)


# --------------------------------------------------------------------------------------------
# Windows: the same for training (scripts/train_attribution.py) and at run time


def _inside_any(start: int, end: int, regions: Sequence[tuple[int, int]], text: str) -> bool:
    """True when every letter or digit of text[start:end] lies inside one of ``regions``.

    ``regions`` are sorted by start (they may overlap). The parts of the span no region covers
    are searched for a letter or digit, once each.
    """
    pos = start
    for a, b in regions:
        if a >= end:
            break
        if b <= pos:
            continue
        if a > pos and any(ch.isalnum() for ch in text[pos:a]):
            return False
        pos = max(pos, b)
        if pos >= end:
            return True
    return not any(ch.isalnum() for ch in text[pos:end])


def windows(
    doc,
    tokenizer,
    *,
    max_tokens: int = DEFAULT_MAX_TOKENS,
    skip: Sequence[tuple[int, int]] = (),
    layout: Sequence[tuple[int, int]] = (),
) -> list[Window]:
    """Cut a parsed text into the windows the tagger reads.

    A window is a run of consecutive sentences of one paragraph (paragraphs as
    :func:`analysis.corpus.paragraph_spans` sees them), at most ``max_tokens`` wordpieces with
    the two special tokens; a longer sentence is cut at word boundaries. Sentences whose every
    letter lies inside one of the ``skip`` regions (quotations the rules own, marks included)
    are left out and end the window.

    Parameters
    ----------
    doc : spacy.tokens.Doc
        The parse of ``normalise_for_parse(text)``.
    tokenizer : tokenizers.Tokenizer
        The tagger's tokenizer; its truncation and padding settings are not used.
    max_tokens : int
        Wordpieces per window, special tokens included.
    skip : sequence of (start, end)
        Character regions whose sentences are not read.
    layout : sequence of (start, end)
        Wire layout (the loader's dateline, sign-offs: :func:`analysis.wire.layout_spans`):
        its wordpieces are not read, and a window never runs across it. Read, "ISLAMABAD:
        Pakistan's army chief ..." looks like a transcript ("PENCE: Well, ...") to the
        tagger, which then gives the place as the speaker of the sentence's own cues.

    Returns
    -------
    list of Window
        In text order; offsets index ``doc.text``.
    """
    from analysis.wire import paragraph_spans

    text = doc_text(doc)
    budget = max_tokens - 2
    out: list[Window] = []
    skip = sorted(skip)
    # Sentences as character spans, each cut at paragraph breaks (the parser may run over one).
    pieces_of: list[tuple[int, int, int]] = []  # (start, end, paragraph)
    paragraphs = paragraph_spans(text)
    starts = [a for a, _ in paragraphs]
    # Token attributes as plain integers: walking Token objects costs more than the tagger here.
    from spacy.attrs import IDX, IS_SPACE, LENGTH, SENT_START

    current = None
    for i, (idx, length, sent_start, space) in enumerate(
        doc.to_array([IDX, LENGTH, SENT_START, IS_SPACE]).astype("int64").tolist()
    ):
        if (i == 0 or sent_start == 1) and current is not None:
            pieces_of.append(current)
            current = None
        if space:
            continue
        k = bisect_right(starts, idx) - 1
        if k < 0 or idx >= paragraphs[k][1]:
            continue
        if current is not None and current[2] == k:
            current = (current[0], idx + length, k)
        else:
            if current is not None:
                pieces_of.append(current)
            current = (idx, idx + length, k)
    if current is not None:
        pieces_of.append(current)
    by_paragraph: dict[int, list[tuple[int, int]]] = {}
    for s_start, s_end, k in pieces_of:
        by_paragraph.setdefault(k, []).append((s_start, s_end))
    for k, (p_start, p_end) in enumerate(paragraphs):
        sents = by_paragraph.get(k)
        if not sents:
            continue
        enc = tokenizer.encode(text[p_start:p_end], add_special_tokens=False)
        ids = enc.ids
        offsets = [(a + p_start, b + p_start) for a, b in enc.offsets]
        words = list(enc.word_ids)
        pos = 0  # next wordpiece of the paragraph
        current: list[int] = []  # wordpiece indices of the window being built
        for s_start, s_end in sents:
            while pos < len(ids) and offsets[pos][0] < s_start:
                pos += 1
            pieces = []
            while pos < len(ids) and offsets[pos][0] < s_end:
                if layout and any(a <= offsets[pos][0] < b for a, b in layout):
                    # A window is a contiguous run of wordpieces: layout ends the one so far.
                    out.extend(_window(ids, offsets, words, current + pieces))
                    current, pieces = [], []
                else:
                    pieces.append(pos)
                pos += 1
            if not pieces:
                continue
            if skip and _inside_any(s_start, s_end, skip, text):
                out.extend(_window(ids, offsets, words, current))
                current = []
                continue
            if len(current) + len(pieces) > budget:
                out.extend(_window(ids, offsets, words, current))
                current = []
            while len(pieces) > budget:
                # One sentence longer than a window: cut it at a word boundary.
                cut = budget
                while cut > 1 and words[pieces[cut]] == words[pieces[cut - 1]]:
                    cut -= 1
                out.extend(_window(ids, offsets, words, pieces[:cut]))
                pieces = pieces[cut:]
            current.extend(pieces)
        out.extend(_window(ids, offsets, words, current))
    return out


def _window(ids, offsets, words, pieces: list[int]) -> list[Window]:
    """The window of the consecutive wordpieces ``pieces`` of a paragraph (none when empty)."""
    if not pieces:
        return []
    lo, hi = pieces[0], pieces[-1] + 1
    first_word = words[lo] or 0
    return [
        Window(
            offsets[lo][0],
            offsets[hi - 1][1],
            tuple(ids[lo:hi]),
            tuple(offsets[lo:hi]),
            tuple((w or 0) - first_word for w in words[lo:hi]),
        )
    ]


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


class AttributionTagger:
    """The learned source/cue/content tagger shipped in ``analysis/models/attribution``.

    Runs an int8 ONNX token classifier (all-MiniLM-L6-v2, fine-tuned on PolNeAR; see
    ``meta.json``) with :class:`analysis.encoder.OnnxModel`'s session and tokenizer. Every
    window is one onnxruntime call without padding, so a text gets the same tags whatever else
    is tagged with it (dynamic int8 scales are computed per call).

    Parameters
    ----------
    model_dir : str or Path, optional
        Folder with ``model.onnx``, ``tokenizer.json`` and ``meta.json``.
    intra_op_num_threads : int, default 1
        onnxruntime threads per call.
    """

    def __init__(self, model_dir=None, *, intra_op_num_threads: int = 1) -> None:
        from analysis.encoder import OnnxModel

        self.model = OnnxModel(
            model_dir or config.ATTRIBUTION_MODEL_DIR, intra_op_num_threads=intra_op_num_threads
        )
        meta = self.model.meta
        self.labels = tuple(meta.get("labels", LABELS))
        self.max_tokens = int(meta.get("max_length", DEFAULT_MAX_TOKENS))
        self._tokenizer = None
        #: :func:`decode`'s transition scores from the folder's :data:`TRANSITIONS_FILE`, or
        #: None (each word its most probable label) when there is none.
        self.transitions = None
        path = self.model.model_dir / TRANSITIONS_FILE
        if path.is_file():
            from analysis.encoder import ModelFilesError

            try:
                self.transitions = transition_scores(
                    json.loads(path.read_text(encoding="utf-8")), self.labels
                )
            except (ValueError, KeyError) as exc:
                raise ModelFilesError(
                    f"{path}: not a table of this model's labels ({exc})"
                ) from exc

    @property
    def tokenizer(self):
        """The model's tokenizer without truncation or padding (windows are cut beforehand)."""
        if self._tokenizer is None:
            from tokenizers import Tokenizer

            from analysis.encoder import TOKENIZER_FILE

            tok = Tokenizer.from_file(str(self.model.model_dir / TOKENIZER_FILE))
            tok.no_truncation()
            tok.no_padding()
            self._tokenizer = tok
        return self._tokenizer

    def windows(
        self,
        doc,
        *,
        skip: Sequence[tuple[int, int]] = (),
        layout: Sequence[tuple[int, int]] = (),
    ) -> list[Window]:
        """:func:`windows` of ``doc`` with this model's tokenizer and window length."""
        return windows(doc, self.tokenizer, max_tokens=self.max_tokens, skip=skip, layout=layout)

    def probabilities(self, window: Window) -> np.ndarray:
        """Label probabilities (wordpieces, labels) of one window, special tokens removed."""
        cls_id = self.tokenizer.token_to_id("[CLS]")
        sep_id = self.tokenizer.token_to_id("[SEP]")
        ids = np.array([[cls_id, *window.ids, sep_id]], dtype=np.int64)
        # The shipped graph takes input_ids alone (a window is never padded); a graph with an
        # attention_mask input gets all ones.
        feed = {
            name: ids if name == "input_ids" else np.ones_like(ids)
            for name in self.model.input_names
        }
        logits = self.model.session.run(None, feed)[0][0]
        return _softmax(logits[1:-1].astype(np.float64))

    def tag(
        self,
        doc,
        *,
        skip: Sequence[tuple[int, int]] = (),
        layout: Sequence[tuple[int, int]] = (),
    ) -> list[tuple[Window, list[TaggedSpan]]]:
        """Return every window of ``doc`` with the source, cue and content spans found in it
        (``skip`` and ``layout`` as for :func:`windows`)."""
        found = self.windows(doc, skip=skip, layout=layout)
        probs = [self.probabilities(w) for w in found]
        tagged = decode_windows(found, probs, self.labels, self.transitions)
        return list(zip(found, tagged, strict=True))


@functools.lru_cache(maxsize=4)
def default_tagger(model_dir: str | None = None) -> AttributionTagger | None:
    """The shared tagger of this process, or None when the model files are not installed."""
    folder = Path(model_dir) if model_dir is not None else config.ATTRIBUTION_MODEL_DIR
    if not (folder / "model.onnx").is_file():
        return None
    return AttributionTagger(folder)


# --------------------------------------------------------------------------------------------
# Linking: each content to its cue, each cue to its source


class Reported(NamedTuple):
    """One attribution the tagger found: content pieces, the cue and the source's head token."""

    contents: tuple[tuple[int, int], ...]
    cue: tuple[int, int]
    cue_token: int  # index in the Doc of the cue's head word
    source: tuple[int, int] | None  # the source span (the tagger's, else the cue's subject)
    source_token: int | None  # index in the Doc of the source's head word
    score: float  # mean of the content spans' scores


def _gap(a: tuple[int, int], b: tuple[int, int]) -> int:
    return max(0, max(a[0], b[0]) - min(a[1], b[1]))


def _span(doc, start: int, end: int):
    return doc.char_span(start, end, alignment_mode="expand")


def _link_content(doc, content: TaggedSpan, cues: list[TaggedSpan], cue_of: dict[int, int]):
    """Index of the cue that reports ``content``: through the parse, else the nearest one."""
    span = _span(doc, content.start, content.end)
    inside = {t.i for t in span} if span is not None else set()
    # 1. The content's clause hangs off its cue ("said that ...", "“...,” he said").
    for tok in span if span is not None else ():
        if tok.head.i in inside and tok.head.i != tok.i:
            continue
        anc = tok
        for _ in range(4):
            if anc.head is anc:
                break
            anc = anc.head
            if anc.i in inside:
                break
            if anc.i in cue_of:
                return cue_of[anc.i]
    # 2. The cue hangs off the content ("according to X, ...", "..., he said, ...").
    for i, k in cue_of.items():
        if i in inside:
            continue
        tok = doc[i]
        for _ in range(2):
            if tok.head is tok:
                break
            tok = tok.head
            if tok.i in inside:
                return k
    # 3. The nearest cue outside the content.
    ranked = [
        (_gap((q.start, q.end), (content.start, content.end)), k)
        for k, q in enumerate(cues)
        if not (content.start <= q.start and q.end <= content.end)
    ]
    return min(ranked)[1] if ranked else None


def _cue_head(doc, cue: TaggedSpan):
    """The head word of a cue span ("has said" -> said, "according to" -> according)."""
    span = _span(doc, cue.start, cue.end)
    if span is None or not len(span):
        return None
    for tok in span:
        if tok.lower_ == "according":
            return tok
    verbs = [t for t in span if t.pos_ in {"VERB", "AUX"} and t.dep_ not in {"aux", "auxpass"}]
    return verbs[0] if verbs else span.root


def _cue_speaker(tok):
    """The parse's speaker token of a cue word ("X said", "said X", "according to X")."""
    from analysis.quotes import _cue_subject  # the rules' subject of a cue verb

    if tok.lower_ == "according":
        for child in tok.children:
            if child.lower_ == "to":
                for grand in child.children:
                    if grand.dep_ == "pobj":
                        return grand
        return None
    return _cue_subject(tok, set())


def link(doc, tagged: list[tuple[Window, list[TaggedSpan]]]) -> list[Reported]:
    """Group the tagger's spans into attributions, window by window, in text order.

    A content goes to the cue its clause hangs off in the parse (or that hangs off it), else to
    the nearest cue of its window; contents of one cue are the pieces of one attribution. The
    source is the tagged span holding the cue's subject, else the nearest tagged source outside
    the contents, else the cue's subject from the parse. Contents with no cue in their window
    are dropped.

    The tagger's output is then checked with general rules, each kept only when it raised the
    PolNeAR dev figures of ``benchmarks/bench_attribution.py`` (overlap F1 and speaker
    accuracy): a cue's head word is a verb, noun or preposition, or the colon after a
    speaker's name (:func:`~analysis.attribution_checks.cue_ok`); pieces of one cue split
    by a word or two tagged as a source are joined (:func:`~analysis.attribution_checks.merge_pieces`); a piece of one
    word, or of a few words without a verb, is dropped unless it is the subject of another
    piece (:func:`~analysis.attribution_checks.is_fragment`); a second piece ending in a preposition whose object lies
    outside it is dropped (:func:`~analysis.attribution_checks.dangles`); a tagged source headed by a preposition or
    determiner is ignored.
    """
    out: list[Reported] = []
    for _window, spans in tagged:
        contents = [s for s in spans if s.role == "content"]
        cues = [s for s in spans if s.role == "cue"]
        sources = [s for s in spans if s.role == "source"]
        if not contents or not cues:
            continue
        cue_of: dict[int, int] = {}
        for k, q in enumerate(cues):
            span = _span(doc, q.start, q.end)
            for tok in span if span is not None else ():
                cue_of.setdefault(tok.i, k)
        groups: dict[int, list[TaggedSpan]] = {}
        for c in contents:
            k = _link_content(doc, c, cues, cue_of)
            if k is not None:
                groups.setdefault(k, []).append(c)
        for k, pieces in sorted(groups.items(), key=lambda kv: kv[1][0].start):
            q = cues[k]
            head = _cue_head(doc, q)
            if head is None:
                continue
            if not checks.cue_ok(head, q, sources):
                continue
            pieces = checks.merge_pieces(doc, pieces, cues, sources)
            pieces = [c for c in pieces if not checks.is_fragment(doc, c, pieces)]
            if len(pieces) > 1:
                longest = max(pieces, key=lambda c: c.end - c.start)
                pieces = [c for c in pieces if c is longest or not checks.dangles(doc, c)]
            if not pieces:
                continue
            source, source_tok = _link_source(doc, head, sources, pieces)
            out.append(
                Reported(
                    tuple((c.start, c.end) for c in pieces),
                    (q.start, q.end),
                    head.i,
                    source,
                    source_tok,
                    float(np.mean([c.score for c in pieces])),
                )
            )
    return out


def _link_source(doc, head, sources: list[TaggedSpan], pieces: list[TaggedSpan]):
    """(source span, head token index) of the cue word ``head``, or (None, None)."""

    def in_content(start: int, end: int) -> bool:
        return any(c.start <= start and end <= c.end for c in pieces)

    sources = [s for s in sources if checks.source_head_ok(doc, s)]
    subj = _cue_speaker(head)
    if subj is not None:
        for s in sources:
            if s.start <= subj.idx < s.end:
                return (s.start, s.end), subj.i
    cue = (head.idx, head.idx + len(head))
    ranked = [(_gap((s.start, s.end), cue), s) for s in sources if not in_content(s.start, s.end)]
    if ranked:
        _, best = min(ranked, key=lambda r: (r[0], r[1].start))
        span = _span(doc, best.start, best.end)
        if span is not None and len(span):
            return (best.start, best.end), span.root.i
    if subj is not None and not in_content(subj.idx, subj.idx + len(subj)):
        return (subj.idx, subj.idx + len(subj)), subj.i
    return None, None


# --------------------------------------------------------------------------------------------
# The quotes table: quotations from the rules, reported speech from the tagger, non-answers


def _row(article_id, start, end, text, kind, cue, cue_tok, speaker, attribution, role) -> dict:
    """One quotes-table row (columns of :data:`TABLE_COLUMNS`)."""
    return {
        "article_id": article_id,
        "start": start,
        "end": end,
        "quote": text[start:end],
        "kind": kind,
        "cue": cue,
        "speaker": speaker.name if speaker is not None else None,
        "speaker_start": speaker.start if speaker is not None else None,
        "speaker_end": speaker.end if speaker is not None else None,
        "speaker_kind": speaker.kind if speaker is not None else "unknown",
        "cue_start": cue_tok.idx if cue_tok is not None else None,
        "cue_end": cue_tok.idx + len(cue_tok) if cue_tok is not None else None,
        "attribution": attribution,
        "role": role,
    }


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _has_word(text: str, start: int, end: int) -> bool:
    return any(c.isalnum() for c in text[start:end])


def _cue_lemma(tok) -> str:
    return "according to" if tok.lower_ == "according" else tok.lemma_.lower()


def extract_attributions(
    doc,
    article: Mapping,
    *,
    mentions: list[dict] | None = None,
    tagger: AttributionTagger | bool = False,
) -> list[dict]:
    """Return the ``quotes`` table rows of one article: quotations, reported speech, non-answers.

    Quotations and their speakers come from :func:`analysis.quotes.quotes`, unchanged (kinds
    ``direct`` and ``partial``). Reported speech comes from the attribution tagger
    (:class:`AttributionTagger`), its pieces linked by :func:`link`: a content the rules
    already hold as a quotation is left to them; a content holding a partial quotation is
    ``mixed`` and joins the quotation's attribution (its cue and speaker); any other content is
    ``indirect``. Speakers of reported speech are resolved as for quotations (pronouns,
    descriptions, anonymous sources; :class:`analysis.quotes._Resolver`). Non-answers
    (:func:`analysis.sources.non_answers`) are rows of kind ``non_answer``. Every row has a
    ``role`` (:func:`analysis.sources.source_role`).

    Parameters
    ----------
    doc : spacy.tokens.Doc
        The parse of ``normalise_for_parse(article["text"])``.
    article : mapping
        At least ``article_id`` and ``text``.
    mentions : list of dict, optional
        The article's ``mentions`` rows (the feature store passes them); by default
        :func:`analysis.entities.extract_mentions` is called.
    tagger : AttributionTagger or bool, default False
        ``False`` (the feature store's default ``quotes`` table) gives the rules' quotations,
        non-answers and roles only; ``True`` the shipped model (:func:`default_tagger`; missing
        model files raise :class:`analysis.encoder.ModelFilesError`), or pass a tagger.

    Returns
    -------
    list of dict
        Rows ordered by ``start``: the columns of :data:`TABLE_COLUMNS`. Pieces of one
        attribution share ``attribution``; quotations keep the numbers the rules gave them and
        reported speech is numbered after them, in text order.
    """
    from analysis import quotes as rules
    from analysis import sources, speakers
    from analysis.quote_marks import quote_spans

    text = article["text"]
    article_id = article["article_id"]
    if mentions is None:
        mentions = rules._entity_mentions(doc, article)
    found = list(rules.quotes(doc, text=text, mentions=mentions))
    rows = []
    for q in found:
        row = {"article_id": article_id, **q._asdict(), "role": None}
        rows.append({c: row[c] for c in TABLE_COLUMNS})
    quoted: set[int] = set()
    regions = []
    for s, e in quote_spans(text):
        region = (max(0, s - 1), min(len(text), e + 1))
        regions.append(region)
        span = _span(doc, *region)
        quoted.update(t.i for t in span or ())
    resolver = speakers._Resolver(doc, mentions, quoted)
    for q in found:
        if q.speaker is not None and q.speaker_start is not None:
            head = q.speaker.split()[-1].lower()
            resolver.history.append(
                speakers._Speaker(
                    q.speaker, q.speaker_start, q.speaker_end, q.speaker_kind, head, q.speaker_start
                )
            )
    next_id = 1 + max((q.attribution for q in found if q.attribution is not None), default=-1)
    if tagger is True:
        tagger = _shipped_tagger()
    reported = []
    if tagger:
        from analysis.wire import layout_spans, loader_dateline

        # The wire layout the loader read (dateline, sign-offs) is not story: not tagged.
        layout = layout_spans(text, loader_dateline(article))
        reported = link(doc, tagger.tag(doc, skip=regions, layout=layout))
    # A non-answer inside quotation marks ("“I decline to comment,” he said") is what was said.
    found_answers = list(sources.non_answers(doc))
    answers = {n.cue_token: n for n in found_answers if n.cue_token not in quoted}
    # "refused to elaborate": the non-answer rule owns the span and its kind, as without the
    # tagger (the tagger's span drops "to" and would renumber the row).
    non_answer_cues = {n.cue_token for n in found_answers}
    for rep in reported:
        if rep.cue_token in non_answer_cues:
            continue
        pieces = []
        inner_quotes: list = []  # the rules' quotations inside the content, first first
        for start, end in rep.contents:
            start, end = _trim(text, start, end)
            if end <= start:
                continue
            length = end - start
            covered = any(max(0, min(end, b) - max(start, a)) >= 0.5 * length for a, b in regions)
            # A reported clause around a partial quotation ("he has “good health” for a
            # 63-year-old") is content even when the quotation is most of it.
            if covered and not any(
                q.kind == "partial"
                and start <= q.start
                and q.end <= end
                and (_has_word(text, start, q.start) or _has_word(text, q.end, end))
                for q in found
            ):
                continue
            start, end = checks.trim_ends(text, start, end)
            if any(checks.frames_quote(q, start, end) for q in found):
                continue
            inner = [q for q in found if start <= q.start and q.end <= end]
            inner_quotes.extend(q for q in inner if q.attribution is not None)
            pieces.append((start, end, "mixed" if inner else "indirect"))
        if not pieces:
            continue
        cue_tok = doc[rep.cue_token]
        speaker = _speaker(doc, resolver, rep.source_token)
        # Join the rules' attribution when both readings agree on it: the same cue word, or a
        # quotation inside the content given to the same speaker (the rules are the stronger
        # on speakers). A quotation the rules gave to someone else keeps its own attribution.
        adopted = next((q for q in found if q.cue_start == cue_tok.idx), None)
        if adopted is None:
            adopted = next((q for q in inner_quotes if _agree(q, speaker, rep)), None)
        answer = answers.pop(rep.cue_token, None)
        if adopted is not None:
            speaker = speakers._Speaker(
                adopted.speaker, adopted.speaker_start, adopted.speaker_end,
                adopted.speaker_kind, "", adopted.speaker_start,
            ) if adopted.speaker is not None else None  # fmt: skip
            attribution = adopted.attribution
            cue_tok = doc.char_span(adopted.cue_start, adopted.cue_end, alignment_mode="expand")[0]
        else:
            attribution = next_id
            next_id += 1
            if speaker is not None:
                resolver.history.append(speaker)
        for start, end, kind in pieces:
            rows.append(
                _row(
                    article_id,
                    start,
                    end,
                    text,
                    sources.NON_ANSWER if answer is not None else kind,
                    _cue_lemma(cue_tok),
                    cue_tok,
                    speaker,
                    attribution,
                    None,
                )
            )
    taken = [(r["start"], r["end"]) for r in rows]
    for answer in answers.values():
        if any(a < answer.end and answer.start < b for a, b in taken):
            continue
        speaker = _speaker(doc, resolver, answer.subject_token)
        cue_tok = doc[answer.cue_token]
        rows.append(
            _row(
                article_id,
                answer.start,
                answer.end,
                text,
                sources.NON_ANSWER,
                _cue_lemma(cue_tok),
                cue_tok,
                speaker,
                next_id,
                None,
            )
        )
        next_id += 1
    for row in rows:
        row["role"] = _role(doc, row, mentions)
    rows.sort(key=lambda r: (r["start"], r["end"]))
    return rows


def _shipped_tagger() -> AttributionTagger:
    """:func:`default_tagger`, or an error naming the folder when its model is not installed."""
    from analysis.encoder import ModelFilesError

    found = default_tagger()
    if found is None:
        raise ModelFilesError(
            f"{config.ATTRIBUTION_MODEL_DIR}: the attribution model (model.onnx) is not "
            "installed; reported speech needs it (scripts/train_attribution.py builds it)"
        )
    return found


def extract_reported_speech(doc, article: Mapping, *, mentions: list[dict] | None = None):
    """The ``quotes`` rows of :func:`extract_attributions` with the shipped tagger.

    The feature store's extractor of the ``quotes`` table under the ``reported_speech`` option
    (``extract --reported-speech``; :data:`analysis.features.OPTIONS`).
    """
    return extract_attributions(doc, article, mentions=mentions, tagger=True)


def _agree(quote, speaker, rep: Reported) -> bool:
    """True when the rules' ``quote`` and the tagger's attribution name the same speaker."""
    if quote.speaker is None or speaker is None:
        return False
    if quote.speaker == speaker.name:
        return True
    if rep.source is None or quote.speaker_start is None:
        return False
    return quote.speaker_start < rep.source[1] and rep.source[0] < quote.speaker_end


def _speaker(doc, resolver, token_index: int | None):
    """The resolved speaker record of a source head word (a document keeps its own words)."""
    from analysis import speakers
    from analysis.sources import DOCUMENT_NOUNS

    if token_index is None:
        return None
    head = doc[token_index]
    if head.lemma_.lower() in DOCUMENT_NOUNS and head.pos_ == "NOUN":
        i, j = speakers._mention(head, doc)
        span = doc[i:j]
        return speakers._Speaker(
            span.text, span.start_char, span.end_char, "unknown", head.lower_, span.start_char
        )
    return resolver.speaker(head)


def _role(doc, row: dict, mentions) -> str:
    from analysis.sources import source_role

    head = None
    if row["speaker_start"] is not None:
        span = doc.char_span(row["speaker_start"], row["speaker_end"], alignment_mode="expand")
        if span is not None and len(span):
            head = span.root
    return source_role(doc, head, row["speaker"], row["speaker_kind"], mentions)


def attribution_table(docs, articles, *, tagger: AttributionTagger | bool = True) -> pd.DataFrame:
    """Return the full ``quotes`` table (every kind) of parsed ``docs`` of ``articles``, in order.

    Parameters
    ----------
    docs : iterable of Doc
        One parse per article, as :func:`analysis.nlp.parse` yields them.
    articles : pandas.DataFrame or iterable of mapping
        Articles with ``article_id`` and ``text``, in the order of ``docs``.
    tagger : AttributionTagger or bool, default True
        As :func:`extract_attributions`' (here the shipped model by default).
    """
    import pandas as pd

    records = articles.to_dict("records") if hasattr(articles, "to_dict") else list(articles)
    rows: list[dict] = []
    for doc, article in zip(docs, records, strict=True):
        rows.extend(extract_attributions(doc, article, tagger=tagger))
    return pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
