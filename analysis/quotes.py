"""Quotations and their speakers: quote marks found in the text, speakers from the dependency parse."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, NamedTuple

from analysis import features
from analysis.lexicon import ENTITY_KINDS, QUOTE_CUE_VERBS, TITLES

if TYPE_CHECKING:
    import pandas as pd

#: Columns of the ``quotes`` table (DESIGN.md), then the extra columns this module adds.
QUOTE_COLUMNS = features.feature("quotes").core_columns
#: Extra columns: where the cue verb is, and which quotes share one attribution (one cue instance).
EXTRA_COLUMNS = features.feature("quotes").extra_columns

#: Lemmas of verbs that open a quote (``analysis.lexicon``).
REPORTING_VERBS = QUOTE_CUE_VERBS

#: Nouns that describe a person by role; a subject headed by one without a name is anonymous.
PERSON_NOUNS = frozenset(
    """
    official officials spokesman spokeswoman spokesperson spokesmen source sources diplomat diplomats
    officer officers aide aides adviser advisers advisor advisors minister ministers analyst analysts
    expert experts observer observers resident residents witness witnesses commander commanders
    general generals leader leaders lawmaker lawmakers senator senators congressman congresswoman
    representative representatives secretary ambassador envoy president chairman chairwoman chair
    director executive executives manager worker workers member members man woman men women
    person people voter voters supporter supporters critic critics insider insiders staffer staffers
    strategist strategists operative operatives consultant consultants economist economists
    dealer dealers trader traders investor investors doctor doctors lawyer lawyers attorney
    prosecutor prosecutors judge police policeman soldier soldiers militant militants activist
    activists student students teacher professor researcher researchers scientist scientists
    negotiator negotiators mediator chief candidate candidates nominee governor mayor pollster
    pollsters campaigner journalist journalist reporter reporters editor narrator host father mother
    friend neighbour neighbor user victim survivor
    """.split()  # noqa: SIM905 - a word list reads better as text
)
#: Nouns for bodies that speak as one (organisation speakers without a proper name).
ORG_NOUNS = frozenset(
    """
    military army government ministry office police campaign committee embassy television radio
    agency department court party administration council commission statement spokesmen navy
    force forces company firm bank group network newspaper paper channel broadcaster media
    board union team authorities authority service services cabinet parliament congress senate
    house regime coalition alliance foundation institute organisation organization ministry
    """.split()  # noqa: SIM905 - a word list reads better as text
)
_PERSON_PRONOUNS = frozenset({"he", "she", "him", "her"})
_THING_PRONOUNS = frozenset({"it"})
_PLURAL_PRONOUNS = frozenset({"they", "them"})
_PRONOUNS = _PERSON_PRONOUNS | _THING_PRONOUNS | _PLURAL_PRONOUNS | {"i", "we", "you"}
_DEFINITE = frozenset({"the", "this", "that", "these", "those"})
_ENTITY_KIND = ENTITY_KINDS

_MARK_RE = re.compile(r"''|``|[\"“”„«»‘’']")
_DOUBLE = frozenset({'"', "''", "``", "“", "”", "„", "«", "»"})
_STRAIGHT = frozenset({'"', "''"})
_CURLY_OPEN = frozenset({"“", "„", "«", "``"})
_OPENERS_BEFORE = set(" \t\n([{—–-/:;,") | {"“", "‘", '"', "'", "«"}
_CLOSE_AFTER = set(" \t\n)]}.,;:!?—–-…") | {"”", "’", '"', "'", "»"}
#: A single newline is a paragraph break when the line before it ends like this (else a wrap).
_LINE_END = set(".!?:”’\"'»…")
#: Longest single-quoted stretch taken as a quotation (longer ones are apostrophe accidents).
_MAX_SINGLE = 300


class Quote(NamedTuple):
    """One quotation with its attribution; offsets are character offsets into the text."""

    start: int
    end: int
    quote: str
    kind: str
    cue: str | None
    cue_start: int | None
    cue_end: int | None
    speaker: str | None
    speaker_start: int | None
    speaker_end: int | None
    speaker_kind: str
    attribution: int | None


class _Span(NamedTuple):
    start: int  # first character inside the marks
    end: int  # one past the last character inside the marks
    open_at: int  # offset of the opening mark (== start when the quote has no opening mark)
    close_at: int  # offset one past the closing mark (== end when unclosed)
    pieces: tuple[tuple[int, int], ...]  # inner text pieces, one per paragraph


# --------------------------------------------------------------------------------------------
# Quote spans from the marks


def _paragraph_breaks(text: str) -> list[tuple[int, int]]:
    """Return (start, end) spans of the paragraphs the quote scanner works in."""
    spans = []
    start = 0
    n = len(text)
    i = 0
    while i < n:
        if text[i] == "\n":
            j = i
            while j < n and text[j] in " \t\r\n\xa0\u2028\u2029":
                j += 1
            blank = text.count("\n", i, j) >= 2
            line = text[start:i].rstrip()
            if blank or (line and line[-1] in _LINE_END) or j >= n:
                if line:
                    spans.append((start, start + len(line)))
                start = j
            i = j
        else:
            i += 1
    tail = text[start:].rstrip()
    if tail:
        spans.append((start, start + len(tail)))
    return [(s + (len(text[s:e]) - len(text[s:e].lstrip())), e) for s, e in spans]


def _flanks(text: str, i: int, length: int) -> tuple[bool, bool]:
    """Return (left_flanking, right_flanking) of the mark at ``i``: can it open, can it close."""
    before = text[i - 1] if i > 0 else "\n"
    after = text[i + length] if i + length < len(text) else "\n"
    can_open = (before.isspace() or before in _OPENERS_BEFORE) and not after.isspace()
    can_close = not before.isspace() and (after.isspace() or after in _CLOSE_AFTER)
    return can_open, can_close


def _double_spans(text: str, paragraphs: list[tuple[int, int]]) -> list[_Span]:
    """Pair double quotation marks within and across paragraphs; never raises on bad nesting."""
    out: list[_Span] = []
    open_at = None  # offset of the open mark
    pieces: list[tuple[int, int]] = []
    piece_start = 0
    open_straight = False
    for p_start, p_end in paragraphs:
        marks = [
            (m.start(), m.group())
            for m in _MARK_RE.finditer(text, p_start, p_end)
            if m.group() in _DOUBLE
        ]
        k = 0
        if open_at is not None:
            # Wire convention: a paragraph that continues a quotation opens with a mark and the
            # previous paragraph leaves its quotation unclosed.
            if marks and marks[0][0] == p_start and marks[0][1] not in {"”", "»"}:
                piece_start = p_start + len(marks[0][1])
                k = 1
            else:
                # Unbalanced: the quotation ends with the paragraph it opened in.
                out.append(_close(open_at, pieces, None))
                open_at, pieces = None, []
        nested = False  # a quotation of the other mark style inside the open one
        while k < len(marks):
            pos, mark = marks[k]
            k += 1
            can_open, can_close = _flanks(text, pos, len(mark))
            if open_at is None:
                if mark in {"”", "»"} and not (can_open and not can_close):
                    continue  # a stray closing mark
                if mark in {'"', "''"} and not can_open:
                    continue
                open_at, pieces, open_straight = pos, [], mark in _STRAIGHT
                piece_start = pos + len(mark)
                nested = False
                continue
            straight = mark in _STRAIGHT
            if straight != open_straight:
                # "He said: “x ‘y’ ...” with the other style: a quotation inside the quotation,
                # unless a straight mark is plainly closing a curly opening (sloppy feeds).
                if nested:
                    if can_close:
                        nested = False
                    continue
                if mark in _CURLY_OPEN or (straight and can_open and not can_close):
                    nested = True
                    continue
                if mark in {"”", "»"}:
                    continue  # a stray curly closer inside a straight quotation
            elif (
                mark in _CURLY_OPEN and not (can_close and not can_open)  # “ used as ” happens
            ) or (straight and can_open and not can_close):
                # A new opening while one is open: the earlier one was never closed.
                pieces.append((piece_start, pos))
                out.append(_close(open_at, pieces, None))
                open_at, pieces, open_straight = pos, [], straight
                piece_start = pos + len(mark)
                nested = False
                continue
            pieces.append((piece_start, pos))
            out.append(_close(open_at, pieces, pos + len(mark)))
            open_at, pieces = None, []
        if open_at is not None:
            pieces.append((piece_start, p_end))
            piece_start = p_end
    if open_at is not None:
        out.append(_close(open_at, pieces, None))
    return [s for s in out if s is not None]


def _close(open_at: int, pieces: list[tuple[int, int]], close_at: int | None) -> _Span | None:
    kept = [(s, e) for s, e in pieces if e > s]
    if not kept:
        return None
    start, end = kept[0][0], kept[-1][1]
    return _Span(start, end, open_at, close_at if close_at is not None else end, tuple(kept))


def _single_spans(text: str, paragraphs, taken: list[_Span]) -> list[_Span]:
    """Pair single marks outside double quotations; an apostrophe never opens or closes one."""
    out = []
    covered = [(s.open_at, s.close_at) for s in taken]

    def inside(pos: int) -> bool:
        return any(a <= pos < b for a, b in covered)

    for p_start, p_end in paragraphs:
        open_at = None
        for m in _MARK_RE.finditer(text, p_start, p_end):
            mark, pos = m.group(), m.start()
            if mark not in {"‘", "’", "'"} or inside(pos):
                continue
            before = text[pos - 1] if pos > 0 else " "
            after = text[pos + 1] if pos + 1 < len(text) else " "
            if open_at is None:
                # An opener follows a space or bracket and precedes a letter; ’ and ' inside or
                # after a word are apostrophes (won’t, Pakistan’s, the Haqqanis’).
                if mark != "’" and (before.isspace() or before in "([{—–-") and after.isalnum():
                    open_at = pos
            elif (
                not before.isspace()
                and not after.isalnum()
                and mark in {"’", "'"}
                and pos - open_at <= _MAX_SINGLE
            ):
                out.append(_Span(open_at + 1, pos, open_at, pos + 1, ((open_at + 1, pos),)))
                open_at = None
    return out


def quote_spans(text: str) -> list[tuple[int, int]]:
    """Return (start, end) of every quotation in ``text``, the marks excluded, in order.

    Double marks (straight, curly, ``''``) pair within a paragraph or run across paragraphs when
    the next paragraph opens with a mark; single marks pair only outside double quotations and
    never at an apostrophe. Unbalanced marks end the quotation at its paragraph's end.

    Examples
    --------
    >>> quote_spans('He said “yes” and Pakistan’s ‘no’.')
    [(9, 12), (30, 32)]
    """
    return [(s.start, s.end) for s in _spans(text)]


def _spans(text: str, paragraphs: list[tuple[int, int]] | None = None) -> list[_Span]:
    if paragraphs is None:
        paragraphs = _paragraph_breaks(text)
    doubles = _double_spans(text, paragraphs)
    singles = _single_spans(text, paragraphs, doubles)
    spans = sorted(doubles + singles, key=lambda s: s.start)
    # Trim whitespace inside the marks and drop empty ones.
    out = []
    for s in spans:
        start, end = s.start, s.end
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start and any(ch.isalnum() for ch in text[start:end]):
            out.append(s._replace(start=start, end=end))
    return out


# --------------------------------------------------------------------------------------------
# Speakers from the parse


class _Speaker(NamedTuple):
    name: str
    start: int
    end: int
    kind: str
    head: str  # lower-cased head noun, for matching descriptions
    pos: int  # character offset, for "nearest earlier"


def _is_cue(tok) -> bool:
    return tok.lemma_.lower() in REPORTING_VERBS and tok.pos_ in {"VERB", "AUX"}


def _subject(verb):
    """Return the token that is the speaker of ``verb``, following the usual attribution frames."""
    lemma = verb.lemma_.lower()
    # "quoted X as saying" / "X was quoted as saying": the speaker hangs off "quote".
    if verb.dep_ in {"pcomp", "advcl", "xcomp"} and verb.head.lower_ == "as":
        quoter = verb.head.head
        if quoter.lemma_.lower() == "quote":
            for child in quoter.children:
                if child.dep_ == "nsubjpass":
                    return child
            for child in quoter.children:
                if child.dep_ == "dobj":
                    return child
    if lemma == "quote":
        for child in verb.children:
            if child.dep_ == "nsubjpass":
                return child
    seen = 0
    while verb is not None and seen < 4:
        seen += 1
        for child in verb.children:
            if child.dep_ in {"nsubj", "nsubjpass"}:
                if child.lower_ in {"who", "that", "which"} and verb.dep_ == "relcl":
                    return verb.head
                return child
        for child in verb.children:
            if child.dep_ == "agent":
                for grand in child.children:
                    if grand.dep_ == "pobj":
                        return grand
        # "... and warned", "refused to elaborate": the subject sits on the governing verb.
        if verb.dep_ in {"conj", "xcomp", "advcl"} and verb.head is not verb:
            verb = verb.head
            continue
        if verb.dep_ == "relcl":
            return verb.head
        return None
    return None


def _left_subject(verb, quoted: set[int], window: int = 8):
    """The nearest name or role noun just before a cue the parser left without a subject."""
    i = verb.i - 1
    while i >= 0 and verb.i - i <= window:
        tok = verb.doc[i]
        if tok.i in quoted or tok.text in {".", ";", ":"}:
            return None
        if tok.text == ")":
            # Skip "(R-Wis.)": the name stands before the brackets.
            while i > 0 and verb.doc[i].text != "(":
                i -= 1
            i -= 1
            continue
        if (
            tok.pos_ == "PROPN"
            or tok.lower_ in _PERSON_PRONOUNS | _THING_PRONOUNS | _PLURAL_PRONOUNS
            or tok.lower_ in PERSON_NOUNS
            or tok.lower_ in ORG_NOUNS
        ):
            return tok
        i -= 1
    return None


def _cue_subject(verb, quoted: set[int]):
    """:func:`_subject` of a reporting verb, else the name just before it ("X, Y, said")."""
    subj = _subject(verb)
    if subj is None and verb.lemma_.lower() in REPORTING_VERBS:
        subj = _left_subject(verb, quoted)
    return subj


def _according_to(sent, exclude) -> tuple | None:
    for tok in sent:
        if tok.lower_ == "according" and tok.i not in exclude:
            for child in tok.children:
                if child.lower_ == "to":
                    for grand in child.children:
                        if grand.dep_ == "pobj":
                            return tok, grand
    return None


def _mention(head, doc) -> tuple[int, int]:
    """Return the token range [i, j) of the noun phrase headed by ``head`` (no clauses)."""
    ent = _entity_of(head)
    if ent is not None:
        return ent.start, ent.end
    for child in head.children:
        # "the outgoing top US military officer, Admiral Mike Mullen": the name is the speaker.
        ent = _entity_of(child) if child.dep_ == "appos" else None
        if ent is not None and ent.label_ == "PERSON":
            return ent.start, ent.end
    left = head.i
    for child in head.lefts:
        if child.dep_ in {
            "det",
            "amod",
            "compound",
            "nmod",
            "poss",
            "nummod",
            "quantmod",
            "npadvmod",
            "advmod",
            "case",
            "punct",
        }:
            left = min(left, child.left_edge.i)
    right = head.i + 1
    for child in head.rights:
        if child.dep_ in {"compound", "flat", "case", "relcl"} or (
            child.dep_ == "prep" and child.lower_ in {"of", "for", "at", "from", "with", "in"}
        ):
            right = max(right, child.right_edge.i + 1)
    while left < right - 1 and doc[left].is_punct:
        left += 1
    while right - 1 > left and (doc[right - 1].is_punct or doc[right - 1].is_space):
        right -= 1
    return left, right


def _entity_of(tok):
    """The named-entity span holding ``tok`` (persons, organisations, places), else None."""
    if not tok.ent_type_ or tok.ent_type_ not in _ENTITY_KIND:
        return None
    from spacy.tokens import Span

    # Walk to the entity's edges instead of scanning doc.ents (this runs for many tokens).
    doc = tok.doc
    i = tok.i
    while i > 0 and doc[i].ent_iob_ == "I":
        i -= 1
    j = tok.i + 1
    while j < len(doc) and doc[j].ent_iob_ == "I":
        j += 1
    return Span(doc, i, j, label=tok.ent_type_)


def _strip_title(name: str) -> str:
    words = name.split()
    while (
        len(words) > 1
        and words[0].lower().rstrip(".") + ("." if words[0].endswith(".") else "") in TITLES
    ):
        words = words[1:]
    while len(words) > 1 and words[0].lower() in TITLES:
        words = words[1:]
    name = " ".join(words)
    for suffix in ("’s", "'s"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    return name


class _Resolver:
    """Turns a speaker token into a speaker record: names, anonymous descriptions, pronouns."""

    def __init__(self, doc, actor_mentions: list[dict] | None, quoted: set[int] = frozenset()):
        self.doc = doc
        self.quoted = quoted  # tokens inside quotation marks never speak for the reporter
        self.memo: dict[int, _Speaker] = {}
        self.history: list[_Speaker] = []
        self.actors = actor_mentions or []
        self.person_names = [e for e in doc.ents if e.label_ == "PERSON"]
        self.text = doc.text  # Doc.text joins every token: build it once
        # Sentence of each token, once (Token.sent walks the Doc's sentences on every call).
        self.sents = list(doc.sents)
        self.sent_of = [0] * len(doc)
        for k, sent in enumerate(self.sents):
            for i in range(sent.start, sent.end):
                self.sent_of[i] = k

    def named(self, start: int, end: int, label: str, pos: int) -> _Speaker:
        """Return the speaker record of the named mention spanning characters [start, end)."""
        for row in self.actors:
            if row["start"] < end and start < row["end"] and row.get("actor"):
                kind = _ENTITY_KIND.get(str(row.get("label", "")))
                kind = kind or _ENTITY_KIND.get(label, "unknown")
                head = str(row["actor"]).split()[-1].lower()
                return _Speaker(str(row["actor"]), row["start"], row["end"], kind, head, pos)
        name, kind = self.canonical(start, end, label)
        return _Speaker(name, start, end, kind, name.split()[-1].lower() if name else "", pos)

    def canonical(self, start: int, end: int, label: str) -> tuple[str, str]:
        """Return (name, kind) for a named mention, titles stripped and short forms expanded."""
        text = self.text[start:end]
        name = _strip_title(text)
        kind = _ENTITY_KIND.get(label, "unknown")
        if label == "ORG" and name != text and name and name[0].isupper():
            kind = "person"  # "General Ashfaq Kayani" is tagged ORG by the small model
        if label == "PERSON" or kind == "person":
            words = name.split()
            if len(words) == 1:
                # A family name alone resolves to the fuller name the article gave first.
                for ent in self.person_names:
                    full = _strip_title(ent.text).split()
                    if len(full) > 1 and full[-1] == words[0] and ent.start_char < start:
                        return " ".join(full), "person"
                for sp in self.history:
                    if sp.kind == "person" and sp.name.split()[-1] == words[0] and sp.name != name:
                        return sp.name, "person"
        if name.lower().startswith("the ") and kind in {"organisation", "place"}:
            name = name[4:]
        return name, kind

    def speaker(self, head) -> _Speaker:
        if head.i not in self.memo:
            self.memo[head.i] = self._speaker(head)
        return self.memo[head.i]

    def _speaker(self, head) -> _Speaker:
        doc = self.doc
        i, j = _mention(head, doc)
        span = doc[i:j]
        start, end = span.start_char, span.end_char
        low = head.lower_
        if low in _PRONOUNS and j - i == 1:
            found = self._resolve_pronoun(low, start)
            if found is not None:
                return _Speaker(found.name, start, end, found.kind, found.head, start)
            return _Speaker(head.text, start, end, "unknown", low, start)
        # Names count only in the noun phrase proper, not in its clauses ("who spoke to AFP").
        core = [t for t in span if t.i <= head.i or t.dep_ in {"compound", "flat"}]
        ent = None
        for tok in core:
            ent = _entity_of(tok)
            if ent is not None and ent.label_ in {"PERSON", "ORG", "GPE", "FAC", "LOC"}:
                break
            ent = None
        if ent is not None and (ent.root is head or head.i in range(ent.start, ent.end)):
            return self.named(ent.start_char, ent.end_char, ent.label_, start)
        head_word = head.lower_
        text = span.text
        has_name = any(t.pos_ == "PROPN" and t.ent_type_ not in {"NORP"} for t in core)
        if head_word in ORG_NOUNS and not has_name:
            return self._description(span, head, "organisation")
        if head_word in PERSON_NOUNS and not has_name:
            return self._description(span, head, "anonymous")
        if ent is not None:
            return self.named(ent.start_char, ent.end_char, ent.label_, start)
        kind = "person" if head.pos_ == "PROPN" else "unknown"
        return _Speaker(_strip_title(text), start, end, kind, head_word, start)

    def _description(self, span, head, kind: str) -> _Speaker:
        start, end = span.start_char, span.end_char
        first = span[0].lower_
        if first in _DEFINITE:
            # "the official", "the spokesman": the nearest earlier speaker described the same way.
            for sp in reversed(self._candidates(start)):
                if sp.head == head.lower_ or head.lower_ in sp.name.lower().split():
                    return _Speaker(sp.name, start, end, sp.kind, sp.head, start)
        return _Speaker(span.text, start, end, kind, head.lower_, start)

    def _candidates(self, pos: int) -> list[_Speaker]:
        """Earlier speakers, and subjects of this and the three sentences before, nearest last."""
        candidates = [sp for sp in self.history if sp.pos < pos]
        # "Gilani has called ..., although he dismissed ...": the subject need not have spoken.
        span = self.doc.char_span(pos, pos + 1, alignment_mode="expand")
        if span is not None and len(span):
            # Three sentences back: a quotation of two sentences may sit in between.
            first = self.sents[max(0, self.sent_of[span[0].i] - 3)].start
            for tok in self.doc[first : span[0].i]:
                if (
                    tok.dep_ in {"nsubj", "nsubjpass"}
                    and tok.lower_ not in _PRONOUNS
                    and tok.i not in self.quoted
                    and tok.pos_ in {"NOUN", "PROPN"}
                ):
                    candidates.append(self.speaker(tok))
        candidates.sort(key=lambda sp: sp.pos)
        return candidates

    def _resolve_pronoun(self, pronoun: str, pos: int) -> _Speaker | None:
        for sp in reversed(self._candidates(pos)):
            if sp.pos >= pos:
                continue
            if pronoun in _PERSON_PRONOUNS and sp.kind in {"person", "anonymous"}:
                if sp.kind == "anonymous" and sp.head not in PERSON_NOUNS:
                    continue
                return sp
            if pronoun in _THING_PRONOUNS and sp.kind in {"organisation", "place"}:
                return sp
            if pronoun in _PLURAL_PRONOUNS and (
                sp.kind in {"organisation", "place"} or sp.head.endswith("s")
            ):
                return sp
        return None


#: Cues whose object is followed by quoted words that name it: "called the plan “a disgrace”".
_NAMING_CUES = frozenset({"call", "name", "dub", "label", "brand", "term", "describe", "deem"})


def _quote_kind(doc, text: str, span: _Span, first_tok, cue_tok) -> str:
    """Return ``direct`` when the quotation is the whole of what is reported, else ``partial``.

    Direct: the quotation stands as a sentence (or opens its paragraph), follows "said:" or
    "saying,", or is the complement right after its cue ("said “...”", "told reporters “...”").
    Partial: quoted words inside a clause of the reporter's ("said the visit had been “...”").
    """
    i = span.open_at - 1
    while i >= 0 and text[i] != "\n" and text[i].isspace():
        i -= 1
    if i < 0 or text[i] == "\n" or text[i] in ':,.!?”"…—–-':
        # Opens its paragraph or sentence, or follows "said:", "saying," or a dash.
        return "direct"
    # A word right before the mark: the quotation is inside the reporter's clause unless that
    # word is its cue (the sentence splitter's view is not trusted here, it splits at marks).
    k = first_tok.i - 1
    while k >= 0 and (doc[k].is_punct or doc[k].is_space):
        k -= 1
    if k < 0:
        return "direct"
    prev = doc[k]
    if prev.lower_ in {"that", "whether", "if", "the", "a", "an", "his", "her", "their", "its"}:
        return "partial"
    if cue_tok is not None:
        if prev.i == cue_tok.i:
            return "direct"
        # "told reporters “...”", "said Monday “...”"; but "called the plan “a disgrace”" is
        # an epithet quoted inside the reporter's words.
        if (
            cue_tok.lemma_.lower() not in _NAMING_CUES
            and prev.head.i == cue_tok.i
            and prev.dep_ in {"dobj", "dative", "npadvmod"}
        ):
            return "direct"
    return "partial"


def _find_cue(doc, qtoks, quoted: set[int], sents, bounds=(0, 1 << 62)):
    """Return (cue_token, speaker_token) for a quotation whose tokens are ``qtoks``.

    ``bounds`` are the character offsets of the quotation's paragraph(s): the cue and speaker
    never come from another paragraph, whatever the sentence splitter did.
    """
    inside = {t.i for t in qtoks}
    lo, hi = bounds
    # 1. Climb the tree from the quotation: the first reporting verb outside it is the cue.
    tops = [t for t in qtoks if t.head.i not in inside or t.head is t]
    fallback = None
    for top in tops:
        tok = top
        for _ in range(12):
            if tok.i not in quoted and lo <= tok.idx < hi:
                if _is_cue(tok):
                    subj = _cue_subject(tok, quoted)
                    if subj is not None and subj.i not in quoted:
                        return tok, subj
                if fallback is None and tok.pos_ in {"VERB", "AUX"}:
                    subj = _subject(tok)
                    if subj is not None and subj.i not in quoted and subj.i not in inside:
                        fallback = (tok, subj)
            # "he said" hanging off the verb as a parenthetical.
            for child in tok.children:
                if (
                    child.dep_ in {"parataxis", "advcl"}
                    and child.i not in quoted
                    and lo <= child.idx < hi
                    and _is_cue(child)
                ):
                    subj = _cue_subject(child, quoted)
                    if subj is not None and subj.i not in quoted:
                        return child, subj
            if tok.head is tok:
                break
            tok = tok.head
    # 2. A reporting verb elsewhere in the sentence(s), outside every quotation, nearest first.
    region = [t for s in sents for t in s if t.i not in quoted and lo <= t.idx < hi]
    qmid = (qtoks[0].i + qtoks[-1].i) / 2
    cues = sorted((t for t in region if _is_cue(t)), key=lambda t: abs(t.i - qmid))
    for cue in cues:
        subj = _cue_subject(cue, quoted)
        if subj is not None and subj.i not in quoted:
            return cue, subj
    for s in sents:
        found = _according_to(s, quoted)
        if found is not None:
            return found
    return fallback


_TITLE_SMALL = frozenset(
    {"a", "an", "and", "the", "of", "in", "on", "to", "for", "at", "by", "with", "from", "or", "as"}
)


def _looks_like_title(doc, text: str, quote_text: str, first_tok) -> bool:
    """True for a quoted name of a show, book or slogan ("star of television’s “Scandal”").

    Short, every word capitalised, no exclamation or question, and following a word that
    names it (a determiner, possessive, preposition or noun) rather than a reporting verb.
    """
    words = [w for w in re.findall(r"[^\W\d_][\w’'-]*", quote_text)]
    if not words or len(words) > 6 or any(ch in quote_text for ch in "!?"):
        return False
    if not all(w[0].isupper() or w.lower() in _TITLE_SMALL for w in words):
        return False
    if not words[0][0].isupper():
        return False
    i = first_tok.i - 1
    while i >= 0 and (doc[i].is_punct or doc[i].is_space):
        i -= 1
    if i < 0:
        return False
    prev = doc[i]
    between = text[prev.idx + len(prev) : first_tok.idx]
    if "\n" in between or any(ch in between for ch in ".!?:"):
        return False  # the quotation opens a sentence
    return prev.pos_ in {"DET", "ADP", "NOUN", "PROPN", "PART", "ADJ", "NUM"} or prev.dep_ in {
        "poss",
        "case",
    }


def _cue_after(doc, last: int, quoted: set[int], hi: int, window: int = 12):
    """Return the reporting verb that closely follows the quotation ("“B,” he added."), if any."""
    while last + 1 < len(doc) and last + 1 in quoted and doc[last + 1].is_punct:
        last += 1  # the quotation's own closing mark (and a comma after it)
    for tok in doc[last + 1 : last + 1 + window]:
        if tok.i in quoted or tok.idx >= hi or tok.text in {".", "?", "!", ";"}:
            break
        if _is_cue(tok):
            return tok
    return None


def quotes(doc, *, text: str | None = None, mentions: list[dict] | None = None) -> Iterator[Quote]:
    """Yield the quotations of ``doc`` with their speakers, in text order.

    Parameters
    ----------
    doc : spacy.tokens.Doc
        The parse of :func:`analysis.nlp.normalise_for_parse` of the article text.
    text : str, optional
        The article text (same length as ``doc.text``); its line breaks tell paragraphs apart
        better than the normalised text. Defaults to ``doc.text``.
    mentions : list of dict, optional
        Rows of the ``mentions`` table for this article (``start``, ``end``, ``label``,
        ``actor``); a speaker overlapping one takes its canonical ``actor`` name.

    Yields
    ------
    Quote
        ``kind`` is ``direct`` (a sentence or clause of its own) or ``partial`` (words quoted
        inside reported speech); ``cue`` is the reporting verb's lemma; ``speaker_start`` and
        ``speaker_end`` point at the mention the attribution was made from (a pronoun or
        description resolved to an earlier speaker keeps its own offsets); quotations sharing
        one cue share ``attribution``.
    """
    text = doc.text if text is None else text
    if len(text) != len(doc.text):
        raise ValueError(
            f"text has {len(text)} characters but the Doc has {len(doc.text)}; "
            "parse normalise_for_parse(text)"
        )
    paragraphs = _paragraph_breaks(text)
    spans = _spans(text, paragraphs)
    if not spans:
        return
    para_starts = [a for a, _ in paragraphs]

    def bounds(span: _Span) -> tuple[int, int]:
        a = bisect_right(para_starts, span.open_at) - 1
        b = bisect_right(para_starts, max(span.open_at, span.close_at - 1)) - 1
        # "Cruz continued:" closing the paragraph before introduces this one.
        if a > 0 and text[paragraphs[a - 1][0] : paragraphs[a - 1][1]].rstrip().endswith(":"):
            a -= 1
        return (paragraphs[a][0] if a >= 0 else 0, paragraphs[b][1] if b >= 0 else len(text))

    quoted: set[int] = set()
    tok_spans = []
    for s in spans:
        toks = doc.char_span(s.open_at, s.close_at, alignment_mode="expand")
        inner = doc.char_span(s.start, s.end, alignment_mode="expand")
        tok_spans.append(inner)
        if toks is not None:
            quoted.update(t.i for t in toks)
    resolver = _Resolver(doc, mentions, quoted)
    prev: Quote | None = None
    prev_para_end = -1
    cue_ids: dict[int, int] = {}
    for s, inner in zip(spans, tok_spans, strict=True):
        if inner is None or not len(inner):
            continue
        quote_text = " ".join(text[a:b].strip() for a, b in s.pieces).strip()
        first = inner[0]
        if _looks_like_title(doc, text, quote_text, first):
            continue
        ks = sorted({resolver.sent_of[first.i], resolver.sent_of[inner[-1].i]})
        sents = [resolver.sents[k] for k in ks]
        lo, hi = bounds(s)
        opens_sentence = _quote_kind(doc, text, s, first, None) == "direct"
        if (
            prev is not None
            and opens_sentence
            and prev.cue_start is not None
            and prev.end <= prev.cue_start < s.start
            and "\n" not in text[prev.end : s.start]
            and _cue_after(doc, inner[-1].i, quoted, hi) is None
        ):
            # "“A,” she said. “B.”": B continues the attribution made between the two.
            prev = prev._replace(start=s.start, end=s.end, quote=quote_text, kind="direct")
            prev_para_end = s.close_at
            yield prev
            continue
        found = None
        after = _cue_after(doc, inner[-1].i, quoted, hi, window=8) if opens_sentence else None
        if after is not None:
            # "“...,” she said": the attribution right after the closing mark wins over any
            # earlier verb the parser hung the quotation on.
            subj = _cue_subject(after, quoted)
            if subj is not None and subj.i not in quoted:
                found = (after, subj)
        if found is None:
            found = _find_cue(doc, list(inner), quoted, sents, (lo, hi))
        if found is None and opens_sentence:
            # "..., X said." as a short next sentence, or "X said:" closing the one before.
            if sents[-1].end < len(doc):
                nxt = resolver.sents[resolver.sent_of[sents[-1].end]]
                if not any(t.i in quoted for t in nxt) and len(nxt) <= 14:
                    found = _find_cue(doc, list(inner), quoted, [nxt], (lo, hi))
            if found is None and sents[0].start > 0:
                before = resolver.sents[resolver.sent_of[sents[0].start - 1]]
                tail = [t for t in before if not t.is_space]
                if tail and tail[-1].text == ":":
                    found = _find_cue(doc, list(inner), quoted, [before], (lo - 400, hi))
        kind = _quote_kind(doc, text, s, first, found[0] if found else None)
        if found is not None:
            cue_tok, subj = found
            sp = resolver.speaker(subj)
            resolver.history.append(sp)
            cue = "according to" if cue_tok.lower_ == "according" else cue_tok.lemma_.lower()
            attribution = cue_ids.setdefault(cue_tok.i, len(cue_ids))
            attr = (cue, cue_tok.idx, cue_tok.idx + len(cue_tok))
            attr += (sp.name, sp.start, sp.end, sp.kind, attribution)
        elif (
            prev is not None
            and prev.speaker is not None
            and bisect_right(para_starts, s.open_at) - bisect_right(para_starts, prev_para_end - 1)
            <= 1
        ):
            # A quotation with no attribution of its own, in the same or the very next paragraph,
            # continues the previous speaker's words (and attribution); after a paragraph of
            # narration it is left unattributed rather than guessed.
            attr = prev[4:]
        else:
            attr = (None, None, None, None, None, None, "unknown", None)
        prev = Quote(s.start, s.end, quote_text, kind, *attr)
        prev_para_end = s.close_at
        yield prev


def _entity_mentions(doc, article) -> list[dict]:
    """Rows of the mentions table of the article (when the caller did not pass them)."""
    from analysis.entities import extract_mentions

    return list(extract_mentions(doc, article))


def extract_quotes(doc, article: Mapping, *, mentions: list[dict] | None = None) -> list[dict]:
    """Return the ``quotes`` table rows of one article (DESIGN.md columns, then the extras).

    Parameters
    ----------
    doc : spacy.tokens.Doc
        The parse of ``normalise_for_parse(article["text"])``.
    article : mapping
        At least ``article_id`` and ``text``.
    mentions : list of dict, optional
        The article's ``mentions`` rows when already computed (the feature store passes them);
        by default :func:`analysis.entities.extract_mentions` is called when that module exists.

    Returns
    -------
    list of dict
        One row per quotation ordered by ``start``; extra columns ``cue_start``, ``cue_end``
        (the reporting verb's offsets) and ``attribution`` (quotations sharing a cue instance).
    """
    if mentions is None:
        mentions = _entity_mentions(doc, article)
    rows = []
    for q in quotes(doc, text=article["text"], mentions=mentions):
        row = {"article_id": article["article_id"]}
        row.update(q._asdict())
        rows.append({c: row[c] for c in QUOTE_COLUMNS + EXTRA_COLUMNS})
    return rows


def quote_table(docs: Iterable, articles) -> pd.DataFrame:
    """Return the ``quotes`` table for parsed ``docs`` of the ``articles`` table, in order.

    Parameters
    ----------
    docs : iterable of Doc
        One parse per article, as :func:`analysis.nlp.parse` yields them.
    articles : pandas.DataFrame or iterable of mapping
        Articles with ``article_id`` and ``text``, in the order of ``docs``.
    """
    import pandas as pd

    records = articles.to_dict("records") if hasattr(articles, "to_dict") else list(articles)
    rows: list[dict] = []
    for doc, article in zip(docs, records, strict=True):
        rows.extend(extract_quotes(doc, article))
    return pd.DataFrame(rows, columns=list(QUOTE_COLUMNS + EXTRA_COLUMNS))


def share_of_voice(quotes_df) -> pd.DataFrame:
    """Return quotations and quoted words per speaker, with their shares of the total.

    Columns: speaker, speaker_kind, n_quotes, n_words, n_articles, quote_share, word_share,
    sorted by words then quotes, descending. Quotations with no speaker count as "(unknown)".
    """
    import pandas as pd

    cols = [
        "speaker",
        "speaker_kind",
        "n_quotes",
        "n_words",
        "n_articles",
        "quote_share",
        "word_share",
    ]
    if quotes_df is None or len(quotes_df) == 0:
        return pd.DataFrame(columns=cols)
    df = quotes_df.assign(
        speaker=quotes_df["speaker"].fillna("(unknown)"),
        n_words=quotes_df["quote"].fillna("").str.split().str.len(),
    )
    out = (
        df.groupby("speaker", sort=False)
        .agg(
            speaker_kind=(
                "speaker_kind",
                lambda s: s.mode().iat[0] if len(s.mode()) else "unknown",
            ),
            n_quotes=("quote", "size"),
            n_words=("n_words", "sum"),
            n_articles=("article_id", "nunique"),
        )
        .reset_index()
    )
    out["quote_share"] = out["n_quotes"] / out["n_quotes"].sum()
    total_words = out["n_words"].sum()
    out["word_share"] = out["n_words"] / total_words if total_words else 0.0
    out = out.sort_values(["n_words", "n_quotes", "speaker"], ascending=[False, False, True])
    return out.reset_index(drop=True)[cols]


def sourcing(quotes_df) -> pd.DataFrame:
    """Return named against anonymous sourcing per article.

    Columns: article_id, n_quotes, named (person, organisation or place speakers), anonymous,
    unknown, anonymous_share (anonymous over named plus anonymous; NaN when neither).
    """
    import pandas as pd

    cols = ["article_id", "n_quotes", "named", "anonymous", "unknown", "anonymous_share"]
    if quotes_df is None or len(quotes_df) == 0:
        return pd.DataFrame(columns=cols)
    kind = quotes_df["speaker_kind"].fillna("unknown")
    df = pd.DataFrame(
        {
            "article_id": quotes_df["article_id"],
            "named": kind.isin(["person", "organisation", "place"]).astype(int),
            "anonymous": (kind == "anonymous").astype(int),
            "unknown": (kind == "unknown").astype(int),
        }
    )
    out = df.groupby("article_id", sort=True).sum().reset_index()
    out.insert(1, "n_quotes", out[["named", "anonymous", "unknown"]].sum(axis=1))
    attributed = out["named"] + out["anonymous"]
    out["anonymous_share"] = (out["anonymous"] / attributed.where(attributed > 0)).astype(float)
    return out[cols]
