"""Interactive (plotly) versions of the report charts: hover for the figures, zoom on time.

Each function takes the same table as its matplotlib twin in :mod:`analysis.plots` (or
:func:`analysis.syndication.plot_attention`), so the data is prepared once and drawn twice: a
static PNG for scripts and print, an interactive chart for the report page
(:class:`~analysis.reports.interactive.InteractiveFigure`). Time axes are real dates; a period
without articles is a gap in the line, not a straight segment across it. Hover text is escaped
(plotly reads a little HTML in labels), so a headline shows as written.

plotly is imported inside each function.
"""

from __future__ import annotations

import html

import pandas as pd

#: Margins and fonts shared by every chart; the legend goes under the plot, never over data.
_LAYOUT = {
    "template": "plotly_white",
    "margin": {"l": 60, "r": 20, "t": 50, "b": 40},
    "font": {"size": 13},
    "legend": {"orientation": "h", "yanchor": "top", "y": -0.15, "x": 0},
    "hoverlabel": {"align": "left"},
}


def _text(value, max_chars: int = 120) -> str:
    """Plain text for a hover label: one line, cut, with ``& < >`` escaped."""
    s = " ".join(("" if value is None else str(value)).split())
    if len(s) > max_chars:
        s = s[: max_chars - 1] + "…"
    return html.escape(s, quote=False)


def _figure(title: str, height: int = 420):
    import plotly.graph_objects as go

    fig = go.Figure()
    fig.update_layout(title={"text": _text(title), "x": 0}, height=height, **_LAYOUT)
    return fig


def with_gaps(frame: pd.DataFrame, freq: str, *, date: str = "period", keys=()) -> pd.DataFrame:
    """Add a row of NaN for every period without articles between the first and the last.

    ``frame[date]`` holds period starts (timestamps); rows are added per combination of
    ``keys`` (a query, an outlet), so each line breaks where its series has no articles.
    """
    if frame.empty:
        return frame
    dates = pd.to_datetime(frame[date])
    full = pd.period_range(dates.min(), dates.max(), freq=freq).start_time
    keys = [k for k in keys if k in frame.columns]
    if not keys:
        return frame.set_index(date).reindex(full).rename_axis(date).reset_index()
    parts = []
    for values, group in frame.groupby(keys, sort=True):
        values = values if isinstance(values, tuple) else (values,)
        part = group.set_index(date).drop(columns=keys).reindex(full).rename_axis(date)
        for key, value in zip(keys, values, strict=True):
            part[key] = value
        parts.append(part.reset_index())
    return pd.concat(parts, ignore_index=True)


def attention_chart(table: pd.DataFrame, *, freq: str = "M", value: str = "share"):
    """Lines of attention over time (:func:`analysis.syndication.attention`): one per query (and outlet).

    Hover gives the period, the share and the matching and total articles.
    """
    fig = _figure("Attention over time")
    keys = [k for k in ("query", "outlet") if k in table.columns]
    filled = with_gaps(table, freq, keys=keys)
    for name, group in filled.groupby(keys, sort=True):
        name = " / ".join(map(str, name if isinstance(name, tuple) else (name,)))
        fig.add_scatter(
            x=group["period"],
            y=group[value],
            mode="lines+markers",
            name=_text(name, 60),
            connectgaps=False,
            customdata=group[["count", "total"]].to_numpy(),
            hovertemplate="%{x|%Y-%m-%d}<br>share %{y:.1%}<br>%{customdata[0]:.0f} of "
            "%{customdata[1]:.0f} articles<extra>" + _text(name, 60) + "</extra>",
        )
    fig.update_yaxes(title="share of articles", tickformat=".0%", rangemode="tozero")
    fig.update_xaxes(title="period start", type="date")
    return fig


