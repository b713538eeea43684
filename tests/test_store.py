"""Tests for analysis.store: one parse per article, cache reuse, atomic output, engines agree."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from analysis.cache import FeatureCache, article_key
from analysis.cli import main
from analysis.corpus import load_corpus
from analysis.parts import _unify_parts
from analysis.store import extract_corpus, read_table

SMALL_TABLES = ("mentions", "quotes", "sentences", "numbers", "dates")


def _write_articles(folder, n, start=0):
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(start, start + n):
        (folder / f"a{i:03d}.txt").write_text(
            f"Talks resume in round {i}\n\nLONDON (Reuters) - Minister Jane Doe said on Monday that "
            f"{i + 2} soldiers were killed. “We will not give up,” she said.",
            encoding="utf-8",
        )


@pytest.fixture()
def seed_articles(seed_path):
    articles, _ = load_corpus(seed_path)
    return articles


def test_extract_seed_writes_every_table(tmp_path, seed_articles):
    out = tmp_path / "store"
    summary = extract_corpus(
        seed_articles, out, workers=1, cache_dir=tmp_path / "cache", progress=False
    )
    assert summary.articles == 1 and summary.parsed == 1 and summary.cached == 0
    for table in ("articles", "rejects", "actors") + SMALL_TABLES:
        assert (out / f"{table}.parquet").exists(), table
    quotes = read_table(out, "quotes")
    # The seed's twelve quotations, and one non-answer ("refused to elaborate further"); the
    # learned tagger's reported speech is opt-in (test_extract_reported_speech_option).
    assert (quotes["kind"].isin(["direct", "partial"])).sum() == 12
    assert list(quotes.loc[quotes["kind"] == "non_answer", "quote"]) == ["to elaborate further"]
    assert len(quotes) == 13
    assert quotes["role"].notna().all()
    assert set(quotes["article_id"]) == {"000_fbdc2a47216796c1"}
    text = seed_articles.loc[0, "text"]
    for row in quotes.itertuples():
        assert row.quote.strip(" ,.") in text[row.start : row.end]  # offsets index the text
    mentions = read_table(out, "mentions", filters=[("label", "==", "PERSON")])
    assert "Ashfaq Kayani" in set(mentions["actor"])
    assert json.loads((out / "summary.json").read_text())["articles"] == 1


def test_extract_reported_speech_option(tmp_path, seed_articles):
    # The option swaps the quotes extractor: its own pipeline key, so neither the cache nor the
    # store mixes articles extracted with and without it.
    cache = tmp_path / "cache"
    plain = extract_corpus(
        seed_articles, tmp_path / "plain", workers=1, cache_dir=cache, tables=["quotes"],
        progress=False,
    )  # fmt: skip
    opted = extract_corpus(
        seed_articles, tmp_path / "opted", workers=1, cache_dir=cache,
        tables=["quotes", "reported_speech"], progress=False,
    )  # fmt: skip
    assert plain.pipeline != opted.pipeline
    assert opted.parsed == 1 and opted.cached == 0
    without = read_table(tmp_path / "plain", "quotes")
    with_model = read_table(tmp_path / "opted", "quotes")
    assert "indirect" not in set(without["kind"]) and "indirect" in set(with_model["kind"])
    quotations = ["direct", "partial"]
    columns = ["start", "end", "quote", "kind", "cue", "speaker", "speaker_kind", "attribution"]
    assert (
        with_model[with_model["kind"].isin(quotations)][columns]
        .reset_index(drop=True)
        .equals(without[without["kind"].isin(quotations)][columns].reset_index(drop=True))
    )


def test_cli_reported_speech_flag(tmp_path, seed_path, capsys):
    out = tmp_path / "store"
    args = ["extract", str(seed_path), "-o", str(out), "--tables", "mentions,quotes"]
    assert main([*args, "--reported-speech", "--workers", "1", "--no-cache"]) == 0
    quotes = read_table(out, "quotes")
    assert {"direct", "partial", "indirect", "mixed", "non_answer"} <= set(quotes["kind"])
    from analysis.cache import pipeline_key

    # The store's pipeline records the option.
    summary = json.loads((out / "summary.json").read_text())
    assert summary["pipeline"] == pipeline_key(None, ("mentions", "quotes", "reported_speech"))
    assert summary["pipeline"] != pipeline_key(None, ("mentions", "quotes"))


def test_cli_reported_speech_without_the_model(tmp_path, seed_path, capsys, monkeypatch):
    from analysis import config

    monkeypatch.setattr(config, "ATTRIBUTION_MODEL_DIR", tmp_path / "attribution")
    out = tmp_path / "store"
    assert main(["extract", str(seed_path), "-o", str(out), "--reported-speech"]) == 1
    err = capsys.readouterr().err
    assert "--reported-speech" in err and str(tmp_path / "attribution") in err
    assert not out.exists()


def test_rerun_reads_cache_and_grown_corpus_parses_only_new(tmp_path):
    corpus = tmp_path / "corpus"
    _write_articles(corpus, 4)
    cache = tmp_path / "cache"
    articles, _ = load_corpus(corpus)
    first = extract_corpus(
        articles, tmp_path / "out", workers=1, cache_dir=cache, tables=SMALL_TABLES, progress=False
    )
    assert (first.parsed, first.cached) == (4, 0)
    before = read_table(tmp_path / "out", "mentions")
    again = extract_corpus(
        articles, tmp_path / "out", workers=1, cache_dir=cache, tables=SMALL_TABLES, progress=False
    )
    assert (again.parsed, again.cached) == (0, 4)
    pd.testing.assert_frame_equal(read_table(tmp_path / "out", "mentions"), before)
    _write_articles(corpus, 2, start=4)
    grown, _ = load_corpus(corpus)
    third = extract_corpus(
        grown, tmp_path / "out", workers=1, cache_dir=cache, tables=SMALL_TABLES, progress=False
    )
    assert (third.parsed, third.cached) == (2, 4)
    assert read_table(tmp_path / "out", "articles")["article_id"].tolist() == [
        f"a{i:03d}" for i in range(6)
    ]


def test_partitioned_output_bounded_by_part_size(tmp_path):
    corpus = tmp_path / "corpus"
    _write_articles(corpus, 5)
    articles, _ = load_corpus(corpus)
    extract_corpus(
        articles,
        tmp_path / "out",
        workers=1,
        cache_dir=None,
        tables=("dates",),
        part_size=2,
        chunk_size=1,
        progress=False,
    )
    parts = sorted((tmp_path / "out" / "articles.parquet").glob("part-*.parquet"))
    assert len(parts) == 3
    dates = read_table(tmp_path / "out", "dates")
    assert dates["article_id"].tolist() == [f"a{i:03d}" for i in range(5)]  # one "on Monday" each
    assert dates["text"].str.contains("Monday").all()


def test_failed_run_keeps_previous_output(tmp_path, seed_articles, monkeypatch):
    out = tmp_path / "out"
    extract_corpus(seed_articles, out, workers=1, cache_dir=None, tables=("dates",), progress=False)
    before = read_table(out, "dates")

    def boom(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("analysis.store._write_actors", boom)
    with pytest.raises(KeyboardInterrupt):
        extract_corpus(
            seed_articles, out, workers=1, cache_dir=None, tables=("dates",), progress=False
        )
    pd.testing.assert_frame_equal(read_table(out, "dates"), before)
    assert not list(tmp_path.glob(".out.tmp-*"))


def test_extractor_error_becomes_reject(tmp_path, seed_articles, monkeypatch):
    import analysis.dates

    def broken(doc, article):
        raise ValueError("bad date")

    monkeypatch.setattr(analysis.dates, "extract_dates", broken)
    summary = extract_corpus(
        seed_articles,
        tmp_path / "out",
        workers=1,
        cache_dir=None,
        tables=("dates", "numbers"),
        progress=False,
    )
    rejects = read_table(tmp_path / "out", "rejects")
    assert summary.rejects == 1
    assert "dates: ValueError: bad date" in rejects.loc[0, "reason"]
    assert len(read_table(tmp_path / "out", "numbers")) > 0


def test_cache_relabels_article_id(tmp_path):
    cache = FeatureCache(tmp_path, "p")
    cache.put("k" * 40, {"dates": [{"article_id": "old", "start": 1}]})
    assert cache.get("k" * 40, "new") == {"dates": [{"article_id": "new", "start": 1}]}
    assert cache.get("z" * 40, "new") is None


def test_article_key_depends_on_text_and_date():
    a = {"text": "x", "published": "2011-09-26"}
    assert article_key(a) != article_key({"text": "x", "published": None})
    assert article_key(a) == article_key(dict(a, headline="other"))


def test_unify_parts_with_all_null_column(tmp_path):
    folder = tmp_path / "t.parquet"
    folder.mkdir()
    pd.DataFrame({"a": ["x"], "v": [None]}).to_parquet(folder / "part-00000.parquet")
    pd.DataFrame({"a": ["y"], "v": [1.5]}).to_parquet(folder / "part-00001.parquet")
    _unify_parts(folder)
    assert pd.read_parquet(folder)["v"].tolist()[1] == 1.5


def test_cli_extract(tmp_path, seed_path, capsys):
    out = tmp_path / "store"
    code = main(
        [
            "extract",
            str(seed_path),
            "-o",
            str(out),
            "--workers",
            "1",
            "--no-cache",
            "--tables",
            "dates,numbers",
        ]
    )
    assert code == 0
    assert "extracted 1 articles" in capsys.readouterr().err
    assert len(read_table(out, "numbers")) >= 2


def test_cli_extract_unknown_table(tmp_path, seed_path, capsys):
    # An unknown table name is bad usage (exit 2), refused before anything is read or made.
    with pytest.raises(SystemExit) as exit_:
        main(["extract", str(seed_path), "-o", str(tmp_path / "o"), "--tables", "dates,nope"])
    assert exit_.value.code == 2
    assert "--tables: unknown feature table 'nope'" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


@pytest.mark.slow
def test_local_workers_and_dask_equal_single_process(tmp_path):
    corpus = tmp_path / "corpus"
    _write_articles(corpus, 12)
    articles, _ = load_corpus(corpus)
    kw = {"cache_dir": None, "tables": SMALL_TABLES, "chunk_size": 2, "progress": False}
    extract_corpus(articles, tmp_path / "one", workers=1, **kw)
    extract_corpus(articles, tmp_path / "two", workers=2, **kw)
    extract_corpus(articles, tmp_path / "dask", workers=2, engine="dask", **kw)
    for table in SMALL_TABLES + ("articles", "actors"):
        base = read_table(tmp_path / "one", table)
        assert len(base) > 0, table
        pd.testing.assert_frame_equal(read_table(tmp_path / "two", table), base)
        pd.testing.assert_frame_equal(read_table(tmp_path / "dask", table), base)


def test_the_code_key_is_kept_until_a_package_file_or_a_library_changes(tmp_path, monkeypatch):
    from analysis import cache, config, features, files
    from analysis.wire import parse_wire

    monkeypatch.setattr(config, "CACHE_DIR", tmp_path)
    walks = []
    real = features.code_key

    def walked(*args, **kwargs):
        walks.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(features, "code_key", walked)
    first = cache._code_key(("dates",), [parse_wire])
    assert first == real(("dates",), extra_roots=[parse_wire]) and len(walks) == 1
    assert cache._code_key(("dates",), [parse_wire]) == first and len(walks) == 1
    cache._code_key(("tone",), [parse_wire])  # other tables: their own key
    assert len(walks) == 2
    # An edited package file, or another version of any installed library: walked again.
    monkeypatch.setattr(files, "tree_digest", lambda folder: "an edited package")
    assert cache._code_key(("dates",), [parse_wire]) == first and len(walks) == 3

    class Upgraded:
        metadata = {"Name": "vaderSentiment"}
        version = "9.9"

    monkeypatch.setattr("importlib.metadata.distributions", lambda: [Upgraded()])
    cache._code_key(("dates",), [parse_wire])
    assert len(walks) == 4
    (tmp_path / cache.CODE_KEYS_FILE).write_text("{not json")  # damaged: walked, not trusted
    assert cache._code_key(("dates",), [parse_wire]) == first and len(walks) == 5
