"""Tests of analysis.cli.rowfiles: values come back as written, bad rows are rejected alone, outputs
are atomic; run through both per-row commands (`sentiment`, `target-sentiment`)."""

from __future__ import annotations

import csv
import errno
import json
import re
from pathlib import Path

import pytest

from analysis import cli
from analysis.cli import rowfiles

COMMANDS = {
    "sentiment": ["sentiment", "--rules-only"],
    "target-sentiment": ["target-sentiment"],
}
SCORES = {
    "sentiment": {"compound", "positive", "negative", "neutral"},
    "target-sentiment": {"polarity", "negative", "neutral", "positive"},
}
#: A row both commands accept.
GOOD = '{"text": "The minister praised the nurses.", "target_start": 0, "target_end": 12}'


def run(command: str, src: Path, dst: Path, *extra) -> int:
    return cli.main(
        [*COMMANDS[command][:1], str(src), "-o", str(dst), *COMMANDS[command][1:], *map(str, extra)]
    )


def literal_loads(line: str):
    """json.loads that keeps every number as ("number", its text), to compare as written."""
    return json.loads(
        line,
        parse_int=lambda t: ("number", t),
        parse_float=lambda t: ("number", t),
        parse_constant=lambda t: ("number", t),
    )


def jsonl(path: Path) -> list[dict]:
    return [literal_loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def csv_rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


# --- an input column named like an output column is kept under input_NAME ----------------------


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("in_suffix", [".jsonl", ".csv"])
@pytest.mark.parametrize("out_suffix", [".jsonl", ".csv"])
def test_input_columns_named_like_outputs_are_kept_under_a_prefix(
    tmp_path, command, in_suffix, out_suffix
):
    # A file of sentences with the user's own gold label: scoring must not overwrite it.
    rows = [
        {
            "text": "The minister praised the nurses.",
            "label": "gold-pos",
            "input_label": "x",
            "negative": "mine",
            "target_start": "0",
            "target_end": "12",
        },
        {
            "text": "The talks failed.",
            "label": "gold-neg",
            "input_label": "y",
            "negative": "mine too",
            "target_start": "4",
            "target_end": "9",
        },
    ]
    src = tmp_path / f"in{in_suffix}"
    if in_suffix == ".jsonl":
        src.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    else:
        with src.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    dst = tmp_path / f"out{out_suffix}"
    assert run(command, src, dst) == 0
    out = jsonl(dst) if out_suffix == ".jsonl" else csv_rows(dst)
    assert len(out) == 2
    for got, row in zip(out, rows, strict=True):
        assert got["input_negative"] == row["negative"]  # both commands write negative
        if command == "sentiment":
            # input_label is taken by the user's own column, which stays as it is.
            assert got["input_input_label"] == row["label"]
            assert got["input_label"] == row["input_label"]
            assert got["label"] in {"negative", "neutral", "positive"}
        else:
            assert got["label"] == row["label"] and got["input_label"] == row["input_label"]
        assert got["negative"] not in ("mine", "mine too")
    names = list(out[0])
    # The renamed input columns keep their places; the outputs follow.
    assert names[: len(rows[0])] == [
        "text",
        "input_input_label" if command == "sentiment" else "label",
        "input_label",
        "input_negative",
        "target_start",
        "target_end",
    ]


# --- ids and every other column come back as written, from both commands ------------------------

JSONL_IDS = ["1e3", "007", "1_1", "NaN", " 42", ("number", "1e3")]
CSV_IDS = ["1e3", "007", "1_1", "NaN", " 42"]


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("source", ["ids.jsonl", "ids.csv"])
@pytest.mark.parametrize("out_suffix", [".jsonl", ".csv"])
def test_ids_come_back_as_written(fixtures_dir, tmp_path, command, source, out_suffix):
    src = fixtures_dir / "rows" / source
    dst = tmp_path / f"out{out_suffix}"
    assert run(command, src, dst) == 0
    if source.endswith(".jsonl"):
        before = [literal_loads(line) for line in src.read_text(encoding="utf-8").splitlines()]
    else:
        before = csv_rows(src)
    if out_suffix == ".jsonl":
        after = jsonl(dst)
        # The JSON number 1e3 is written as the number 1e3, not "1e3" nor 1000.0.
        assert '{"id": 1e3, ' in dst.read_text(encoding="utf-8") or source.endswith(".csv")
    else:
        after = csv_rows(dst)
        if source.endswith(".jsonl"):
            # In CSV a number is its JSON text.
            before = [
                {k: v[1] if isinstance(v, tuple) else v for k, v in row.items()} for row in before
            ]
    expected_ids = JSONL_IDS if source.endswith(".jsonl") else CSV_IDS
    if out_suffix == ".csv":
        expected_ids = [i[1] if isinstance(i, tuple) else i for i in expected_ids]
    assert [row["id"] for row in after] == expected_ids
    for b, a in zip(before, after, strict=True):
        assert {k: a[k] for k in b} == b
        assert SCORES[command] <= set(a)


def test_jsonl_text_is_kept_byte_for_byte(tmp_path):
    line = (
        '{"id":1E+2, "text":"caf\\u00e9 \\"talks\\"", "n": -0, "f": 1.0, "ok": true, '
        '"nested": {"a": [1e5, null, {"b": 2.50}]}, "big": ' + "9" * 5000 + "}"
    )
    src = tmp_path / "in.jsonl"
    src.write_text(line + "\n", encoding="utf-8")
    dst = tmp_path / "out.jsonl"
    assert run("sentiment", src, dst) == 0
    out = dst.read_text(encoding="utf-8")
    for piece in (
        '"id": 1E+2',
        '"text": "caf\\u00e9 \\"talks\\""',
        '"n": -0',
        '"f": 1.0',
        '"ok": true',
        '"nested": {"a": [1e5, null, {"b": 2.50}]}',
        '"big": ' + "9" * 5000,
    ):
        assert piece in out


# --- per-row isolation -------------------------------------------------------------------------

HOSTILE_LINES = {
    "deep": '{"text": "deep", "x": ' + "[" * 100_000 + "]" * 100_000 + "}",
    "broken": '{"text": "broken", ',
    "array": "[1, 2]",
    "twice": '{"text": "a", "text": "b", "target_start": 0, "target_end": 1}',
}


@pytest.mark.parametrize("command", COMMANDS)
def test_hostile_rows_are_rejected_alone(tmp_path, capsys, command):
    src = tmp_path / "in.jsonl"
    big = "1" * 5000
    lines = [
        GOOD,
        HOSTILE_LINES["deep"],
        # A 5,000-digit integer is kept whole (Python's int() refuses it).
        '{"text": "The minister praised the nurses.", "target_start": 0, "target_end": 12, '
        f'"n": {big}}}',
        HOSTILE_LINES["broken"],
        # Lone surrogates: in the text (scored as U+FFFD) and in another column (kept).
        '{"text": "The minister \\ud800 praised.", "target_start": 0, "target_end": 12, '
        '"note": "\\udfff"}',
        HOSTILE_LINES["array"],
        HOSTILE_LINES["twice"],
    ]
    src.write_bytes(("\n".join(lines) + "\n").encode() + b'{"text": "\xff"}\n')
    dst = tmp_path / "out.jsonl"
    assert run(command, src, dst) == 0
    err = capsys.readouterr().err
    assert f"rejected: {src}:2: not readable: nested deeper" in err
    assert f"rejected: {src}:4: not valid JSON" in err
    assert f"rejected: {src}:6: a record must be a JSON object, got an array" in err
    assert f"rejected: {src}:7: the key 'text' appears twice" in err
    assert f"rejected: {src}:8: not UTF-8 text" in err
    assert f"warning: {src}:5: 'text' has lone surrogates; scored with U+FFFD" in err
    assert "Traceback" not in err
    out_lines = dst.read_text(encoding="utf-8").splitlines()
    assert len(out_lines) == 3
    assert f'"n": {big}' in out_lines[1]
    assert '"text": "The minister \\ud800 praised."' in out_lines[2]
    assert '"note": "\\udfff"' in out_lines[2]


@pytest.mark.parametrize("command", COMMANDS)
def test_no_row_written_exits_1_and_keeps_previous_output(tmp_path, capsys, command):
    src = tmp_path / "in.jsonl"
    src.write_text(HOSTILE_LINES["broken"] + "\n" + HOSTILE_LINES["array"] + "\n")
    dst = tmp_path / "out.jsonl"
    dst.write_text("previous\n")
    rejects = tmp_path / "rejects.csv"
    assert run(command, src, dst, "--rejects", rejects) == 1
    err = capsys.readouterr().err
    assert f"error: {src}: no row written: all 2 rows rejected" in err
    assert dst.read_text() == "previous\n"
    assert [(r["line"], r["reason"][:14]) for r in csv_rows(rejects)] == [
        ("1", "not valid JSON"),
        ("2", "a record must "),
    ]


@pytest.mark.parametrize("command", COMMANDS)
def test_empty_input_exits_1(tmp_path, capsys, command):
    src = tmp_path / "in.csv"
    src.write_text("id,text,target_start,target_end\n")
    assert run(command, src, tmp_path / "out.jsonl") == 1
    assert f"{src}: no rows to score" in capsys.readouterr().err
    assert not (tmp_path / "out.jsonl").exists()


@pytest.mark.parametrize("command", COMMANDS)
def test_rejects_file_lists_every_reject(tmp_path, command):
    src = tmp_path / "in.jsonl"
    src.write_text(f"{GOOD}\n\n{HOSTILE_LINES['broken']}\n{GOOD}\n[1]\n")
    rejects = tmp_path / "rejects.jsonl"
    assert run(command, src, tmp_path / "out.csv", "--rejects", rejects) == 0
    rows = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert [(r["source"], r["line"], r["end_line"]) for r in rows] == [
        (str(src), 3, 3),
        (str(src), 5, 5),
    ]
    assert len(csv_rows(tmp_path / "out.csv")) == 2


def test_stderr_shows_the_first_rejects_only(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(rowfiles, "MAX_SHOWN", 2)
    src = tmp_path / "in.jsonl"
    src.write_text(f"{GOOD}\n" + "[1]\n" * 5)
    assert run("sentiment", src, tmp_path / "out.jsonl") == 0
    err = capsys.readouterr().err
    assert err.count("rejected:") == 3
    assert "3 more not shown (use --rejects FILE to keep them all)" in err
    assert "wrote 1 rows; 5 rejected" in err


# --- usage and atomic outputs ------------------------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("how", ["same", "link", "relative"])
def test_output_may_not_be_the_input(tmp_path, capsys, monkeypatch, command, how):
    src = tmp_path / "in.jsonl"
    src.write_text(GOOD + "\n")
    dst = src
    if how == "link":
        dst = tmp_path / "link.jsonl"
        dst.symlink_to(src)
    elif how == "relative":
        monkeypatch.chdir(tmp_path)
        dst = Path("in.jsonl")
    assert run(command, src, dst) == 2
    assert "the output is the input file" in capsys.readouterr().err
    assert src.read_text() == GOOD + "\n"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["-o", "out.txt"], "-o must name a .jsonl or .csv file"),
        (["-o", "out.jsonl", "--rejects", "in.jsonl"], "--rejects is the input file"),
        (["-o", "out.jsonl", "--rejects", "out.jsonl"], "--rejects is the output file"),
    ],
)
def test_bad_usage_exits_2(tmp_path, capsys, monkeypatch, extra, message):
    monkeypatch.chdir(tmp_path)
    Path("in.jsonl").write_text(GOOD + "\n")
    assert cli.main(["sentiment", "in.jsonl", "--rules-only", *extra]) == 2
    assert message in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]


