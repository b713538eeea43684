"""Tests of a user's stop words for topics: the word-file reader, the model, streaming, the command."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from analysis.lexicon import UserListError, read_user_list
from analysis.topics import TopicModel, find_stop_words, read_stop_words

# Two themes, each with a filler word ("said", "week") a user wants out of the topics.
# Each filler is in a third of the articles, under the automatic max_df (half of them).
TOKEN_DOCS = [
    "tariff trade gatt said",
    "trade gatt tariff quota week",
    "gatt tariff trade import",
    "oil opec price said",
    "opec oil price barrel week",
    "price opec oil crude",
] * 2


def _write(path, text: str, encoding: str = "utf-8"):
    path.write_text(text, encoding=encoding)
    return path


# -- the reader -------------------------------------------------------------------------------


def test_user_list_keeps_entries_with_their_lines(tmp_path):
    path = _write(
        tmp_path / "words.txt",
        "\ufeff# my list\n\nsaid\n  prime   minister  # a phrase\nC#\n   # indented comment\n",
    )
    assert read_user_list(path) == ((3, "said"), (4, "prime minister"), (5, "C#"))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such stop-word file"),
        ("folder", "is a folder"),
        (b"said\n\x00\x01\x02", "binary"),
        (b"said\nweek\ncaf\xe9\n", "line 3: not UTF-8"),
        ("said\n---\n", "line 2: '---' has no letter or digit"),
    ],
)
def test_bad_stop_word_file_names_the_file(tmp_path, content, message):
    path = tmp_path / "stop.txt"
    if content == "folder":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(UserListError, match=message) as exc:
        read_stop_words(path)
    assert str(path) in str(exc.value)


def test_entries_become_terms(tmp_path):
    path = _write(tmp_path / "stop.txt", "Said\nPrime Minister\nU.S.\nprime_minister\n")
    stop = read_stop_words(path)
    # Lower case, words joined as the terms join them, an actor alias as its actor.
    assert stop.terms == {"said", "prime_minister", "united_states"}
    assert stop.files == (str(path),)


def test_stop_words_file_is_found_with_the_corpus(tmp_path):
    from analysis.corpus import load_corpus

    corpus = tmp_path / "news"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Headline\n\nText.\n", encoding="utf-8")
    assert find_stop_words([corpus]) == []
    # At the top of the corpus folder, like metadata.csv and actors.csv; not an article there.
    stop = _write(corpus / "stopwords.txt", "said\n")
    assert find_stop_words([corpus]) == [stop.resolve()]
    assert list(load_corpus([corpus])[0]["article_id"]) == ["a"]
    # In the folder of a corpus file; found once for both.
    (tmp_path / "other.jsonl").write_text("")
    beside = _write(tmp_path / "stopwords.txt", "week\n")
    assert find_stop_words([corpus, tmp_path / "other.jsonl", tmp_path / "other.jsonl"]) == [
        stop.resolve(),
        beside.resolve(),
    ]
    # A folder's stop words are its own, not its parent's.
    stop.unlink()
    assert find_stop_words([corpus]) == []


# -- the model --------------------------------------------------------------------------------


def test_stop_words_stay_out_of_the_vocabulary(tmp_path):
    path = _write(tmp_path / "stop.txt", "# fillers\nsaid\nweek\n")
    plain = TopicModel(2, tokens="whitespace").fit(TOKEN_DOCS)
    assert {"said", "week"} <= set(plain.vocabulary_)
    assert "stop_words" not in plain.metrics()  # a run without stop words is unchanged
    model = TopicModel(2, tokens="whitespace", stop_words=path).fit(TOKEN_DOCS)
    assert not {"said", "week"} & set(model.vocabulary_)
    assert not {"said", "week"} & {t for top in model.top_terms_ for t in top}
    assert model.metrics()["stop_words"] == {"files": [str(path)], "n_terms": 2}
    # A list works as the file does, and transform ignores the stop words too.
    listed = TopicModel(2, tokens="whitespace", stop_words=["Said", "week"]).fit(TOKEN_DOCS)
    assert listed.top_terms_ == model.top_terms_
    assert listed.transform(["said week said"]).sum() == 0


def test_a_split_phrase_does_not_bring_a_stop_word_back():
    # "chip_tariff" and "steel_tariff" are each in one unit: below min_df=2 they are split into
    # their words, which makes "tariff" frequent enough; a stop word must not come back so.
    docs = [
        ["chip_tariff", "trade", "gatt"],
        ["steel_tariff", "trade", "gatt", "chip"],
        ["trade", "gatt", "steel"],
        ["oil", "opec", "price"],
        ["opec", "price", "oil"],
    ]
    plain = TopicModel(2, min_df=2, max_df=1.0).fit(docs)
    assert {"tariff", "chip", "steel"} <= set(plain.vocabulary_)
    model = TopicModel(2, min_df=2, max_df=1.0, stop_words=["tariff"]).fit(docs)
    assert "tariff" not in model.vocabulary_
    assert {"chip", "steel"} <= set(model.vocabulary_)
    # Applying the model splits unknown phrases the same way.
    assert model.transform([["chip_tariff"]]).sum() > 0
    assert model.transform([["tariff"]]).sum() == 0


def test_stop_words_of_a_streamed_fit_match_fit():
    frame = pd.DataFrame({"article_id": [f"a{i}" for i in range(12)], "text": TOKEN_DOCS})
    params = {"n_topics": 2, "tokens": "whitespace", "stop_words": ["said", "week"]}
    memory = TopicModel(**params).fit(frame)
    stream = TopicModel(**params).fit_stream(lambda: iter([frame[:6], frame[6:]]), epochs=2)
    assert list(stream.vocabulary_) == list(memory.vocabulary_)
    assert not {"said", "week"} & set(stream.vocabulary_)


def test_bad_stop_words_argument():
    with pytest.raises(TypeError, match="stop_words"):
        TopicModel(2, tokens="whitespace", stop_words=[1, 2]).fit(TOKEN_DOCS)
    with pytest.raises(UserListError, match="missing.txt"):
        TopicModel(2, tokens="whitespace", stop_words="missing.txt").fit(TOKEN_DOCS)


# -- the command ------------------------------------------------------------------------------


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    rows = [{"id": f"a{i}", "text": t} for i, t in enumerate(TOKEN_DOCS)]
    (folder / "docs.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8"
    )
    return folder


def _topics(corpus, out, *extra):
    from analysis.cli import main

    args = ["topics", str(corpus), "-o", str(out), "--k", "2", "--tokens", "whitespace", *extra]
    return main(args)


def _terms(out) -> set[str]:
    return set(pd.read_csv(out / "topics.csv")["term"])


def test_cli_stop_words_option_and_file_with_the_corpus(tmp_path, corpus, capsys):
    assert _topics(corpus, tmp_path / "plain") == 0
    assert "said" in _terms(tmp_path / "plain")
    assert "stop_words" not in json.loads((tmp_path / "plain" / "metrics.json").read_text())

    given = _write(tmp_path / "mine.txt", "said\n")
    assert _topics(corpus, tmp_path / "given", "--stop-words", str(given)) == 0
    assert "said" not in _terms(tmp_path / "given") and "week" in _terms(tmp_path / "given")
    metrics = json.loads((tmp_path / "given" / "metrics.json").read_text())
    assert metrics["stop_words"] == {"files": [str(given)], "n_terms": 1}

    beside = _write(corpus / "stopwords.txt", "said\nweek\n")
    assert _topics(corpus, tmp_path / "found") == 0
    assert not {"said", "week"} & _terms(tmp_path / "found")
    metrics = json.loads((tmp_path / "found" / "metrics.json").read_text())
    assert metrics["stop_words"]["files"] == [str(beside.resolve())]
    assert str(beside.resolve()) in capsys.readouterr().err

    assert _topics(corpus, tmp_path / "ignored", "--no-stop-words") == 0
    assert {"said", "week"} <= _terms(tmp_path / "ignored")
    assert "stop_words" not in json.loads((tmp_path / "ignored" / "metrics.json").read_text())

    # Streaming reads the same stop words.
    assert _topics(corpus, tmp_path / "stream", "--stream") == 0
    assert not {"said", "week"} & _terms(tmp_path / "stream")


def test_cli_bad_stop_word_file_fails_naming_it(tmp_path, corpus, capsys):
    bad = tmp_path / "stop.txt"
    bad.write_bytes(b"said\n\xff\xfe\n")
    assert _topics(corpus, tmp_path / "out", "--stop-words", str(bad)) == 1
    err = capsys.readouterr().err
    assert "stop.txt, line 2" in err and "UTF-8" in err
    assert not (tmp_path / "out" / "topics.csv").exists()
    assert _topics(corpus, tmp_path / "out", "--stop-words", str(tmp_path / "nope.txt")) == 1
    assert "nope.txt" in capsys.readouterr().err


def test_keyness_leaves_stop_words_out_of_rows_and_totals():
    from scipy.stats import chi2_contingency

    from analysis.topics import keyness

    # "said" is 50 of the target's 150 terms; without it "a" is 10 of 100 against 2 of 100.
    target = [["a"] * 10 + ["z"] * 90 + ["said"] * 50]
    reference = [["a"] * 2 + ["z"] * 98]
    key = keyness(target, reference, min_count=1, stop_words=["said"]).set_index("term")
    assert "said" not in key.index
    by_hand = chi2_contingency([[10, 90], [2, 98]], correction=False, lambda_="log-likelihood")
    assert key.loc["a", "log_likelihood"] == pytest.approx(by_hand.statistic)
    assert key.loc["a", "per_10k_target"] == pytest.approx(1000)


def test_spacy_stop_words_are_read_without_importing_spacy():
    # A fresh interpreter: the list must equal spaCy's Defaults.stop_words, and reading it must
    # not import spaCy (the topic report's kernel would pay 0.6 s for it).
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from analysis.terms import _stopwords\n"
        "words = _stopwords('en')\n"
        "assert 'spacy' not in sys.modules, 'spaCy was imported'\n"
        "import spacy\n"
        "assert words == frozenset(spacy.util.get_lang_class('en').Defaults.stop_words)\n"
        "assert {'the', 'would', 'n\\'t', 'n’t'} <= words and 'minister' not in words\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
