"""The reports in a real headless browser: only their own scripts run, nothing loads remotely.

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
    topics = next(r for r in results if Path(r["page"]).name == "04_topics.html")
    # on screen as text, where the reader sees it
    assert " ".join(HOSTILE.split()) in " ".join(topics["text"].split())


SPEAKER = "Athar Abbas"  # quoted in the seed article
SEED_HEADLINE = "Pakistan ‘won’t launch’ Haqqani offensive"


@pytest.mark.slow
@pytest.mark.notebook
@pytest.mark.browser
def test_tables_search_charts_hover_and_csv_links_work(tmp_path_factory):
    """Search the quote ledger, hover an article's point, follow a CSV link; nothing else."""
    _require_browser()
    import pandas as pd
    from playwright.sync_api import sync_playwright
    from test_reports import build_seed_xss_report

    _, out, result = build_seed_xss_report(tmp_path_factory)
    assert result.failed == [], [e.get("error") for e in result.manifest["notebooks"]]
    check = _load_browser_check()
    seen = {"requests": [], "console_errors": [], "page_errors": [], "dialogs": []}

    def on_route(route):
        url = route.request.url
        if url.startswith(("file:", "data:", "blob:")):
            route.continue_()
        else:
            seen["requests"].append(url)
            route.abort()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=check.CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            page.route("**/*", on_route)
            page.on(
                "console", lambda m: m.type == "error" and seen["console_errors"].append(m.text)
            )
            page.on("pageerror", lambda e: seen["page_errors"].append(str(e)))
            page.on("dialog", lambda d: (seen["dialogs"].append(d.message), d.dismiss()))

            # The quote ledger: type a speaker's name, see only that speaker's rows.
            page.goto((out / "02_actors_and_quotes.html").as_uri(), wait_until="load")
            ledger = page.locator(
                "div.dt-container", has=page.locator("th", has_text="attributed_as")
            )
            ledger.locator("tbody tr").first.wait_for(timeout=60_000)
            info = ledger.locator(".dt-info")
            before = info.inner_text()
            ledger.locator("input[type=search]").fill(SPEAKER)
            page.wait_for_timeout(500)
            rows = ledger.locator("div.dt-scroll-body tbody tr")
            texts = rows.all_inner_texts()
            assert texts and all(SPEAKER in t for t in texts), texts
            assert info.inner_text() != before and "filtered" in info.inner_text()
            # Sorting works on the same table: a click on a header reorders, nothing breaks.
            ledger.locator("div.dt-scroll-head th", has_text="speaker").first.click()

            # The CSV link under the ledger: the file is beside the page and holds every row.
            link = ledger.locator("xpath=following::a[contains(@href, '.csv')][1]")
            href = link.get_attribute("href")
            assert href == "02_actors_and_quotes.quotes.csv"
            csv = pd.read_csv(out / href)
            assert (csv["speaker"] == SPEAKER).sum() == len(texts)

            # Hover a point of the article tone chart: its tooltip names the article.
            page.goto((out / "03_sentiment.html").as_uri(), wait_until="load")
            chart = page.locator(".js-plotly-plot").first
            chart.wait_for(timeout=60_000)
            tooltips = []
            points = chart.locator(".scatterlayer path.point")
            for i in range(points.count()):
                points.nth(i).hover(force=True)
                page.wait_for_timeout(300)
                tooltips.append(chart.locator(".hoverlayer").text_content() or "")
            assert any(SEED_HEADLINE in t for t in tooltips), tooltips
            # The XSS fixture's headline is shown as text in its tooltip, never run.
            assert any(XSS_HEADLINE in t for t in tooltips), tooltips
        finally:
            browser.close()
    assert seen == {"requests": [], "console_errors": [], "page_errors": [], "dialogs": []}