def _siblings(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_interrupted_run_keeps_previous_output(tmp_path, monkeypatch):
    from analysis.sentiment import SentimentScorer

    src = tmp_path / "in.jsonl"
    src.write_text(GOOD + "\n")
    dst = tmp_path / "out.jsonl"
    dst.write_text("previous\n")

    def interrupted(self, sentences):
        raise KeyboardInterrupt

    monkeypatch.setattr(SentimentScorer, "transform", interrupted)
    assert run("sentiment", src, dst) == 130
    assert dst.read_text() == "previous\n"
    assert _siblings(tmp_path) == []


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_full_disk_names_the_file_and_keeps_previous_output(tmp_path, capsys, monkeypatch, suffix):
    src = tmp_path / "in.jsonl"
    src.write_text(f"{GOOD}\n{GOOD}\n")
    dst = tmp_path / f"out{suffix}"
    dst.write_text("previous\n")
    real_open = Path.open

    class FullFile:
        """A file that takes one write, then reports a full disk."""

        def __init__(self, fh):
            self.fh, self.writes = fh, 0

        def write(self, text):
            self.writes += 1
            if self.writes > 1:
                raise OSError(errno.ENOSPC, "No space left on device")
            return self.fh.write(text)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()

    def fake_open(self, mode="r", *args, **kwargs):
        fh = real_open(self, mode, *args, **kwargs)
        return FullFile(fh) if "w" in mode and self.name.startswith(f".{dst.name}.tmp") else fh

    monkeypatch.setattr(Path, "open", fake_open)
    assert run("sentiment", src, dst) == 1
    assert f"error: {dst}: no space left on the device" in capsys.readouterr().err
    assert dst.read_text() == "previous\n"
    assert _siblings(tmp_path) == []


# --- the reader and writer ---------------------------------------------------------------------


def test_csv_rows_keep_their_text_and_bad_records_are_rejected_alone(tmp_path):
    src = tmp_path / "in.csv"
    long_text = "word " * 40_000  # over the csv module's default 128 KiB field limit
    src.write_bytes(
        b"\xef\xbb\xbfid,text\r\n"
        b' 42,"two\r\nlines"\r\n'
        b"1,2,3\r\n"
        b"bad,\xff\r\n"
        b'"x"y,z\r\n' + f"big,{long_text}\r\n".encode() + b"\r\n"
        b"last,\r\n"
    )
    table = rowfiles.read_rows(src)
    assert table.columns == ["id", "text"]
    assert [(r.line, r.end_line, r.values["id"]) for r in table.rows] == [
        (2, 3, " 42"),
        (7, 7, "big"),
        (9, 9, "last"),
    ]
    assert table.rows[0].values["text"] == "two\r\nlines"
    assert table.rows[1].values["text"] == long_text
    assert [(n.line, n.message) for n in table.rejects] == [
        (4, "has 3 fields; the header has 2"),
        (5, "not UTF-8 text"),
        (6, "malformed CSV: ',' expected after '\"'"),
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xff\xfeh\x00", "is UTF-16 text"),
        (b"id,id\n1,2\n", "the header names column(s) 'id' more than once"),
        (b"i\xffd\n1\n", "the header is not UTF-8 text"),
    ],
)
def test_csv_file_level_errors(tmp_path, content, message):
    src = tmp_path / "in.csv"
    src.write_bytes(content)
    with pytest.raises(cli.CLIError, match=re.escape(f"{src}:")) as err:
        rowfiles.read_rows(src)
    assert message in str(err.value)


