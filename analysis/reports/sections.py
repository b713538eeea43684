"""The section layer of the reports: what a report module returns and the data it reads.

A report notebook makes one call per section, ``show(actors.quoted(data, top_n=top_n))``: the
report module (:mod:`~analysis.reports.overview`, :mod:`~analysis.reports.actors`,
:mod:`~analysis.reports.sentiment`, :mod:`~analysis.reports.topics`) computes the section from
the loaded tables and returns a :class:`Section`, and :func:`analysis.reports.notebook.show`
renders it. The notebook holds the narrative; how a section is computed, and how it is drawn,
can change without touching the notebook.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Hashable, Mapping, Sequence
from pathlib import Path
from typing import Any

from analysis.reports.notebook import corpus_paths


@dataclasses.dataclass(frozen=True)
class Section:
    """One section of a report: text, tables and figures, ready to show.

    Parameters
    ----------
    title : str
        What the section is about (the notebook's heading says it to the reader; a renderer
        may use it to name files, such as a table's CSV).
    text : str
        Markdown shown first. Escaped already: article text and parameter values went through
        :func:`~analysis.reports.notebook.escape_markdown` or
        :func:`~analysis.reports.notebook.markdown_code`.
    tables : mapping of str to pandas.DataFrame
        Named tables, shown in order after the text (through
        :func:`~analysis.reports.notebook.show_table`, which escapes every cell).
    figures : mapping of str to object
        Named figures, shown in order after the tables: matplotlib figures, or any object
        IPython displays (an explanation with ``_repr_html_``).
    empty : str, optional
        One sentence (Markdown, escaped) saying why there is nothing to show; shown after the
        figures. None when the section has data.
    parts : tuple of Section
        Sub-sections shown after this one, in order (a section that shows a chart and then a
        table, each of which may be missing for its own reason).
    table_options : mapping of str to mapping
        Keyword arguments of ``show_table`` per table name (``max_rows``, ``max_chars``,
        ``index``).
    """

    title: str
    text: str = ""
    tables: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    figures: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    empty: str | None = None
    parts: tuple[Section, ...] = ()
    table_options: Mapping[str, Mapping[str, Any]] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class ReportData:
    """The tables a report reads, loaded once, and the values derived from them.

    Parameters
    ----------
    paths : list of Path
        The corpus paths, absolute.
    tables : dict of str to pandas.DataFrame
        ``articles`` (and ``rejects`` when read by the loader), plus the feature-store tables
        the report asked for. ``data["mentions"]`` reads one.
    store : Path, optional
        The feature store folder the tables came from (None when nothing was parsed).
    options : dict
        How the data was loaded (e.g. ``tokens``), for the functions that depend on it.
    """

    paths: list[Path]
    tables: dict[str, Any]
    store: Path | None = None
    options: dict[str, Any] = dataclasses.field(default_factory=dict)
    _derived: dict[Hashable, Any] = dataclasses.field(default_factory=dict, repr=False)

    def __getitem__(self, name: str):
        try:
            return self.tables[name]
        except KeyError:
            raise KeyError(
                f"{name!r}: the report loaded only {', '.join(self.tables) or 'no tables'}"
            ) from None

    def derived(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """Return the value derived under ``key``, computing it the first time.

        A section and the report's summary often need the same derived table (share of voice,
        the actors' scores, a keyness table); it is computed once per loaded corpus. ``key``
        names the value and the parameters it depends on, e.g. ``("co_mentions", "sentence")``.
        """
        if key not in self._derived:
            self._derived[key] = compute()
        return self._derived[key]


def load_report_data(
    corpus: str | os.PathLike | Sequence[str | os.PathLike],
    tables: Sequence[str] = (),
    *,
    loader: bool = False,
    workers: int | None = None,
    options: Mapping[str, Any] | None = None,
    dedupe: str = "none",
    columns: Mapping[str, str | None] | None = None,
) -> ReportData:
    """Load what a report reads: the corpus through the loader, the feature store, or both.

    Parameters
    ----------
    corpus : str, path-like or sequence of them
        The notebook's ``corpus`` parameter (relative paths are relative to the project folder,
        see :func:`~analysis.reports.notebook.corpus_paths`).
    tables : sequence of str
        Feature-store tables to read (``articles``, ``sentences``, ``mentions`` ...). The store
        is opened once (:func:`analysis.store.feature_store`): articles parsed before are read
        back from the cache, the others parsed with ``workers`` processes.
    loader : bool
        Also read the corpus with :func:`analysis.corpus.load_corpus`, which gives ``articles``
        (as loaded, without a parse) and ``rejects``; these take precedence over the store's.
    workers : int, optional
        Worker processes for articles not parsed yet; ``None`` or 0 (the default) uses every core.
    options : mapping, optional
        Kept as :attr:`ReportData.options`.
    dedupe : {"none", "story", "outlet"}
        ``"story"`` keeps one article per story (its origin) in every table, so syndicated
        copies count once; ``"outlet"`` one per story and outlet (:func:`analysis.syndication.dedupe`).
        The stories table is ``data["stories"]``; ``options["dedupe_note"]`` says what is counted.
    columns : mapping, optional
        Record columns of a ``.jsonl``/``.csv``/``.parquet`` corpus or a folder's ``metadata.csv``:
        :func:`analysis.corpus.load_corpus`'s keywords (``{"text_column": "body"}``); the
        ``report`` command's column options fill the notebooks' ``columns`` parameter.

    Returns
    -------
    ReportData
    """
    paths = corpus_paths(corpus)
    loaded: dict[str, Any] = {}
    if loader:
        from analysis.corpus import load_corpus

        loaded["articles"], loaded["rejects"] = load_corpus(paths, **dict(columns or {}))
    store = None
    # "stories" needs no parse: it is grouped from the articles (below).
    wanted = [name for name in tables if name not in loaded and name != "stories"]
    if wanted:
        from analysis.store import feature_store, read_table

        store = feature_store(paths, workers=workers or None, progress=False, columns=columns)
        for name in wanted:
            loaded[name] = read_table(store, name)
    options = dict(options or {})
    _dedupe(loaded, dedupe, options, with_stories="stories" in tables)
    return ReportData(paths=paths, tables=loaded, store=store, options=options)


def _dedupe(loaded: dict[str, Any], how: str, options: dict[str, Any], with_stories: bool) -> None:
    """Keep one article per story in every table (``how`` of :func:`analysis.syndication.dedupe`)."""
    from analysis.syndication import DEDUPE_CHOICES, dedupe, dedupe_note

    if how not in DEDUPE_CHOICES:
        raise ValueError(f"dedupe must be one of {', '.join(DEDUPE_CHOICES)}, got {how!r}")
    stories = None
    if how != "none" or with_stories:
        from analysis.stories import story_table

        stories = loaded["stories"] = story_table(loaded["articles"])
    options["dedupe"] = how
    options["dedupe_note"] = dedupe_note(how, stories)
    if how == "none":
        return
    for name, frame in list(loaded.items()):
        if name not in ("stories", "rejects") and "article_id" in getattr(frame, "columns", ()):
            loaded[name] = dedupe(frame, stories, how).reset_index(drop=True)
    if "actors" in loaded and "mentions" in loaded:
        from analysis.entities import actor_table

        # Actor counts follow the kept mentions: a syndicated story counts once.
        loaded["actors"] = actor_table(loaded["mentions"], loaded["articles"])


def published_days(frame):
    """``frame`` with its ``published`` column, if any, as ISO days (text; None when unknown).

    For tables shown to a reader: a day reads ``2024-03-05``, not midnight or ``NaT``
    (the rule of :func:`analysis.articles.published_day`).
    """
    import pandas as pd  # here, as the module imports pandas only when needed

    from analysis.articles import published_day

    if "published" not in frame.columns:
        return frame
    # A list, not Series.map: pandas would turn the None of an unknown day into NaN.
    days = [published_day(v) for v in frame["published"]]
    return frame.assign(published=pd.Series(days, index=frame.index, dtype=object))


def counted(data: ReportData) -> Section:
    """One sentence saying whether the report counts articles or independent stories."""
    return Section("What is counted", text=data.options.get("dedupe_note", ""))


def headline(summary: Mapping[str, Any]) -> Section:
    """Return a report's headline figures as a two-column table section (figure, value).

    The values are the text ``index.html`` shows
    (:func:`~analysis.reports.notebook.headline_figures`).
    """
    import pandas as pd

    from analysis.reports.notebook import headline_figures

    figures = pd.DataFrame(headline_figures(summary), columns=["figure", "value"])
    return Section("Summary", tables={"headline": figures})
