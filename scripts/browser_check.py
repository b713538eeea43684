"""Open report pages in Debian's headless chromium and report dialogs, errors, network and images.

Usage: ``.venv/bin/python scripts/browser_check.py REPORT_DIR [--screenshots DIR]``. Opens
``index.html`` and every other ``.html`` page of REPORT_DIR, saves a full-page screenshot of
each and exits 1 when any page opens a dialog, logs a console error, throws, requests anything
from the network, navigates away (a ``<meta http-equiv="refresh">`` does, whatever the
Content-Security-Policy says) or shows an image that did not load. The browser test imports
:func:`check_pages` from here. It needs ``apt-get install -y chromium`` (``/usr/bin/chromium``)
and the ``playwright`` Python package; it never downloads a browser.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Everything the page is asked about once it has loaded.
_PAGE_STATE = """() => ({
  text: document.body ? document.body.innerText : "",
  scripts: document.querySelectorAll("script").length,
  images: Array.from(document.images).map(img => ({
    src: img.src.slice(0, 60),
    complete: img.complete,
    naturalWidth: img.naturalWidth,
  })),
})"""


def check_pages(
    pages: list[Path], screenshot_dir: Path, *, executable: str = CHROMIUM
) -> list[dict]:
    """Load each page in headless chromium and return what happened on it.

    Parameters
    ----------
    pages : list of Path
        HTML files to open (as ``file://`` URLs).
    screenshot_dir : Path
        Where ``<page stem>.png`` full-page screenshots are written.
    executable : str
        The chromium binary; Playwright's own browser download is never used.

    Returns
    -------
    list of dict
        Per page: ``page``, ``dialogs``, ``console_errors``, ``page_errors``, ``requests``
        (anything not ``file:`` or ``data:``, all blocked), ``navigations`` (URLs the page
        moved to after it loaded), ``images``, ``broken_images``, ``scripts``, ``text`` and
        ``screenshot``.
    """
    from playwright.sync_api import sync_playwright

    screenshot_dir.mkdir(parents=True, exist_ok=True)
    results = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            for path in pages:
                results.append(_check_page(context, Path(path), screenshot_dir))
            context.close()
        finally:
            browser.close()
    return results


def _check_page(context, path: Path, screenshot_dir: Path) -> dict:
    record = {
        "page": str(path),
        "dialogs": [],
        "console_errors": [],
        "page_errors": [],
        "requests": [],
        "navigations": [],
    }
    page = context.new_page()
    url = path.resolve().as_uri()

    def on_dialog(dialog):
        record["dialogs"].append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def on_route(route):
        url = route.request.url
        if url.startswith(("file:", "data:", "blob:")):  # blob: the page's own inline bundle
            route.continue_()
        else:  # a self-contained report asks the network for nothing
            record["requests"].append(url)
            route.abort()

    page.on("dialog", on_dialog)
    page.on(
        "console",
        lambda msg: record["console_errors"].append(msg.text) if msg.type == "error" else None,
    )
    page.on("pageerror", lambda exc: record["page_errors"].append(str(exc)))
    page.route("**/*", on_route)
    page.on(
        "framenavigated",
        lambda frame: (
            record["navigations"].append(frame.url)
            if frame == page.main_frame and frame.url != url
            else None
        ),
    )
    page.goto(url, wait_until="load", timeout=120_000)  # a loaded machine is slow
    # Let late handlers (onerror of a broken image) fire, and a zero-second refresh happen.
    page.wait_for_timeout(1000)
    if page.url != url and page.url not in record["navigations"]:
        record["navigations"].append(page.url)
    state = page.evaluate(_PAGE_STATE)
    shot = screenshot_dir / f"{path.stem}.png"
    page.screenshot(path=str(shot), full_page=True)
    page.close()
    record.update(
        images=state["images"],
        broken_images=[i for i in state["images"] if not i["complete"] or i["naturalWidth"] <= 0],
        scripts=state["scripts"],
        text=state["text"],
        screenshot=str(shot),
    )
    return record


def report_pages(report_dir: Path) -> list[Path]:
    """Return ``index.html`` first, then every other page of a report folder, sorted."""
    others = sorted(p for p in report_dir.glob("*.html") if p.name != "index.html")
    return [report_dir / "index.html", *others]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report_dir", type=Path)
    parser.add_argument("--screenshots", type=Path, default=Path("test-artifacts/browser"))
    parser.add_argument("--chromium", default=CHROMIUM)
    args = parser.parse_args(argv)
    results = check_pages(report_pages(args.report_dir), args.screenshots, executable=args.chromium)
    bad = 0
    for r in results:
        problems = {
            k: r[k]
            for k in (
                "dialogs",
                "console_errors",
                "page_errors",
                "requests",
                "navigations",
                "broken_images",
            )
            if r[k]
        }
        bad += bool(problems)
        status = "ok" if not problems else f"PROBLEMS {problems}"
        print(f"{r['page']}: {len(r['images'])} images, screenshot {r['screenshot']}: {status}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
