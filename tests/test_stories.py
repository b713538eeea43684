"""Stories: syndicated copies join their origin, look-alikes stay apart, the command and the
statistics over independent stories (dedupe, attention, syndication summary)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import shingles
from analysis import stories as st
from analysis.cli import main
from analysis.corpus import load_corpus
from analysis.syndication import (
    attention,
    dedupe,
    dedupe_note,
    plot_attention,
    plot_copying,
    syndication_summary,
)

FIXTURES = Path(__file__).parent / "fixtures" / "stories"


def _records(name: str) -> list[dict]:
    with (FIXTURES / name).open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


ORIGINALS = {r["id"]: r for r in _records("originals.jsonl")}
LOOKALIKES = _records("lookalikes.jsonl")


# --- the edits syndication makes ------------------------------------------------------------------


def _paragraphs(text: str) -> list[str]:
    return [p for p in re.split(r"\n\s*\n", text) if p.strip()]


def _join(paragraphs: list[str]) -> str:
    return "\n\n".join(paragraphs)


def rewrite_lede(text: str) -> str:
    """A lede of its own: the first third of the first paragraph replaced by other words."""
    paras = _paragraphs(text)
    words = paras[0].split()
    paras[0] = "In a move closely watched across the region, " + " ".join(words[len(words) // 3 :])
    return _join(paras)


_DATELINE = re.compile(
    r"^[A-Z][A-Za-z .,]+?(?:, [A-Z][a-z]+\.? \d+(?:, \d{4})?)? ?(?:\((?:Reuters|AP|AFP)\) )?[-—] "
)


def change_credit(text: str) -> str:
    """The dateline rewritten with another agency's credit and without its date (or added)."""
    if not _DATELINE.match(text):
        return "NORTHFIELD (AP) — " + text
    place = text.split(",")[0].split(" (")[0]
    return _DATELINE.sub(f"{place} (AP) — ", text, count=1)


def drop_dateline(text: str) -> str:
    return _DATELINE.sub("", text, count=1)


def cut_ending(text: str) -> str:
    """The last two paragraphs cut (never below half the words)."""
    return _join(_paragraphs(text)[:-2])


def add_boilerplate(text: str) -> str:
    return (
        text
        + "\n\n(c) 2024 Reuters Limited. All rights reserved. Republication or redistribution of "
        "Reuters content is expressly prohibited without the prior written consent of Reuters."
        + "\n\nClick here for more coverage from the Westbrook Gazette."
    )


def insert_local_paragraph(text: str) -> str:
    paras = _paragraphs(text)
    local = (
        "Community leaders in Westbrook said the news had come as a surprise to many residents "
        "and promised to follow the story closely."
    )
    return _join([*paras[:2], local, *paras[2:]])


_HOUSE = {
    "harbour": "harbor", "favour": "favor", "organisation": "organization", "centre": "center",
    "neighbourhoods": "neighborhoods", "per cent": "%", "percent": "per cent",
    "million dollars": "mln dlrs", " million": " mln",
}  # fmt: skip


def house_style(text: str) -> str:
    """Spelling, number style and quotes of another house, and a longer reporting clause."""
    for a, b in _HOUSE.items():
        text = text.replace(a, b)
    text = text.replace('"', "“", 1).replace('"', "”", 1)
    return text.replace(" said ", " said on Tuesday ", 1)


def rewrap(text: str) -> str:
    """Hard-wrapped lines and indented paragraphs, as old wire copy is laid out."""
    return "\n".join("    " + textwrap.fill(p, 60).replace("\n", "\n") for p in _paragraphs(text))


def drop_sentence(text: str) -> str:
    paras = _paragraphs(text)
    sentences = re.split(r"(?<=\.) ", paras[2])
    paras[2] = " ".join(sentences[:-1]) if len(sentences) > 1 else paras[3]
    return _join(paras)


def add_byline(text: str) -> str:
    return "By Staff Writer\n\n" + text


