"""Plot functions: each takes data (a table or a fitted model) and returns a matplotlib Figure."""

from __future__ import annotations

# --- corpus overview ---


def plot_length_histogram(articles, *, column: str = "n_words", bins: int = 30):
    """Return a histogram of article lengths (words in the body, by default).

    Parameters
    ----------
    articles : pandas.DataFrame
        The articles table of :func:`analysis.corpus.load_corpus`.
    column : str
        The length column to plot (``n_words`` or ``n_paragraphs``).
    bins : int
        Upper bound on the number of bars; fewer are drawn for a small corpus.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    values = articles[column].dropna().astype(float)
    fig = Figure(figsize=(7, 3.5), layout="constrained")
    ax = fig.add_subplot()
    if len(values):
        # A bar per distinct value when there are only a few, so one article is one bar.
        n_bins = max(1, min(bins, values.nunique()))
        if values.nunique() == 1:
            # One length: a bar around it, a tenth of it wide, instead of matplotlib's
            # unit-wide bar with ticks at 625.6 ... 626.4.
            v = float(values.iat[0])
            half = max(1.0, abs(v) * 0.05)
            n_bins = [v - half, v + half]
            ax.set_xlim(v - 4 * half, v + 4 * half)
        ax.hist(values, bins=n_bins, color="#4c72b0", edgecolor="white")
        # Lengths and counts are whole numbers.
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    else:
        ax.text(0.5, 0.5, "no articles", ha="center", va="center", transform=ax.transAxes)
    label = {"n_words": "words per article", "n_paragraphs": "paragraphs per article"}
    ax.set_xlabel(label.get(column, column))
    ax.set_ylabel("articles")
    ax.set_title(f"Article length ({len(values):,} articles)")
    ax.spines[["top", "right"]].set_visible(False)
    return fig


# --- actors and quotes ---

#: Colours of entity labels and speaker kinds, so a type keeps its colour across figures.
_KIND_COLOURS = {
    "PERSON": "#4c72b0",
    "person": "#4c72b0",
    "ORG": "#dd8452",
    "organisation": "#dd8452",
    "GPE": "#55a868",
    "place": "#55a868",
    "NORP": "#c44e52",
    "anonymous": "#8172b3",
    "unknown": "#999999",
}


def _plain_label(text, max_chars: int = 40) -> str:
    """Return article text fit for a matplotlib label: shortened, and ``$`` kept literal.

    Matplotlib reads text between two dollar signs as mathtext, so a name from an article
    ("$1.5bn") could change how a label renders; escaping the sign keeps it as written.
    """
    s = " ".join(str(text).split())
    if len(s) > max_chars:
        s = s[: max_chars - 1] + "…"
    return s.replace("$", r"\$")


def _empty(ax, message: str) -> None:
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes)
    ax.set_axis_off()


def _kind_legend(ax, kinds) -> None:
    from matplotlib.patches import Patch

    seen = list(dict.fromkeys(kinds))
    handles = [Patch(color=_KIND_COLOURS.get(k, "#999999"), label=_plain_label(k)) for k in seen]
    if handles:
        ax.legend(
            handles=handles,
            frameon=False,
            fontsize="small",
            loc="upper left",
            bbox_to_anchor=(1.0, 1.0),
        )


def plot_top_actors(actors, *, top_n: int = 15):
    """Return a bar chart of the most mentioned actors, coloured by their entity label.

    Parameters
    ----------
    actors : pandas.DataFrame
        The ``actors`` table (``actor``, ``label``, ``n_mentions``, ``n_articles``).
    top_n : int
        Actors shown, the most mentioned first.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    top = actors.sort_values(
        ["n_mentions", "n_articles", "actor"], ascending=[False, False, True], kind="stable"
    ).head(top_n)
    fig = Figure(figsize=(7, 0.3 * max(len(top), 4) + 1.2), layout="constrained")
    ax = fig.add_subplot()
    if top.empty:
        _empty(ax, "no actors")
        return fig
    y = range(len(top))[::-1]
    ax.barh(
        list(y),
        top["n_mentions"],
        color=[_KIND_COLOURS.get(k, "#999999") for k in top["label"]],
    )
    ax.set_yticks(list(y), [_plain_label(a) for a in top["actor"]])
    for yi, n, a in zip(y, top["n_mentions"], top["n_articles"], strict=True):
        ax.text(n, yi, f" {n:,} ({a:,} art.)", va="center", fontsize="small")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("mentions (articles in brackets)")
    ax.set_title(f"Most mentioned actors (top {len(top)} of {len(actors):,})")
    ax.margins(x=0.15)
    ax.spines[["top", "right"]].set_visible(False)
    _kind_legend(ax, top["label"])
    return fig


