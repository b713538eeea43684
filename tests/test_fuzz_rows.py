"""Fuzzing the per-row commands (`sentiment`, `target-sentiment`) with hypothesis.

Random JSONL lines (objects with random keys and values, nesting, huge integers, number literals
in every form, surrogate escapes, non-objects, broken and undecodable lines) and random CSV
files (random quoting and line ends, multi-line fields, wrong field counts, undecodable bytes)
go through ``analysis.cli.main`` in-process. Whatever the input: no exception escapes, the exit
code is 0 exactly when a row was written, every input row is in the output (its columns as
written) or among the rejects, scores are finite and in range, and the outputs parse.

The ``ci`` profile (default) runs 150 examples per test; ``NEWS_ANALYSIS_HYPOTHESIS_PROFILE=long``
runs 5,000.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import event, given
from hypothesis import strategies as st

from analysis import cli
from analysis.tables import replace_surrogates

#: Output columns; an input column of one of these names comes back as input_NAME
#: (tests/test_rowfiles.py), so the generated names leave them out.
SENTIMENT_COLUMNS = ("compound", "positive", "negative", "neutral", "label")
TARGET_COLUMNS = ("polarity", "negative", "neutral", "positive")
SCORE_NAMES = set(SENTIMENT_COLUMNS) | set(TARGET_COLUMNS)
LABELS = ("negative", "neutral", "positive")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_INT_RE = re.compile(r"-?\d{1,6}")  # short enough for int()

# --- JSON text, built piece by piece so every literal is known as written ------------------------

surrogates = st.characters(categories=["Cs"])
texts = st.text(st.one_of(st.characters(), surrogates), max_size=60)
plain_texts = st.text(max_size=60)  # what CSV can hold: no lone surrogates
words = st.sampled_from(
    ["The", "minister", "praised", "the", "nurses", "attack", "killed", "peace", "talks", " "]
)
sentences = st.lists(words, min_size=0, max_size=12).map(" ".join)

number_literals = st.one_of(
    st.integers(-(10**6), 10**6).map(str),
    st.from_regex(r"-?(0|[1-9][0-9]{0,3})(\.[0-9]{1,3})?([eE][+-]?[0-9]{1,3})?", fullmatch=True),
    st.integers(4300, 6000).map(lambda n: "7" * n),  # beyond int()'s 4,300-digit limit
    st.sampled_from(
        [
            "NaN",
            "Infinity",
            "-Infinity",
            "1e400",
            "-0",
            "1.0",
            "1e5",
            "1E+2",
            "1e99999999999999999999",
        ]
    ),
)


@st.composite
def string_literals(draw, strings=texts):
    value = draw(strings)
    # A lone surrogate can only be written as an escape in UTF-8 JSON.
    ascii_only = draw(st.booleans()) or bool(re.search("[\ud800-\udfff]", value))
    return json.dumps(value, ensure_ascii=ascii_only)


spaces = st.sampled_from(["", " ", "  ", "\t"])
scalar_literals = st.one_of(
    number_literals, string_literals(), st.sampled_from(["true", "false", "null"])
)


def _containers(children):
    arrays = st.lists(children, max_size=4).map(lambda xs: "[" + ", ".join(xs) + "]")
    objects = st.lists(st.tuples(string_literals(), children), max_size=4).map(
        lambda kvs: "{" + ", ".join(f"{k}: {v}" for k, v in kvs) + "}"
    )
    return arrays | objects


value_literals = st.recursive(scalar_literals, _containers, max_leaves=12)
deep_literals = st.integers(900, 100_000).map(lambda n: "[" * n + "]" * n)
offset_literals = st.one_of(
    st.integers(-3, 70).map(str),
    number_literals,
    string_literals(st.one_of(st.integers(-3, 70).map(str), plain_texts)),
    st.sampled_from(["true", "null", '"x"', "3.5", "1e400", "Infinity", "NaN", "[]", "{}"]),
)


@dataclass
class Line:
    """One generated JSONL line: its bytes and, for records, the (key, value) texts it holds."""

    data: bytes
    pairs: list[tuple[str, str]] | None = None
    text: str | None = None  # the text, when the record's text column is a string
    offsets: tuple[int, int] | None = None  # offsets written as plain JSON integers


@st.composite
def records(draw, command: str) -> Line:
    keys = st.text(max_size=8).filter(lambda k: k not in SCORE_NAMES and k != "text")
    pairs = [
        (json.dumps(k, ensure_ascii=draw(st.booleans())), draw(value_literals))
        for k in draw(st.lists(keys, max_size=4, unique=True))
    ]
    # hypothesis favours small integers, so rare cases are a middle value, not 0.
    if draw(st.integers(0, 7)) == 3:
        pairs.append(('"deep"', draw(deep_literals)))
    text = None
    kind = draw(st.sampled_from(["text"] * 6 + ["other", "missing"]))
    if kind == "text":
        text = draw(st.one_of(sentences, texts))
        pairs.append(('"text"', draw(string_literals(st.just(text)))))
    elif kind == "other":
        pairs.append(('"text"', draw(value_literals)))
    offsets = None
    if command == "target-sentiment":
        if text and draw(st.integers(0, 2)):
            n = len(text)
            start = draw(st.integers(0, n - 1))
            end = draw(st.integers(start + 1, n))
            offsets = (start, end)
            pairs += [('"target_start"', str(start)), ('"target_end"', str(end))]
        else:
            for name in ("target_start", "target_end"):
                if draw(st.integers(0, 9)) != 4:
                    pairs.append((f'"{name}"', draw(offset_literals)))
    order = draw(st.permutations(range(len(pairs))))
    pairs = [pairs[i] for i in order]
    if draw(st.integers(0, 19)) == 5 and pairs:
        pairs.append(pairs[0])  # a key twice
    sep = draw(spaces)
    line = "{" + sep + ("," + sep).join(f"{k}:{sep}{v}" for k, v in pairs) + sep + "}"
    return Line(line.encode("utf-8"), pairs, text, offsets)


@st.composite
def other_lines(draw) -> Line:
    kind = draw(st.sampled_from(["value", "broken", "garbage", "bytes", "blank"]))
    if kind == "value":
        return Line(draw(value_literals).encode())
    if kind == "broken":
        whole = draw(records("sentiment")).data.decode()
        return Line(whole[: draw(st.integers(0, max(0, len(whole) - 1)))].encode())
    if kind == "garbage":
        return Line(replace_surrogates(draw(plain_texts)).replace("\n", " ").encode())
    if kind == "bytes":
        junk = draw(st.binary(min_size=1, max_size=6).map(lambda b: b.replace(b"\n", b"")))
        return Line(b'{"text": "' + junk + b'\xff"}')
    return Line(draw(st.sampled_from([b"", b"  ", b"\t", b"\r"])))


def jsonl_files(command: str):
    return st.lists(
        st.one_of(records(command), records(command), other_lines()), min_size=0, max_size=8
    )


# --- checking one run --------------------------------------------------------------------------


def literal_loads(text: str):
    """json.loads keeping numbers as ("number", text as written), top-level pairs in a list."""
    return json.loads(
        text,
        parse_int=lambda t: ("number", t),
        parse_float=lambda t: ("number", t),
        parse_constant=lambda t: ("number", t),
    )


def top_pairs(text: str) -> list | None:
    """The top-level (key, value) pairs of a JSONL line, or None when it is no JSON object."""
    holder: list = []

    def hook(pairs):
        holder.append(pairs)
        return dict(pairs)

    try:
        value = json.loads(
            text,
            object_pairs_hook=hook,
            parse_int=lambda t: ("number", t),
            parse_float=lambda t: ("number", t),
            parse_constant=lambda t: ("number", t),
        )
    except (ValueError, RecursionError):
        return None
    return holder[-1] if isinstance(value, dict) else None


@dataclass
class Run:
    code: int
    err: str
    out: list[dict] = field(default_factory=list)
    rejected: list[int] = field(default_factory=list)


def _lines(path: Path) -> list[str]:
    # Split on "\n" only: a JSON string may hold U+2028 or U+0085, which splitlines() splits on.
    with path.open(encoding="utf-8", newline="") as fh:
        return fh.read().split("\n")[:-1]


def run(command: str, src: Path, out_suffix: str, extra: list[str]) -> Run:
    folder = src.parent
    dst, rejects = folder / f"out{out_suffix}", folder / "rejects.jsonl"
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = cli.main([command, str(src), "-o", str(dst), "--rejects", str(rejects), *extra])
    text = err.getvalue()
    assert "Traceback" not in text and "unexpected" not in text, text
    assert code in (0, 1), text
    result = Run(code, text)
    event(f"{command}: exit {code}")
    assert rejects.exists()
    result.rejected = [json.loads(line)["line"] for line in _lines(rejects)]
    assert dst.exists() == (code == 0)
    if code == 0:
        if out_suffix == ".jsonl":
            result.out = [literal_loads(line) for line in _lines(dst)]
        else:
            with dst.open(encoding="utf-8", newline="") as fh:
                result.out = list(csv.DictReader(fh))
        assert result.out
    else:
        assert f"{src}: no row" in text
    return result


def check_scores(command: str, row: dict, text: str | None, from_csv: bool) -> None:
    def number(name):
        value = row[name]
        value = float(value[1] if isinstance(value, tuple) else value)
        assert math.isfinite(value)
        return value

    if command == "sentiment":
        compound, pos, neg, neu = (number(c) for c in SENTIMENT_COLUMNS[:4])
        assert -1 <= compound <= 1
        assert row["label"] in LABELS
        assert all(0 <= v <= 1 for v in (pos, neg, neu))
        if text is not None and not text.strip():
            assert (compound, pos, neg, neu) == (0.0, 0.0, 0.0, 1.0)
    else:
        probs = [number(c) for c in LABELS]
        assert all(0 <= p <= 1 for p in probs)
        assert math.isclose(sum(probs), 1.0, abs_tol=1e-4)
        assert row["polarity"] == LABELS[max(range(3), key=probs.__getitem__)]


def offsets_of(row: dict) -> tuple[int, int]:
    """The offsets a written row holds (as a JSON number or a text of one)."""
    values = []
    for name in ("target_start", "target_end"):
        value = row[name]
        text = value[1] if isinstance(value, tuple) else value
        values.append(float(text))
    return int(values[0]), int(values[1])


# --- the fuzz tests ----------------------------------------------------------------------------


@given(
    command=st.sampled_from(["sentiment", "target-sentiment"]),
    lines=st.data(),
    out_suffix=st.sampled_from([".jsonl", ".csv"]),
    rules_only=st.booleans(),
    crlf=st.booleans(),
)
def test_fuzz_jsonl(command, lines, out_suffix, rules_only, crlf):
    generated: list[Line] = lines.draw(jsonl_files(command))
    extra = ["--rules-only"] if command == "sentiment" and rules_only else []
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in.jsonl"
        ending = b"\r\n" if crlf else b"\n"
        src.write_bytes(b"".join(line.data + ending for line in generated))
        result = run(command, src, out_suffix, extra)
    rejected = set(result.rejected)
    written = iter(result.out)
    n_written = 0
    for lineno, line in enumerate(generated, 1):
        try:
            decoded = line.data.decode("utf-8")
        except UnicodeDecodeError:
            assert lineno in rejected
            continue
        if not decoded.strip():
            assert lineno not in rejected
            continue
        pairs = top_pairs(decoded)
        keys = [k for k, _ in pairs] if pairs is not None else []
        readable = pairs is not None and len(set(keys)) == len(keys)
        if not readable:
            assert lineno in rejected, decoded[:200]
            continue
        values = dict(pairs)
        text = values.get("text")
        # sentiment scores a null text as an empty one; target-sentiment needs a string.
        scorable = isinstance(text, str) or (
            command == "sentiment" and "text" in values and text is None
        )
        if command == "target-sentiment" and line.offsets is not None:
            start, end = line.offsets
            clean = replace_surrogates(line.text)
            must_write = start < end and bool(clean[start:end].strip())
        else:
            must_write = command == "sentiment" and scorable
        if lineno in rejected:
            assert not must_write, (lineno, decoded[:200], result.err)
            continue
        assert scorable, decoded[:200]
        row = next(written)
        n_written += 1
        if out_suffix == ".jsonl":
            assert {k: row[k] for k in values} == values
        else:
            for key, value_text in line.pairs:
                value = values[json.loads(key)]
                if isinstance(value, str):
                    expected = replace_surrogates(value)
                elif value is None:
                    expected = ""
                else:
                    expected = value_text
                assert row[replace_surrogates(json.loads(key))] == expected
        check_scores(command, row, text if isinstance(text, str) else "", False)
        if command == "target-sentiment":
            start, end = offsets_of(row)
            assert 0 <= start < end <= len(text)
            assert replace_surrogates(text)[start:end].strip()
    assert next(written, None) is None
    assert (result.code == 0) == (n_written > 0)
    event(f"rows written: {min(n_written, 3)}{'+' if n_written >= 3 else ''}")
    event(f"rows rejected: {min(len(rejected), 3)}{'+' if len(rejected) >= 3 else ''}")


@st.composite
def csv_files(draw, command: str):
    """A CSV file's bytes, its rows as dicts, and the first line of every record."""
    names = draw(
        st.lists(
            st.text(st.characters(exclude_categories=["Cs"]), max_size=6).filter(
                lambda k: (
                    k not in SCORE_NAMES and k not in ("_id", "text", "target_start", "target_end")
                )
            ),
            max_size=3,
            unique=True,
        )
    )
    header = ["_id", "text", *names]
    if command == "target-sentiment":
        header += ["target_start", "target_end"]
    quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC]))
    # csv.writer quotes a field only for the characters of its own line terminator, so with
    # "\n" a field holding "\r" would be written bare, which no reader can tell from a line end.
    terminator = "\r\n" if quoting == csv.QUOTE_MINIMAL else draw(st.sampled_from(["\r\n", "\n"]))

    def render(values):
        buffer = io.StringIO()
        csv.writer(buffer, quoting=quoting, lineterminator=terminator).writerow(values)
        return buffer.getvalue()

    pieces = ["\ufeff" * draw(st.booleans()) + render(header)]
    rows: list[tuple[dict, str]] = []  # (row, kind): kind is ok, fields or bytes
    for i in range(draw(st.integers(0, 7))):
        text = draw(st.one_of(sentences, plain_texts))
        row = {"_id": f"r{i}", "text": text, **{n: draw(plain_texts) for n in names}}
        if command == "target-sentiment":
            if draw(st.booleans()):
                start = draw(st.integers(0, len(text)))
                end = draw(st.integers(start, len(text)))
                row["target_start"], row["target_end"] = str(start), str(end)
            else:
                for name in ("target_start", "target_end"):
                    row[name] = draw(
                        st.one_of(st.integers(-2, 80).map(str), plain_texts, number_literals)
                    )
        kind = draw(st.sampled_from(["ok"] * 6 + ["fields", "bytes"]))
        values = [row[n] for n in header]
        if kind == "fields":
            count = draw(st.integers(1, len(header) + 2).filter(lambda c: c != len(header)))
            values = [f"r{i}"] + ["x"] * (count - 1)
        rows.append((row, kind))
        pieces.append(render(values))
    blob = bytearray()
    starts = []
    line = 1
    for j, piece in enumerate(pieces):
        if j:
            starts.append(line)
        data = piece.encode("utf-8")
        if j and rows[j - 1][1] == "bytes":
            data = data.replace(b"r", b"r\xff", 1)  # inside the id field
        blob += data
        line += len(_LINE_BREAK.findall(piece))
    return bytes(blob), header, rows, starts