EDITS = {
    "rewritten lede": rewrite_lede,
    "credit changed": change_credit,
    "dateline dropped": drop_dateline,
    "last paragraphs cut": cut_ending,
    "boilerplate added": add_boilerplate,
    "local paragraph inserted": insert_local_paragraph,
    "house style": house_style,
    "re-wrapped lines": rewrap,
    "sentence dropped": drop_sentence,
    "byline added": add_byline,
}


def _corpus(*extra: dict) -> list[dict]:
    rows = [
        {
            "article_id": r["id"],
            "text": r["text"],
            "headline": r["headline"],
            "outlet": r["outlet"],
            "published": r["published"],
        }
        for r in [*ORIGINALS.values(), *LOOKALIKES]
    ]
    return rows + list(extra)


def _copy(source: str, text: str, suffix: str = "copy", **fields) -> dict:
    row = {
        "article_id": f"{source}-{suffix}",
        "text": text,
        "headline": "A headline of our own",
        "outlet": "Westbrook Gazette",
        "published": None,
    }
    row.update(fields)
    return row


def _by_id(table: pd.DataFrame) -> dict:
    return table.set_index("article_id").to_dict("index")


# --- copies join their origin ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "source, edit",
    [
        (source, edit)
        for edit in sorted(EDITS)
        for source in sorted(ORIGINALS)
        # The study has no dateline to drop.
        if (source, edit) != ("study", "dateline dropped")
    ],
)
def test_copy_with_each_edit_joins_its_origin(source, edit):
    text = EDITS[edit](ORIGINALS[source]["text"])
    assert text != ORIGINALS[source]["text"]
    table = _by_id(st.story_table(_corpus(_copy(source, text))))
    copy = table[f"{source}-copy"]
    assert copy["origin_id"] == source
    assert copy["story_id"] == table[source]["story_id"]
    assert copy["n_copies"] == 2
    assert st.DEFAULT_THRESHOLD <= copy["similarity"] <= 1.0
    assert table[source]["similarity"] == 1.0


@pytest.mark.parametrize("source", sorted(ORIGINALS))
def test_copy_with_several_edits_joins_its_origin(source):
    text = ORIGINALS[source]["text"]
    for edit in (rewrite_lede, cut_ending, add_boilerplate, house_style, rewrap):
        text = edit(text)
    table = _by_id(st.story_table(_corpus(_copy(source, text))))
    assert table[f"{source}-copy"]["origin_id"] == source


def test_many_copies_form_one_story_around_the_original():
    source = ORIGINALS["harbour"]["text"]
    copies = [_copy("harbour", edit(source), suffix=name) for name, edit in EDITS.items()]
    table = st.story_table(_corpus(*copies))
    story = table[table["origin_id"] == "harbour"]
    assert set(story["article_id"]) == {"harbour", *(c["article_id"] for c in copies)}
    assert (story["n_copies"] == len(copies) + 1).all()
    others = table[~table["article_id"].isin(story["article_id"])]
    assert (others["n_copies"] == 1).all()


# --- look-alikes stay apart -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["results", "release", "standings"])
def test_lookalikes_stay_apart(kind):
    ids = [r["id"] for r in LOOKALIKES if r["kind"] == kind]
    table = _by_id(st.story_table(_corpus()))
    assert len({table[i]["story_id"] for i in ids}) == len(ids)
    assert all(table[i]["n_copies"] == 1 for i in ids)


@pytest.mark.parametrize("kind", ["release", "standings"])
def test_number_check_is_what_keeps_templates_apart(kind):
    # Without the check on figures these two pairs would pass as copies: the test above relies
    # on it, not on a threshold that happens to be high enough.
    ids = [r["id"] for r in LOOKALIKES if r["kind"] == kind]
    rows = [r for r in _corpus() if r["article_id"] in ids]
    merged = st.story_table(rows, number_conflicts=None)
    assert merged["story_id"].nunique() == 1
    assert st.story_table(rows)["story_id"].nunique() == 2