def co_mention_grid(pairs, *, top_n: int = 10):
    """The actors of the strongest co-mention pairs and how often each two meet.

    Actors are taken from the pairs in order of count until there are ``top_n``. Returns
    ``(actors, grid)``: a list of names and a symmetric NumPy array of counts (0: never).
    Shared by :func:`plot_co_mentions` and the report's interactive heat map.
    """
    import numpy as np

    ranked = pairs.sort_values(
        ["count", "actor_a", "actor_b"], ascending=[False, True, True], kind="stable"
    )
    chosen: list[str] = []
    for a, b in zip(ranked["actor_a"], ranked["actor_b"], strict=True):
        for name in (a, b):
            if name not in chosen and len(chosen) < top_n:
                chosen.append(name)
        if len(chosen) >= top_n:
            break
    pos = {name: i for i, name in enumerate(chosen)}
    grid = np.zeros((len(chosen), len(chosen)))
    for a, b, n in zip(pairs["actor_a"], pairs["actor_b"], pairs["count"], strict=True):
        if a in pos and b in pos:
            grid[pos[a], pos[b]] = grid[pos[b], pos[a]] = n
    return chosen, grid


def plot_co_mentions(pairs, *, top_n: int = 10):
    """Return a heat map of how often the actors of the strongest co-mention pairs meet.

    Parameters
    ----------
    pairs : pandas.DataFrame
        Rows of :func:`analysis.entities.co_mentions` (``actor_a``, ``actor_b``, ``count``).
    top_n : int
        Actors shown: those of the strongest pairs, taken in order until there are ``top_n``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import numpy as np
    from matplotlib.figure import Figure

    chosen, grid = co_mention_grid(pairs, top_n=top_n)
    size = max(len(chosen), 3)
    fig = Figure(figsize=(0.45 * size + 2.8, 0.45 * size + 1.8), layout="constrained")
    ax = fig.add_subplot()
    if not chosen:
        _empty(ax, "no actors mentioned together")
        return fig
    image = ax.imshow(np.ma.masked_equal(grid, 0), cmap="Blues", vmin=0)
    labels = [_plain_label(n, 28) for n in chosen]
    ax.set_xticks(range(len(chosen)), labels, rotation=60, ha="right", fontsize="small")
    ax.set_yticks(range(len(chosen)), labels, fontsize="small")
    for i in range(len(chosen)):
        for j in range(len(chosen)):
            if grid[i, j]:
                ax.text(j, i, f"{grid[i, j]:.0f}", ha="center", va="center", fontsize="x-small")
    fig.colorbar(image, ax=ax, shrink=0.7, label="times mentioned together")
    ax.set_title("Actors mentioned together")
    return fig


def plot_share_of_voice(voice, *, top_n: int = 10):
    """Return bar charts of quotations and quoted words per speaker, coloured by speaker kind.

    Parameters
    ----------
    voice : pandas.DataFrame
        Rows of :func:`analysis.quotes.share_of_voice` (``speaker``, ``speaker_kind``,
        ``n_quotes``, ``n_words``).
    top_n : int
        Speakers shown, those with the most quoted words first.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    top = voice.head(top_n)
    fig = Figure(figsize=(8, 0.3 * max(len(top), 4) + 1.2), layout="constrained")
    if top.empty:
        _empty(fig.add_subplot(), "no quotations")
        return fig
    ax_q, ax_w = fig.subplots(1, 2, sharey=True)
    y = list(range(len(top)))[::-1]
    colours = [_KIND_COLOURS.get(k, "#999999") for k in top["speaker_kind"]]
    ax_q.barh(y, top["n_quotes"], color=colours)
    ax_w.barh(y, top["n_words"], color=colours)
    ax_q.set_yticks(y, [_plain_label(s) for s in top["speaker"]])
    ax_q.set_xlabel("quotations")
    ax_w.set_xlabel("quoted words")
    for ax in (ax_q, ax_w):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.spines[["top", "right"]].set_visible(False)
    _kind_legend(ax_w, top["speaker_kind"])
    fig.suptitle(f"Share of voice (top {len(top)} of {len(voice):,} speakers)")
    return fig


