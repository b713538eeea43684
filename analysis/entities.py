"""Entity mentions and actors: spaCy's entities cleaned up for wire copy, resolved within each article and counted across the corpus."""

from __future__ import annotations

import bisect
import functools
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from typing import NamedTuple

from analysis import features
from analysis.lexicon import (
    AGENCY_NAMES,
    CURRENCY_WORDS,
    MEASURE_UNITS,
    NAME_LABELS,
    SCALE_ABBREVIATIONS,
    read_word_list,
)
from analysis.lexicon import AMBIGUOUS_TITLES as _AMBIGUOUS_TITLES
from analysis.lexicon import TIME_LABELS as _TIME_LABELS
from analysis.wire import signoff_spans

__all__ = [
    "MENTION_COLUMNS",
    "ACTOR_COLUMNS",
    "NAME_LABELS",
    "Mention",
    "mentions",
    "extract_mentions",
]

#: Columns of the ``mentions`` table (DESIGN.md), then the extra columns this module adds.
MENTION_COLUMNS = features.feature("mentions").core_columns
MENTION_EXTRA_COLUMNS = features.feature("mentions").extra_columns
#: Columns of the ``actors`` table (DESIGN.md).
ACTOR_COLUMNS = ("actor", "label", "aliases", "n_mentions", "n_articles", "first_seen", "last_seen")

#: Lowercase particles inside names ("Osama bin Laden", "al Qaeda", "van Gogh").
_PARTICLES = frozenset(
    {
        "bin",
        "ibn",
        "al",
        "el",
        "van",
        "von",
        "de",
        "der",
        "del",
        "da",
        "di",
        "dos",
        "du",
        "la",
        "le",
        "wa",
    }
)
_CONNECTORS = frozenset({"of", "-"})
_POSSESSIVE_TOKENS = frozenset({"'s", "’s", "'", "’", "'S", "’S"})
_DETERMINERS = frozenset({"the", "The", "THE"})
#: Labels whose leading article is dropped; titles of works keep theirs ("The Crying Game").
_DROP_THE_LABELS = frozenset({"ORG", "GPE", "LOC", "FAC", "NORP", "EVENT"})
#: Names whose article belongs to them ("The Hague"): the leading "The" stays.
_KEEP_THE = frozenset({"the hague", "the gambia", "the bahamas"})
# A bare number with a decimal part or thousands separators is an amount or an index value,
# never a date ("11,265.03"); a four-digit year stays a date.
_NUMBER_RE = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+\.\d+)$")


class Mention(NamedTuple):
    """One cleaned entity mention; ``start``/``end`` are character offsets into the text."""

    start: int
    end: int
    text: str
    label: str
    #: The title or rank standing before a person's name ("General"), else None.
    title: str | None
    #: Canonical name within the article ("Ashfaq Kayani" for "Kayani"); None for value labels.
    actor: str | None
    #: 0-based sentence number, as in the ``sentences`` table (None without sentence boundaries).
    sentence: int | None
    #: The label spaCy gave before the clean-up.
    model_label: str
    title_start: int | None
    title_end: int | None


# ---------------------------------------------------------------------------------------------
# Word lists


#: Units, currencies and scales as a wire writes them ("cts", "dlrs", "mln", "pct", "stg").
_UNIT_WORDS = frozenset(
    {*CURRENCY_WORDS, *MEASURE_UNITS, *SCALE_ABBREVIATIONS, "pct"} - {"m", "b", "k", "g"}
)


@functools.lru_cache(maxsize=1)
def _lists() -> dict:
    def fold(words: Iterable[str]) -> frozenset[str]:
        return frozenset(w.lower().rstrip(".") for w in words)

    aliases = {}
    for line in read_word_list("actor_aliases.txt"):
        alias, _, canonical = line.partition("\t")
        if canonical.strip():
            aliases[alias.strip()] = canonical.strip()
    demonyms = {}
    for line in read_word_list("demonyms.tsv"):
        demonym, _, country = line.partition("\t")
        if country.strip():
            demonyms[demonym.strip()] = country.strip()
    return {
        "demonyms": demonyms,
        "generic": fold(read_word_list("generic_heads.txt")),
        "titles": fold(read_word_list("titles.txt")),
        "modifiers": fold(read_word_list("title_modifiers.txt")),
        "agencies": AGENCY_NAMES,  # resources/agencies.tsv, the forms with the role "name"
        "group_nouns": fold(read_word_list("group_nouns.txt")),
        "org_words": fold(read_word_list("org_words.txt")),
        "aliases": aliases,
    }


