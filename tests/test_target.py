"""Tests of sentiment toward a target, the stance table and the `target-sentiment` command."""

from __future__ import annotations

import csv
import json

import numpy as np
import pandas as pd
import pytest

from analysis import cli
from analysis.target import (
    LABELS,
    TargetOffsetError,
    sentence_window,
    stance_table,
    target_sentiment,
    target_sentiments,
    target_window,
)


def span(text: str, target: str, occurrence: int = 0) -> tuple[int, int]:
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(target, start + 1)
    return start, start + len(target)


# Clear-cut sentences written for these tests (not from NewsMTSC).
POLARITY_CASES = [
    ("Prosecutors accused the mayor of taking bribes from developers.", "the mayor", "negative"),
    (
        "The senator praised the firefighters for their courage during the blaze.",
        "the firefighters",
        "positive",
    ),
    ("The minister will visit Paris on Tuesday.", "The minister", "neutral"),
    (
        "Voters rejected the corrupt governor, whose lies had cost the state billions.",
        "the corrupt governor",
        "negative",
    ),
    ("Doctors hailed the nurse as a hero who saved dozens of lives.", "the nurse", "positive"),
]


@pytest.mark.parametrize(("text", "target", "expected"), POLARITY_CASES)
def test_target_sentiment_polarity(text, target, expected):
    result = target_sentiment(text, *span(text, target))
    assert result["polarity"] == expected
    assert result[expected] == max(result[label] for label in LABELS)
    assert sum(result[label] for label in LABELS) == pytest.approx(1.0)


def test_one_sentence_two_targets():
    text = "Smith praised the brave volunteers, while he blamed the incompetent officials for the chaos."
    scores = target_sentiments(
        [text, text],
        *zip(
            span(text, "the brave volunteers"), span(text, "the incompetent officials"), strict=True
        ),
    )
    assert scores["polarity"].tolist() == ["positive", "negative"]


def test_batched_matches_rows_and_order():
    texts = [t for t, _, _ in POLARITY_CASES]
    spans = [span(t, g) for t, g, _ in POLARITY_CASES]
    frame = target_sentiments(texts, [s for s, _ in spans], [e for _, e in spans])
    assert list(frame.columns) == ["polarity", *LABELS]
    assert frame["polarity"].tolist() == [p for _, _, p in POLARITY_CASES]
    np.testing.assert_allclose(frame[list(LABELS)].sum(axis=1), 1.0, rtol=1e-6)


def test_each_result_is_independent_of_the_other_rows():
    # The int8 graph scales activations per call; scored one per call (the default), a target
    # gets the same probabilities alone as among other rows of other lengths.
    texts = [t for t, _, _ in POLARITY_CASES]
    spans = [span(t, g) for t, g, _ in POLARITY_CASES]
    together = target_sentiments(texts, [s for s, _ in spans], [e for _, e in spans])
    for i, (text, (start, end)) in enumerate(zip(texts, spans, strict=True)):
        alone = target_sentiments([text], [start], [end])
        assert alone[list(LABELS)].to_numpy()[0].tolist() == (
            together[list(LABELS)].to_numpy()[i].tolist()
        )


def test_article_text_uses_the_sentence(seed_path):
    lines = seed_path.read_text(encoding="utf-8").splitlines()
    body = "\n\n".join(p.strip() for p in lines[1:] if p.strip())
    sentence = (
        "In a series of escalating rows, Washington accused Pakistan’s Inter-Services Intelligence "
        "agency of involvement in the September 13 attack on its embassy in Kabul and a September 11 "
        "attack on a NATO base in central Afghanistan."
    )
    offset = body.index(sentence)
    s, e = span(sentence, "Pakistan’s Inter-Services Intelligence agency")
    assert sentence_window(body, offset + s, offset + e) == (sentence, s, e)
    assert target_sentiment(body, offset + s, offset + e) == target_sentiment(sentence, s, e)