def tone_over_time_chart(over_time: pd.DataFrame, *, freq: str = "M", value: str = "tone"):
    """Mean tone per period (:func:`analysis.tone.tone_over_time`), one line per outlet.

    Hover gives the period, the mean and the number of articles.
    """
    fig = _figure(f"Mean {value} over time")
    keys = ["outlet"] if "outlet" in over_time.columns else []
    filled = with_gaps(over_time, freq, keys=keys)
    groups = filled.groupby(keys, sort=True) if keys else [("all articles", filled)]
    for name, group in groups:
        name = name[0] if isinstance(name, tuple) else name
        fig.add_scatter(
            x=group["period"],
            y=group[value],
            mode="lines+markers",
            name=_text(name, 40),
            connectgaps=False,
            customdata=group[["n_articles"]].to_numpy(),
            hovertemplate="%{x|%Y-%m-%d}<br>mean " + value + " %{y:+.2f}<br>"
            "%{customdata[0]:.0f} articles<extra>" + _text(name, 40) + "</extra>",
        )
    fig.add_hline(y=0, line_width=1, line_color="#444")
    fig.update_yaxes(title=f"mean {value}")
    fig.update_xaxes(title="period start", type="date")
    return fig


def article_tone_chart(tone: pd.DataFrame, articles: pd.DataFrame):
    """One point per article: its tone against its length; hover gives the headline."""
    table = tone.merge(articles[["article_id", "headline", "n_words"]], on="article_id")
    fig = _figure(f"Tone of each article ({len(table):,} articles)")
    fig.add_scatter(
        x=table["tone"],
        y=table["n_words"],
        mode="markers",
        marker={"size": 9, "opacity": 0.7, "color": "#4c72b0"},
        text=[_text(h) for h in table["headline"]],
        customdata=[[_text(a, 60)] for a in table["article_id"]],
        hovertemplate="<b>%{text}</b><br>article %{customdata[0]}<br>tone %{x:+.2f}<br>"
        "%{y:,} words<extra></extra>",
        showlegend=False,
    )
    fig.add_vline(x=0, line_width=1, line_color="#444")
    fig.update_xaxes(title="tone (positive % - negative % of words)")
    fig.update_yaxes(title="words", rangemode="tozero")
    return fig


def _ranked_bars(
    top: pd.DataFrame,
    title: str,
    *,
    name: str,
    value: str,
    colour: str,
    extra: str,
    hover: str,
    axis: str,
):
    """Horizontal bars of ``top`` in its row order (first on top), one colour per ``colour``.

    ``hover`` is the line after the bar's name, with ``%{x}`` for ``value`` and
    ``%{customdata[0]}`` for ``extra``.
    """
    fig = _figure(title, height=max(320, 28 * len(top) + 160))
    for key, group in top.groupby(colour, sort=True):
        fig.add_bar(
            x=group[value],
            y=[_text(a, 40) for a in group[name]],
            orientation="h",
            name=_text(key),
            customdata=group[[extra]].to_numpy(),
            hovertemplate="<b>%{y}</b><br>" + hover + "<extra>" + _text(key) + "</extra>",
        )
    order = [_text(a, 40) for a in top[name]][::-1]
    fig.update_yaxes(categoryorder="array", categoryarray=order)
    fig.update_xaxes(title=axis, rangemode="tozero")
    return fig


def top_actors_chart(actors: pd.DataFrame, *, top_n: int = 15):
    """Bars of the most mentioned actors (as :func:`analysis.plots.plot_top_actors` ranks them)."""
    top = actors.sort_values(
        ["n_mentions", "n_articles", "actor"], ascending=[False, False, True], kind="stable"
    ).head(top_n)
    return _ranked_bars(
        top,
        f"Most mentioned actors (top {len(top)} of {len(actors):,})",
        name="actor",
        value="n_mentions",
        colour="label",
        extra="n_articles",
        hover="%{x:,} mentions in %{customdata[0]:,} articles",
        axis="mentions",
    )