def test_lookalike_copies_do_not_chain_two_stories():
    # A copy of each results report: each joins its own original, and the two stories stay two.
    a, b = (r for r in LOOKALIKES if r["kind"] == "release")
    rows = [r for r in _corpus() if r["article_id"] in (a["id"], b["id"])]
    rows += [
        _copy(a["id"], cut_ending(a["text"]) + "\n\nAnother line about the operation."),
        _copy(b["id"], rewrite_lede(b["text"])),
    ]
    table = _by_id(st.story_table(rows))
    assert table[f"{a['id']}-copy"]["origin_id"] == a["id"]
    assert table[f"{b['id']}-copy"]["origin_id"] == b["id"]
    assert table[a["id"]]["story_id"] != table[b["id"]]["story_id"]


def test_unrelated_articles_are_stories_of_their_own():
    table = st.story_table(_corpus())
    assert (table["article_id"] == table["origin_id"]).all()
    assert (table["similarity"] == 1.0).all()
    assert table["story_id"].tolist() == list(range(len(table)))


# --- origin ---------------------------------------------------------------------------------------


def test_origin_is_the_earliest_copy():
    text = ORIGINALS["wildfire"]["text"]
    early_cut = _copy("wildfire", cut_ending(text), published="2024-07-16")
    table = _by_id(st.story_table([*_corpus(), early_cut]))
    assert table["wildfire"]["origin_id"] == "wildfire-copy"


def test_origin_without_dates_is_the_most_complete_copy():
    text = ORIGINALS["wildfire"]["text"]
    rows = [
        {"article_id": "a-cut", "text": cut_ending(text)},
        {"article_id": "b-full", "text": text},
        {"article_id": "c-lede", "text": rewrite_lede(text)},
    ]
    table = _by_id(st.story_table(rows))
    assert {r["origin_id"] for r in table.values()} == {"b-full"}


def test_dated_copies_decide_the_origin():
    # Dates, when any copy has one, come first: the earliest dated copy is the origin even if
    # it is cut and an undated one is complete.
    text = ORIGINALS["study"]["text"]
    rows = [
        {"article_id": "dated-cut", "text": cut_ending(text), "published": "2024-02-02"},
        {"article_id": "undated-full", "text": text, "published": None},
        {"article_id": "late-full", "text": add_byline(text), "published": "2024-02-05"},
    ]
    table = _by_id(st.story_table(rows))
    assert {r["origin_id"] for r in table.values()} == {"dated-cut"}


def test_boilerplate_does_not_make_a_copy_more_complete():
    # Without dates the origin is the copy with the most of the story's own text; a credit
    # line found in other articles too does not count, the original's cut paragraphs do.
    text = ORIGINALS["harbour"]["text"]
    other = ORIGINALS["wildfire"]["text"]
    rows = [
        {"article_id": "a-boilerplate", "text": add_boilerplate(text)},
        {"article_id": "b-original", "text": text},
        {"article_id": "c-cut", "text": cut_ending(add_boilerplate(text))},
        {"article_id": "d-other", "text": add_boilerplate(other)},
    ]
    table = _by_id(st.story_table(rows))
    assert table["a-boilerplate"]["origin_id"] == "b-original"
    assert table["c-cut"]["origin_id"] == "b-original"


# --- table, ids, determinism ----------------------------------------------------------------------


def test_table_columns_and_ids(tmp_path):
    path = tmp_path / "corpus.jsonl"
    _write_jsonl(path, _fixture_records())
    articles, rejects = load_corpus(path)
    before = articles.copy()
    table = st.story_table(articles)
    assert list(table.columns) == st.STORY_COLUMNS
    assert table["article_id"].tolist() == sorted(articles["article_id"])
    assert rejects.empty
    pd.testing.assert_frame_equal(articles, before)  # the input is not modified
    assert set(table["origin_id"]) <= set(articles["article_id"])
    assert table["agency"].notna().any()


def test_ids_and_offsets_of_other_tables_unchanged():
    table = st.story_table(_corpus(_copy("harbour", cut_ending(ORIGINALS["harbour"]["text"]))))
    mentions = pd.DataFrame(
        {
            "article_id": ["harbour", "harbour-copy", "harbour-copy", "study"],
            "start": [0, 5, 17, 3],
            "end": [4, 9, 21, 8],
            "text": ["KEST", "BAY,", "Marc", "dren"],
        }
    )
    kept = dedupe(mentions, table)
    assert kept.equals(mentions.iloc[[0, 3]])


