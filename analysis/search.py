"""Boolean keyword search over a corpus, with keyword-in-context lines.

Query syntax (case-insensitive, as in most news archives)::

    pakistan haqqani              both words (AND is implied)
    "army chief" OR general       a phrase, or a word
    taliban NOT afghanistan       NOT (or a leading -) excludes
    (imf OR "world bank") loan*   parentheses group; * at a word's end matches any ending

A word also matches its plural and possessive ("attack" finds "attacks" and "attack's"), and
"_", hyphens and spaces are alike inside a phrase, as in :func:`analysis.compare.kwic`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

#: Characters of keyword-in-context shown on each side by default.
DEFAULT_WIDTH = 60
_TOKEN_RE = re.compile(
    r'\s*(?:(?P<open>\()|(?P<close>\))|"(?P<phrase>[^"]*)"?|(?P<word>[^\s()"]+))'
)


class QueryError(ValueError):
    """A query that cannot be parsed; the message says where and why."""


@dataclass(frozen=True)
class Term:
    text: str
    pattern: re.Pattern

    def matches(self, text: str) -> bool:
        return self.pattern.search(text) is not None

    def terms(self) -> list[Term]:
        return [self]


@dataclass(frozen=True)
class Not:
    item: object

    def matches(self, text: str) -> bool:
        return not self.item.matches(text)

    def terms(self) -> list[Term]:
        return []  # an excluded word is never highlighted


@dataclass(frozen=True)
class All:
    items: tuple

    def matches(self, text: str) -> bool:
        return all(i.matches(text) for i in self.items)

    def terms(self) -> list[Term]:
        return [t for i in self.items for t in i.terms()]


@dataclass(frozen=True)
class Any:
    items: tuple

    def matches(self, text: str) -> bool:
        return any(i.matches(text) for i in self.items)

    def terms(self) -> list[Term]:
        return [t for i in self.items for t in i.terms()]


def term_pattern(text: str) -> re.Pattern:
    """The regular expression of one word or phrase of a query."""
    words = [w for w in re.split(r"[\s_\-]+", text.strip()) if w]
    if not words:
        raise QueryError("empty phrase")
    parts = []
    for word in words:
        if word.endswith("*") and len(word) > 1:
            parts.append(re.escape(word[:-1]) + r"\w*")
        else:
            parts.append(re.escape(word.rstrip("*")))
    ending = "" if words[-1].endswith("*") else r"(?:s|es|['\u2019]s)?"
    return re.compile(r"(?<!\w)" + r"[\s\-_]+".join(parts) + ending + r"(?!\w)", re.IGNORECASE)


def parse_query(query: str):
    """Parse ``query`` into a matcher with ``matches(text)`` and ``terms()``.

    Hand-written (a small recursive descent): the boolean-expression libraries on PyPI do not
    take quoted phrases, wildcards and implied AND together.

    Raises
    ------
    QueryError
        Naming the position and the problem (unbalanced parenthesis, dangling operator, ...).
    """
    tokens: list[tuple[str, str, int]] = []
    pos = 0
    while pos < len(query):
        m = _TOKEN_RE.match(query, pos)
        if m is None or m.end() == pos:
            break
        start = m.start(m.lastgroup) if m.lastgroup else pos
        if m.group("open"):
            tokens.append(("open", "(", start))
        elif m.group("close"):
            tokens.append(("close", ")", start))
        elif m.group("phrase") is not None:
            if not m.group(0).rstrip().endswith('"') or m.group(0).rstrip() == '"':
                raise QueryError(f"unclosed quotation mark at character {start}")
            tokens.append(("term", m.group("phrase"), start))
        else:
            word = m.group("word")
            if word in ("AND", "OR", "NOT"):
                tokens.append((word.lower(), word, start))
            elif word.startswith("-") and len(word) > 1:
                tokens.append(("not", "-", start))
                tokens.append(("term", word[1:], start + 1))
            else:
                tokens.append(("term", word, start))
        pos = m.end()
    if not tokens:
        raise QueryError("the query is empty")
    parser = _Parser(tokens, query)
    node = parser.parse_or()
    if parser.i < len(tokens):
        kind, text, at = tokens[parser.i]
        raise QueryError(f"unexpected {text!r} at character {at}")
    if not node.terms():
        raise QueryError("the query only excludes words; name at least one word to find")
    return node


class _Parser:
    def __init__(self, tokens, query: str) -> None:
        self.tokens, self.query, self.i = tokens, query, 0

    def peek(self) -> str | None:
        return self.tokens[self.i][0] if self.i < len(self.tokens) else None

    def parse_or(self):
        items = [self.parse_and()]
        while self.peek() == "or":
            self.i += 1
            items.append(self.parse_and())
        return items[0] if len(items) == 1 else Any(tuple(items))

    def parse_and(self):
        items = [self.parse_not()]
        while self.peek() in ("and", "not", "term", "open"):
            if self.peek() == "and":
                self.i += 1
            items.append(self.parse_not())
        return items[0] if len(items) == 1 else All(tuple(items))

    def parse_not(self):
        if self.peek() == "not":
            self.i += 1
            return Not(self.parse_not())
        return self.parse_atom()

    def parse_atom(self):
        if self.i >= len(self.tokens):
            raise QueryError("the query ends after an operator; a word or phrase must follow")
        kind, text, at = self.tokens[self.i]
        if kind == "open":
            self.i += 1
            node = self.parse_or()
            if self.peek() != "close":
                raise QueryError(f"parenthesis opened at character {at} is not closed")
            self.i += 1
            return node
        if kind == "term":
            self.i += 1
            try:
                return Term(text, term_pattern(text))
            except QueryError as exc:
                raise QueryError(f"{exc} at character {at}") from None
        raise QueryError(f"unexpected {text!r} at character {at}")


def search(
    articles,
    query: str,
    *,
    width: int = DEFAULT_WIDTH,
    limit: int | None = None,
    columns: Iterable[str] = ("headline", "published", "outlet"),
):
    """Articles matching ``query``, one keyword-in-context line per hit of its words.

    Parameters
    ----------
    articles : pandas.DataFrame
        The articles table (``article_id``, ``text`` and optionally the ``columns``).
    query : str
        A boolean keyword query (see the module's documentation).
    width : int
        Characters of context on each side.
    limit : int, optional
        Stop after this many lines.
    columns : iterable of str
        Article columns copied onto each line when present.

    Returns
    -------
    pandas.DataFrame
        ``article_id``, the ``columns`` present, ``start``, ``end`` (offsets into the article's
        text), ``left``, ``keyword``, ``right``; in corpus order, then text order.
    """
    import pandas as pd

    node = parse_query(query)
    terms = node.terms()
    extra = [c for c in columns if c in articles.columns]
    rows = []
    for record in articles[["article_id", "text", *extra]].itertuples(index=False):
        text = record.text if isinstance(record.text, str) else ""
        if not node.matches(text):
            continue
        hits = sorted({(m.start(), m.end()) for t in terms for m in t.pattern.finditer(text)})
        last_end = -1
        for start, end in hits:
            if start < last_end:  # overlapping hits of two words: keep the first
                continue
            last_end = end
            left = " ".join(text[max(0, start - width) : start].split())
            right = " ".join(text[end : end + width].split())
            values = dict(zip(extra, record[2:], strict=True))
            rows.append(
                {"article_id": record.article_id, **values, "start": start, "end": end,
                 "left": left, "keyword": text[start:end], "right": right}
            )  # fmt: skip
            if limit is not None and len(rows) >= limit:
                break
        if limit is not None and len(rows) >= limit:
            break
    return pd.DataFrame(
        rows, columns=["article_id", *extra, "start", "end", "left", "keyword", "right"]
    )
