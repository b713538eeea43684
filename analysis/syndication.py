"""Syndication: statistics over independent stories, attention over time, who copied whom.

Every count in a corpus of syndicated news weighs a story by how many outlets ran it. These
functions take the ``stories`` table (:func:`analysis.stories.story_table`) beside any other
table with ``article_id`` and count stories instead: :func:`dedupe` keeps one copy per story,
:func:`attention` counts the articles (or stories) matching a query per period, and
:func:`syndication_summary` says which stories travelled and who copied whom. The plot
functions return matplotlib Figures.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping

import pandas as pd

#: Label of articles whose outlet is unknown, in summaries and charts.
UNKNOWN_OUTLET = "(unknown)"
#: What :func:`dedupe` can keep: every article, one per story, or one per story and outlet.
DEDUPE_CHOICES = ("none", "story", "outlet")


def _check_stories(stories: pd.DataFrame, *columns: str) -> None:
    missing = [c for c in ("article_id", "story_id", "origin_id", *columns) if c not in stories]
    if missing:
        raise ValueError(
            f"stories table lacks column(s) {missing}; expected the table of "
            "analysis.stories.story_table"
        )


def dedupe(frame: pd.DataFrame, stories: pd.DataFrame | None, how: str = "story") -> pd.DataFrame:
    """Keep the rows of one article per story: statistics over independent stories.

    Parameters
    ----------
    frame : pandas.DataFrame
        Any table with ``article_id`` (articles, mentions, quotes, tone...); every row of a
        kept article is kept.
    stories : pandas.DataFrame or None
        The stories table (not needed with ``how="none"``).
    how : {"story", "outlet", "none"}
        ``"story"`` keeps the origin of each story; ``"outlet"`` keeps one article per story
        and outlet (the origin when the outlet ran it, else its most similar copy), for
        counts per outlet that ignore an outlet's own repeats; ``"none"`` keeps every row (so
        a notebook's ``dedupe`` parameter can be passed straight through).

    Returns
    -------
    pandas.DataFrame
        The kept rows of ``frame``, in their order. Articles the stories table does not list
        count as stories of their own and are kept.
    """
    if how not in DEDUPE_CHOICES:
        raise ValueError(f"how must be one of {', '.join(map(repr, DEDUPE_CHOICES))}, got {how!r}")
    if "article_id" not in frame:
        raise ValueError("frame lacks an article_id column")
    if how == "none":
        return frame
    if stories is None:
        raise ValueError(f"dedupe how={how!r} needs the stories table; got None")
    if how == "story":
        _check_stories(stories)
        keep = set(stories.loc[stories["article_id"] == stories["origin_id"], "article_id"])
    else:
        _check_stories(stories, "outlet", "similarity")
        ranked = stories.assign(
            outlet=stories["outlet"].fillna(UNKNOWN_OUTLET),
            is_origin=stories["article_id"] == stories["origin_id"],
        ).sort_values(
            ["story_id", "outlet", "is_origin", "similarity", "article_id"],
            ascending=[True, True, False, False, True],
            kind="stable",
        )
        keep = set(ranked.drop_duplicates(["story_id", "outlet"])["article_id"])
    known = set(stories["article_id"])
    ids = frame["article_id"]
    return frame[ids.isin(keep) | ~ids.isin(known)]


def dedupe_note(how: str, stories: pd.DataFrame | None = None) -> str:
    """One sentence saying what a statistic computed after :func:`dedupe` counts.

    Reports print it above every table and chart that a ``dedupe`` parameter applies to.

    Parameters
    ----------
    how : {"none", "story", "outlet"}
        The ``how`` given to :func:`dedupe`.
    stories : pandas.DataFrame, optional
        The stories table; when given, the sentence says how many articles and stories there
        are.

    Returns
    -------
    str
    """
    if how not in DEDUPE_CHOICES:
        raise ValueError(f"how must be one of {', '.join(map(repr, DEDUPE_CHOICES))}, got {how!r}")
    counts = ""
    if stories is not None:
        _check_stories(stories)
        n_articles, n_stories = len(stories), stories["story_id"].nunique()
        counts = f" ({n_articles:,} articles, {n_stories:,} stories)"
    if how == "none":
        return (
            f"Counts are over all articles{counts}: a story run by several outlets counts once "
            "for every copy."
        )
    if how == "story":
        return (
            f"Counts are over independent stories{counts}: each story counts once, through "
            "its origin; syndicated copies are left out."
        )
    return (
        f"Counts are over stories per outlet{counts}: each story counts once in every outlet "
        "that ran it; an outlet's own repeats are left out."
    )


# --- attention over time ---------------------------------------------------------------------------


def _phrase_pattern(phrase: str) -> re.Pattern:
    words = phrase.split()
    if not words:
        raise ValueError("an empty keyword query matches nothing; give a word or phrase")
    body = r"\s+".join(re.escape(w) for w in words)
    return re.compile(rf"(?<!\w){body}(?!\w)", re.IGNORECASE)


def _matching_ids(articles: pd.DataFrame, query) -> set:
    if isinstance(query, str):
        pattern = _phrase_pattern(query)
        text = articles["text"].fillna("").astype(str)
        if "headline" in articles:
            text = articles["headline"].fillna("").astype(str) + "\n" + text
        return set(articles.loc[text.map(lambda t: bool(pattern.search(t))), "article_id"])
    if isinstance(query, Collection):
        return set(query)
    raise TypeError(
        f"a query is a keyword phrase (str) or a collection of article ids, got "
        f"{type(query).__name__}"
    )


def _queries(articles: pd.DataFrame, query) -> dict[str, set]:
    """Query name -> ids of the matching articles."""
    if isinstance(query, str):
        return {query: _matching_ids(articles, query)}
    if isinstance(query, pd.DataFrame):
        keys = [c for c in query.columns if c != "article_id"]
        if "article_id" not in query or len(keys) != 1:
            raise ValueError(
                "a query table has article_id and one column naming the query (an actor, a "
                f"topic...); got columns {list(query.columns)}"
            )
        return {
            str(name): set(ids) for name, ids in query.groupby(keys[0], sort=True)["article_id"]
        }
    if isinstance(query, Mapping):
        return {str(name): _matching_ids(articles, q) for name, q in query.items()}
    if isinstance(query, list | tuple):
        return {str(q): _matching_ids(articles, q) for q in query}
    raise TypeError(
        "query must be a keyword phrase, a list of them, a mapping name -> phrase or article "
        f"ids, or a table (article_id, name); got {type(query).__name__}"
    )


def _outlet_column(articles: pd.DataFrame, by: str | None) -> str | None:
    if by == "auto":
        ok = "outlet" in articles and articles["outlet"].dropna().nunique() > 1
        return "outlet" if ok else None
    if by is not None and by not in articles:
        raise ValueError(f"no column {by!r} in articles; columns are {list(articles.columns)}")
    return by


def attention(
    articles: pd.DataFrame,
    query,
    *,
    freq: str = "M",
    by: str | None = "auto",
    stories: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Attention to a query over time: matching articles (or stories) per period, as a share.

    Parameters
    ----------
    articles : pandas.DataFrame
        The articles table: ``article_id``, ``published`` (dates), ``text`` and ``headline``
        for keyword queries, and the outlet column.
    query : str, list, mapping or DataFrame
        A keyword or phrase (case-insensitive, whole words, in headline and text); a list of
        them; a mapping name -> phrase or collection of article ids (an actor's articles, a
        topic's); or a table with ``article_id`` and one column naming the query, such as
        ``mentions[["article_id", "actor"]]`` or ``doc_topics[["article_id", "topic"]]``.
    freq : str
        pandas period: ``"D"``, ``"W"``, ``"M"``, ``"Q"`` or ``"Y"``.
    by : str or None
        Column to split by; ``"auto"`` splits by ``outlet`` when the corpus names more than one.
    stories : pandas.DataFrame, optional
        The stories table: when given, the unit is the story (a story counts once in a period
        and outlet however many copies ran there), so syndication does not inflate attention.

    Returns
    -------
    pandas.DataFrame
        ``period`` (start of the period), [``outlet``,] ``query``, ``count`` (matching articles
        or stories), ``total`` (all articles or stories of the period and outlet) and ``share``
        (count / total), one row for every query in every period with articles. Undated
        articles are left out.
    """
    if "published" not in articles:
        raise ValueError("articles lack a published column")
    outlet = _outlet_column(articles, by)
    queries = _queries(articles, query)
    dates = pd.to_datetime(articles["published"], errors="coerce")
    frame = pd.DataFrame({"article_id": articles["article_id"].to_numpy(), "published": dates})
    frame["period"] = dates.dt.to_period(freq).dt.start_time
    if outlet:
        frame["outlet"] = articles[outlet].fillna(UNKNOWN_OUTLET).astype(str).to_numpy()
    frame = frame.dropna(subset=["period"])
    if stories is not None:
        _check_stories(stories)
        unit = frame["article_id"].map(stories.set_index("article_id")["story_id"])
        frame["unit"] = unit.where(unit.notna(), "article:" + frame["article_id"].astype(str))
    else:
        frame["unit"] = frame["article_id"]
    keys = ["period", *(["outlet"] if outlet else [])]
    columns = [*keys, "query", "count", "total", "share"]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    totals = frame.groupby(keys, sort=True)["unit"].nunique().rename("total")
    parts = []
    for name, ids in queries.items():
        hits = frame[frame["article_id"].isin(ids)].groupby(keys)["unit"].nunique()
        part = totals.to_frame().join(hits.rename("count")).fillna({"count": 0})
        part["query"] = name
        parts.append(part.reset_index())
    out = pd.concat(parts, ignore_index=True)
    out["count"] = out["count"].astype("int64")
    out["total"] = out["total"].astype("int64")
    out["share"] = out["count"] / out["total"]
    return out[columns].sort_values([*keys, "query"], kind="stable").reset_index(drop=True)


