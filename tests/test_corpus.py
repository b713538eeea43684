"""Tests for analysis.corpus: wire layout, datelines, bad input, mixed folders, duplicates, CLI."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from analysis.cli import main
from analysis.corpus import (
    RejectedInput,
    article_order,
    count_words,
    decode_bytes,
    display_path,
    iter_corpus,
    load_corpus,
    paragraph_spans,
    parse_dateline,
    parse_wire,
    write_table,
)
from analysis.files import mark_output_folder

# --- the seed -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed_article(seed_path):
    articles, rejects = load_corpus(seed_path)
    assert rejects.empty
    assert len(articles) == 1
    return articles.iloc[0]


def test_seed_structure(seed_article):
    assert seed_article["article_id"] == "000_fbdc2a47216796c1"
    assert seed_article["headline"] == "Pakistan ‘won’t launch’ Haqqani offensive"
    assert seed_article["dateline"] == "ISLAMABAD"
    assert seed_article["agency"] == "AFP"
    assert seed_article["n_paragraphs"] == 19
    assert abs(seed_article["n_words"] - 627) <= 6  # ±1%
    assert pd.isna(seed_article["published"])
    assert pd.isna(seed_article["duplicate_of"])


def test_seed_body(seed_article):
    text = seed_article["text"]
    assert text.startswith("ISLAMABAD: Pakistan’s army chief on Monday")
    assert text.endswith(
        "denied that the intelligence services provided support or endorsed their attacks."
    )
    assert "afp" not in text[-20:].lower()
    assert "“break any link they have”" in text  # curly quotes kept
    assert "\xa0" not in text
    assert len(paragraph_spans(text)) == 19


# --- datelines ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "place", "month", "day", "year", "agency"),
    [
        ("ISLAMABAD: Pakistan’s army chief", "ISLAMABAD", None, None, None, None),
        (
            "KABUL, Afghanistan (Nov. 20, 2011) – An Afghan force",
            "KABUL, Afghanistan",
            11,
            20,
            2011,
            None,
        ),
        (
            "KABUL, Afghanistan (Sept. 19) - Coalition forces",
            "KABUL, Afghanistan",
            9,
            19,
            None,
            None,
        ),
        ("NEW YORK, March 3 - Stocks rose", "NEW YORK", 3, 3, None, None),
        ("LONDON, Jan 5 (AFP) - Britain said", "LONDON", 1, 5, None, "AFP"),
        ("WASHINGTON (Reuters) - The Fed", "WASHINGTON", None, None, None, "Reuters"),
        ("Washington (AFP) – US officials", "Washington", None, None, None, "AFP"),
        ("KABUL, Afghanistan (Dec 01, 2012)", "KABUL, Afghanistan", 12, 1, 2012, None),
    ],
)
def test_dateline_forms(line, place, month, day, year, agency):
    dl = parse_dateline(line)
    assert dl is not None
    assert (dl.place, dl.month, dl.day, dl.year, dl.agency) == (place, month, day, year, agency)


@pytest.mark.parametrize(
    "line",
    [
        "Washington accused Pakistan of involvement.",
        "The White House: a statement",
        "Note: figures are provisional",
        "In a series of escalating rows, Washington said",
        "UK-based retailer Tesco said profits rose.",
        "US-German talks ended on Monday.",
        "EU-US trade: a primer",
        "T - Mobile said it would cut jobs.",
    ],
)
def test_not_a_dateline(line):
    assert parse_dateline(line) is None


@pytest.mark.parametrize(
    ("text", "published", "metadata_date"),
    [
        ("KABUL, Afghanistan (Nov. 20, 2011) – A force detained two.", "2011-11-20", None),
        ("KABUL, Afghanistan (Sept. 19) - A force detained two.", "2011-09-19", "2011-10-01"),
        (
            "Ref 2011-09-S-011\nKABUL, Afghanistan (Sept. 19)\nA force detained two.",
            "2011-09-19",
            None,
        ),
        ("NEW YORK, March 3 - Stocks rose.", "1987-03-03", "26-FEB-1987 15:01:01.79"),
        ("NEW YORK, March 3 - Stocks rose.", None, None),
        ("Stocks rose on Monday.", "2011-09-26", "2011-09-26"),
        ("Stocks rose on Monday.", None, "2011-09"),  # a month is not a full date
    ],
)
def test_published_date(tmp_path, text, published, metadata_date):
    rec = {"id": "a", "text": text}
    if metadata_date:
        rec["date"] = metadata_date
    path = tmp_path / "x.jsonl"
    path.write_text(json.dumps(rec) + "\n", encoding="utf-8")
    articles, _ = load_corpus(path)
    got = articles.loc[0, "published"]
    assert (pd.isna(got) and published is None) or got == pd.Timestamp(published)


def test_press_release_header_before_dateline():
    text = "NEWS RELEASE\u2028ISAF Joint Command\u20282009-11-CA-056\u2028For Immediate Release\u2028\u2028KABUL, Afghanistan (Dec. 02) - Forces struck yesterday."
    wire = parse_wire(text, detect_headline=False)
    assert wire.dateline.place == "KABUL, Afghanistan"
    assert (wire.dateline.month, wire.dateline.day) == (12, 2)


# --- agency tags and sign-offs --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "agency", "ending"),
    [
        ("First.\n\nThey endorsed their attacks. afp", "AFP", "endorsed their attacks."),
        ("First.\n\nThe talks ended.\n\n-- AFP", "AFP", "The talks ended."),
        ("First.\n\nThe talks ended. -- AFP", "AFP", "The talks ended."),
        (
            "First.\n\nShares fell.\n(Reporting by Jane Doe; Editing by John Roe)",
            "Reuters",
            "Shares fell.",
        ),
        (
            "First.\n\nShares fell. (Reporting by Jane Doe; Editing by John Roe)",
            "Reuters",
            "Shares fell.",
        ),
        ("First.\n\nA reporter for the paper wrote it.", None, "wrote it."),
        ("First.\n\nThe talks ended.\n\nafp", "AFP", "The talks ended."),
        ("First.\n\nThe talks ended.\n\n(Reuters)", "Reuters", "The talks ended."),
    ],
)
def test_trailing_agency(body, agency, ending):
    wire = parse_wire(body, detect_headline=False)
    assert wire.agency == agency
    assert wire.paragraphs[-1].endswith(ending)


# --- paragraphs and whitespace --------------------------------------------------------------------


def test_nbsp_and_whitespace_lines_are_blank():
    text = "Headline here\n\xa0\n \t\nPARIS: One.\n\xa0\xa0\nTwo."
    wire = parse_wire(text)
    assert wire.headline == "Headline here"
    assert wire.paragraphs == ["PARIS: One.", "Two."]


def test_indented_hard_wrapped_paragraphs():
    text = (
        "Showers continued throughout the week in\nthe Bahia cocoa zone.\n"
        "    The dry period means the temporao\nwill be late.\n"
        "    Arrivals were 155,221 bags.\n"
    )
    spans = paragraph_spans(text)
    assert len(spans) == 3
    assert text[spans[1][0] : spans[1][1]].startswith("The dry period")
    wire = parse_wire(text, detect_headline=False)
    assert wire.paragraphs[0] == "Showers continued throughout the week in the Bahia cocoa zone."


def test_count_words_keeps_contractions_and_numbers():
    assert count_words("I don’t think 11,265.03 is three-percent.") == 6


# --- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file"),
        (b"  \n\t\n", "empty file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binary file"),
        (b"\x81\x8d\x8f\x90\x9d and more", "undecodable bytes"),
    ],
)
def test_decode_rejects(data, reason):
    with pytest.raises(RejectedInput, match=reason):
        decode_bytes(data)


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ("Caf\u00e9 “news”".encode(), "utf-8"),
        ("\ufeffCaf\u00e9 news".encode(), "utf-8-sig"),
        ("Caf\u00e9 news".encode("utf-16"), "utf-16"),
        ("Caf\u00e9 \u201cnews\u201d".encode("cp1252"), "cp1252"),
    ],
)
def test_decode_encodings(data, encoding):
    text, used = decode_bytes(data)
    assert used == encoding
    assert text.lstrip("\ufeff").startswith("Café")


@pytest.fixture()
def messy_folder(tmp_path, seed_path):
    root = tmp_path / "corpus"
    (root / "wire" / "deep").mkdir(parents=True)
    (root / "wire" / "seed.txt").write_bytes(seed_path.read_bytes())
    (root / "wire" / "deep" / "cp.txt").write_bytes(
        "Caf\u00e9 owners protest\n\nPARIS: Owners said “no” on Monday.".encode("cp1252")
    )
    (root / "wire" / "bom16.txt").write_bytes(
        "Tea prices rise\n\nLONDON, Jan 5 (AFP) - Prices rose.".encode("utf-16")
    )
    (root / "empty.txt").write_bytes(b"")
    (root / "blob.txt").write_bytes(bytes(range(256)) * 4)
    (root / "notes.docx").write_bytes(b"PK\x03\x04")
    (root / "records.jsonl").write_text(
        json.dumps({"id": "1_1", "text": "First record text.", "outlet": "Dawn"})
        + "\n{not json}\n"
        + json.dumps({"id": "r2", "text": "   "})
        + "\n"
        + json.dumps(["a list"])
        + "\n"
        + json.dumps({"id": 7, "text": "Seventh record.", "lang": "en"})
        + "\n",
        encoding="utf-8",
    )
    (root / "table.csv").write_text(
        "id,title,text,date\n007,T,Body of seven.,2011-09-26\n1_1x,,,\n", encoding="utf-8"
    )
    (root / "notext.csv").write_text("id,body_html\n1,<p>x</p>\n", encoding="utf-8")
    pd.DataFrame({"id": ["p1"], "text": ["Parquet body."], "headline": ["PQ"]}).to_parquet(
        root / "t.parquet"
    )
    (root / "broken.parquet").write_bytes(b"PAR1 not really")
    return root


def test_mixed_folder(messy_folder):
    articles, rejects = load_corpus([messy_folder, messy_folder / "missing.jsonl"])
    ids = list(articles["article_id"])
    assert ids == sorted(ids, key=article_order)
    assert set(ids) == {"wire/seed", "wire/deep/cp", "wire/bom16", "1_1", "7", "007", "p1"}
    by_id = articles.set_index("article_id")
    assert by_id.loc["wire/deep/cp", "encoding"] == "cp1252"
    assert by_id.loc["wire/deep/cp", "text"] == "PARIS: Owners said “no” on Monday."
    assert by_id.loc["wire/bom16", "agency"] == "AFP"
    assert by_id.loc["wire/bom16", "dateline"] == "LONDON"
    assert by_id.loc["007", "headline"] == "T"
    assert by_id.loc["007", "published"] == pd.Timestamp("2011-09-26")
    assert by_id.loc["1_1", "outlet"] == "Dawn"
    assert by_id.loc["7", "lang"] == "en"  # metadata passes through
    assert by_id.loc["p1", "headline"] == "PQ"
    reasons = {
        os.path.basename(s): r for s, r in zip(rejects["source"], rejects["reason"], strict=True)
    }
    assert reasons["empty.txt"] == "empty file"
    assert reasons["blob.txt"].startswith("binary file")
    assert "unsupported file type '.docx'" in reasons["notes.docx"]
    assert reasons["records.jsonl:2"].startswith("line 2: invalid JSON")
    assert reasons["records.jsonl:3"] == "line 3: empty text"
    assert reasons["records.jsonl:4"].startswith("line 4: expected a JSON object")
    assert reasons["table.csv:3"] == "row 3: empty text"
    assert reasons["notext.csv"].startswith("no text column (columns are: id, body_html)")
    assert reasons["broken.parquet"].startswith("unreadable Parquet file")
    assert reasons["missing.jsonl"] == "no such file or folder"
    assert len(rejects) == 10


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_text("Headline\n\nBody.", encoding="utf-8")
    path.chmod(0)
    _, rejects = load_corpus(tmp_path)
    assert rejects.loc[0, "reason"] == "permission denied (unreadable)"


def test_column_options(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("key,story,when\nA-1,Body one.,2011-09-26\n", encoding="utf-8")
    articles, rejects = load_corpus(path, text_column="story", id_column="key", date_column="when")
    assert rejects.empty
    assert articles.loc[0, ["article_id", "text", "published"]].tolist() == [
        "A-1",
        "Body one.",
        pd.Timestamp("2011-09-26"),
    ]
    _, rejects = load_corpus(path, text_column="nope")
    assert "no column 'nope' (text_column)" in rejects.loc[0, "reason"]


def test_record_text_is_unchanged(tmp_path):
    text = "KABUL, Afghanistan (Nov. 20, 2011)\u2028Forces\xa0detained two.\n\n(Reporting by A; Editing by B)"
    path = tmp_path / "x.jsonl"
    path.write_text(json.dumps({"id": "x", "text": text}) + "\n", encoding="utf-8")
    articles, _ = load_corpus(path)
    assert articles.loc[0, "text"] == text
    assert articles.loc[0, "agency"] == "Reuters"


def test_duplicates_flagged(tmp_path):
    for name, body in [
        ("a", "Same story\n\nText  here."),
        ("b", "Same story\n\nText here."),
        ("c", "Other\n\nText."),
    ]:
        (tmp_path / f"{name}.txt").write_text(body, encoding="utf-8")
    articles, _ = load_corpus(tmp_path)
    assert articles["duplicate_of"].fillna("").tolist() == ["", "a", ""]


def test_ids_without_id_column_are_content_hashes(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text(
        json.dumps({"text": "One."}) + "\n" + json.dumps({"text": "Two."}) + "\n", encoding="utf-8"
    )
    first, _ = load_corpus(path)
    again, _ = load_corpus(path)
    assert first["article_id"].str.startswith("sha1:").all()
    assert first["article_id"].tolist() == again["article_id"].tolist()


# --- output and command line ----------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_write_table_round_trip_keeps_string_ids(tmp_path, suffix):
    frame = pd.DataFrame({"article_id": ["1_1", "007"], "text": ["a", "b"]})
    out = write_table(frame, tmp_path / f"out{suffix}")
    if suffix == ".jsonl":
        back = pd.read_json(out, lines=True, dtype={"article_id": str})
    elif suffix == ".csv":
        back = pd.read_csv(out, dtype=str)
    else:
        back = pd.read_parquet(out)
    assert back["article_id"].tolist() == ["1_1", "007"]
    assert not list(tmp_path.glob(".*tmp*"))


def test_cli_load_to_file(tmp_path, seed_path, capsys):
    out = tmp_path / "articles.parquet"
    assert main(["load", str(seed_path), "-o", str(out)]) == 0
    back = pd.read_parquet(out)
    assert back.loc[0, "headline"] == "Pakistan ‘won’t launch’ Haqqani offensive"
    assert "loaded 1 articles" in capsys.readouterr().err


def test_cli_load_stdout_and_rejects(messy_folder, capsys):
    assert main(["load", str(messy_folder)]) == 0
    captured = capsys.readouterr()
    lines = [json.loads(line) for line in captured.out.splitlines()]
    assert {row["article_id"] for row in lines} >= {"1_1", "007"}
    assert "rejected: " in captured.err and "empty.txt: empty file" in captured.err
    assert "decoded as cp1252" in captured.err


def test_cli_nothing_loads_exits_1(tmp_path, capsys):
    (tmp_path / "empty.txt").write_bytes(b"")
    assert main(["load", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "empty.txt: empty file" in err
    assert "error: no article loaded" in err


def test_cli_bad_usage_exits_2():
    with pytest.raises(SystemExit) as exc:
        main(["load"])
    assert exc.value.code == 2


def test_console_script_and_module_help():
    result = subprocess.run(
        [sys.executable, "-m", "analysis", "load", "--help"], capture_output=True, text=True
    )
    assert result.returncode == 0
    assert "--text-column" in result.stdout


def test_iter_corpus_streams_in_input_order(tmp_path):
    path = tmp_path / "x.jsonl"
    recs = [
        {"id": "b", "text": "Same text."},
        {"id": "a", "text": "Same  text."},
        {"id": "b", "text": "Other."},
    ]
    path.write_bytes(
        b"\n".join(json.dumps(r).encode() for r in recs)
        + b"\n"
        + b'{"id": "c", "text": "caf\xe9"}\n'
    )
    rejects = []
    rows = list(iter_corpus(path, rejects=rejects))
    assert [r["article_id"] for r in rows] == ["b", "a", "b~2", "c"]
    assert [r["duplicate_of"] for r in rows] == [None, "b", None, None]
    assert rows[3]["text"] == "café" and rows[3]["encoding"] == "cp1252"
    assert rejects == []


def test_console_script_matches_module(seed_path):
    script = Path(sys.executable).with_name("news-analysis")
    if not script.exists():
        pytest.skip(f"console script not installed beside {sys.executable}")
    via_script = subprocess.run(
        [str(script), "load", str(seed_path)], capture_output=True, text=True
    )
    via_module = subprocess.run(
        [sys.executable, "-m", "analysis", "load", str(seed_path)], capture_output=True, text=True
    )
    assert via_script.returncode == via_module.returncode == 0
    assert via_script.stdout == via_module.stdout
    assert json.loads(via_script.stdout)["dateline"] == "ISLAMABAD"


# --- safe and sturdy: hostile input -----------------------------------------------------------

LOADER_FIXTURES = Path(__file__).parent / "fixtures" / "loader"


def _lf(seed_path) -> bytes:
    return seed_path.read_bytes().replace(b"\r\n", b"\n")


def test_crlf_and_cr_txt_read_like_lf(tmp_path, seed_path):
    lf = _lf(seed_path)
    (tmp_path / "lf.txt").write_bytes(lf)
    (tmp_path / "crlf.txt").write_bytes(lf.replace(b"\n", b"\r\n"))
    (tmp_path / "cr.txt").write_bytes(lf.replace(b"\n", b"\r"))
    articles, rejects = load_corpus(tmp_path)
    assert rejects.empty
    by_id = articles.set_index("article_id")
    for name in ("lf", "crlf", "cr"):
        row = by_id.loc[name]
        assert row["headline"] == "Pakistan ‘won’t launch’ Haqqani offensive", name
        assert row["n_paragraphs"] == 19, name
        assert row["text"] == by_id.loc["lf", "text"], name
        assert (row["dateline"], row["agency"]) == ("ISLAMABAD", "AFP")
    assert by_id.loc["lf", "n_words"] == by_id.loc["cr", "n_words"] == by_id.loc["crlf", "n_words"]
    # Sorted ids: cr, crlf, lf. The later copies point at the first.
    assert by_id["duplicate_of"].fillna("").tolist() == ["", "cr", "cr"]


def test_crlf_and_cr_records_parse_like_lf(tmp_path, seed_path):
    lf = _lf(seed_path).decode("utf-8")
    texts = {"lf": lf, "crlf": lf.replace("\n", "\r\n"), "cr": lf.replace("\n", "\r")}
    path = tmp_path / "x.jsonl"
    path.write_text(
        "".join(json.dumps({"id": k, "text": t}) + "\n" for k, t in texts.items()),
        encoding="utf-8",
    )
    articles, _ = load_corpus(path)
    by_id = articles.set_index("article_id")
    for name, text in texts.items():
        assert by_id.loc[name, "text"] == text  # a record's text is emitted unchanged
        assert by_id.loc[name, "headline"] == "Pakistan ‘won’t launch’ Haqqani offensive"
        for col in ("n_paragraphs", "n_words", "dateline", "agency"):
            assert by_id.loc[name, col] == by_id.loc["lf", col], (name, col)
        assert len(paragraph_spans(text)) == 20  # headline + 19 paragraphs, in the raw text
    assert by_id["duplicate_of"].fillna("").tolist() == ["", "cr", "cr"]


@pytest.mark.parametrize(
    "run", [" ", "\t", "\xa0", "\u3000", "\n", "\r\n", "-", "—", "“", '"', "’", ".", ". ", " -- "]
)
def test_long_runs_parse_in_linear_time(run):
    # 50,000 characters of one kind inside and at the end of a story: the quadratic patterns
    # took 27 s for spaces; a linear parse takes well under a second (bound generous for CI).
    n = 50_000 // len(run)
    text = f"Headline\n\nPARIS: It began{run * n}and went on. afp{run * n}"
    start = time.perf_counter()
    parse_wire(text)
    parse_wire(f"x.{run * n}x (Reporting{run * n}by")
    assert time.perf_counter() - start < 5


def test_record_with_50000_spaces_loads_fast(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text(
        json.dumps({"id": "s", "text": "Start." + " " * 50_000 + "End -- AFP"}) + "\n",
        encoding="utf-8",
    )
    start = time.perf_counter()
    articles, _ = load_corpus(path)
    assert time.perf_counter() - start < 5
    assert articles.loc[0, "agency"] == "AFP"


def test_record_fields_named_like_output_columns_are_kept():
    articles, rejects = load_corpus(LOADER_FIXTURES / "collisions.jsonl")
    assert rejects.empty
    first, second = articles.iloc[0], articles.iloc[1]
    assert first["input_dateline"] == "SALVADOR, Feb 26 -"  # Reuters-21578's own dateline field
    assert first["input_agency"] == "wire desk"
    assert first["input_n_words"] == "about 20"
    assert first["input_encoding"] == "latin-1"
    assert first["input_duplicate_of"] == "none"
    assert first["input_n_paragraphs"] == 9
    assert first["input_dateline_text"] == "as filed"
    assert first["input_published_raw"] == "raw"
    assert first["input_source"] == "feed A"  # `outlet` is the outlet here
    assert first["outlet"] == "Reuters"
    assert first["n_words"] != "about 20" and first["encoding"] == "utf-8"
    # A record that already has input_dateline keeps it; its dateline goes one prefix further.
    assert second["input_dateline"] == "already taken"
    assert second["input_input_dateline"] == "CLEVELAND, Feb 26 -"


def test_ids_unique_whatever_the_input_ids(tmp_path, capsys):
    path = tmp_path / "ids.jsonl"
    path.write_text(
        "".join(
            json.dumps({"id": i, "text": f"Story {n}."}) + "\n"
            for n, i in enumerate(["g1", "g1", "g1~2", "g1"])
        ),
        encoding="utf-8",
    )
    articles, _ = load_corpus(path)
    assert articles["article_id"].tolist() == ["g1", "g1~2", "g1~2~2", "g1~3"]
    assert articles["article_id"].is_unique
    assert articles.set_index("article_id").loc["g1~2~2", "text"] == "Story 2."
    err = capsys.readouterr().err
    assert f"warning: {path}:2: duplicate id 'g1' renamed 'g1~2'" in err
    assert f"warning: {path}:3: duplicate id 'g1~2' renamed 'g1~2~2'" in err
    streamed = list(iter_corpus(path))
    assert [r["article_id"] for r in streamed] == ["g1", "g1~2", "g1~2~2", "g1~3"]


def test_json_ids_exactly_as_written(tmp_path):
    articles, _ = load_corpus(LOADER_FIXTURES / "json_ids.jsonl")
    assert sorted(articles["article_id"]) == sorted(
        ["true", "1e5", "42", "007", "-0", "1.50", "false"]
    )
    streamed = [r["article_id"] for r in iter_corpus(LOADER_FIXTURES / "json_ids.jsonl")]
    assert streamed == ["true", "1e5", "42", "007", "-0", "1.50", "false"]
    pd.DataFrame({"id": [7, 70], "text": ["Seven.", "Seventy."]}).to_parquet(tmp_path / "p.parquet")
    articles, _ = load_corpus(tmp_path / "p.parquet")
    assert articles["article_id"].tolist() == ["7", "70"]


def _undecodable_name(folder: Path, stem: bytes, suffix: str) -> Path:
    path = Path(os.fsdecode(os.fsencode(folder) + b"/" + stem + suffix.encode()))
    try:
        path.touch()
    except (OSError, UnicodeError):
        pytest.skip("this file system refuses names that are not UTF-8")
    return path


@pytest.mark.parametrize("suffix", [".parquet", ".jsonl", ".csv"])
def test_file_names_that_are_not_utf8(tmp_path, suffix, capsys):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    _undecodable_name(corpus, b"caf\xe9", ".txt").write_text(
        "Cafe news\n\nPARIS: Owners said no.", encoding="utf-8"
    )
    _undecodable_name(corpus, b"r\xff", ".jsonl").write_text(
        '{"id": "r1", "text": "A record."}\nnot json\n', encoding="utf-8"
    )
    _undecodable_name(corpus, b"empty\xfe", ".txt").write_bytes(b"")
    articles, rejects = load_corpus(corpus)
    by_id = articles.set_index("article_id")
    assert by_id.loc["caf\\xe9", "source"].endswith("caf\\xe9.txt")
    assert by_id.loc["r1", "source"].endswith("r\\xff.jsonl:1")
    assert sorted(os.path.basename(s) for s in rejects["source"]) == [
        "empty\\xfe.txt",
        "r\\xff.jsonl:2",
    ]
    for value in [*articles["source"], *articles["article_id"], *rejects["source"]]:
        value.encode("utf-8")  # no lone surrogate left
    out = tmp_path / f"articles{suffix}"
    assert main(["load", str(corpus), "-o", str(out)]) == 0
    assert "loaded 2 articles" in capsys.readouterr().err
    back = pd.read_parquet(out) if suffix == ".parquet" else None
    if back is not None:
        assert sorted(back["article_id"]) == ["caf\\xe9", "r1"]


def _hostile_jsonl(path: Path) -> None:
    lines = [
        json.dumps({"id": "ok1", "text": "First good record."}),
        '{"id": "deep", "text": "Deep.", "m": ' + "[" * 100_000 + "]" * 100_000 + "}",
        '{"id": "big", "text": "Big.", "n": ' + "9" * 5_000 + "}",
        '{"id": "sur", "text": "A lone \\ud800 here.", "meta": "\\udfff", "tags": ["\\udc80"]}',
        '{"id": "nested", "text": "Nested.", "m": ' + "[" * 150 + "]" * 150 + "}",
        "[1, 2]",
        json.dumps({"id": "ok2", "text": "Second good record."}),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_hostile_jsonl_records_are_rejected_one_by_one(tmp_path, capsys):
    path = tmp_path / "h.jsonl"
    _hostile_jsonl(path)
    articles, rejects = load_corpus(path)
    by_id = articles.set_index("article_id")
    assert sorted(by_id.index) == ["ok1", "ok2", "sur"]
    # Lone surrogates become U+FFFD, one for one, so offsets still index the text.
    assert by_id.loc["sur", "text"] == "A lone \ufffd here."
    assert len(by_id.loc["sur", "text"]) == len("A lone \\ud800 here.") - 5
    assert by_id.loc["sur", "meta"] == "\ufffd"
    assert by_id.loc["sur", "tags"] == '["\ufffd"]'
    assert f"warning: {path}:4: 3 lone surrogate(s)" in capsys.readouterr().err
    reasons = dict(zip(rejects["source"], rejects["reason"], strict=True))
    assert reasons[f"{path}:2"] == "line 2: invalid JSON (nested too deeply to read)"
    assert reasons[f"{path}:3"].startswith("line 3: an integer of 5000 digits")
    assert reasons[f"{path}:5"] == "line 5: values nested deeper than 100 levels"
    assert reasons[f"{path}:6"] == "line 6: expected a JSON object, got an array"
    assert len(rejects) == 4
    streamed = list(iter_corpus(path, rejects=(streamed_rejects := [])))
    assert [r["article_id"] for r in streamed] == ["ok1", "sur", "ok2"]
    assert len(streamed_rejects) == 4
    for suffix in (".parquet", ".jsonl", ".csv"):
        write_table(articles, tmp_path / f"out{suffix}")


def test_hostile_csv_rows_are_rejected_one_by_one(tmp_path):
    path = LOADER_FIXTURES / "hostile.csv"
    articles, rejects = load_corpus(path)
    by_id = articles.set_index("article_id")
    assert sorted(by_id.index) == ["c1", "c2", "c5", "c7"]
    assert by_id.loc["c1", "text"] == "A good row, quoted."
    assert by_id.loc["c2", "text"] == "A NUL \x00 inside."
    assert by_id.loc["c5", "text"] == 'A "doubled" quote.'
    assert list(rejects["reason"]) == [
        "row 4 (line 4): 4 fields, the header has 3",
        "row 5 (line 5): 2 fields, the header has 3",
        "row 7 (line 7): unreadable CSV (',' expected after '\"')",
        "row 9 (line 9): unreadable CSV (unexpected end of data)",
    ]
    assert list(rejects["source"]) == [f"{path}:{n}" for n in (4, 5, 7, 9)]
    # A field longer than the csv module's default limit (128 KiB) is an ordinary long article.
    big = tmp_path / "big.csv"
    big.write_text('id,text\nb1,"' + "word " * 60_000 + '"\n', encoding="utf-8")
    articles, rejects = load_corpus(big)
    assert rejects.empty and articles.loc[0, "n_words"] == 60_000
    for suffix in (".parquet", ".jsonl", ".csv"):
        write_table(articles, tmp_path / f"out{suffix}")


def test_hostile_parquet(tmp_path):
    pd.DataFrame(
        {
            "id": ["s1", "s2"],
            "text": ["Struct one.", "Struct two."],
            "place": [{"city": "Kabul", "n": 1}, {"city": "Paris", "n": 2}],
            "tags": [["a"], []],
        }
    ).to_parquet(tmp_path / "nested.parquet")
    pd.DataFrame({"id": ["n1"], "text": [12345]}).to_parquet(tmp_path / "numtext.parquet")
    data = (tmp_path / "nested.parquet").read_bytes()
    (tmp_path / "corrupt.parquet").write_bytes(data[: len(data) // 2] + data[-8:])
    articles, rejects = load_corpus(tmp_path)
    by_id = articles.set_index("article_id")
    assert json.loads(by_id.loc["s1", "place"]) == {"city": "Kabul", "n": 1}
    assert json.loads(by_id.loc["s2", "tags"]) == []
    reasons = {
        os.path.basename(s): r for s, r in zip(rejects["source"], rejects["reason"], strict=True)
    }
    assert reasons["numtext.parquet:1"] == "row 1: text is a int, not a string"
    assert reasons["corrupt.parquet"].startswith("unreadable Parquet file")
    for suffix in (".parquet", ".jsonl", ".csv"):
        write_table(articles, tmp_path / f"out{suffix}")


def test_mixed_type_metadata_writes_in_every_format(tmp_path):
    articles, rejects = load_corpus(LOADER_FIXTURES / "mixed_types.jsonl")
    assert rejects.empty
    by_id = articles.set_index("article_id")
    assert by_id["meta"].tolist() == ["1", "a", "{}", "[]"]  # kinds disagree: text
    assert by_id["tags"].tolist()[:3] == ['["a", "b"]', "[]", '{"k": [1, 2]}']
    assert by_id.loc["m3", "huge"] == "123456789012345678901234567890"
    assert articles["count"].dtype == "int64"  # well-formed columns keep their type
    assert articles["score"].tolist()[:2] == [0.5, 1.0] and pd.isna(articles["score"][2])
    assert by_id["flag"].tolist()[:2] == [True, False]
    for suffix in (".parquet", ".jsonl", ".csv"):
        out = tmp_path / f"articles{suffix}"
        assert main(["load", str(LOADER_FIXTURES / "mixed_types.jsonl"), "-o", str(out)]) == 0
        write_table(articles, tmp_path / f"lib{suffix}")
    back = pd.read_parquet(tmp_path / "articles.parquet")
    assert back["meta"].tolist() == ["1", "a", "{}", "[]"]
    assert back["count"].tolist() == [3, 4, 5, 6]


@pytest.mark.parametrize("suffix", [".parquet", ".jsonl", ".csv"])
def test_cli_load_writes_what_load_corpus_returns(messy_folder, tmp_path, suffix):
    articles, _ = load_corpus(messy_folder)
    out = tmp_path / f"cli{suffix}"
    assert main(["load", str(messy_folder), "-o", str(out)]) == 0
    lib = write_table(articles, tmp_path / f"lib{suffix}")
    if suffix == ".parquet":
        cli, ref = pd.read_parquet(out), pd.read_parquet(lib)
    elif suffix == ".jsonl":
        cli, ref = (pd.read_json(p, lines=True, dtype=False) for p in (out, lib))
    else:
        cli, ref = (pd.read_csv(p, dtype=str, keep_default_na=False) for p in (out, lib))
    assert list(cli.columns) == list(articles.columns)
    assert cli["article_id"].tolist() == articles["article_id"].tolist()
    pd.testing.assert_frame_equal(cli, ref, check_dtype=False)


def test_cr_text_round_trips_through_csv(tmp_path):
    frame = pd.DataFrame({"article_id": ["a", "b"], "text": ["one\rtwo", "plain"]})
    back = pd.read_csv(write_table(frame, tmp_path / "x.csv"), dtype=str)
    assert back["text"].tolist() == ["one\rtwo", "plain"]


def test_special_files_become_rejects(tmp_path):
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "good.txt").write_text("Headline\n\nPARIS: Body.", encoding="utf-8")
    os.mkfifo(corpus / "pipe.txt")
    (corpus / "gone.txt").symlink_to(corpus / "nowhere.txt")
    (corpus / "elsewhere").symlink_to(tmp_path)
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(corpus / "s.jsonl"))
    except OSError:
        pytest.skip("cannot bind a Unix socket here")
    try:
        articles, rejects = load_corpus([corpus, "/dev/null", corpus / "pipe.txt"])
    finally:
        sock.close()
    assert articles["article_id"].tolist() == ["good"]
    reasons = dict(zip(rejects["source"], rejects["reason"], strict=True))
    assert reasons[str(corpus / "pipe.txt")] == "a named pipe (FIFO); not read"
    assert reasons[str(corpus / "s.jsonl")] == "a socket; not read"
    assert reasons["/dev/null"] == "a device; not read"
    assert reasons[str(corpus / "gone.txt")] == "broken link"
    assert reasons[str(corpus / "elsewhere")].startswith("link to a folder, not followed")
    assert len(rejects) == 6  # the pipe twice: in the folder and given by name


def test_fifo_given_by_name_never_blocks(tmp_path):
    os.mkfifo(tmp_path / "pipe.jsonl")
    result = subprocess.run(
        [sys.executable, "-m", "analysis", "load", str(tmp_path / "pipe.jsonl")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "pipe.jsonl: a named pipe (FIFO); not read" in result.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads folders whatever their mode")
def test_unreadable_sub_folder_is_a_reject(tmp_path):
    (tmp_path / "ok.txt").write_text("Headline\n\nBody.", encoding="utf-8")
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "x.txt").write_text("Headline\n\nBody.", encoding="utf-8")
    locked.chmod(0)
    try:
        articles, rejects = load_corpus(tmp_path)
    finally:
        locked.chmod(0o755)
    assert articles["article_id"].tolist() == ["ok"]
    assert rejects["reason"].tolist() == ["unreadable folder: Permission denied"]


def test_output_folder_inside_the_corpus_is_skipped(tmp_path):
    (tmp_path / "story.txt").write_text("Headline\n\nPARIS: Body.", encoding="utf-8")
    out = tmp_path / "store"
    out.mkdir()
    write_table(pd.DataFrame({"id": ["x"], "text": ["From the store."]}), out / "articles.jsonl")
    mark_output_folder(out, kind="feature store")
    articles, rejects = load_corpus(tmp_path)
    assert articles["article_id"].tolist() == ["story"]
    assert rejects.to_dict("records") == [
        {"source": str(out), "reason": "output folder of the tools, skipped"}
    ]


def test_columns_first_seen_after_the_sniffing_window_are_kept(tmp_path, capsys):
    path = tmp_path / "late.jsonl"
    recs = [{"id": f"r{i:04d}", "text": f"Story {i}."} for i in range(1001)]
    recs.append(
        {"id": "late", "text": "Late.", "outlet": "Dawn", "published": "2011-09-26", "x": 1}
    )
    path.write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
    articles, _ = load_corpus(path)
    late = articles.set_index("article_id").loc["late"]
    assert (late["input_outlet"], late["input_published"], late["x"]) == ("Dawn", "2011-09-26", 1)
    err = capsys.readouterr().err
    assert f"{path}:1002: column 'outlet' first appears after record 1,000" in err
    assert "--date-column published" in err


def test_cli_bad_output_suffix_exits_2(seed_path, tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["load", str(seed_path), "-o", str(tmp_path / "x.txt")])
    assert exc.value.code == 2
    assert "x.txt: unsupported output type '.txt'" in capsys.readouterr().err
    assert not (tmp_path / "x.txt").exists()


def test_cli_nothing_loads_names_the_inputs(tmp_path, capsys):
    (tmp_path / "a.jsonl").write_text("not json\n", encoding="utf-8")
    assert main(["load", str(tmp_path / "a.jsonl"), str(tmp_path / "missing")]) == 1
    err = capsys.readouterr().err
    assert f"rejected: {tmp_path / 'a.jsonl'}:1: line 1: invalid JSON" in err
    assert f"error: no article loaded from {tmp_path / 'a.jsonl'}, {tmp_path / 'missing'}" in err


# --- metadata as the user has it: folders, metadata.csv, ids ------------------------------------

FIXTURES = Path(__file__).parent / "fixtures"
FOLDER_META = FIXTURES / "folder_meta"


def _values(column) -> list:
    """A column as a list, missing values (NaN in pandas' str dtype) as None."""
    return [None if pd.isna(v) else v for v in column]


def _days(column) -> list:
    """A ``published`` column (checked to be datetime64) as ISO days, missing ones as None."""
    assert column.dtype == "datetime64[us]"
    return [None if pd.isna(v) else v.date().isoformat() for v in column]


def test_sub_folder_is_a_column_and_metadata_csv_describes_the_files():
    articles, rejects = load_corpus(FOLDER_META)
    assert list(articles["article_id"]) == ["politics/001", "politics/144", "sport/13869", "top"]
    by_id = articles.set_index("article_id")
    assert _values(by_id["folder"]) == ["politics", "politics", "sport", None]
    assert _days(by_id["published"]) == ["2024-03-05", "2024-03-08", "2024-03-09", None]
    assert _values(by_id["published_raw"]) == ["2024-03-05", "2024-03-08", "2024-03-09", None]
    assert _values(by_id["outlet"]) == ["Daily Post", "Evening News", None, None]
    assert _values(by_id["section"]) == ["local", "national", "sport", None]
    # metadata.csv's own dateline column is kept beside the one parsed from the text.
    assert by_id.loc["politics/001", "input_dateline"] == "CITY HALL"
    assert pd.isna(by_id.loc["politics/001", "dateline"])
    # The row naming a file that is not there is listed, with the file and row.
    assert rejects["source"].tolist() == [f"{display_path(FOLDER_META / 'metadata.csv')}:5"]
    assert "no .txt file 'sport/missing.txt'" in rejects.loc[0, "reason"]


def test_iter_corpus_reads_folder_metadata_like_load_corpus():
    rejects: list[dict] = []
    streamed = {r["article_id"]: r for r in iter_corpus(FOLDER_META, rejects=rejects)}
    articles, table_rejects = load_corpus(FOLDER_META)
    assert set(streamed) == set(articles["article_id"])
    for row in articles.to_dict("records"):
        for column in ("published", "folder", "outlet", "section"):
            assert _values([streamed[row["article_id"]].get(column)]) == _values([row[column]])
    assert [r["source"] for r in rejects] == table_rejects["source"].tolist()


def test_metadata_csv_date_column_option(tmp_path):
    (tmp_path / "a.txt").write_text("Headline\n\nBody of the story.", encoding="utf-8")
    (tmp_path / "metadata.csv").write_text("file,when,date\na.txt,2020-01-02,1999-12-31\n")
    articles, rejects = load_corpus(tmp_path, date_column="when")
    assert rejects.empty
    assert articles.loc[0, "published"] == pd.Timestamp("2020-01-02")
    assert articles.loc[0, "date"] == "1999-12-31"  # the unused date column passes through


def test_bad_metadata_csv_row_is_rejected_with_its_line_and_the_files_load():
    folder = FIXTURES / "folder_meta_bad"
    articles, rejects = load_corpus(folder)
    assert articles["article_id"].tolist() == ["a", "b"]
    assert _days(articles["published"]) == ["2024-03-05", None]
    assert rejects["source"].tolist() == [f"{display_path(folder / 'metadata.csv')}:3"]
    assert "row 3 (line 3): unreadable CSV" in rejects.loc[0, "reason"]


def test_metadata_csv_without_file_column_is_rejected_whole():
    folder = FIXTURES / "folder_meta_nokey"
    articles, rejects = load_corpus(folder)
    assert articles["article_id"].tolist() == ["a"]
    assert pd.isna(articles.loc[0, "published"])
    assert rejects["source"].tolist() == [display_path(folder / "metadata.csv")]
    assert "no 'file' column" in rejects.loc[0, "reason"]
    assert "columns are: name, date" in rejects.loc[0, "reason"]


def test_metadata_csv_naming_a_file_twice(tmp_path):
    (tmp_path / "a.txt").write_text("Headline\n\nBody of the story.", encoding="utf-8")
    (tmp_path / "metadata.csv").write_text("file,date\na.txt,2020-01-02\na.txt,2021-05-06\n")
    articles, rejects = load_corpus(tmp_path)
    assert articles.loc[0, "published"] == pd.Timestamp("2020-01-02")
    assert rejects["source"].tolist() == [f"{display_path(tmp_path / 'metadata.csv')}:3"]
    assert "already described in row 2" in rejects.loc[0, "reason"]


def test_metadata_csv_given_by_name_is_a_corpus_file():
    articles, rejects = load_corpus(FOLDER_META / "metadata.csv")
    assert articles.empty
    assert "no text column" in rejects.loc[0, "reason"]


def test_integer_ids_sort_naturally_and_merge_back():
    articles, rejects = load_corpus(LOADER_FIXTURES / "int_ids.jsonl")
    assert rejects.empty
    assert articles["article_id"].tolist() == ["2", "144", "13869", "14881"]
    # The documented merge back onto the user's integer ids.
    theirs = pd.DataFrame({"id": [144, 2, 14881, 13869], "label": ["b", "a", "d", "c"]})
    merged = theirs.merge(articles.assign(id=articles["article_id"].astype("int64")), on="id")
    assert dict(zip(merged["label"], merged["text"].str[:5], strict=True)) == {
        "b": "The c",
        "a": "Rain ",
        "d": "Price",
        "c": "Talks",
    }


@pytest.mark.parametrize(
    ("ids", "expected"),
    [
        (["13869", "144", "14881"], ["144", "13869", "14881"]),
        (["a10", "a2", "b1"], ["a2", "a10", "b1"]),
        # Everything but digit runs keeps the text order: punctuation before digits, letters after.
        (["x", "-0", " 42", "007", "7"], [" 42", "-0", "007", "7", "x"]),
        (["9" * 5000, "8" * 5001], ["9" * 5000, "8" * 5001]),  # longer than int() reads
    ],
)
def test_article_order(ids, expected):
    assert sorted(ids, key=article_order) == expected


@pytest.mark.parametrize("command", ["load", "extract", "topics", "stories", "search"])
def test_every_corpus_command_takes_the_column_options(command):
    from analysis.cli import build_parser

    extra = {"extract": ["-o", "out"], "topics": ["-o", "out"], "stories": ["-o", "s.csv"]}
    argv = [command, "corpus.csv", *(["QUERY"] if command == "search" else [])]
    options = ["--text-column", "t", "--id-column", "i", "--headline-column", "h"]
    options += ["--date-column", "d", "--outlet-column", "o"]
    args = build_parser().parse_args([*argv, *extra.get(command, []), *options])
    assert (args.text_column, args.id_column, args.date_column) == ("t", "i", "d")
    assert (args.headline_column, args.outlet_column) == ("h", "o")


def test_topics_command_uses_the_column_options(tmp_path):
    path = tmp_path / "c.csv"
    rows = [
        f"k{i},{'markets shares prices trade bank' if i % 2 else 'football match goals team cup'}"
        for i in range(12)
    ]
    path.write_text("key,body\n" + "\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "topics"
    assert (
        main(
            [
                "topics",
                str(path),
                "-o",
                str(out),
                "--k",
                "2",
                "--text-column",
                "body",
                "--id-column",
                "key",
            ]
        )
        == 0
    )
    doc_topics = pd.read_csv(out / "doc_topics.csv", dtype={"article_id": str})
    assert set(doc_topics["article_id"]) == {f"k{i}" for i in range(12)}


def test_the_binary_check_counts_exactly_the_control_characters_of_unicode():
    import unicodedata

    from analysis.inputs import _CONTROL

    # Category Cc but the five whitespace controls of ordinary text, over every code point.
    expected = {
        chr(i)
        for i in range(0x110000)
        if unicodedata.category(chr(i)) == "Cc" and chr(i) not in "\t\n\r\x0b\x0c"
    }
    assert {chr(i) for i in range(0x110000) if _CONTROL.match(chr(i))} == expected
    assert len(_CONTROL.findall("tab\there\x00and\x85 é “”")) == 2
