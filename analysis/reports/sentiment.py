"""The sentiment and tone report (``notebooks/03_sentiment.ipynb``): its sections and summary.

Tone per article (GDELT-style word counts), over time and by outlet; sentence sentiment, its
extremes and why the most negative sentence scored as it did; narrator against quoted voice;
each actor spoken of and speaking; and the speaker x target stance table. Every table comes
from the feature store, opened once.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from analysis.reports.notebook import markdown_code
from analysis.reports.sections import (
    KeptScores,
    ReportData,
    Section,
    counted,  # noqa: F401  (notebooks call sentiment.counted)
    kept_table,
    load_report_data,
)

#: The feature-store tables the report reads.
TABLES = ("articles", "sentences", "sentiment", "tone", "quotes", "mentions")
#: Sentences beyond these compound scores count as negative or positive.
NEGATIVE_BELOW, POSITIVE_ABOVE = -0.05, 0.05


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


# --- derived values, computed once per corpus ---------------------------------------------------


def outlet(data: ReportData, outlet_column: str = "") -> str:
    """The outlet column: ``outlet_column``, else outlet, publisher or agency if it varies."""
    from analysis.tone import pick_outlet_column

    return outlet_column or pick_outlet_column(data["articles"])


def _scorer(data: ReportData):
    from analysis.sentiment import default_scorer

    # rules + learned model (rules alone if the model is not installed); the static model when
    # the store's sentence tone was scored with it, so quotations are scored alike
    model = "static" if "static_sentiment" in data.options.get("extract_options", ()) else None
    return data.derived("scorer", lambda: default_scorer(model=model))


def _over_time(data: ReportData, freq: str, outlet_column: str):
    from analysis.tone import tone_over_time as over_time

    by = outlet(data, outlet_column) or None
    return data.derived(
        ("tone_over_time", freq, by),
        lambda: over_time(data["tone"], data["articles"], freq=freq, by=by),
    )


def _n_periods(over_time) -> int:
    return over_time["period"].nunique() if len(over_time) else 0


def _extremes(data: ReportData, top_n: int):
    from analysis.sentiment import extreme_sentences

    return data.derived(
        ("extremes", top_n),
        lambda: extreme_sentences(data["sentiment"], data["sentences"], data["articles"], n=top_n),
    )


def _by_voice(data: ReportData):
    from analysis.sentiment import voice_summary

    return data.derived("voice", lambda: voice_summary(data["sentiment"]))


class _KeptScorer:
    """``scorer`` whose ``transform`` scores only texts it has not scored in an earlier run.

    The sentence scorer gives a text the same scores alone or in any batch, so a quotation's
    scores can be kept by its text (:class:`~analysis.reports.sections.KeptScores`).
    """

    def __init__(self, scorer) -> None:
        from analysis.sentiment import sentence_model_dir

        # The report's scorers use the package's own models, which the key's code part covers.
        self.scorer = scorer
        model_dir = str(sentence_model_dir(scorer.model)) if scorer.use_model else None
        self.kept = KeptScores(
            "sentence_sentiment", {"params": scorer.get_params(), "model_dir": model_dir}
        )

    def transform(self, texts):
        texts = list(texts)
        return self.kept.rows(texts, lambda at: self.scorer.transform([texts[i] for i in at]))


class _KeptTargetModel:
    """The target-sentiment model, its outputs kept by input (see :class:`_KeptScorer`)."""

    def __init__(self, model) -> None:
        self.model = model
        self.kept = KeptScores("target_sentiment", {"model_dir": str(model.model_dir)})

    def __getattr__(self, name: str):
        return getattr(self.model, name)

    def predict(self, texts, text_pairs, batch_size: int = 32):
        import pandas as pd

        texts, text_pairs = list(texts), list(text_pairs)

        def compute(at: list[int]):
            out = self.model.predict(
                [texts[i] for i in at], [text_pairs[i] for i in at], batch_size=batch_size
            )
            return pd.DataFrame(out, columns=[f"y{j}" for j in range(out.shape[1])])

        keys = [f"{a}\x00{b}" for a, b in zip(texts, text_pairs, strict=True)]
        return self.kept.rows(keys, compute).to_numpy()


def _actor_voice(data: ReportData):
    from analysis.sentiment import actor_voice

    # Scores every quotation with the learned model: the table is kept on disk for the next
    # run, and each quotation's scores by its text, so a grown corpus scores only what is new.
    inputs = {key: data[key] for key in ("sentiment", "mentions", "quotes")}
    return data.derived(
        "actor_voice",
        lambda: kept_table(
            "actor_voice",
            inputs,
            lambda: actor_voice(*inputs.values(), scorer=_KeptScorer(_scorer(data))),
        ),
    )


def _stances(data: ReportData):
    from analysis.target import load_target_model, stance_table

    # Runs the target-sentiment model once per mention in a quotation: kept on disk too.
    inputs = {
        "quotes": data["quotes"],
        "mentions": data["mentions"],
        "articles": data["articles"][["article_id", "text"]],
    }
    return data.derived(
        "stances",
        lambda: kept_table(
            "stances",
            inputs,
            lambda: stance_table(*inputs.values(), model=_KeptTargetModel(load_target_model())),
        ),
    )


# --- sections ------------------------------------------------------------------------------------


def tone(data: ReportData, *, top_n: int = 10) -> Section:
    """Mean tone, the most negative articles and the distribution of tone."""
    from analysis.reports.charts import article_tone_chart

    articles, tone_df = data["articles"], data["tone"]
    table = tone_df.merge(articles[["article_id", "headline"]], on="article_id")
    return Section(
        "Tone of the articles",
        text=f"**{len(articles):,}** articles, **{len(data['sentences']):,}** sentences. Mean tone "
        f"**{tone_df['tone'].mean():+.2f}** (positive {tone_df['positive_score'].mean():.2f}% of "
        f"words, negative {tone_df['negative_score'].mean():.2f}%), polarity "
        f"{tone_df['polarity'].mean():.2f}%.",
        tables={"tone": table.sort_values("tone").round(2)},
        figures={"article_tone": article_tone_chart(tone_df, articles)},
        table_options={"tone": {"max_rows": 1000}},
    )


def tone_over_time(
    data: ReportData, *, freq: str = "M", outlet_column: str = "", top_n: int = 10
) -> Section:
    """Tone per period (a line, by outlet when there are several), then tone per outlet.

    Each part says why it is missing: fewer than two periods with dated articles, or no outlet
    column with more than one value.
    """
    from analysis.reports.charts import tone_over_time_chart
    from analysis.tone import tone_by_group

    articles = data["articles"]
    over_time = _over_time(data, freq, outlet_column)
    n_periods = _n_periods(over_time)
    if n_periods >= 2:
        chart = tone_over_time_chart(over_time, freq=freq)
        line = Section("Tone over time", figures={"tone_over_time": chart})
    else:
        n_dated = int(articles["published"].notna().sum())
        line = Section(
            "Tone over time",
            empty=f"No tone-over-time line: {n_dated} of {len(articles)} articles carry a "
            f"publication date, spanning {n_periods} period(s) of {markdown_code(freq)}; a line "
            "needs two or more.",
        )
    column = outlet(data, outlet_column)
    if column:
        by_outlet = Section(
            "Tone by outlet",
            tables={"tone_by_outlet": tone_by_group(data["tone"], articles, column).round(2)},
            table_options={"tone_by_outlet": {"max_rows": top_n}},
        )
    else:
        by_outlet = Section(
            "Tone by outlet",
            empty="No outlet comparison: the articles carry no outlet column with more than one "
            "value (set `outlet_column` to name one).",
        )
    return Section("Tone over time and by outlet", parts=(line, by_outlet))


def extremes(data: ReportData, *, top_n: int = 10) -> Section:
    """The ``top_n`` most negative and most positive sentences."""
    return Section(
        "The most negative and the most positive sentences",
        tables={"extremes": _extremes(data, top_n).round({"compound": 3})},
        table_options={"extremes": {"max_rows": 2 * top_n, "max_chars": 400}},
    )


def explanation(data: ReportData, *, top_n: int = 10) -> Section:
    """Why the most negative sentence scored as it did: its words, rules and the model's score."""
    table = _extremes(data, top_n)
    figures = {}
    if len(table):
        figures["explanation"] = _scorer(data).explain(table["text"].iat[0])
    return Section("Why the most negative sentence scored as it did", figures=figures)


