"""Actors across a corpus: the ``actors`` table, co-mentions, and the user's actors file.

The per-article work (cleaned mentions and their ``actor``) is :mod:`analysis.entities`; this
module counts those actors over the corpus, merges what one article cannot see (an acronym
spelled out in another article), links demonyms to their country, and applies the user's own
merges, drops and labels (:func:`read_actors_file`).

The actors file (``extract --actors FILE``, or ``actors.csv`` at the top of a corpus folder) is a
CSV, one edit a row, ``#`` comments and blank lines ignored, an optional header
``action,name,value``::

    alias,Tories,Conservative Party   # mentions of "Tories" count for "Conservative Party"
    drop,Bank                         # "Bank" is no actor
    label,BT,ORG                      # the actor "BT" is an organisation

``alias`` and ``drop`` match a mention's text or its actor; ``label`` the actor after merging.
"""

from __future__ import annotations

import csv
import os
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import NamedTuple

from analysis.articles import published_day
from analysis.entities import ACTOR_COLUMNS, NAME_LABELS, _initials, _lists, _norm
from analysis.records import ACTORS_FILE, user_list_files  # the rule of every user list

__all__ = [
    "ACTORS_FILE",
    "ACTOR_EXTRA_COLUMNS",
    "ActorEdits",
    "ActorsFileError",
    "read_actors_file",
    "find_actors_file",
    "apply_actor_edits",
    "actor_table",
    "co_mentions",
]

#: Columns of the ``actors`` table after those of DESIGN.md: ``country``, the country of a
#: demonym actor ("Japanese" -> "Japan", from ``resources/demonyms.tsv``), else None.
ACTOR_EXTRA_COLUMNS = ("country",)
_ACTIONS = ("alias", "drop", "label")


class ActorsFileError(ValueError):
    """An actors file that cannot be used; the message names the file and the line."""


class ActorEdits(NamedTuple):
    """The edits of a user's actors file (:func:`read_actors_file`)."""

    #: Mention text or actor -> the actor it counts for.
    aliases: Mapping[str, str]
    #: Mention texts or actors that are no actor.
    drops: frozenset[str]
    #: Actor -> the label it is given.
    labels: Mapping[str, str]
    #: The file read (for messages).
    source: str