@pytest.mark.parametrize(
    ("text", "target", "expected"),
    [
        (
            "Mr. Smith met Gen. J. Doe in the U.S. capital. Doe praised him.",
            "Gen. J. Doe",
            "Mr. Smith met Gen. J. Doe in the U.S. capital.",
        ),
        (
            "Mr. Smith met Gen. J. Doe in the U.S. capital. Doe praised him.",
            "Doe praised",
            "Doe praised him.",
        ),
        (
            'He left. "The army is ready," he said. Talks failed.',
            "The army",
            '"The army is ready," he said.',
        ),
        (
            "KABUL: First paragraph ends here\n\nNATO said on Monday it would stay",
            "NATO",
            "NATO said on Monday it would stay",
        ),
        ("No boundary at all in this one", "boundary", "No boundary at all in this one"),
    ],
)
def test_sentence_window(text, target, expected):
    window, s, e = sentence_window(text, *span(text, target))
    assert window == expected
    assert window[s:e] == target


@pytest.mark.parametrize(
    ("text", "target", "expected"),
    [
        # Up to 600 characters the model reads the text whole, as it read its training sentences.
        ("He left. Jones stayed.", "Jones", "He left. Jones stayed."),
        ("He left. " * 70 + "Jones stayed.", "Jones", "Jones stayed."),
    ],
)
def test_target_window(text, target, expected):
    window, s, e = target_window(text, *span(text, target))
    assert window == expected
    assert window[s:e] == target


def test_long_sentence_is_cut_around_target():
    text = "word " * 300 + "the general" + " more" * 300
    window, s, e = sentence_window(text, *span(text, "the general"))
    assert window[s:e] == "the general"
    assert 500 <= len(window) <= 600


@pytest.mark.parametrize(("start", "end"), [(-1, 3), (5, 3), (0, 1000), (3, 3), (3.5, 6), (3, 4)])
def test_bad_offsets(start, end):
    with pytest.raises(TargetOffsetError):
        target_sentiment("abc  def", start, end)


def test_batched_bad_offsets_name_the_row():
    with pytest.raises(TargetOffsetError, match="row 1"):
        target_sentiments(["fine text", "short"], [0, 0], [4, 50])


def test_stance_table():
    text = (
        'Smith said: "Jones is a liar and a fraud who betrayed this city." '
        "Brown said Jones had done admirable work. "
        'Smith added: "Smith will win, and Jones will lose."'
    )
    articles = pd.DataFrame({"article_id": ["a1"], "text": [text]})
    q1, q2 = (
        span(text, '"Jones is a liar and a fraud who betrayed this city."'),
        span(text, '"Smith will win, and Jones will lose."'),
    )
    quotes = pd.DataFrame(
        {
            "article_id": ["a1", "a1", "a1"],
            "start": [q1[0], q2[0], 0],
            "end": [q1[1], q2[1], 5],
            "quote": [text[q1[0] : q1[1]], text[q2[0] : q2[1]], "x"],
            "speaker": ["Smith", "Smith", None],
        }
    )
    mentions = pd.DataFrame(
        [
            ("a1", *span(text, "Smith"), "Smith"),  # the speaker, outside the quote
            ("a1", *span(text, "Jones"), "Jones"),  # inside quote 1
            ("a1", *span(text, "Jones", 1), "Jones"),  # Brown's sentence: no quote
            ("a1", *span(text, "Smith", 2), "Smith"),  # self-mention inside quote 2: left out
            ("a1", *span(text, "Jones", 2), "Jones"),  # inside quote 2
        ],
        columns=["article_id", "start", "end", "actor"],
    )
    detail = stance_table(quotes, mentions, articles, detail=True)
    assert detail[["speaker", "target", "start"]].values.tolist() == [
        ["Smith", "Jones", span(text, "Jones")[0]],
        ["Smith", "Jones", span(text, "Jones", 2)[0]],
    ]
    assert detail["polarity"].iloc[0] == "negative"
    table = stance_table(quotes, mentions, articles)
    assert table[["speaker", "target", "n_mentions", "n_quotes", "n_articles"]].values.tolist() == [
        ["Smith", "Jones", 2, 2, 1]
    ]
    assert table["negative"].iloc[0] == pytest.approx(detail["negative"].mean())
    assert table["net"].iloc[0] == pytest.approx(
        detail["positive"].mean() - detail["negative"].mean()
    )
    assert int(table[["n_negative", "n_neutral", "n_positive"]].sum(axis=1).iloc[0]) == 2
    assert stance_table(quotes.iloc[:0], mentions, articles).empty
    # Reported speech is the reporter's words: a speaker's stance reads quotations only.
    reported = pd.DataFrame(
        {"article_id": ["a1"], "start": [0], "end": [len(text)], "quote": [text],
         "speaker": ["Smith"], "kind": ["indirect"]}
    )  # fmt: skip
    both = pd.concat([quotes.assign(kind="direct"), reported], ignore_index=True)
    pd.testing.assert_frame_equal(stance_table(both, mentions, articles), table)