# ---------------------------------------------------------------------------------------------
# Token helpers


def _key(token) -> str:
    return token.lower_.rstrip(".")


def _is_cap(token) -> bool:
    return token.text[:1].isupper()


def _is_name_token(token) -> bool:
    """A token that can be part of a proper name ("Kayani", "bin", "al-", "O'Neill")."""
    text = token.text
    if text[:1].isupper():
        return True
    return text in _PARTICLES or text == "-"


def _title_head_before(doc, i: int, lo: int, lists: dict) -> int | None:
    """Index of the title word that ends the title before token ``i``, or None.

    Either the token right before the name ("President X") or, for "Secretary of State X",
    the title word before "of" and up to three capitalised modifiers.
    """
    titles, modifiers = lists["titles"], lists["modifiers"]
    adjacent = doc[i - 1]
    # "will miss England": a title is a noun, never a verb.
    if _key(adjacent) in titles:
        return i - 1 if adjacent.pos_ in {"NOUN", "PROPN"} else None
    j = i - 1
    while j >= lo and i - j <= 3 and _is_cap(doc[j]) and _key(doc[j]) in modifiers:
        j -= 1
    if j == i - 1 or j - 1 < lo or doc[j].text != "of":
        return None
    head = doc[j - 1]
    return j - 1 if _key(head) in titles and _is_cap(head) else None


def _title_run_before(doc, i: int, lo: int, lists: dict) -> int:
    """Return the first token of the title run that ends right before token ``i`` (``i`` if none).

    The run holds title words, modifiers and connectors ("Secretary of State"), must contain a
    title word, and keeps to one case class: after a capitalised word only capitalised words
    ("army spokesman General X" gives "General"), after a lowercase one only lowercase words
    ("US ambassador X" gives "ambassador").
    """
    titles, modifiers = lists["titles"], lists["modifiers"]
    if i <= lo:
        return i
    head = _title_head_before(doc, i, lo, lists)
    if head is None:
        return i
    cap = _is_cap(doc[head])
    j = head
    start = j
    while j >= lo:
        tok = doc[j]
        k = _key(tok)
        if tok.text in _CONNECTORS and j > lo:
            j -= 1
            continue
        if (k in titles or k in modifiers) and _is_cap(tok) == cap and "\n" not in tok.whitespace_:
            start = j
            j -= 1
            continue
        break
    return start


def _title_run_inside(doc, s: int, e: int, lists: dict) -> int:
    """Return the first name token after title words leading the span ``[s, e)`` (``s`` if none)."""
    titles, modifiers = lists["titles"], lists["modifiers"]
    k = s
    last_title = None
    while k < e - 1:
        key = _key(doc[k])
        if key in titles:
            last_title = k
        elif key in modifiers or (doc[k].text in _CONNECTORS and k > s):
            pass
        else:
            break
        k += 1
    if last_title is None:
        return s
    # Modifiers after the last title word belong to the name, not the title ("General Electric").
    return last_title + 1


# ---------------------------------------------------------------------------------------------
# Per-document clean-up


def _drop_the(doc, s: int, e: int) -> bool:
    """Whether the entity ``[s, e)`` starts with an article that is not part of the name.

    A lowercase "the" never is; a capitalised "The" only at the start of a sentence ("The White
    House said"): in mid-sentence it is part of the name ("at The Oval", "The Hague").
    """
    first = doc[s]
    if first.text == "the":
        return True
    if first.text not in _DETERMINERS or doc[s:e].text.lower() in _KEEP_THE:
        return False
    return (
        first.is_sent_start
        or s == 0
        or doc[s - 1].text in {"\n", "\n\n"}
        or "\n" in doc[s - 1].whitespace_
    )


class _Draft:
    """A mention being cleaned: a token span plus what the clean-up decided."""

    __slots__ = ("s", "e", "label", "model_label", "ts", "te", "possessive")

    def __init__(self, s: int, e: int, label: str):
        self.s, self.e, self.label, self.model_label = s, e, label, label
        self.ts = self.te = None
        self.possessive = False


