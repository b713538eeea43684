"""Checks on the attribution tagger's spans before they become quotes-table rows.

The learned tagger (:mod:`analysis.attribution`) marks sources, cues and contents word by word;
its output has pieces that are no attribution: a colon marked as a cue, a lone word marked as a
content, one content broken at a name. These general rules, applied by
:func:`analysis.attribution.link` and :func:`analysis.attribution.extract_attributions`, drop
or mend such pieces. Each was kept only when it raised (or left) the PolNeAR dev figures of
``benchmarks/bench_attribution.py``: overlap F1 and speaker accuracy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from analysis.attribution import TaggedSpan

#: Parts of speech a cue's head word may have: a speech or thought verb ("said", "has denied"),
#: noun ("claims", "word") or preposition ("according to", "in a statement", "as X put it").
#: An adverb, adjective or name the tagger marked as a cue reports nothing (adjectives and
#: names lowered the dev figures when allowed; prepositions raised them).
CUE_POS = frozenset({"VERB", "AUX", "NOUN", "ADP"})
#: Words between two content pieces of one cue that still make them one content (a name the
#: tagger read as a source inside the content, "General [Ashfaq] Kayani").
MAX_GAP_WORDS = 2
#: A content piece of at most this many words needs a verb ("is run by" has one, "a rare
#: conference" none) unless the tagger is sure of it (:data:`SURE_SCORE`). Longer noun phrases
#: stay: "accused X of involvement in ..." reports one.
SHORT_WORDS = 3
#: A content piece whose words' mean label probability is below this is dropped: the tagger is
#: unsure of it. Chosen on PolNeAR dev (0.5-0.6 all raised overlap F1, tried with the six-layer
#: model; the shipped five-layer one scores alike).
MIN_SCORE = 0.6
#: A short piece without a verb (or a lone word) stays when the tagger is at least this sure of
#: it. PolNeAR marks such contents where an attitude is reported ("attacked [Machado]",
#: "was first reported by [The registration issue]"); with the six-layer model, keeping the
#: sure ones raised dev overlap F1 (dropping them all lowered it by 0.02, keeping them all by
#: 0.01; 0.65-0.8 scored alike).
SURE_SCORE = 0.7


def cue_ok(head, cue: TaggedSpan, sources: Sequence[TaggedSpan]) -> bool:
    """True when the head word of a tagged cue can report something.

    A word of :data:`CUE_POS`, or the colon of a transcript line ("PENCE: Well, look, ...")
    right after a tagged source; a dateline's colon ("ISLAMABAD: Pakistan's army ...") has
    none before it and reports nothing.

    Parameters
    ----------
    head : spacy.tokens.Token
        The cue's head word (:func:`analysis.attribution._cue_head`).
    cue : TaggedSpan
        The cue span.
    sources : sequence of TaggedSpan
        The sources of the same window.

    Returns
    -------
    bool
    """
    if head.pos_ in CUE_POS or head.lower_ == "according":
        return True
    return head.text == ":" and any(0 <= cue.start - s.end <= 1 for s in sources)


def merge_pieces(
    doc, pieces: list[TaggedSpan], cues: list[TaggedSpan], sources: list[TaggedSpan]
) -> list[TaggedSpan]:
    """Join content pieces of one cue separated by a word or two the tagger read as a source.

    The tagger sometimes breaks one content at a name inside it ("General [Ashfaq] Kayani, had
    cancelled ..."); when the gap is a word or two of the same sentence, all inside a tagged
    source, with no cue, the pieces are one content.

    Parameters
    ----------
    doc : spacy.tokens.Doc
        The parse the spans' character offsets index.
    pieces : list of TaggedSpan
        The contents linked to one cue.
    cues, sources : list of TaggedSpan
        The cues and sources of the same window.

    Returns
    -------
    list of TaggedSpan
        The pieces in text order, joined ones as one span (mean score).
    """
    out: list[TaggedSpan] = []
    for piece in sorted(pieces, key=lambda c: c.start):
        if out:
            prev = out[-1]
            gap = doc.char_span(prev.end, piece.start, alignment_mode="expand")
            words = [t for t in gap if not (t.is_punct or t.is_space)] if gap is not None else []
            if (
                gap is not None
                and 0 < len(words) <= MAX_GAP_WORDS
                and all(any(r.start <= t.idx < r.end for r in sources) for t in words)
                and not any(t.is_sent_start for t in gap)
                and not any(prev.end <= q.start and q.end <= piece.start for q in cues)
                and doc[gap.start].sent == doc[max(0, gap.start - 1)].sent
            ):
                out[-1] = prev._replace(end=piece.end, score=(prev.score + piece.score) / 2)
                continue
        out.append(piece)
    return out


def is_fragment(doc, piece: TaggedSpan, others: Sequence[TaggedSpan] = ()) -> bool:
    """True when a content piece is not what was said: unsure, or short and not sure.

    A content is mostly a clause ("that the budget grew"), a verb phrase ("to resign") or a
    noun phrase of some length ("Pakistan's intelligence agency of involvement in the
    attack"). A piece the tagger is unsure of (:data:`MIN_SCORE`) is dropped; so is a lone
    word ("army", "AFP", "meeting"), a span of punctuation, or a few words without a verb
    ("Prime Minister", "the costs") unless the tagger is sure of it (:data:`SURE_SCORE`):
    such pieces are mostly ones that missed their clause, and sometimes the object of an
    attitude ("attacked [Machado]"). Measured on PolNeAR dev
    (benchmarks/bench_attribution.py): requiring a verb of longer pieces too lost more true
    contents than junk. The subject of a verb in another piece of its attribution ("The talks,
    officials said, would resume") is part of that clause and stays.

    Parameters
    ----------
    doc : spacy.tokens.Doc
        The parse the spans' character offsets index.
    piece : TaggedSpan
        A content span.
    others : sequence of TaggedSpan
        Every content piece of the same attribution (``piece`` may be among them).

    Returns
    -------
    bool
    """
    if piece.score < MIN_SCORE:
        return True
    span = doc.char_span(piece.start, piece.end, alignment_mode="expand")
    if span is None:
        return True
    words = [t for t in span if not (t.is_punct or t.is_space)]
    if not words:
        return True
    elsewhere = set()
    for other in others:
        if other is not piece:
            o = doc.char_span(other.start, other.end, alignment_mode="expand")
            elsewhere.update(range(o.start, o.end) if o is not None else ())
    if any(t.head.i in elsewhere and t.dep_ in {"nsubj", "nsubjpass"} for t in words):
        return False
    short = len(words) < 2 or (
        len(words) <= SHORT_WORDS and not any(t.pos_ in {"VERB", "AUX"} for t in words)
    )
    if not short:
        return False
    # The object of a verb whose clause is another piece is the one told, however sure the
    # tagger is ("told [AFP] that talks failed"); alone, a short piece may be the content.
    root = span.root
    told = root.dep_ in {"dative", "dobj", "iobj"} and any(
        doc[i].head.i == root.head.i and doc[i].dep_ in {"ccomp", "xcomp"} for i in elsewhere
    )
    # Without a noun, name, pronoun or number a short piece names nothing ("Instead", "also").
    names = any(t.pos_ in {"NOUN", "PROPN", "PRON", "NUM"} for t in words)
    return told or not names or piece.score < SURE_SCORE


def dangles(doc, piece: TaggedSpan) -> bool:
    """True when a piece ends in a preposition or conjunction whose words lie outside it.

    "founded by", "a visit to London as": the tagger cut the phrase short. Only a second
    piece of an attribution is dropped for this (a lone content ending so is more often a
    whole one the parse reads oddly; measured on PolNeAR dev).

    Parameters
    ----------
    doc : spacy.tokens.Doc
        The parse the span's character offsets index.
    piece : TaggedSpan
        A content span.

    Returns
    -------
    bool
    """
    span = doc.char_span(piece.start, piece.end, alignment_mode="expand")
    words = [t for t in span if not (t.is_punct or t.is_space)] if span is not None else []
    if not words or words[-1].pos_ not in {"ADP", "SCONJ"}:
        return False
    return not any(span.start <= c.i < span.end for c in words[-1].children)


def source_head_ok(doc, source: TaggedSpan) -> bool:
    """True unless a tagged source is headed by a preposition or determiner ("of the").

    Parameters
    ----------
    doc : spacy.tokens.Doc
        The parse the span's character offsets index.
    source : TaggedSpan
        A source span.

    Returns
    -------
    bool
    """
    span = doc.char_span(source.start, source.end, alignment_mode="expand")
    return span is not None and len(span) > 0 and span.root.pos_ not in {"ADP", "DET"}


#: Words ending a content span that join it to the next clause ("... through proxies and
#: [warned]", "... in the region” - [something]", "... at the UN General Assembly, which [she
#: is expected to address]"): the tagger took them along. (Commas and other marks stay:
#: trimming them lowered the dev overlap F1. The relative pronouns added one exact match.)
TRAILING_WORDS = ("and", "but", "or", "which", "who", "-", "–", "—")


def trim_ends(text: str, start: int, end: int) -> tuple[int, int]:
    """``start, end`` without trailing spaces and :data:`TRAILING_WORDS` after a space.

    Parameters
    ----------
    text : str
        The article text.
    start, end : int
        A content span of ``text``.

    Returns
    -------
    tuple of int
        ``(start, end)``, ``end`` moved left.
    """
    while True:
        before = end
        while end > start and text[end - 1].isspace():
            end -= 1
        for word in TRAILING_WORDS:
            cut = end - len(word)
            if cut > start and text[cut:end].lower() == word and text[cut - 1].isspace():
                end = cut
        if end == before:
            return start, end


def frames_quote(quote, start: int, end: int) -> bool:
    """True when text[start:end] holds the cue and speaker of ``quote`` but not the quotation.

    Such a span ("[quoted] a spokesperson as saying, “...”"), ending at most three characters
    before the quotation, is the frame of the rules' quotation, not something said.

    Parameters
    ----------
    quote : analysis.quotes.Quote
        A quotation the rules found (``start``, ``end``, ``cue_start``, ``speaker_start``).
    start, end : int
        A content span of the same text.

    Returns
    -------
    bool
    """
    if quote.cue_start is None or quote.speaker_start is None:
        return False
    if start <= quote.start and quote.end <= end:
        return False
    if not (end <= quote.start and quote.start - end <= 3):
        return False
    return start <= quote.cue_start < end and start <= quote.speaker_start < end
