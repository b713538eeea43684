"""Report notebooks: a registry, a papermill runner with a manifest, incremental re-runs and safe HTML.

The ``report`` command executes every ``notebooks/NN_*.ipynb`` with papermill on the project's
own kernel and writes, into ``--out``:

- ``<notebook>.ipynb`` (executed) and ``<notebook>.html`` (no code, images inline, nothing
  loaded from the network, so it opens offline);
- ``<notebook>.summary.json``, the key figures the notebook passed to :func:`write_summary`;
- ``index.html`` linking every report with its headline figures and status;
- ``manifest.json``: parameters, corpus fingerprint, versions, seeds, git commit, timings.

A notebook is re-executed only when its key changes: the notebook file, the package source,
the installed versions, the corpus fingerprint or one of the parameters it takes. Everything
is written to a temporary folder beside ``--out`` and swapped in at the end, so an interrupted
run leaves the previous reports as they were.

Notebook helpers: :func:`write_summary` (last cell of every report), :func:`show_table`,
:func:`escape` and :func:`escape_markdown` (article text is untrusted markup), and
:func:`corpus_paths` (resolve the ``corpus`` parameter).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import errno
import hashlib
import html
import json
import math
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, TextIO

from analysis import config, files

#: Report notebooks are the files of the notebooks folder named like ``01_corpus_overview.ipynb``.
NOTEBOOK_PATTERN = re.compile(r"^\d\d_[A-Za-z0-9_\-]+\.ipynb$")
#: The parameter that receives ``--corpus``.
CORPUS_PARAMETER = "corpus"
MANIFEST_NAME = "manifest.json"
INDEX_NAME = "index.html"
SUMMARY_SUFFIX = ".summary.json"
MANIFEST_SCHEMA = 1
#: The kind of output folder ``report --out`` fills (see :func:`analysis.files.check_output_folder`).
OUTPUT_KIND = "reports"
#: Parameters the runner sets itself; ``-p NAME=`` is refused for them, with the reason.
RUNNER_PARAMETERS = {
    CORPUS_PARAMETER: "set the corpus with --corpus",
    "summary_path": "the runner writes each notebook's summary to <out>/<notebook>.summary.json; "
    "every output stays inside --out",
}

# Nothing in a report page may load from elsewhere: no script at all, styles and images inline.
# Escaping is what keeps article markup inert; this policy only makes a slip loud (the browser
# test fails on the console error it logs) instead of exploitable.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:; "
    "script-src 'none'; base-uri 'none'; form-action 'none'"
)
_CSP_META = f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">'

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


class ReportError(Exception):
    """A report run that cannot start or finish; the message names the offending file."""


class ParameterError(ReportError):
    """A ``-p NAME=VALUE`` the notebooks cannot take (bad usage: exit code 2)."""


# --- notebook helpers ----------------------------------------------------------------------------


def write_summary(summary: Mapping[str, Any], path: str | os.PathLike | None = None) -> dict:
    """Write a notebook's key figures as JSON for the report runner, and return them.

    Call it in the last cell of a report notebook. The runner sets the environment variable
    :data:`analysis.config.REPORT_SUMMARY_ENV` to ``<out>/<notebook>.summary.json`` before it
    executes the notebook. Run interactively (JupyterLab) without that variable and without
    ``path``, nothing is written: the function only returns the summary, so a notebook runs top
    to bottom anywhere.

    Parameters
    ----------
    summary : mapping
        JSON-like figures. NumPy and pandas scalars, ``Path`` and dates are converted; NaN
        becomes null. An optional ``"headline"`` mapping holds the few figures ``index.html``
        shows; without it, the index shows the top-level numbers and strings.
    path : str or path-like, optional
        Write here instead of the path the runner set.

    Returns
    -------
    dict
        The summary as it was (or would be) written, after JSON conversion.
    """
    from analysis.tables import replace_surrogates

    # A lone surrogate (a file name that is not UTF-8, read with surrogateescape) cannot be
    # written as UTF-8: it becomes U+FFFD, as in every table the package writes.
    text = json.dumps(dict(summary), default=_json_default, allow_nan=True, ensure_ascii=False)
    text = replace_surrogates(text)
    data = _nan_to_none(json.loads(text))
    target = path or os.environ.get(config.REPORT_SUMMARY_ENV)
    if target:
        files.write_json(target, data)
    return data


def escape(text: Any) -> str:
    """Return ``text`` with ``& < > " '`` as HTML entities, for article text inside HTML."""
    return html.escape("" if text is None else str(text), quote=True)


_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|~:$])")


def escape_markdown(text: Any) -> str:
    """Return ``text`` safe to put inside a Markdown paragraph, shown exactly as written.

    Markdown punctuation is backslash-escaped, ``& < >`` become entities (raw HTML in Markdown
    would reach the report as markup) and runs of whitespace, newlines included, become one
    space, so the text cannot open a heading, list or code block. For inline use.

    Examples
    --------
    >>> escape_markdown("<script>alert(1)</script>")
    '&lt;script&gt;alert\\\\(1\\\\)&lt;/script&gt;'
    """
    s = " ".join(("" if text is None else str(text)).split())
    s = _MARKDOWN_SPECIALS.sub(r"\\\1", s)
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def markdown_code(text: Any) -> str:
    """Return ``text`` as inline code for a Markdown paragraph, shown exactly as written.

    For a parameter value or column name inside prose. A Markdown code span (`` `...` ``)
    cannot hold every value: a backtick in the value closes it, and whatever follows is
    Markdown again, raw HTML included. So the value is escaped with :func:`escape_markdown`
    and wrapped in ``<code>`` tags, which Markdown passes through.

    Examples
    --------
    >>> markdown_code("x` <b>")
    '<code>x\\\\` &lt;b&gt;</code>'
    """
    return f"<code>{escape_markdown(text)}</code>"