def _pieces(doc, s: int, e: int, label: str) -> list[tuple[int, int]]:
    """Split an entity at line breaks, open parentheses and (but for organisations) commas.

    A name never runs across a line ("BALTIMORE AT SEATTLE\\nNATIONAL LEAGUE") and a place or a
    person never across a comma ("Grace Road, Leicestershire"), though an organisation may
    ("Apple, Inc."). Scores are trimmed too: numbers after a name are scores or figures of a
    results table ("H. Morris 69", "Lithuania 2-1"), except short ones that belong to an
    organisation ("Channel 4").
    """
    if label not in NAME_LABELS:
        return [(s, e)]
    cut_comma = label != "ORG"
    # An opening parenthesis the entity never closes starts a second name ("Inter-American
    # Development Bank (IADB"); a closed one belongs to it ("Radnicki (N)").
    texts = [t.text for t in doc[s:e]]
    cut_paren = "(" in texts and ")" not in texts[texts.index("(") :]
    out, start = [], s
    for i in range(s, e + 1):
        tok = doc[i] if i < e else None
        if (
            tok is None
            or tok.is_space
            or "\n" in tok.text
            or (cut_comma and tok.text == ",")
            or (cut_paren and tok.text == "(")
        ):
            a, b = start, i
            while a < b and (doc[a].is_space or doc[a].is_punct and doc[a].text not in {'"', "'"}):
                a += 1
            # Trailing punctuation and function words ("European Union - the").
            while b > a and (
                doc[b - 1].is_space
                or doc[b - 1].text in {",", ";", ":", "(", "-", "–", "—"}
                or (doc[b - 1].is_stop and doc[b - 1].is_lower and b - a > 1)
            ):
                b -= 1
            b = _trim_numbers(doc, a, b, label)
            if label in {"PERSON", "GPE", "LOC", "NORP"}:
                # A list or table position before a name ("9. Michael Andersson").
                while b - a > 1 and _is_score(doc[a], label):
                    a += 1
            if b > a and any(c.isalpha() for c in doc[a:b].text):
                out.append((a, b))
            start = i + 1
    return out


def _trim_numbers(doc, a: int, b: int, label: str) -> int:
    """Return the end of ``[a, b)`` without the scores or figures that trail the name."""
    n = b
    # Scores are split at their hyphen or slash ("4", "-", "43").
    while n - a > 1 and (_is_score(doc[n - 1], label) or doc[n - 1].text in {"-", "/", ":"}):
        n -= 1
    # Roads, products and events keep one number of their own ("Interstate 95", "Boeing 747");
    # a run of numbers is a results-table row ("Forfar 3 2 0 1 7 4 6").
    if label in {"FAC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW"} and b - n < 2:
        return b
    return n


def _is_score(token, label: str) -> bool:
    text = token.text
    if not any(c.isdigit() for c in text) or any(c.isalpha() for c in text):
        return False
    return label != "ORG" or len(text) >= 2


def _clean(doc, lists: dict, signoffs: list[tuple[int, int]]) -> list[_Draft]:
    drafts: list[_Draft] = []
    pieces = (
        _Draft(s, e, ent.label_)
        for ent in doc.ents
        if not any(a <= ent.start_char and ent.end_char <= b for a, b in signoffs)
        for s, e in _pieces(doc, ent.start, ent.end, ent.label_)
        # A piece may be the sign-off alone once a name running onto its line is split off
        # ("Goldman, Sachs and Co.\n Reuter").
        if not any(a <= doc[s].idx and doc[e - 1].idx + len(doc[e - 1]) <= b for a, b in signoffs)
    )
    for d in pieces:
        # Possessive: "Gilani’s", "the Haqqanis’".
        while d.e - d.s > 1 and doc[d.e - 1].text in _POSSESSIVE_TOKENS:
            d.e -= 1
            d.possessive = True
        if d.label in _DROP_THE_LABELS and d.e - d.s > 1 and _drop_the(doc, d.s, d.e):
            d.s += 1
        span_text = doc[d.s : d.e].text
        if d.label in _TIME_LABELS and _NUMBER_RE.match(span_text):
            d.label = "CARDINAL"
        if span_text.lower().rstrip(".") in lists["agencies"]:
            if d.label == "PERSON":
                d.label = "ORG"
        elif d.label in NAME_LABELS:
            _split_title(doc, d, lists)
        drafts.append(d)
    _absorb_group_nouns(doc, drafts, lists)
    for d in drafts:
        if d.e - d.s == 1 and d.label == "PERSON" and d.ts is None and _names_an_accord(doc, d):
            # "the Louvre accord", "the Plaza pact": a place or meeting naming a deal, no person.
            d.label = "LAW"
        elif d.label == "PERSON" and d.ts is None and (company := _company_context(doc, d)):
            # "Yukos shares", "oil giant Yukos": a person has no shares traded.
            d.label = company
    # A lone common noun ("Bank", "Government") names no one: capitalised at a sentence start or
    # short for a name given earlier, it would merge every bank of the corpus into one actor.
    # Nor does a unit in lower case: the wire's "25 cts a share" or "mln dlrs" tagged ORG.
    drafts = [
        d for d in drafts
        if not (d.e - d.s == 1 and d.label in NAME_LABELS and d.ts is None
                and (_key(doc[d.s]) in lists["generic"]
                     or (doc[d.s].is_lower and _key(doc[d.s]) in _UNIT_WORDS)))
    ]  # fmt: skip
    # Entities that became part of a title ("Defence" in "Defence Secretary Liam Fox") go.
    in_title = {i for d in drafts if d.ts is not None for i in range(d.ts, d.te)}
    return [
        d for d in drafts
        if d.e > d.s and not (in_title and all(i in in_title for i in range(d.s, d.e)))
    ]  # fmt: skip


