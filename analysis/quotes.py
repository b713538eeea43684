"""Quotations and their speakers: the cue of each quotation and the quotes table.

Where the quotations are comes from their marks (:mod:`analysis.quote_marks`), who a subject
names from the parse (:mod:`analysis.speakers`); this module finds each quotation's reporting
verb and speaker, and summarises the table (share of voice, sourcing). Names of those modules
that were public here are re-exported, so ``from analysis.quotes import X`` keeps working.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, NamedTuple

from analysis import features
from analysis.lexicon import QUOTE_CUE_VERBS
from analysis.nlp import doc_text
from analysis.quote_marks import (
    _paragraph_breaks,
    _Span,
    _spans,
    quote_spans,  # noqa: F401 - public here before the split: re-exported
)
from analysis.speakers import (
    ORG_NOUNS,  # noqa: F401 - public here before the split: re-exported
    PERSON_NOUNS,  # noqa: F401 - public here before the split: re-exported
    _left_subject,
    _Resolver,
    _subject,
)

if TYPE_CHECKING:
    import pandas as pd

#: Columns of the ``quotes`` table (DESIGN.md), then the extra columns this module adds.
QUOTE_COLUMNS = features.feature("quotes").core_columns

#: Lemmas of verbs that open a quote (``analysis.lexicon``).
REPORTING_VERBS = QUOTE_CUE_VERBS


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


#: Extra columns the rules fill: where the cue verb is, and which quotes share one attribution
#: (one cue instance). The table's other extras (the source's ``role``) are
#: :func:`analysis.attribution.extract_attributions`'.
EXTRA_COLUMNS = tuple(c for c in features.feature("quotes").extra_columns if c in Quote._fields)
#: Kinds of the quotes table's quotations (found from their marks); the other kinds are
#: reported speech and non-answers (:data:`analysis.sources.KINDS`).
QUOTATION_KINDS = ("direct", "partial")


def quotations(rows):
    """The rows of a quotes table that are quotations (kinds :data:`QUOTATION_KINDS`).

    Reported speech and non-answers are the reporter's words, not a speaker's: whatever counts
    quoted words (``in_quote``, the speaker voice of sentiment, share of voice) reads only these.

    Parameters
    ----------
    rows : pandas.DataFrame or iterable of mapping or None
        Quotes-table rows; a row or a frame without ``kind`` counts as a quotation (tables
        written before reported speech was added).

    Returns
    -------
    pandas.DataFrame or list of mapping or None
        The same kind of object as ``rows`` (None stays None).
    """
    if rows is None:
        return None
    if hasattr(rows, "columns"):
        if "kind" not in rows.columns:
            return rows
        return rows[rows["kind"].isin(QUOTATION_KINDS) | rows["kind"].isna()]
    return [r for r in rows if (r.get("kind") or "direct") in QUOTATION_KINDS]


def _is_cue(tok) -> bool:
    return tok.lemma_.lower() in REPORTING_VERBS and tok.pos_ in {"VERB", "AUX"}


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


#: Words right before an opening mark that make the quoted words a mention of words, not
#: speech: "the word “incumbent”", "so-called “sleeper” cells", "a group known as “X”".
_AS_WORDS_RE = re.compile(
    r"(?:\b(?:the|a|an|this|that|his|her|their|its)\s+(?:words?|terms?|phrases?|expressions?"
    r"|names?|labels?|nicknames?|acronyms?|epithets?)|\bso-called|\bso\s+called|\bknown\s+as"
    r"|\breferred\s+to\s+as"
    r"|\b(?:words?|terms?|phrases?|expressions?|names?)\s+(?:such\s+as|like|including))\s*$",
    re.IGNORECASE,
)
#: Participles that name what follows ("a plan dubbed “Fortress Europe”"); with a subject of
#: their own ("what he called “a disgrace”") the words are that subject's and stay a quotation.
_NAMING_PARTICIPLES = frozenset(
    {"called", "dubbed", "labelled", "labeled", "branded", "nicknamed", "termed", "titled",
     "entitled", "christened", "named"}
)  # fmt: skip
#: Nouns of works and slogans whose title follows in marks: "the film “Ray”".
_TITLE_NOUN_RE = re.compile(
    r"\b(?:film|movie|book|novel|memoir|song|single|album|programme|program|show|series|sitcom"
    r"|drama|documentary|play|musical|opera|slogan|campaign|motto|poem|exhibition|magazine"
    r"|newspaper|website|manifesto)s?\s*$",
    re.IGNORECASE,
)
#: What joins items of a list: "“incumbent” and “challenger”", "“Ray”, “Sideways” or “Closer”".
_LIST_GLUE_RE = re.compile(r"\s*(?:,\s*)?(?:(?:and|or)\s+)?")
#: Most words a mention of words (or a title) in marks may have; longer is speech.
_MAX_AS_WORDS = 6
_MAX_TITLE_WORDS = 12


def _named_not_said(doc, text: str, span: _Span, quote_text: str, first_tok) -> bool:
    """True for quoted words that are words or a title rather than speech.

    Words quoted as words follow "the word", "the term", "so-called", "known as" or a naming
    participle without a subject ("a group called “X”"); titles follow the noun of a work or
    slogan ("the film “Ray”", "the slogan “Are you thinking what we're thinking?”").
    """
    n_words = len(quote_text.split())
    line_start = text.rfind("\n", 0, span.open_at) + 1
    before = text[max(line_start, span.open_at - 60) : span.open_at]
    if n_words <= _MAX_TITLE_WORDS and _TITLE_NOUN_RE.search(before):
        return True
    if n_words > _MAX_AS_WORDS:
        return False
    if _AS_WORDS_RE.search(before):
        return True
    k = first_tok.i - 1
    while k >= 0 and (doc[k].is_punct or doc[k].is_space):
        k -= 1
    if k < 0 or doc[k].lower_ not in _NAMING_PARTICIPLES:
        return False
    verb = doc[k]
    return verb.tag_ == "VBN" and not any(c.dep_ == "nsubj" for c in verb.children)


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
    # The Doc's length without Doc.text, which joins every token again on each call.
    n_chars = doc[-1].idx + len(doc[-1].text_with_ws) if len(doc) else 0
    text = doc_text(doc) if text is None else text
    if len(text) != n_chars:
        raise ValueError(
            f"text has {len(text)} characters but the Doc has {n_chars}; "
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
    named_end = -1  # end of the last quoted words or title skipped
    for s, inner in zip(spans, tok_spans, strict=True):
        if inner is None or not len(inner):
            continue
        quote_text = " ".join(text[a:b].strip() for a, b in s.pieces).strip()
        first = inner[0]
        if (
            _looks_like_title(doc, text, quote_text, first)
            or _named_not_said(doc, text, s, quote_text, first)
            # The next item of a list of such words or titles: "“incumbent” and “challenger”".
            or (
                named_end >= 0
                and _LIST_GLUE_RE.fullmatch(text[named_end : s.open_at])
                and len(quote_text.split()) <= _MAX_TITLE_WORDS
                and not quote_text.endswith((",", "."))  # speech ends so inside its marks
            )
        ):
            named_end = s.close_at
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
    Quotations only (:func:`quotations`); :func:`analysis.sources.voice_by_kind` counts
    reported speech too.
    """
    import pandas as pd

    quotes_df = quotations(quotes_df)
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
            n_quotes=("quote", "size"),
            n_words=("n_words", "sum"),
            n_articles=("article_id", "nunique"),
        )
        .reset_index()
    )
    # Each speaker's most frequent kind, the first in sort order on a tie (Series.mode's
    # choice), counted for all speakers at once: a mode per group cost 0.4 s for 1,500 speakers.
    kinds = (
        df.dropna(subset=["speaker_kind"])
        .groupby(["speaker", "speaker_kind"], sort=False)
        .size()
        .reset_index(name="n")
        .sort_values(["speaker", "n", "speaker_kind"], ascending=[True, False, True])
        .drop_duplicates("speaker")
    )
    out["speaker_kind"] = (
        out["speaker"].map(kinds.set_index("speaker")["speaker_kind"]).fillna("unknown")
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
    Quotations only (:func:`quotations`); :func:`analysis.sources.sourcing_by_kind` counts
    reported speech too.
    """
    import pandas as pd

    quotes_df = quotations(quotes_df)
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
