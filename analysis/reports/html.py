"""Report pages: a notebook exported as one self-contained HTML page, and the index of a run.

A page shows no code, runs no script and loads nothing from elsewhere: a Content-Security-Policy
says so, outputs are reduced to inert kinds, HTML and Markdown outputs are sanitised (bleach)
and the finished page is checked for active markup before it is written.
"""

from __future__ import annotations

import functools
import html as html_module
import os
import re
import secrets
import threading
from collections.abc import Mapping
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from analysis import files
from analysis.reports.notebook import escape, headline_figures
from analysis.reports.registry import MANIFEST_NAME, ReportError, _readable

# Escaping is what keeps article markup inert; this policy only makes a slip loud (the browser
# test fails on the console error it logs) instead of exploitable.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:; "
    "script-src 'none'; base-uri 'none'; form-action 'none'"
)
_CSP_META = f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">'

_CSP_META_TAG = re.compile(r"<meta\b[^>]*\bhttp-equiv=\"Content-Security-Policy\"[^>]*>", re.I)


def interactive_policy(hashes: list[str]) -> str:
    """The Content-Security-Policy of a page with interactive tables and charts.

    Scripts may run only if they are the page's own inline scripts, each named by its SHA-256
    hash (computed when the page is written, so an article string that slipped into the page
    as markup still could not run), plus ``blob:``: itables keeps its DataTables bundle inline
    as base64 and imports it as a module from a ``blob:`` URL the page made itself. No remote
    origin is allowed, so nothing is fetched. ``'unsafe-eval'`` is not needed: neither plotly's
    2-D charts nor DataTables evaluate strings. Styles stay ``'unsafe-inline'``: plotly and
    DataTables set inline styles and insert ``<style>`` elements at run time. ``img-src blob:``
    lets plotly's camera button save the chart as a PNG.
    """
    return (
        "default-src 'none'; img-src data: blob:; style-src 'unsafe-inline'; font-src data:; "
        f"script-src {' '.join(hashes)} blob:; base-uri 'none'; form-action 'none'"
    )


# The lab template links require.js, MathJax and Mermaid from cdnjs and widgets from unpkg;
# none is needed for reports of tables and matplotlib figures, so those blocks are emptied.
_HTML_TEMPLATE = (
    "{%- extends 'lab/index.html.j2' -%}\n"
    "{%- block html_head_js -%}" + _CSP_META + "{%- endblock html_head_js -%}\n"
    "{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}\n"
    "{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}\n"
    "{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}\n"
)
_HTML_TEMPLATE_NAME = "news_analysis_report.html.j2"
# Tags that would make a browser fetch something at load time (anchors only link, so they stay).
_REMOTE_RESOURCE = re.compile(
    r"<(?:script|link|img|iframe|embed|object|source|audio|video)\b[^>]*?"
    r"\b(?:src|href|data)\s*=\s*[\"']?\s*(?:https?:)?//[^>]*>",
    re.IGNORECASE,
)


# --- HTML ----------------------------------------------------------------------------------------


def export_html(notebook_path: str | os.PathLike, html_path: str | os.PathLike) -> Path:
    """Convert an executed notebook to one self-contained HTML page without code.

    Uses nbconvert's ``lab`` template minus its CDN scripts (require.js, MathJax, Mermaid,
    widgets), with input cells, prompts and stderr output hidden, images inline as data URIs
    and a Content-Security-Policy that lets the page load nothing from anywhere.

    Notebook outputs are untrusted: they show article text and parameter values. Only inert
    kinds of output are kept (text, HTML, Markdown, LaTeX, PNG, JPEG, SVG as an image); HTML and
    Markdown outputs pass through :func:`sanitize_html`, so no script, frame, form, ``<meta>``,
    ``<base>`` or event handler can come from them. The finished page is checked with
    :func:`unsafe_markup`; a page that fails raises :class:`ReportError` instead of being
    written.
    """
    import nbformat

    nb = nbformat.read(str(notebook_path), as_version=4)
    # A progress bar drawn as a widget leaves its state in the notebook's metadata, which the
    # lab template writes as a <script> (of JSON); the page shows no widget, so it goes.
    nb.metadata.pop("widgets", None)
    slots: list[tuple[str, str]] = []
    # Unguessable, so no output (whatever article text it shows) can name a slot.
    token = secrets.token_hex(16)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = _safe_outputs(cell.outputs, slots, token)
    with _EXPORT_LOCK:
        exporter = _exporter()
        body, _ = exporter.from_notebook_node(
            nb, resources={"metadata": {"name": Path(notebook_path).stem}}
        )
    # Belt and braces for outputs that link a remote file (e.g. a widget): drop the tag.
    body = _REMOTE_RESOURCE.sub("", body)
    body = _add_navigation(body)
    out = Path(html_path)
    problems = unsafe_markup(body)
    if problems:
        raise ReportError(
            f"{_readable(out)}: the page would carry active markup ({'; '.join(problems[:3])}); "
            "not written"
        )
    if slots:
        body = _fill_slots(body, slots)
    files.write_text(out, body)
    return out