def _fixture_records() -> list[dict]:
    recs = [
        {k: r[k] for k in ("id", "headline", "text", "outlet", "published")}
        for r in [*ORIGINALS.values(), *LOOKALIKES]
    ]
    for name, edit in EDITS.items():
        src = ORIGINALS["election"]
        recs.append(
            {
                "id": f"election-{name.replace(' ', '-')}",
                "headline": "Vote count disputed",
                "text": edit(src["text"]),
                "outlet": "Westbrook Gazette",
                "published": "2024-06-15",
            }
        )
    return recs


def _write_jsonl(path: Path, records: list[dict]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))


def test_same_story_ids_whatever_the_file_order(tmp_path):
    records = _fixture_records()
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    # The same articles split over two files, in opposite orders and file names.
    _write_jsonl(a / "1.jsonl", records[::2])
    _write_jsonl(a / "2.jsonl", records[1::2])
    _write_jsonl(b / "1.jsonl", records[1::2][::-1])
    _write_jsonl(b / "2.jsonl", records[::2][::-1])
    out_a, out_b = tmp_path / "a.csv", tmp_path / "b.csv"
    assert main(["stories", str(a / "1.jsonl"), str(a / "2.jsonl"), "-o", str(out_a)]) == 0
    assert main(["stories", str(b / "2.jsonl"), str(b / "1.jsonl"), "-o", str(out_b)]) == 0
    first, second = pd.read_csv(out_a), pd.read_csv(out_b)
    pd.testing.assert_frame_equal(first, second)
    assert (first["n_copies"] > 1).sum() == len(EDITS) + 1


def test_repeated_runs_are_identical():
    rows = _corpus(*(_copy("study", e(ORIGINALS["study"]["text"]), k) for k, e in EDITS.items()))
    first = st.story_table(rows)
    second = st.story_table(list(reversed(rows)))
    pd.testing.assert_frame_equal(first, second)


# --- building blocks ------------------------------------------------------------------------------


def test_signatures_equal_datasketch_minhash():
    from datasketch import MinHash

    texts = [ORIGINALS["study"]["text"], "Too short", "", "one two three four five six"]
    codes = [shingles._CODES.encode(t) for t in texts]
    values, counts = shingles._chunk_shingles(codes)
    perms = MinHash(num_perm=64, seed=3).permutations
    sig = st.minhash_signatures(values, counts, perms)
    bounds = np.concatenate([[0], np.cumsum(counts)])
    for t in range(len(texts)):
        reference = MinHash(num_perm=64, seed=3, hashfunc=int)
        reference.update_batch(values[bounds[t] : bounds[t + 1]].tolist())
        assert np.array_equal(sig[t], reference.hashvalues)
        assert np.array_equal(values[bounds[t] : bounds[t + 1]], st.shingle_hashes(texts[t]))


@pytest.mark.parametrize(
    "a, b",
    [
        ("The colour of the harbour", "The color of the harbor"),
        ("to organise the programme", "to organize the program"),
        ("rose 5 per cent to 1,200 million dollars", "rose 5% to 1200 mln dlrs"),
        ("“It is,” he said.", '"It is," he said.'),
        ("the U.S. economy", "the US economy"),
        ("payable April two", "payable April 2"),
    ],
)
def test_house_style_variants_normalise_alike(a, b):
    assert st.normal_tokens(a) == st.normal_tokens(b)


def test_line_wraps_do_not_change_shingles():
    text = ORIGINALS["election"]["text"]
    assert np.array_equal(st.shingle_hashes(text), st.shingle_hashes(rewrap(text)))


def test_number_conflicts_count_changed_figures():
    a = st.shingle_hashes("The bank said it raised its prime rate to 7.25 percent from 7 percent.")
    b = st.shingle_hashes("The bank said it raised its prime rate to 7.5 percent from 7 percent.")
    assert st.number_conflicts(a, b) == 1
    assert st.number_conflicts(a, a) == 0