def show_table(
    df,
    *,
    max_rows: int = 50,
    max_chars: int = 200,
    index: bool = False,
    caption: str | None = None,
):
    """Return an escaped HTML rendering of ``df`` for a notebook to display.

    Every cell passes through :func:`escape` (pandas ``to_html(escape=True)``), unlike
    ``DataFrame.style``, whose ``Styler`` leaves cell text as markup unless told otherwise.

    Parameters
    ----------
    df : pandas.DataFrame
        The table; article text in any column is fine.
    max_rows : int
        Rows shown; a note gives the total when there are more.
    max_chars : int
        Longer strings are cut with an ellipsis, so one article does not fill the page.
    index : bool
        Show the DataFrame index.
    caption : str, optional
        Plain text shown above the table (escaped).

    Returns
    -------
    IPython.display.HTML
    """
    from IPython.display import HTML
    from pandas.api.types import is_numeric_dtype

    shown = df.head(max_rows).copy()
    numeric = []
    for i, col in enumerate(shown.columns, start=2 if index else 1):
        if is_numeric_dtype(shown[col].dtype) and shown[col].dtype != bool:
            numeric.append(i)
        else:
            shown[col] = shown[col].map(lambda v: _clip(v, max_chars)).astype(object)
    # Text reads best left-aligned and numbers right-aligned; the lab stylesheet right-aligns
    # every cell, so the table gets its own class and a few nth-child rules.
    cls = "news-table-" + hashlib.sha1(repr(sorted(numeric)).encode()).hexdigest()[:8]
    sel = f"table.dataframe.{cls}"  # outranks the lab stylesheet's :not(...) selectors
    rules = [f"{sel} th, {sel} td {{ text-align: left; }}"] + [
        f"{sel} td:nth-child({i}), {sel} thead th:nth-child({i}) {{ text-align: right; }}"
        for i in numeric
    ]
    table = shown.to_html(escape=True, index=index, border=0, na_rep="", classes=cls)
    parts = [f"<style>{' '.join(rules)}</style>"]
    if caption:
        parts.append(f"<p><strong>{escape(caption)}</strong></p>")
    parts.append(table)
    if len(df) > max_rows:
        parts.append(f"<p><em>Showing {max_rows:,} of {len(df):,} rows.</em></p>")
    return HTML("\n".join(parts))


def _clip(value: Any, max_chars: int) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, str) and len(value) > max_chars:
        return value[: max_chars - 1] + "…"
    return value


def corpus_paths(corpus: str | os.PathLike | Sequence[str | os.PathLike]) -> list[Path]:
    """Return the ``corpus`` parameter of a notebook as absolute paths.

    ``corpus`` is one path or a list of paths (papermill passes only JSON-like values, so
    strings); relative paths are resolved against :data:`analysis.config.PROJECT_DIR`, so a
    notebook finds ``"seeds"`` wherever Jupyter was started.
    """
    items = [corpus] if isinstance(corpus, str | os.PathLike) else list(corpus)
    out = []
    for item in items:
        p = Path(item).expanduser()
        out.append(p if p.is_absolute() else config.PROJECT_DIR / p)
    return out


# --- registry ------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Parameter:
    """One assignment of a notebook's ``parameters`` cell, as papermill infers it."""

    name: str
    type: str
    default: str
    help: str


@dataclasses.dataclass(frozen=True)
class ReportNotebook:
    """A report notebook: its name (file stem), path, content hash and parameters."""

    name: str
    path: Path
    sha256: str
    parameters: dict[str, Parameter]

    def takes(self, name: str) -> bool:
        """Return whether the notebook has a parameter ``name``."""
        return name in self.parameters


def discover(notebooks_dir: str | os.PathLike | None = None) -> list[ReportNotebook]:
    """Return the report notebooks of ``notebooks_dir`` (default ``notebooks/``), sorted by name.

    Parameters are read with ``papermill.inspect_notebook`` and cached by the notebook's
    sha256, so a run whose notebooks have not changed does not import papermill.
    """
    folder = Path(notebooks_dir) if notebooks_dir is not None else config.NOTEBOOKS_DIR
    if not folder.is_dir():
        raise ReportError(f"{folder}: notebooks folder not found")
    paths = sorted(p for p in folder.iterdir() if NOTEBOOK_PATTERN.match(p.name))
    if not paths:
        raise ReportError(f"{folder}: no report notebooks (files named NN_name.ipynb)")
    cache_file = config.CACHE_DIR / "reports" / "parameters.json"
    cache = files.read_json(cache_file)
    cache = cache if isinstance(cache, dict) else {}
    found, changed = [], False
    for path in paths:
        digest = files.sha256_file(path)
        params = cache.get(digest)
        if params is None:
            params = _inspect_parameters(path)
            cache[digest] = params
            changed = True
        found.append(
            ReportNotebook(
                name=path.stem,
                path=path,
                sha256=digest,
                parameters={p["name"]: Parameter(**p) for p in params},
            )
        )
    if changed:
        with contextlib.suppress(OSError):  # a read-only cache only costs the next run time
            files.write_text(cache_file, json.dumps(cache, indent=1, sort_keys=True))
    return found


