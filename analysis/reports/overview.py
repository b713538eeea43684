"""The corpus overview report (``notebooks/01_corpus_overview.ipynb``): its sections and summary.

What the corpus holds before any language processing: counts, lengths, datelines, agencies,
dates, the articles themselves and the rejected inputs. Reads the corpus with the loader only,
so nothing is parsed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from analysis.articles import published_day
from analysis.reports.notebook import escape_markdown
from analysis.reports.sections import (
    ReportData,
    Section,
    counted,  # noqa: F401  (notebooks call overview.counted)
    load_report_data,
    published_days,
)

#: Columns of the table of articles.
ARTICLE_COLUMNS = ["article_id", "headline", "dateline", "agency", "published", "n_words", "lede"]


def load(
    corpus: str | os.PathLike | Sequence[str | os.PathLike],
    *,
    dedupe: str = "none",
    columns: Mapping[str, str | None] | None = None,
) -> ReportData:
    """Load the corpus with the loader: ``articles``, ``rejects`` and ``stories``, nothing parsed.

    ``dedupe="story"`` keeps one article per story (see
    :func:`~analysis.reports.sections.load_report_data`).
    """
    return load_report_data(
        corpus, loader=True, dedupe=dedupe, tables=("stories",), columns=columns
    )


def counts(data: ReportData) -> Section:
    """Articles, rejected inputs, exact duplicates and words, in one sentence."""
    articles, rejects = data["articles"], data["rejects"]
    n_duplicates = int(articles["duplicate_of"].notna().sum())
    n_words = int(articles["n_words"].sum())
    return Section(
        "Counts",
        text=f"**{len(articles):,}** articles loaded from {len(data.paths)} path(s), "
        f"**{len(rejects):,}** inputs rejected, **{n_duplicates:,}** exact duplicates "
        f"(kept and flagged), **{n_words:,}** words in article bodies.",
    )


def lengths(data: ReportData) -> Section:
    """Words and paragraphs per article: statistics, a histogram and the longest article."""
    from analysis.plots import plot_length_histogram

    articles = data["articles"]
    table = articles[["n_words", "n_paragraphs"]].describe().round(1)
    parts = ()
    if len(articles):
        longest = articles.loc[articles["n_words"].idxmax()]
        parts = (
            Section(
                "Longest article",
                text=f"The longest article is *{escape_markdown(longest['headline'])}* "
                f"({longest['n_words']:,} words, article "
                f"{escape_markdown(longest['article_id'])}).",
            ),
        )
    return Section(
        "Lengths",
        tables={"lengths": table},
        figures={"length_histogram": plot_length_histogram(articles)},
        parts=parts,
        table_options={"lengths": {"index": True}},
    )


def _top_values(data: ReportData, column: str, top_n: int):
    return data["articles"][column].fillna("(none)").value_counts().head(top_n)


def datelines(data: ReportData, *, top_n: int = 15) -> Section:
    """The places stories were filed from, most frequent first."""
    top = _top_values(data, "dateline", top_n)
    return Section(
        "Datelines", tables={"datelines": top.rename_axis("dateline").reset_index(name="articles")}
    )


def agencies(data: ReportData, *, top_n: int = 15) -> Section:
    """The wire agencies named in datelines or sign-offs, most frequent first."""
    top = _top_values(data, "agency", top_n)
    return Section(
        "Agencies", tables={"agencies": top.rename_axis("agency").reset_index(name="articles")}
    )


def _dated(data: ReportData):
    # ISO days, so the range and the months (``str[:7]``) read as text.
    return data["articles"]["published"].map(published_day).dropna().sort_values()


def dates(data: ReportData) -> Section:
    """How many articles carry a publication date, their range, and articles per month."""
    dated = _dated(data)
    n_articles = len(data["articles"])
    text = f"**{len(dated):,}** of {n_articles:,} articles carry a publication date" + (
        f", from {escape_markdown(dated.iloc[0])} to {escape_markdown(dated.iloc[-1])}."
        if len(dated)
        else "."
    )
    tables = {}
    if len(dated):
        months = dated.str[:7].value_counts().sort_index()
        tables["months"] = months.rename_axis("month").reset_index(name="articles")
    return Section("Dates", text=text, tables=tables)


def article_table(data: ReportData, *, max_rows: int = 1000) -> Section:
    """Every article with its headline, dateline, agency, date, length and lede."""
    articles = data["articles"]
    # The day as ISO text, as the page and the CSV beside it always showed it (not "00:00:00").
    table = published_days(articles.assign(lede=articles["text"].str.split("\n\n").str[0]))
    return Section(
        "Articles",
        tables={"articles": table[ARTICLE_COLUMNS]},
        table_options={"articles": {"max_rows": max_rows, "max_chars": 160}},
    )


def rejected(data: ReportData, *, max_rows: int = 1000) -> Section:
    """Every input that did not become an article, with the reason."""
    rejects = data["rejects"]
    if not len(rejects):
        return Section("Rejected inputs", empty="No input was rejected.")
    return Section(
        "Rejected inputs",
        tables={"rejects": rejects},
        table_options={"rejects": {"max_rows": max_rows}},
    )


def summary(data: ReportData, *, top_n: int = 15) -> dict:
    """Return the report's key figures (what :func:`~analysis.reports.write_summary` writes).

    ``headline`` holds the figures the index shows; the rest: counts of articles, rejects,
    duplicates and words, median lengths, datelines, dates, the top datelines and agencies
    (``top_n`` each) and the reasons for rejection.
    """
    articles, rejects = data["articles"], data["rejects"]
    n_articles, n_words = len(articles), int(articles["n_words"].sum())
    dated = _dated(data)
    return {
        "headline": {
            "articles": n_articles,
            "rejected inputs": len(rejects),
            "words": n_words,
            "dated": len(dated),
        },
        "n_articles": n_articles,
        "n_rejects": len(rejects),
        "n_duplicates": int(articles["duplicate_of"].notna().sum()),
        "n_words_total": n_words,
        "n_words_median": articles["n_words"].median(),
        "n_paragraphs_median": articles["n_paragraphs"].median(),
        "n_with_dateline": int(articles["dateline"].notna().sum()),
        "n_dated": len(dated),
        "first_date": dated.iloc[0] if len(dated) else None,
        "last_date": dated.iloc[-1] if len(dated) else None,
        "datelines": _top_values(data, "dateline", top_n).to_dict(),
        "agencies": _top_values(data, "agency", top_n).to_dict(),
        "reject_reasons": rejects["reason"].value_counts().to_dict() if len(rejects) else {},
    }


def stories(data: ReportData, *, top_n: int = 10) -> Section:
    """Syndicated copies: the largest stories, pickups per outlet and who copied whom."""
    from analysis.syndication import plot_copying, syndication_summary

    table = data["stories"]
    n_stories = int(table["story_id"].nunique()) if len(table) else 0
    n_copied = int((table["n_copies"] > 1).sum()) if len(table) else 0
    text = (
        f"**{len(table):,}** articles tell **{n_stories:,}** stories; {n_copied:,} articles are "
        "copies of a story told more than once (syndicated or repeated). "
        + data.options.get("dedupe_note", "")
    )
    if not n_copied:
        return Section("Stories", text=text, empty="No story was told more than once.")
    summary = syndication_summary(table, top_n=top_n)
    figures = {}
    if summary["copying"].size > 1:
        figures["copying"] = plot_copying(summary["copying"])
    return Section(
        "Stories",
        text=text,
        tables={"largest stories": summary["largest"], "pickups per outlet": summary["outlets"]},
        figures=figures,
    )


def attention(data: ReportData, query: str = "", *, freq: str = "M") -> Section:
    """Attention to a keyword or phrase over time: matching articles as a share of all articles."""
    from analysis.reports.charts import attention_chart
    from analysis.syndication import attention as attention_table

    title = "Attention over time"
    if not query.strip():
        return Section(
            title,
            empty="Set the attention_query parameter to chart a keyword's share of coverage over time.",
        )
    articles = data["articles"]
    if not articles["published"].notna().any():
        return Section(
            title,
            empty=f"No attention over time: none of the {len(articles):,} articles carries a publication date.",
        )
    stories = data.tables.get("stories") if data.options.get("dedupe", "none") != "none" else None
    table = attention_table(articles, query, freq=freq, stories=stories)
    return Section(
        title,
        text=f"Articles matching *{escape_markdown(query)}* per period, as a share of all articles of the period. "
        + data.options.get("dedupe_note", ""),
        tables={"attention": table},
        figures={"attention": attention_chart(table, freq=freq)},
    )
