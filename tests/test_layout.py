"""Tests for the module layout: quotes, numbers and stories split by concern, old paths kept."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import analysis
from analysis import config, features

#: Old module -> public names that moved out of it, and their new home.
MOVED = {
    "analysis.quotes": {
        "analysis.quote_marks": ["quote_spans"],
        "analysis.speakers": ["PERSON_NOUNS", "ORG_NOUNS"],
    },
    "analysis.numbers": {
        "analysis.numerals": ["parse_number"],
        "analysis.counts": [
            "Count",
            "COUNT_COLUMNS",
            "EVENT_KINDS",
            "count_totals",
            "event_counts",
            "extract_counts",
        ],
    },
    "analysis.stories": {
        "analysis.shingles": [
            "SHINGLE_WORDS",
            "HOUSE_STYLE",
            "PREFIX_SHIFT",
            "NUMBER_BIT",
            "normal_form",
            "normal_tokens",
            "shingle_hashes",
            "number_conflicts",
            "containment",
            "minhash_signatures",
        ],
        "analysis.story_index": [
            "DEFAULT_THRESHOLD",
            "IDENTICAL",
            "NUMBER_CONFLICTS",
            "MIN_SHARED",
            "CANDIDATE_JACCARD",
            "NUM_PERM",
            "SEED",
            "BUCKET_PAIRS",
            "CHAIN_PAIRS",
            "StoryIndex",
            "credited_agency",
        ],
    },
}


@pytest.mark.parametrize(
    ("old", "new", "name"),
    [
        (old, new, name)
        for old, homes in MOVED.items()
        for new, names in homes.items()
        for name in names
    ],
)
def test_moved_names_keep_their_old_import_path(old, new, name):
    namespace: dict = {}
    exec(f"from {old} import {name}", namespace)
    assert namespace[name] is getattr(importlib.import_module(new), name)


def test_numbers_star_import_is_unchanged():
    namespace: dict = {}
    exec("from analysis.numbers import *", namespace)
    names = {"Count", "Number", "count_totals", "event_counts", "extract_counts", "numbers"}
    assert names | {"extract_numbers", "parse_number"} <= set(namespace)


def test_package_table_points_at_the_defining_modules():
    moved = {n for homes in MOVED.values() for names in homes.values() for n in names}
    entries = {
        name: module
        for name, module in analysis._EXPORTS.items()
        if name in moved or module in MOVED
    }
    assert {"quote_spans", "extract_counts", "StoryIndex", "store_stories"} <= set(entries)
    for name, module in entries.items():
        value = getattr(importlib.import_module(module), name)
        assert value.__module__ == module, (name, module, value.__module__)
        assert getattr(analysis, name) is value


def test_registry_names_each_extractor_where_it_is_defined():
    assert features.feature("counts").extract == "analysis.counts:extract_counts"
    for f in features.select(["quotes", "numbers", "counts"]):
        module = f.extract.split(":")[0]
        assert f.load().__module__ == module, f.extract


def test_split_modules_import_one_way():
    # The parts never import the module that re-exports them (no cycles, no hidden coupling).
    code = (
        "import sys, analysis.quote_marks, analysis.speakers, analysis.numerals, "
        "analysis.counts, analysis.shingles, analysis.story_index; "
        "print(sorted(m for m in ('analysis.quotes', 'analysis.numbers', 'analysis.stories') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_no_module_of_analysis_is_above_800_lines():
    root = config.PACKAGE_DIR
    lengths = {
        str(path.relative_to(root)): len(path.read_text(encoding="utf-8").splitlines())
        for path in root.rglob("*.py")
    }
    assert len(lengths) > 40
    long = {name for name, n in lengths.items() if n > 800}
    assert not long, {name: lengths[name] for name in long}
    for name in ("quotes.py", "numbers.py", "stories.py"):
        assert lengths[name] <= 600