def _split_title(doc, d: _Draft, lists: dict) -> None:
    """Split a leading or preceding title off a person's name and make the mention a PERSON."""
    name_start = _title_run_inside(doc, d.s, d.e, lists)
    if name_start > d.s:
        rest = doc[name_start : d.e]
        ok = all(_is_name_token(t) for t in rest) and not any(
            _key(t) in lists["org_words"] for t in rest
        )
        if ok and d.label != "PERSON":
            lead = {_key(t) for t in doc[d.s : name_start]} & lists["titles"]
            ambiguous = lead <= _AMBIGUOUS_TITLES
            ok = not ambiguous or len(rest) >= 2
        if not ok:
            return
        d.ts, d.te = d.s, name_start
        d.s = name_start
        d.label = "PERSON"
    lo = max(d.s - 6, doc[d.s].sent.start if doc.has_annotation("SENT_START") else 0)
    run = _title_run_before(doc, d.ts if d.ts is not None else d.s, lo, lists)
    before = d.ts if d.ts is not None else d.s
    if run < before:
        if d.label != "PERSON":
            # Only a capitalised title before a bare name makes it a person ("President Obama").
            adjacent = doc[before - 1]
            names = doc[d.s : d.e]
            if not (_is_cap(adjacent) and all(_is_name_token(t) for t in names)):
                return
            if _key(adjacent) in _AMBIGUOUS_TITLES and len(names) < 2:
                return
            if any(_key(t) in lists["org_words"] for t in names):
                return
            d.label = "PERSON"
        d.ts = run
        if d.te is None:
            d.te = before


#: Lowercase nouns after a one-word name that make it the name of a deal, not of a person.
_ACCORD_NOUNS = frozenset({"accord", "accords", "pact", "treaty"})


def _names_an_accord(doc, d: _Draft) -> bool:
    """ "the Louvre accord": a one-word name between "the" and a deal noun."""
    if d.s == 0 or d.e >= len(doc):
        return False
    return doc[d.s - 1].lower_ == "the" and doc[d.e].text in _ACCORD_NOUNS


#: Nouns that make the name next to them a product rather than a company.
_PRODUCT_NOUNS = frozenset({"browser", "software"})
#: Lowercase nouns right before a name that make it a company ("oil giant Yukos").
_COMPANY_BEFORE = frozenset(
    {"giant", "firm", "company", "group", "maker", "carrier", "airline", "retailer", "operator",
     "producer", "insurer", "lender", "conglomerate", "manufacturer", "supermarket", "browser"}
)  # fmt: skip
#: Lowercase nouns right after a name (or its possessive) that only a company has ("Yukos
#: shares", "Yukos' owner", "Firefox browser"); not "aides" or "spokesman", which persons have.
_COMPANY_AFTER = frozenset(
    {"shares", "stock", "shareholders", "stake", "owner", "owners", "boss", "bosses",
     "executives", "employees", "staff", "workers", "subsidiary", "headquarters", "browser",
     "software"}
)  # fmt: skip


