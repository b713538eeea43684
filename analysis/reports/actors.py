"""The actors and quotes report (``notebooks/02_actors_and_quotes.ipynb``): sections and summary.

Who is mentioned and with whom, who is quoted and how much, named against anonymous sourcing,
the quote ledger, and the numbers, event counts and dates, each row traced to its sentence
(:mod:`analysis.ledger`). Every table comes from the feature store, opened once.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from analysis.reports.notebook import escape_markdown
from analysis.reports.sections import (
    ReportData,
    Section,
    counted,  # noqa: F401  (notebooks call actors.counted)
    load_report_data,
)

#: The feature-store tables the report reads.
TABLES = ("articles", "sentences", "mentions", "actors", "quotes", "numbers", "counts", "dates")
ACTOR_COLUMNS = ["actor", "label", "n_mentions", "n_articles", "aliases", "first_seen", "last_seen"]
PAIR_COLUMNS = [
    "actor_a", "label_a", "actor_b", "label_b", "count", "n_articles", "article_id", "sentence",
    "sentence_text",
]  # fmt: skip
NUMBER_COLUMNS = [
    "article_id", "sentence", "text", "value", "unit", "object", "kind", "start", "end",
    "sentence_text",
]  # fmt: skip
COUNT_COLUMNS = [
    "article_id", "sentence", "kind", "number", "object", "text", "start", "end", "sentence_text",
]  # fmt: skip
DATE_COLUMNS = [
    "article_id", "sentence", "text", "resolved", "resolution", "start", "end", "sentence_text",
]  # fmt: skip
#: Ledger rows show long sentences whole, up to this many characters.
LEDGER_CHARS = 400


def load(
    corpus: str | os.PathLike | Sequence[str | os.PathLike],
    *,
    workers: int | None = None,
    dedupe: str = "none",
    columns: Mapping[str, str | None] | None = None,
    extract_options: Sequence[str] = (),
) -> ReportData:
    """Open the feature store of ``corpus`` once and read the report's :data:`TABLES`
    (``extract_options``: see :func:`~analysis.reports.sections.load_report_data`)."""
    return load_report_data(
        corpus,
        TABLES,
        workers=workers,
        dedupe=dedupe,
        columns=columns,
        extract_options=extract_options,
    )


# --- derived tables, computed once per corpus ---------------------------------------------------


def top_actors(data: ReportData, *, top_n: int = 15):
    """The ``top_n`` actors by mentions, then articles; aliases joined with commas."""
    actors = data["actors"]
    return (
        actors.sort_values(["n_mentions", "n_articles"], ascending=False, kind="stable")
        .head(top_n)
        .assign(aliases=actors["aliases"].map(", ".join))
    )


def _pairs(data: ReportData, unit: str):
    from analysis.entities import co_mentions

    return data.derived(("co_mentions", unit), lambda: co_mentions(data["mentions"], by=unit))


def _voice(data: ReportData):
    from analysis.quotes import share_of_voice

    return data.derived("share_of_voice", lambda: share_of_voice(data["quotes"]))


def _reported(data: ReportData) -> bool:
    """Whether the quotes table holds reported speech (``report --reported-speech``)."""
    return bool(data["quotes"]["kind"].isin(["indirect", "mixed"]).any())


def _sourcing(data: ReportData):
    """Quotations per article by kind of source, the totals and the shares of attributed ones."""

    def compute():
        from analysis.quotes import sourcing as by_article

        table = by_article(data["quotes"])
        totals = table[["named", "anonymous", "unknown"]].sum()
        attributed = int(totals["named"] + totals["anonymous"])
        named = float(totals["named"] / attributed) if attributed else None
        anonymous = float(totals["anonymous"] / attributed) if attributed else None
        return table, totals, attributed, named, anonymous

    return data.derived("sourcing", compute)


# --- sections ------------------------------------------------------------------------------------


def mentioned(data: ReportData, *, top_n: int = 15, max_rows: int = 1000) -> Section:
    """Every actor, the most mentioned first, with type and aliases; a bar chart of the ``top_n``."""
    from analysis.reports.charts import top_actors_chart

    articles, sentences, mentions, actors = (data[t] for t in TABLES[:4])
    n_mentions = int(mentions["actor"].notna().sum())
    # The chart shows the top_n; the table every actor (searchable on the page).
    return Section(
        "Who is mentioned",
        text=f"**{len(articles):,}** articles, **{len(sentences):,}** sentences: "
        f"**{n_mentions:,}** mentions of **{len(actors):,}** distinct actors.",
        tables={"actors": top_actors(data, top_n=len(actors))[ACTOR_COLUMNS]},
        figures={"top_actors": top_actors_chart(actors, top_n=top_n)},
        table_options={"actors": {"max_rows": max_rows}},
    )


def co_mentioned(data: ReportData, *, unit: str = "sentence", top_n: int = 15) -> Section:
    """Pairs of actors mentioned in the same ``unit`` (sentence or article), with a heat map.

    Each pair comes with the first sentence that names both.
    """
    from analysis.ledger import pair_sentences
    from analysis.reports.charts import co_mentions_chart

    pairs = _pairs(data, unit)
    table = pair_sentences(pairs.head(top_n), data["mentions"], data["sentences"])
    return Section(
        "Who is mentioned with whom",
        text=f"**{len(pairs):,}** pairs of actors mentioned together in the same "
        f"{escape_markdown(unit)}.",
        tables={"pairs": table[PAIR_COLUMNS]},
        figures={"co_mentions": co_mentions_chart(pairs, top_n=min(top_n, 12))}
        if len(pairs)
        else {},
        empty=None if len(pairs) else "No two actors are mentioned together.",
        table_options={"pairs": {"max_chars": 300}},
    )


def quoted(data: ReportData, *, top_n: int = 15) -> Section:
    """Share of voice: quotations and quoted words per speaker, with a bar chart."""
    from analysis.quotes import quotations
    from analysis.reports.charts import share_of_voice_chart

    voice = _voice(data)
    n_words = int(voice["n_words"].sum()) if len(voice) else 0
    n_quotations = len(quotations(data["quotes"]))  # not the reported speech or non-answers
    text = (
        f"**{n_quotations:,}** quotations ({n_words:,} quoted words) from **{len(voice):,}** "
        "speakers."
    )
    tables = {"share_of_voice": voice.head(top_n).round({"quote_share": 3, "word_share": 3})}
    if _reported(data):
        from analysis.sources import voice_by_kind

        # Reported speech counted too, by form: what a speaker is quoted as saying, reported
        # as saying without quotation marks, or both in one attribution.
        by_form = voice_by_kind(data["quotes"])
        speakers = by_form["speaker"].drop_duplicates().head(top_n)
        text += (
            f" Counting reported speech too (the second table, by form: `quotation`, `mixed`, "
            f"`reported`): **{int(by_form['n_attributions'].sum()):,}** attributions "
            f"({int(by_form['n_words'].sum()):,} words) from "
            f"**{by_form['speaker'].nunique():,}** speakers; the top {len(speakers)} below."
        )
        tables["voice_by_form"] = by_form[by_form["speaker"].isin(speakers)].round(
            {"attribution_share": 3, "word_share": 3}
        )
    return Section(
        "Who is quoted",
        text=text,
        tables=tables,
        figures={"share_of_voice": share_of_voice_chart(voice, top_n=top_n)},
    )


def sourcing(data: ReportData, *, max_rows: int = 1000) -> Section:
    """Named, anonymous and unattributed quotations per article, most anonymous first."""
    table, totals, attributed, _, anonymous_share = _sourcing(data)
    text = (
        f"**{int(totals['named']):,}** named, **{int(totals['anonymous']):,}** anonymous and "
        f"**{int(totals['unknown']):,}** unattributed quotations in {len(table):,} articles"
        + (
            f": {anonymous_share:.0%} of attributed quotations are anonymous."
            if attributed
            else "."
        )
    )
    table = table.merge(data["articles"][["article_id", "headline"]], on="article_id", how="left")
    table = table.sort_values(["anonymous", "n_quotes"], ascending=False)
    tables = {"sourcing": table.round({"anonymous_share": 3})}
    if _reported(data):
        from analysis.sources import sourcing_by_kind

        by_form = sourcing_by_kind(data["quotes"])
        text += (
            " The second table counts every attribution, reported speech and non-answers too, "
            "per article and form, with the sources' roles."
        )
        tables["sourcing_by_form"] = by_form.round({"anonymous_share": 3})
    return Section(
        "Named and anonymous sources",
        text=text,
        tables=tables,
        table_options={name: {"max_rows": max_rows} for name in tables},
    )


def quote_ledger(data: ReportData, *, max_rows: int = 1000) -> Section:
    """Every quotation (and reported speech, non-answer) with its speaker, cue, kind, role,
    offsets and sentence."""
    from analysis.ledger import quote_ledger as ledger

    table = ledger(data["quotes"], data["sentences"], data["articles"])
    return Section(
        "Quote ledger",
        tables={"quotes": table},
        table_options={"quotes": {"max_rows": max_rows, "max_chars": LEDGER_CHARS}},
    )


def _with_sentences(data: ReportData, table: str, columns: list[str]):
    from analysis.ledger import with_sentence

    return with_sentence(data[table], data["sentences"]).filter(columns)


def numbers(data: ReportData, *, max_rows: int = 1000) -> Section:
    """Numbers and amounts with their unit and object, each with its sentence."""
    return Section(
        "Numbers",
        tables={"numbers": _with_sentences(data, "numbers", NUMBER_COLUMNS)},
        table_options={"numbers": {"max_rows": max_rows, "max_chars": LEDGER_CHARS}},
    )


def event_counts(data: ReportData, *, max_rows: int = 1000) -> Section:
    """How many were killed, wounded, arrested ..., each count with its sentence."""
    return Section(
        "Event counts",
        tables={"counts": _with_sentences(data, "counts", COUNT_COLUMNS)},
        table_options={"counts": {"max_rows": max_rows, "max_chars": LEDGER_CHARS}},
    )


def dates(data: ReportData, *, max_rows: int = 1000) -> Section:
    """Date expressions, resolved to a calendar date when the article's date is known."""
    n_resolved = int(data["dates"]["resolved"].notna().sum())
    return Section(
        "Dates",
        text=f"**{len(data['dates']):,}** date expressions, **{n_resolved:,}** resolved to a date.",
        tables={"dates": _with_sentences(data, "dates", DATE_COLUMNS)},
        table_options={"dates": {"max_rows": max_rows, "max_chars": LEDGER_CHARS}},
    )


