"""The explorer notebook in a real JupyterLab, driven in headless Chromium.

Starts ``jupyter lab`` on a free local port (a random token, a temporary root folder holding a
copy of ``notebooks/explorer.ipynb`` pointed at a copy of the seed), opens the notebook with
Playwright, runs all cells from the Run menu, picks an actor in the widget and checks that the
actor's quotations appear; then runs a query and checks the keyword-in-context lines. The
server (and its kernel) is shut down in the fixture's teardown. Screenshots are kept under
``test-artifacts/explorer/`` (ignored by git).

Needs Debian's chromium at /usr/bin/chromium, the playwright package and JupyterLab (the
``lab`` extra); skipped without them, a failure under ``CI=true``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from analysis import config

ARTIFACTS = config.PROJECT_DIR / "test-artifacts" / "explorer"
JUPYTER = Path(sys.executable).with_name("jupyter")
ACTOR = "Athar Abbas"
ACTOR_QUOTES = ("postponed indefinitely", "the current situation at home")
OTHER_QUOTE = "consolidate gains"  # a senior Pakistani security official's, not Abbas's
STORIES = config.PROJECT_DIR / "tests" / "fixtures" / "stories" / "originals.jsonl"
DATED_ACTOR = "Mirela Okafor"  # quoted in the Reuters article of STORIES
DATED_QUOTE = "This is the largest investment in the harbour"


def _require_lab():
    from test_browser import _require_browser

    _require_browser()
    if not JUPYTER.exists() or shutil.which("jupyter-lab", path=str(JUPYTER.parent)) is None:
        reason = f"the explorer test needs JupyterLab in {JUPYTER.parent} (pip install -e '.[lab]')"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason + "; CI=true, so this is a failure, not a skip")
        pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, timeout: float = 5):
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (local server)
        return json.loads(response.read() or b"null")


@pytest.fixture
def lab(tmp_path):
    """A JupyterLab server on a free port with a copy of the explorer; yields (url, token, root)."""
    _require_lab()
    root = tmp_path / "root"
    (root / "seeds").mkdir(parents=True)
    for seed in (config.PROJECT_DIR / "seeds").iterdir():
        shutil.copy(seed, root / "seeds" / seed.name)
    # four dated articles from four outlets beside the undated seed: filters and a chart
    shutil.copy(STORIES, root / STORIES.name)
    notebook = json.loads((config.NOTEBOOKS_DIR / "explorer.ipynb").read_text(encoding="utf-8"))
    (params,) = [c for c in notebook["cells"] if "parameters" in c["metadata"].get("tags", [])]
    source = "".join(params["source"])
    assert 'corpus: str = "seeds"' in source
    params["source"] = source.replace('str = "seeds"', "list = " + json.dumps(_corpus(root)))
    (root / "explorer.ipynb").write_text(json.dumps(notebook), encoding="utf-8")

    port, token = _free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        # Jupyter's own folders and the feature store in the temporary folder: nothing of the
        # user's configuration is read or written, and nothing is left behind.
        "JUPYTER_CONFIG_DIR": str(tmp_path / "jupyter-config"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "jupyter-runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "lab-settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "lab-workspaces"),
        "NEWS_ANALYSIS_CACHE": str(tmp_path / "cache"),
    }
    command = [
        str(JUPYTER), "lab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
        f"--ServerApp.token={token}", f"--ServerApp.root_dir={root}",
        "--ServerApp.port_retries=0",
    ]  # fmt: skip
    if hasattr(os, "getuid") and os.getuid() == 0:
        command.append("--allow-root")
    log = (tmp_path / "lab.log").open("w")
    server = subprocess.Popen(
        command, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                _get(f"{url}/api/status?token={token}")
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not start:\n{(tmp_path / 'lab.log').read_text()}")
                time.sleep(0.5)
        yield url, token, root
    finally:
        _stop(server, url, token)
        log.close()


def _stop(server: subprocess.Popen, url: str, token: str) -> None:
    """Shut the server down (its kernels first), then make sure its process group is gone."""
    if server.poll() is None:
        try:
            request = urllib.request.Request(f"{url}/api/shutdown?token={token}", method="POST")
            urllib.request.urlopen(request, timeout=10).close()  # noqa: S310 (local server)
            server.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            pass
    # The group is the server's own (start_new_session): anything it left running goes too.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)


def _corpus(root: Path) -> list[str]:
    return [str(root / "seeds"), str(root / STORIES.name)]


def _actor_labels(root: Path) -> dict[str, str]:
    """The actor picker's labels (as :class:`analysis.explorer.Explorer` writes them)."""
    from analysis import explorer

    table = explorer.actors(explorer.load(_corpus(root)))
    return {row.actor: explorer.actor_label(row) for row in table.itertuples(index=False)}


