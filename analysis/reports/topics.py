"""The topics report (``notebooks/04_topics.ipynb``): the fitted model, its sections and summary.

Topics fitted with NMF (or LDA) on the articles' terms, judged by NPMI coherence and diversity;
their prevalence over time and by group; representative sentences; and the keyness of one group
against another. Terms come from the feature store every report shares (one parse per article),
unless the text is pre-tokenised.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from analysis.reports.notebook import escape_markdown, markdown_code
from analysis.reports.sections import (
    ReportData,
    Section,
    counted,  # noqa: F401  (notebooks call topics.counted)
    kept_table,
    load_report_data,
)

#: Keyness terms below this p-value count in the summary.
KEY_TERM_P = 0.05


def load(
    corpus: str | os.PathLike | Sequence[str | os.PathLike],
    *,
    tokens: str = "",
    dedupe: str = "none",
    workers: int | None = None,
    columns: Mapping[str, str | None] | None = None,
    stop_words: str | os.PathLike = "",
    extract_options: Sequence[str] = (),
) -> ReportData:
    """Load the articles and, unless ``tokens`` is set, their terms from the feature store.

    Parameters
    ----------
    corpus : str, path-like or sequence of them
        The notebook's ``corpus`` parameter.
    tokens : str
        ``"whitespace"`` when the text is already tokenised: nothing is parsed. Otherwise the
        store's ``terms`` and ``sentences`` tables are loaded into the in-process term cache
        (:func:`analysis.terms.term_docs_from_store`), so fitting and keyness parse nothing.
    dedupe, workers, columns, extract_options
        As in :func:`~analysis.reports.sections.load_report_data` (the options change no term,
        but name the store the other reports fill).
    stop_words : path, optional
        A stop-word file (:func:`analysis.topics.stopwords.read_stop_words`); empty: the
        ``stopwords.txt`` found with the corpus (:func:`analysis.records.user_list_files`). Kept as
        ``data.options["stop_words"]``; the model and keyness leave its terms out.
    """
    tables = () if tokens else ("terms", "sentences")
    data = load_report_data(
        corpus,
        tables,
        loader=True,
        options={"tokens": tokens or None},
        dedupe=dedupe,
        workers=workers,
        columns=columns,
        extract_options=extract_options,
    )
    data.options["stop_words"] = _stop_words(data.paths, stop_words)
    if not tokens:
        from analysis.terms import term_docs_from_store

        term_docs_from_store(data["articles"], data["terms"], data["sentences"])
    return data


def _stop_words(paths, given):
    from analysis.reports.notebook import corpus_paths
    from analysis.topics.stopwords import find_stop_words, read_stop_words

    chosen = corpus_paths(given) if given else find_stop_words(paths)
    return read_stop_words(*chosen)


def fit(
    data: ReportData,
    *,
    n_topics: str = "auto",
    method: str = "nmf",
    unit: str = "auto",
    min_articles: int = 20,
    seed: int = 0,
):
    """Fit the topic model of the report and return it.

    Parameters
    ----------
    data : ReportData
        From :func:`load`.
    n_topics : str
        A number as text (``"8"``) or ``"auto"`` (k by coherence x diversity).
    method : str
        ``"nmf"``, ``"lda"`` or ``"minibatch_nmf"``.
    unit : str
        ``"article"``, ``"paragraph"``, or ``"auto"``: paragraphs when the corpus has fewer
        than ``min_articles`` articles.
    min_articles : int
    seed : int
        Random state of the factorisation.

    Returns
    -------
    analysis.topics.TopicModel
        Fitted; its ``unit`` is the unit chosen.
    """
    from analysis.topics import TopicModel
    from analysis.topics.coherence import best_k

    articles = data["articles"]
    k = n_topics if n_topics == "auto" else int(n_topics)
    if unit == "auto":
        unit = "paragraph" if len(articles) < min_articles else "article"
    settings = {"method": method, "unit": unit, "random_state": seed}
    settings |= {"tokens": data.options.get("tokens")}
    stop_words = data.options.get("stop_words") or None
    model = TopicModel(n_topics=k, **settings, stop_words=stop_words)
    if k != "auto":
        return model.fit(articles)
    # The scan (every k of the grid fitted and scored for coherence) was most of a warm run of
    # this report. Its scores are kept on disk, by everything the scan reads; a later run fits
    # the chosen k alone, which gives the same model: each k's fit is seeded and independent
    # of the others. (The fitted model itself is not kept: the cache holds no pickles.)
    scanned = {}

    def scan():
        scanned["model"] = model.fit(articles)
        return model.k_scores_

    inputs = {n: data.tables[n] for n in ("articles", "terms", "sentences") if n in data.tables}
    inputs["settings"] = settings | {"stop_words": sorted(stop_words or ()), "k_grid": model.k_grid}
    k_scores = kept_table("topic_k_scores", inputs, scan)
    if "model" in scanned:
        return scanned["model"]
    chosen = TopicModel(n_topics=best_k(k_scores), **settings, stop_words=stop_words)
    chosen.fit(articles)
    chosen.set_params(n_topics="auto")
    chosen.k_scores_ = k_scores
    return chosen


def _keyness(data: ReportData, group_column: str, group_a: str, group_b: str):
    """``(target, keyness table)``; the table is None when the column has fewer than two groups."""
    from analysis.compare import group_keyness

    def compute():
        articles = data["articles"]
        if group_column not in articles.columns:
            return group_a, None
        values = articles[group_column].dropna().astype(str)
        target = group_a or (values.value_counts().index[0] if len(values) else "")
        if not (target and (group_b or values.nunique() > 1)):
            return target, None
        tokens = data.options.get("tokens")
        stop_words = data.options.get("stop_words") or None
        return target, group_keyness(
            articles, group_column, target, group_b or None, tokens=tokens, stop_words=stop_words
        )

    return data.derived(("keyness", group_column, group_a, group_b), compute)


# --- sections ------------------------------------------------------------------------------------


def model(data: ReportData, fitted) -> Section:
    """What was fitted: k, method, units, vocabulary, mean NPMI and diversity."""
    return Section(
        "Topic model",
        text=f"**{fitted.n_topics_}** topics ({escape_markdown(fitted.method)}) over "
        f"**{len(fitted.units_):,}** {escape_markdown(fitted.unit)}s of "
        f"{len(data['articles']):,} articles; vocabulary of {len(fitted.vocabulary_):,} terms. "
        f"Mean NPMI **{fitted.npmi_:.3f}**, diversity **{fitted.diversity_:.3f}**."
        + _stop_word_note(data),
    )


def _stop_word_note(data: ReportData) -> str:
    facts = _stop_word_facts(data)
    if not facts:
        return ""
    files = ", ".join(markdown_code(f) for f in facts["files"]) or "the list given"
    return f" Your stop words ({facts['n_terms']:,} terms from {files}) are left out."


def k_scores(fitted) -> Section:
    """Coherence and diversity for each k tried (with ``n_topics="auto"``; a sentence otherwise)."""
    from analysis.reports.charts import k_scores_chart

    if fitted.k_scores_ is None or not len(fitted.k_scores_):
        return Section(
            "Coherence against k",
            empty=f"No curve: the number of topics was fixed at {int(fitted.n_topics_)}.",
        )
    chart = k_scores_chart(fitted.k_scores_, chosen=int(fitted.n_topics_))
    return Section("Coherence against k", figures={"k_scores": chart})


def topic_table(fitted) -> Section:
    """One row per topic: label, NPMI, uniqueness, size and share."""
    table = fitted.topic_table().drop(columns="stability").round(3)
    return Section("Topics", tables={"topics": table})


def topic_map(fitted) -> Section:
    """Topics placed by the similarity of their term weights; bubble area is the share."""
    from analysis.reports.charts import topic_map_chart

    return Section("Topic map", figures={"topic_map": topic_map_chart(fitted)})


def prevalence_over_time(data: ReportData, fitted, *, freq: str = "M") -> Section:
    """Mean topic share of the articles published in each period (a sentence when none is dated)."""
    from analysis.compare import prevalence
    from analysis.reports.charts import prevalence_chart

    articles = data["articles"]
    by_time = prevalence(fitted, articles, by="published", freq=freq)
    if not len(by_time):  # say why in a sentence instead of drawing an empty chart
        dated = int(articles["published"].notna().sum()) if "published" in articles else 0
        return Section(
            "Prevalence over time",
            empty=f"No prevalence over time: {dated:,} of {len(articles):,} articles carry a "
            "publication date.",
        )
    chart = prevalence_chart(by_time, freq=freq)
    return Section("Prevalence over time", figures={"prevalence": chart})


def prevalence_by_group(data: ReportData, fitted, *, group_column: str = "agency") -> Section:
    """Mean topic share per value of ``group_column`` (the figure says when there is none)."""
    from analysis.compare import prevalence
    from analysis.reports.charts import prevalence_chart

    articles = data["articles"]
    by_group = (
        prevalence(fitted, articles, by=group_column) if group_column in articles.columns else None
    )
    if by_group is None or not len(by_group):  # a sentence instead of an empty frame
        return Section(
            "Prevalence by group",
            empty=f"No prevalence by group: no article has a value in {markdown_code(group_column)}.",
        )
    return Section("Prevalence by group", figures={"prevalence": prevalence_chart(by_group)})


def representative_sentences(data: ReportData, fitted, *, n: int = 2) -> Section:
    """The ``n`` sentences that express each topic best (none for pre-tokenised text)."""
    sentences = None
    if not data.options.get("tokens"):
        sentences = fitted.representative_sentences(data["articles"], n=n)
    if sentences is None or not len(sentences):
        return Section(
            "Representative sentences",
            empty="No sentences: pre-tokenised text has no sentence boundaries.",
        )
    return Section(
        "Representative sentences",
        tables={"sentences": sentences[["topic", "rank", "article_id", "sentence"]]},
        table_options={"sentences": {"max_chars": 300}},
    )


def keyness(
    data: ReportData, *, group_column: str = "agency", group_a: str = "", group_b: str = ""
) -> Section:
    """Terms used more in ``group_a`` (default the largest group) than in ``group_b`` (others).

    A chart of the most key terms of each side and the table of every term tested, with its
    counts, G² (log-likelihood), p-value and log ratio.
    """
    from analysis.reports.charts import keyness_chart

    target, table = _keyness(data, group_column, group_a, group_b)
    if table is None:
        return Section(
            "Keyness between two groups",
            empty=f"Keyness needs two groups in {markdown_code(group_column)}; this corpus has "
            "fewer.",
        )
    reference = group_b or "others"
    figure = keyness_chart(table, target=target, reference=reference)
    columns = ["term", "key_for", "count_target", "count_reference", "log_likelihood", "p_value"]
    shown = table[[*columns, "log_ratio", "significant"]].round(
        {"log_likelihood": 2, "log_ratio": 3}
    )
    return Section(
        "Keyness between two groups",
        text=f"Terms key for {escape_markdown(target)} (`target`) against "
        f"{escape_markdown(reference)} (`reference`): `log_likelihood` is G², `significant` "
        "means p below 0.05.",
        tables={"keyness": shown},
        figures={"keyness": figure},
    )


def summary(
    data: ReportData,
    fitted,
    *,
    group_column: str = "agency",
    group_a: str = "",
    group_b: str = "",
) -> dict:
    """Return the report's key figures (what :func:`~analysis.reports.write_summary` writes).

    ``headline`` holds the figures the index shows; the rest: articles, the unit and the number
    of units, k, NPMI, diversity, the scores of every k tried, the topics (label, NPMI, size,
    share) and their top terms, and how many terms are key (p < 0.05) in the keyness of
    ``group_a`` against ``group_b`` in ``group_column``.
    """
    table = fitted.topic_table()
    _, key = _keyness(data, group_column, group_a, group_b)
    return {
        "headline": {
            "topics": int(fitted.n_topics_),
            "NPMI": round(fitted.npmi_, 3),
            "diversity": round(fitted.diversity_, 3),
        },
        "n_articles": len(data["articles"]),
        "unit": fitted.unit,
        "n_units": len(fitted.units_),
        "k": int(fitted.n_topics_),
        "npmi": fitted.npmi_,
        "diversity": fitted.diversity_,
        "k_scores": None if fitted.k_scores_ is None else fitted.k_scores_.to_dict("records"),
        "topics": table[["topic", "label", "npmi", "size", "share"]].to_dict("records"),
        "top_terms": fitted.top_terms_,
        "n_key_terms": 0 if key is None else int((key["p_value"] < KEY_TERM_P).sum()),
        "stop_words": _stop_word_facts(data),
    }


def _stop_word_facts(data: ReportData) -> dict | None:
    """The user's stop words the report used: their files and how many terms (None: none)."""
    from analysis.reports.registry import _display_path

    found = data.options.get("stop_words")
    if not found:
        return None
    return {"files": [_display_path(f) for f in found.files], "n_terms": len(found.terms)}
