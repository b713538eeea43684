"""Topic-model terms of a parse (lemmas, entities, noun phrases; no wire boilerplate) and the store's terms rows."""

from __future__ import annotations

import functools
import hashlib
import re
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from analysis.lexicon import (
    ACTOR_LABELS,
    AGENCY_TERMS,
    VALUE_LABELS,
)
from analysis.lexicon import CORE_REPORTING_VERBS as REPORTING_VERBS
from analysis.lexicon import TERM_ENTITY_LABELS as ENTITY_LABELS
from analysis.nlp import doc_text
from analysis.wire import layout_spans, loader_dateline, paragraph_spans

#: Parts of speech kept as single-lemma terms.
CONTENT_POS = frozenset({"NOUN", "PROPN", "VERB", "ADJ"})
#: Honorifics and other words that survive spaCy's stopword list but carry no topic.
EXTRA_STOPWORDS = frozenset(
    ["mr", "mrs", "ms", "dr", "st", "pc", "per", "cent", "percent", "etc", "yes", "oh"]
)

_NON_WORD = re.compile(r"[\W_]+")
#: Entity labels of dates, times and quantities: their words are not topics.
NON_TOPIC_LABELS = VALUE_LABELS


@dataclass(frozen=True)
class TermDoc:
    """The terms of one text with their character offsets and sentence spans.

    Attributes
    ----------
    terms : tuple of str
        Terms in text order.
    starts, ends : tuple of int
        Character offsets of each term in the text.
    sentences : tuple of (int, int)
        Character spans of the sentences (empty for pre-tokenised input).
    actor_flags : tuple of bool
        Whether each term came from a PERSON, ORG, GPE or NORP entity (empty for
        pre-tokenised input).
    """

    terms: tuple[str, ...]
    starts: tuple[int, ...]
    ends: tuple[int, ...]
    sentences: tuple[tuple[int, int], ...] = ()
    actor_flags: tuple[bool, ...] = ()

    def within(self, start: int, end: int) -> list[str]:
        """Return the terms that start inside ``[start, end)``."""
        return [t for t, s in zip(self.terms, self.starts, strict=True) if start <= s < end]


def normalise_term(words: Iterable[str]) -> str:
    """Join words into one lower-case term with underscores ("North Waziristan" -> "north_waziristan")."""
    return _NON_WORD.sub("_", "_".join(words).lower()).strip("_")


@functools.lru_cache(maxsize=1)
def actor_merges() -> dict[str, str]:
    """Return the actor merges as terms: surface form -> term of its canonical actor.

    The merges are the ones the actors table applies (``analysis/resources/actor_aliases.txt``:
    "U.S." and "US" are "United States"), so a topic term and the actor it names agree:
    ``{"U.S.": "united_states", "UK": "united_kingdom", ...}``. Keys are matched exactly, as
    the entities module matches them.
    """
    # The entities module owns the alias list and its reader; one copy of the merges.
    from analysis.entities import _lists

    return {alias: normalise_term([name]) for alias, name in _lists()["aliases"].items()}


@functools.lru_cache(maxsize=1)
def actor_names() -> dict[str, str]:
    """Return the display name of each merged actor term (``{"united_states": "United States"}``)."""
    from analysis.entities import _lists

    return {normalise_term([name]): name for name in _lists()["aliases"].values()}


def _keep_word(word: str, stopwords) -> bool:
    return (
        len(word) > 1 and word.isalpha() and word not in stopwords and word not in EXTRA_STOPWORDS
    )


def _entity_term(ent, stopwords) -> tuple[int, int, str] | None:
    """The term of an entity span and the offsets of the words it keeps, or None."""
    tokens = list(ent)
    # "the White House" -> "white_house"; "Pakistan's" -> "pakistan".
    while tokens and (tokens[0].pos_ == "DET" or tokens[0].is_punct):
        tokens = tokens[1:]
    while tokens and (tokens[-1].tag_ == "POS" or tokens[-1].is_punct or tokens[-1].is_space):
        tokens = tokens[:-1]
    if not tokens or all(t.like_num for t in tokens):
        return None
    start, end = tokens[0].idx, tokens[-1].idx + len(tokens[-1])
    # The actors table's merges ("U.S." -> United States), matched on the text as the entities
    # module matches it (whitespace folded, curly apostrophes straightened).
    # The tokens' own text, not ``ent.doc.text[start:end]``: Doc.text joins the whole article
    # each time (it was a seventh of the extract path's time on Reuters stories).
    written = "".join(t.text_with_ws for t in tokens[:-1]) + tokens[-1].text
    surface = " ".join(written.replace("\u2019", "'").split())
    term = actor_merges().get(surface) or normalise_term(t.text for t in tokens)
    if not term or term in AGENCY_TERMS or (len(tokens) == 1 and term in stopwords):
        return None
    return start, end, term