def read_actors_file(path: str | os.PathLike) -> ActorEdits:
    """Read a user's actors file: merges, drops and forced labels (format: module docstring).

    Parameters
    ----------
    path : str or path-like
        A UTF-8 CSV file of rows ``alias,NAME,ACTOR``, ``drop,NAME`` or ``label,ACTOR,LABEL``.

    Returns
    -------
    ActorEdits

    Raises
    ------
    ActorsFileError
        The file cannot be read, or a row is malformed (unknown action, missing name or value,
        a label that is not a name label, a name given two different edits); the message names
        the file and the line.
    """
    src = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ActorsFileError(f"{src}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except OSError as exc:
        raise ActorsFileError(
            f"{src}: cannot read the actors file ({exc.strerror or exc})"
        ) from exc
    aliases: dict[str, str] = {}
    drops: dict[str, int] = {}
    labels: dict[str, str] = {}
    seen: dict[tuple[str, str], int] = {}
    lines = text.splitlines()
    header_possible = True  # the first row that is no comment may be the header
    for number, row in enumerate(csv.reader(lines), start=1):
        fields = [f.strip() for f in row]
        while fields and not fields[-1]:
            fields.pop()
        if not fields or fields[0].startswith("#"):
            continue
        first, header_possible = header_possible, False
        if first and [f.lower() for f in fields] == ["action", "name", "value"]:
            continue
        where = f"{src}: line {number}"
        action = fields[0].lower()
        if action not in _ACTIONS:
            raise ActorsFileError(
                f"{where}: unknown action {fields[0]!r}; each row starts with one of "
                f"{', '.join(_ACTIONS)} (alias,NAME,ACTOR / drop,NAME / label,ACTOR,LABEL)"
            )
        name = _norm(fields[1]) if len(fields) > 1 else ""
        value = " ".join(fields[2].split()) if len(fields) > 2 else ""
        if not name:
            raise ActorsFileError(f"{where}: {action} row without a name")
        if len(fields) > 3 or (action == "drop" and value):
            raise ActorsFileError(
                f"{where}: too many fields for a {action} row "
                f"({'drop,NAME' if action == 'drop' else f'{action},NAME,VALUE'})"
            )
        if action != "drop" and not value:
            raise ActorsFileError(f"{where}: {action} row for {name!r} without a value")
        if action == "label" and value not in NAME_LABELS:
            raise ActorsFileError(
                f"{where}: {value!r} is not a name label; use one of {', '.join(sorted(NAME_LABELS))}"
            )
        if action == "alias" and value == name:
            raise ActorsFileError(f"{where}: {name!r} is an alias of itself")
        kind = "label" if action == "label" else "actor"
        earlier = seen.get((kind, name))
        if earlier is not None:
            raise ActorsFileError(f"{where}: {name!r} was already given on line {earlier}")
        seen[kind, name] = number
        if action == "alias":
            aliases[name] = value
        elif action == "drop":
            drops[name] = number
        else:
            labels[name] = value
    for name, target in aliases.items():
        # Chains ("Tory" -> "Tories" -> "Conservative Party") are followed; a cycle is an error.
        path_seen = [name]
        while target in aliases:
            if target in path_seen:
                raise ActorsFileError(
                    f"{src}: line {seen['actor', name]}: aliases run in a circle: "
                    + " -> ".join([*path_seen, target])
                )
            path_seen.append(target)
            target = aliases[target]
        aliases[name] = target
    return ActorEdits(aliases, frozenset(drops), labels, src)


def find_actors_file(paths: Iterable[str | os.PathLike]) -> Path | None:
    """The ``actors.csv`` at the top of the corpus folders among ``paths``, if there is one.

    Raises
    ------
    ActorsFileError
        Several of the folders hold one (pass the one to use explicitly).
    """
    found = user_list_files(paths, ACTORS_FILE)
    if len(found) > 1:
        raise ActorsFileError(
            f"{', '.join(map(str, found))}: several actors files; say which to use (--actors FILE)"
        )
    return found[0] if found else None


def _as_edits(actors) -> ActorEdits | None:
    if actors is None or isinstance(actors, ActorEdits):
        return actors
    return read_actors_file(actors)


def apply_actor_edits(mentions_df, actors):
    """Apply a user's actors file to mention rows: merges, then drops.

    Parameters
    ----------
    mentions_df : pandas.DataFrame
        Rows of :func:`analysis.entities.extract_mentions` (``text`` and ``actor`` are used).
    actors : ActorEdits or str or path-like or None
        The edits, or the actors file to read; None returns the rows unchanged.

    Returns
    -------
    pandas.DataFrame
        A copy whose ``actor`` follows the ``alias`` rows (matched on the mention's text first,
        then on its actor), without the rows a ``drop`` row names (by text or actor). Labels
        are forced by :func:`actor_table`, which decides an actor's label.
    """
    edits = _as_edits(actors)
    if edits is None or mentions_df is None or len(mentions_df) == 0:
        return mentions_df
    df = mentions_df.copy()
    texts = [_norm(t) if isinstance(t, str) else t for t in df["text"].to_numpy(dtype=object)]
    named = df["actor"].notna().to_numpy()
    merged = [
        edits.aliases.get(t, edits.aliases.get(a, a)) if ok else a
        for t, a, ok in zip(texts, df["actor"].to_numpy(dtype=object), named, strict=True)
    ]
    df["actor"] = merged
    keep = [
        not ok or (t not in edits.drops and a not in edits.drops)
        for t, a, ok in zip(texts, merged, named, strict=True)
    ]
    return df[keep]


def _is_acronym(text: str) -> str | None:
    letters = text.replace(".", "")
    return letters if 2 <= len(letters) <= 6 and letters.isalpha() and letters.isupper() else None


def _acronym_merges(df) -> dict[str, str]:
    """Acronym actors of some articles mapped to the one name other articles spell them out as.

    An article that gives "European Community (EC)" resolves its "EC" to "European Community"
    (:mod:`analysis.entities`); an article with "EC" alone joins that actor here.
    """

    spelled: dict[str, set[str]] = defaultdict(set)
    for text, actor in zip(df["alias"], df["actor"], strict=True):
        letters = _is_acronym(text)
        if letters and actor != text and _initials(actor.split()) == letters:
            spelled[text].add(actor)
    alone = set(df["actor"].to_numpy(dtype=object))
    return {t: next(iter(a)) for t, a in spelled.items() if len(a) == 1 and t in alone}


def actor_table(
    mentions_df,
    articles_df=None,
    *,
    labels: Iterable[str] | None = None,
    merge_surnames: bool = False,
    actors=None,
):
    """Count the actors of a corpus from its ``mentions`` table.

    Parameters
    ----------
    mentions_df : pandas.DataFrame
        Rows of :func:`extract_mentions` for many articles (``article_id``, ``text``, ``label``,
        ``actor`` are used).
    articles_df : pandas.DataFrame, optional
        The articles table; its ``published`` column (dates, or ISO text) gives ``first_seen`` and
        ``last_seen`` as ISO days. Without it, or where no date is known, both are None.
    labels : iterable of str, optional, keyword-only
        Keep only actors with these labels (default: every name label).
    merge_surnames : bool, keyword-only
        Also merge across articles: a one-word PERSON actor ("Kayani", from an article that
        never gives the full name) joins the only multi-word PERSON actor of the corpus ending in
        that word ("Ashfaq Kayani"). Off by default: common surnames would merge strangers.
    actors : ActorEdits or str or path-like, optional, keyword-only
        The user's actors file (:func:`read_actors_file`) or its edits: its merges and drops
        are applied to the mentions (:func:`apply_actor_edits`) and its labels replace the
        majority label.

    Returns
    -------
    pandas.DataFrame
        One row per actor: ``actor``, ``label`` (its most frequent label), ``aliases`` (the
        distinct surface forms, most frequent first), ``n_mentions``, ``n_articles``,
        ``first_seen``, ``last_seen``, then ``country`` (the country of a demonym: "Japan" for
        "Japanese", a link rather than a merge; else None); sorted by ``n_mentions`` descending,
        then ``actor``.

    Notes
    -----
    Across articles, an acronym one article spells out ("European Community (EC)") joins that
    actor in the articles that only use the acronym, when no other spelling competes.
    """
    import pandas as pd

    wanted = set(labels) if labels is not None else set(NAME_LABELS)
    unknown = wanted - NAME_LABELS
    if unknown:
        raise ValueError(
            f"labels {sorted(unknown)} are not name labels; use some of {sorted(NAME_LABELS)}"
        )
    columns = [*ACTOR_COLUMNS, *ACTOR_EXTRA_COLUMNS]
    edits = _as_edits(actors)
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    if mentions_df is None or len(mentions_df) == 0:
        return empty
    df = mentions_df.loc[mentions_df["actor"].notna(), ["article_id", "text", "label", "actor"]]
    df = apply_actor_edits(df.astype(object), edits)
    if len(df) == 0:
        return empty
    df["alias"] = [_norm(t) for t in df["text"].to_numpy(dtype=object)]
    acronyms = _acronym_merges(df)
    if acronyms:
        df["actor"] = df["actor"].replace(acronyms)
        if edits is not None:
            df = apply_actor_edits(df, edits)
    if merge_surnames:
        df["actor"] = df["actor"].replace(_surname_merges(_majority_label(df)))
    label = _majority_label(df)
    if edits is not None and edits.labels:
        label = label.copy()
        forced = [a for a in edits.labels if a in label.index]
        label[forced] = [edits.labels[a] for a in forced]
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
        # ISO days (first_seen and last_seen are text), from timestamps or a caller's text.
        days = [published_day(p) or None for p in articles_df["published"]]
        known = [d is not None for d in days]
        published = pd.Series(
            [d for d in days if d is not None],
            index=articles_df["article_id"][known].to_numpy(),
            dtype=object,
        )
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
    demonyms = _lists()["demonyms"]
    # A language ("English") is no people: only other labels link to a country.
    out["country"] = pd.Series(
        [
            demonyms.get(a) if lab != "LANGUAGE" else None
            for a, lab in zip(out["actor"], out["label"], strict=True)
        ],
        dtype=object,
    )
    out = out[out["label"].isin(wanted)][columns]
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
    actors=None,
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
    actors : ActorEdits or str or path-like, optional
        The user's actors file or its edits (:func:`apply_actor_edits`); its labels replace the
        majority label.

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
    edits = _as_edits(actors)
    df = apply_actor_edits(mentions_df[mentions_df["actor"].notna()], edits)
    if edits is not None and edits.labels:
        forced = df["actor"].map(edits.labels)
        df = df.assign(label=forced.where(forced.notna(), df["label"]))
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
