"""Event counts: how many were killed, wounded, arrested, captured... and who, from the parse."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import NamedTuple

from analysis import features
from analysis.lexicon import APPROXIMATE
from analysis.nlp import doc_text
from analysis.numerals import _compact_phrase, _is_number_word, _is_numeric, parse_number

__all__ = ["Count", "count_totals", "event_counts", "extract_counts"]

#: Columns of the ``counts`` table (DESIGN.md columns, then extras; see :func:`extract_counts`).
COUNT_COLUMNS = list(features.columns("counts"))

#: Event words: lemma -> ``kind`` of the count.
EVENT_KINDS = {
    "kill": "killed", "slay": "killed", "assassinate": "killed", "murder": "killed",
    "behead": "killed", "die": "killed", "dead": "killed", "death": "killed",
    "killing": "killed",
    "wound": "wounded", "injure": "injured", "hurt": "injured",
    "arrest": "arrested", "apprehend": "arrested", "capture": "captured", "detain": "detained",
    "detention": "detained", "kidnap": "kidnapped", "abduct": "kidnapped",
}  # fmt: skip
# Nominal lemmas spaCy gives for these nouns, mapped to the event verb's kind.
_NOMINAL_KIND = {
    "killing": "killed", "death": "killed", "arrest": "arrested", "capture": "captured",
    "detention": "detained", "kidnapping": "kidnapped", "abduction": "kidnapped",
}  # fmt: skip
_NEGATIVE_DETS = {"no", "none", "neither"}
_NEGATIVE_HEADS = {"none", "nobody", "no one", "noone"}


class Count(NamedTuple):
    """An event count: how many were killed, wounded, arrested... and who.

    ``number`` is None when no count is given ("detained suspects"); ``approximate`` flags vague
    quantities ("several", "dozens", whose ``number`` is the conventional value in
    :data:`APPROXIMATE`); ``negated`` is True for "no one was hurt" and "were not detained"
    (``number`` 0); ``definite`` marks mentions that refer back ("the commander", "he");
    ``background`` marks a trigger in the present perfect, which in news sums up past events
    ("forces have detained more than 25 leaders since"); ``trigger`` is the event word and
    ``voice`` how the count attaches to it: ``active`` (object), ``passive`` (subject),
    ``relative`` ("insurgents killed in the strike"), ``intransitive`` ("two died", "three
    dead") or ``nominal`` ("the killing of three"). A number of "more than 10" is 11, the
    least it can mean.
    """

    start: int
    end: int
    kind: str
    number: float | None
    object: str | None
    text: str
    approximate: bool
    negated: bool
    definite: bool
    background: bool
    trigger: str
    trigger_start: int
    trigger_end: int
    voice: str


_QUANTITY_HEADS = {"number", "handful", "couple", "dozen", "both", "none", "pair"}
_DEFINITE_DETS = {"the", "this", "that", "these", "those"}
_REFERRING_PRONOUNS = {"he", "him", "she", "her"}
# Words that make a number approximate: "about 20", "nearly 30", "up to 10", "an estimated 40".
_VAGUE_BOUNDS = {
    "about",
    "around",
    "approximately",
    "nearly",
    "almost",
    "roughly",
    "some",
    "up",
    "an",
}


class _Quantity(NamedTuple):
    number: float | None
    approximate: bool
    start: int  # first token of the counted phrase
    end: int  # last token of the counted phrase
    object: str | None
    negated: bool
    definite: bool


def _bound_adjustment(tok) -> tuple[float, bool]:
    """(offset, approximate) from the words bounding a number: "more than 10" is at least 11."""
    doc = tok.doc
    words = {c.lower_ for c in tok.children if c.dep_ in ("quantmod", "advmod")}
    prev = doc[tok.i - 2 : tok.i]
    before = " ".join(t.lower_ for t in prev)
    if "than" in words and ("more" in before or "over" in before) or before.endswith("over"):
        return 1.0, False
    if "than" in words and ("fewer" in before or "less" in before):
        return 0.0, True
    if words & _VAGUE_BOUNDS:
        return 0.0, True
    return 0.0, False


def _phrase_object(doc, start: int, noun) -> str | None:
    words = [t for t in doc[start : noun.i + 1] if t.dep_ not in ("det", "poss", "case", "predet")]
    return " ".join(t.text for t in words) or None


def _quantity_of(noun) -> _Quantity:
    """How many ``noun`` stands for, the patient of an event.

    "six suspected insurgents", "several of the men", "a number of insurgents", "dozens of
    people", "both men", "more than 10 suspects" (11: the least it can mean), "a Taliban
    commander" (1), "no one" (0, negated), "insurgents" (None: not said).
    """
    doc = noun.doc
    low = noun.lower_
    of_pobj = None
    for child in noun.rights:
        if child.dep_ == "prep" and child.lower_ == "of":
            of_pobj = next((c for c in child.children if c.dep_ == "pobj"), None)
    det = next((c for c in noun.lefts if c.dep_ in ("det", "predet")), None)
    det_low = det.lower_ if det is not None else None
    poss = any(c.dep_ == "poss" for c in noun.lefts)
    # The noun is itself the quantity: "six were arrested", "several of the men", "dozens of".
    if _is_numeric(noun) or _is_number_word(noun) or low in APPROXIMATE or low in _QUANTITY_HEADS:
        start = noun.left_edge.i
        end = of_pobj.i if of_pobj is not None else noun.i
        obj = _compact_phrase(of_pobj, keep_amod=True) if of_pobj is not None else None
        if low == "none":
            return _Quantity(0.0, False, start, end, obj, True, False)
        value, approximate = parse_number(doc[start : noun.i + 1].text)
        if value is None:
            value, approximate = parse_number(low)
        if value is None and low in ("number", "handful", "couple"):
            value, approximate = float(APPROXIMATE[f"a {low} of"]), low != "couple"
        offset, vague = _bound_adjustment(noun)
        if value is not None:
            value += offset
        definite = of_pobj is None and det_low in _DEFINITE_DETS
        return _Quantity(value, approximate or vague, start, end, obj, False, definite)
    # Counted by a modifier: "six suspected insurgents", "several insurgents", "both men".
    lefts = list(noun.lefts)
    nummods = [
        c
        for c in lefts
        if c.dep_ in ("nummod", "quantmod", "amod") and (_is_numeric(c) or _is_number_word(c))
    ]
    if nummods:
        tok = nummods[0]
        value, approximate = parse_number(doc[tok.left_edge.i : tok.i + 1].text)
        if value is None:
            value, approximate = parse_number(tok.text)
        offset, vague = _bound_adjustment(tok)
        start = min(
            [tok.left_edge.i]
            + [c.i for c in lefts if c.i < tok.i and c.dep_ in ("det", "amod", "quantmod")]
        )
        definite = det_low in _DEFINITE_DETS or poss
        obj = doc[tok.i + 1 : noun.i + 1].text
        return _Quantity(
            None if value is None else value + offset,
            approximate or vague,
            start,
            noun.i,
            obj,
            False,
            definite,
        )
    if det_low in _NEGATIVE_DETS:
        return _Quantity(0.0, False, det.i, noun.i, doc[det.i + 1 : noun.i + 1].text, True, False)
    quant_words = [
        c for c in lefts if c.lower_ in APPROXIMATE or c.lower_ in ("both", "several", "few")
    ]
    if quant_words:
        tok = quant_words[0]
        phrase = tok.lower_
        start = tok.i
        if det is not None and det.i < tok.i and f"{det_low} {phrase}" in APPROXIMATE:
            phrase, start = f"{det_low} {phrase}", det.i
        obj = doc[tok.i + 1 : noun.i + 1].text
        if phrase == "both":
            return _Quantity(2.0, False, start, noun.i, obj, False, True)
        return _Quantity(float(APPROXIMATE.get(phrase, 3)), True, start, noun.i, obj, False, False)
    if det_low == "both":
        return _Quantity(2.0, False, det.i, noun.i, doc[det.i + 1 : noun.i + 1].text, False, True)
    start = noun.left_edge.i if noun.left_edge.i <= noun.i else noun.i
    obj = _phrase_object(doc, start, noun)
    definite = det_low in _DEFINITE_DETS or poss
    if low in _NEGATIVE_HEADS or (low == "one" and det_low == "no"):
        return _Quantity(0.0, False, start, noun.i, None, True, False)
    if noun.pos_ == "PRON":
        if low in _REFERRING_PRONOUNS:
            return _Quantity(1.0, False, noun.i, noun.i, None, False, True)
        return _Quantity(None, False, noun.i, noun.i, None, False, True)
    if noun.tag_ in ("NNS", "NNPS"):
        # "detained suspects": how many is not said.
        return _Quantity(None, True, start, noun.i, obj, False, definite)
    return _Quantity(1.0, False, start, noun.i, obj, False, definite)


def _patients(trigger) -> tuple[list, str]:
    """The nouns an event word acts on, and how they attach to it."""
    children = list(trigger.children)
    lemma = trigger.lemma_.lower()
    if trigger.pos_ == "NOUN":
        for child in children:
            if child.dep_ == "prep" and child.lower_ == "of":
                return [c for c in child.children if c.dep_ == "pobj"], "nominal"
        return [], "nominal"
    if trigger.pos_ == "ADJ":  # "three dead", "left two dead", "were found dead"
        if any(c.dep_ == "nummod" for c in children):
            return [trigger], "intransitive"
        if trigger.dep_ == "amod" and trigger.head.i < trigger.i:
            return [trigger.head], "relative"
        if trigger.dep_ in ("oprd", "acomp", "xcomp", "ccomp"):
            head = trigger.head
            for dep in ("nsubjpass", "nsubj", "dobj"):
                found = [c for c in head.children if c.dep_ == dep]
                if found:
                    return found, "intransitive"
        return [c for c in children if c.dep_ == "nsubj"], "intransitive"
    passive = [c for c in children if c.dep_ == "nsubjpass"]
    if passive:
        return passive, "passive"
    if lemma == "die":
        return [c for c in children if c.dep_ == "nsubj"], "intransitive"
    objects = [c for c in children if c.dep_ in ("dobj", "obj")]
    if objects:
        return objects, "active"
    auxes = {c.lemma_.lower() for c in children if c.dep_ in ("aux", "auxpass")}
    subjects = [c for c in children if c.dep_ == "nsubj"]
    head_passive = trigger.dep_ == "conj" and any(
        c.dep_ == "auxpass" for c in trigger.head.children
    )
    if subjects and "have" not in auxes and (trigger.tag_ == "VBN" or head_passive):
        # A reduced passive the parser read as active: "two insurgents were killed and
        # several others detained".
        return subjects, "passive"
    if (
        trigger.dep_ in ("acl", "amod", "relcl")
        and trigger.tag_ == "VBN"
        and trigger.head.pos_ in ("NOUN", "PROPN", "NUM")
    ):
        return [trigger.head], "relative"
    if trigger.dep_ == "conj" and trigger.tag_ == "VBN" and not subjects:
        # The second verb shares the first one's subject: "insurgents opened fire and were
        # killed", "two were killed and two detained".
        head = trigger.head
        shared = [c for c in head.children if c.dep_ == "nsubjpass"]
        if not shared and ("be" in auxes or head.tag_ != "VBN"):
            shared = [c for c in head.children if c.dep_ == "nsubj"]
        return shared, "passive"
    return [], "active"


def _with_conjuncts(noun) -> list:
    """``noun`` and the nouns coordinated with it ("two facilitators and two other militants")."""
    out = [noun]
    for child in noun.children:
        if child.dep_ == "conj" and child.pos_ in ("NOUN", "PROPN", "NUM", "PRON", "ADJ"):
            out.extend(_with_conjuncts(child))
        elif child.dep_ == "prep" and child.lower_ == "along":
            for grand in child.children:
                if grand.dep_ == "prep" and grand.lower_ == "with":
                    for pobj in grand.children:
                        if pobj.dep_ == "pobj":
                            out.extend(_with_conjuncts(pobj))
    # "two insurgents, including a commander": the commander is one of the two, so an
    # "including" phrase is never a conjunct.
    return out


def _event_kind(tok) -> str | None:
    lemma = tok.lemma_.lower()
    low = tok.lower_
    if tok.pos_ in ("VERB", "AUX") and lemma in EVENT_KINDS:
        return EVENT_KINDS[lemma]
    if tok.tag_ == "VBN" and low in _PARTICIPLES:
        return _PARTICIPLES[low]  # the tagger sometimes calls "killed" an adjective
    if tok.pos_ == "NOUN":
        for form in (low, lemma, low[:-1] if low.endswith("s") else low):
            if form in _NOMINAL_KIND:
                return _NOMINAL_KIND[form]
    if tok.pos_ == "ADJ" and low == "dead":
        return "killed"
    return None


_PARTICIPLES = {
    "killed": "killed", "wounded": "wounded", "injured": "injured", "detained": "detained",
    "captured": "captured", "arrested": "arrested",
}  # fmt: skip


def _unrealised(tok) -> bool:
    """True for an event that is aimed at, not reported: "a raid to capture", "aimed at
    capturing", "could kill", "will detain"."""
    if tok.tag_ == "VB":
        return True
    if tok.tag_ == "VBG" and tok.dep_ == "pcomp" and tok.head.lower_ in ("at", "for", "of", "on"):
        return True
    return any(c.dep_ == "aux" and c.tag_ == "MD" for c in tok.children)


def _present_perfect(tok) -> bool:
    """True for "have killed", "has been detained" (and a conjunct sharing them)."""
    verb = tok
    if (
        verb.pos_ == "NOUN"
        or verb.dep_ == "conj"
        and not any(c.dep_.startswith("aux") for c in verb.children)
    ):
        verb = verb.head
    return any(c.dep_ == "aux" and c.lower_ in ("have", "has", "'ve") for c in verb.children)


def event_counts(doc) -> Iterator[Count]:
    """Yield event counts from the dependency parse of ``doc``, in text order of the trigger.

    An event word (kill, die, wound, injure, arrest, capture, detain, kidnap, and the nouns
    "killing", "death", "arrest", "detention") is found by lemma; its patient is the object of
    an active verb ("killed two insurgents"), the subject of a passive one ("two insurgents
    were killed"), the noun a participle modifies ("insurgents killed in the strike"), the
    subject of "die", or the "of" phrase of a noun ("the killing of several of the men").
    Coordinated patients are counted separately ("two facilitators and two other militants").
    The count comes from a number, a number word or a vague quantity modifying the patient;
    "more than 10" counts 11, the least it can mean. Pronouns other than he/she are skipped.
    """
    text = doc_text(doc)
    for tok in doc:
        kind = _event_kind(tok)
        if kind is None or _unrealised(tok):
            continue
        patients, voice = _patients(tok)
        negated_verb = any(c.dep_ == "neg" for c in tok.children)
        background = _present_perfect(tok)
        for patient in patients:
            for noun in _with_conjuncts(patient):
                q = _quantity_of(noun)
                if q.number is None and noun.pos_ == "PRON":
                    continue
                number, negated = (0.0, True) if negated_verb else (q.number, q.negated)
                obj = None if noun is tok else q.object  # "three dead": no object named
                start_char = doc[q.start].idx
                end_char = doc[q.end].idx + len(doc[q.end].text)
                yield Count(
                    start_char,
                    end_char,
                    kind,
                    number,
                    obj,
                    text[start_char:end_char],
                    q.approximate,
                    negated,
                    q.definite,
                    background,
                    tok.text,
                    tok.idx,
                    tok.idx + len(tok.text),
                    voice,
                )


def extract_counts(doc, article: Mapping) -> list[dict]:
    """Return the ``counts`` table rows of one article, ordered by ``start``.

    Parameters
    ----------
    doc : spacy.tokens.Doc
        The parse of ``normalise_for_parse(article["text"])``.
    article : mapping
        At least ``article_id``.

    Returns
    -------
    list of dict
        ``article_id, start, end, kind, number, object`` as in DESIGN.md (``start``/``end``
        span the counted phrase, "six suspected insurgents"), plus ``text``, ``approximate``,
        ``negated``, ``definite``, ``trigger``, ``trigger_start``, ``trigger_end`` and ``voice``
        (see :class:`Count`).
    """
    rows = [{"article_id": article["article_id"], **c._asdict()} for c in event_counts(doc)]
    rows.sort(key=lambda r: (r["start"], r["end"], r["trigger_start"]))
    return rows


def _head_word(obj: str | None) -> str:
    word = (obj or "").split()[-1:] or [""]
    return word[0].lower().rstrip("s")


def count_totals(counts, kinds: Iterable[str]) -> float:
    """Total people counted for ``kinds`` in one article, each mention of them once.

    Parameters
    ----------
    counts : iterable of dict or Count
        One article's count rows (:func:`extract_counts`).
    kinds : iterable of str
        The kinds to add up, e.g. ``("captured", "detained", "arrested")``.

    Notes
    -----
    Wire copy and press releases state an event in the lead and retell it below, so:

    - negated, unnumbered and background (present perfect) counts add nothing;
    - a mention that repeats an earlier one adds nothing: the same phrase reached from two
      triggers, the same head noun with the same number ("killed two insurgents" ... "two
      insurgents were killed"), or the same number above one ("detained several insurgents"
      ... "several individuals were detained");
    - a definite mention with an exact number refines an earlier vague one ("detained several
      suspected insurgents" ... "the five suspected insurgents" gives 5);
    - other definite mentions ("the commander", "he") refer back and count only when the
      article has no indefinite mention of these kinds, and then the largest of them.
    """
    wanted = set(kinds)
    rows = [r if isinstance(r, Mapping) else r._asdict() for r in counts]
    rows = [
        r
        for r in rows
        if r["kind"] in wanted
        and not r["negated"]
        and not r.get("background")
        and r["number"] is not None
    ]
    counted: list[dict] = []
    definite: list[float] = []
    for r in sorted(rows, key=lambda r: r["start"]):
        head = _head_word(r["object"])
        if r.get("definite"):
            vague = [c for c in counted if c["approximate"] and _head_word(c["object"]) == head]
            if vague and not r["approximate"] and r["number"] > 1:
                counted[counted.index(vague[0])] = r
            else:
                definite.append(r["number"])
            continue
        if any(
            (c["start"], c["end"]) == (r["start"], r["end"])
            or c["number"] == r["number"]
            and (_head_word(c["object"]) == head or r["number"] > 1)
            for c in counted
        ):
            continue
        counted.append(r)
    if not counted:
        return max(definite, default=0.0)
    return float(sum(c["number"] for c in counted))
