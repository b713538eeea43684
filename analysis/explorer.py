"""An explorer for JupyterLab: pick an actor, an outlet, a period or a topic, or run a query.

``notebooks/explorer.ipynb`` calls :func:`explore`, which loads a corpus once (through the cached
feature store: a re-run parses nothing) and shows an actor picker, filters for outlet, period and
topic, and a query box: the actor's quotations and reported speech, the actors mentioned with it,
the tone of the sentences that mention it and its attention over time per outlet; the query
box's keyword-in-context lines (:mod:`analysis.search`, as ``python -m analysis search``).

The functions behind the widgets take a :class:`~analysis.reports.sections.ReportData` and
return DataFrames, so a script can use them without widgets (ipywidgets, itables and plotly are
imported only when the widgets are built)::

    data = explorer.load("seeds")
    ids = explorer.select_articles(data, outlet="Dawn", start="2011-09-01")
    view = explorer.actor_view(data, "Athar Abbas", articles=ids)
    view.quotes
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import os
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analysis.quotes import quotations  # who is quoted: reported speech is not a quotation
from analysis.reports.sections import ReportData, load_report_data, published_days

if TYPE_CHECKING:
    import pandas as pd

#: The feature-store tables the explorer reads.
TABLES = ("articles", "sentences", "mentions", "actors", "quotes", "sentiment")
#: Article columns copied onto the quotation and search rows.
ARTICLE_COLUMNS = ("headline", "published")
QUOTE_COLUMNS = [
    "article_id", "headline", "published", "outlet", "kind", "quote", "cue", "attributed_as",
    "sentence_text",
]  # fmt: skip
#: The value of a filter that keeps everything.
ALL = ""


def load(
    corpus: str | os.PathLike | Sequence[str | os.PathLike],
    *,
    workers: int | None = None,
    dedupe: str = "none",
    extract_options: Sequence[str] = (),
) -> ReportData:
    """Open the feature store of ``corpus`` once and read the explorer's :data:`TABLES`."""
    return load_report_data(
        corpus, TABLES, workers=workers, dedupe=dedupe, extract_options=extract_options
    )


# --- choices -------------------------------------------------------------------------------------


def outlet_column(data: ReportData) -> str:
    """The column naming the outlet (``outlet``, ``publisher``, ``agency`` ...), or ``""``.

    Only a column with two or more values is a filter worth offering
    (:func:`analysis.tone.pick_outlet_column`).
    """
    from analysis.tone import pick_outlet_column

    return pick_outlet_column(data["articles"])


def outlets(data: ReportData) -> list[str]:
    """The outlets of the corpus, most articles first (empty when there is only one)."""
    column = outlet_column(data)
    if not column:
        return []
    counts = data["articles"][column].dropna().astype(str).value_counts(sort=False)
    return sorted(counts.index, key=lambda name: (-counts[name], name))


def _published(articles) -> pd.Series:
    import pandas as pd

    return pd.to_datetime(articles["published"], errors="coerce", utc=True).dt.tz_localize(None)


def period(data: ReportData) -> tuple[dt.date, dt.date] | None:
    """The first and last publication dates of the corpus, or None when no article is dated."""
    dates = _published(data["articles"]).dropna()
    if dates.empty:
        return None
    return dates.min().date(), dates.max().date()


def actors(data: ReportData, articles: Collection[str] | None = None):
    """The actors and speakers to pick from: mentioned actors and every quoted speaker.

    Parameters
    ----------
    data : ReportData
        From :func:`load`.
    articles : collection of str, optional
        Count only these articles (a filter's :func:`select_articles`).

    Returns
    -------
    pandas.DataFrame
        ``actor``, ``label`` (``SPEAKER`` for a speaker no mention names, such as an anonymous
        source), ``n_mentions``, ``n_quotes``; most mentioned and quoted first, then by name.
    """
    import pandas as pd

    mentions, quotes = _subset(data["mentions"], articles), _subset(data["quotes"], articles)
    named = mentions.dropna(subset=["actor"])
    labels = data["actors"].set_index("actor")["label"]
    table = pd.DataFrame(
        {
            "n_mentions": named.groupby("actor").size(),
            "n_quotes": quotations(quotes).dropna(subset=["speaker"]).groupby("speaker").size(),
        }
    ).fillna(0)
    table = table.astype("int64").rename_axis("actor").reset_index()
    table.insert(1, "label", table["actor"].map(labels).fillna("SPEAKER").astype(str))
    total = table["n_mentions"] + table["n_quotes"]
    order = sorted(range(len(table)), key=lambda i: (-total.iat[i], table["actor"].iat[i]))
    return table.iloc[order].reset_index(drop=True)