def co_mentions_chart(pairs: pd.DataFrame, *, top_n: int = 12):
    """Heat map of how often the actors of the strongest pairs meet (hover: the pair, the count)."""
    from analysis.plots import co_mention_grid

    chosen, grid = co_mention_grid(pairs, top_n=top_n)
    labels = [_text(n, 28) for n in chosen]
    fig = _figure("Actors mentioned together", height=max(360, 30 * len(chosen) + 200))
    fig.add_heatmap(
        z=[[v if v else None for v in row] for row in grid.tolist()],
        x=labels,
        y=labels,
        colorscale="Blues",
        colorbar={"title": {"text": "together"}},
        hovertemplate="%{y} and %{x}: %{z:.0f} times<extra></extra>",
        hoverongaps=False,
    )
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(tickangle=-45)
    return fig


def prevalence_chart(prevalence: pd.DataFrame, *, freq: str | None = None, top_n: int = 8):
    """Topic prevalence over time (lines on a date axis, when ``freq`` is given) or per group (bars).

    Hover gives the topic, the mean share and the number of articles of the period or group.
    """
    ranked = prevalence.groupby("topic")["share"].mean().sort_values(ascending=False)
    keep = list(ranked.index[:top_n])
    table = prevalence[prevalence["topic"].isin(keep)].copy()
    table["name"] = table["topic"].astype(str) + ": " + table["label"].map(lambda s: _text(s, 40))
    over_time = freq is not None
    fig = _figure("Topic prevalence" + (" over time" if over_time else ""), height=460)
    if over_time:
        try:
            table["period"] = pd.PeriodIndex(table["group"], freq=freq).start_time
        except (ValueError, TypeError):  # a weekly label such as 2011-09-05/2011-09-11
            table["period"] = pd.to_datetime(table["group"].astype(str).str[:10])
    for topic in keep:
        rows = table[table["topic"] == topic]
        name = rows["name"].iat[0]
        if over_time:
            rows = with_gaps(rows.drop(columns=["group"]), freq, keys=["topic", "label", "name"])
            fig.add_scatter(
                x=rows["period"],
                y=rows["share"],
                mode="lines+markers",
                name=name,
                connectgaps=False,
                customdata=rows[["n_articles"]].to_numpy(),
                hovertemplate="%{x|%Y-%m-%d}<br>share %{y:.1%}<br>%{customdata[0]:.0f} articles"
                "<extra>" + name + "</extra>",
            )
        else:
            fig.add_bar(
                x=[_text(g, 30) for g in rows["group"]],
                y=rows["share"],
                name=name,
                customdata=rows[["n_articles"]].to_numpy(),
                hovertemplate="%{x}<br>share %{y:.1%}<br>%{customdata[0]:.0f} articles"
                "<extra>" + name + "</extra>",
            )
    if over_time:
        fig.update_xaxes(title="period start", type="date")
    else:
        fig.update_layout(barmode="stack")
    fig.update_yaxes(title="mean topic share", tickformat=".0%", rangemode="tozero")
    return fig


def k_scores_chart(k_scores: pd.DataFrame, *, chosen: int | None = None):
    """Coherence (NPMI), diversity and their product against k, as :func:`analysis.plots.plot_k_scores`.

    The k kept is a dotted vertical line; hover gives each k's three figures.
    """
    fig = _figure("Topic quality against k", height=380)
    lines = (
        ("npmi", "NPMI (coherence)", "circle", "solid"),
        ("diversity", "diversity", "square", "solid"),
        ("quality", "NPMI x diversity", "triangle-up", "dash"),
    )
    for column, name, symbol, dash in lines:
        fig.add_scatter(
            x=k_scores["k"],
            y=k_scores[column],
            mode="lines+markers",
            name=name,
            marker={"symbol": symbol},
            line={"dash": dash},
            hovertemplate="k = %{x}<br>" + name + " %{y:.3f}<extra></extra>",
        )
    if chosen is not None:
        fig.add_vline(x=chosen, line={"color": "grey", "width": 1, "dash": "dot"})
    fig.update_xaxes(title="number of topics k", tickvals=list(k_scores["k"]))
    return fig


