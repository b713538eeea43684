"""The reports in a real headless browser: no script runs, nothing loads remotely, images load.

Needs Debian's chromium at /usr/bin/chromium (``apt-get install -y chromium``) and the
``playwright`` Python package; Playwright's own browser download is never used. Without
chromium the test is skipped locally and fails in CI (``CI=true``). Screenshots of every page
are kept under ``test-artifacts/browser/`` (ignored by git).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

from analysis import config

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = config.PROJECT_DIR / "test-artifacts" / "browser"
XSS_HEADLINE = "<script>alert(1)</script>"
XSS_BODY = "<img src=x onerror=alert(1)>"


def _load_browser_check():
    path = config.PROJECT_DIR / "scripts" / "browser_check.py"
    spec = importlib.util.spec_from_file_location("browser_check", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _require_browser():
    in_ci = os.environ.get("CI", "").lower() == "true"
    missing = []
    if not Path(CHROMIUM).exists():
        missing.append(f"{CHROMIUM} (apt-get install -y chromium)")
    if importlib.util.find_spec("playwright") is None:
        missing.append("the playwright package (pip install -e '.[dev]')")
    if missing:
        reason = "browser test needs " + " and ".join(missing)
        if in_ci:
            pytest.fail(reason + "; CI=true, so this is a failure, not a skip")
        pytest.skip(reason)


@pytest.mark.slow
@pytest.mark.notebook
@pytest.mark.browser
def test_reports_in_headless_chromium(tmp_path_factory):
    _require_browser()
    from test_reports import build_seed_xss_report

    _, out, result = build_seed_xss_report(tmp_path_factory)
    assert result.failed == [], [e.get("error") for e in result.manifest["notebooks"]]
    check = _load_browser_check()
    pages = check.report_pages(out)
    names = [e["name"] for e in result.manifest["notebooks"]]
    assert [p.name for p in pages] == ["index.html"] + [f"{n}.html" for n in names]

    results = check.check_pages(pages, ARTIFACTS)

    for r in results:
        page = Path(r["page"]).name
        assert r["dialogs"] == [], f"{page}: a dialog opened: {r['dialogs']}"
        assert r["console_errors"] == [], f"{page}: console errors: {r['console_errors']}"
        assert r["page_errors"] == [], f"{page}: uncaught errors: {r['page_errors']}"
        assert r["requests"] == [], f"{page}: asked the network for {r['requests']}"
        assert r["navigations"] == [], f"{page}: navigated to {r['navigations']}"
        assert r["broken_images"] == [], f"{page}: images that did not load: {r['broken_images']}"
        assert r["scripts"] == 0, f"{page}: has <script> elements"
        shot = Path(r["screenshot"])
        assert shot.is_file() and shot.stat().st_size > 1000, f"{page}: no screenshot"

    by_name = {Path(r["page"]).name: r for r in results}
    overview = by_name["01_corpus_overview.html"]
    # The markup is on screen as text, where a reader sees it.
    assert XSS_HEADLINE in overview["text"] and XSS_BODY in overview["text"]
    assert "Pakistan ‘won’t launch’ Haqqani offensive" in overview["text"]
    assert len(overview["images"]) >= 1  # the histogram
    index = by_name["index.html"]
    for name in names:
        assert name in index["text"]
    assert "articles\t2" in index["text"] or "articles 2" in index["text"]


@pytest.mark.slow
@pytest.mark.notebook
@pytest.mark.browser
def test_a_hostile_parameter_navigates_nowhere(tmp_path_factory):
    _require_browser()
    from test_reports import HOSTILE, build_hostile_report

    out, result = build_hostile_report(tmp_path_factory)
    assert result.failed == ["02_actors_and_quotes"]  # co_mention_unit is not a unit
    check = _load_browser_check()
    results = check.check_pages(check.report_pages(out), ARTIFACTS / "hostile")
    for r in results:
        page = Path(r["page"]).name
        assert r["navigations"] == [], f"{page}: navigated to {r['navigations']}"
        assert r["dialogs"] == [], f"{page}: a dialog opened: {r['dialogs']}"
        assert r["requests"] == [], f"{page}: asked the network for {r['requests']}"
        assert r["console_errors"] == [], f"{page}: console errors: {r['console_errors']}"
        assert r["page_errors"] == [], f"{page}: uncaught errors: {r['page_errors']}"
        assert r["scripts"] == 0, f"{page}: has <script> elements"
    topics = next(r for r in results if Path(r["page"]).name == "04_topics.html")
    # on screen as text, where the reader sees it
    assert " ".join(HOSTILE.split()) in " ".join(topics["text"].split())
