"""Fuzzing the corpus loader: whatever the files hold, nothing escapes and nothing is lost.

Each example writes a small corpus (random bytes and wire-like stories as ``.txt``, random JSON
values and hostile lines as ``.jsonl``, random rows in random quoting as ``.csv``) and checks:

- no exception escapes ``load_corpus`` or ``iter_corpus``, and no reject is an internal error;
- every input is an article or a row of the rejects table: a ``.txt`` file is one or the other,
  and the non-blank lines of a ``.jsonl`` file (the rows of a ``.csv`` file) add up to its
  articles plus its rejected records, unless the whole file is rejected;
- ids are unique, the same from both functions, and every value is text any writer accepts;
- every article's text is a ``str`` and its ``paragraph_spans`` index into it;
- the articles table round-trips through ``write_table`` as ``.parquet``, ``.jsonl`` and
  ``.csv`` (same ids, same texts).

Bounded in CI by the ``ci`` hypothesis profile (tests/conftest.py); run it long with
``NEWS_ANALYSIS_HYPOTHESIS_PROFILE=long``.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from analysis.corpus import (
    article_order,
    iter_corpus,
    load_corpus,
    paragraph_spans,
    write_table,
)

# --- strategies ---------------------------------------------------------------------------------

#: Pieces of wire copy and of the characters that broke the loader before: line ends of every
#: kind, whitespace runs, dashes, quote marks, dots, datelines, agency tags and sign-offs.
_PIECES = [
    "Headline here",
    "ISLAMABAD: ",
    "KABUL, Afghanistan (Nov. 20, 2011) – ",
    "LONDON, Jan 5 (AFP) - ",
    "WASHINGTON (Reuters) - ",
    "NEW YORK, March 3 - ",
    " afp",
    "-- AFP",
    "(Reuters)",
    "(Reporting by A; Editing by B)",
    "Officials said it.",
    "“",
    "”",
    "’",
    '"',
    "'",
    " ",
    "   ",
    "\t",
    "\xa0",
    "\u3000",
    "\ufeff",
    "\n",
    "\n\n",
    "\r\n",
    "\r",
    "\u2028",
    "\u2029",
    "\x0b",
    "\x0c",
    "\x85",
    "-",
    "--",
    "—",
    "–",
    ".",
    "...",
    "(",
    ")",
    ":",
    ",",
    "2011",
    "Sept. 19",
    "0",
]
_wire_text = st.lists(st.one_of(st.sampled_from(_PIECES), st.text(max_size=12)), max_size=25).map(
    "".join
)
_long_run = st.builds(
    lambda piece, n, head: head + piece * n,
    st.sampled_from([" ", "\t", "\xa0", "\n", "-", "—", "“", ".", "\r\n"]),
    st.integers(0, 3000),
    _wire_text,
)
_story = st.one_of(_wire_text, _long_run)

_json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.text(max_size=12)
)
_json_values = st.recursive(
    _json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
#: Field names that collide with the loader's own columns, the default column names, and any.
_field_names = st.sampled_from(
    [
        "id",
        "text",
        "title",
        "headline",
        "date",
        "published",
        "outlet",
        "source",
        "dateline",
        "agency",
        "n_words",
        "duplicate_of",
        "encoding",
        "published_raw",
        "input_dateline",
        "body",
        "meta",
    ]
) | st.text(max_size=6)
_records = st.builds(
    lambda text, extra, ident, has_id: {
        **extra,
        **({"id": ident} if has_id else {}),
        "text": text,
    },
    st.one_of(_story, _story, _json_values),
    st.dictionaries(_field_names, _json_values, max_size=4),
    st.one_of(_json_values, st.sampled_from(["g1", "g1", "g1~2", "007"])),
    st.booleans(),
)
_hostile_lines = st.one_of(
    st.integers(1_000, 30_000).map(lambda k: '{"text": "x", "m": ' + "[" * k + "]" * k + "}"),
    st.integers(4_301, 6_000).map(lambda k: '{"id": "big", "text": "x", "n": ' + "9" * k + "}"),
    st.sampled_from(
        [
            '{"id": "s", "text": "a\\ud800b", "\\udfffk": ["\\udc80"]}',
            '{"id": 1e5, "text": "e"}',
            '{"id": true, "text": "t"}',
            '{"id": -0, "text": "z"}',
            "[1, 2]",
            '"a string"',
            "null",
            "42",
            "{bad",
            '{"text": NaN}',
            '{"id": "nul", "text": "a\x00b"}',
        ]
    ),
    st.text(max_size=30).map(lambda s: s.replace("\n", " ")),
)
_jsonl_lines = st.lists(
    st.one_of(_records.map(json.dumps), _records.map(json.dumps), _hostile_lines, st.just("")),
    max_size=8,
)
_txt_bytes = st.one_of(
    st.binary(max_size=300),
    _story.map(lambda t: t.encode("utf-8")),
    _story.map(lambda t: t.encode("utf-16")),
    _story.map(lambda t: t.encode("cp1252", errors="replace")),
)
_csv_cells = st.one_of(_story, st.text(max_size=12))
_csv_tables = st.integers(1, 4).flatmap(
    lambda width: st.tuples(
        st.lists(
            st.one_of(st.sampled_from(["id", "text", "title", "dateline"]), st.text(max_size=5)),
            min_size=width,
            max_size=width,
        ),
        st.lists(st.lists(_csv_cells, min_size=width, max_size=width), max_size=6),
        st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC]),
        st.lists(st.text(max_size=20), max_size=2),  # raw lines appended: odd quoting, ragged
    )
)


def _csv_bytes(header, rows, quoting, raw) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, quoting=quoting)
    writer.writerow(header)
    writer.writerows(rows)
    for line in raw:
        out.write(line + "\r\n")
    return out.getvalue().encode("utf-8", errors="replace")


# --- the test -----------------------------------------------------------------------------------


@given(
    txt=st.lists(_txt_bytes, max_size=3),
    jsonl=st.lists(_jsonl_lines, max_size=2),
    tables=st.lists(_csv_tables, max_size=2),
)
def test_loader_never_fails_and_loses_nothing(txt, jsonl, tables):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "corpus"
        root.mkdir()
        expected: dict[str, int | None] = {}  # file -> records in it (None: a .txt story)
        for i, data in enumerate(txt):
            (root / f"t{i}.txt").write_bytes(data)
            expected[str(root / f"t{i}.txt")] = None
        for i, lines in enumerate(jsonl):
            data = "\n".join(lines).encode("utf-8")
            (root / f"j{i}.jsonl").write_bytes(data)
            expected[str(root / f"j{i}.jsonl")] = sum(1 for ln in data.split(b"\n") if ln.strip())
        for i, (header, rows, quoting, raw) in enumerate(tables):
            (root / f"c{i}.csv").write_bytes(_csv_bytes(header, rows, quoting, raw))
            # Rows written by the csv module read back one for one; raw lines may not.
            expected[str(root / f"c{i}.csv")] = None if raw else len(rows)

        with contextlib.redirect_stderr(io.StringIO()):
            articles, rejects = load_corpus(root)
            streamed_rejects: list[dict] = []
            streamed = list(iter_corpus(root, rejects=streamed_rejects))

        reasons = list(rejects["reason"])
        assert not [r for r in reasons if r.startswith("internal error")], reasons
        _check_accounting(expected, articles, rejects)
        _check_articles(articles)

        # iter_corpus: the same articles (ids by the same rule) and the same rejects.
        assert sorted(r["article_id"] for r in streamed) == sorted(articles["article_id"])
        texts = dict(zip(articles["article_id"], articles["text"], strict=True))
        assert all(texts[r["article_id"]] == r["text"] for r in streamed)
        assert len(streamed_rejects) == len(rejects)

        if len(articles):
            _check_round_trip(articles, Path(tmp))


def _check_accounting(expected: dict, articles: pd.DataFrame, rejects: pd.DataFrame) -> None:
    whole = set(rejects["source"])
    by_file: dict[str, int] = {}
    record_rejects: dict[str, int] = {}
    for source in articles["source"]:
        name = source if source.endswith(".txt") else source.rpartition(":")[0]
        by_file[name] = by_file.get(name, 0) + 1
    for source in rejects["source"]:
        if source not in expected:
            name = source.rpartition(":")[0]
            assert name in expected, source
            record_rejects[name] = record_rejects.get(name, 0) + 1
    for name, n_records in expected.items():
        loaded = by_file.get(name, 0)
        if name.endswith(".txt"):
            assert (loaded, name in whole) in ((1, False), (0, True)), name
        elif name in whole:
            assert loaded == 0, name
        elif n_records is not None:
            assert loaded + record_rejects.get(name, 0) == n_records, name
        else:
            assert loaded + record_rejects.get(name, 0) >= 1, name


def _check_articles(articles: pd.DataFrame) -> None:
    assert articles["article_id"].is_unique
    assert list(articles["article_id"]) == sorted(articles["article_id"], key=article_order)
    for column in articles.columns:
        column.encode("utf-8")
        for value in articles[column]:
            if isinstance(value, str):
                value.encode("utf-8")  # no lone surrogate: every writer accepts it
    for text in articles["text"]:
        assert isinstance(text, str)
        for start, end in paragraph_spans(text):
            assert 0 <= start < end <= len(text)
            assert text[start:end].strip()


def _check_round_trip(articles: pd.DataFrame, tmp: Path) -> None:
    ids, texts = list(articles["article_id"]), list(articles["text"])
    back = pd.read_parquet(write_table(articles, tmp / "a.parquet"))
    assert list(back["article_id"]) == ids and list(back["text"]) == texts
    with open(write_table(articles, tmp / "a.jsonl"), encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    assert [r["article_id"] for r in rows] == ids and [r["text"] for r in rows] == texts
    with open(write_table(articles, tmp / "a.csv"), encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["article_id"] for r in rows] == ids and [r["text"] for r in rows] == texts
