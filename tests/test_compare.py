"""Tests of analysis.compare: keyness (G2, p-values, effect size) of two groups of articles."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import chi2 as chi2_dist
from scipy.stats import chi2_contingency

from analysis.compare import KEYNESS_COLUMNS, group_keyness, keyness


def _g2_by_hand(table: list[list[int]]) -> float:
    """G2 = 2 * sum(O * ln(O / E)) over the cells, E = row total * column total / N."""
    n = sum(map(sum, table))
    rows = [sum(r) for r in table]
    cols = [sum(c) for c in zip(*table, strict=True)]
    return 2 * sum(
        o * math.log(o / (rows[i] * cols[j] / n))
        for i, r in enumerate(table)
        for j, o in enumerate(r)
        if o > 0
    )


def test_keyness_g2_and_p_value_of_a_2x2_table():
    # "a": 10 of 100 terms in the target, 2 of 100 in the reference.
    target = [["a"] * 10 + ["z"] * 90]
    reference = [["a"] * 2 + ["z"] * 98]
    row = keyness(target, reference, min_count=1).set_index("term").loc["a"]
    table = [[10, 90], [2, 98]]  # [term, other terms] in the target, then the reference
    g2 = _g2_by_hand(table)
    assert g2 == pytest.approx(6.162592, abs=1e-6)
    scipy_g2 = chi2_contingency(np.array(table), correction=False, lambda_="log-likelihood")
    assert scipy_g2.statistic == pytest.approx(g2)
    assert row["log_likelihood"] == pytest.approx(g2)
    assert row["p_value"] == pytest.approx(scipy_g2.pvalue)
    assert row["p_value"] == pytest.approx(chi2_dist.sf(g2, 1))
    pearson = chi2_contingency(np.array(table), correction=False)
    assert row["chi2"] == pytest.approx(pearson.statistic)
    assert row["log_ratio"] == pytest.approx(math.log2(5))
    assert (row["count_target"], row["count_reference"]) == (10, 2)
    assert row["per_10k_target"] == pytest.approx(1000) and row["per_10k_reference"] == 200
    assert row["key_for"] == "target" and bool(row["significant"])  # p = 0.013
    strict = keyness(target, reference, min_count=1, alpha=0.01).set_index("term")
    assert not strict.loc["a", "significant"]


def test_keyness_ranks_by_g2_and_names_its_columns():
    target = [["war"] * 6 + ["army"] * 4 + ["vote"] * 2 + ["day"] * 8]
    reference = [["war"] * 1 + ["vote"] * 9 + ["day"] * 10 + ["poll"] * 5]
    key = keyness(target, reference, min_count=1)
    assert list(key.columns) == KEYNESS_COLUMNS
    assert key["log_likelihood"].is_monotonic_decreasing
    assert key["significant"].tolist() == (key["p_value"] < 0.05).tolist()
    # A term absent from one group still gets a finite effect size (0.5 added to zero counts).
    assert np.isfinite(key["log_ratio"]).all()
    sides = dict(zip(key["term"], key["key_for"], strict=True))
    assert sides["army"] == sides["war"] == "target" and sides["poll"] == "reference"


def test_group_keyness_takes_the_significance_level():
    import pandas as pd

    articles = pd.DataFrame(
        {
            "text": ["war army war", "war army shell", "vote poll vote", "poll vote ballot"],
            "theme": ["war", "war", "vote", "vote"],
        }
    )
    loose = group_keyness(articles, "theme", "war", tokens="whitespace", min_count=1)
    none = group_keyness(articles, "theme", "war", tokens="whitespace", min_count=1, alpha=1e-9)
    assert list(loose.columns) == KEYNESS_COLUMNS
    assert loose["significant"].any() and not none["significant"].any()
    assert loose["log_likelihood"].tolist() == none["log_likelihood"].tolist()