@pytest.mark.parametrize(
    "text, agency",
    [
        ("WASHINGTON (Reuters) - The bill passed.", "Reuters"),
        ("PINE RIDGE, Colo. (AP) — Crews gained ground.", "AP"),
        ("The text.\n\n(c) 2011 Reuters Limited. All rights reserved.", "Reuters"),
        ("Copyright 2024 The Associated Press. All rights reserved.", "AP"),
        ("Bahrain output was steady.\n REUTER", "Reuters"),
        ("Troops left the town. -- AFP", "AFP"),
        ("He told Agence France Presse the plan had failed.", None),
        ("Users can download the app", None),
    ],
)
def test_credited_agency(text, agency):
    assert st.credited_agency(text) == agency


def test_loader_agency_comes_first():
    assert st.credited_agency("The text. -- AFP", "Xinhua") == "Xinhua"


def test_duplicate_ids_are_refused():
    index = st.StoryIndex()
    index.add("a", "some text")
    with pytest.raises(ValueError, match="duplicate article_id 'a'"):
        index.add("a", "other text")


def test_story_table_checks_columns():
    with pytest.raises(ValueError, match="text"):
        st.story_table(pd.DataFrame({"article_id": ["a"]}))


def test_empty_and_tiny_texts():
    rows = [
        {"article_id": "empty", "text": ""},
        {"article_id": "tiny", "text": "Reuter"},
        {"article_id": "tiny2", "text": "Reuter"},
        {"article_id": "punct", "text": "..."},
    ]
    table = _by_id(st.story_table(rows))
    assert table["tiny2"]["origin_id"] == "tiny"
    assert table["empty"]["n_copies"] == 1 and table["punct"]["n_copies"] == 1


def test_large_bucket_of_identical_texts_is_one_story():
    text = ORIGINALS["harbour"]["text"]
    rows = [{"article_id": f"n{i:03d}", "text": text} for i in range(150)]
    table = st.story_table(rows)
    assert table["story_id"].nunique() == 1
    assert (table["origin_id"] == "n000").all()


# --- the command ----------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_cli_writes_each_format(tmp_path, suffix, capsys):
    corpus = tmp_path / "corpus.jsonl"
    _write_jsonl(corpus, _fixture_records())
    out = tmp_path / f"stories{suffix}"
    assert main(["stories", str(corpus), "-o", str(out)]) == 0
    if suffix == ".csv":
        table = pd.read_csv(out, dtype={"article_id": str, "origin_id": str})
    elif suffix == ".jsonl":
        table = pd.read_json(out, lines=True, dtype={"article_id": str, "origin_id": str})
    else:
        table = pd.read_parquet(out)
    assert list(table.columns) == st.STORY_COLUMNS
    assert len(table) == len(_fixture_records())
    story = table.loc[table["article_id"] == "election", "story_id"].iloc[0]
    assert (table["story_id"] == story).sum() == len(EDITS) + 1
    err = capsys.readouterr().err
    assert "stories:" in err and str(out) in err
    assert not list(tmp_path.glob(".*tmp*"))


def test_cli_column_options_and_txt_folder(tmp_path):
    folder = tmp_path / "wire"
    folder.mkdir()
    src = ORIGINALS["harbour"]
    (folder / "original.txt").write_text(src["headline"] + "\n\n" + src["text"], encoding="utf-8")
    (folder / "copy.txt").write_text(
        "Harbour plan approved\n\n" + cut_ending(src["text"]), encoding="utf-8"
    )
    records = tmp_path / "records.csv"
    pd.DataFrame({"key": ["x1"], "body": [ORIGINALS["study"]["text"]]}).to_csv(records, index=False)
    out = tmp_path / "out.csv"
    args = ["stories", str(folder), str(records), "-o", str(out)]
    assert main([*args, "--id-column", "key", "--text-column", "body"]) == 0
    table = pd.read_csv(out)
    assert set(table["article_id"]) == {"original", "copy", "x1"}
    assert table.set_index("article_id").loc["copy", "origin_id"] == "original"


