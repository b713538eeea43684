"""Tests of analysis.terms, analysis.topics and analysis.compare: terms, NPMI, diversity, the estimator, matching, comparison, CLI."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import config
from analysis.terms import doc_terms, normalise_term, term_spans
from analysis.topics import (
    TopicModel,
    _resolve_df,
    collocations,
    diversity,
    extract_terms,
    fit_slices,
    group_keyness,
    kwic,
    match_topics,
    npmi,
    prevalence,
    topic_label,
)
from analysis.wire import layout_spans


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
        ("ISLAMABAD: Pakistan's army chief left.", [(0, 10)]),
        ("NEW YORK, March 3 - Stocks fell.", [(0, 19)]),
        ("WASHINGTON (Reuters) - The Senate voted.", [(0, 22)]),
        ("BRUSSELS, March 27, Reuter - The EC said.\n Reuter", [(0, 28), (43, 49)]),
        ("Pakistan army chief quits\n\nISLAMABAD: He left.", [(27, 37)]),
        ("Pakistan's army chief left. afp", [(28, 31)]),
        ("He left.\n\n(Reporting by Jane Doe; Editing by Sam Roe)", [(10, 53)]),
        ("Pakistan's army chief left London.", []),
    ],
)
def test_layout_spans(text, expected):
    assert layout_spans(text) == expected


def test_terms_skip_the_dateline_the_loader_found(nlp):
    from analysis.terms import extract_terms

    text = "PARIS: Ministers met in Paris on Monday."
    doc = nlp(text)

    def starts(dateline):
        article = {"article_id": "a", "text": text, "dateline_text": dateline}
        return {
            s: t
            for row in extract_terms(doc, article)
            for s, t in zip(row["starts"], row["terms"], strict=True)
        }

    # The loader read "PARIS:" as the dateline: no term there, the Paris of the story is kept.
    assert 0 not in starts("PARIS") and starts("PARIS")[24] == "paris"
    # The loader found no dateline (a record with its own): the opening word is story text.
    assert starts(None)[0] == "paris"


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


@pytest.mark.parametrize("method", ["nmf", "lda", "minibatch_nmf"])
def test_same_seed_gives_identical_topics(seed_article, method):
    a = TopicModel(n_topics=4, method=method, unit="paragraph", random_state=3).fit(seed_article)
    b = TopicModel(n_topics=4, method=method, unit="paragraph", random_state=3).fit(seed_article)
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


def test_term_docs_rebuilt_from_the_store_tables(seed_article, seed_doc):
    from analysis.terms import term_docs_from_store

    table = pd.DataFrame(extract_terms(seed_doc, seed_article.iloc[0].to_dict()))
    (rebuilt,) = term_docs_from_store(seed_article, table)
    spans = [(s, e, t) for s, e, t, _ in term_spans(seed_doc)]
    assert list(zip(rebuilt.starts, rebuilt.ends, rebuilt.terms, strict=True)) == spans
    assert "north_waziristan" in {
        t for t, a in zip(rebuilt.terms, rebuilt.actor_flags, strict=True) if a
    }


def test_term_docs_rebuilt_per_article_whatever_the_row_order(seed_article, seed_doc):
    from analysis.terms import term_docs_from_store

    table = pd.DataFrame(extract_terms(seed_doc, seed_article.iloc[0].to_dict()))
    assert table["paragraph"].nunique() > 3
    twin = table.assign(
        article_id="twin", terms=table["terms"].map(lambda t: [w.upper() for w in t])
    )
    # Rows of two articles interleaved and paragraphs out of order, as Parquet parts may be.
    shuffled = pd.concat([table, twin]).sample(frac=1.0, random_state=3).reset_index(drop=True)
    articles = pd.concat(
        [
            seed_article.assign(article_id="twin", text=seed_article["text"] + " "),
            seed_article.assign(article_id="empty", text="No terms here."),
            seed_article,
        ]
    )
    sentences = pd.DataFrame(
        {"article_id": ["twin", "x", "twin"], "start": [40, 0, 0], "end": [80, 5, 39]}
    )
    twin_doc, empty, seed = term_docs_from_store(articles, shuffled, sentences)
    (alone,) = term_docs_from_store(seed_article, table)
    assert seed.terms == alone.terms and seed.starts == alone.starts
    assert seed.actor_flags == alone.actor_flags and seed.sentences == ()
    assert twin_doc.terms == tuple(t.upper() for t in alone.terms)
    assert twin_doc.sentences == ((0, 39), (40, 80))
    assert (empty.terms, empty.starts, empty.sentences) == ((), (), ())


def test_terms_table_input_matches_text_input(seed_article, seed_doc):
    table = pd.DataFrame(extract_terms(seed_doc, seed_article.iloc[0].to_dict()))
    from_table = TopicModel(n_topics=3, unit="paragraph").fit(table)
    from_text = TopicModel(n_topics=3, unit="paragraph").fit(seed_article)
    assert from_table.top_terms_ == from_text.top_terms_
    # The same labels; only the text tells how a term is written ("General" as a title).
    assert [x.lower() for x in from_table.labels_] == [x.lower() for x in from_text.labels_]


def test_rare_phrases_count_as_their_words():
    units = [
        ["prime_minister", "visit", "london"],
        ["prime", "minister", "visit"],
        ["prime", "minister", "london"],
        ["visit", "london", "talk"],
    ]
    model = TopicModel(n_topics=2, min_df=2).fit(units)
    assert "prime_minister" not in model.vocabulary_ and "prime" in model.vocabulary_
    np.testing.assert_allclose(
        model.transform([["prime_minister", "talk"]]),
        model.transform([["prime", "minister", "talk"]]),
    )


def test_coherence_on_a_sample_of_units(token_articles):
    full = TopicModel(n_topics=3, tokens="whitespace").fit(token_articles)
    sampled = TopicModel(n_topics=3, tokens="whitespace", coherence_units=9).fit(token_articles)
    assert sampled.top_terms_ == full.top_terms_
    assert sampled.npmi_ != full.npmi_ and -1 <= sampled.npmi_ <= 1


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


# -- actors merged, labels as the text writes them, scores, the k grid ------------------------


@pytest.fixture(scope="module")
def actor_articles(fixtures_dir):
    """Four trade stories that write both "U.S." and "United States", and four on OPEC."""
    from analysis.corpus import load_corpus

    articles, _ = load_corpus([fixtures_dir / "topics_actors.jsonl"])
    return articles


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # (surface form, term): the actors table's merges apply, offsets cover the words kept
        ("The U.S. and the United States met.", [("U.S.", "united_states"), ("United States", "united_states"), ("met", "meet")]),
        ("Officials in the US and Britain met.", [("Officials", "official"), ("US", "united_states"), ("Britain", "united_kingdom"), ("met", "meet")]),
        ("GATT talks resumed as OPEC met.", [("GATT", "general_agreement_on_tariffs_and_trade"), ("talks", "talk"), ("resumed", "resume"), ("OPEC", "organization_of_petroleum_exporting_countries"), ("met", "meet")]),
        ("Officials in the White House said so.", [("Officials", "official"), ("White House", "white_house")]),
    ],
)  # fmt: skip
def test_terms_merge_actors_as_the_actors_table_does(nlp, text, expected):
    spans = list(term_spans(nlp(text)))
    assert [(text[s:e], term) for s, e, term, _ in spans] == expected


def test_merged_actor_is_one_term_and_its_name_labels_the_topic(actor_articles):
    model = TopicModel(n_topics=2).fit(actor_articles)
    vocabulary = set(model.vocabulary_)
    assert "united_states" in vocabulary and "u_s" not in vocabulary
    assert "united_states" in model.actors_
    trade = next(
        i for i, t in enumerate(model.top_terms_) if "general_agreement_on_tariffs_and_trade" in t
    )
    assert model.top_terms_[trade][0] == "united_states"  # "U.S." and "United States" add up
    assert model.labels_[trade].startswith("United States")
    assert "U S" not in " ".join(model.labels_)


def test_labels_take_the_texts_casing(actor_articles):
    model = TopicModel(n_topics=2).fit(actor_articles)
    # GATT and OPEC are actors (resources/actor_aliases.txt): one term each, shown by the
    # acronym the text writes rather than the actors table's long name.
    assert model.term_forms_["general_agreement_on_tariffs_and_trade"] == "GATT"
    assert model.term_forms_["saudi_arabia"] == "Saudi Arabia"
    assert model.term_forms_["tariff"] == "tariff"  # a plain word stays as written
    oil = next(
        i
        for i, t in enumerate(model.top_terms_)
        if "organization_of_petroleum_exporting_countries" in t
    )
    assert model.labels_[oil].startswith("OPEC")
    assert "Gatt" not in " ".join(model.labels_) and "Opec" not in " ".join(model.labels_)
    table = model.topic_table()
    assert "GATT" in table["top_terms_display"].str.cat()
    # Terms themselves stay lower-case keys.
    assert all(t == t.lower() for terms in model.top_terms_ for t in terms)
    assert "general_agreement_on_tariffs_and_trade" in table["top_terms"].str.cat(sep=" ").split()


def _term_doc(text: str, terms: list[tuple[str, str]]):
    """A TermDoc of ``(term, surface form)`` pairs found in ``text`` in order."""
    from analysis.terms import TermDoc

    starts, pos = [], 0
    for _, form in terms:
        pos = text.index(form, pos)
        starts.append(pos)
        pos += len(form)
    ends = [s + len(f) for s, (_, f) in zip(starts, terms, strict=True)]
    return TermDoc(tuple(t for t, _ in terms), tuple(starts), tuple(ends))


@pytest.mark.parametrize(
    ("text", "terms", "expected"),
    [
        # "Police" opens both its sentences; "Nato" opens one sentence, "NATO" two.
        (
            "Police said so. Police came. The police left. Nato met. NATO said. NATO went.",
            [("police", "Police"), ("police", "Police"), ("police", "police")]
            + [("nato", "Nato"), ("nato", "NATO"), ("nato", "NATO")],
            {"police": "police", "nato": "NATO"},
        ),
        # Rows of a Reuters earnings table open indented lines; a wrapped line does not.
        (
            "Shr 12 cts vs 10 cts\n    Net 1,234 vs 1,000\n    Net 5 vs 4\nThe quarter's\nnet was up.",
            [("net", "Net"), ("net", "Net"), ("net", "net")],
            {"net": "net"},
        ),
        # Only sentence starts: they are all there is.
        ("Tariffs rose.", [("tariff", "Tariffs")], {"tariff": "tariff"}),
        ("Gatt met.", [("gatt", "Gatt")], {"gatt": "Gatt"}),
    ],
)
def test_surface_forms_skip_sentence_and_row_starts(text, terms, expected):
    from analysis.topics import count_surface_forms, display_forms

    counts = count_surface_forms([text], [_term_doc(text, terms)])
    assert display_forms(counts, list(expected)) == expected


def test_labels_are_the_same_fitted_in_memory_streamed_or_from_the_store(actor_articles, tmp_path):
    from analysis.store import extract_corpus
    from analysis.topics import store_batches

    memory = TopicModel(n_topics=2).fit(actor_articles)
    texts = TopicModel(n_topics=2).fit_stream(lambda: iter([actor_articles]), batch_units=4)
    extract_corpus(actor_articles, tmp_path / "store", tables=("terms",), workers=1, cache_dir=None)
    store = TopicModel(n_topics=2).fit_stream(store_batches(tmp_path / "store"), batch_units=4)
    for model in (texts, store):
        # MiniBatchNMF ranks a few terms differently; every term is shown the same way.
        shared = set(model.term_forms_) & set(memory.term_forms_)
        assert {
            "general_agreement_on_tariffs_and_trade",
            "organization_of_petroleum_exporting_countries",
            "united_states",
            "tariff",
        } <= shared
        assert {t: model.term_forms_[t] for t in shared} == {
            t: memory.term_forms_[t] for t in shared
        }
        assert {x.split(":")[0] for x in model.labels_} == {
            "OPEC, Saudi Arabia",
            "United States, Japan",
        }


def test_topics_csv_rank_follows_the_score(actor_articles, tmp_path):
    from analysis.topics import term_scores, write_outputs

    model = TopicModel(n_topics=2).fit(actor_articles)
    write_outputs(model, tmp_path)
    frame = pd.read_csv(tmp_path / "topics.csv")
    assert list(frame.columns) == ["topic", "rank", "term", "weight", "score"]
    for _, topic in frame.groupby("topic"):
        assert topic["rank"].tolist() == list(range(1, len(topic) + 1))
        assert topic["score"].is_monotonic_decreasing
        # The score weighs the factorisation weight by exclusivity (a share, at most 1).
        assert (topic["score"] <= topic["weight"] + 1e-12).all()
    weight, score = term_scores(model.components_, model.exclusivity)
    col = {t: i for i, t in enumerate(model.vocabulary_)}
    first = frame.iloc[0]
    assert first["score"] == pytest.approx(score[0, col[first["term"]]])
    assert first["weight"] == pytest.approx(weight[0, col[first["term"]]])
    # Without exclusivity the score is the weight.
    plain = TopicModel(n_topics=2, exclusivity=0).fit(actor_articles).topics_frame()
    assert plain["score"].tolist() == plain["weight"].tolist()


def _planted_units(n: int, themes: int = 5, seed: int = 0) -> list[list[str]]:
    """``n`` term lists, each of 20 words of one of ``themes`` planted vocabularies."""
    rng = np.random.default_rng(seed)
    words = [[f"w{t}_{i}" for i in range(12)] for t in range(themes)]
    return [list(rng.choice(words[i % themes], size=20)) for i in range(n)]


@pytest.mark.parametrize(
    ("n_units", "grid"),
    [
        (81, [2, 3, 4, 5, 6, 7, 8, 9]),  # was 3, 5, 8
        (30, [2, 3, 4, 5]),
        (10, [2, 3]),
    ],
)
def test_auto_k_tries_every_k_a_small_corpus_supports(n_units, grid):
    units = _planted_units(n_units)
    model = TopicModel(n_topics="auto", max_iter=200).fit(units)
    assert model.k_scores_["k"].tolist() == grid
    again = TopicModel(n_topics="auto", max_iter=200).fit(units)
    assert again.n_topics_ == model.n_topics_ and again.top_terms_ == model.top_terms_


def test_auto_k_grid_is_fine_then_coarse():
    from analysis.topics import DEFAULT_K_GRID

    assert list(DEFAULT_K_GRID) == [2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 20]


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


def test_fit_slices_keeps_topic_ids_across_months(token_articles):
    models = fit_slices(token_articles, freq="M", n_topics=3, tokens="whitespace")
    assert list(models) == ["2011-01", "2011-02"]
    jan, feb = models.values()
    for pos, tid in enumerate(feb.topic_ids_):
        ref = list(jan.topic_ids_).index(tid)
        # the same planted theme: most of the top terms are shared
        assert len(set(feb.top_terms_[pos]) & set(jan.top_terms_[ref])) >= 6
    assert (feb.stability_ > 0.5).all()


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
    assert list(topics.columns) == ["topic", "rank", "term", "weight", "score"]
    assert len(topics) == 30
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


# -- streaming fit ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def terms_store(tmp_path_factory, fixtures_dir):
    """The token fixture as a feature store ``terms`` table in three parts of six articles.

    Two rare joined terms ("goal_line", "rate_cut" in one article each) exercise the splitting
    of rare phrases into their words.
    """
    arts = pd.read_json(fixtures_dir / "topics_tokens.jsonl", lines=True)
    extra = {"t00": ["goal_line"], "t03": ["rate_cut"]}
    terms = [t.split() + extra.get(i, []) for i, t in zip(arts["id"], arts["text"], strict=True)]
    frame = pd.DataFrame(
        {
            "article_id": arts["id"],
            "paragraph": 0,
            "terms": terms,
            "starts": [[0] * len(t) for t in terms],
            "ends": [[0] * len(t) for t in terms],
            "actor": [[t in ("old_trafford", "north_waziristan") for t in u] for u in terms],
        }
    )
    store = tmp_path_factory.mktemp("store")
    (store / "terms.parquet").mkdir()
    for n, start in enumerate(range(0, len(frame), 6)):
        frame.iloc[start : start + 6].to_parquet(store / f"terms.parquet/part-{n:05d}.parquet")
    return store, frame, dict(zip(arts["id"], arts["theme"], strict=True))


@pytest.mark.parametrize(
    ("method", "min_df", "max_features", "min_similarity"),
    [
        ("nmf", "auto", None, 0.99),
        ("nmf", 2, 20, 0.99),  # "goal_line" and "rate_cut" split; 20 most frequent terms kept
        ("lda", "auto", None, 0.95),
    ],
)
def test_stream_fit_matches_the_in_memory_fit(
    terms_store, method, min_df, max_features, min_similarity
):
    from analysis.topics import store_batches

    store, frame, _ = terms_store
    params = dict(n_topics=3, method=method, min_df=min_df, max_features=max_features)
    memory = TopicModel(**params).fit(frame)
    stream = TopicModel(**params).fit_store(store, epochs=20, batch_units=4)
    # Same vocabulary and idf from the counting pass as from CountVectorizer on everything.
    assert stream.vocabulary_.tolist() == memory.vocabulary_.tolist()
    np.testing.assert_allclose(stream.tfidf_.idf_, memory.tfidf_.idf_)
    matches = match_topics(memory, stream)
    assert (matches["similarity"] >= min_similarity).all()
    for a, b in zip(matches["topic_a"], matches["topic_b"], strict=True):
        assert set(memory.top_terms_[a][:5]) == set(stream.top_terms_[b][:5])
    if max_features is None:
        # With 20 terms a topic has fewer than 10 real ones; NMF's tail is exact zeros (left
        # out), MiniBatchNMF's is ~2e-4 weights that pad the top 10 and lower diversity.
        assert stream.diversity_ == memory.diversity_ == 1.0
    assert stream.npmi_ == pytest.approx(memory.npmi_, abs=0.05)
    # Its NPMI is gensim's on the units as fit() sees them (rare phrases split).
    from analysis.terms import _stopwords
    from analysis.topics import _split_rare_phrases

    min_count = _resolve_df(min_df, "auto", 18)[0]
    units = _split_rare_phrases([list(t) for t in frame["terms"]], min_count, _stopwords("en"))
    np.testing.assert_allclose(stream.topic_npmi_, npmi(stream.top_terms_, units, window=10))
    assert stream.actors_ == memory.actors_ == {"old_trafford", "north_waziristan"}
    assert sorted(stream.metrics()["topics"][i]["size"] for i in range(3)) == [6, 6, 6]
    assert (
        list(store_batches(store)())[0]["article_id"].tolist() == frame["article_id"][:6].tolist()
    )


def test_stream_fit_is_deterministic_and_writes_doc_topics(terms_store, tmp_path):
    from analysis.topics import store_batches

    store, _, themes = terms_store
    batches = store_batches(store)
    runs = []
    for name in ("a", "b"):
        path = tmp_path / f"{name}.csv"
        model = TopicModel(n_topics=3, random_state=7).fit_stream(batches, doc_topics=path)
        runs.append((model, pd.read_csv(path)))
    (a, rows_a), (b, rows_b) = runs
    assert a.top_terms_ == b.top_terms_
    np.testing.assert_array_equal(a.components_, b.components_)
    pd.testing.assert_frame_equal(rows_a, rows_b)
    # Every article is written once per topic at most; its dominant topic is its theme's.
    assert list(rows_a.columns) == ["article_id", "topic", "weight"]
    assert not rows_a.duplicated(["article_id", "topic"]).any()
    dominant = rows_a.sort_values("weight", ascending=False).drop_duplicates("article_id")
    by_theme = dominant.assign(theme=dominant["article_id"].map(themes)).groupby("theme")
    assert by_theme["topic"].nunique().tolist() == [1, 1, 1]
    assert sorted(by_theme["topic"].first()) == [0, 1, 2]
    with pytest.raises(ValueError, match="fit_stream keeps no per-article topic mix"):
        a.article_topics()
    mix = a.transform(pd.concat(list(batches())))
    assert mix.shape == (18, 3) and mix.sum(axis=1) == pytest.approx(1.0)


def test_stream_fit_of_paragraph_units_and_auto_k(terms_store):
    from analysis.topics import store_batches

    store, frame, _ = terms_store
    rows = []
    model = TopicModel(n_topics="auto", unit="paragraph").fit_stream(
        store_batches(store), doc_topics=rows.append
    )
    # 18 units: the scan tries k = 2, 3 and 4 (at most sqrt(18)) and keeps the curve.
    assert model.k_scores_["k"].tolist() == [2, 3, 4]
    assert model.n_topics_ == int(
        model.k_scores_.sort_values(["quality", "k"], ascending=[False, True]).iloc[0]["k"]
    )
    assert model.metrics()["n_units"] == 18 and model.metrics()["n_articles"] == 18
    assert len(rows) == 3 and pd.concat(rows)["article_id"].nunique() == 18


@pytest.mark.parametrize(
    ("batches", "options", "error", "message"),
    [
        ([], {}, TypeError, "callable returning a fresh iterator"),
        (lambda: iter([]), {}, ValueError, "no articles"),
        (lambda: iter([]), {"epochs": 0}, ValueError, "epochs and batch_units must be >= 1"),
    ],
)
def test_stream_fit_rejects_bad_input(batches, options, error, message):
    with pytest.raises(error, match=message):
        TopicModel(n_topics=2).fit_stream(batches, **options)


def test_cli_stream_whitespace_tokens(tmp_path, fixtures_dir):
    from analysis.cli import main

    corpus = str(fixtures_dir / "topics_tokens.jsonl")
    args = [corpus, "--k", "3", "--tokens", "whitespace", "--part-size", "5"]
    assert main(["topics", *args, "-o", str(tmp_path / "memory")]) == 0
    assert main(["topics", *args, "-o", str(tmp_path / "stream"), "--stream"]) == 0
    memory = json.loads((tmp_path / "memory/metrics.json").read_text())
    stream = json.loads((tmp_path / "stream/metrics.json").read_text())
    assert stream["method"] == "minibatch_nmf" and stream["n_articles"] == 18
    # The same three themes: each topic's five leading terms, in any topic order.
    key = sorted(" ".join(sorted(t["top_terms"][:5])) for t in memory["topics"])
    assert sorted(" ".join(sorted(t["top_terms"][:5])) for t in stream["topics"]) == key
    doc_topics = pd.read_csv(tmp_path / "stream/doc_topics.csv")
    assert doc_topics["article_id"].nunique() == 18


def test_cli_stream_through_the_store(tmp_path, seed_path, fixtures_dir):
    from analysis.cli import main

    store = tmp_path / "store"
    paths = [str(seed_path), str(fixtures_dir / "topics_tokens.jsonl")]
    common = ["--k", "3", "--seed", "1", "--workers", "1", "--part-size", "8"]
    assert main(["topics", *paths, "-o", str(tmp_path / "a"), "--store", str(store), *common]) == 0
    assert len(list((store / "terms.parquet").glob("part-*.parquet"))) == 3  # 8 + 8 + 3 articles
    # The store alone is enough for a second run, which gives the same topics.
    assert main(["topics", "-o", str(tmp_path / "b"), "--store", str(store), *common]) == 0
    for name in ("topics.csv", "doc_topics.csv", "metrics.json"):
        assert (tmp_path / "a" / name).read_text() == (tmp_path / "b" / name).read_text()
    doc_topics = pd.read_csv(tmp_path / "a/doc_topics.csv")
    assert doc_topics["article_id"].nunique() == 19
    assert "000_fbdc2a47216796c1" in set(doc_topics["article_id"])


def test_cli_needs_paths_or_a_store(tmp_path):
    from analysis.cli import main

    assert main(["topics", "-o", str(tmp_path)]) == 1


# -- the package split: old names, stages as objects, one fit core, atomic files ----------------

#: Every public name of the former single module analysis/topics.py (and the private helpers
#: tests imported from it), with the module that now defines it.
FORMER_NAMES = {
    "METHODS": "analysis.topics.params",
    "UNITS": "analysis.topics.params",
    "STREAM_EPOCHS": "analysis.topics.params",
    "STREAM_BATCH_UNITS": "analysis.topics.params",
    "DEFAULT_K_GRID": "analysis.topics.params",
    "TopicModel": "analysis.topics.model",
    "topic_label": "analysis.topics.model",  # defined in analysis.topics.labels
    "npmi": "analysis.topics.coherence",
    "diversity": "analysis.topics.coherence",
    "term_uniqueness": "analysis.topics.coherence",
    "store_batches": "analysis.topics.stream",
    "match_topics": "analysis.topics.align",
    "fit_slices": "analysis.topics.align",
    "write_outputs": "analysis.topics.outputs",
    "extract_terms": "analysis.terms",
    "prevalence": "analysis.compare",
    "keyness": "analysis.compare",
    "group_keyness": "analysis.compare",
    "kwic": "analysis.compare",
    "collocations": "analysis.compare",
    "_resolve_df": "analysis.topics.vectorizer",
    "_split_rare_phrases": "analysis.topics.vectorizer",
}


@pytest.mark.parametrize(("name", "home"), sorted(FORMER_NAMES.items()))
def test_former_names_still_import_from_analysis_topics(name, home):
    import importlib

    namespace: dict = {}
    exec(f"from analysis.topics import {name}", namespace)
    assert namespace[name] is getattr(importlib.import_module(home), name)


def test_package_table_points_at_the_defining_modules():
    import importlib

    import analysis

    topic_names = set(FORMER_NAMES) | {"doc_terms", "TermVectorizer"}
    entries = {n: m for n, m in analysis._EXPORTS.items() if n in topic_names}
    assert {"TopicModel", "npmi", "prevalence", "extract_terms", "TermVectorizer"} <= set(entries)
    for name, module in entries.items():
        assert name in vars(importlib.import_module(module)), (name, module)
        assert getattr(analysis, name) is getattr(importlib.import_module(module), name)


def test_topics_command_module_imports_no_heavy_library():
    import subprocess
    import sys

    code = (
        "import sys, analysis.cli.topics, analysis.topics.params; "
        "print(sorted(m for m in ('numpy', 'pandas', 'sklearn', 'scipy', 'spacy') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_no_topics_module_is_above_800_lines():
    root = config.PROJECT_DIR / "analysis"
    files = [*sorted((root / "topics").glob("*.py")), root / "compare.py", root / "cli/topics.py"]
    assert len(files) >= 10
    sizes = {f.name: len(f.read_text(encoding="utf-8").splitlines()) for f in files}
    assert max(sizes.values()) <= 800, sizes


def _fitted_attributes(model) -> set[str]:
    return {n for n in vars(model) if n.endswith("_") and not n.startswith("_")}


def test_init_stores_the_arguments_and_fit_sets_every_attribute(token_articles):
    from sklearn.base import clone
    from sklearn.decomposition import NMF
    from sklearn.exceptions import NotFittedError

    from analysis.topics import TermVectorizer

    vec, est = TermVectorizer(min_df=2), NMF(init="nndsvda")
    model = TopicModel(n_topics="auto", tokens="whitespace", vectorizer=vec, estimator=est)
    assert set(vars(model)) == set(model.get_params(deep=False))
    assert model.get_params()["vectorizer"] is vec and model.get_params()["estimator"] is est
    with pytest.raises(NotFittedError):
        model.transform(token_articles)
    assert clone(model).get_params()["vectorizer"] is not vec
    assert model.fit(token_articles) is model
    expected = {
        "vectorizer_", "estimator_", "method_", "vocabulary_", "tfidf_", "k_scores_",
        "components_", "n_topics_", "topic_ids_", "top_terms_", "topic_npmi_", "npmi_",
        "diversity_", "topic_uniqueness_", "unit_topics_", "units_", "article_ids_",
        "n_units_", "n_articles_", "actors_", "labels_", "term_forms_",
        "stability_", "stop_words_",
    }  # fmt: skip
    assert _fitted_attributes(model) == expected
    # The stages given are cloned, never fitted in place.
    assert not hasattr(vec, "vocabulary_") and not hasattr(est, "components_")
    assert model.k_scores_ is not None and model.method_ == "NMF"
    # A refit with a fixed k leaves nothing of the scan behind.
    model.set_params(n_topics=2).fit(token_articles)
    assert model.k_scores_ is None and model.n_topics_ == 2


def test_fit_and_fit_stream_set_the_same_attributes(terms_store):
    from analysis.topics import store_batches

    store, frame, _ = terms_store
    memory = TopicModel(n_topics="auto", unit="paragraph").fit(frame)
    stream = TopicModel(n_topics="auto", unit="paragraph").fit_stream(store_batches(store))
    assert _fitted_attributes(memory) == _fitted_attributes(stream)
    # One k scan: the same grid and the same rule for the best k.
    assert memory.k_scores_["k"].tolist() == stream.k_scores_["k"].tolist() == [2, 3, 4]
    for model in (memory, stream):
        ranked = model.k_scores_.sort_values(["quality", "k"], ascending=[False, True])
        assert model.n_topics_ == int(ranked.iloc[0]["k"])


@pytest.mark.parametrize("streamed", [False, True])
def test_too_many_topics_warns_at_the_callers_line(terms_store, streamed):
    from analysis.topics import store_batches

    store, frame, _ = terms_store
    model = TopicModel(n_topics=40)
    with pytest.warns(UserWarning, match="n_topics=40 is more than 18") as record:
        if streamed:
            model.fit_stream(store_batches(store))
        else:
            model.fit(frame)
    assert record[0].filename == __file__
    assert model.n_topics_ == 18


@pytest.mark.parametrize(
    ("stage", "method"),
    [
        ("estimator object", "nmf"),
        ("estimator factory", "nmf"),
        ("estimator object", "lda"),
        ("vectorizer object", "nmf"),
    ],
)
def test_stages_given_as_objects_equal_the_method_shortcut(token_articles, stage, method):
    from sklearn.decomposition import NMF, LatentDirichletAllocation

    from analysis.topics import TermVectorizer

    def nmf(k=None):
        return NMF(n_components=k or 1, init="nndsvda", max_iter=400, random_state=0)

    lda = LatentDirichletAllocation(learning_method="batch", max_iter=100, random_state=0)
    shortcut = TopicModel(n_topics=3, method=method, tokens="whitespace").fit(token_articles)
    params = {"n_topics": 3, "tokens": "whitespace"}
    if stage == "estimator object" and method == "lda":
        params |= {"estimator": lda, "vectorizer": TermVectorizer(weighting="count")}
    elif stage == "estimator object":
        params["estimator"] = nmf()
    elif stage == "estimator factory":
        params["estimator"] = nmf
    else:
        params["vectorizer"] = TermVectorizer()
    staged = TopicModel(**params).fit(token_articles)
    assert staged.top_terms_ == shortcut.top_terms_
    np.testing.assert_array_equal(staged.components_, shortcut.components_)
    np.testing.assert_array_equal(staged.article_topics(), shortcut.article_topics())


def test_a_scikit_learn_vectorizer_stands_in_for_the_default(token_articles):
    from sklearn.feature_extraction.text import TfidfVectorizer

    # TfidfVectorizer is CountVectorizer + TfidfTransformer: with the same (absent) limits the
    # default vectorizer gives the same matrix, hence the same topics.
    custom = TopicModel(
        n_topics=3,
        tokens="whitespace",
        vectorizer=TfidfVectorizer(analyzer=list, sublinear_tf=True),
    ).fit(token_articles)
    default = TopicModel(
        n_topics=3, tokens="whitespace", min_df=1, max_df=1.0, max_features=None
    ).fit(token_articles)
    assert custom.vocabulary_.tolist() == default.vocabulary_.tolist()
    assert custom.top_terms_ == default.top_terms_
    np.testing.assert_allclose(custom.components_, default.components_, rtol=1e-9, atol=1e-12)
    mix = custom.transform(token_articles)
    np.testing.assert_allclose(mix, default.transform(token_articles), atol=1e-12)


@pytest.mark.parametrize(
    ("params", "error", "message"),
    [
        ({"estimator": object()}, TypeError, "estimator must be a scikit-learn factorisation"),
        ({"vectorizer": object()}, TypeError, "vectorizer must have fit_transform"),
    ],
)
def test_bad_stages_are_named(token_articles, params, error, message):
    with pytest.raises(error, match=message):
        TopicModel(n_topics=2, tokens="whitespace", **params).fit(token_articles)


def test_fit_stream_names_the_stage_it_cannot_stream_with(terms_store):
    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import CountVectorizer

    from analysis.topics import store_batches

    store, _, _ = terms_store
    with pytest.raises(TypeError, match="fitted from counted frequencies.*CountVectorizer"):
        TopicModel(n_topics=2, vectorizer=CountVectorizer(analyzer=list)).fit_store(store)
    with pytest.raises(TypeError, match="needs an estimator with partial_fit; NMF has none"):
        TopicModel(n_topics=2, estimator=NMF()).fit_stream(store_batches(store))


def test_write_outputs_leaves_the_old_file_when_a_write_fails(token_articles, tmp_path):
    from analysis.topics import write_outputs

    model = TopicModel(n_topics=3, tokens="whitespace").fit(token_articles)
    write_outputs(model, tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert set(before) == {"topics.csv", "doc_topics.csv", "metrics.json"}

    class HalfWritten:
        def to_csv(self, path, index=False):
            Path(path).write_text("article_id,topic,weight\nt00,")
            raise OSError(28, "No space left on device")

    model.doc_topics_frame = HalfWritten
    with pytest.raises(OSError, match="no space left"):
        write_outputs(model, tmp_path)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_stream_doc_topics_file_appears_only_when_complete(terms_store, tmp_path, monkeypatch):
    from analysis.topics import store_batches, stream

    store, _, _ = terms_store
    path = tmp_path / "doc_topics.csv"
    path.write_text("the previous run's rows\n")
    calls = []
    rows = stream._doc_topics_rows

    def fail_on_the_second_part(*args):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return rows(*args)

    monkeypatch.setattr(stream, "_doc_topics_rows", fail_on_the_second_part)
    with pytest.raises(KeyboardInterrupt):
        TopicModel(n_topics=3).fit_stream(store_batches(store), doc_topics=path)
    assert [p.name for p in tmp_path.iterdir()] == ["doc_topics.csv"]
    assert path.read_text() == "the previous run's rows\n"


# -- BLAS threads -------------------------------------------------------------------------------


def _blas_threads() -> set[int]:
    from threadpoolctl import threadpool_info

    return {i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}


def test_fit_runs_blas_on_one_thread_and_restores_the_callers_setting(token_articles):
    # Small dense products on two BLAS threads cost several times more on a busy machine than
    # on one: the model's work runs on one, and the caller's setting is back afterwards.
    from sklearn.decomposition import NMF
    from threadpoolctl import threadpool_limits

    seen = []

    def estimator(k):
        seen.append(_blas_threads())
        return NMF(k, init="nndsvda", random_state=0)

    with threadpool_limits(limits=2, user_api="blas"):
        assert _blas_threads() == {2}
        model = TopicModel(n_topics="auto", tokens="whitespace", estimator=estimator)
        model.fit(token_articles)
        assert seen and all(threads == {1} for threads in seen)
        assert _blas_threads() == {2}


def test_one_blas_thread_gives_the_same_topics_as_the_callers_threads(seed_article):
    # The limit changes summation order only: the topics and their ranking are the same.
    from threadpoolctl import threadpool_limits

    unlimited = TopicModel(n_topics=2, unit="paragraph")
    with threadpool_limits(limits=2, user_api="blas"):
        limited = TopicModel(n_topics=2, unit="paragraph").fit(seed_article)
        # The undecorated fit: BLAS on the two threads set here.
        TopicModel.fit.__wrapped__(unlimited, seed_article)
    assert limited.top_terms_ == unlimited.top_terms_
    np.testing.assert_allclose(limited.components_, unlimited.components_, rtol=0, atol=1e-12)