# --- topics ---


def plot_k_scores(k_scores, *, chosen: int | None = None):
    """Return coherence (NPMI) and diversity against the number of topics k.

    Parameters
    ----------
    k_scores : pandas.DataFrame
        ``TopicModel.k_scores_`` (k, npmi, diversity, quality).
    chosen : int, optional
        The k the model kept, marked with a vertical line.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 3.5), layout="constrained")
    ax = fig.add_subplot()
    if k_scores is None or len(k_scores) == 0:
        _empty(ax, "no k scan (n_topics was fixed)")
        return fig
    ax.plot(k_scores["k"], k_scores["npmi"], marker="o", label="NPMI (coherence)")
    ax.plot(k_scores["k"], k_scores["diversity"], marker="s", label="diversity")
    ax.plot(
        k_scores["k"], k_scores["quality"], marker="^", linestyle="--", label="NPMI x diversity"
    )
    if chosen is not None:
        ax.axvline(chosen, color="grey", linewidth=1, linestyle=":")
    ax.set_xlabel("number of topics k")
    ax.set_xticks(list(k_scores["k"]))
    ax.legend(frameon=False, fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title("Topic quality against k")
    return fig


def topic_map_coordinates(model):
    """Return ``(table, xy)``: the model's topic table and a 2-D position per topic.

    Topics are placed by the first two principal components of their unit-length term vectors
    (so distance follows cosine dissimilarity), with signs fixed so that the same model always
    gives the same map. Shared by :func:`plot_topic_map` and the report's interactive map.
    """
    import numpy as np

    table = model.topic_table()
    vectors = np.asarray(model.components_, dtype=float)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors = np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)
    if len(vectors) < 2:
        return table, np.zeros((len(vectors), 2))
    centred = vectors - vectors.mean(axis=0)
    u, s, _ = np.linalg.svd(centred, full_matrices=False)
    xy = u[:, :2] * s[:2]
    if xy.shape[1] < 2:
        xy = np.column_stack([xy, np.zeros(len(xy))])
    # Fix the signs so the same model always draws the same map.
    xy *= np.where(xy[np.abs(xy).argmax(axis=0), range(2)] < 0, -1, 1)
    return table, xy


def plot_topic_map(model):
    """Return a 2-D map of a fitted topic model: similar topics lie close, bubble area is the share.

    Topics are placed by principal components of their unit-length term vectors
    (:func:`topic_map_coordinates`); each bubble carries the topic id and label.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 6), layout="constrained")
    ax = fig.add_subplot()
    table, xy = topic_map_coordinates(model)
    share = table["share"].to_numpy(dtype=float)
    ax.scatter(xy[:, 0], xy[:, 1], s=200 + 4000 * share, alpha=0.4)
    for (x, y), tid, label in zip(xy, table["topic"], table["label"], strict=True):
        ax.annotate(
            f"{tid}: {_plain_label(label, 30)}", (x, y), ha="center", va="center", fontsize="small"
        )
    ax.margins(0.3)  # room for the bubbles and labels at the edges
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title("Topic map (closer = more similar terms; area = share of articles)")
    return fig