def test_cli_lists_rejects_and_keeps_going(tmp_path, capsys):
    folder = tmp_path / "corpus"
    folder.mkdir()
    _write_jsonl(folder / "good.jsonl", _fixture_records()[:3])
    (folder / "empty.txt").write_text("")
    (folder / "binary.txt").write_bytes(b"\x00\x01\x02" * 50)
    (folder / "broken.jsonl").write_text('{"text": "fine text here"}\n{not json\n')
    out = tmp_path / "out.csv"
    assert main(["stories", str(folder), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert f"rejected: {folder / 'empty.txt'}: empty file" in err
    assert f"rejected: {folder / 'binary.txt'}" in err
    assert f"rejected: {folder / 'broken.jsonl'}:2: line 2: invalid JSON" in err
    assert len(pd.read_csv(out)) == 4


@pytest.mark.parametrize(
    "args, message",
    [
        (["missing.jsonl", "-o", "out.csv"], "no article loaded from missing.jsonl"),
        (["corpus", "-o", "out.xlsx"], "out.xlsx: output must be one of .csv, .jsonl, .parquet"),
        (["corpus", "-o", "corpus/stories.csv"], "inside the corpus folder corpus"),
        (["corpus/a.jsonl", "-o", "corpus/a.jsonl"], "is an input of this run"),
        (["corpus", "-o", "outdir.csv"], "outdir.csv: is a folder"),
    ],
)
def test_cli_errors_name_the_file(tmp_path, monkeypatch, capsys, args, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "corpus").mkdir()
    _write_jsonl(tmp_path / "corpus" / "a.jsonl", _fixture_records()[:2])
    (tmp_path / "outdir.csv").mkdir()
    assert main(["stories", *args]) == 1
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
    assert (tmp_path / "corpus" / "a.jsonl").read_text().count("\n") == 2


def test_cli_unwritable_output_is_an_error(tmp_path, capsys):
    corpus = tmp_path / "corpus.jsonl"
    _write_jsonl(corpus, _fixture_records()[:2])
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    assert main(["stories", str(corpus), "-o", str(blocked / "out.csv")]) == 1
    err = capsys.readouterr().err
    assert str(blocked / "out.csv") in err and "Traceback" not in err


@pytest.mark.parametrize("value", ["0", "1.5", "half"])
def test_cli_bad_threshold_is_bad_usage(tmp_path, value, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["stories", str(tmp_path), "-o", str(tmp_path / "o.csv"), "--threshold", value])
    assert exc.value.code == 2
    assert "--threshold" in capsys.readouterr().err


def test_cli_threshold_option(tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    src = ORIGINALS["wildfire"]["text"]
    copy = insert_local_paragraph(rewrite_lede(src))
    _write_jsonl(corpus, [{"id": "w", "text": src}, {"id": "w-copy", "text": copy}])
    similarity = st.containment(st.shingle_hashes(src), st.shingle_hashes(copy))
    assert st.DEFAULT_THRESHOLD < similarity < 0.95
    out = tmp_path / "out.csv"
    assert main(["stories", str(corpus), "-o", str(out)]) == 0
    assert pd.read_csv(out)["story_id"].nunique() == 1
    assert main(["stories", str(corpus), "-o", str(out), "--threshold", "0.95"]) == 0
    assert pd.read_csv(out)["story_id"].nunique() == 2


def test_cli_help_names_the_default_threshold(capsys):
    with pytest.raises(SystemExit):
        main(["stories", "--help"])
    assert f"default {st.DEFAULT_THRESHOLD}" in " ".join(capsys.readouterr().out.split())


def test_command_module_imports_no_heavy_library():
    code = (
        "import sys, analysis.cli.stories; "
        "print(sorted(m for m in ('pandas', 'numpy', 'datasketch') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- statistics over independent stories ----------------------------------------------------------


@pytest.fixture
def syndicated():
    """Articles of three outlets: the harbour story run three times, the others once."""
    src = ORIGINALS["harbour"]["text"]
    rows = _corpus(
        _copy("harbour", cut_ending(src), "gazette", published="2024-03-05"),
        _copy("harbour", rewrite_lede(src), "tribune", outlet="Tribune", published="2024-03-06"),
    )
    articles = pd.DataFrame(rows)
    return articles, st.story_table(articles)


def test_dedupe_keeps_one_article_per_story(syndicated):
    articles, stories = syndicated
    kept = dedupe(articles, stories)
    assert len(kept) == len(articles) - 2
    assert "harbour" in set(kept["article_id"])
    per_outlet = dedupe(articles, stories, how="outlet")
    assert set(articles["article_id"]) - set(per_outlet["article_id"]) == set()
    twice = pd.concat([stories, stories.assign(article_id="x", origin_id="harbour")])
    assert len(dedupe(articles, twice)) == len(kept)
    with pytest.raises(ValueError, match="how must be"):
        dedupe(articles, stories, how="other")


def test_dedupe_none_keeps_every_row_and_notes_say_what_is_counted(syndicated):
    articles, stories = syndicated
    assert dedupe(articles, None, how="none").equals(articles)
    assert dedupe(articles, stories, how="none").equals(articles)
    with pytest.raises(ValueError, match="needs the stories table"):
        dedupe(articles, None, how="story")
    n_stories = stories["story_id"].nunique()
    assert n_stories < len(articles)
    notes = {how: dedupe_note(how, stories) for how in ("none", "story", "outlet")}
    assert "all articles" in notes["none"]
    assert "independent stories" in notes["story"]
    assert "per outlet" in notes["outlet"]
    assert all(f"{len(articles)} articles, {n_stories} stories" in n for n in notes.values())
    assert "(" not in dedupe_note("story")
    with pytest.raises(ValueError, match="how must be"):
        dedupe_note("stories")


def test_dedupe_per_outlet_drops_an_outlets_own_repeats(syndicated):
    articles, stories = syndicated
    extra = _copy("harbour", add_byline(ORIGINALS["harbour"]["text"]), "gazette2")
    articles = pd.concat([articles, pd.DataFrame([extra])], ignore_index=True)
    stories = st.story_table(articles)
    kept = dedupe(articles, stories, how="outlet")
    gazette = kept[(kept["outlet"] == "Westbrook Gazette")]
    assert len(gazette[gazette["article_id"].str.startswith("harbour")]) == 1


def test_attention_counts_articles_or_stories(syndicated):
    articles, stories = syndicated
    by_article = attention(articles, "harbour", freq="M", by=None)
    march = by_article[by_article["period"] == pd.Timestamp("2024-03-01")].iloc[0]
    assert (march["count"], march["total"]) == (3, 3)
    by_story = attention(articles, "harbour", freq="M", by=None, stories=stories)
    march = by_story[by_story["period"] == pd.Timestamp("2024-03-01")].iloc[0]
    assert (march["count"], march["total"], march["share"]) == (1, 1, 1.0)
    assert set(by_story.columns) == {"period", "query", "count", "total", "share"}


def test_attention_per_outlet_and_query_kinds(syndicated):
    articles, stories = syndicated
    table = attention(
        articles,
        {"port": "Port authority", "study": {"study"}, "none": "zebra crossing"},
        freq="Y",
    )
    assert "outlet" in table.columns
    y2024 = table[table["period"] == pd.Timestamp("2024-01-01")]
    port = y2024[y2024["query"] == "port"].set_index("outlet")
    assert port.loc["Reuters", "count"] == 1
    assert (y2024[y2024["query"] == "none"]["count"] == 0).all()
    study = y2024[y2024["query"] == "study"].set_index("outlet")
    assert study.loc["City Times", "share"] == 1.0
    mentions = pd.DataFrame({"article_id": ["study", "wildfire"], "actor": ["Marsh", "Ortega"]})
    actors = attention(articles, mentions, freq="Y", by=None)
    assert set(actors["query"]) == {"Marsh", "Ortega"}
    with pytest.raises(ValueError, match="empty keyword"):
        attention(articles, " ")


def test_attention_without_dates_is_empty():
    articles = pd.DataFrame({"article_id": ["a"], "text": ["x"], "published": [None]})
    assert attention(articles, "x").empty


def test_syndication_summary(syndicated):
    _, stories = syndicated
    summary = syndication_summary(stories, top_n=3)
    largest = summary["largest"].iloc[0]
    assert (largest["origin_id"], largest["n_copies"], largest["n_outlets"]) == ("harbour", 3, 3)
    assert largest["agency"] == "Reuters"
    outlets = summary["outlets"].set_index("outlet")
    assert outlets.loc["Reuters", "n_picked_up"] == 2
    assert outlets.loc["Tribune", "n_copies"] == 1
    assert summary["copying"].loc["Reuters", "Tribune"] == 1


def test_charts_return_figures(syndicated):
    from matplotlib.figure import Figure

    articles, stories = syndicated
    assert isinstance(plot_attention(attention(articles, ["harbour", "vote"])), Figure)
    assert isinstance(plot_attention(attention(articles.iloc[:0], "x")), Figure)
    assert isinstance(plot_copying(syndication_summary(stories)["copying"]), Figure)
    assert isinstance(plot_copying(pd.DataFrame()), Figure)


# --- stories.parquet in an extract folder -----------------------------------------------------------


def _store_articles(syndicated_articles: pd.DataFrame) -> pd.DataFrame:
    """The articles as the loader gives them (other columns too, dates as timestamps)."""
    return syndicated_articles.assign(
        published=pd.to_datetime(syndicated_articles["published"]),
        n_words=syndicated_articles["text"].str.split().str.len(),
        source="corpus.jsonl",
    )


def test_store_stories_reads_partitioned_articles(syndicated, tmp_path):
    articles, stories = syndicated
    frame = _store_articles(articles)
    # extract writes DIR/articles.parquet/part-NNNNN.parquet, in input order, not sorted.
    parts = tmp_path / "articles.parquet"
    parts.mkdir()
    half = len(frame) // 2
    frame.iloc[half:].to_parquet(parts / "part-00000.parquet", index=False)
    frame.iloc[:half].to_parquet(parts / "part-00001.parquet", index=False)
    written = st.store_stories(tmp_path, batch_size=2)
    read = pd.read_parquet(tmp_path / "stories.parquet")
    assert list(read.columns) == st.STORY_COLUMNS
    pd.testing.assert_frame_equal(written, stories)
    pd.testing.assert_frame_equal(
        read[["article_id", "story_id", "origin_id"]],
        stories[["article_id", "story_id", "origin_id"]],
    )
    assert read["similarity"].tolist() == stories["similarity"].tolist()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["articles.parquet", "stories.parquet"]


def test_store_stories_from_a_frame_or_a_single_file(syndicated, tmp_path):
    articles, stories = syndicated
    st.store_stories(tmp_path, articles)
    given = pd.read_parquet(tmp_path / "stories.parquet")
    other = tmp_path / "single"
    other.mkdir()
    _store_articles(articles).to_parquet(other / "articles.parquet", index=False)
    st.store_stories(other)
    pd.testing.assert_frame_equal(pd.read_parquet(other / "stories.parquet"), given)
    assert given["story_id"].tolist() == stories["story_id"].tolist()


def test_store_stories_errors_name_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=re.escape(str(tmp_path / "articles.parquet"))):
        st.store_stories(tmp_path)
    pd.DataFrame({"article_id": ["a"], "body": ["x"]}).to_parquet(tmp_path / "articles.parquet")
    with pytest.raises(ValueError, match=r"articles\.parquet: .*lacks column"):
        st.store_stories(tmp_path)
    pd.DataFrame({"article_id": ["a", "a"], "text": ["x", "y"]}).to_parquet(
        tmp_path / "articles.parquet"
    )
    with pytest.raises(ValueError, match=r"articles\.parquet: duplicate article_id 'a'"):
        st.store_stories(tmp_path)
    assert not (tmp_path / "stories.parquet").exists()