def term_spans(
    doc,
    *,
    entities: bool = True,
    phrases: bool = True,
    reporting_verbs: bool = False,
    max_phrase_len: int = 4,
    skip: Sequence[tuple[int, int]] | None = None,
) -> Iterator[tuple[int, int, str, bool]]:
    """Yield the topic terms of a spaCy ``Doc`` as ``(start, end, term, is_actor)`` in text order.

    Parameters
    ----------
    doc : spacy.tokens.Doc
        A parsed article (from :func:`analysis.nlp.parse`).
    entities : bool
        Join named-entity spans into one term ("north_waziristan"), without a leading article
        or trailing possessive. The actors table's merges apply (:func:`actor_merges`): "U.S.",
        "US" and "the United States" are all "united_states".
    phrases : bool
        Join noun compounds and adjective-noun phrases into one term ("prime_minister",
        "army_chief"); :class:`analysis.topics.TopicModel` splits rare ones back into words.
    reporting_verbs : bool
        Keep verbs of attribution ("say", "tell"); dropped by default.
    max_phrase_len : int
        Longest noun phrase joined, in words.
    skip : sequence of (int, int), optional
        Character spans that hold no terms (wire layout). Default: :func:`analysis.wire.layout_spans`
        of the text, the loader's dateline and the sign-offs.

    Yields
    ------
    tuple of (int, int, str, bool)
        Character offsets of the words the term was made of (``text[start:end]`` is its surface
        form, "GATT" for "gatt"), the term, and whether it names an actor (a person,
        organisation, place or group).
    """
    stopwords = _stopwords(doc.lang_)
    if skip is None:
        skip = layout_spans(doc_text(doc))
    used = [False] * len(doc)

    def in_skip(tok) -> bool:
        return any(s <= tok.idx < e for s, e in skip)

    out: list[tuple[int, int, str, bool]] = []
    if entities:
        for ent in doc.ents:
            if ent.label_ in NON_TOPIC_LABELS:
                for tok in ent:
                    used[tok.i] = True
            if ent.label_ not in ENTITY_LABELS or in_skip(ent[0]):
                continue
            found = _entity_term(ent, stopwords)
            for tok in ent:
                used[tok.i] = True
            if found:
                out.append((*found, ent.label_ in ACTOR_LABELS))
    if phrases:
        for tok in doc:
            # The head of a phrase is a noun; its modifiers are the contiguous compound/amod
            # tokens immediately to its left, each attached inside the phrase.
            if tok.pos_ not in {"NOUN", "PROPN"} or used[tok.i] or in_skip(tok):
                continue
            first = tok.i
            while (
                first > 0
                and tok.i - first + 1 < max_phrase_len
                and not used[first - 1]
                and doc[first - 1].dep_ in {"compound", "amod"}
                and doc[first - 1].head.i > first - 1
                and doc[first - 1].head.i <= tok.i
                and doc[first - 1].pos_ in {"NOUN", "PROPN", "ADJ"}
                and _keep_word(doc[first - 1].lemma_.lower(), stopwords)
            ):
                first -= 1
            if first == tok.i or not _keep_word(tok.lemma_.lower(), stopwords):
                continue
            words = [t.lemma_.lower() for t in doc[first : tok.i + 1]]
            for t in doc[first : tok.i + 1]:
                used[t.i] = True
            out.append((doc[first].idx, tok.idx + len(tok), normalise_term(words), False))
    merges = actor_merges()
    for tok in doc:
        if used[tok.i] or tok.pos_ not in CONTENT_POS or in_skip(tok):
            continue
        if tok.pos_ == "PROPN" and tok.text in merges:
            # "U.S." the model did not tag as an entity is still the United States.
            out.append((tok.idx, tok.idx + len(tok), merges[tok.text], True))
            continue
        lemma = (tok.text if tok.pos_ == "PROPN" else tok.lemma_).lower()
        if not _keep_word(lemma, stopwords) or tok.is_stop or lemma in AGENCY_TERMS:
            continue
        if not reporting_verbs and tok.pos_ == "VERB" and lemma in REPORTING_VERBS:
            continue
        out.append((tok.idx, tok.idx + len(tok), lemma, False))
    out.sort()
    yield from out