def summary(data: ReportData, *, top_n: int = 15, unit: str = "sentence") -> dict:
    """Return the report's key figures (what :func:`~analysis.reports.write_summary` writes).

    ``headline`` holds the figures the index shows; the rest: counts of articles, sentences,
    mentions, actors, pairs (per ``unit``), quotations, speakers, named, anonymous and
    unattributed quotations with the shares, the top actors and speakers (``top_n`` each), and
    the counts of numbers, event counts and dates.
    """
    from analysis.quotes import quotations

    # Quotations only: reported speech and non-answers are not quotes.
    articles, quotes, actors = data["articles"], quotations(data["quotes"]), data["actors"]
    top = top_actors(data, top_n=top_n)
    voice = _voice(data)
    _, totals, _, named_share, anonymous_share = _sourcing(data)
    return {
        "headline": {
            "articles": len(articles),
            "actors": len(actors),
            "quotes": len(quotes),
            "anonymous share": anonymous_share,
            "top actor": top["actor"].iat[0] if len(top) else None,
            "top speaker": voice["speaker"].iat[0] if len(voice) else None,
        },
        "n_articles": len(articles),
        "n_sentences": len(data["sentences"]),
        "n_mentions": int(data["mentions"]["actor"].notna().sum()),
        "n_actors": len(actors),
        "top_actors": top[["actor", "label", "n_mentions", "n_articles"]].to_dict("records"),
        "n_pairs": len(_pairs(data, unit)),
        "n_quotes": len(quotes),
        "n_speakers": len(voice),
        "n_named": int(totals["named"]),
        "n_anonymous": int(totals["anonymous"]),
        "n_unattributed": int(totals["unknown"]),
        "named_share": named_share,
        "anonymous_share": anonymous_share,
        "top_speakers": voice.head(top_n)[
            ["speaker", "speaker_kind", "n_quotes", "n_words"]
        ].to_dict("records"),
        "n_numbers": len(data["numbers"]),
        "n_counts": len(data["counts"]),
        "n_dates": len(data["dates"]),
        "n_dates_resolved": int(data["dates"]["resolved"].notna().sum()),
    }


def attention(data: ReportData, *, top_n: int = 5, freq: str = "M") -> Section:
    """Attention to the most mentioned actors over time: their articles' share of each period."""
    from analysis.reports.charts import attention_chart
    from analysis.syndication import attention as attention_table

    title = "Attention over time"
    articles = data["articles"]
    if not articles["published"].notna().any():
        return Section(
            title,
            empty=f"No attention over time: none of the {len(articles):,} articles carries a publication date.",
        )
    top = top_actors(data, top_n=top_n)["actor"].tolist()
    mentions = data["mentions"]
    query = mentions.loc[mentions["actor"].isin(top), ["article_id", "actor"]].drop_duplicates()
    if query.empty:
        return Section(title, empty="No actor to chart.")
    table = attention_table(articles, query, freq=freq)
    return Section(
        title,
        text=f"Articles mentioning each of the {len(top)} most mentioned actors per period, as a share of all "
        "articles of the period. " + data.options.get("dedupe_note", ""),
        tables={"attention": table},
        figures={"attention": attention_chart(table, freq=freq)},
    )