def test_cli_jsonl_keeps_rows(fixtures_dir, tmp_path):
    out = tmp_path / "out.jsonl"
    assert (
        cli.main(["target-sentiment", str(fixtures_dir / "target_rows.jsonl"), "-o", str(out)]) == 0
    )
    rows_in = [
        json.loads(line) for line in (fixtures_dir / "target_rows.jsonl").read_text().splitlines()
    ]
    rows_out = [json.loads(line) for line in out.read_text().splitlines()]
    for before, after in zip(rows_in, rows_out, strict=True):
        assert {k: after[k] for k in before} == before
        assert sum(after[label] for label in LABELS) == pytest.approx(1.0, abs=1e-5)
    assert [r["polarity"] for r in rows_out] == ["positive", "negative", "neutral"]


def test_cli_csv_keeps_values_as_written(fixtures_dir, tmp_path):
    out = tmp_path / "out.jsonl"
    assert (
        cli.main(["target-sentiment", str(fixtures_dir / "target_rows.csv"), "-o", str(out)]) == 0
    )
    rows_out = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in rows_out] == ["00007", "00008", "00009"]
    assert [r["target_start"] for r in rows_out] == ["20", "20", "0"]
    assert [r["polarity"] for r in rows_out] == ["positive", "negative", "neutral"]


