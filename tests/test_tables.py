"""Tables any writer accepts: mixed metadata, nested values, huge integers, lone surrogates."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.tables import arrow_safe, replace_surrogates


def _roundtrip(frame, tmp_path):
    path = tmp_path / "t.parquet"
    arrow_safe(frame).to_parquet(path, index=False)
    back = pd.read_parquet(path).astype(object)
    return back.where(back.notna(), None)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([1, "a", None], ["1", "a", None]),
        ([{}, {"k": [1, 2]}], ["{}", '{"k": [1, 2]}']),
        ([True, 2], ["true", "2"]),
        ([10**30, 3], [str(10**30), "3"]),  # out of int64 range
        ([[1, "x"], "y"], ['[1, "x"]', "y"]),
    ],
)
def test_mixed_or_nested_columns_become_text(values, expected, tmp_path):
    frame = pd.DataFrame({"m": pd.Series(values, dtype=object)})
    assert _roundtrip(frame, tmp_path)["m"].tolist() == expected


def test_uniform_columns_are_left_as_they_are():
    frame = pd.DataFrame({"n": pd.Series([1, 2.5, None], dtype=object), "s": ["a", "b", None]})
    assert arrow_safe(frame) is frame


def test_lone_surrogates_become_one_replacement_character(tmp_path):
    text = "ab\ud800cd"
    assert replace_surrogates(text) == "ab\ufffdcd" and len(replace_surrogates(text)) == len(text)
    frame = pd.DataFrame({"t": pd.Series([text, "ok"], dtype=object)})
    assert _roundtrip(frame, tmp_path)["t"].tolist() == ["ab\ufffdcd", "ok"]