def _company_context(doc, d: _Draft) -> str | None:
    """The label a company context gives a name: "Yukos shares", "Yukos' owner", "shares in
    Yukos", "oil giant Yukos" make an ORG; "the Firefox browser" a PRODUCT; else None."""
    k = d.e
    if k < len(doc) and doc[k].text in _POSSESSIVE_TOKENS:
        k += 1
    if k < len(doc) and doc[k].text in _COMPANY_AFTER:
        return "PRODUCT" if doc[k].text in _PRODUCT_NOUNS else "ORG"
    before = [t.text for t in doc[max(d.s - 2, 0) : d.s]]
    if before[-1:] and before[-1] in _COMPANY_BEFORE:
        return "PRODUCT" if before[-1] in _PRODUCT_NOUNS else "ORG"
    if len(before) == 2 and before[1] in {"in", "of"} and before[0] in {"shares", "stake"}:
        return "ORG"
    return None


def _absorb_group_nouns(doc, drafts: list[_Draft], lists: dict) -> None:
    """ "Haqqani network": a name followed by a lowercase group noun becomes an organisation."""
    for d in drafts:
        if d.label in {"PERSON", "NORP", "GPE"} and d.e < len(doc) and not d.possessive:
            nxt = doc[d.e]
            if nxt.lower_ == nxt.text and nxt.lower_ in lists["group_nouns"]:
                d.e += 1
                d.label = "ORG"
                d.ts = d.te = None


# ---------------------------------------------------------------------------------------------
# Resolution within an article


def _norm(text: str) -> str:
    return " ".join(text.replace("’", "'").split())


def _looks_like_full_name(span) -> bool:
    """ "Ashfaq Kayani", "Osama bin Laden", "I. Healy"; not "ex-England" or "Ahmed 1 G. Thorpe"."""
    return span[0].text[:1].isupper() and all(
        _is_name_token(t) and not any(c.isdigit() for c in t.text) for t in span
    )


def _person_vote(votes: Counter, text: str, label: str) -> bool:
    """Whether the article calls ``text`` a PERSON often enough to relabel a ``label`` mention.

    A tie goes to the person except against a place: the small model confuses persons and
    organisations far more often than it calls a country a person ("Sri Lanka").
    """
    person, other = votes[text, "PERSON"], votes[text] - votes[text, "PERSON"]
    return person > other or (person == other and label not in {"GPE", "LOC"})


def _plural_stem(word: str) -> str | None:
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return None


#: Labels a lone surname may carry and still be the person named in full elsewhere in the
#: article ("Conable" tagged ORG, FAC or PRODUCT beside "Barber Conable"); not a language.
_SURNAME_LABELS = NAME_LABELS - {"LANGUAGE"}


def _resolve(doc, drafts: list[_Draft], lists: dict) -> list[str | None]:
    """Return the actor of each draft: short forms and plural family names to their full name."""
    words = [[t.text.replace("’", "'") for t in doc[d.s : d.e]] for d in drafts]
    # Canonical forms come from the text, so "Inter-Services" keeps its hyphen.
    names = [_norm(doc[d.s : d.e].text) for d in drafts]
    # Every proper suffix of a full personal name points at that name ("Kayani", "bin Laden").
    suffixes: dict[tuple[str, ...], set[str]] = defaultdict(set)
    persons: set[str] = set()
    for d, w, full in zip(drafts, words, names, strict=True):
        if d.label == "PERSON" and len(w) >= 2 and _looks_like_full_name(doc[d.s : d.e]):
            persons.add(full)
            for k in range(1, len(w)):
                # "Kayani", "Raza Gilani", "bin Laden"; never a bare particle.
                if w[k][:1].isupper() or (k < len(w) - 1 and w[k] in _PARTICLES):
                    suffixes[tuple(w[k:])].add(full)
    # Groups named after a family: "Haqqani network" is the group of "Haqqani".
    groups: dict[str, str] = {}
    for d, w, name in zip(drafts, words, names, strict=True):
        if d.label == "ORG" and len(w) == 2 and w[1].lower() in lists["group_nouns"]:
            groups.setdefault(w[0], name)
    votes: Counter = Counter()
    for d, text in zip(drafts, names, strict=True):
        votes[text] += 1
        votes[text, d.label] += 1
    aliases = lists["aliases"]
    actors: list[str | None] = []
    for d, w, text in zip(drafts, words, names, strict=True):
        if d.label not in NAME_LABELS:
            actors.append(None)
            continue
        stem = _plural_stem(w[-1]) if len(w) == 1 else None
        if stem and stem in groups:
            d.label = "ORG"
            actors.append(groups[stem])
            continue
        if len(w) == 1 and w[0] in groups:
            tok = doc[d.s]
            # A modifier ("Haqqani extremists") is the group; a person keeps the surname rule.
            if d.label != "PERSON" or (
                tok.dep_ in {"compound", "amod"} and tok.head.pos_ == "NOUN"
            ):
                d.label = "ORG"
                actors.append(groups[w[0]])
                continue
        if d.label != "PERSON" and text in persons and _person_vote(votes, text, d.label):
            # "Ruben Sierra 's" tagged ORG once, PERSON elsewhere; "Sri Lanka" tagged PERSON once
            # and GPE mostly stays a place.
            d.label = "PERSON"
            actors.append(text)
            continue
        full = suffixes.get(tuple(w))
        if full and len(full) == 1 and d.label in _SURNAME_LABELS:
            if d.label != "PERSON" and text in aliases:
                actors.append(aliases[text])
                continue
            d.label = "PERSON"
            actors.append(next(iter(full)))
            continue
        actors.append(aliases.get(text, text))
    _link_acronyms(words, drafts, actors)
    _majority_labels(drafts, actors)
    for i, d in enumerate(drafts):
        if actors[i] is not None and _agency_as_source(doc, d, names[i], lists):
            actors[i] = None
    return actors