GOOD_ROW = {"text": "Critics blamed the mayor.", "target_start": 15, "target_end": 24}


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"text": "short", "target_start": 2, "target_end": 40}', "target_end 40 is outside"),
        ('{"text": "ok text", "target_start": "x", "target_end": 2}', "target_start must be an"),
        ('{"text": "ok text", "target_end": 2}', "missing column(s) target_start"),
        ('{"text": "ok text", "target_start": Infinity, "target_end": 2}', "got Infinity"),
        ('{"text": "ok text", "target_start": NaN, "target_end": 2}', "got NaN"),
        ('{"text": "ok text", "target_start": -1, "target_end": 2}', "target_start -1 is outside"),
        ('{"text": "ok text", "target_start": 1e400, "target_end": 2}', "target_start 1e400 is"),
        ('{"text": "ok text", "target_start": 3.5, "target_end": 5}', "got 3.5"),
        ('{"text": "ok text", "target_start": true, "target_end": 5}', "got true"),
        ('{"text": "ok text", "target_start": null, "target_end": 5}', "got null"),
        ('{"text": "ok text", "target_start": 5, "target_end": 3}', "target offsets (5, 3)"),
        ('{"text": "ok text", "target_start": 2, "target_end": 3}', "select only whitespace"),
        ('{"text": 5, "target_start": 0, "target_end": 1}', "'text' must be a string, got 5"),
        ('{"text": null, "target_start": 0, "target_end": 1}', "'text' must be a string"),
    ],
)
def test_cli_bad_offsets_reject_the_row(tmp_path, capsys, line, message):
    src = tmp_path / "bad.jsonl"
    src.write_text(json.dumps(GOOD_ROW) + "\n" + line + "\n")
    out = tmp_path / "o.jsonl"
    assert cli.main(["target-sentiment", str(src), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    [reject] = [line for line in err.splitlines() if line.startswith("rejected: ")]
    assert reject.startswith(f"rejected: {src}:2: ") and message in reject
    assert "Traceback" not in err
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 1 and rows[0]["polarity"] == "negative"


def test_cli_only_bad_rows_exits_1(tmp_path, capsys):
    src = tmp_path / "bad.jsonl"
    src.write_text('{"text": "abc", "target_start": Infinity, "target_end": 2}\n')
    assert cli.main(["target-sentiment", str(src), "-o", str(tmp_path / "o.jsonl")]) == 1
    err = capsys.readouterr().err
    assert f"rejected: {src}:1: target_start must be an integer, got Infinity" in err
    assert f"error: {src}: no row written: all 1 rows rejected" in err
    assert not (tmp_path / "o.jsonl").exists()


def test_cli_csv_bad_offsets_give_line(tmp_path, capsys):
    src = tmp_path / "bad.csv"
    with src.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerows(
            [
                ["id", "text", "target_start", "target_end"],
                ["1", "two\nlines", "0", "3"],
                ["2", "abc", "1", "9"],
                ["3", "abc", "1.5", "2"],
            ]
        )
    out = tmp_path / "o.jsonl"
    assert cli.main(["target-sentiment", str(src), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert f"rejected: {src}:4: target_end 9 is outside the text (length 3)" in err
    assert f'rejected: {src}:5: target_start must be an integer, got "1.5"' in err
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == ["1"]


def test_cli_batch_size_must_be_positive(tmp_path, fixtures_dir):
    with pytest.raises(SystemExit) as exit_:
        cli.main(
            [
                "target-sentiment",
                str(fixtures_dir / "target_rows.jsonl"),
                "-o",
                str(tmp_path / "o.jsonl"),
                "--batch-size",
                "0",
            ]
        )
    assert exit_.value.code == 2


class _RecordingModel:
    """Stands in for OnnxModel: records the segments it is given, returns fixed logits."""

    def __init__(self, pair_order):
        self.meta = {"input": {"marker_open": "<<", "marker_close": ">>"}}
        if pair_order is not None:
            self.meta["input"]["pair_order"] = pair_order
        self.calls = []

    def predict(self, texts, text_pairs, batch_size=32):
        self.calls.append((list(texts), list(text_pairs)))
        return np.tile(np.array([[0.0, 0.0, 1.0]], dtype=np.float32), (len(texts), 1))


@pytest.mark.parametrize(
    ("pair_order", "expected"),
    [
        (None, (["Critics blamed << Smith >>."], ["Smith"])),
        ("sentence-first", (["Critics blamed << Smith >>."], ["Smith"])),
        ("mention-first", (["Smith"], ["Critics blamed << Smith >>."])),
    ],
)
def test_pair_order_follows_meta(pair_order, expected):
    model = _RecordingModel(pair_order)
    frame = target_sentiments(["Critics blamed Smith."], [15], [20], model=model)
    assert model.calls == [expected]
    assert frame["polarity"].tolist() == ["positive"]


def _words_and_gaps():
    from hypothesis import strategies as st

    # Long runs of word characters (longer than the 80 characters read first) and of others.
    word = st.text(alphabet="ab_é1", min_size=1, max_size=200)
    gap = st.text(alphabet=" .\n,-“", min_size=1, max_size=120)
    return st.lists(st.tuples(word, gap), max_size=6).map(
        lambda pairs: "".join(w + g for w, g in pairs)
    )


def test_the_last_word_before_a_boundary_is_found_as_a_search_of_the_whole_prefix():
    import re

    from hypothesis import given
    from hypothesis import strategies as st

    from analysis.target import _last_word

    @given(_words_and_gaps(), st.integers(min_value=0, max_value=2000))
    def check(text, cut):
        end = min(cut, len(text))
        whole = re.search(r"(\w+)\W*$", text[:end])
        found = _last_word(text, end)
        assert (found and found.group(1)) == (whole and whole.group(1))

    check()
    assert _last_word("x" * 500 + ". ", 502).group(1) == "x" * 500
    assert _last_word("Mr. Smith", 3).group(1) == "Mr"
    assert _last_word("... --", 6) is None