#: One exporter for the process: building one loads and compiles its Jinja templates (0.05 s
#: a page), which nbconvert then keeps. The report runner exports from several threads; an
#: export holds the lock (it is pure Python, so the threads would wait on each other anyway).
_EXPORT_LOCK = threading.Lock()


@functools.lru_cache(maxsize=1)
def _exporter():
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    return HTMLExporter(
        template_name="lab",
        template_file=_HTML_TEMPLATE_NAME,
        extra_loaders=[DictLoader({_HTML_TEMPLATE_NAME: _HTML_TEMPLATE})],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
    )


_HEADING = re.compile(r'<h2 id="([^"<>]+)"[^>]*>(.*?)</h2>', re.S)
_NAV_STYLE = (
    "<style>nav.news-nav { font: 14px system-ui, sans-serif; margin: .5rem 0 1rem 0; "
    "padding: .5rem .8rem; border: 1px solid #ddd; border-radius: 4px; background: #fafafa; } "
    "nav.news-nav ol { columns: 2; margin: .3rem 0 0 0; } "
    "nav.news-nav a { text-decoration: none; } "
    ".news-table-note { font-size: .9em; color: #555; } "
    "table.dataTable td.news-long { min-width: 28em; white-space: normal; } "
    # A column's filter box follows the column's width instead of setting it (its default
    # size made every short column 20 characters wide and pushed the text off the page).
    "table.dataTable tfoot input { width: 100%; min-width: 3em; box-sizing: border-box; }</style>"
)


def _add_navigation(body: str) -> str:
    """A link back to ``index.html`` and a table of contents of the ``##`` sections, on top."""
    items = []
    for anchor, inner in _HEADING.findall(body):
        text = html_module.unescape(re.sub(r"<[^>]+>", "", inner)).replace("¶", "").strip()
        items.append(
            f'<li><a href="#{escape(html_module.unescape(anchor))}">{escape(text)}</a></li>'
        )
    nav = (
        f'{_NAV_STYLE}<nav class="news-nav"><a href="index.html">&larr; All reports</a>'
        + (f"<ol>{''.join(items)}</ol>" if items else "")
        + "</nav>"
    )
    # Between the first cell (the title and introduction) and the second, else first.
    cells = [m.start() for m in re.finditer(r'<div class="jp-Cell ', body)]
    if len(cells) >= 2:
        position = cells[1]
    else:
        main = body.find("<main>")
        position = main + len("<main>") if main >= 0 else body.find(">", body.find("<body")) + 1
    nav = f'<div class="jp-Cell jp-MarkdownCell jp-Notebook-cell">{nav}</div>'
    return body[:position] + nav + body[position:]


def _fill_slots(body: str, slots: list[tuple[str, str]]) -> str:
    """Put the interactive tables and charts in their places; allow their scripts by hash."""
    from analysis.reports.interactive import PageScripts, script_hashes

    # The page was checked for active markup with the slots empty; what goes in now is made
    # here, from JSON data (cells escaped by itables, plotly's JSON with "<" escaped).
    renderer = PageScripts()
    for placeholder, (kind, payload) in slots:
        markup = renderer.table(payload) if kind == "table" else renderer.figure(payload)
        if body.count(placeholder) != 1:
            raise ReportError(f"an interactive output was lost in the export ({kind})")
        body = body.replace(placeholder, markup)
    policy = interactive_policy(script_hashes(body))
    meta = f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
    # nbconvert writes the template's <meta> back with its attributes reordered.
    body, n = _CSP_META_TAG.subn(lambda _: meta, body, count=1)
    if n != 1:
        raise ReportError("the page has no Content-Security-Policy to extend")
    return body


# Output kinds a report page shows; anything else (JavaScript, widget views, Mermaid, JSON) is
# dropped: the page runs no script, and the executed .ipynb keeps the original.
_SAFE_MIME_TYPES = frozenset(
    {
        "text/plain",
        "text/html",
        "text/markdown",
        "text/latex",
        "image/png",
        "image/jpeg",
        "image/svg+xml",  # the lab template shows it as <img src="data:...">, where SVG is inert
    }
)
# What an HTML or Markdown output may keep: text structure, tables and show_table's <style>.
# No image (a Markdown image or <img> would embed a local file or fetch a remote one), no form,
# frame, script, <meta>, <base>, event handler or javascript: link. An allow-list, so new tags
# are inert by default; bleach (a dependency of nbconvert) does the parsing.
_SAFE_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "caption", "code", "col", "colgroup", "dd", "del",
        "details", "div", "dl", "dt", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "ins",
        "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "samp", "small", "span", "strong",
        "style", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr",
        "u", "ul", "var",
    }
)  # fmt: skip
_SAFE_ATTRIBUTES = {
    "*": ["class", "id", "title", "style"],
    "a": ["href", "title"],
    "table": ["border"],
    "th": ["colspan", "rowspan", "scope"],
    "td": ["colspan", "rowspan"],
    "col": ["span"],
    "colgroup": ["span"],
    "ol": ["start"],
}
_SAFE_PROTOCOLS = ("http", "https", "mailto")


