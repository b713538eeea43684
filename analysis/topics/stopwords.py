"""A user's stop words for topics: words and phrases kept out of the topic vocabulary.

Stop words are applied to the terms after extraction (the feature store's ``terms`` table is
the same with or without them), so changing the list never re-parses a corpus.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from analysis.lexicon import UserListError, read_user_list
from analysis.records import STOP_WORDS_FILE, user_list_files
from analysis.terms import actor_merges, normalise_term


@dataclass(frozen=True)
class StopWords:
    """Stop terms and the files they came from.

    Attributes
    ----------
    terms : frozenset of str
        Terms as the topic model writes them (lower case, words joined by ``_``).
    files : tuple of str
        The files read, in order (empty for words given in code).
    """

    terms: frozenset[str] = frozenset()
    files: tuple[str, ...] = field(default=())

    def __bool__(self) -> bool:
        return bool(self.terms)

    def record(self) -> dict | None:
        """What ``metrics.json`` records: the files and the number of terms (None for none)."""
        if not (self.terms or self.files):
            return None
        return {"files": list(self.files), "n_terms": len(self.terms)}


def stop_term(entry: str) -> str:
    """Return the term a stop-word entry names: "Prime Minister" -> ``prime_minister``.

    An actor alias is the actor's term, as in the terms themselves: "U.S." -> ``united_states``.
    """
    entry = " ".join(entry.split())
    return actor_merges().get(entry) or normalise_term(entry.split())


def read_stop_words(*paths: str | os.PathLike) -> StopWords:
    """Read stop-word files: one word or phrase a line, ``#`` comments.

    Entries are matched against the topic terms, which are lower case, lemmas for ordinary
    words ("say" matches "said", "says"), and the words of a phrase or name joined by ``_``:
    "prime minister", "Prime Minister" and "prime_minister" are the same entry, and an actor
    alias stands for its actor ("U.S." is ``united_states``). A phrase removes only the joined
    term, not its words.

    Parameters
    ----------
    *paths : path
        The files; their terms are pooled.

    Returns
    -------
    StopWords

    Raises
    ------
    analysis.lexicon.UserListError
        A file is missing, unreadable or not UTF-8 text, or an entry has no letter or digit
        (the message names the file and line).
    """
    terms: set[str] = set()
    for path in paths:
        for number, entry in read_user_list(path, what="stop-word file"):
            term = stop_term(entry)
            if not term:
                raise UserListError(
                    f"{path}, line {number}: {entry!r} has no letter or digit to match a term"
                )
            terms.add(term)
    return StopWords(frozenset(terms), tuple(str(p) for p in paths))


def find_stop_words(corpus_paths: Iterable[str | os.PathLike]) -> list[Path]:
    """Return the ``stopwords.txt`` files of the corpus paths (each found once, in order).

    The rule of every user list (:func:`analysis.records.user_list_files`): at the top of a
    corpus folder (``news/stopwords.txt``, which the loader does not read as an article), or in
    the folder of a corpus file.
    """
    return user_list_files(corpus_paths, STOP_WORDS_FILE)


def as_stop_words(spec) -> StopWords:
    """Return the :class:`StopWords` a ``stop_words=`` argument names.

    ``None`` is none; a path (str or path-like) is a file (:func:`read_stop_words`); a
    :class:`StopWords` is itself; any other iterable is a collection of words or phrases.
    """
    if spec is None:
        return StopWords()
    if isinstance(spec, StopWords):
        return spec
    if isinstance(spec, str | os.PathLike):
        return read_stop_words(spec)
    if isinstance(spec, Iterable):
        words = list(spec)
        bad = [w for w in words if not isinstance(w, str)]
        if bad:
            raise TypeError(f"stop_words must be strings, got {bad[0]!r}")
        return StopWords(frozenset(t for t in map(stop_term, words) if t))
    raise TypeError(
        f"stop_words must be a file path, a list of words or None, got {type(spec).__name__}"
    )


def drop_stop_terms(
    units: list[list[str]], stop: frozenset[str], *, tokens: str | None = None
) -> list[list[str]]:
    """Remove the terms of ``stop`` from each unit (the units themselves when there are none).

    Tokens taken as they are (``tokens="whitespace"``) are matched as an entry would be read
    ("Said" and "said" both match ``said``).
    """
    if not stop:
        return units
    if tokens == "whitespace":
        return [[t for t in u if t not in stop and stop_term(t) not in stop] for u in units]
    return [[t for t in u if t not in stop] for u in units]
