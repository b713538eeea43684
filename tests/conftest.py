"""Shared fixtures: spaCy is loaded once per test session; paths point at the project's own files."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis import config

SEED = config.SEEDS_DIR / "000_fbdc2a47216796c1.txt"
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def nlp():
    from analysis.nlp import load_nlp

    return load_nlp()


@pytest.fixture(scope="session")
def seed_path() -> Path:
    return SEED


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture(scope="session")
def seed_text(seed_path) -> str:
    """The seed's ``text`` exactly as the loader emits it (the body: no headline, no agency tag)."""
    from analysis.corpus import load_corpus

    articles, _ = load_corpus(seed_path)
    return articles["text"].iloc[0]