# --- syndication ---------------------------------------------------------------------------------


def syndication_summary(stories: pd.DataFrame, *, top_n: int = 10) -> dict[str, pd.DataFrame]:
    """Which stories travelled, who ran copies, and who copied whom.

    Parameters
    ----------
    stories : pandas.DataFrame
        The stories table (``outlet``, ``agency`` and ``published`` columns are used).
    top_n : int
        Stories in the ``largest`` table.

    Returns
    -------
    dict of pandas.DataFrame
        ``largest``: the stories with the most copies (``story_id``, ``origin_id``,
        ``origin_outlet``, ``n_copies``, ``n_outlets``, ``agency`` most credited,
        ``first_published``, ``last_published``). ``outlets``: per outlet, ``n_articles``,
        ``n_origins`` (articles that are their story's origin), ``n_copies`` (copies of a story
        whose origin is elsewhere: pickups), ``n_picked_up`` (copies elsewhere of its
        origins) and ``n_credited`` (articles crediting an agency). ``copying``: articles
        copied from the origin's outlet (rows) by each outlet (columns).
    """
    _check_stories(stories, "outlet", "n_copies")
    df = stories.copy()
    df["outlet"] = df["outlet"].fillna(UNKNOWN_OUTLET).astype(str)
    df["origin_outlet"] = df["origin_id"].map(df.set_index("article_id")["outlet"])
    df["is_origin"] = df["article_id"] == df["origin_id"]
    copies = df[~df["is_origin"]]

    multi = df[df["n_copies"] > 1]
    grouped = multi.groupby("story_id", sort=True)
    largest = pd.DataFrame(
        {
            "origin_id": grouped["origin_id"].first(),
            "origin_outlet": grouped["origin_outlet"].first(),
            "n_copies": grouped.size(),
            "n_outlets": grouped["outlet"].nunique(),
            "agency": grouped["agency"].agg(_most_common) if "agency" in df else None,
            "first_published": grouped["published"].min() if "published" in df else None,
            "last_published": grouped["published"].max() if "published" in df else None,
        }
    ).reset_index()
    largest = largest.sort_values(
        ["n_copies", "n_outlets", "story_id"], ascending=[False, False, True], kind="stable"
    ).head(top_n)

    elsewhere = copies[copies["outlet"] != copies["origin_outlet"]]
    outlets = pd.DataFrame(
        {
            "n_articles": df.groupby("outlet").size(),
            "n_origins": df[df["is_origin"]].groupby("outlet").size(),
            "n_copies": elsewhere.groupby("outlet").size(),
            "n_picked_up": elsewhere.groupby("origin_outlet").size(),
            "n_credited": df[df["agency"].notna()].groupby("outlet").size()
            if "agency" in df
            else None,
        }
    )
    outlets = outlets.fillna(0).astype("int64").rename_axis("outlet").reset_index()
    outlets = outlets.sort_values(["n_articles", "outlet"], ascending=[False, True])
    copying = pd.crosstab(copies["origin_outlet"], copies["outlet"])
    copying.index.name, copying.columns.name = "origin outlet", "copied by"
    return {
        "largest": largest.reset_index(drop=True),
        "outlets": outlets.reset_index(drop=True),
        "copying": copying,
    }