def sanitize_html(fragment: str) -> str:
    """Return an HTML fragment from a notebook output with only inert markup left.

    Tags outside an allow-list (text structure, tables, ``<style>``) are removed and their
    text kept; attributes outside it (every ``on*`` handler, ``src``) are removed; links keep
    only ``http``, ``https``, ``mailto`` and in-page targets; inline styles keep only harmless
    CSS properties. Used on every HTML and Markdown output of a report page.
    """
    import bleach
    from bleach.css_sanitizer import CSSSanitizer

    return bleach.clean(
        fragment,
        tags=_SAFE_TAGS,
        attributes=_SAFE_ATTRIBUTES,
        protocols=_SAFE_PROTOCOLS,
        strip=True,
        strip_comments=True,
        css_sanitizer=CSSSanitizer(),
    )


def _safe_outputs(outputs: list, slots: list | None = None, token: str = "") -> list:
    # Interactive tables and charts arrive as JSON data (analysis.reports.interactive); each
    # becomes an empty placeholder here and is drawn by trusted code once the page is checked.
    # stderr (progress bars, library warnings) is for whoever debugs the notebook, not for the
    # reader: the executed .ipynb keeps it, the page drops it. Tracebacks are "error" outputs
    # and stay visible (the template escapes them, like every text output).
    kept = []
    for output in outputs:
        if output.output_type == "stream" and output.name == "stderr":
            continue
        if output.output_type in ("display_data", "execute_result"):
            slot = _interactive(output.data, slots, token)
            if slot is not None:
                output.data = {"text/html": slot}
                kept.append(output)
                continue
            data = {k: v for k, v in output.data.items() if k in _SAFE_MIME_TYPES}
            markdown = data.pop("text/markdown", None)
            if "text/html" in data:
                data["text/html"] = sanitize_html(_text(data["text/html"]))
            elif markdown is not None:
                data["text/html"] = sanitize_html(_markdown_to_html(_text(markdown)))
            output.data = data
            if not data:
                continue
        kept.append(output)
    return kept


def _interactive(data: Mapping[str, Any], slots: list | None, token: str) -> str | None:
    from analysis.reports.interactive import PLOTLY_MIME, TABLE_MIME

    if slots is None:
        return None
    payload, kind = data.get(TABLE_MIME), "table"
    if not _is_table_payload(payload):
        payload, kind = data.get(PLOTLY_MIME), "figure"
        if not (isinstance(payload, Mapping) and isinstance(payload.get("data", []), list)):
            return None
    placeholder = f'<div class="news-slot" id="news-slot-{token}-{len(slots)}"></div>'
    slots.append((placeholder, (kind, payload)))
    return placeholder


def _is_table_payload(payload: Any) -> bool:
    return (
        isinstance(payload, Mapping)
        and isinstance(payload.get("columns"), list)
        and isinstance(payload.get("rows"), list)
        and all(isinstance(r, list) and len(r) == len(payload["columns"]) for r in payload["rows"])
    )


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _markdown_to_html(source: str) -> str:
    # nbconvert's own renderer, as for Markdown cells, but never embedding images: a Markdown
    # image in an output would otherwise read a local file into the page.
    from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath

    renderer = IPythonRenderer(escape=False, embed_images=False, exclude_anchor_links=True)
    return MarkdownWithMath(renderer=renderer).render(source)


# Elements and attributes that would make a page run code, navigate, submit or re-base links.
_ACTIVE_TAGS = frozenset(
    {"script", "iframe", "frame", "frameset", "object", "embed", "applet", "form", "base",
     "portal", "input", "button", "textarea", "select", "link"}
)  # fmt: skip
_URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "xlink:href", "data"})
_HARMLESS_HTTP_EQUIV = frozenset({"content-security-policy", "content-type"})


