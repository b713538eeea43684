"""Tests of the articles' ``published`` column as a date type (issue 17): the loader, the files
``load`` writes, the feature store, and the consumers that read it."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from analysis.actors import actor_table
from analysis.cache import article_key
from analysis.cli import main
from analysis.compare import group_keyness
from analysis.corpus import iter_corpus, load_corpus
from analysis.dates import extract_dates
from analysis.writers import write_table

DATE_FORMS = Path(__file__).parent / "fixtures" / "loader" / "date_forms.jsonl"
#: The fixture's ``published``: the day as written, at midnight (an offset is not applied).
EXPECTED = {
    "ahead-of-utc": "2024-03-05",
    "behind-utc": "2024-03-05",
    "day": "2024-03-05",
    "invalid": None,
    "month": None,
    "none": None,
    "wire": "1987-02-26",
}


def _days(column) -> list:
    return [None if pd.isna(v) else v.date().isoformat() for v in column]


@pytest.fixture(scope="module")
def date_forms():
    articles, rejects = load_corpus(DATE_FORMS)
    assert rejects.empty
    return articles


def test_seed_published_is_a_datetime_column(seed_path):
    articles, _ = load_corpus(seed_path)
    assert articles["published"].dtype == "datetime64[us]"
    assert articles["published"].isna().all()  # the seed carries no full date


def test_date_forms_load_as_naive_midnights_with_the_raw_input_kept(date_forms):
    published = date_forms.set_index("article_id")["published"]
    assert published.dtype == "datetime64[us]"  # naive: no timezone
    assert dict(zip(published.index, _days(published), strict=True)) == EXPECTED
    assert (published.dropna() == published.dropna().dt.normalize()).all()  # midnight
    raw = date_forms.set_index("article_id")["published_raw"]
    assert raw["behind-utc"] == "2024-03-05T23:30:00-05:00"
    assert raw["invalid"] == "not a date"
    assert raw["month"] == "2009-11"
    assert pd.isna(raw["none"])
    # The column works as a date type.
    assert published.dt.year.dropna().astype(int).tolist() == [2024, 2024, 2024, 1987]


def test_streamed_rows_carry_the_same_timestamps(date_forms):
    streamed = {r["article_id"]: r["published"] for r in iter_corpus(DATE_FORMS)}
    for aid, value in zip(date_forms["article_id"], date_forms["published"], strict=True):
        got = streamed[aid]
        assert (got is None and pd.isna(value)) or (isinstance(got, pd.Timestamp) and got == value)


def test_load_writes_a_parquet_timestamp_and_iso_days_in_text_files(tmp_path, date_forms):
    for suffix in ("parquet", "jsonl", "csv"):
        assert main(["load", str(DATE_FORMS), "-o", str(tmp_path / f"a.{suffix}")]) == 0
    field = pq.read_schema(tmp_path / "a.parquet").field("published")
    assert field.type == pa.timestamp("us")  # naive: no tz
    back = pd.read_parquet(tmp_path / "a.parquet")
    pd.testing.assert_series_equal(back["published"], date_forms["published"])
    # JSONL and CSV write the ISO day, as they did when the column was text.
    rows = [json.loads(line) for line in (tmp_path / "a.jsonl").read_text().splitlines()]
    assert {r["article_id"]: r["published"] for r in rows} == EXPECTED
    csv_rows = pd.read_csv(tmp_path / "a.csv", dtype=str, keep_default_na=False)
    assert dict(zip(csv_rows["article_id"], csv_rows["published"], strict=True)) == {
        k: v or "" for k, v in EXPECTED.items()
    }


def test_write_table_round_trips_the_column(tmp_path, date_forms):
    write_table(date_forms, tmp_path / "a.parquet")
    assert pq.read_schema(tmp_path / "a.parquet").field("published").type == pa.timestamp("us")
    back = pd.read_parquet(tmp_path / "a.parquet")
    pd.testing.assert_series_equal(back["published"], date_forms["published"])


def test_undated_corpus_still_writes_a_timestamp_column(tmp_path, seed_path):
    assert main(["load", str(seed_path), "-o", str(tmp_path / "a.parquet")]) == 0
    assert pq.read_schema(tmp_path / "a.parquet").field("published").type == pa.timestamp("us")


def test_cache_key_is_the_iso_day_whatever_the_type():
    text = {"text": "x", "published": "2011-09-26"}
    stamp = {"text": "x", "published": pd.Timestamp("2011-09-26")}
    assert article_key(text) == article_key(stamp)
    assert article_key({"text": "x", "published": None}) == article_key(
        {"text": "x", "published": pd.NaT}
    )
    assert article_key(text) != article_key({"text": "x", "published": None})


def test_dates_resolve_the_same_against_a_timestamp(nlp):
    doc = nlp("He arrived yesterday and will leave on Friday, officials said on Monday.")
    as_text = extract_dates(doc, {"article_id": "a", "published": "2011-09-26"})
    as_stamp = extract_dates(doc, {"article_id": "a", "published": pd.Timestamp("2011-09-26")})
    assert as_text == as_stamp
    assert any(r["resolved"] == "2011-09-25" for r in as_stamp)


def test_actor_first_and_last_seen_are_iso_days_from_timestamps():
    mentions = pd.DataFrame(
        {
            "article_id": ["a1", "a2", "a3"],
            "start": [0, 0, 0],
            "end": [8, 8, 8],
            "text": ["Pakistan"] * 3,
            "label": ["GPE"] * 3,
            "title": [None] * 3,
            "actor": ["Pakistan"] * 3,
            "sentence": [0, 0, 0],
        }
    )
    articles = pd.DataFrame(
        {"article_id": ["a1", "a2", "a3"], "published": ["2011-09-26", None, "2011-09-20"]}
    )
    dated = articles.assign(published=pd.to_datetime(articles["published"]))
    as_text = actor_table(mentions, articles)
    as_dates = actor_table(mentions, dated)
    pd.testing.assert_frame_equal(as_text, as_dates)
    assert as_dates.loc[0, ["first_seen", "last_seen"]].tolist() == ["2011-09-20", "2011-09-26"]


def test_group_keyness_selects_a_period_of_timestamps():
    articles = pd.DataFrame(
        {
            "article_id": ["a", "b", "c"],
            "text": ["flood rain flood", "rain storm", "budget tax budget"],
            "published": pd.to_datetime(["2011-09-26", "2011-09-02", "2011-10-01"]),
        }
    )
    as_text = articles.assign(published=["2011-09-26", "2011-09-02", "2011-10-01"])
    got = group_keyness(articles, "published", "2011-09", min_count=1)
    pd.testing.assert_frame_equal(got, group_keyness(as_text, "published", "2011-09", min_count=1))
    assert "flood" in set(got["term"])


def test_feature_store_articles_keep_the_timestamp(tmp_path, date_forms, seed_path):
    from analysis.store import extract_corpus, read_table

    out = tmp_path / "store"
    extract_corpus(date_forms, out, workers=1, cache_dir=None, tables=("dates",), progress=False)
    parts = sorted((out / "articles.parquet").glob("part-*.parquet"))
    assert pq.read_schema(parts[0]).field("published").type == pa.timestamp("us")
    back = read_table(out, "articles").set_index("article_id")
    expected = date_forms.set_index("article_id")["published"]
    pd.testing.assert_series_equal(back["published"], expected)
    # An undated corpus: a timestamp column of NaT, not a column of nothing.
    seed, _ = load_corpus(seed_path)
    extract_corpus(
        seed, tmp_path / "s", workers=1, cache_dir=None, tables=("dates",), progress=False
    )
    assert read_table(tmp_path / "s", "articles")["published"].dtype == "datetime64[us]"


def test_a_store_written_with_text_dates_is_refilled_from_the_cache(tmp_path, monkeypatch):
    import functools
    import shutil

    import analysis.store
    from analysis import files
    from analysis.store import STATE_NAME, fill_feature_store, read_table

    monkeypatch.setattr("analysis.config.CACHE_DIR", tmp_path / "cache")
    # The per-article cache's default folder is fixed at import: this test's own, empty one.
    extract = functools.partial(analysis.store.extract_corpus, cache_dir=tmp_path / "features")
    monkeypatch.setattr(analysis.store, "extract_corpus", extract)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(DATE_FORMS, corpus / "a.jsonl")
    store, ran = fill_feature_store(corpus, tables=("dates",), progress=False)
    assert ran is not None and ran.parsed == len(EXPECTED)
    dates = read_table(store, "dates")
    # What an earlier version left: text dates, and a state without the articles format.
    articles = read_table(store, "articles")
    articles["published"] = articles["published"].map(
        lambda v: None if pd.isna(v) else v.date().isoformat()
    )
    files.remove(store / "articles.parquet")
    (store / "articles.parquet").mkdir()
    articles.to_parquet(store / "articles.parquet" / "part-00000.parquet", index=False)
    state = files.read_json(store / STATE_NAME)
    del state["articles_format"]
    files.write_json(store / STATE_NAME, state)

    again, ran = fill_feature_store(corpus, tables=("dates",), progress=False)
    assert again == store and ran is not None  # refilled, not read as it was
    assert ran.cached == len(EXPECTED) and ran.parsed == 0  # every article from the cache
    assert read_table(store, "articles")["published"].dtype == "datetime64[us]"
    pd.testing.assert_frame_equal(read_table(store, "dates"), dates)
    monkeypatch.setattr(analysis.store, "extract_corpus", None)  # filled: nothing runs now
    assert fill_feature_store(corpus, tables=("dates",), progress=False) == (store, None)


def test_tables_shown_to_a_reader_show_the_day(date_forms):
    from analysis.reports.sections import published_days

    shown = published_days(date_forms).set_index("article_id")["published"]
    assert shown.dtype == object
    assert shown.to_dict() == EXPECTED  # the day as text, None (not NaT) when unknown
    assert published_days(date_forms.drop(columns="published")).equals(
        date_forms.drop(columns="published")
    )
