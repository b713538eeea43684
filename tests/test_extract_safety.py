"""extract under hostile conditions: foreign output folders, over-long and pathological articles,
failures inside a chunk, mixed metadata, interrupts, damaged caches, bad options, a full disk."""

from __future__ import annotations

import errno
import gzip
import hashlib
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import analysis.nlp
from analysis import files
from analysis.cache import FeatureCache, article_key, decode_cache_entry, encode_cache_entry
from analysis.cli import main
from analysis.corpus import load_corpus
from analysis.nlp import MAX_PUNCT_RUN, normalise_for_parse, parse, split_points
from analysis.parts import _unify_parts
from analysis.store import extract_corpus, feature_store, process_chunk, read_table

SMALL = ("mentions", "quotes", "sentences", "numbers", "dates")
ALL_TABLES = (
    "articles",
    "actors",
    "rejects",
    "mentions",
    "quotes",
    "sentences",
    "numbers",
    "counts",
    "dates",
    "sentiment",
    "tone",
    "terms",
)


def _write_articles(folder: Path, n: int, start: int = 0) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(start, start + n):
        (folder / f"a{i:03d}.txt").write_text(
            f"Talks resume in round {i}\n\nLONDON (Reuters) - Minister Jane Doe said on Monday that "
            f"{i + 2} soldiers were killed. “We will not give up,” she said.\n\nThe talks in "
            f"Geneva continue on Tuesday, officials said.",
            encoding="utf-8",
        )
    return folder


def _tree_digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _assert_same_tables(a: Path, b: Path, tables=ALL_TABLES) -> None:
    for table in tables:
        pd.testing.assert_frame_equal(read_table(a, table), read_table(b, table), check_exact=True)


def _records(articles: pd.DataFrame) -> list[dict]:
    return articles.astype(object).where(articles.notna(), None).to_dict("records")


# --- 1. the output folder ------------------------------------------------------------------------