class _ActiveMarkupFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.policy: str | None = None  # the first Content-Security-Policy of the page
        self._script: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "meta" and self.policy is None:
            values = {k: (v or "") for k, v in attrs}
            if values.get("http-equiv", "").lower() == "content-security-policy":
                self.policy = values.get("content", "")
        if tag == "script" and not any(name == "src" for name, _ in attrs):
            self._script = []  # allowed if the page's policy names its hash (handle_endtag)
        elif tag in _ACTIVE_TAGS:
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            value = (value or "").strip().lower()
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=...>")
            elif name == "srcdoc":
                self.found.append(f"<{tag} srcdoc=...>")
            elif name in _URL_ATTRIBUTES and re.match(
                r"(?:java|vb)script:", value.replace(" ", "")
            ):
                self.found.append(f"<{tag} {name}={value[:30]}>")
            elif tag == "meta" and name == "http-equiv" and value not in _HARMLESS_HTTP_EQUIV:
                self.found.append(f'<meta http-equiv="{value}">')

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag == "script":
            self.handle_endtag(tag)

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._script.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            from analysis.reports.interactive import script_hash

            text, self._script = "".join(self._script), None
            if script_hash(text) not in (self.policy or "").split():
                self.found.append(f"<script> ({text.strip()[:30]!r}, not in the page's policy)")


def unsafe_markup(page: str) -> list[str]:
    """Return the active markup of an HTML page: what would run, navigate, submit or re-base.

    Lists every ``<script>`` (except an inline script whose hash the page's own
    Content-Security-Policy lists: the interactive tables and charts), ``<iframe>``, ``<frame>``, ``<object>``, ``<embed>``, ``<form>``
    (and form controls), ``<base>``, ``<link>``, ``<meta http-equiv>`` other than the
    Content-Security-Policy (a ``refresh`` navigates even under that policy), ``on*`` event
    handler, ``srcdoc`` and ``javascript:`` URL. A report page must have none.
    """
    finder = _ActiveMarkupFinder()
    finder.feed(page)
    finder.close()
    return finder.found


def remote_resources(page: str) -> list[str]:
    """Return the tags of ``page`` that would load something from the network."""
    return _REMOTE_RESOURCE.findall(page)


def _error_page(title: str, message: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"{_CSP_META}<title>{escape(title)}</title></head><body>"
        f"<h1>{escape(title)}: failed</h1><pre>{escape(message)}</pre></body></html>\n"
    )


def build_index(manifest: Mapping[str, Any]) -> str:
    """Return ``index.html`` for a run: each report with its status and headline figures."""
    rows = []
    for entry in manifest["notebooks"]:
        name = entry["name"]
        status = entry["outcome"] + (" (reused)" if entry.get("reused") else "")
        figures = headline_figures(entry.get("summary"))
        fig_html = "".join(
            f'<div><span class="k">{escape(k)}</span> {escape(v)}</div>' for k, v in figures
        )
        error = f'<div class="err">{escape(entry["error"])}</div>' if entry.get("error") else ""
        rows.append(
            f'<tr class="{escape(entry["outcome"])}">'
            f'<td><a href="{escape(name)}.html">{escape(name)}</a>'
            f' <a class="nb" href="{escape(name)}.ipynb">notebook</a></td>'
            f"<td>{escape(status)}</td>"
            f'<td class="n">{entry["executed"]["duration_s"]:.1f} s</td>'
            f"<td>{fig_html}{error}</td></tr>"
        )
    corpus = manifest["corpus"]
    git = manifest.get("git") or {}
    commit = git.get("commit", "")[:12] + (" (uncommitted changes)" if git.get("dirty") else "")
    env = manifest["environment"]
    model = env.get("spacy_model") or {}
    meta = [
        ("Corpus", ", ".join(corpus["paths"])),
        (
            "Files",
            f"{corpus['n_files']:,} ({corpus['n_bytes']:,} bytes), sha256 {corpus['sha256'][:16]}",
        ),
        ("Run", f"{manifest['started']} to {manifest['ended']} ({manifest['duration_s']:.1f} s)"),
        ("Outcome", manifest["outcome"]),
        ("Code", f"analysis {env['project']['version']}, git {commit or 'none'}"),
        ("Python", env["python"]),
        ("spaCy model", f"{model.get('name')} {model.get('version')}"),
    ]
    meta_html = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in meta)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
{_CSP_META}
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>News analysis reports</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 70rem; color: #222; }}
table {{ border-collapse: collapse; width: 100%; margin-bottom: 2rem; }}
th, td {{ text-align: left; vertical-align: top; padding: .4rem .6rem;
         border-bottom: 1px solid #ddd; }}
td.n {{ text-align: right; white-space: nowrap; }}
tr.failed td {{ background: #fdecea; }}
.k {{ color: #666; }} .nb {{ font-size: .8em; color: #666; margin-left: .5em; }}
.err {{ color: #a00; white-space: pre-wrap; }}
</style>
</head>
<body>
<h1>News analysis reports</h1>
<table class="meta">{meta_html}</table>
<table>
<thead><tr><th>Report</th><th>Status</th><th>Time</th><th>Headline figures</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody>
</table>
<p><a href="{MANIFEST_NAME}">manifest.json</a>: parameters, corpus files, versions, timings.</p>
</body>
</html>
"""