@functools.lru_cache(maxsize=4)
def _stopwords(lang: str) -> frozenset[str]:
    """spaCy's stop words of ``lang`` (``Defaults.stop_words``).

    Read from spaCy's own list (``spacy/lang/<lang>/stop_words.py``, a module that imports
    nothing) without importing spaCy when it is not loaded yet: the import costs a report
    kernel that parses nothing (the topic report) about 0.6 s for this list alone.
    """
    import importlib.util
    import sys
    from pathlib import Path

    spec = None if "spacy" in sys.modules else importlib.util.find_spec("spacy")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / "lang" / lang / "stop_words.py"
        if path.is_file():
            listed = importlib.util.spec_from_file_location(f"_spacy_stop_words_{lang}", path)
            module = importlib.util.module_from_spec(listed)
            listed.loader.exec_module(module)
            return frozenset(module.STOP_WORDS)
    import spacy

    return frozenset(spacy.util.get_lang_class(lang).Defaults.stop_words)


def doc_terms(doc, **options) -> list[str]:
    """Return the topic terms of a spaCy ``Doc`` in text order (see :func:`term_spans` for options).

    This is the plug-in point for a feature store: whatever caches parses can cache this list.
    """
    return [term for _, _, term, _ in term_spans(doc, **options)]


def extract_terms(doc, article) -> list[dict]:
    """Return the ``terms`` table rows of one parsed article: one row per paragraph.

    The feature-store extractor (``analysis.features.FEATURES``): each row holds ``article_id``,
    ``paragraph`` (0-based index of :func:`analysis.corpus.paragraph_spans`) and ``terms`` (the
    paragraph's :func:`doc_terms`, in order), plus ``starts`` and ``ends`` (each term's
    character offsets) and ``actor`` (whether it came from a person, organisation, place or
    group entity), from which :func:`term_docs_from_store` rebuilds the term documents without
    parsing. A :class:`analysis.topics.TopicModel` also fits on the table directly.
    """
    spans = list(paragraph_spans(article["text"])) or [(0, len(article["text"]))]
    starts = [s for s, _ in spans]
    rows = [
        {
            "article_id": article["article_id"],
            "paragraph": i,
            "terms": [],
            "starts": [],
            "ends": [],
            "actor": [],
        }
        for i in range(len(spans))
    ]
    # The loader already read the dateline: skip what it found rather than reading it again.
    # (an article that never went through the loader has no such field: read it then).
    skip = layout_spans(doc_text(doc), loader_dateline(article))
    for start, end, term, is_actor in term_spans(doc, skip=skip):
        row = rows[max(0, bisect_right(starts, start) - 1)]
        row["terms"].append(term)
        row["starts"].append(start)
        row["ends"].append(end)
        row["actor"].append(bool(is_actor))
    return rows


def term_doc(doc, **options) -> TermDoc:
    """Return a :class:`TermDoc` (terms, offsets, sentences, actors) for a spaCy ``Doc``."""
    spans = list(term_spans(doc, **options))
    return TermDoc(
        terms=tuple(s[2] for s in spans),
        starts=tuple(s[0] for s in spans),
        ends=tuple(s[1] for s in spans),
        sentences=tuple((s.start_char, s.end_char) for s in doc.sents),
        actor_flags=tuple(bool(s[3]) for s in spans),
    )


def whitespace_doc(text: str) -> TermDoc:
    """Return a :class:`TermDoc` of ``text`` split on whitespace, tokens used as they are."""
    terms, starts, ends = [], [], []
    for match in re.finditer(r"\S+", text):
        terms.append(match.group(0))
        starts.append(match.start())
        ends.append(match.end())
    return TermDoc(tuple(terms), tuple(starts), tuple(ends), ((0, len(text)),) if text else ())


# Parsed terms of recently seen texts, so explaining a fitted model (representative sentences,
# keyness, prevalence) never parses an article twice in one session.
_CACHE: OrderedDict[str, TermDoc] = OrderedDict()
_CACHE_MAX = 50_000


def _key(text: str, tokens: str | None) -> str:
    return hashlib.sha1(f"{tokens}\x00{text}".encode()).hexdigest()


