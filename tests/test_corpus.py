"""Tests for analysis.corpus: wire layout, datelines, bad input, mixed folders, duplicates, CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from analysis.cli import main
from analysis.corpus import (
    RejectedInput,
    count_words,
    decode_bytes,
    iter_corpus,
    load_corpus,
    paragraph_spans,
    parse_dateline,
    parse_wire,
    write_table,
)

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
    assert (pd.isna(got) and published is None) or got == published


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
    assert ids == sorted(ids)
    assert set(ids) == {"wire/seed", "wire/deep/cp", "wire/bom16", "1_1", "7", "007", "p1"}
    by_id = articles.set_index("article_id")
    assert by_id.loc["wire/deep/cp", "encoding"] == "cp1252"
    assert by_id.loc["wire/deep/cp", "text"] == "PARIS: Owners said “no” on Monday."
    assert by_id.loc["wire/bom16", "agency"] == "AFP"
    assert by_id.loc["wire/bom16", "dateline"] == "LONDON"
    assert by_id.loc["007", "headline"] == "T"
    assert by_id.loc["007", "published"] == "2011-09-26"
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
        "2011-09-26",
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