def _initials(words: list[str]) -> str:
    """ "European Community" -> "EC", "EC Commission" -> "ECC"; "of" and "and" give no letter."""
    return "".join(
        w.replace(".", "") if w.replace(".", "").isupper() else w[0]
        for w in words
        if w[:1].isupper()
    )


def _link_acronyms(words: list[list[str]], drafts: list[_Draft], actors: list) -> None:
    """An acronym joins the one longer name of the article it abbreviates ("EC", "European
    Community"), whether the article gives it in parentheses or simply uses both."""
    by_initials: dict[str, set[str]] = defaultdict(set)
    for d, w, actor in zip(drafts, words, actors, strict=True):
        if actor is not None and d.label != "PERSON" and len(w) >= 2:
            by_initials[_initials(w)].add(actor)
    if not by_initials:
        return
    for i, w in enumerate(words):
        if actors[i] is None or len(w) != 1:
            continue
        letters = w[0].replace(".", "")
        if 2 <= len(letters) <= 6 and letters.isalpha() and letters.isupper():
            full = by_initials.get(letters)
            if full and len(full) == 1:
                actors[i] = next(iter(full))


def _majority_labels(drafts: list[_Draft], actors: list) -> None:
    """Give every mention of an actor the label most of its mentions in the article carry.

    The small model labels one name differently from sentence to sentence ("BT" a company, then
    a place); a strict majority decides, a tie changes nothing.
    """
    votes: dict[str, Counter] = defaultdict(Counter)
    for d, actor in zip(drafts, actors, strict=True):
        if actor is not None:
            votes[actor][d.label] += 1
    for d, actor in zip(drafts, actors, strict=True):
        if actor is None or len(votes[actor]) < 2:
            continue
        (label, n), *_ = votes[actor].most_common(1)
        # Who is a person is settled by the name rules of _resolve (full names, surnames).
        if label == "PERSON":
            continue
        if label != d.label and 2 * n > sum(votes[actor].values()):
            d.label = label


#: Nouns that a news agency feeds as a source ("a Reuters poll", "Reuters calculations").
_AGENCY_SOURCE_NOUNS = frozenset(
    {"poll", "survey", "reporter", "correspondent", "tally", "calculation", "calculations",
     "interview", "witness", "photographer", "count", "estimate"}
)  # fmt: skip
#: Verbs whose agent is the agency gathering the story ("polled by Reuters", "seen by AFP").
_AGENCY_BY_VERBS = frozenset({"poll", "interview", "survey", "contact", "see", "obtain", "reach"})
#: Verbs whose subject is the agency reporting the story ("Reuters reported", "has learned").
_AGENCY_SOURCE_VERBS = frozenset({"report", "learn"})