def actor_label(row) -> str:
    """The actor picker's text for one row of :func:`actors`: name, label and counts."""

    def count(n: int, word: str) -> str:
        return f"{n} {word}" if n == 1 else f"{n} {word}s"

    return (
        f"{row.actor} ({row.label.lower()}; {count(row.n_mentions, 'mention')}, "
        f"{count(row.n_quotes, 'quote')})"
    )


# --- filters -------------------------------------------------------------------------------------


def _subset(frame, articles: Collection[str] | None):
    if articles is None:
        return frame
    return frame[frame["article_id"].isin(list(articles))]


def _as_date(value) -> dt.date | None:
    if value is None or value == ALL:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def select_articles(
    data: ReportData,
    *,
    outlet: str | None = None,
    start: dt.date | str | None = None,
    end: dt.date | str | None = None,
    topic: Any = None,
    doc_topics=None,
) -> list[str]:
    """The ids of the articles a filter keeps, in corpus order.

    Parameters
    ----------
    data : ReportData
        From :func:`load`.
    outlet : str, optional
        Keep this outlet's articles (in the column :func:`outlet_column` names).
    start, end : date or ISO date text, optional
        Keep articles published on or after ``start`` and on or before ``end``; with either
        set, undated articles are left out.
    topic : optional
        Keep the articles whose main topic (highest weight in ``doc_topics``) is ``topic``.
    doc_topics : pandas.DataFrame, optional
        ``article_id``, ``topic`` and ``weight``, as
        :meth:`analysis.topics.TopicModel.doc_topics_frame` returns; needed with ``topic``.

    Raises
    ------
    ValueError
        ``topic`` without ``doc_topics``, or a date that is not ISO (YYYY-MM-DD).
    """
    articles = data["articles"]
    keep = articles["article_id"].notna()
    if outlet not in (None, ALL):
        column = outlet_column(data) or "outlet"
        if column not in articles.columns:
            raise ValueError(f"outlet {outlet!r}: the articles name no outlet")
        keep &= articles[column].astype(str) == str(outlet)
    start, end = _as_date(start), _as_date(end)
    if start is not None or end is not None:
        days = _published(articles).dt.date
        dated = days.notna()
        if start is not None:
            keep &= dated & (days.where(dated, start) >= start)
        if end is not None:
            keep &= dated & (days.where(dated, end) <= end)
    if topic not in (None, ALL):
        if doc_topics is None:
            raise ValueError(f"topic {topic!r}: no topics were given (doc_topics)")
        keep &= articles["article_id"].isin(
            main_topic(doc_topics).pipe(lambda s: s[s == topic]).index
        )
    return articles.loc[keep, "article_id"].tolist()


def main_topic(doc_topics) -> pd.Series:
    """Each article's main topic (highest weight; ties go to the lower topic), by article id."""
    if doc_topics is None or len(doc_topics) == 0:
        import pandas as pd

        return pd.Series(dtype=object)
    ranked = doc_topics.sort_values(
        ["article_id", "weight", "topic"], ascending=[True, False, True]
    )
    return ranked.drop_duplicates("article_id").set_index("article_id")["topic"]


# --- what an actor says, who it is mentioned with, the tone toward it, its attention -------------


def _with_articles(frame, data: ReportData):
    articles = data["articles"]
    column = outlet_column(data)
    wanted = ["article_id", *[c for c in ARTICLE_COLUMNS if c in articles.columns]]
    table = articles[wanted].copy()
    table["outlet"] = articles[column] if column else None
    return frame.merge(table, on="article_id", how="left")