def plot_prevalence(prevalence, *, top_n: int = 8, kind: str | None = None):
    """Return topic prevalence per period (lines) or per group (stacked bars).

    Parameters
    ----------
    prevalence : pandas.DataFrame
        :func:`analysis.topics.prevalence` output (group, topic, label, share, n_articles).
    top_n : int
        Topics drawn (the largest overall); the rest are summed as "other".
    kind : {"line", "bar"}, optional
        Default: lines when there are more than 3 groups, else bars.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 4), layout="constrained")
    ax = fig.add_subplot()
    if prevalence is None or len(prevalence) == 0:
        _empty(ax, "no articles with a value to group by")
        return fig
    names = prevalence.assign(
        name=prevalence["topic"].astype(str) + ": " + prevalence["label"].map(_plain_label)
    )
    wide = names.pivot_table(index="group", columns="name", values="share", aggfunc="sum").fillna(
        0.0
    )
    keep = wide.mean().sort_values(ascending=False).index[:top_n]
    if len(keep) < wide.shape[1]:
        wide = wide[keep].assign(other=wide.drop(columns=keep).sum(axis=1))
    else:
        wide = wide[keep]
    kind = kind or ("line" if len(wide) > 3 else "bar")
    if kind == "line":
        for col in wide.columns:
            ax.plot(range(len(wide)), wide[col], marker="o", label=col)
    else:
        bottom = None
        for col in wide.columns:
            ax.bar(range(len(wide)), wide[col], bottom=bottom, label=col)
            bottom = wide[col] if bottom is None else bottom + wide[col]
    ax.set_xticks(
        range(len(wide)), [_plain_label(g, 20) for g in wide.index], rotation=45, ha="right"
    )
    ax.set_ylabel("mean topic share")
    ax.legend(frameon=False, fontsize="small", loc="center left", bbox_to_anchor=(1, 0.5))
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title("Topic prevalence")
    return fig


def plot_keyness(keyness, *, top_n: int = 15, target: str = "target", reference: str = "reference"):
    """Return the most key terms of each side of a keyness comparison as bars of log ratio.

    Parameters
    ----------
    keyness : pandas.DataFrame
        :func:`analysis.topics.keyness` output.
    top_n : int
        Terms per side, by log-likelihood.
    target, reference : str
        Names of the two groups for the legend.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import pandas as pd
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 0.3 * 2 * top_n + 1.5), layout="constrained")
    ax = fig.add_subplot()
    if keyness is None or len(keyness) == 0:
        _empty(ax, "no terms to compare")
        return fig
    a = keyness[keyness["key_for"] == "target"].head(top_n)
    b = keyness[keyness["key_for"] == "reference"].head(top_n)
    rows = pd.concat([b.iloc[::-1], a.iloc[::-1]])
    colours = ["tab:orange" if k == "reference" else "tab:blue" for k in rows["key_for"]]
    ax.barh(range(len(rows)), rows["log_ratio"], color=colours)
    ax.set_yticks(range(len(rows)), [_plain_label(t.replace("_", " "), 30) for t in rows["term"]])
    ax.axvline(0, color="black", linewidth=0.8)
    # Group names are metadata values or parameters: as written, never mathtext.
    target, reference = _plain_label(target), _plain_label(reference)
    ax.set_xlabel(f"log2 ratio ({target} vs {reference})")
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title(f"Key terms: {target} (blue) vs {reference} (orange)")
    return fig


# --- sentiment and tone ---


