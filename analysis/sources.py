"""Sources of attributions: their roles, non-answers, and share of voice and sourcing by kind."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, NamedTuple

from analysis.lexicon import read_word_list
from analysis.quotes import QUOTATION_KINDS

if TYPE_CHECKING:
    import pandas as pd

#: Kinds of rows in the quotes table: quotations found from their marks, reported speech found
#: by the attribution tagger (``mixed``: reported content holding a partial quotation), and
#: non-answers ("declined to comment").
REPORTED_KINDS = ("indirect", "mixed")
NON_ANSWER = "non_answer"
KINDS = QUOTATION_KINDS + REPORTED_KINDS + (NON_ANSWER,)
#: How an attribution is given, from the kinds of its pieces (column ``form`` of the summaries).
FORMS = ("quotation", "mixed", "reported", NON_ANSWER)
#: Roles of a source: a named person (with no office or expertise given), an official, an
#: expert, an organisation (or a place speaking as one), a document, an anonymous person.
ROLES = ("person", "official", "expert", "organisation", "document", "anonymous", "unknown")

# Word lists under analysis/resources/ (read with the one reader, analysis.lexicon).
#: Words that make a named person an official (office, rank, government or party function).
OFFICIAL_WORDS = frozenset(read_word_list("official_words.txt"))
#: Words that make a named person an expert.
EXPERT_WORDS = frozenset(read_word_list("expert_words.txt"))
#: Head nouns of sources that are documents, data or publications rather than speakers.
DOCUMENT_NOUNS = frozenset(read_word_list("document_nouns.txt"))
#: Verbs of declining to answer ("declined to comment") and what was declined.
_DECLINE_VERBS = frozenset({"decline", "refuse"})
_DECLINED = frozenset(
    {
        "comment",
        "respond",
        "elaborate",
        "discuss",
        "say",
        "answer",
        "speak",
        "confirm",
        "detail",
        "specify",
        "address",
        "talk",
        "reply",
        "disclose",
        "reveal",
        "identify",
        "provide",
        "give",
    }
)
#: Verbs of not answering ("did not respond to a request for comment").
_ANSWER_VERBS = frozenset({"respond", "reply", "return", "answer", "comment"})
#: Words naming what went unanswered.
_REQUEST_WORDS = frozenset(
    """
    comment comments request requests call calls message messages email emails e-mail e-mails
    question questions inquiry inquiries query queries interview interviews phone
    """.split()  # noqa: SIM905 - a word list reads better as text
)
_NEGATIONS = frozenset({"not", "n't", "never", "no"})


# --------------------------------------------------------------------------------------------
# Non-answers


class NonAnswer(NamedTuple):
    """A source not answering: ``cue`` is the verb, ``start``/``end`` what was not answered."""

    start: int
    end: int
    cue_token: int  # index in the Doc of the verb ("declined", "respond", "reached")
    subject_token: int | None  # index of its subject, when the parse has one


def _negated(tok) -> bool:
    return any(c.dep_ == "neg" or c.lower_ in _NEGATIONS for c in tok.children)


def _edges(tokens) -> tuple[int, int]:
    toks = [t for t in tokens if not t.is_space]
    while toks and toks[-1].is_punct:
        toks.pop()
    return toks[0].idx, toks[-1].idx + len(toks[-1])


def non_answers(doc) -> Iterator[NonAnswer]:
    """Yield the non-answers of a parsed text, in text order.

    Forms: "X declined (refused) to comment / to elaborate / to discuss ...", "X did not
    respond (reply, return calls) to a request for comment", "X could not be reached (for
    comment)", "X had no comment". ``start``/``end`` cover what was not answered ("to
    comment", "a request for comment"), or the verb group when nothing follows it.
    """
    from analysis.speakers import _subject

    seen: set[int] = set()
    for tok in doc:
        lemma = tok.lemma_.lower()
        found = None
        if lemma in _DECLINE_VERBS and tok.pos_ == "VERB":
            for child in tok.children:
                if child.dep_ == "xcomp" and child.lemma_.lower() in _DECLINED:
                    found = list(child.subtree)
                    break
        elif lemma in _ANSWER_VERBS and tok.pos_ == "VERB" and _negated(tok):
            for child in tok.children:
                if child.dep_ in {"dobj", "prep"} and any(
                    t.lower_ in _REQUEST_WORDS for t in child.subtree
                ):
                    found = list(child.subtree)
                    if child.dep_ == "prep":
                        found = [t for t in found if t.i > child.i] or found
                    break
            if found is None and lemma == "comment":
                found = [tok]
        elif lemma == "reach" and tok.pos_ == "VERB" and _negated(tok):
            if any(c.dep_ == "auxpass" for c in tok.children):
                found = [tok]
                for child in tok.children:
                    if child.dep_ == "prep" and child.lower_ == "for":
                        found = list(child.subtree)
        elif (
            lemma == "comment"
            and tok.pos_ == "NOUN"
            and tok.head.lemma_.lower() == "have"
            and any(c.lower_ == "no" for c in tok.children)
        ):
            found = list(tok.subtree)
            tok = tok.head
        if found is None or tok.i in seen:
            continue
        seen.add(tok.i)
        start, end = _edges(found)
        subj = _subject(tok)
        yield NonAnswer(start, end, tok.i, subj.i if subj is not None else None)


# --------------------------------------------------------------------------------------------
# Roles


def _description_words(doc, head, name: str | None, mentions: list[dict] | None) -> set[str]:
    """Lower-cased words describing a named person: titles, modifiers and appositions.

    Every mention of the person in the article counts (a title given once describes them
    throughout): the words right before each person entity whose text ends with the name's
    last word, its appositions ("Liam Fox, the defence secretary"), and the ``title`` of
    overlapping rows of the mentions table.
    """
    words: set[str] = set()
    last = (name or "").split()[-1:] if name else []
    heads = [head] if head is not None else []
    for ent in doc.ents:
        if ent.label_ == "PERSON" and last and ent.text.split()[-1:] == last:
            heads.append(ent.root)
    for h in heads:
        # Left modifiers and the words just before the name ("army spokesman General Abbas").
        i = h.i - 1
        while i >= 0 and h.i - i <= 6:
            t = doc[i]
            if t.is_punct and t.text not in {".", "-"} or t.pos_ in {"VERB", "AUX", "ADP", "PRON"}:
                break
            words.add(t.lower_)
            i -= 1
        for child in h.children:
            if child.dep_ == "appos":
                words.update(t.lower_ for t in child.subtree)
        # "X, who is a professor at ..." is left out: a clause, not a description.
        if h.dep_ == "appos":
            words.update(t.lower_ for t in h.head.subtree if t.i < h.i)
    for row in mentions or ():
        if row.get("title") and name and row.get("actor") == name:
            words.update(str(row["title"]).lower().split())
    return words


def source_role(doc, head, speaker: str | None, speaker_kind: str, mentions=None) -> str:
    """Return the role of a source (one of :data:`ROLES`).

    Parameters
    ----------
    doc : spacy.tokens.Doc
        The parse the attribution was found in.
    head : spacy.tokens.Token or None
        Head word of the words the attribution was made from (``speaker_start:speaker_end``).
    speaker, speaker_kind : str
        The resolved speaker and its kind (quotes table columns).
    mentions : list of dict, optional
        The article's mentions rows (``actor``, ``title``).

    Notes
    -----
    A source headed by a document noun ("a WikiLeaks document", "the report") is a
    ``document``; organisations and places speaking as one are ``organisation``; unnamed
    persons ("a senior official", "sources") are ``anonymous``; a named person is an
    ``official`` or an ``expert`` when a title, modifier or apposition anywhere in the article
    says so ("Pakistani army spokesman General Athar Abbas", "Jane Doe, an economist at ..."),
    else ``person``; a speaker the parse could not resolve is ``unknown``.
    """
    if (
        head is not None
        and head.lemma_.lower() in DOCUMENT_NOUNS
        and head.pos_ in {"NOUN", "PROPN"}
        and speaker_kind != "person"
    ):
        return "document"
    if speaker is None or speaker_kind == "unknown":
        return "unknown"
    if speaker_kind in {"organisation", "place"}:
        return "organisation"
    if speaker_kind == "anonymous":
        return "anonymous"
    words = _description_words(doc, head, speaker, mentions)
    if words & OFFICIAL_WORDS:
        return "official"
    if words & EXPERT_WORDS:
        return "expert"
    return "person"


# --------------------------------------------------------------------------------------------
# Corpus-level: attributions, share of voice and sourcing counting reported speech too

#: Columns of :func:`merge_pieces`.
ATTRIBUTION_COLUMNS = (
    "article_id",
    "attribution",
    "start",
    "end",
    "form",
    "kinds",
    "cue",
    "speaker",
    "speaker_kind",
    "role",
    "n_pieces",
    "n_words",
)


def form_of(kinds: Iterable[str]) -> str:
    """The form of an attribution from the kinds of its pieces (one of :data:`FORMS`).

    ``non_answer`` when any piece is one; ``mixed`` when reported content holds quoted words
    (a ``mixed`` piece, or quotation and indirect pieces together); ``reported`` for indirect
    pieces only; ``quotation`` for direct and partial quotations only.
    """
    kinds = set(kinds)
    if NON_ANSWER in kinds:
        return NON_ANSWER
    if "mixed" in kinds or ("indirect" in kinds and kinds & set(QUOTATION_KINDS)):
        return "mixed"
    if "indirect" in kinds:
        return "reported"
    return "quotation"


def _words_in(intervals: list[tuple[int, int, str]]) -> int:
    """Words of the union of ``(start, end, text)`` pieces (overlapping pieces counted once)."""
    chars: dict[int, str] = {}
    for start, end, text in intervals:
        for k, ch in enumerate(text[: max(0, end - start)]):
            chars.setdefault(start + k, ch)
    if not chars:
        return 0
    out, prev, in_word = 0, None, False
    for pos in sorted(chars):
        ch = chars[pos]
        if prev is not None and pos != prev + 1:
            in_word = False
        if ch.isspace():
            in_word = False
        elif not in_word:
            out += 1
            in_word = True
        prev = pos
    return out


def merge_pieces(quotes_df) -> pd.DataFrame:
    """Return one row per attribution of a quotes table, its pieces merged.

    Pieces sharing ``article_id`` and ``attribution`` are one attribution (a row with no
    ``attribution`` is one on its own): ``start``/``end`` run from the first piece to the last,
    ``form`` comes from :func:`form_of`, ``kinds`` lists the pieces' kinds, ``n_words`` counts
    the words of the pieces (a partial quotation inside reported content counted once).
    Speaker, cue and role come from the first piece that has them.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`ATTRIBUTION_COLUMNS`, sorted by ``article_id`` and ``start``.
    """
    import pandas as pd

    if quotes_df is None or len(quotes_df) == 0:
        return pd.DataFrame(columns=list(ATTRIBUTION_COLUMNS))
    df = quotes_df.reset_index(drop=True)
    has_role = "role" in df.columns
    groups: dict[tuple, list[int]] = {}
    for i, (aid, attr) in enumerate(zip(df["article_id"], df["attribution"], strict=True)):
        key = (aid, ("row", i)) if attr is None or pd.isna(attr) else (aid, int(attr))
        groups.setdefault(key, []).append(i)
    rows = []
    for (aid, attr), idx in groups.items():
        part = df.iloc[idx]

        def first(column: str, part=part):
            values = [v for v in part[column] if v is not None and not pd.isna(v)]
            return values[0] if values else None

        kinds = [str(k) for k in part["kind"]]
        pieces = [
            (int(s), int(e), str(q or ""))
            for s, e, q in zip(part["start"], part["end"], part["quote"], strict=True)
        ]
        rows.append(
            {
                "article_id": aid,
                "attribution": None if isinstance(attr, tuple) else attr,
                "start": min(p[0] for p in pieces),
                "end": max(p[1] for p in pieces),
                "form": form_of(kinds),
                "kinds": ",".join(sorted(set(kinds))),
                "cue": first("cue"),
                "speaker": first("speaker"),
                "speaker_kind": first("speaker_kind") or "unknown",
                "role": (first("role") if has_role else None) or "unknown",
                "n_pieces": len(idx),
                "n_words": 0 if form_of(kinds) == NON_ANSWER else _words_in(pieces),
            }
        )
    out = pd.DataFrame(rows, columns=list(ATTRIBUTION_COLUMNS))
    out["attribution"] = out["attribution"].astype("Int64")
    return out.sort_values(["article_id", "start"], kind="stable").reset_index(drop=True)


#: Columns of :func:`voice_by_kind`.
VOICE_COLUMNS = (
    "speaker",
    "form",
    "speaker_kind",
    "role",
    "n_attributions",
    "n_words",
    "n_articles",
    "attribution_share",
    "word_share",
)


def _mode(values) -> str:
    mode = values.mode()
    return str(mode.iat[0]) if len(mode) else "unknown"


def voice_by_kind(quotes_df) -> pd.DataFrame:
    """Share of voice counting reported speech too: attributions and words per speaker and form.

    Parameters
    ----------
    quotes_df : pandas.DataFrame
        The quotes table (every kind); pieces of one attribution are merged first
        (:func:`merge_pieces`) and non-answers left out (they give no words).

    Returns
    -------
    pandas.DataFrame
        One row per speaker and ``form`` (``quotation``, ``mixed``, ``reported``): columns
        :data:`VOICE_COLUMNS`; ``attribution_share`` and ``word_share`` are shares of all
        attributions and words in the table, so they sum to 1 over the rows. Speakers are
        ordered by their words over all forms, then attributions; unattributed ones count as
        "(unknown)".
    """
    import pandas as pd

    merged = merge_pieces(quotes_df)
    merged = merged[merged["form"] != NON_ANSWER]
    if merged.empty:
        return pd.DataFrame(columns=list(VOICE_COLUMNS))
    merged = merged.assign(speaker=merged["speaker"].fillna("(unknown)"))
    out = (
        merged.groupby(["speaker", "form"], sort=False)
        .agg(
            speaker_kind=("speaker_kind", _mode),
            role=("role", _mode),
            n_attributions=("start", "size"),
            n_words=("n_words", "sum"),
            n_articles=("article_id", "nunique"),
        )
        .reset_index()
    )
    out["attribution_share"] = out["n_attributions"] / out["n_attributions"].sum()
    total_words = out["n_words"].sum()
    out["word_share"] = out["n_words"] / total_words if total_words else 0.0
    totals = out.groupby("speaker")[["n_words", "n_attributions"]].transform("sum")
    out["_order"] = pd.Categorical(out["form"], categories=list(FORMS), ordered=True)
    out = out.assign(_words=totals["n_words"], _n=totals["n_attributions"])
    out = out.sort_values(
        ["_words", "_n", "speaker", "_order"], ascending=[False, False, True, True]
    )
    return out.reset_index(drop=True)[list(VOICE_COLUMNS)]


#: Columns of :func:`sourcing_by_kind`.
SOURCING_COLUMNS = (
    "article_id",
    "form",
    "n_attributions",
    "named",
    "anonymous",
    "unknown",
    "anonymous_share",
) + tuple(f"role_{r}" for r in ROLES)


def sourcing_by_kind(quotes_df) -> pd.DataFrame:
    """Named against anonymous sourcing per article and form, with the sources' roles.

    Parameters
    ----------
    quotes_df : pandas.DataFrame
        The quotes table (every kind); pieces of one attribution are merged first.

    Returns
    -------
    pandas.DataFrame
        One row per article and ``form`` (``quotation``, ``mixed``, ``reported``,
        ``non_answer``): columns :data:`SOURCING_COLUMNS`. ``named`` counts person,
        organisation and place speakers, ``anonymous`` unnamed ones, ``unknown`` unresolved
        ones; ``anonymous_share`` is anonymous over named plus anonymous (NaN when neither);
        ``role_*`` count the attributions of each role.
    """
    import pandas as pd

    merged = merge_pieces(quotes_df)
    if merged.empty:
        return pd.DataFrame(columns=list(SOURCING_COLUMNS))
    kind = merged["speaker_kind"].fillna("unknown")
    df = pd.DataFrame(
        {
            "article_id": merged["article_id"],
            "form": merged["form"],
            "named": kind.isin(["person", "organisation", "place"]).astype(int),
            "anonymous": (kind == "anonymous").astype(int),
            "unknown": (~kind.isin(["person", "organisation", "place", "anonymous"])).astype(int),
            **{f"role_{r}": (merged["role"] == r).astype(int) for r in ROLES},
        }
    )
    out = df.groupby(["article_id", "form"], sort=True).sum().reset_index()
    out.insert(2, "n_attributions", out[["named", "anonymous", "unknown"]].sum(axis=1))
    attributed = out["named"] + out["anonymous"]
    out["anonymous_share"] = (out["anonymous"] / attributed.where(attributed > 0)).astype(float)
    order = pd.Categorical(out["form"], categories=list(FORMS), ordered=True)
    out = out.assign(_order=order).sort_values(["article_id", "_order"], kind="stable")
    return out.reset_index(drop=True)[list(SOURCING_COLUMNS)]