def actor_quotes(data: ReportData, actor: str, *, articles: Collection[str] | None = None):
    """The quotations and reported speech of ``actor``, each with its sentence and article.

    ``kind`` says what each row is (``direct``, ``partial``, ``indirect`` ...: whatever kinds
    the quotes extractor gives); the speaker is the resolved one, so a quotation attributed to
    "he" or to a surname counts for the actor (``attributed_as`` shows the words used).
    """
    from analysis.ledger import quote_ledger

    quotes = _subset(data["quotes"], articles)
    quotes = quotes[(quotes["speaker"] == actor) & (quotes.get("kind") != "non_answer")]
    table = quote_ledger(quotes, data["sentences"], data["articles"])
    return _with_articles(table, data).filter(QUOTE_COLUMNS).reset_index(drop=True)


def actor_co_mentions(
    data: ReportData,
    actor: str,
    *,
    unit: str = "sentence",
    articles: Collection[str] | None = None,
):
    """The actors mentioned in the same ``unit`` (sentence or article) as ``actor``.

    Returns
    -------
    pandas.DataFrame
        ``actor``, ``label``, ``count`` (units naming both), ``n_articles``; most first.
    """
    import pandas as pd

    from analysis.entities import co_mentions

    columns = ["actor", "label", "count", "n_articles"]
    mentions = _subset(data["mentions"], articles)
    key = "sentence" if unit == "sentence" else None
    mine = mentions.loc[mentions["actor"] == actor, ["article_id", *([key] if key else [])]]
    if mine.empty:
        return pd.DataFrame(columns=columns)
    # Only the units that name the actor matter: pairs are counted there alone.
    units = mine.drop_duplicates()
    near = mentions.merge(units, on=list(units.columns))
    pairs = co_mentions(near, by=unit)
    a = pairs[pairs["actor_a"] == actor].rename(columns={"actor_b": "actor", "label_b": "label"})
    b = pairs[pairs["actor_b"] == actor].rename(columns={"actor_a": "actor", "label_a": "label"})
    table = pd.concat([a[columns], b[columns]], ignore_index=True)
    return table.sort_values(["count", "n_articles", "actor"], ascending=[False, False, True])[
        columns
    ].reset_index(drop=True)


def actor_tone(data: ReportData, actor: str, *, articles: Collection[str] | None = None):
    """The sentences that mention ``actor`` with their sentiment, and a summary by voice.

    Tone toward the actor is read from the sentence sentiment of the feature store (the
    narrator's sentences and the quoted ones apart), which costs nothing at display time;
    ``python -m analysis target`` scores the stance toward each mention with a model instead.

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        The sentences (``article_id``, ``sentence``, ``voice``, ``compound``, ``label``,
        ``text``, most negative first) and the summary (``voice``, ``n_sentences``,
        ``mean_compound``, ``negative``, ``neutral``, ``positive``: counts by label).
    """
    import pandas as pd

    mentions = _subset(data["mentions"], articles)
    keys = mentions.loc[mentions["actor"] == actor, ["article_id", "sentence"]].drop_duplicates()
    scored = data["sentiment"].merge(keys, on=["article_id", "sentence"])
    text = data["sentences"][["article_id", "sentence", "text"]]
    sentences = scored.merge(text, on=["article_id", "sentence"], how="left")
    sentences = sentences[["article_id", "sentence", "voice", "compound", "label", "text"]]
    sentences = sentences.sort_values(["compound", "article_id", "sentence"]).reset_index(drop=True)
    summary_columns = ["voice", "n_sentences", "mean_compound", "negative", "neutral", "positive"]
    if sentences.empty:
        return sentences, pd.DataFrame(columns=summary_columns)
    counts = pd.crosstab(sentences["voice"], sentences["label"])
    summary = sentences.groupby("voice").agg(
        n_sentences=("compound", "size"), mean_compound=("compound", "mean")
    )
    summary = summary.join(counts).reindex(columns=summary_columns[1:], fill_value=0)
    summary["mean_compound"] = summary["mean_compound"].round(3)
    return sentences, summary.reset_index()[summary_columns]


def actor_attention(
    data: ReportData,
    actor: str,
    *,
    freq: str = "M",
    articles: Collection[str] | None = None,
):
    """Articles mentioning ``actor`` per period (and outlet), as a share of the period's articles.

    See :func:`analysis.syndication.attention`; undated articles are left out, so a corpus
    without dates gives an empty table.
    """
    from analysis.syndication import attention

    kept = _subset(data["articles"], articles)
    mentions = _subset(data["mentions"], articles)
    ids = set(mentions.loc[mentions["actor"] == actor, "article_id"])
    return attention(kept, {actor: ids}, freq=freq, by=outlet_column(data) or None)