def _most_common(values: pd.Series):
    values = values.dropna()
    if values.empty:
        return None
    counts = values.value_counts()
    return sorted(counts[counts == counts.max()].index)[0]


# --- charts ----------------------------------------------------------------------------------------


def plot_attention(table: pd.DataFrame, *, value: str = "share", max_queries: int = 6):
    """Return lines of attention over time: one panel per query, one line per outlet.

    Parameters
    ----------
    table : pandas.DataFrame
        The result of :func:`attention`.
    value : {"share", "count"}
        What to plot.
    max_queries : int
        Panels drawn (the first queries in name order).

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure

    from analysis.plots import _empty, _plain_label

    names = sorted(table["query"].unique())[:max_queries] if len(table) else []
    fig = Figure(figsize=(8, 2.6 * max(1, len(names))), layout="constrained")
    if not names:
        _empty(fig.add_subplot(), "no dated articles")
        return fig
    axes = fig.subplots(len(names), 1, sharex=True, squeeze=False)[:, 0]
    for ax, name in zip(axes, names, strict=True):
        rows = table[table["query"] == name]
        groups = rows.groupby("outlet", sort=True) if "outlet" in rows else [("all", rows)]
        for outlet, g in groups:
            g = g.sort_values("period")
            ax.plot(g["period"], g[value], marker="o", label=_plain_label(outlet, 30))
        ax.set_title(_plain_label(name, 60), loc="left", fontsize="medium")
        ax.set_ylabel("share of articles" if value == "share" else value)
        ax.spines[["top", "right"]].set_visible(False)
        if "outlet" in rows:
            ax.legend(frameon=False, fontsize="small")
    fig.autofmt_xdate()
    return fig


def plot_copying(copying: pd.DataFrame, *, max_outlets: int = 15):
    """Return a heat map of the copying matrix of :func:`syndication_summary`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure

    from analysis.plots import _empty, _plain_label

    fig = Figure(figsize=(7, 6), layout="constrained")
    ax = fig.add_subplot()
    if copying is None or copying.empty:
        _empty(ax, "no copies")
        return fig
    top_rows = copying.sum(axis=1).sort_values(ascending=False).index[:max_outlets]
    top_cols = copying.sum(axis=0).sort_values(ascending=False).index[:max_outlets]
    m = copying.loc[top_rows, top_cols]
    image = ax.imshow(m.to_numpy(), cmap="Blues", aspect="auto")
    ax.set_xticks(range(len(m.columns)), [_plain_label(c, 20) for c in m.columns], rotation=60)
    ax.set_yticks(range(len(m.index)), [_plain_label(c, 25) for c in m.index])
    ax.set_xlabel("copied by")
    ax.set_ylabel("origin outlet")
    fig.colorbar(image, ax=ax, label="copies")
    return fig
