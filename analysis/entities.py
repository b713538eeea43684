"""Entity mentions and actors: spaCy's entities cleaned up for wire copy, resolved within each article and counted across the corpus."""

from __future__ import annotations

import bisect
import functools
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from typing import NamedTuple

from analysis import features
from analysis.lexicon import AGENCY_NAMES, NAME_LABELS, read_word_list
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
    "actor_table",
    "co_mentions",
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


@functools.lru_cache(maxsize=1)
def _lists() -> dict:
    def fold(words: Iterable[str]) -> frozenset[str]:
        return frozenset(w.lower().rstrip(".") for w in words)

    aliases = {}
    for line in read_word_list("actor_aliases.txt"):
        alias, _, canonical = line.partition("\t")
        if canonical.strip():
            aliases[alias.strip()] = canonical.strip()
    return {
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
        if full and len(full) == 1 and (d.label == "PERSON" or d.label in {"ORG", "NORP", "GPE"}):
            if d.label != "PERSON" and text in aliases:
                actors.append(aliases[text])
                continue
            d.label = "PERSON"
            actors.append(next(iter(full)))
            continue
        actors.append(aliases.get(text, text))
    return actors


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


def actor_table(
    mentions_df,
    articles_df=None,
    *,
    labels: Iterable[str] | None = None,
    merge_surnames: bool = False,
):
    """Count the actors of a corpus from its ``mentions`` table.

    Parameters
    ----------
    mentions_df : pandas.DataFrame
        Rows of :func:`extract_mentions` for many articles (``article_id``, ``text``, ``label``,
        ``actor`` are used).
    articles_df : pandas.DataFrame, optional
        The articles table; its ``published`` column (ISO date or None) gives ``first_seen`` and
        ``last_seen``. Without it, or where no date is known, both are None.
    labels : iterable of str, optional, keyword-only
        Keep only actors with these labels (default: every name label).
    merge_surnames : bool, keyword-only
        Also merge across articles: a one-word PERSON actor ("Kayani", from an article that
        never gives the full name) joins the only multi-word PERSON actor of the corpus ending in
        that word ("Ashfaq Kayani"). Off by default: common surnames would merge strangers.

    Returns
    -------
    pandas.DataFrame
        One row per actor: ``actor``, ``label`` (its most frequent label), ``aliases`` (the
        distinct surface forms, most frequent first), ``n_mentions``, ``n_articles``,
        ``first_seen``, ``last_seen``; sorted by ``n_mentions`` descending, then ``actor``.
    """
    import pandas as pd

    wanted = set(labels) if labels is not None else set(NAME_LABELS)
    unknown = wanted - NAME_LABELS
    if unknown:
        raise ValueError(
            f"labels {sorted(unknown)} are not name labels; use some of {sorted(NAME_LABELS)}"
        )
    if mentions_df is None or len(mentions_df) == 0:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in ACTOR_COLUMNS})
    df = mentions_df.loc[mentions_df["actor"].notna(), ["article_id", "text", "label", "actor"]]
    df = df.astype(object)
    if merge_surnames:
        df["actor"] = df["actor"].replace(_surname_merges(_majority_label(df)))
    label = _majority_label(df)
    df["alias"] = [_norm(t) for t in df["text"].to_numpy(dtype=object)]
    forms = df.groupby(["actor", "alias"], sort=False).size().reset_index(name="n")
    forms = forms.sort_values(["actor", "n", "alias"], ascending=[True, False, True])
    by_actor = df.groupby("actor", sort=True)
    out = pd.DataFrame(
        {
            "label": label,
            "aliases": pd.Series(_lists_by_key(forms["actor"], forms["alias"]), dtype=object),
            "n_mentions": by_actor.size(),
            "n_articles": by_actor["article_id"].nunique(),
        }
    )
    out.index.name = "actor"
    published = None
    if articles_df is not None and "published" in articles_df.columns:
        known = articles_df.loc[
            [isinstance(p, str) and bool(p) for p in articles_df["published"]],
            ["article_id", "published"],
        ]
        published = pd.Series(known["published"].to_numpy(dtype=object), index=known["article_id"])
    if published is not None and len(published):
        dates = df["article_id"].map(published.groupby(level=0).first()).astype(object)
        by_date = dates.groupby(df["actor"])
        out["first_seen"] = by_date.min()
        out["last_seen"] = by_date.max()
    out = out.reset_index()
    for column in ("first_seen", "last_seen"):
        # Object columns, so an unknown date stays None rather than becoming NaN.
        values = out[column] if column in out else [None] * len(out)
        out[column] = pd.Series([v if isinstance(v, str) else None for v in values], dtype=object)
    out = out[out["label"].isin(wanted)][list(ACTOR_COLUMNS)]
    out = out.astype(
        {"actor": object, "label": object, "n_mentions": "int64", "n_articles": "int64"}
    )
    out = out.sort_values(["n_mentions", "actor"], ascending=[False, True], kind="stable")
    return out.reset_index(drop=True)