@dataclasses.dataclass(frozen=True)
class ActorView:
    """Everything the explorer shows for one actor (see :func:`actor_view`)."""

    actor: str
    quotes: Any
    co_mentions: Any
    tone_sentences: Any
    tone: Any
    attention: Any


def actor_view(
    data: ReportData,
    actor: str,
    *,
    articles: Collection[str] | None = None,
    unit: str = "sentence",
    freq: str = "M",
) -> ActorView:
    """The actor's quotations, co-mentions, tone and attention, over ``articles`` (or all)."""
    sentences, tone = actor_tone(data, actor, articles=articles)
    return ActorView(
        actor=actor,
        quotes=actor_quotes(data, actor, articles=articles),
        co_mentions=actor_co_mentions(data, actor, unit=unit, articles=articles),
        tone_sentences=sentences,
        tone=tone,
        attention=actor_attention(data, actor, freq=freq, articles=articles),
    )


# --- search --------------------------------------------------------------------------------------


def search_lines(
    data: ReportData,
    query: str,
    *,
    articles: Collection[str] | None = None,
    width: int = 60,
    limit: int | None = 500,
    relative_to: str | os.PathLike | None = None,
):
    """Keyword-in-context lines of ``query`` (:func:`analysis.search.search`) with a link.

    ``link`` is the article's file (its ``source``), relative to ``relative_to`` when given
    (the notebook's folder: JupyterLab opens a relative link as a file beside the notebook).

    Raises
    ------
    analysis.search.QueryError
        A query that cannot be parsed, with the position and the problem.
    """
    from analysis.search import search

    kept = _subset(data["articles"], articles)
    lines = search(kept, query, width=width, limit=limit)
    if "source" in kept.columns:
        sources = kept.set_index("article_id")["source"]
        lines["link"] = [_link(sources.get(a), relative_to) for a in lines["article_id"]]
    else:
        lines["link"] = None
    return lines


def _link(source, relative_to) -> str | None:
    if not isinstance(source, str) or not source:
        return None
    if relative_to is None:
        return Path(source).as_posix()
    return Path(os.path.relpath(source, relative_to)).as_posix()


def kwic_html(lines, *, max_rows: int = 500) -> str:
    """Keyword-in-context lines as an escaped HTML table; the article id links to its file."""
    rows = []
    for row in lines.head(max_rows).itertuples(index=False):
        name = html.escape(str(row.article_id))
        link = getattr(row, "link", None)
        cell = f'<a href="{html.escape(link, quote=True)}">{name}</a>' if link else name
        headline = html.escape(str(getattr(row, "headline", "") or ""))
        rows.append(
            f"<tr><td>{cell}</td><td>{headline}</td>"
            f'<td style="text-align:right">{html.escape(row.left)}</td>'
            f"<td><strong>{html.escape(row.keyword)}</strong></td>"
            f'<td style="text-align:left">{html.escape(row.right)}</td></tr>'
        )
    more = (
        f"<p><em>Showing {max_rows:,} of {len(lines):,} lines.</em></p>"
        if len(lines) > max_rows
        else ""
    )
    return (
        '<table class="news-kwic"><thead><tr><th>article</th><th>headline</th>'
        '<th colspan="3">keyword in context</th></tr></thead><tbody>'
        + "".join(rows)
        + "</tbody></table>"
        + more
    )


# --- the widgets ---------------------------------------------------------------------------------