def _inspect_parameters(path: Path) -> list[dict]:
    import papermill

    try:
        inferred = papermill.inspect_notebook(str(path))
    except Exception as exc:  # a corrupt .ipynb: name the file, not papermill's internals
        raise ReportError(f"{path}: cannot read the notebook's parameters: {exc}") from exc
    params = []
    for p in inferred.values():
        default = str(p.get("default"))
        type_name = p.get("inferred_type_name") or "None"
        if type_name == "None":
            # papermill reads the type from an annotation only; without one, use the default's.
            value = _literal(default)
            type_name = type(value).__name__ if value is not None and value != default else "None"
        params.append(
            {
                "name": p["name"],
                "type": type_name,
                "default": default,
                "help": (p.get("help") or "").strip(),
            }
        )
    return params


def format_listing(notebooks: Sequence[ReportNotebook]) -> str:
    """Return the text ``report --list`` prints: each notebook and its parameters."""
    lines = []
    for nb in notebooks:
        lines.append(f"{nb.name}  ({_display_path(nb.path)})")
        if not nb.parameters:
            lines.append("    (no parameters)")
        for p in nb.parameters.values():
            comment = f"  # {p.help}" if p.help else ""
            if p.name in RUNNER_PARAMETERS and p.name != CORPUS_PARAMETER:
                comment += "  [set by the runner, not with -p]"
            lines.append(f"    {p.name}: {p.type} = {p.default}{comment}")
    return "\n".join(lines)


def parse_assignment(text: str) -> tuple[str, Any]:
    """Parse ``NAME=VALUE`` from ``-p``: VALUE as a JSON literal when it is one, else a string.

    Examples
    --------
    >>> parse_assignment("n_topics=8")
    ('n_topics', 8)
    >>> parse_assignment("method=nmf")
    ('method', 'nmf')
    """
    name, sep, raw = text.partition("=")
    name = name.strip()
    if not sep or not name.isidentifier():
        raise ParameterError(f"-p {text!r}: expected NAME=VALUE with NAME a Python identifier")
    try:
        value = json.loads(raw)
    except ValueError:
        value = raw
    return name, value


def validate_parameters(notebooks: Sequence[ReportNotebook], parameters: Mapping[str, Any]) -> None:
    """Raise :class:`ParameterError` for a name no notebook takes or a value of the wrong kind.

    Papermill only warns about unknown names; here a typo stops the run before anything
    executes. A numeric or boolean default requires a value of the same kind. The names in
    :data:`RUNNER_PARAMETERS` (``corpus``, and ``summary_path``, an output path: every output
    stays inside ``--out``) are set by the runner and refused here.
    """
    for name, value in parameters.items():
        if name in RUNNER_PARAMETERS:
            raise ParameterError(f"-p {name}=...: {RUNNER_PARAMETERS[name]}, not with -p")
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError as exc:  # bytes of the command line that are not UTF-8
            raise ParameterError(
                f"-p {name}={json.dumps(value)}: the value is not valid UTF-8 text"
            ) from exc
    known = sorted({name for nb in notebooks for name in nb.parameters})
    unknown = sorted(set(parameters) - set(known))
    if unknown:
        raise ParameterError(
            f"unknown parameter{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
            f"the notebooks take: {', '.join(known) or '(none)'}"
        )
    for name, value in parameters.items():
        for nb in notebooks:
            p = nb.parameters.get(name)
            if p is not None and not _same_kind(p.type, value):
                raise ParameterError(
                    f"-p {name}={json.dumps(value)}: {nb.path.name} expects {p.type} "
                    f"(default {p.default})"
                )


def _same_kind(type_name: str, value: Any) -> bool:
    if type_name == "bool":
        return isinstance(value, bool)
    if type_name == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if type_name == "float":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return True


# --- fingerprints --------------------------------------------------------------------------------


def corpus_fingerprint(paths: Sequence[str | os.PathLike]) -> dict:
    """Return every file under ``paths`` with its size and sha256, and one digest of them all.

    Folders are walked recursively in sorted order, like the loader; a path that does not
    exist raises :class:`ReportError`. Paths are shown as readable text (bytes of a file name
    that are not UTF-8 as ``\\xNN``); the digest is over the names' bytes.
    """
    listed, digest = [], hashlib.sha256()
    for raw in paths:
        root = Path(raw)
        if not root.exists():
            raise ReportError(f"{_readable(root)}: corpus path not found")
        members = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
        for f in members:
            rel = f.relative_to(root).as_posix() if root.is_dir() else f.name
            try:
                size, sha = f.stat().st_size, files.sha256_file(f)
            except OSError as exc:  # the loader rejects it too; the fingerprint still names it
                size, sha = None, f"unreadable: {exc.strerror}"
            listed.append({"path": _display_path(f), "size": size, "sha256": sha})
            digest.update(os.fsencode(rel) + f"\0{size}\0{sha}\n".encode())
    return {
        "paths": [_display_path(Path(p)) for p in paths],
        "n_files": len(listed),
        "n_bytes": sum(f["size"] or 0 for f in listed),
        "sha256": digest.hexdigest(),
        "files": listed,
    }


def package_fingerprint() -> str:
    """Return a sha256 over every file of the installed ``analysis`` package (its code and data)."""
    digest = hashlib.sha256()
    for f in sorted(config.PACKAGE_DIR.rglob("*")):
        if f.is_file() and "__pycache__" not in f.parts and f.suffix != ".pyc":
            digest.update(f.relative_to(config.PACKAGE_DIR).as_posix().encode() + b"\0")
            digest.update(files.sha256_file(f).encode() + b"\n")
    return digest.hexdigest()


