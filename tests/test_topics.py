"""Tests of analysis.terms and analysis.topics: terms, NPMI, diversity, the estimator, matching, comparison, CLI."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from analysis import config
from analysis.terms import boilerplate_spans, doc_terms, normalise_term
from analysis.topics import (
    TopicModel,
    _resolve_df,
    collocations,
    diversity,
    extract_terms,
    group_keyness,
    keyness,
    kwic,
    match_topics,
    npmi,
    prevalence,
    topic_label,
)


@pytest.fixture(scope="module")
def seed_article(seed_path):
    from analysis.corpus import load_corpus

    articles, _ = load_corpus([seed_path])
    return articles


@pytest.fixture(scope="module")
def seed_doc(nlp, seed_article):
    from analysis.nlp import parse

    return next(parse([seed_article["text"].iloc[0]], nlp=nlp))


@pytest.fixture(scope="module")
def token_articles(fixtures_dir):
    from analysis.corpus import load_corpus

    articles, _ = load_corpus([fixtures_dir / "topics_tokens.jsonl"])
    return articles


# -- quality measures -------------------------------------------------------------------------

# Expected values are gensim 4.4.0 CoherenceModel(coherence="c_npmi") on the same input
# (window None here = a window longer than every document).
NPMI_CASES = [
    ([["a", "b", "c"]], [["a", "b"], ["a", "c"], ["b", "c"], ["a", "b"]], None, [-0.251629]),
    (
        [["a", "b"], ["a", "c"], ["b", "c"]],
        [["a", "b", "x", "a", "x", "x", "b", "c", "x", "x", "a"], ["b", "c"], ["a"]],
        3,
        [-0.288885, -0.941452, 0.2451],
    ),
    # Repeated words inside a window: gensim drops a word when its first copy leaves the window.
    (
        [["a", "b", "c"]],
        [["a", "x", "x", "a", "b", "x", "x", "x", "b", "a", "c", "c", "x"], ["c", "a", "x"]],
        4,
        [0.030335],
    ),
]


@pytest.mark.parametrize(("topics", "docs", "window", "expected"), NPMI_CASES)
def test_npmi_equals_gensim(topics, docs, window, expected):
    assert npmi(topics, docs, window=window) == pytest.approx(expected, abs=1e-6)


def test_npmi_of_unknown_term_is_nan():
    assert math.isnan(npmi([["a", "zzz"]], [["a", "b"]], window=None)[0])


@pytest.mark.parametrize(
    ("topics", "expected"),
    [
        ([["a", "b"], ["c", "d"]], 1.0),
        ([["a", "b"], ["b", "c"]], 0.75),
        ([["a", "b"], ["a", "b"]], 0.5),
    ],
)
def test_diversity(topics, expected):
    assert diversity(topics) == expected


@pytest.mark.parametrize(
    ("n_units", "min_df", "max_df", "expected"),
    [
        (1, "auto", "auto", (1, 1)),
        (19, "auto", "auto", (1, 9)),
        (2225, "auto", "auto", (3, 1112)),
        (10_000_000, "auto", "auto", (50, 5_000_000)),
        (4, 5, 0.5, (2, 2)),  # a count written for a big corpus adapts to a tiny one
        (100, 0.05, 0.9, (5, 90)),
    ],
)
def test_resolve_df(n_units, min_df, max_df, expected):
    assert _resolve_df(min_df, max_df, n_units) == expected


# -- terms ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ISLAMABAD: Pakistan's army chief left.", [(0, 11)]),
        ("NEW YORK, March 3 - Stocks fell.", [(0, 20)]),
        ("WASHINGTON (Reuters) - The Senate voted.", [(0, 23)]),
        ("Pakistan's army chief left. afp", [(28, 31)]),
        ("He left.\n\n(Reporting by Jane Doe; Editing by Sam Roe)", [(10, 53)]),
        ("Pakistan's army chief left London.", []),
    ],
)
def test_boilerplate_spans(text, expected):
    assert boilerplate_spans(text) == expected


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["North", "Waziristan"], "north_waziristan"),
        (["Inter-Services", "Intelligence"], "inter_services_intelligence"),
    ],
)
def test_normalise_term(words, expected):
    assert normalise_term(words) == expected


@pytest.mark.parametrize(
    ("term", "present"),
    [
        ("north_waziristan", True),
        ("prime_minister", True),
        ("army_chief", True),
        ("haqqani", True),
        ("liam_fox", True),
        ("say", False),  # reporting verb
        ("afp", False),  # agency tag
        ("monday", False),  # date word
        ("the", False),
    ],
)
def test_doc_terms_of_seed(seed_doc, term, present):
    assert (term in doc_terms(seed_doc)) is present


def test_dateline_is_not_a_term(seed_doc):
    # "ISLAMABAD:" opens the story; the first term is the subject of the first sentence.
    assert doc_terms(seed_doc)[0] == "pakistan"


def test_store_extractor_rows_follow_paragraphs(seed_doc, seed_article):
    article = seed_article.iloc[0].to_dict()
    rows = extract_terms(seed_doc, article)
    assert len(rows) == 19
    assert rows[0]["paragraph"] == 0 and rows[0]["terms"][:2] == ["pakistan", "army_chief"]
    assert [t for r in rows for t in r["terms"]] == doc_terms(seed_doc)


# -- the estimator ----------------------------------------------------------------------------


def test_same_seed_gives_identical_topics(seed_article):
    a = TopicModel(n_topics=4, unit="paragraph", random_state=3).fit(seed_article)
    b = TopicModel(n_topics=4, unit="paragraph", random_state=3).fit(seed_article)
    assert a.top_terms_ == b.top_terms_
    np.testing.assert_array_equal(a.components_, b.components_)
    np.testing.assert_array_equal(a.unit_topics_, b.unit_topics_)


def test_single_article_yields_paragraph_topics(seed_article):
    model = TopicModel(n_topics=3, unit="paragraph").fit(seed_article)
    assert len(model.units_) == 19
    assert model.n_topics_ == 3 and all(len(t) == 10 for t in model.top_terms_)
    np.testing.assert_allclose(model.unit_topics_.sum(axis=1), 1.0)
    mix = model.transform(seed_article)
    assert mix.shape == (1, 3) and mix.sum() == pytest.approx(1.0)
    frame = model.doc_topics_frame()
    assert list(frame.columns) == ["article_id", "topic", "weight"]
    assert set(frame["article_id"]) == {seed_article["article_id"].iloc[0]}


def test_representative_sentences_come_from_the_text(seed_article):
    model = TopicModel(n_topics=3, unit="paragraph").fit(seed_article)
    sents = model.representative_sentences(seed_article, n=2)
    text = seed_article["text"].iloc[0]
    assert len(sents) == 6
    for row in sents.itertuples():
        assert text[row.start : row.end].strip() == row.sentence


def test_whitespace_tokens_are_used_as_they_are(token_articles):
    model = TopicModel(n_topics=3, tokens="whitespace", random_state=0).fit(token_articles)
    assert {"new_york", "north_waziristan", "old_trafford"} <= set(model.vocabulary_)
    # Three planted themes: each article's dominant topic is shared with its own theme only.
    dominant = model.article_topics().argmax(axis=1)
    by_theme = pd.Series(dominant).groupby(token_articles["theme"].to_numpy()).nunique()
    assert by_theme.tolist() == [1, 1, 1]
    assert len(set(dominant)) == 3
    assert model.diversity_ == 1.0


def test_terms_table_input_matches_text_input(seed_article, seed_doc):
    table = pd.DataFrame(extract_terms(seed_doc, seed_article.iloc[0].to_dict()))
    from_table = TopicModel(n_topics=3, unit="paragraph").fit(table)
    from_text = TopicModel(n_topics=3, unit="paragraph").fit(seed_article)
    assert from_table.top_terms_ == from_text.top_terms_


def test_auto_k_keeps_the_curve(token_articles):
    model = TopicModel(n_topics="auto", tokens="whitespace", k_grid=(2, 3, 4)).fit(token_articles)
    assert model.k_scores_["k"].tolist() == [2, 3, 4]
    best = model.k_scores_.sort_values("quality", ascending=False)["k"].iloc[0]
    assert model.n_topics_ == best
    assert model.metrics()["k_scores"][0]["k"] == 2


@pytest.mark.parametrize("method", ["lda", "minibatch_nmf"])
def test_other_methods_fit(token_articles, method):
    model = TopicModel(n_topics=3, method=method, tokens="whitespace").fit(token_articles)
    assert model.components_.shape == (3, len(model.vocabulary_))


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"method": "pca"}, "method must be"),
        ({"unit": "sentence"}, "unit must be"),
        ({"n_topics": 0}, "n_topics"),
    ],
)
def test_bad_parameters_name_the_valid_ones(token_articles, params, message):
    with pytest.raises(ValueError, match=message):
        TopicModel(tokens="whitespace", **params).fit(token_articles)


@pytest.mark.parametrize(
    ("terms", "actors", "expected"),
    [
        (
            ["army", "north_waziristan", "militant"],
            {"north_waziristan"},
            "North Waziristan: army, militant",
        ),
        (["goal", "match", "league", "coach"], set(), "goal, match, league"),
    ],
)
def test_topic_label(terms, actors, expected):
    assert topic_label(terms, frozenset(actors)) == expected


# -- stability --------------------------------------------------------------------------------


def test_match_topics_pairs_identical_topics(token_articles):
    a = TopicModel(n_topics=3, tokens="whitespace", random_state=0).fit(token_articles)
    b = TopicModel(n_topics=3, tokens="whitespace", random_state=0).fit(token_articles)
    m = match_topics(a, b)
    assert m["topic_a"].tolist() == m["topic_b"].tolist() == [0, 1, 2]
    assert m["similarity"].to_numpy() == pytest.approx(1.0)


def test_align_keeps_ids_when_the_corpus_grows(token_articles):
    small = TopicModel(n_topics=3, tokens="whitespace").fit(token_articles.iloc[:9])
    grown = TopicModel(n_topics=3, tokens="whitespace").fit(token_articles)
    grown.align_to(small)
    for pos, tid in enumerate(grown.topic_ids_):
        ref = list(small.topic_ids_).index(tid)
        # the same planted theme: the matched topics share their leading term
        assert grown.top_terms_[pos][0] in small.top_terms_[ref][:5]
    assert (grown.stability_ > 0.5).all()


def test_align_gives_new_ids_to_new_topics(token_articles):
    ref = TopicModel(n_topics=2, tokens="whitespace").fit(token_articles)
    more = TopicModel(n_topics=3, tokens="whitespace").fit(token_articles).align_to(ref)
    assert sorted(more.topic_ids_.tolist()) == [0, 1, 2]
    assert more.stability_[list(more.topic_ids_).index(2)] == 0.0


# -- comparison -------------------------------------------------------------------------------


def test_prevalence_by_month_and_by_column(token_articles):
    model = TopicModel(n_topics=3, tokens="whitespace").fit(token_articles)
    by_month = prevalence(model, token_articles, by="published", freq="M")
    assert sorted(by_month["group"].unique()) == ["2011-01", "2011-02"]
    assert by_month.groupby("group")["share"].sum().to_numpy() == pytest.approx([1.0, 1.0])
    assert by_month["n_articles"].unique().tolist() == [9]
    by_outlet = prevalence(model, token_articles, by="outlet")
    assert sorted(by_outlet["group"].unique()) == ["afp", "reuters"]
    with pytest.raises(ValueError, match="no column 'nope'"):
        prevalence(model, token_articles, by="nope")


def test_keyness_log_likelihood_and_chi2():
    # "a": 10 of 100 tokens in the target, 2 of 100 in the reference.
    target = [["a"] * 10 + ["z"] * 90]
    reference = [["a"] * 2 + ["z"] * 98]
    row = keyness(target, reference, min_count=1).set_index("term").loc["a"]
    assert row["log_likelihood"] == pytest.approx(5.8221, abs=1e-4)
    assert row["chi2"] == pytest.approx(5.6738, abs=1e-4)
    assert row["log_ratio"] == pytest.approx(math.log2(5))
    assert row["key_for"] == "target"


def test_group_keyness_finds_the_theme(token_articles):
    key = group_keyness(token_articles, "theme", "war", tokens="whitespace")
    top = key[key["key_for"] == "target"]["term"].head(3).tolist()
    assert set(top) <= set(
        [
            "army",
            "militant",
            "attack",
            "border",
            "troop",
            "soldier",
            "ceasefire",
            "offensive",
            "commander",
            "village",
            "north_waziristan",
        ]
    )


@pytest.mark.parametrize(
    ("term", "n_hits", "first_keyword"),
    [
        ("North Waziristan", 2, "North Waziristan"),
        ("prime_minister", 1, "Prime Minister"),
        ("Haqqani", 7, "Haqqani"),  # 3 x "Haqqani", 4 x "Haqqanis",
    ],
)
def test_kwic(seed_article, term, n_hits, first_keyword):
    lines = kwic(seed_article, term, width=30)
    assert len(lines) == n_hits
    text = seed_article["text"].iloc[0]
    first = lines.iloc[0]
    assert first["keyword"] == first_keyword == text[first["start"] : first["end"]]


def test_collocations_of_pairs_and_of_a_node():
    docs = [["prime", "minister", "visit", "london"]] * 4 + [["visit", "paris"]] * 2
    pairs = collocations(docs, min_count=2, top=None)
    assert pairs.iloc[0][["first", "second", "count"]].tolist() == ["prime", "minister", 4]
    node = collocations(docs, "visit", window=1, min_count=2)
    assert set(node["second"]) == {"minister", "london", "paris"}


# -- command line -----------------------------------------------------------------------------


def test_cli_writes_the_three_files(tmp_path, fixtures_dir):
    from analysis.cli import main

    code = main(
        [
            "topics",
            str(fixtures_dir / "topics_tokens.jsonl"),
            "-o",
            str(tmp_path),
            "--k",
            "3",
            "--tokens",
            "whitespace",
        ]
    )
    assert code == 0
    topics = pd.read_csv(tmp_path / "topics.csv")
    assert list(topics.columns) == ["topic", "rank", "term", "weight"] and len(topics) == 30
    doc_topics = pd.read_csv(tmp_path / "doc_topics.csv")
    assert list(doc_topics.columns) == ["article_id", "topic", "weight"]
    assert doc_topics["article_id"].nunique() == 18
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["k"] == 3 and metrics["diversity"] == 1.0 and len(metrics["topics"]) == 3
    assert -1 <= metrics["npmi"] <= 1


def test_cli_fails_with_the_file_name(tmp_path, capsys):
    from analysis.cli import main

    missing = tmp_path / "missing.jsonl"
    assert main(["topics", str(missing), "-o", str(tmp_path / "out")]) == 1
    assert "missing.jsonl" in capsys.readouterr().err


def test_cli_rejects_a_bad_k(tmp_path, fixtures_dir):
    from analysis.cli import main

    with pytest.raises(SystemExit) as exc:
        main(
            [
                "topics",
                str(fixtures_dir / "topics_tokens.jsonl"),
                "-o",
                str(tmp_path),
                "--k",
                "many",
            ]
        )
    assert exc.value.code == 2


# -- the report notebook ----------------------------------------------------------------------

NOTEBOOK = config.NOTEBOOKS_DIR / "04_topics.ipynb"


def test_notebook_is_stored_clean():
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in code)
    assert code[0]["metadata"]["tags"] == ["parameters"]


@pytest.mark.slow
@pytest.mark.notebook
@pytest.mark.parametrize(
    ("parameters", "expected"),
    [
        ({"corpus": "seeds"}, {"unit": "paragraph", "n_units": 19, "n_articles": 1}),
        (
            {"tokens": "whitespace", "group_column": "theme", "group_a": "war", "n_topics": "3"},
            {"unit": "paragraph", "n_units": 18, "n_articles": 18, "k": 3, "diversity": 1.0},
        ),
    ],
)
def test_notebook_summary(tmp_path, fixtures_dir, parameters, expected):
    import papermill as pm

    params = {"corpus": str(fixtures_dir / "topics_tokens.jsonl"), **parameters}
    params["summary_path"] = str(tmp_path / "summary.json")
    pm.execute_notebook(
        str(NOTEBOOK),
        str(tmp_path / "out.ipynb"),
        parameters=params,
        kernel_name="python3",
        progress_bar=False,
    )
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert {k: summary[k] for k in expected} == expected
    assert len(summary["topics"]) == summary["k"] == len(summary["top_terms"])