class Explorer:
    """The explorer's widgets over one loaded corpus.

    Parameters
    ----------
    data : ReportData
        From :func:`load`.
    doc_topics : pandas.DataFrame, optional
        ``article_id``, ``topic``, ``weight`` (e.g. ``TopicModel.doc_topics_frame()``); enables
        the topic filter.
    topic_labels : mapping, optional
        A readable label per topic for the topic picker.
    max_rows : int
        Rows shown per table.
    link_base : path-like, optional
        Folder the article links are relative to (default: the current folder, the notebook's).

    Attributes
    ----------
    widget : ipywidgets.VBox
        The whole explorer; displaying the Explorer displays it.
    """

    def __init__(
        self,
        data: ReportData,
        *,
        doc_topics=None,
        topic_labels: Mapping[Any, str] | None = None,
        max_rows: int = 200,
        link_base: str | os.PathLike | None = None,
    ) -> None:
        import ipywidgets as w

        self.data = data
        self.doc_topics = doc_topics
        self.max_rows = max_rows
        self.link_base = Path(link_base) if link_base is not None else Path.cwd()
        layout = w.Layout(width="24em")
        style = {"description_width": "5em"}
        choices = actors(data)
        self.actor = w.Dropdown(
            description="Actor",
            options=[("(pick an actor)", ALL)]
            + [(actor_label(r), r.actor) for r in choices.itertuples(index=False)],
            value=ALL,
            layout=w.Layout(width="36em"),
            style=style,
        )
        names = outlets(data)
        self.outlet = w.Dropdown(
            description="Outlet",
            options=[("all outlets", ALL)] + [(n, n) for n in names],
            disabled=not names,
            layout=layout,
            style=style,
        )
        span = period(data)
        self.start = w.DatePicker(
            description="From", value=span[0] if span else None, disabled=span is None, style=style
        )
        self.end = w.DatePicker(
            description="To", value=span[1] if span else None, disabled=span is None, style=style
        )
        # Without dates there is no period to pick (the header says so).
        dates = w.HBox([self.start, self.end], layout=w.Layout(display="" if span else "none"))
        topics = sorted(main_topic(doc_topics).unique().tolist()) if doc_topics is not None else []
        labels = dict(topic_labels or {})
        self.topic = w.Dropdown(
            description="Topic",
            options=[("all topics", ALL)] + [(str(labels.get(t, f"topic {t}")), t) for t in topics],
            disabled=not topics,
            layout=layout,
            style=style,
        )
        self.query = w.Text(
            description="Search",
            placeholder='e.g. haqqani AND (army OR "prime minister")',
            continuous_update=False,
            layout=w.Layout(width="48em"),
            style=style,
        )
        self.status = w.HTML()
        self.outputs = {
            name: w.Output()
            for name in ("Quotations", "Co-mentions", "Tone", "Attention", "Search")
        }
        self.tabs = w.Tab(children=list(self.outputs.values()))
        for i, name in enumerate(self.outputs):
            self.tabs.set_title(i, name)
        for control in (self.actor, self.outlet, self.start, self.end, self.topic):
            control.observe(self._on_change, names="value")
        self.query.observe(self._on_query, names="value")
        self.widget = w.VBox(
            [
                w.HTML(self._header()),
                w.HBox([self.actor, self.outlet, self.topic]),
                dates,
                self.query,
                self.status,
                self.tabs,
            ]
        )
        self.refresh()

    def _header(self) -> str:
        articles = self.data["articles"]
        span = period(self.data)
        dates = f", {span[0]} to {span[1]}" if span else ", no publication dates"
        n = len(articles)
        return (
            f"<b>{n:,} article{'s' if n != 1 else ''}</b>{dates}; "
            f"{len(quotations(self.data['quotes'])):,} quotations, "
            f"{int(self.data['mentions']['actor'].notna().sum()):,} actor mentions."
        )

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    # the filters, as select_articles takes them
    def filters(self) -> dict[str, Any]:
        """The current filter values (keyword arguments of :func:`select_articles`)."""
        span = period(self.data)
        start, end = self.start.value, self.end.value
        if span and start == span[0] and end == span[1]:
            start = end = None  # the whole period: keep undated articles too
        return {
            "outlet": self.outlet.value,
            "start": start,
            "end": end,
            "topic": self.topic.value,
            "doc_topics": self.doc_topics,
        }

    def selected(self) -> list[str]:
        """The ids of the articles the filters keep."""
        return select_articles(self.data, **self.filters())

    def _on_change(self, _change=None) -> None:
        self.refresh()

    def _on_query(self, _change=None) -> None:
        self.show_search()
        self.tabs.selected_index = list(self.outputs).index("Search")

    def refresh(self) -> None:
        """Redraw every tab for the current actor, filters and query."""
        try:
            ids = self.selected()
        except ValueError as exc:
            self.status.value = f"<b>Filter:</b> {html.escape(str(exc))}"
            return
        n = len(self.data["articles"])
        self.status.value = f"{len(ids):,} of {n:,} articles match the filters."
        self.show_actor(ids)
        self.show_search(ids)

    def show_actor(self, ids: list[str] | None = None) -> None:
        """Fill the actor's tabs (quotations, co-mentions, tone, attention)."""
        from IPython.display import HTML, display

        ids = self.selected() if ids is None else ids
        actor = self.actor.value
        for out in list(self.outputs.values())[:4]:
            out.clear_output()
        if actor == ALL:
            with self.outputs["Quotations"]:
                display(HTML("<p>Pick an actor to see its quotations.</p>"))
            return
        view = actor_view(self.data, actor, articles=ids)
        name = html.escape(actor)
        with self.outputs["Quotations"]:
            kinds = view.quotes["kind"].value_counts() if len(view.quotes) else {}
            counts = ", ".join(f"{v} {html.escape(str(k))}" for k, v in kinds.items())
            display(HTML(f"<p><b>{len(view.quotes)}</b> quotations of <b>{name}</b>"
                         + (f" ({counts})" if counts else "") + ".</p>"))  # fmt: skip
            self._table(view.quotes, "quotations")
        with self.outputs["Co-mentions"]:
            display(HTML(f"<p>Actors mentioned in the same sentence as <b>{name}</b>.</p>"))
            self._table(view.co_mentions, "co-mentions")
        with self.outputs["Tone"]:
            display(HTML(f"<p>Sentiment of the sentences that mention <b>{name}</b>, by voice "
                         "(the narrator's sentences and the quoted ones).</p>"))  # fmt: skip
            self._table(view.tone, "tone")
            self._table(view.tone_sentences, "tone sentences")
        with self.outputs["Attention"]:
            if view.attention.empty:
                display(HTML("<p>No attention over time: no article of the selection carries "
                             "a publication date.</p>"))  # fmt: skip
            else:
                per = " per outlet" if "outlet" in view.attention.columns else ""
                display(HTML(f"<p>Share of each month's articles{per} that mention "
                             f"<b>{name}</b>.</p>"))  # fmt: skip
                display(_attention_chart(view.attention))
                self._table(view.attention, "attention")

    def show_search(self, ids: list[str] | None = None) -> None:
        """Run the query box's query over the filtered articles and show the lines."""
        from IPython.display import HTML, display

        from analysis.search import QueryError

        out = self.outputs["Search"]
        out.clear_output()
        query = self.query.value.strip()
        with out:
            if not query:
                display(HTML("<p>Type a query and press Enter.</p>"))
                return
            ids = self.selected() if ids is None else ids
            try:
                lines = search_lines(
                    self.data, query, articles=ids, limit=None, relative_to=self.link_base
                )
            except QueryError as exc:
                display(
                    HTML(f"<p><b>Query {html.escape(query)!s}:</b> {html.escape(str(exc))}</p>")
                )
                return
            display(HTML(f"<p><b>{len(lines):,}</b> lines in "
                         f"<b>{lines['article_id'].nunique():,}</b> articles.</p>"
                         + kwic_html(lines, max_rows=self.max_rows)))  # fmt: skip

    def _table(self, frame, caption: str) -> None:
        """Show ``frame`` as a searchable, sortable table (itables, offline), else escaped HTML."""
        from IPython.display import HTML, display

        if frame is None or len(frame) == 0:
            display(HTML(f"<p><em>No {html.escape(caption)}.</em></p>"))
            return
        try:
            from itables import to_html_datatable
        except ImportError:  # itables is optional: fall back to the reports' escaped table
            from analysis.reports.notebook import show_table

            display(show_table(frame, max_rows=self.max_rows))
            return
        from pandas.api.types import is_numeric_dtype

        # Columns no row fills (no outlet, no dates) say nothing; text reads best left-aligned
        # (the lab stylesheet right-aligns every cell); a date shows its day, not midnight or NaT.
        frame = published_days(frame.dropna(axis=1, how="all"))
        text = [i for i, c in enumerate(frame.columns) if not is_numeric_dtype(frame[c].dtype)]
        # allow_html is off: every cell is shown as text, so article markup stays inert.
        display(
            HTML(
                to_html_datatable(
                    frame.head(self.max_rows * 5),
                    columnDefs=[{"className": "dt-left", "targets": text}],
                    connected=False,
                    maxBytes=0,
                    classes="display compact",
                    layout={"topStart": "search", "topEnd": None},
                )
            )
        )