def test_extract_refuses_a_folder_holding_other_files(tmp_path, seed_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.docx").write_text("two years of work")
    code = main(["extract", str(seed_path), "-o", str(out), "--workers", "1", "--no-cache"])
    assert code == 1
    err = capsys.readouterr().err
    assert str(out) in err and "-o" in err and "thesis.docx" in err
    assert [p.name for p in out.iterdir()] == ["thesis.docx"]
    assert (out / "thesis.docx").read_text() == "two years of work"
    assert not list(tmp_path.glob(".mine.*"))


@pytest.mark.parametrize("where", ["corpus", "inside"])
def test_extract_never_writes_into_the_corpus(tmp_path, where, capsys):
    corpus = _write_articles(tmp_path / "corpus", 2)
    before = _tree_digest(corpus)
    out = corpus if where == "corpus" else corpus / "features"
    code = main(["extract", str(corpus), "-o", str(out), "--workers", "1", "--no-cache"])
    assert code == 1
    err = capsys.readouterr().err
    assert "corpus" in err and "-o" in err and str(out) in err
    assert _tree_digest(corpus) == before
    assert sorted(p.name for p in corpus.iterdir()) == ["a000.txt", "a001.txt"]


def test_extract_replaces_only_its_own_marked_folder(tmp_path, seed_path):
    out = tmp_path / "store"
    args = ["extract", str(seed_path), "-o", str(out), "--workers", "1", "--no-cache"]
    assert main([*args, "--tables", "dates"]) == 0
    assert files.is_output_folder(out)
    assert main([*args, "--tables", "numbers"]) == 0  # its own folder: replaced
    assert (out / "numbers.parquet").exists() and not (out / "dates.parquet").exists()


def test_a_store_of_the_earlier_version_is_adopted(tmp_path, seed_path):
    out = tmp_path / "store"
    assert main(["extract", str(seed_path), "-o", str(out), "--workers", "1", "--no-cache"]) == 0
    (out / files.MARKER).unlink()  # as the version before markers left it
    assert main(["extract", str(seed_path), "-o", str(out), "--tables", "dates", "--no-cache"]) == 0
    assert files.is_output_folder(out)
    (out / "notes.txt").write_text("mine")  # a user's file: no longer a pure store
    (out / files.MARKER).unlink()
    assert main(["extract", str(seed_path), "-o", str(out), "--no-cache"]) == 1
    assert (out / "notes.txt").read_text() == "mine"


def test_feature_store_marks_its_folder(tmp_path, seed_path, monkeypatch):
    monkeypatch.setattr("analysis.config.CACHE_DIR", tmp_path / "cache")
    store = feature_store(seed_path, tables=("dates",), progress=False)
    assert store.parent == tmp_path / "cache" / "stores"
    assert files.is_output_folder(store)
    assert len(read_table(store, "dates")) > 0
    again = feature_store(seed_path, tables=("dates",), progress=False)
    assert again == store


def test_feature_store_is_filled_once_until_an_article_changes(tmp_path, seed_path, monkeypatch):
    import shutil

    import analysis.store

    monkeypatch.setattr("analysis.config.CACHE_DIR", tmp_path / "cache")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(seed_path, corpus / "a.txt")
    store, ran = analysis.store.fill_feature_store(corpus, tables=("dates",), progress=False)
    assert ran is not None and ran.articles == 1

    def no_extract(*args, **kwargs):
        raise AssertionError("the store was filled from these articles already")

    monkeypatch.setattr(analysis.store, "extract_corpus", no_extract)
    assert analysis.store.fill_feature_store(corpus, tables=("dates",), progress=False) == (
        store,
        None,
    )
    # An edited article refills it (here: the guard above fires).
    (corpus / "a.txt").write_text(seed_path.read_text() + "\n\nOne more paragraph.\n")
    with pytest.raises(AssertionError, match="filled from these articles"):
        analysis.store.fill_feature_store(corpus, tables=("dates",), progress=False)


# --- 2. over-long articles -----------------------------------------------------------------------


def test_split_points_cut_at_paragraphs_then_sentences_then_spaces():
    text = "One two. Three four.\n\nFive six seven.\n\n" + "x" * 30
    cuts = split_points(text, 25)
    bounds = [0, *cuts, len(text)]
    assert all(0 < b - a <= 25 for a, b in zip(bounds, bounds[1:], strict=False))
    assert cuts[0] == text.index("Five")  # a paragraph start
    assert split_points("Aa bb. Cc dd. Ee ff.", 10) == [7, 14]  # after sentence ends
    assert split_points("aaaa bbbb cccc", 7) == [5, 10]  # after whitespace
    assert split_points("a" * 25, 10) == [10, 20]  # no whitespace at all: hard cuts
    assert split_points("short", 10) == []


@pytest.fixture()
def store_nlp():
    """The pipeline ``process_chunk`` parses with (``load_nlp(None)``, cached apart from ``nlp``)."""
    return analysis.nlp.load_nlp(None)


def test_over_long_article_parses_in_pieces_like_the_whole(store_nlp, seed_articles, monkeypatch):
    rows = _records(seed_articles)
    whole = process_chunk(rows, cache_dir=None)
    text = rows[0]["text"]
    monkeypatch.setattr(store_nlp, "max_length", 1200)  # the seed (4,011 characters) is too long
    calls = []
    real = analysis.nlp.parse_long
    monkeypatch.setattr(
        analysis.nlp, "parse_long", lambda t, **kw: calls.append(t) or real(t, **kw)
    )
    doc = next(parse([text], nlp=store_nlp))
    assert doc.text == normalise_for_parse(text) and len(doc.text) == len(text)
    assert len(list(doc.sents)) == len(whole.tables["sentences"])
    pieces = process_chunk(rows, cache_dir=None)
    assert len(calls) == 2  # the parse above, and the chunk's: both in pieces
    assert pieces.errors == [] and whole.errors == []
    for table, expected in whole.tables.items():
        assert pieces.tables[table] == expected, table
    for row in pieces.tables["sentences"]:
        assert text[row["start"] : row["end"]] == row["text"]


def test_cli_over_long_article_loses_no_other_article(tmp_path, store_nlp, monkeypatch, capsys):
    corpus = _write_articles(tmp_path / "corpus", 2)
    paragraph = "The minister said on Monday that the talks in Geneva would resume soon. "
    long_text = "Long report\n\n" + "\n\n".join(paragraph * 3 for _ in range(40))
    (corpus / "long.txt").write_text(long_text, encoding="utf-8")
    monkeypatch.setattr(store_nlp, "max_length", 2000)  # spaCy now refuses the long article
    out = tmp_path / "out"
    code = main(["extract", str(corpus), "-o", str(out), "--workers", "1", "--no-cache"])
    assert code == 0, capsys.readouterr().err
    assert read_table(out, "articles")["article_id"].tolist() == ["a000", "a001", "long"]
    assert read_table(out, "rejects").empty
    sentences = read_table(out, "sentences")
    long_article = read_table(out, "articles").set_index("article_id").loc["long", "text"]
    assert len(long_article) > 2000
    long_rows = sentences[sentences["article_id"] == "long"]
    assert len(long_rows) == 120
    for row in long_rows.itertuples():
        assert long_article[row.start : row.end] == row.text


# --- 3. failures inside a chunk or while writing -------------------------------------------------


def test_a_failure_inside_nlp_pipe_costs_only_its_article(tmp_path, monkeypatch):
    articles, _ = load_corpus(_write_articles(tmp_path / "corpus", 4))
    articles.loc[2, "text"] = articles.loc[2, "text"] + " POISON"
    real_parse = analysis.nlp.parse

    def fragile(texts, **kwargs):
        texts = list(texts)
        if any("POISON" in t for t in texts):
            raise RuntimeError("the parser crashed")
        yield from real_parse(texts, **kwargs)

    monkeypatch.setattr(analysis.nlp, "parse", fragile)
    out = tmp_path / "out"
    summary = extract_corpus(articles, out, workers=1, cache_dir=None, tables=SMALL, progress=False)
    rejects = read_table(out, "rejects")
    assert len(rejects) == 1 and summary.parsed == 3
    assert rejects.loc[0, "reason"].startswith("article a002: parse failed: RuntimeError")
    assert rejects.loc[0, "source"].endswith("a002.txt")
    dates = read_table(out, "dates")
    assert sorted(set(dates["article_id"])) == ["a000", "a001", "a003"]
    assert read_table(out, "articles")["article_id"].tolist() == ["a000", "a001", "a002", "a003"]


def _mixed_metadata_corpus(folder: Path) -> Path:
    folder.mkdir()
    records = [
        {"id": "m1", "text": "Officials said on Monday that 3 soldiers died.", "extra": 1},
        {"id": "m2", "text": "Officials said on Tuesday that talks resume.", "extra": "one"},
        {"id": "m3", "text": "Officials said on Friday that nothing changed.", "extra": {}},
        {"id": "m4", "text": "Officials said on Sunday that 4 were hurt.", "extra": 2.5},
        {"id": "m5", "text": "Officials said on Sunday that 5 were hurt.", "big": 2**70},
    ]
    (folder / "m.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    return folder


@pytest.mark.parametrize("part_size", [1, 100])
def test_metadata_of_mixed_types_is_written_as_text(tmp_path, part_size):
    articles, _ = load_corpus(_mixed_metadata_corpus(tmp_path / "corpus"))
    out = tmp_path / "out"
    extract_corpus(
        articles,
        out,
        workers=1,
        cache_dir=None,
        tables=("dates",),
        part_size=part_size,
        chunk_size=1,
        progress=False,
    )
    table = read_table(out, "articles")
    assert table["extra"].tolist()[:4] == ["1", "one", "{}", "2.5"]  # one rule, any part size
    assert table["big"].tolist()[4] == str(2**70)
    assert read_table(out, "rejects").empty
    assert len(read_table(out, "dates")) == 5


def test_unify_parts_turns_conflicting_kinds_into_text_and_keeps_lists(tmp_path):
    folder = tmp_path / "t.parquet"
    folder.mkdir()
    pd.DataFrame({"a": ["x"], "v": [1], "tags": [["p"]], "n": [1]}).to_parquet(
        folder / "part-00000.parquet"
    )
    pd.DataFrame({"a": ["y"], "v": ["two"], "tags": [[]], "n": [2.5]}).to_parquet(
        folder / "part-00001.parquet"
    )
    pd.DataFrame({"a": ["z"], "v": [None], "tags": [["q", "r"]], "n": [None]}).to_parquet(
        folder / "part-00002.parquet"
    )
    _unify_parts(folder)
    table = pd.read_parquet(folder)
    assert table["v"].tolist()[:2] == ["1", "two"] and pd.isna(table["v"].tolist()[2])
    assert [list(t) for t in table["tags"]] == [["p"], [], ["q", "r"]]
    assert table["n"].tolist()[:2] == [1.0, 2.5]


def test_rows_that_cannot_be_written_become_rejects(tmp_path, monkeypatch):
    import analysis.parts as parts

    articles, _ = load_corpus(_write_articles(tmp_path / "corpus", 3))
    real = parts._to_arrow

    def refuse_a001(frame, schema=None):
        if "a001" in set(frame.get("article_id", [])) and "resolved" in frame.columns:
            raise ValueError("cannot hold this")
        return real(frame, schema)

    monkeypatch.setattr(parts, "_to_arrow", refuse_a001)
    out = tmp_path / "out"
    extract_corpus(articles, out, workers=1, cache_dir=None, tables=("dates",), progress=False)
    assert sorted(set(read_table(out, "dates")["article_id"])) == ["a000", "a002"]
    rejects = read_table(out, "rejects")
    assert rejects["reason"].tolist() == [
        "article a001: dates rows cannot be written: ValueError: cannot hold this"
    ]


def test_lone_surrogates_do_not_stop_the_run(tmp_path):
    rows = [
        {"article_id": "s1", "source": "s1.jsonl", "text": "Minister Jane Doe said \ud800 fine."},
        {"article_id": "s2", "source": "s2.jsonl", "text": "Officials said on Monday it ended."},
    ]
    out = tmp_path / "out"
    extract_corpus(rows, out, workers=1, cache_dir=None, tables=SMALL, progress=False)
    texts = read_table(out, "articles")["text"].tolist()
    assert texts[0] == "Minister Jane Doe said \ufffd fine."  # same length, same offsets
    assert sorted(set(read_table(out, "sentences")["article_id"])) == ["s1", "s2"]


# --- 4. interrupts -------------------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2 :].split()
        if int(fields[1]) == pid:
            kids.append(int(stat.parent.name))
    return kids


def _running(pid: int) -> bool:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return text[text.rindex(")") + 2 :].split()[0] != "Z"


def _workers(pid: int) -> list[int]:
    out = []
    for kid in _children(pid):
        try:
            cmdline = Path(f"/proc/{kid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"resource_tracker" not in cmdline:
            out.append(kid)
    return out


@pytest.fixture()
def busy_corpus(tmp_path):
    """A corpus and a previous feature store of it; the runs below are interrupted mid-way."""
    corpus = _write_articles(tmp_path / "corpus", 80)
    out = tmp_path / "out"
    articles, _ = load_corpus(corpus)
    extract_corpus(
        articles.head(2), out, workers=1, cache_dir=None, tables=("dates",), progress=False
    )
    return corpus, out


def _start_extract(corpus: Path, out: Path, *extra: str, cache: Path | None = None):
    caching = ["--cache-dir", str(cache)] if cache else ["--no-cache"]
    return subprocess.Popen(
        [sys.executable, "-m", "analysis", "extract", str(corpus), "-o", str(out), *caching]
        + ["--workers", "2", "--chunk-size", "1", *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own group, as a shell job: Ctrl-C goes to the group
        preexec_fn=_as_in_a_terminal,
    )


def _as_in_a_terminal() -> None:
    # pytest started in the background by a script has Ctrl-C ignored, and a child inherits
    # that; a command typed in a terminal does not.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _entries(cache: Path) -> int:
    return sum(1 for p in cache.rglob("*.gz") if not p.name.startswith("."))


def _wait_for_workers(proc: subprocess.Popen, n: int = 2, timeout: float = 240) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        workers = _workers(proc.pid)
        if len(workers) >= n:
            return workers
        if proc.poll() is not None:
            raise AssertionError(f"extract ended early: {proc.stderr.read().decode()[-2000:]}")
        time.sleep(0.1)
    proc.kill()
    raise AssertionError("the workers never started")


def _assert_clean_stop(proc, workers, out, before, how, budget=30.0, dask=False):
    start = time.monotonic()
    try:
        proc.wait(timeout=budget)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        raise AssertionError(f"extract did not stop within {budget}s after {how}") from None
    err = proc.stderr.read().decode()
    assert proc.returncode == 130, err[-2000:]
    assert "interrupted; the previous output is unchanged" in err
    for sign in ("Exception ignored", "never retrieved", "error:", "KeyboardInterrupt"):
        assert sign not in err, err[-2000:]
    if not dask:  # Dask's workers log their own closing troubles, tracebacks included
        assert "Traceback" not in err, err[-2000:]
    grace = time.monotonic() + 5
    while any(_running(w) for w in workers) and time.monotonic() < grace:
        time.sleep(0.1)
    assert not [w for w in workers if _running(w)], f"workers outlived extract after {how}"
    assert not list(out.parent.glob(f".{out.name}.*")), "a temporary folder was left"
    assert _tree_digest(out) == before, "the previous output changed"
    return time.monotonic() - start


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_interrupt_stops_workers_and_keeps_previous_output(busy_corpus, how):
    corpus, out = busy_corpus
    cache = out.parent / "cache"
    before = _tree_digest(out)
    proc = _start_extract(corpus, out, "--chunk-size", "4", cache=cache)
    workers = _wait_for_workers(proc)
    deadline = time.monotonic() + 240
    while _entries(cache) < 1 and time.monotonic() < deadline:  # chunks done, more queued
        time.sleep(0.05)
    at_signal = _entries(cache)
    if how == "ctrl-c":
        os.killpg(proc.pid, signal.SIGINT)  # what the terminal sends on Ctrl-C
    else:
        os.kill(proc.pid, signal.SIGTERM)
    _assert_clean_stop(proc, workers, out, before, how)
    # Queued chunks are cancelled, running ones ended: at most the two running chunks (of 4
    # articles) may finish, not the several chunks still queued.
    assert _entries(cache) - at_signal <= 8, "queued chunks were still run after the interrupt"


def test_killed_run_leaves_no_orphan_and_the_next_run_cleans_up(busy_corpus):
    corpus, out = busy_corpus
    _write_articles(corpus, 720, start=80)  # enough work that a fast machine is still busy
    proc = _start_extract(corpus, out)
    workers = _wait_for_workers(proc)
    deadline = time.monotonic() + 60
    while not list(out.parent.glob(f".{out.name}.tmp-{proc.pid}-*")):
        assert proc.poll() is None and time.monotonic() < deadline, "no temporary output"
        time.sleep(0.05)
    time.sleep(0.5)
    assert proc.poll() is None, "extract finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)  # no handler runs: the workers must notice by themselves
    assert proc.wait(timeout=30) == -signal.SIGKILL
    grace = time.monotonic() + 10
    while any(_running(w) for w in workers) and time.monotonic() < grace:
        time.sleep(0.1)
    assert not [w for w in workers if _running(w)], "workers outlived a killed extract"
    assert list(out.parent.glob(f".{out.name}.tmp-{proc.pid}-*"))  # what the kill left
    articles, _ = load_corpus(corpus)
    extract_corpus(
        articles.head(1), out, workers=1, cache_dir=None, tables=("dates",), progress=False
    )
    assert not list(out.parent.glob(f".{out.name}.*"))


@pytest.mark.slow
def test_interrupt_closes_the_dask_local_cluster(busy_corpus):
    corpus, out = busy_corpus
    before = _tree_digest(out)
    proc = _start_extract(corpus, out, "--engine", "dask")
    workers = _wait_for_workers(proc)
    time.sleep(1.0)
    os.kill(proc.pid, signal.SIGTERM)
    _assert_clean_stop(proc, workers, out, before, "SIGTERM (dask)", budget=180, dask=True)


# --- 5. the cache --------------------------------------------------------------------------------


def test_cache_entries_are_checksummed_json(tmp_path):
    cache = FeatureCache(tmp_path, "p")
    assert cache.put("ab" + "0" * 38, {"dates": [{"article_id": "x", "start": 1}]})
    raw = gzip.decompress((tmp_path / "p" / "ab" / ("ab" + "0" * 38 + ".json.gz")).read_bytes())
    head, payload = raw.split(b"\n", 1)
    header = json.loads(head)
    assert header["sha256"] == hashlib.sha256(payload).hexdigest()
    assert json.loads(payload) == {"dates": [{"start": 1}]}


def test_cached_values_read_back_with_their_types():
    row = {
        "i": 3,
        "big": 2**70,
        "f": 0.1,
        "neg0": -0.0,
        "nan": math.nan,
        "inf": -math.inf,
        "none": None,
        "t": True,
        "s": "naïve “quote” \ud800 \n",
        "lst": [1, 2.5, None, "x", [True]],
        "empty": [],
    }
    back = decode_cache_entry(encode_cache_entry({"t": [row]}))["t"][0]
    assert list(back) == list(row)
    for key, value in row.items():
        got = back[key]
        assert type(got) is type(value), key
        if key == "nan":
            assert math.isnan(got)
        else:
            assert repr(got) == repr(value), key


def test_rows_the_cache_cannot_give_back_are_not_cached(tmp_path):
    cache = FeatureCache(tmp_path, "p")
    assert not cache.put("k" * 40, {"dates": [{"span": (1, 2)}]})
    assert "unstorable" in cache.problems
    assert not list(tmp_path.rglob("*.json.gz"))


def _damage(path: Path, how: str) -> None:
    if how == "bad gzip":
        path.write_bytes(b"\x1f\x8b\x08garbage")
    elif how == "not a cache entry":
        path.write_bytes(gzip.compress(b"hello world"))
    elif how == "a pickle":
        import pickle

        path.write_bytes(gzip.compress(pickle.dumps({"dates": []})))
    elif how == "checksum":
        head, payload = gzip.decompress(path.read_bytes()).split(b"\n", 1)
        path.write_bytes(gzip.compress(head + b"\n" + payload.replace(b"1", b"2", 1)))
    elif how == "wrong shape":
        payload = json.dumps({"dates": [[1, 2]]}).encode()
        header = json.dumps({"format": 1, "sha256": hashlib.sha256(payload).hexdigest()})
        path.write_bytes(gzip.compress(header.encode() + b"\n" + payload))
    elif how == "unreadable":
        path.unlink()
        path.mkdir()  # reading it fails with an OSError, whoever runs the test
    elif how == "empty":
        path.write_bytes(b"")


@pytest.mark.parametrize(
    "how",
    ["bad gzip", "not a cache entry", "a pickle", "checksum", "wrong shape", "unreadable", "empty"],
)
def test_damaged_cache_entries_are_misses_with_one_warning(tmp_path, how, capsys):
    articles, _ = load_corpus(_write_articles(tmp_path / "corpus", 3))
    cache = tmp_path / "cache"
    kw = {"workers": 1, "cache_dir": cache, "tables": SMALL, "progress": False}
    extract_corpus(articles, tmp_path / "fresh", **kw)
    entries = sorted(cache.rglob("*.json.gz"))
    assert len(entries) == 3
    for entry in entries:
        _damage(entry, how)
    capsys.readouterr()
    summary = extract_corpus(articles, tmp_path / "again", **kw)
    assert (summary.parsed, summary.cached) == (3, 0)
    warnings = [ln for ln in capsys.readouterr().err.splitlines() if "warning" in ln]
    assert len(warnings) == 1, warnings
    assert str(cache) in warnings[0]
    assert sum(summary.cache_problems.values()) == 3
    _assert_same_tables(tmp_path / "fresh", tmp_path / "again", SMALL + ("articles",))


def test_an_entry_that_cannot_be_replaced_costs_only_that_entry(tmp_path, capsys):
    # A folder sitting at the first article's entry name: that article is parsed again, and the
    # articles after it in the same chunk are still cached (the folder is not "unwritable").
    articles, _ = load_corpus(_write_articles(tmp_path / "corpus", 3))
    cache = tmp_path / "cache"
    kw = {"workers": 1, "cache_dir": cache, "tables": SMALL, "progress": False}
    extract_corpus(articles, tmp_path / "fresh", **kw)
    first = next(cache.rglob(f"{article_key(_records(articles)[0])}.json.gz"))
    others = [p for p in cache.rglob("*.json.gz") if p != first]
    assert len(others) == 2
    _damage(first, "unreadable")
    for entry in others:
        entry.unlink()
    capsys.readouterr()
    summary = extract_corpus(articles, tmp_path / "again", **kw)
    assert (summary.parsed, summary.cached) == (3, 0)
    assert all(entry.is_file() for entry in others)
    assert summary.cache_problems == {"unreadable": 1}
    assert first.is_dir()


@pytest.mark.parametrize("failure", ["disk full", "read-only", "not a folder"])
def test_a_cache_that_cannot_be_written_is_one_warning_and_leaves_nothing(
    tmp_path, failure, monkeypatch, capsys
):
    articles, _ = load_corpus(_write_articles(tmp_path / "corpus", 3))
    cache = tmp_path / "cache"
    if failure == "not a folder":
        cache.write_text("a file where the cache should be")
    else:
        code = errno.ENOSPC if failure == "disk full" else errno.EROFS
        real = Path.write_bytes

        def failing(self, data):
            if ".json.gz" in self.name:
                real(self, data[: len(data) // 2])  # half written, then the disk is full
                raise OSError(code, os.strerror(code))
            return real(self, data)

        monkeypatch.setattr(Path, "write_bytes", failing)
    summary = extract_corpus(
        articles, tmp_path / "out", workers=1, cache_dir=cache, tables=SMALL, progress=False
    )
    assert summary.parsed == 3
    warnings = [ln for ln in capsys.readouterr().err.splitlines() if "warning" in ln]
    assert len(warnings) == 1 and "cannot be written" in warnings[0], warnings
    if cache.is_dir():
        assert not [p for p in cache.rglob("*") if p.is_file()], "a partial cache file was left"
    assert read_table(tmp_path / "out", "dates")["article_id"].nunique() == 3
    assert summary.cache_problems == {"unwritable": 1}


def test_cold_and_warm_cache_give_identical_tables_on_the_seed(tmp_path, seed_articles):
    cache = tmp_path / "cache"
    cold = extract_corpus(seed_articles, tmp_path / "cold", workers=1, cache_dir=cache)
    warm = extract_corpus(seed_articles, tmp_path / "warm", workers=1, cache_dir=cache)
    assert (cold.parsed, warm.parsed, warm.cached) == (1, 0, 1)
    _assert_same_tables(tmp_path / "cold", tmp_path / "warm")
    assert not list(cache.rglob("*.pkl.gz"))


# --- 6. options, the model, a full disk ----------------------------------------------------------


@pytest.mark.parametrize("option", ["--workers", "--chunk-size", "--part-size"])
@pytest.mark.parametrize("value", ["0", "-2", "two"])
def test_sizes_below_one_are_bad_usage(tmp_path, seed_path, option, value, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["extract", str(seed_path), "-o", str(tmp_path / "o"), option, value])
    assert exit_.value.code == 2
    assert option in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_unknown_model_is_a_clear_error_before_any_folder(tmp_path, seed_path, capsys):
    out = tmp_path / "o"
    code = main(["extract", str(seed_path), "-o", str(out), "--model", "en_core_web_nonesuch"])
    assert code == 1
    err = capsys.readouterr().err
    assert "en_core_web_nonesuch" in err and "installed: " in err
    assert analysis.nlp.model_name() in err  # what is installed
    assert "Traceback" not in err
    assert not list(tmp_path.iterdir())


def test_full_disk_names_the_folder_and_keeps_previous_output(
    tmp_path, seed_path, monkeypatch, capsys
):
    out = tmp_path / "store"
    args = ["extract", str(seed_path), "-o", str(out), "--workers", "1", "--no-cache"]
    assert main([*args, "--tables", "dates"]) == 0
    before = _tree_digest(out)
    import pyarrow.parquet as pq

    real = pq.write_table
    calls = []

    def fill_up(table, where, *a, **kw):
        if isinstance(where, str | os.PathLike):  # a file, not an in-memory check
            calls.append(where)
            if len(calls) > 1:
                raise OSError(errno.ENOSPC, "No space left on device")
        return real(table, where, *a, **kw)

    monkeypatch.setattr(pq, "write_table", fill_up)
    assert main([*args, "--tables", "dates,numbers"]) == 1
    err = capsys.readouterr().err
    assert str(out) in err and "no space left" in err and "[Errno" not in err
    assert _tree_digest(out) == before
    assert not list(tmp_path.glob(".store.*"))


# --- 7. pathological punctuation -----------------------------------------------------------------


@pytest.mark.parametrize("mark", ['"', "“", "!", ",", "=", "_", "😀", '."'])
def test_long_punctuation_runs_are_broken_up_in_place(mark):
    text = "Before. " + mark * 5000 + " after."
    out = normalise_for_parse(text)
    assert len(out) == len(text)
    assert max(len(word) for word in out.split()) <= MAX_PUNCT_RUN
    changed = [i for i, (a, b) in enumerate(zip(text, out, strict=True)) if a != b]
    assert changed and all(out[i] == " " for i in changed)  # only spaces put in, nothing moved


def test_ordinary_punctuation_is_left_alone():
    text = "Wait... what?!  ----- " + "-" * MAX_PUNCT_RUN + " “Quoted,” he said."
    assert normalise_for_parse(text) == text


def test_an_article_of_quote_marks_is_extracted(tmp_path):
    rows = [
        {
            "article_id": "q",
            "source": "q.txt",
            "text": "Officials said on Monday. " + '"' * 20000 + " The end.",
        }
    ]
    out = tmp_path / "out"
    extract_corpus(rows, out, workers=1, cache_dir=None, tables=SMALL, progress=False)
    assert read_table(out, "rejects").empty
    sentences = read_table(out, "sentences")
    assert sentences["end"].max() <= len(rows[0]["text"])


@pytest.fixture()
def seed_articles(seed_path):
    articles, _ = load_corpus(seed_path)
    return articles