def term_docs(
    texts: Sequence[str],
    *,
    tokens: str | None = None,
    nlp=None,
    batch_size: int = 64,
    n_process: int = 1,
) -> list[TermDoc]:
    """Return one :class:`TermDoc` per text, parsing only texts not seen before in this process.

    Parameters
    ----------
    texts : sequence of str
        Article bodies.
    tokens : {None, "whitespace"}
        ``None`` parses with spaCy; ``"whitespace"`` means the texts are already tokenised.
    nlp : spacy.Language, optional
        Pipeline to use (default :func:`analysis.nlp.load_nlp`).
    batch_size, n_process : int
        Passed to :func:`analysis.nlp.parse`.

    Returns
    -------
    list of TermDoc
    """
    if tokens not in (None, "whitespace"):
        raise ValueError(f"tokens must be None or 'whitespace', got {tokens!r}")
    keys = [_key(t, tokens) for t in texts]
    todo = {k: t for k, t in zip(keys, texts, strict=True) if k not in _CACHE}
    if todo:
        if tokens == "whitespace":
            fresh = [whitespace_doc(t) for t in todo.values()]
        else:
            from analysis.nlp import parse

            fresh = [
                term_doc(d)
                for d in parse(
                    list(todo.values()), nlp=nlp, batch_size=batch_size, n_process=n_process
                )
            ]
        for k, td in zip(todo, fresh, strict=True):
            _CACHE[k] = td
    out = []
    for k in keys:
        out.append(_CACHE[k])
        _CACHE.move_to_end(k)
    while len(_CACHE) > max(_CACHE_MAX, len(keys)):
        _CACHE.popitem(last=False)
    return out


def cache_terms(
    texts: Sequence[str], term_docs: Sequence[TermDoc], tokens: str | None = None
) -> None:
    """Put already extracted ``term_docs`` for ``texts`` into the in-process cache (e.g. from a file)."""
    for text, td in zip(texts, term_docs, strict=True):
        _CACHE[_key(text, tokens)] = td


def term_docs_from_store(articles, terms, sentences=None) -> list[TermDoc]:
    """Rebuild the :class:`TermDoc` of each article from feature-store tables, and cache them.

    After this call every function that takes article texts (``TopicModel.fit``,
    ``representative_sentences``, ``keyness``...) finds their terms in the in-process cache and
    parses nothing.

    Parameters
    ----------
    articles : pandas.DataFrame
        The articles table (``article_id``, ``text``).
    terms : pandas.DataFrame
        The store's ``terms`` table (``article_id``, ``paragraph``, ``terms``, ``starts``,
        ``ends``, ``actor``).
    sentences : pandas.DataFrame, optional
        The store's ``sentences`` table (``article_id``, ``start``, ``end``), for
        representative sentences.

    Returns
    -------
    list of TermDoc
        One per row of ``articles``, in order (no terms for an article missing from ``terms``).
    """
    # Flattened whole with pyarrow, then cut per article: a loop over each article's rows
    # took 1.2 s per 1,000 articles, a warm topic report's largest step after the fit.
    import numpy as np
    import pyarrow as pa

    terms = terms.sort_values(["article_id", "paragraph"], kind="stable")
    flat = {
        name: pa.array(terms[name], type=pa.list_(kind)).flatten().to_pylist()
        for name, kind in (
            ("terms", pa.string()),
            ("starts", pa.int64()),
            ("ends", pa.int64()),
            ("actor", pa.bool_()),
        )
    }
    lengths = terms["terms"].map(len).to_numpy()
    bounds = _runs(terms["article_id"].to_numpy(), np.concatenate([[0], np.cumsum(lengths)]))
    spans_of: dict = {}
    if sentences is not None and len(sentences):
        sentences = sentences.sort_values(["article_id", "start"], kind="stable")
        starts, ends = sentences["start"].astype(int), sentences["end"].astype(int)
        pairs = list(zip(starts.tolist(), ends.tolist(), strict=True))
        runs = _runs(sentences["article_id"].to_numpy(), np.arange(len(pairs) + 1))
        spans_of = {aid: tuple(pairs[lo:hi]) for aid, (lo, hi) in runs.items()}
    docs = []
    for aid in articles["article_id"]:
        lo, hi = bounds.get(aid, (0, 0))
        docs.append(
            TermDoc(
                tuple(flat["terms"][lo:hi]),
                tuple(flat["starts"][lo:hi]),
                tuple(flat["ends"][lo:hi]),
                spans_of.get(aid, ()),
                tuple(flat["actor"][lo:hi]),
            )
        )
    cache_terms(articles["text"].tolist(), docs)
    return docs


def _runs(keys, offsets) -> dict:
    """``{key: (offsets[first], offsets[last + 1])}`` for each run of equal ``keys`` (sorted)."""
    import numpy as np

    if not len(keys):
        return {}
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    ends = np.r_[starts[1:], len(keys)]
    return {keys[s]: (int(offsets[s]), int(offsets[e])) for s, e in zip(starts, ends, strict=True)}
