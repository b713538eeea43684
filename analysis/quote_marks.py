"""Quotation-mark spans: where quotations are in a text, paired from their marks, no parse needed."""

from __future__ import annotations

import re
from typing import NamedTuple

_MARK_RE = re.compile(r"''|``|[\"“”„«»‘’']")
_DOUBLE = frozenset({'"', "''", "``", "“", "”", "„", "«", "»"})
_STRAIGHT = frozenset({'"', "''"})
_CURLY_OPEN = frozenset({"“", "„", "«", "``"})
_OPENERS_BEFORE = set(" \t\n([{—–-/:;,") | {"“", "‘", '"', "'", "«"}
_CLOSE_AFTER = set(" \t\n)]}.,;:!?—–-…") | {"”", "’", '"', "'", "»"}
#: A single newline is a paragraph break when the line before it ends like this (else a wrap).
_LINE_END = set(".!?:”’\"'»…")
#: ...unless the line ends a quotation with a comma (its attribution follows: ``,"`` then
#: "Denman said." on the next line of hard-wrapped wire copy).
_OPEN_ENDINGS = (',"', ",”", ",''", ",’", ",'")
#: A line opening with an indent, and a line opening with a word: both in one text is the
#: layout of hard-wrapped wire copy (Reuters until the 1990s).
_INDENT_RE = re.compile(r"\n(?:[ \t]{2,})\S")
_UNINDENTED_RE = re.compile(r"\n[^\s]")
#: Longest single-quoted stretch taken as a quotation (longer ones are apostrophe accidents).
_MAX_SINGLE = 300


class _Span(NamedTuple):
    start: int  # first character inside the marks
    end: int  # one past the last character inside the marks
    open_at: int  # offset of the opening mark (== start when the quote has no opening mark)
    close_at: int  # offset one past the closing mark (== end when unclosed)
    pieces: tuple[tuple[int, int], ...]  # inner text pieces, one per paragraph


def _paragraph_breaks(text: str) -> list[tuple[int, int]]:
    """Return (start, end) spans of the paragraphs the quote scanner works in."""
    spans = []
    start = 0
    n = len(text)
    i = 0
    # Wire copy wrapped at a fixed width that indents its paragraphs: only an indented (or
    # blank-line separated) line starts a paragraph; every other line break is a wrap.
    indented = len(_INDENT_RE.findall(text)) >= 2 and _UNINDENTED_RE.search(text) is not None
    while i < n:
        if text[i] == "\n":
            j = i
            while j < n and text[j] in " \t\r\n\xa0\u2028\u2029":
                j += 1
            blank = text.count("\n", i, j) >= 2
            line = text[start:i].rstrip()
            # Hard-wrapped copy: a next line that opens in lowercase continues the sentence
            # ("the U.S.\ntrade deficit"), whatever the line before ends with.
            wrapped = (
                line.endswith(_OPEN_ENDINGS)
                or (j < n and text[j].islower())
                or (indented and j == i + 1)
            )
            if blank or (line and line[-1] in _LINE_END and not wrapped) or j >= n:
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