def _agency_as_source(doc, d: _Draft, name: str, lists: dict) -> bool:
    """Whether a news agency's name is the story's source ("told Reuters", "Reuters reported",
    "according to AFP", "a Reuters poll") rather than an actor of the story."""
    if name.lower().rstrip(".") not in lists["agencies"]:
        return False
    before = [t.lower_ for t in doc[max(d.s - 2, 0) : d.s]]
    # "told Reuters", "told the Reuters news agency".
    k = d.s - 1 if d.s > 0 and doc[d.s - 1].lower_ != "the" else d.s - 2
    if k >= 0 and doc[k].lemma_ == "tell":
        return True
    if before in (["according", "to"], ["interview", "with"]) or (
        before[-1:] == ["by"] and d.s >= 2 and doc[d.s - 2].lemma_ in _AGENCY_BY_VERBS
    ):
        return True
    last = doc[d.e - 1]
    if last.dep_ == "nsubj" and last.head.lemma_ in _AGENCY_SOURCE_VERBS:
        return True
    return d.e < len(doc) and doc[d.e].lower_ in _AGENCY_SOURCE_NOUNS


# ---------------------------------------------------------------------------------------------
# Public API


def mentions(doc, article: Mapping | None = None) -> Iterator[Mention]:
    """Yield the cleaned entity mentions of ``doc``, ordered by ``start``.

    Parameters
    ----------
    doc : spacy.tokens.Doc
        The parse of ``analysis.nlp.normalise_for_parse(article["text"])`` (same length as the
        text, so the Doc's character offsets are text offsets).
    article : mapping, optional
        The article row; when given, ``text`` of each mention is taken from ``article["text"]``
        rather than from the normalised Doc text.

    Yields
    ------
    Mention
        ``start``, ``end`` and ``text`` cover the name without a title or possessive; ``title``
        holds the title ("General", "Prime Minister"); ``actor`` is the canonical name within the
        article ("Ashfaq Kayani" for "Kayani", "Haqqani network" for "the Haqqanis", "United
        States" for "US"), None for dates and amounts.

    Notes
    -----
    The clean-up fixes what a small spaCy model gets wrong on wire copy: titles split off and the
    person kept as a PERSON; possessives stripped; a leading "the" dropped from names of things;
    agency tags ("afp", "Reuters") never a PERSON and sign-offs and credits never a mention;
    numbers such as index values ("11,265.03") relabelled CARDINAL rather than DATE; a family
    name followed by a group noun ("Haqqani network") an ORG.
    """
    lists = _lists()
    text = article["text"] if article is not None and article.get("text") is not None else doc.text
    signoffs = signoff_spans(text, lists["agencies"])
    drafts = _clean(doc, lists, signoffs)
    drafts.sort(key=lambda d: (d.s, d.e))
    actors = _resolve(doc, drafts, lists)
    has_sents = doc.has_annotation("SENT_START")
    # Numbered as the sentences table numbers them: whitespace-only sentences do not count.
    sent_starts = (
        [s.start for s in doc.sents if not all(t.is_space for t in s)] if has_sents else []
    )
    for d, actor in zip(drafts, actors, strict=True):
        start, end = doc[d.s].idx, doc[d.e - 1].idx + len(doc[d.e - 1])
        title = ts = te = None
        if d.ts is not None:
            ts, te = doc[d.ts].idx, doc[d.te - 1].idx + len(doc[d.te - 1])
            title = " ".join(text[ts:te].split())
        sentence = bisect.bisect_right(sent_starts, d.s) - 1 if has_sents else None
        yield Mention(start, end, text[start:end], d.label, title, actor, sentence,
                      d.model_label, ts, te)  # fmt: skip


def extract_mentions(doc, article: Mapping) -> list[dict]:
    """Return the ``mentions`` table rows of one article.

    Parameters
    ----------
    doc : spacy.tokens.Doc
        The parse of ``normalise_for_parse(article["text"])``.
    article : mapping
        At least ``article_id`` and ``text``.

    Returns
    -------
    list of dict
        One row per mention, ordered by ``start``: ``article_id, start, end, text, label, title,
        actor`` (DESIGN.md) plus ``sentence`` (0-based sentence number, as in the ``sentences``
        table of :func:`analysis.nlp.extract_sentences`),
        ``model_label`` (spaCy's label before the clean-up) and ``title_start``/``title_end``
        (character span of the title, None without one).
    """
    article_id = article["article_id"]
    return [{"article_id": article_id, **m._asdict()} for m in mentions(doc, article)]


def __getattr__(name: str):
    # The corpus-level functions live in analysis.actors (which imports this module); loaded on
    # first use so both "from analysis.entities import actor_table" and that module work.
    if name in {"actor_table", "co_mentions"}:
        from analysis import actors

        return getattr(actors, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