def test_json_values_written_to_csv(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(
        '{"s": "x", "z": null, "n": 1e5, "b": false, "o": {"a": [1, 2.0]}, "u": "\\ud800"}\n'
        '{"extra": "only here"}\n'
    )
    table = rowfiles.read_rows(src)
    dst = tmp_path / "out.csv"
    warnings = rowfiles.write_rows(dst, table.rows)
    assert csv_rows(dst) == [
        {
            "s": "x",
            "z": "",
            "n": "1e5",
            "b": "false",
            "o": '{"a": [1, 2.0]}',
            "u": "\ufffd",
            "extra": "",
        },
        {"s": "", "z": "", "n": "", "b": "", "o": "", "u": "", "extra": "only here"},
    ]
    assert [(w.line, w.message) for w in warnings] == [
        (1, "'u' has lone surrogates; written to CSV as U+FFFD")
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (("number", "20"), 20),
        (("number", "20.0"), 20),
        (("number", "2e1"), 20),
        ("20", 20),
        (" 7 ", 7),
        (("number", "0"), 0),
        (("number", "-1"), "outside the text"),
        (("number", "1e400"), "outside the text"),
        (("number", "1" * 5000), "outside the text"),
        (("number", "1e99999999999999999999"), "is not a whole number within the text"),
        ("1e99999999999999999999", "is not a whole number within the text"),
        (("number", "Infinity"), "must be an integer, got Infinity"),
        (("number", "-Infinity"), "must be an integer"),
        (("number", "NaN"), "must be an integer"),
        (("number", "3.5"), "must be an integer, got 3.5"),
        ("x", 'must be an integer, got "x"'),
        ("inf", "must be an integer"),
        ("1_0", "must be an integer"),
        (True, "must be an integer"),
        (None, "must be an integer"),
        ([1], "must be an integer"),
    ],
)
def test_whole_number(value, expected):
    if isinstance(value, tuple):  # a JSON number, read as the reader reads it
        _, values, raws = rowfiles.parse_record('{"v": ' + value[1] + "}")
        field = rowfiles.Field(values["v"], raws["v"])
    else:
        field = rowfiles.Field(value)
    if isinstance(expected, int):
        assert rowfiles.whole_number(field, "target_start", 30) == expected
    else:
        with pytest.raises(rowfiles.RowError, match=re.escape(expected)):
            rowfiles.whole_number(field, "target_start", 30)