def topic_map_chart(model):
    """Bubbles of the topics placed as :func:`analysis.plots.plot_topic_map` places them.

    Hover gives the topic's label, top terms, share and the articles it dominates; bubble area
    follows the share.
    """
    from analysis.plots import topic_map_coordinates

    table, xy = topic_map_coordinates(model)
    share = table["share"].to_numpy(dtype=float)
    fig = _figure("Topic map (closer = more similar terms; area = share of articles)", height=520)
    fig.add_scatter(
        x=xy[:, 0],
        y=xy[:, 1],
        mode="markers+text",
        text=[
            f"{t}: {_text(label, 30)}"
            for t, label in zip(table["topic"], table["label"], strict=True)
        ],
        textposition="middle center",
        marker={
            "size": share,
            "sizemode": "area",
            # the largest bubble about 70 pixels across, the smallest still visible
            "sizeref": 2.0 * max(float(share.max()) if len(share) else 0.0, 1e-9) / 70**2,
            "sizemin": 8,
            "opacity": 0.45,
        },
        customdata=[
            [_text(t, 200), f"{s:.1%}", int(n)]
            for t, s, n in zip(table["top_terms_display"], share, table["size"], strict=True)
        ],
        hovertemplate="<b>%{text}</b><br>%{customdata[0]}<br>share %{customdata[1]}, "
        "dominant in %{customdata[2]:,} articles<extra></extra>",
        showlegend=False,
    )
    # No axes: only distances mean something.
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, scaleanchor="x")
    return fig


def keyness_chart(
    keyness: pd.DataFrame, *, top_n: int = 15, target: str = "target", reference: str = "reference"
):
    """Bars of the most key terms of each side (log ratio), as :func:`analysis.plots.plot_keyness`.

    Hover gives the counts of both sides, G² (log-likelihood) and its p-value.
    """
    a = keyness[keyness["key_for"] == "target"].head(top_n)
    b = keyness[keyness["key_for"] == "reference"].head(top_n)
    fig = _figure(
        f"Key terms: {target} vs {reference}", height=max(360, 22 * (len(a) + len(b)) + 160)
    )
    order = []
    for side, rows in ((reference, b), (target, a)):
        names = [_text(t.replace("_", " "), 30) for t in rows["term"]]
        order += names[::-1]
        fig.add_bar(
            x=rows["log_ratio"],
            y=names,
            orientation="h",
            name=_text(side, 40),
            customdata=rows[["count_target", "count_reference", "log_likelihood", "p_value"]]
            .astype(float)
            .to_numpy(),
            hovertemplate="<b>%{y}</b><br>log2 ratio %{x:.2f}<br>"
            + f"{_text(target, 40)} %{{customdata[0]:,.0f}}, {_text(reference, 40)} "
            + "%{customdata[1]:,.0f}<br>G² %{customdata[2]:.1f}, p %{customdata[3]:.2g}"
            "<extra></extra>",
        )
    fig.update_yaxes(categoryorder="array", categoryarray=order)
    fig.update_xaxes(title=f"log2 ratio ({_text(target, 40)} vs {_text(reference, 40)})")
    return fig


def share_of_voice_chart(voice: pd.DataFrame, *, top_n: int = 10):
    """Bars of quoted words per speaker (as :func:`analysis.plots.plot_share_of_voice` ranks them).

    One bar colour per speaker kind; hover gives the quotations and words of the speaker.
    """
    top = voice.head(top_n)
    return _ranked_bars(
        top,
        f"Share of voice (top {len(top)} of {len(voice):,} speakers)",
        name="speaker",
        value="n_words",
        colour="speaker_kind",
        extra="n_quotes",
        hover="%{x:,} quoted words in %{customdata[0]:,} quotations",
        axis="quoted words",
    )
