"""Shared fixtures: spaCy is loaded once per test session; paths point at the project's own files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from analysis import config

# Fuzzing tests: bounded in CI ("ci", the default), long in benchmarks/bench_fuzz.py ("long").
# derandomize: the same examples every run, so CI is reproducible; the long run explores.
settings.register_profile(
    "ci",
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "long", max_examples=5000, deadline=None, suppress_health_check=list(HealthCheck)
)
settings.load_profile(os.environ.get("NEWS_ANALYSIS_HYPOTHESIS_PROFILE", "ci"))

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