@given(
    command=st.sampled_from(["sentiment", "target-sentiment"]),
    data=st.data(),
    out_suffix=st.sampled_from([".jsonl", ".csv"]),
)
def test_fuzz_csv(command, data, out_suffix):
    blob, header, rows, starts = data.draw(csv_files(command))
    extra = ["--rules-only"] if command == "sentiment" else []
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in.csv"
        src.write_bytes(blob)
        result = run(command, src, out_suffix, extra)
    rejected = set(result.rejected)
    written = {row["_id"]: row for row in result.out}
    for (row, kind), start in zip(rows, starts, strict=True):
        if kind != "ok":
            assert start in rejected
            assert row["_id"] not in written
            continue
        if row["_id"] not in written:
            assert start in rejected
            if command == "sentiment":
                raise AssertionError(f"a readable sentiment row was rejected: {result.err}")
            s, e = row["target_start"], row["target_end"]
            assert not (
                _INT_RE.fullmatch(s)
                and _INT_RE.fullmatch(e)
                and 0 <= int(s) < int(e) <= len(row["text"])
                and row["text"][int(s) : int(e)].strip()
            ), result.err
            continue
        out = written[row["_id"]]
        assert {k: out[k] for k in header} == row
        check_scores(command, out, row["text"], True)
    assert len(written) + len(rejected) == len(rows)
    if out_suffix == ".csv" and written:
        first = next(iter(result.out))
        assert list(first)[: len(header)] == header