def plot_tone_distribution(tone, *, bins: int = 30):
    """Return a histogram of article tone (GDELT-style, percent of words).

    Parameters
    ----------
    tone : pandas.DataFrame
        The ``tone`` table (:func:`analysis.tone.tone_table`).
    bins : int
        Upper bound on the number of bars.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 3.5), layout="constrained")
    ax = fig.add_subplot()
    values = tone["tone"].dropna().astype(float) if len(tone) else []
    if not len(values):
        _empty(ax, "no articles")
        return fig
    if len(values) < 5:
        # With a handful of articles a histogram hides them; draw one marker per article.
        ax.scatter(values, [0] * len(values), color="#4c72b0", s=60, zorder=3)
        ax.set_yticks([])
    else:
        ax.hist(values, bins=max(1, min(bins, len(values))), color="#4c72b0", edgecolor="white")
        ax.set_ylabel("articles")
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel("tone (positive % - negative % of words)")
    ax.set_title(f"Article tone ({len(values):,} articles)")
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def plot_tone_over_time(tone_by_period, *, value: str = "tone"):
    """Return a line of mean tone per period (one line per outlet when an ``outlet`` column exists).

    Parameters
    ----------
    tone_by_period : pandas.DataFrame
        Columns ``period`` (a date or string), ``value`` and optionally ``outlet`` and
        ``n_articles``, e.g. from :func:`analysis.tone.tone_over_time`.
    value : str
        Column to plot.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 3.5), layout="constrained")
    ax = fig.add_subplot()
    if tone_by_period is None or len(tone_by_period) == 0:
        _empty(ax, "no dated articles")
        return fig
    groups = (
        tone_by_period.groupby("outlet", sort=True)
        if "outlet" in tone_by_period.columns
        else [("all articles", tone_by_period)]
    )
    for name, g in groups:
        g = g.sort_values("period")
        ax.plot(g["period"], g[value], marker="o", label=_plain_label(name, 30))
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_ylabel(f"mean {value}")
    ax.set_title(f"Mean {value} over time")
    if "outlet" in tone_by_period.columns:
        ax.legend(frameon=False, fontsize="small")
    ax.spines[["top", "right"]].set_visible(False)
    fig.autofmt_xdate()
    return fig


def plot_voice_comparison(voice):
    """Return bars of narrator against quoted (speaker) sentence sentiment.

    Parameters
    ----------
    voice : pandas.DataFrame
        :func:`analysis.sentiment.voice_summary` output (``voice``, ``compound``,
        ``share_positive``, ``share_negative``, ``n_sentences``).

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 3.2), layout="constrained")
    ax = fig.add_subplot()
    if voice is None or len(voice) == 0:
        _empty(ax, "no sentences")
        return fig
    labels = [
        f"{v} ({n:,} sentences)" for v, n in zip(voice["voice"], voice["n_sentences"], strict=True)
    ]
    y = range(len(voice))
    ax.barh(
        [i + 0.25 for i in y],
        voice["share_positive"],
        height=0.25,
        color="#55a868",
        label="share positive",
    )
    ax.barh(list(y), voice["share_negative"], height=0.25, color="#c44e52", label="share negative")
    ax.barh(
        [i - 0.25 for i in y],
        voice["compound"],
        height=0.25,
        color="#4c72b0",
        label="mean compound",
    )
    ax.set_yticks(list(y), labels)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.legend(frameon=False, fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.set_title("Narrator against quoted voice")
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def plot_actor_voice(actor_voice, *, top_n: int = 12):
    """Return paired bars per actor: how it is spoken of and how it speaks.

    Parameters
    ----------
    actor_voice : pandas.DataFrame
        :func:`analysis.sentiment.actor_voice` output.
    top_n : int
        Actors shown, most spoken of first.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure

    rows = actor_voice.head(top_n) if actor_voice is not None else []
    fig = Figure(figsize=(8, 0.4 * max(len(rows), 3) + 1.2), layout="constrained")
    ax = fig.add_subplot()
    if len(rows) == 0:
        _empty(ax, "no actors")
        return fig
    rows = rows.iloc[::-1]
    y = list(range(len(rows)))
    ax.barh(
        [i + 0.2 for i in y],
        rows["spoken_of"].fillna(0),
        height=0.4,
        color="#4c72b0",
        label="spoken of",
    )
    ax.barh(
        [i - 0.2 for i in y],
        rows["speaks"].fillna(0),
        height=0.4,
        color="#dd8452",
        label="speaks (own quotes)",
    )
    ax.set_yticks(y, [_plain_label(a, 30) for a in rows["actor"]])
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel("mean sentence compound")
    ax.legend(frameon=False, fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.set_title("Actors: spoken of against speaking")
    ax.spines[["top", "right"]].set_visible(False)
    return fig