def _attention_chart(table):
    """A plotly line per outlet of the actor's share of each period's articles."""
    import pandas as pd
    import plotly.express as px

    color = "outlet" if "outlet" in table.columns else None
    fig = px.line(
        table.sort_values("period"),
        x="period",
        y="share",
        color=color,
        markers=True,
        hover_data=["count", "total"],
        labels={"share": "share of articles", "period": ""},
    )
    fig.update_layout(height=320, margin={"l": 40, "r": 10, "t": 20, "b": 30})
    fig.update_yaxes(range=[0, 1.05], tickformat=".0%")
    periods = table["period"].drop_duplicates()
    months = (periods.max().year - periods.min().year) * 12 + periods.max().month
    months -= periods.min().month
    # one tick per month (or quarter, or year): plotly's own ticks fall mid-month, and a month
    # label on them repeats
    step = "M1" if months <= 18 else "M3" if months <= 60 else "M12"
    fig.update_xaxes(tickformat="%b %Y", dtick=step)
    if len(periods) == 1:  # one point: plotly would zoom the axis to milliseconds around it
        only = periods.iat[0]
        fig.update_xaxes(range=[only - pd.Timedelta(days=45), only + pd.Timedelta(days=45)])
    return fig


def explore(
    corpus: str | os.PathLike | Sequence[str | os.PathLike] = "seeds",
    *,
    workers: int | None = None,
    dedupe: str = "none",
    n_topics: str = "",
    extract_options: Sequence[str] = (),
    doc_topics=None,
    topic_labels: Mapping[Any, str] | None = None,
    max_rows: int = 200,
) -> Explorer:
    """Load ``corpus`` and return its :class:`Explorer` (a notebook cell displays it).

    Parameters
    ----------
    corpus : str, path-like or sequence of them
        Corpus files or folders; relative paths are relative to the project folder.
    workers, dedupe, extract_options
        As for :func:`load_report_data`: processes parsing new articles, syndicated copies
        counted once per story or not, the store's opt-in extractors (``["reported_speech"]``
        opens the store ``report --reported-speech`` made).
    n_topics : str
        ``""``: no topic filter; ``"8"`` or ``"auto"`` fits the topics report's model
        (:func:`analysis.reports.topics.fit`): a topic picker, labels of three top terms.
    doc_topics, topic_labels, max_rows
        See :class:`Explorer` (given ``doc_topics`` win over ``n_topics``).
    """
    _init_itables()
    options = {"workers": workers, "dedupe": dedupe, "extract_options": extract_options}
    if n_topics and doc_topics is None:
        doc_topics, topic_labels = _fit_topics(corpus, n_topics, options)
    data = load(corpus, **options)
    return Explorer(data, doc_topics=doc_topics, topic_labels=topic_labels, max_rows=max_rows)


def _fit_topics(corpus, n_topics: str, options: Mapping[str, Any]):
    """``(doc_topics, labels)`` of the topics report's model fitted on ``corpus``."""
    from analysis.reports import topics

    fitted = topics.fit(topics.load(corpus, **options), n_topics=n_topics)
    terms = fitted.topics_frame().query("rank <= 3").groupby("topic")["term"]
    labels = {t: f"{t}: {', '.join(words)}" for t, words in terms}
    return fitted.doc_topics_frame(), labels


def _init_itables() -> None:
    """Put itables' DataTables bundle into the notebook once (offline: nothing loads remotely).

    Only the bundle: ``init_notebook_mode(connected=False)`` (itables 2.9) first shows a script
    awaiting the bundle before it is there (an error); every table is shown unconnected.
    """
    from IPython.display import HTML, display

    try:
        from itables import options
        from itables.javascript import generate_init_offline_itables_html
    except ImportError:  # no itables: the tables fall back to escaped HTML
        return
    display(HTML(generate_init_offline_itables_html(options.dt_bundle)))