def _lists_by_key(keys, values) -> dict:
    """``{key: [values in order]}``; a plain loop, far faster than ``groupby().agg(list)``."""
    out: dict = {}
    values = values.to_numpy(dtype=object) if hasattr(values, "to_numpy") else values
    keys = keys.to_numpy(dtype=object) if hasattr(keys, "to_numpy") else keys
    for k, v in zip(keys, values, strict=True):
        bucket = out.get(k)
        if bucket is None:
            out[k] = [v]
        else:
            bucket.append(v)
    return out


def _majority_label(df):
    """Each actor's most frequent label (ties go to the label first in alphabetical order)."""
    votes = df.groupby(["actor", "label"], sort=False).size().reset_index(name="n")
    votes = votes.sort_values(["actor", "n", "label"], ascending=[True, False, True])
    return votes.drop_duplicates("actor").set_index("actor")["label"]


def _surname_merges(label) -> dict[str, str]:
    """One-word PERSON actors mapped to the only multi-word PERSON actor ending in that word."""
    people = [a for a, lab in label.items() if lab == "PERSON"]
    by_surname: dict[str, set[str]] = defaultdict(set)
    for actor in people:
        words = actor.split()
        if len(words) >= 2:
            by_surname[words[-1]].add(actor)
    return {
        a: next(iter(by_surname[a]))
        for a in people
        if " " not in a and len(by_surname.get(a, ())) == 1
    }


def co_mentions(
    mentions_df,
    *,
    by: str = "article",
    labels: Iterable[str] | None = ("PERSON", "ORG", "GPE", "NORP"),
    min_count: int = 1,
):
    """Pairs of actors mentioned together in the same article or the same sentence.

    Parameters
    ----------
    mentions_df : pandas.DataFrame
        Rows of :func:`extract_mentions` (``by="sentence"`` needs the ``sentence`` column).
    by : {"article", "sentence"}
        The unit in which two actors count as mentioned together.
    labels : iterable of str or None
        Actors' labels to keep (None keeps every name label).
    min_count : int
        Drop pairs seen together in fewer units than this.

    Returns
    -------
    pandas.DataFrame
        ``actor_a``, ``label_a``, ``actor_b``, ``label_b`` (``actor_a < actor_b``), ``count``
        (units holding both), ``n_articles`` and ``article_ids`` (sorted, to trace each pair back
        to its text); sorted by ``count`` descending, then the names.
    """
    import pandas as pd

    if by not in {"article", "sentence"}:
        raise ValueError(f"by={by!r}; use 'article' or 'sentence'")
    columns = ["actor_a", "label_a", "actor_b", "label_b", "count", "n_articles", "article_ids"]
    if mentions_df is None or len(mentions_df) == 0:
        return pd.DataFrame(columns=columns)
    df = mentions_df[mentions_df["actor"].notna()]
    if labels is not None:
        df = df[df["label"].isin(set(labels))]
    if by == "sentence":
        df = df[df["sentence"].notna()]
    if len(df) == 0:
        return pd.DataFrame(columns=columns)
    keys = ["article_id"] if by == "article" else ["article_id", "sentence"]
    label = _majority_label(df.astype({"actor": object, "label": object}))
    # Integer codes in name order, so the self-join stays small and "a < b" compares names.
    actor_code, actor_names = pd.factorize(df["actor"].astype(object), sort=True)
    article_code, article_names = pd.factorize(df["article_id"].astype(object), sort=True)
    units = pd.DataFrame(
        {
            "unit": df.groupby(keys, sort=False).ngroup().to_numpy(),
            "article": article_code,
            "actor": actor_code,
        }
    ).drop_duplicates()
    pairs = units.merge(units[["unit", "actor"]], on="unit", suffixes=("_a", "_b"))
    pairs = pairs[pairs["actor_a"] < pairs["actor_b"]]
    counts = pairs.groupby(["actor_a", "actor_b"], sort=False).size()
    counts = counts[counts >= min_count]
    if len(counts) == 0:
        return pd.DataFrame(columns=columns)
    seen = pairs[["actor_a", "actor_b", "article"]].drop_duplicates()
    seen = seen.set_index(["actor_a", "actor_b"]).loc[counts.index].sort_values("article")
    keys_ab = zip(
        seen.index.get_level_values(0).to_numpy(),
        seen.index.get_level_values(1).to_numpy(),
        strict=True,
    )
    articles = _lists_by_key(list(keys_ab), seen["article"])
    out = counts.rename("count").reset_index()
    out["article_codes"] = [articles[k] for k in zip(out["actor_a"], out["actor_b"], strict=True)]
    out["actor_a"] = actor_names[out["actor_a"].to_numpy()]
    out["actor_b"] = actor_names[out["actor_b"].to_numpy()]
    out["label_a"] = out["actor_a"].map(label)
    out["label_b"] = out["actor_b"].map(label)
    out["n_articles"] = [len(c) for c in out["article_codes"]]
    out["article_ids"] = [list(article_names[c]) for c in out["article_codes"]]
    out = out.astype({c: object for c in ("actor_a", "label_a", "actor_b", "label_b")})
    out = out.sort_values(["count", "actor_a", "actor_b"], ascending=[False, True, True])
    return out[columns].reset_index(drop=True)
