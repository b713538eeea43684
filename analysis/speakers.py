"""Speakers of quotations: who a reporting verb's subject names, resolved from the dependency parse.

A subject token becomes a speaker record: a named mention (its canonical ``actor`` when the
``mentions`` table has one), an anonymous or organisation description ("a senior official",
"the ministry"), or a pronoun resolved to the nearest earlier speaker that fits.
"""

from __future__ import annotations

from typing import NamedTuple

from analysis.lexicon import ENTITY_KINDS, TITLES
from analysis.nlp import doc_text

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


class _Speaker(NamedTuple):
    name: str
    start: int
    end: int
    kind: str
    head: str  # lower-cased head noun, for matching descriptions
    pos: int  # character offset, for "nearest earlier"


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
        self.text = doc_text(doc)
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