def environment_info() -> dict:
    """Return the versions a report depends on: Python, the project, every installed
    distribution (``importlib.metadata``) and the spaCy pipeline."""
    from importlib import metadata

    packages = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            packages[_normalise_dist(name)] = dist.version
    try:
        project_version = metadata.version("analysis")
    except metadata.PackageNotFoundError:
        from analysis import __version__ as project_version
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "executable": sys.executable,
        "platform": platform.platform(),
        "project": {"name": "analysis", "version": project_version},
        "spacy_model": _spacy_model_info(packages),
        "packages": dict(sorted(packages.items())),
    }


def _normalise_dist(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _spacy_model_info(packages: Mapping[str, str]) -> dict:
    try:
        from analysis.nlp import model_name

        name = model_name()
    except Exception as exc:  # no model installed: the manifest says so instead of failing
        return {"name": None, "version": None, "error": str(exc)}
    return {"name": name, "version": packages.get(_normalise_dist(name))}


def git_info() -> dict | None:
    """Return ``{"commit", "dirty"}`` for the project checkout, or None outside git.

    Read-only: ``--no-optional-locks`` keeps ``git status`` from refreshing the index.
    """
    try:
        commit = subprocess.run(
            ["git", "-C", str(config.PROJECT_DIR), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        status = subprocess.run(
            [
                "git",
                "--no-optional-locks",
                "-C",
                str(config.PROJECT_DIR),
                "status",
                "--porcelain",
                "--untracked-files=no",
            ],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": commit, "dirty": bool(status.strip())}


# --- kernel --------------------------------------------------------------------------------------


def install_kernel(jupyter_dir: str | os.PathLike | None = None) -> Path:
    """Write the ``news-analysis`` kernel spec for this interpreter and return its folder.

    The spec lives in ``<jupyter_dir>/kernels/news-analysis`` (default
    :data:`analysis.config.REPORT_JUPYTER_DIR`); the runner puts ``jupyter_dir`` first on
    ``JUPYTER_PATH``, so reports never use a kernel registered elsewhere. ``sys.executable``
    is kept as it is (not resolved), so the kernel runs inside this virtual environment.
    """
    base = Path(jupyter_dir) if jupyter_dir is not None else config.REPORT_JUPYTER_DIR
    folder = base / "kernels" / config.REPORT_KERNEL_NAME
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": f"Python ({config.REPORT_KERNEL_NAME})",
        "language": "python",
        # Hash randomisation would reorder sets between runs; reports must not depend on it.
        "env": {"PYTHONHASHSEED": "0"},
        "metadata": {"debugger": False},
    }
    text = json.dumps(spec, indent=1) + "\n"
    kernel_json = folder / "kernel.json"
    if not kernel_json.exists() or kernel_json.read_text(encoding="utf-8") != text:
        files.write_text(kernel_json, text)
    return folder


@contextlib.contextmanager
def _environ(**values: str | None) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    try:
        for k, v in values.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


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
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    nb = nbformat.read(str(notebook_path), as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = _safe_outputs(cell.outputs)
    exporter = HTMLExporter(
        template_name="lab",
        template_file=_HTML_TEMPLATE_NAME,
        extra_loaders=[DictLoader({_HTML_TEMPLATE_NAME: _HTML_TEMPLATE})],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
    )
    body, _ = exporter.from_notebook_node(
        nb, resources={"metadata": {"name": Path(notebook_path).stem}}
    )
    # Belt and braces for outputs that link a remote file (e.g. a widget): drop the tag.
    body = _REMOTE_RESOURCE.sub("", body)
    out = Path(html_path)
    problems = unsafe_markup(body)
    if problems:
        raise ReportError(
            f"{_readable(out)}: the page would carry active markup ({'; '.join(problems[:3])}); "
            "not written"
        )
    files.write_text(out, body)
    return out


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


def _safe_outputs(outputs: list) -> list:
    # stderr (progress bars, library warnings) is for whoever debugs the notebook, not for the
    # reader: the executed .ipynb keeps it, the page drops it. Tracebacks are "error" outputs
    # and stay visible (the template escapes them, like every text output).
    kept = []
    for output in outputs:
        if output.output_type == "stream" and output.name == "stderr":
            continue
        if output.output_type in ("display_data", "execute_result"):
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

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _ACTIVE_TAGS:
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

    handle_startendtag = handle_starttag


def unsafe_markup(page: str) -> list[str]:
    """Return the active markup of an HTML page: what would run, navigate, submit or re-base.

    Lists every ``<script>``, ``<iframe>``, ``<frame>``, ``<object>``, ``<embed>``, ``<form>``
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
        figures = _headline_figures(entry.get("summary"))
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


def _headline_figures(summary: Any, limit: int = 8) -> list[tuple[str, str]]:
    if not isinstance(summary, Mapping):
        return []
    source = summary.get("headline") if isinstance(summary.get("headline"), Mapping) else summary
    figures = []
    for key, value in source.items():
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, int | float | str):
            figures.append((str(key), _format_value(value)))
        if len(figures) >= limit:
            break
    return figures


def _format_value(value: int | float | str) -> str:
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return value if len(value) <= 80 else value[:79] + "…"


# --- runner --------------------------------------------------------------------------------------


@dataclasses.dataclass
class RunResult:
    """What :func:`run_reports` did: the manifest it wrote and the notebooks that failed."""

    out: Path
    manifest: dict
    failed: list[str]


def notebook_parameters(
    nb: ReportNotebook, parameters: Mapping[str, Any], corpus: Sequence[Path] | None
) -> dict:
    """Return the parameters ``nb`` receives: those it takes, plus ``corpus`` when it has one.

    A number or boolean given to a parameter declared ``str`` is passed as its text
    (``-p n_topics=8`` gives ``"8"`` to ``n_topics: str = "auto"``), so a notebook receives
    the type it declares.
    """
    chosen = {}
    for name, value in parameters.items():
        p = nb.parameters.get(name)
        if p is None:
            continue
        if p.type == "str" and isinstance(value, int | float):
            value = json.dumps(value)
        chosen[name] = value
    if corpus is not None and nb.takes(CORPUS_PARAMETER):
        paths = [str(p) for p in corpus]
        chosen[CORPUS_PARAMETER] = paths[0] if len(paths) == 1 else paths
    return chosen


def run_reports(
    corpus: Sequence[str | os.PathLike] | None = None,
    out: str | os.PathLike | None = None,
    parameters: Mapping[str, Any] | None = None,
    *,
    notebooks_dir: str | os.PathLike | None = None,
    force: bool = False,
    progress: TextIO | None = None,
) -> RunResult:
    """Execute the report notebooks into ``out`` and return what happened.

    Parameters
    ----------
    corpus : sequence of path-like, optional
        Corpus files or folders (default ``seeds/``), passed to every notebook's ``corpus``
        parameter as absolute paths. Relative paths are relative to the current folder.
    out : path-like, optional
        Report folder (default ``reports/``; relative to the current folder). It must be new,
        empty (a README.md, .gitignore or .gitkeep may be there) or written by an earlier run
        (it carries :data:`analysis.files.MARKER`), and never the corpus or inside it:
        anything else raises :class:`analysis.files.OutputFolderError` before anything runs.
        Built beside it in a temporary folder and swapped in at the end; files there that the
        runner did not write (a README) are carried over.
    parameters : mapping, optional
        Parameter values; each goes to every notebook that takes it. Unknown names, and the
        names the runner sets itself (:data:`RUNNER_PARAMETERS`), raise
        :class:`ParameterError` before anything runs.
    notebooks_dir : path-like, optional
        Folder of ``NN_*.ipynb`` report notebooks (default ``notebooks/``).
    force : bool
        Execute every notebook even when the previous output is still valid.
    progress : text stream, optional
        Where progress lines go (default stderr).

    Returns
    -------
    RunResult
        ``failed`` lists the notebooks that raised; their outputs are kept with the error.

    Raises
    ------
    analysis.files.DiskFullError
        The disk filled up; the temporary folder is removed and ``out`` is left as it was.
    KeyboardInterrupt
        Ctrl-C (or SIGTERM through the command line): the running kernel is killed, the
        temporary folder removed and ``out`` left as it was.
    """
    stream = progress if progress is not None else sys.stderr
    parameters = dict(parameters or {})
    # Absolute from here on: papermill runs each kernel in the notebooks folder, where a
    # relative path would name something else.
    out_dir = Path(os.path.abspath(out if out is not None else config.REPORTS_DIR))
    corpus_list = [Path(p).resolve() for p in (corpus or [config.SEEDS_DIR])]
    # Notebooks receive the corpus as text and papermill records the paths of the notebooks it
    # writes, as UTF-8; a file name inside a corpus folder may be anything.
    for path in corpus_list:
        if _readable(path) != str(path):
            raise ReportError(
                f"{_readable(path)}: the path is not valid UTF-8, and notebooks receive the "
                "corpus as text; rename it, or pass the folder that holds it"
            )
    if _readable(out_dir) != str(out_dir):
        raise files.OutputFolderError(
            f"{_readable(out_dir)}: the path is not valid UTF-8, and papermill records it in "
            "every notebook it writes; choose another --out"
        )

    notebooks = discover(Path(notebooks_dir).absolute() if notebooks_dir is not None else None)
    validate_parameters(notebooks, parameters)
    try:
        out_dir = files.check_output_folder(
            out_dir, kind=OUTPUT_KIND, option="--out", inputs=corpus_list
        )
    except files.OutputFolderError as exc:
        hint = _older_reports_hint(out_dir)
        raise files.OutputFolderError(_readable_message(str(exc)) + hint) from exc

    t0, started = time.perf_counter(), _now()
    fingerprint = corpus_fingerprint(corpus_list)
    env = environment_info()
    code = {
        "package_sha256": package_fingerprint(),
        "environment_sha256": files.digest(
            {k: env[k] for k in ("python", "executable", "packages")}
        ),
    }
    # Only a folder this runner marked has a manifest worth reading, and even then only its
    # well-formed entries count: a manifest is never trusted to name files to copy or keep.
    previous = _previous_manifest(out_dir)
    previous_entries = {e["name"]: e for e in previous.get("notebooks", [])}

    files.remove_stale(out_dir)
    tmp = files.temp_sibling(out_dir)
    entries: list[dict] = []
    try:
        tmp.mkdir(parents=True)
        files.mark_output_folder(tmp, kind=OUTPUT_KIND)
        jupyter_dir = install_kernel().parent.parent
        for i, nb in enumerate(notebooks, 1):
            label = f"[{i}/{len(notebooks)}] {nb.name}"
            nb_params = notebook_parameters(nb, parameters, corpus_list)
            key = files.digest(
                {
                    "notebook_sha256": nb.sha256,
                    "code": code,
                    "corpus_sha256": fingerprint["sha256"],
                    "parameters": nb_params,
                }
            )
            prior = previous_entries.get(nb.name)
            if not force and _reusable(prior, key, out_dir):
                entry = _reuse(nb, prior, out_dir, tmp)
                print(f"report: {label}: unchanged, reused previous output", file=stream)
            else:
                print(f"report: {label}: running", file=stream, flush=True)
                entry = _execute(nb, nb_params, tmp, jupyter_dir)
                print(
                    f"report: {label}: {entry['outcome']} in "
                    f"{entry['executed']['duration_s']:.1f} s"
                    + (f" ({entry['error']})" if entry.get("error") else ""),
                    file=stream,
                    flush=True,
                )
            entry["key"] = key
            entries.append(entry)

        failed = [e["name"] for e in entries if e["outcome"] != "ok"]
        manifest = {
            "schema": MANIFEST_SCHEMA,
            "started": started,
            "ended": _now(),
            "duration_s": round(time.perf_counter() - t0, 3),
            "outcome": "failed" if failed else "ok",
            "failed": failed,
            "out": _display_path(out_dir),
            "notebooks_dir": _display_path(notebooks[0].path.parent),
            "parameters": parameters,
            "corpus": fingerprint,
            "seeds": _seeds(parameters, notebooks),
            "git": git_info(),
            "kernel": {"name": config.REPORT_KERNEL_NAME, "python": _readable(sys.executable)},
            "code": code,
            "environment": env,
            "notebooks": entries,
            "files": sorted([INDEX_NAME, MANIFEST_NAME] + [f for e in entries for f in e["files"]]),
        }
        files.write_text(tmp / INDEX_NAME, build_index(manifest))
        files.write_json(tmp / MANIFEST_NAME, manifest)
        _carry_over(out_dir, tmp, previous)
        files.swap_in(tmp, out_dir)
    except OSError as exc:
        if _is_disk_full(exc):
            # analysis.files names the file in its message; other writes in the filename
            where = f"writing {_readable(exc.filename)}" if exc.filename else exc.strerror
            raise files.DiskFullError(
                errno.ENOSPC,
                f"{_readable(out_dir)}: no space left on the device ({where or _readable(tmp)}); "
                "the previous reports are unchanged",
            ) from exc
        raise
    finally:
        files.remove(tmp)  # gone already after a successful swap
    total = time.perf_counter() - t0
    n_reused = sum(1 for e in entries if e["reused"])
    print(
        f"report: {len(entries)} notebooks in {total:.1f} s ({n_reused} reused, "
        f"{len(failed)} failed) -> {_display_path(out_dir)}",
        file=stream,
        flush=True,
    )
    return RunResult(out=out_dir, manifest=manifest, failed=failed)


def _previous_manifest(out_dir: Path) -> dict:
    """The manifest of the run that wrote ``out_dir``, keeping only well-formed entries."""
    if not files.is_output_folder(out_dir):
        return {}
    manifest = files.read_json(out_dir / MANIFEST_NAME)
    if not isinstance(manifest, dict) or manifest.get("schema") != MANIFEST_SCHEMA:
        return {}
    entries = manifest.get("notebooks")
    entries = [
        e
        for e in (entries if isinstance(entries, list) else [])
        if isinstance(e, dict) and isinstance(e.get("name"), str)
    ]
    listed = manifest.get("files")
    listed = [f for f in (listed if isinstance(listed, list) else []) if _plain_name(f)]
    return {**manifest, "notebooks": entries, "files": listed}


def _plain_name(name: Any) -> bool:
    """True for a file name with no folder part (a manifest may name files only beside it)."""
    return (
        isinstance(name, str)
        and name not in ("", ".", "..")
        and "/" not in name
        and "\\" not in name
        and "\0" not in name
    )


def _older_reports_hint(out_dir: Path) -> str:
    manifest = files.read_json(out_dir / MANIFEST_NAME)
    if isinstance(manifest, dict) and manifest.get("schema") == MANIFEST_SCHEMA:
        return (
            f" ({MANIFEST_NAME} there looks like reports written before report folders were "
            f"marked with {files.MARKER}; if nothing else in the folder matters, delete it and "
            "run again)"
        )
    return ""


def _is_disk_full(exc: BaseException) -> bool:
    return isinstance(exc, files.DiskFullError) or (
        isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)
    )


def _files_for(name: str) -> list[str]:
    return [f"{name}.ipynb", f"{name}.html", f"{name}{SUMMARY_SUFFIX}"]


def _reusable(prior: Mapping[str, Any] | None, key: str, out_dir: Path) -> bool:
    return bool(
        prior
        and prior.get("key") == key
        and prior.get("outcome") == "ok"
        and isinstance(prior.get("files"), list)
        and prior["files"]
        # only the files this notebook writes, so a manifest cannot name anything else to copy
        and all(f in _files_for(prior["name"]) for f in prior["files"])
        and all((out_dir / f).is_file() for f in prior["files"])
    )


def _reuse(nb: ReportNotebook, prior: Mapping[str, Any], out_dir: Path, tmp: Path) -> dict:
    for f in prior["files"]:
        shutil.copy2(out_dir / f, tmp / f)
    entry = dict(prior)
    entry.update(reused=True, notebook=_display_path(nb.path))
    return entry


def _execute(nb: ReportNotebook, params: dict, tmp: Path, jupyter_dir: Path) -> dict:
    from papermill.exceptions import PapermillExecutionError

    out_nb, out_html = tmp / f"{nb.name}.ipynb", tmp / f"{nb.name}.html"
    summary_path = tmp / f"{nb.name}{SUMMARY_SUFFIX}"
    started, t0 = _now(), time.perf_counter()
    error = None
    jupyter_path = os.pathsep.join(
        p for p in (str(jupyter_dir.absolute()), os.environ.get("JUPYTER_PATH")) if p
    )
    # Every path the kernel gets is absolute: it runs in the notebooks folder.
    # TQDM_DISABLE: progress bars of library calls would fill the executed notebook.
    env = {
        "JUPYTER_PATH": jupyter_path,
        "TQDM_DISABLE": "1",
        config.REPORT_SUMMARY_ENV: str(summary_path),
        "NEWS_ANALYSIS_CACHE": str(config.CACHE_DIR.absolute()),
    }
    with _environ(**env):
        try:
            _run_notebook(nb.path, out_nb, params)
        except PapermillExecutionError as exc:
            if exc.ename == "DiskFullError" or re.match(r"\[Errno (28|122)\]", exc.evalue or ""):
                raise files.DiskFullError(
                    errno.ENOSPC, f"{nb.name}: the notebook ran out of disk space: {exc.evalue}"
                ) from exc
            error = f"{exc.ename}: {exc.evalue}".strip()
        except Exception as exc:  # kernel died, bad notebook JSON...: keep going, say which
            if _is_disk_full(exc):
                raise
            error = f"{type(exc).__name__}: {exc}".strip()
    duration = time.perf_counter() - t0
    if error and not out_nb.exists():
        shutil.copy2(nb.path, out_nb)
        files.write_text(out_html, _error_page(nb.name, error))
    else:
        try:
            export_html(out_nb, out_html)
        except Exception as exc:  # the notebook ran; say the page is missing rather than stop
            if _is_disk_full(exc):
                raise
            error = error or f"HTML export failed: {type(exc).__name__}: {exc}"
            files.write_text(out_html, _error_page(nb.name, error))
    summary = files.read_json(summary_path)
    if summary is None:
        # A summary from an interrupted cell is worse than none: tests compare these figures.
        summary_path.unlink(missing_ok=True)
        if not error:
            error = "the notebook wrote no summary (call analysis.reports.write_summary)"
    produced = [f for f in _files_for(nb.name) if (tmp / f).is_file()]
    return {
        "name": nb.name,
        "notebook": _display_path(nb.path),
        "notebook_sha256": nb.sha256,
        "parameters": params,
        "outcome": "failed" if error else "ok",
        "error": error,
        "reused": False,
        "executed": {
            "started": started,
            "ended": _now(),
            "duration_s": round(duration, 3),
        },
        "summary": summary,
        "files": produced,
    }


def _run_notebook(path: Path, out_nb: Path, params: dict) -> None:
    """Execute one notebook with papermill; on Ctrl-C or SIGTERM kill its kernel, then re-raise.

    Papermill runs in a worker thread. In the main thread nbclient would install its own
    SIGINT and SIGTERM handlers, which shut the kernel down and let the run go on with the
    next notebook (Ctrl-C was swallowed); in a worker thread it cannot, so the main thread
    keeps the command line's handlers, gets the KeyboardInterrupt, and kills the kernel's
    process group itself (the kernel runs in a session of its own, so a terminal's Ctrl-C
    never reaches it).
    """
    import papermill
    from jupyter_client.manager import AsyncKernelManager
    from traitlets.config import Config

    kernels: list[AsyncKernelManager] = []

    class TrackedKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            kernels.append(self)

    outcome: dict[str, BaseException] = {}

    def work(sockets: str) -> None:
        # IPC sockets in a private folder instead of TCP ports on localhost: nothing else on
        # the machine can talk to the kernel, and ipykernel has nothing to warn about.
        kernel_config = Config(
            {"KernelManager": {"transport": "ipc", "ip": os.path.join(sockets, "kernel")}}
        )
        try:
            papermill.execute_notebook(
                str(path),
                str(out_nb),
                parameters=params,
                kernel_name=config.REPORT_KERNEL_NAME,
                language="python",
                cwd=str(path.parent),
                progress_bar=False,
                start_timeout=180,
                config=kernel_config,
                kernel_manager_class=TrackedKernelManager,
            )
        except BaseException as exc:  # handed to the main thread, which raises it
            outcome["error"] = exc

    with tempfile.TemporaryDirectory(prefix="news-analysis-kernel-") as sockets:
        worker = threading.Thread(target=work, args=(sockets,), name="papermill", daemon=True)
        worker.start()
        try:
            while worker.is_alive():
                worker.join(0.5)
        except BaseException:
            # Kill until the worker returns (nbclient notices the dead kernel): a kernel that
            # was still starting has no process id yet at the first attempt.
            deadline = time.monotonic() + 15
            while True:
                for km in kernels:
                    _kill_kernel(km)
                worker.join(0.5)
                if not worker.is_alive() or time.monotonic() > deadline:
                    break
            raise
    if "error" in outcome:
        raise outcome["error"]


def _kill_kernel(km: Any) -> None:
    """Kill a kernel's whole process group (its workers too) and reap it."""
    provisioner = getattr(km, "provisioner", None)
    pid = getattr(provisioner, "pid", None)
    pgid = getattr(provisioner, "pgid", None)
    process = getattr(provisioner, "process", None)
    if not pid or (process is not None and process.poll() is not None):
        return  # not started yet, or already gone (and reaped: its id may be reused)
    with contextlib.suppress(OSError):
        if pgid and pgid != os.getpgid(0):
            os.killpg(pgid, signal.SIGKILL)
        else:
            os.kill(pid, signal.SIGKILL)
    if process is not None:
        with contextlib.suppress(Exception):
            process.wait(timeout=5)


def _seeds(parameters: Mapping[str, Any], notebooks: Sequence[ReportNotebook]) -> dict:
    seeds: dict[str, Any] = {"default_seed": config.DEFAULT_SEED, "PYTHONHASHSEED": "0"}
    for nb in notebooks:
        for p in nb.parameters.values():
            if "seed" in p.name or p.name == "random_state":
                seeds[f"{nb.name}.{p.name}"] = parameters.get(p.name, _literal(p.default))
    return seeds


def _literal(text: str) -> Any:
    import ast

    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _carry_over(out_dir: Path, tmp: Path, previous: Mapping[str, Any]) -> None:
    """Copy the files of the old folder the runner did not write (a README) into the new one."""
    if not out_dir.is_dir():
        return
    ours = set(previous.get("files", [])) | {INDEX_NAME, MANIFEST_NAME}
    for item in out_dir.iterdir():
        if item.name in ours or (tmp / item.name).exists():
            continue
        if item.name.endswith((".ipynb", ".html", SUMMARY_SUFFIX)) and previous:
            continue  # output of a notebook that no longer exists
        if item.is_dir() and not item.is_symlink():
            shutil.copytree(item, tmp / item.name, symlinks=True)
        else:
            shutil.copy2(item, tmp / item.name, follow_symlinks=False)


# --- small utilities -----------------------------------------------------------------------------


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _readable(path: str | os.PathLike) -> str:
    """``path`` as text that can be written anywhere: bytes that are not UTF-8 become ``\\xNN``.

    Python keeps such bytes of a file name as lone surrogates, which UTF-8 cannot encode.
    """
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def _readable_message(text: str) -> str:
    # A message built from paths may carry their surrogates; show the bytes instead.
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate that did not come from a file name
        from analysis.tables import replace_surrogates

        return replace_surrogates(text)


def _display_path(path: str | os.PathLike) -> str:
    """Return ``path`` relative to the project when inside it (manifests stay portable).

    Always readable text (see :func:`_readable`), so manifests and pages can be written.
    """
    resolved = Path(path).resolve()
    try:
        return _readable(resolved.relative_to(config.PROJECT_DIR).as_posix())
    except ValueError:
        return _readable(resolved)


def _json_default(obj: Any) -> Any:
    # pandas first: a one-row Series also has .item(), which would drop its index.
    if hasattr(obj, "to_dict"):  # pandas Series and DataFrame
        return obj.to_dict()
    if hasattr(obj, "tolist"):  # NumPy arrays and scalars, pandas Index
        return obj.tolist()
    if hasattr(obj, "item") and callable(obj.item):
        return obj.item()
    if isinstance(obj, dt.date | dt.datetime):
        return obj.isoformat()
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, set | frozenset | tuple):
        return sorted(obj, key=str) if isinstance(obj, set | frozenset) else list(obj)
    if hasattr(obj, "isoformat"):  # pandas Timestamp
        return obj.isoformat()
    raise TypeError(f"write_summary: {type(obj).__name__} is not JSON-serialisable: {obj!r}")


def _nan_to_none(obj: Any) -> Any:
    if isinstance(obj, float) and math.isnan(obj):
        return None
    if isinstance(obj, dict):
        return {k: _nan_to_none(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_nan_to_none(v) for v in obj]
    return obj


# --- command line --------------------------------------------------------------------------------


def _assignment(text: str) -> tuple[str, Any]:
    try:
        return parse_assignment(text)
    except ParameterError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _cmd_report(args: argparse.Namespace) -> int:
    from analysis.cli import CLIError

    parameters: dict[str, Any] = {}
    for name, value in args.parameters or []:
        parameters[name] = value
    try:
        if args.list:
            notebooks = discover(args.notebooks)
            validate_parameters(notebooks, parameters)
            print(format_listing(notebooks))
            return 0
        result = run_reports(
            args.corpus,
            args.out,
            parameters,
            notebooks_dir=args.notebooks,
            force=args.force,
        )
    except ParameterError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (ReportError, files.OutputFolderError) as exc:
        raise CLIError(_readable_message(str(exc))) from exc
    except files.DiskFullError as exc:  # its strerror names the path; str() adds "[Errno 28]"
        raise CLIError(_readable_message(exc.strerror or str(exc))) from exc
    if result.failed:
        pages = ", ".join(
            f"{name} (see {_display_path(result.out / (name + '.html'))})" for name in result.failed
        )
        raise CLIError(f"{len(result.failed)} report notebook(s) failed: {pages}")
    return 0


def register(subparsers) -> None:
    """Add the ``report`` command."""
    p = subparsers.add_parser(
        "report",
        help="execute the report notebooks into HTML reports",
        description="Execute every report notebook (notebooks/NN_*.ipynb) with papermill on the "
        "project's kernel and write <out>/<notebook>.ipynb, <notebook>.html, index.html and "
        "manifest.json. Notebooks whose inputs, parameters and code are unchanged since the "
        "last run into the same folder are reused.",
    )
    p.add_argument(
        "--corpus",
        nargs="+",
        metavar="PATH",
        type=Path,
        help="corpus files or folders for every notebook's `corpus` parameter (default seeds/)",
    )
    p.add_argument(
        "--out",
        metavar="DIR",
        type=Path,
        default=None,
        help="report folder (default reports/); replaced as a whole at the end of the run",
    )
    p.add_argument(
        "-p",
        "--parameter",
        dest="parameters",
        action="append",
        type=_assignment,
        metavar="NAME=VALUE",
        help="set a parameter of every notebook that takes it; VALUE is read as JSON when it "
        "parses (8, 0.5, true, [1, 2]), else as a string. Repeatable.",
    )
    p.add_argument("--list", action="store_true", help="list the notebooks and their parameters")
    p.add_argument(
        "--notebooks",
        metavar="DIR",
        type=Path,
        default=None,
        help="folder of report notebooks (default notebooks/)",
    )
    p.add_argument("--force", action="store_true", help="execute every notebook, reuse nothing")
    p.set_defaults(func=_cmd_report)