@pytest.mark.slow
@pytest.mark.notebook
@pytest.mark.browser
def test_the_explorer_runs_in_jupyterlab_and_shows_an_actors_quotations(lab, tmp_path):
    from playwright.sync_api import expect, sync_playwright
    from test_browser import CHROMIUM

    url, token, root = lab
    shots = tmp_path / "screenshots"
    shots.mkdir()
    labels = _actor_labels(root)
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        page = None
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(f"{url}/lab/tree/explorer.ipynb?token={token}")
            # The kernel is the project's, named in the notebook's metadata.
            expect(page.locator(".jp-Toolbar-kernelName").first).to_have_text(
                "News analysis (.venv)", timeout=60_000
            )
            # Run All before the kernel is ready runs nothing: wait for it to be idle first.
            status = page.locator(".jp-StatusBar-TextItem", has_text="News analysis (.venv) | Idle")
            expect(status.first).to_be_visible(timeout=120_000)
            page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
            page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()

            picker = page.locator(".widget-dropdown", has_text="Actor").locator("select")
            expect(picker).to_be_visible(timeout=120_000)
            expect(page.get_by_text("Pick an actor to see its quotations.")).to_be_visible(
                timeout=30_000
            )
            no_news = page.locator(".jp-toast-button", has_text="No")
            if no_news.count():  # JupyterLab's question about its news feed hides the output
                no_news.first.click()
                expect(no_news).to_have_count(0)
            picker.scroll_into_view_if_needed()
            page.screenshot(path=shots / "01_after_run_all.png", full_page=True)

            picker.select_option(label=labels[ACTOR])
            panel = page.locator(".widget-output", has_text="quotations of").last
            for quote in ACTOR_QUOTES:
                expect(panel.get_by_text(quote).first).to_be_visible(timeout=60_000)
            assert panel.get_by_text(OTHER_QUOTE).count() == 0
            # the quotations table is interactive: it has its own search box
            expect(
                panel.locator(".dt-search input, .dataTables_filter input").first
            ).to_be_visible()
            panel.scroll_into_view_if_needed()
            page.screenshot(path=shots / "02_actor_quotations.png", full_page=True)

            query = page.locator(".widget-text", has_text="Search").locator("input")
            query.fill("kayani")
            query.press("Enter")
            kwic = page.locator("table.news-kwic")
            expect(kwic).to_be_visible(timeout=60_000)
            expect(kwic.locator("strong", has_text="Kayani").first).to_be_visible()
            link = kwic.locator("a").first
            # a relative link, which JupyterLab serves from its root folder
            expect(link).to_have_attribute(
                "href", re.compile(r"/files/seeds/000_fbdc2a47216796c1\.txt(\?|$)")
            )
            page.screenshot(path=shots / "03_search.png", full_page=True)

            # an outlet filter narrows the actor's views; a dated actor gets a chart
            outlet = page.locator(".widget-dropdown", has_text="Outlet").locator("select")
            outlet.select_option(label="Reuters")
            expect(page.get_by_text("1 of 5 articles match the filters.")).to_be_visible(
                timeout=60_000
            )
            expect(page.get_by_text("0 quotations of Athar Abbas")).to_be_attached()
            picker.select_option(label=labels[DATED_ACTOR])
            page.get_by_role("tab", name="Quotations").click()
            expect(panel.get_by_text(DATED_QUOTE).first).to_be_visible(timeout=60_000)
            page.get_by_role("tab", name="Attention").click()
            chart = page.locator(".js-plotly-plot").first
            expect(chart).to_be_visible(timeout=60_000)
            chart.scroll_into_view_if_needed()
            page.screenshot(path=shots / "04_outlet_attention.png", full_page=True)
        except Exception:
            if page is not None:  # what the page showed when the test failed
                page.screenshot(path=shots / "99_failed.png", full_page=True)
            raise
        finally:
            browser.close()
            if shots.is_dir():
                ARTIFACTS.mkdir(parents=True, exist_ok=True)
                for shot in shots.iterdir():
                    shutil.copy(shot, ARTIFACTS / shot.name)
    assert errors == [], errors
    for name in ("01_after_run_all.png", "02_actor_quotations.png", "03_search.png",
                 "04_outlet_attention.png"):  # fmt: skip
        assert (shots / name).stat().st_size > 10_000, name