def voice(data: ReportData) -> Section:
    """Sentence scores of the narrator against those of quoted speakers."""
    from analysis.plots import plot_voice_comparison

    by_voice = _by_voice(data)
    return Section(
        "Narrator against quoted voice",
        tables={"voice": by_voice.round(3)},
        figures={"voice": plot_voice_comparison(by_voice)},
    )


def actors(data: ReportData, *, top_n: int = 10) -> Section:
    """Each actor spoken of (sentences that mention it) and speaking (its quotations)."""
    from analysis.plots import plot_actor_voice

    scored = _actor_voice(data)
    return Section(
        "Actors: spoken of, and speaking",
        tables={"actor_voice": scored.head(top_n).round(3)},
        figures={"actor_voice": plot_actor_voice(scored, top_n=top_n)},
    )


def stances(data: ReportData, *, top_n: int = 10) -> Section:
    """The speaker x target stance table of the target-sentiment model."""
    table = _stances(data)
    if len(table) == 0:
        return Section(
            "Actor stance table",
            empty="No quotation mentions another actor, so there is no stance to show.",
        )
    return Section(
        "Actor stance table",
        tables={"stances": table},
        table_options={"stances": {"max_rows": top_n * 2}},
    )


def summary(data: ReportData, *, top_n: int = 10, freq: str = "M", outlet_column: str = "") -> dict:
    """Return the report's key figures (what :func:`~analysis.reports.write_summary` writes).

    ``headline`` holds the figures the index shows; the rest: mean tone, positive and negative
    scores and polarity; each article's compound; the shares of negative and positive
    sentences; the means by voice; the three most negative and most positive sentences (of the
    ``top_n`` per side); how many actors and stances were scored; the periods of the
    tone-over-time line (``freq``) and the outlet column used.
    """
    from analysis.sentiment import aggregate

    articles, sentiment, tone_df = data["articles"], data["sentiment"], data["tone"]
    article_scores = aggregate(sentiment, by="article_id")
    by_voice = _by_voice(data)
    voice_means = dict(zip(by_voice["voice"], by_voice["compound"].round(4), strict=True))
    table = _extremes(data, top_n)
    sides = {
        side: table[table["side"] == side][["article_id", "sentence", "compound"]]
        .head(3)
        .to_dict("records")
        for side in ("negative", "positive")
    }
    return {
        "headline": {
            "articles": len(articles),
            "mean tone": round(float(tone_df["tone"].mean()), 3),
            "mean sentence compound": round(float(article_scores["compound"].mean()), 3),
            "narrator compound": voice_means.get("narrator"),
            "speaker compound": voice_means.get("speaker"),
        },
        "n_articles": len(articles),
        "n_sentences": len(sentiment),
        "mean_tone": float(tone_df["tone"].mean()),
        "mean_positive_score": float(tone_df["positive_score"].mean()),
        "mean_negative_score": float(tone_df["negative_score"].mean()),
        "mean_polarity": float(tone_df["polarity"].mean()),
        "article_compound": article_scores[["article_id", "compound"]].to_dict("records"),
        "share_negative_sentences": float((sentiment["compound"] < NEGATIVE_BELOW).mean()),
        "share_positive_sentences": float((sentiment["compound"] > POSITIVE_ABOVE).mean()),
        "voice": by_voice.to_dict("records"),
        "most_negative": sides["negative"],
        "most_positive": sides["positive"],
        "n_actors_scored": len(_actor_voice(data)),
        "n_stances": len(_stances(data)),
        "tone_over_time_periods": int(_n_periods(_over_time(data, freq, outlet_column))),
        "outlet_column": outlet(data, outlet_column) or None,
    }