def test_a_row_that_breaks_scoring_is_rejected_alone(tmp_path, capsys, monkeypatch):
    from analysis.sentiment import SentimentScorer

    real = SentimentScorer.transform

    def fragile(self, sentences):
        if any("BOOM" in s for s in sentences):
            raise ValueError("cannot handle BOOM")
        out = real(self, sentences)
        out.loc[[i for i, s in enumerate(sentences) if "NAN" in s], "compound"] = float("nan")
        return out

    monkeypatch.setattr(SentimentScorer, "transform", fragile)
    monkeypatch.setattr(rowfiles, "CHUNK_SIZE", 2)
    monkeypatch.setattr(rowfiles, "PROGRESS_EVERY", 0.0)
    src = tmp_path / "in.jsonl"
    texts = ["A good day.", "BOOM", "A bad day.", "NAN", "Fine."]
    src.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts))
    dst = tmp_path / "out.jsonl"
    assert run("sentiment", src, dst) == 0
    err = capsys.readouterr().err
    assert f"rejected: {src}:2: cannot be scored (ValueError: cannot handle BOOM)" in err
    assert f"rejected: {src}:4: scoring gave a value that is not finite" in err
    assert f"{src}: scored 2/5 rows" in err  # progress between chunks
    assert [json.loads(line)["text"] for line in dst.read_text().splitlines()] == [
        "A good day.",
        "A bad day.",
        "Fine.",
    ]


def test_a_missing_model_fails_once_naming_the_file(tmp_path, capsys, monkeypatch):
    from analysis import target
    from analysis.encoder import ModelFilesError

    def missing(*args, **kwargs):
        raise ModelFilesError("/nowhere: model folder has no model.onnx")

    monkeypatch.setattr(target, "target_sentiments", missing)
    src = tmp_path / "in.jsonl"
    src.write_text(f"{GOOD}\n{GOOD}\n")
    dst = tmp_path / "out.jsonl"
    assert run("target-sentiment", src, dst) == 1
    err = capsys.readouterr().err
    assert f"error: {src}: cannot score: /nowhere: model folder has no model.onnx" in err
    assert "rejected" not in err.replace(str(tmp_path), "")
    assert not dst.exists()
