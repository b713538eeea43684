"""The feature registry: one schema per table, extractors that fail loudly, a cache key that only
extractor code moves."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from analysis import features

PACKAGE = Path(features.__file__).resolve().parent


def test_every_extractor_emits_exactly_its_declared_columns(nlp, seed_path):
    from analysis.corpus import load_corpus
    from analysis.nlp import normalise_for_parse

    articles, _ = load_corpus(seed_path)
    article = articles.iloc[0].to_dict()
    doc = nlp(normalise_for_parse(article["text"]))
    tables: dict[str, list[dict]] = {}
    for f in features.FEATURES:
        rows = list(f.load()(doc, article, **{n: tables[n] for n in f.needs}))
        tables[f.table] = rows
        assert rows, f"{f.table}: no rows on the seed"
        assert {tuple(row) for row in rows} == {f.column_names}, f.table


def test_schema_types_and_unknown_tables():
    import pyarrow as pa

    quotes = features.schema("quotes")
    assert quotes.field("speaker_start").type == pa.int64()
    assert features.schema("terms").field("terms").type == pa.list_(pa.large_string())
    with pytest.raises(ValueError, match="choose from mentions, quotes"):
        features.feature("quotez")
    with pytest.raises(ValueError, match="'nope'"):
        features.select(["quotes", "nope"])
    assert [f.table for f in features.select(["terms", "mentions"])] == ["mentions", "terms"]


def test_needs_come_before_the_feature():
    seen: set[str] = set()
    for f in features.FEATURES:
        assert set(f.needs) <= seen, f.table
        seen.add(f.table)


def test_a_feature_that_cannot_be_imported_fails_loudly():
    broken = features.Feature(
        "x", "analysis.no_such_module:extract", (("article_id", "string"),), 1
    )
    with pytest.raises(ImportError):
        broken.load()


def _key_of(package_copy: Path) -> str:
    # A fresh interpreter on a copy of the package: the key as a new run would compute it.
    result = subprocess.run(
        [sys.executable, "-c", "from analysis import features; print(features.code_key())"],
        cwd=package_copy.parent,
        env={"PYTHONPATH": str(package_copy.parent), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def _copy_package(tmp_path: Path, name: str) -> Path:
    dst = tmp_path / name / "analysis"
    shutil.copytree(PACKAGE, dst, ignore=shutil.ignore_patterns("__pycache__"))
    return dst


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{path.name}: {old!r} not found (update the test)"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.slow
def test_cache_key_kept_by_cli_and_analysis_edits_moved_by_extractor_edits(tmp_path):
    base = _copy_package(tmp_path, "base")

    outside = _copy_package(tmp_path, "outside")
    # A command's help text, a corpus-level analysis function, a notebook-side helper.
    _edit(outside / "cli" / "topics.py", 'help="', 'help="(edited) ')
    _edit(outside / "compare.py", '    """', '    """Edited. ')
    _edit(
        outside / "actors.py",
        "def actor_table(",
        "def _unused():\n    return 1\n\n\ndef actor_table(",
    )

    inside = _copy_package(tmp_path, "inside")
    # A helper the quotes extractor calls (not the extractor function itself).
    _edit(
        inside / "quote_marks.py",
        '    before = text[i - 1] if i > 0 else "\\n"',
        '    before = text[i - 1] if i > 0 else "\\n"  # edited',
    )

    constant = _copy_package(tmp_path, "constant")
    _edit(constant / "sentiment" / "extract.py", "SPEAKER_SHARE = ", "SPEAKER_SHARE = 0.01 + ")

    copies = {"base": base, "outside": outside, "inside": inside, "constant": constant}
    keys = {name: _key_of(path) for name, path in copies.items()}
    assert keys["outside"] == keys["base"]
    assert keys["inside"] != keys["base"]
    assert keys["constant"] != keys["base"]
