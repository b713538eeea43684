"""Interactive tables (itables) and charts (plotly) in the report pages, and the data files beside them.

A notebook shows a table or a chart as *data*: :class:`InteractiveTable` and
:class:`InteractiveFigure` display a JSON payload under their own MIME type (plus a static
fallback for JupyterLab). The page exporter (:func:`analysis.reports.html.export_html`) turns
each payload into markup and script here, in trusted code: the payload's values reach the page
only as escaped JSON data (itables escapes every cell, plotly's JSON escapes ``<``), never as
markup. Both libraries' JavaScript is inlined once per page (nothing is fetched), and the page's
Content-Security-Policy lists the hash of every inline script (:func:`script_hashes`).

Importing this module imports neither itables nor plotly: a notebook pays for them only when
the page is built.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
import re
from collections.abc import Mapping
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from IPython.display import HTML

from analysis import config, files

#: MIME type of a table payload in a notebook output.
TABLE_MIME = "application/vnd.news-analysis.table+json"
#: MIME type of a chart: plotly's own, so JupyterLab draws it too.
PLOTLY_MIME = "application/vnd.plotly.v1+json"
#: Rows of a table shown in JupyterLab (the static fallback); the page shows up to ``max_rows``.
STATIC_ROWS = 50
#: Rows per page of an interactive table, and the page-length choices (-1: all rows).
PAGE_LENGTH = 10
LENGTH_MENU = [10, 25, 100, -1]

_SLUG = re.compile(r"[^a-z0-9]+")
#: Data files this process wrote per report folder, so two tables never share a name.
_WRITTEN: dict[Path, set[str]] = {}


# --- in the notebook: data payloads and the files beside the page ------------------------------


def report_output() -> tuple[Path, str] | None:
    """``(folder, notebook name)`` of the report being run, or None outside the runner.

    The runner tells the notebook where its summary goes
    (:data:`analysis.config.REPORT_SUMMARY_ENV`, ``<folder>/<name>.summary.json``); the data
    files of its tables go beside it.
    """
    target = os.environ.get(config.REPORT_SUMMARY_ENV)
    if not target:
        return None
    path = Path(target)
    suffix = ".summary.json"
    if not path.name.endswith(suffix) or len(path.name) == len(suffix):
        return None
    return path.parent, path.name[: -len(suffix)]


def data_file_stem(name: str) -> str:
    """A file-name-safe form of a table name (``"share of voice"`` -> ``share-of-voice``)."""
    return _SLUG.sub("-", str(name).lower()).strip("-") or "table"


def write_table_files(frame, name: str) -> dict[str, str] | None:
    """Write ``frame`` whole as CSV and Parquet beside the report page; return the file names.

    Files are ``<notebook>.<table>.csv`` and ``.parquet`` in the report folder (atomic writes,
    :mod:`analysis.files`); a second table of the same name gets ``-2``. Outside the runner
    nothing is written and None is returned.
    """
    where = report_output()
    if where is None:
        return None
    from analysis.tables import arrow_safe

    folder, notebook = where
    used = _WRITTEN.setdefault(folder, set())
    stem, n = data_file_stem(name), 1
    candidate = stem
    while candidate in used:
        n += 1
        candidate = f"{stem}-{n}"
    used.add(candidate)
    base = f"{notebook}.{candidate}"
    frame = frame.reset_index(drop=True)
    with files.atomic_path(folder / f"{base}.csv") as tmp:
        frame.to_csv(tmp, index=False)
    with files.atomic_path(folder / f"{base}.parquet") as tmp:
        arrow_safe(frame).to_parquet(tmp, index=False)
    return {"csv": f"{base}.csv", "parquet": f"{base}.parquet"}


def _cell(value: Any, max_chars: int) -> Any:
    from analysis.reports.notebook import _clip

    value = _clip(value, max_chars)
    if isinstance(value, bool | int | float | str) or value is None:
        if isinstance(value, float) and value != value:  # NaN
            return None
        return value
    if hasattr(value, "item"):  # NumPy scalars
        return _cell(value.item(), max_chars)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return _clip(str(value), max_chars)


def table_payload(
    frame, name: str, *, max_rows: int, max_chars: int, index: bool, file_names
) -> dict:
    """The JSON a page needs to draw a table: columns, the first ``max_rows`` rows, the total."""
    from pandas.api.types import is_numeric_dtype

    if index:
        frame = frame.reset_index()
    shown = frame.head(max_rows)
    columns = [str(c) for c in shown.columns]
    numeric = [
        i
        for i, c in enumerate(shown.columns)
        if is_numeric_dtype(shown[c].dtype) and shown[c].dtype != bool
    ]
    rows = [[_cell(v, max_chars) for v in row] for row in shown.itertuples(index=False, name=None)]
    return {
        "name": str(name),
        "columns": columns,
        "numeric": numeric,
        "rows": rows,
        "n_rows": len(frame),
        "files": file_names or {},
    }


class InteractiveTable(HTML):
    """A table in a report: static HTML for JupyterLab, a data payload for the page.

    An ``IPython.display.HTML`` whose ``data`` is the escaped static table
    (:func:`~analysis.reports.notebook.show_table`).
    """

    def __init__(self, static_html: str, payload: Mapping[str, Any]) -> None:
        super().__init__(data=static_html)
        self.payload = dict(payload)

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {
            "text/html": self.data,
            "text/plain": self.payload["name"],
            TABLE_MIME: self.payload,
        }


class InteractiveFigure:
    """A plotly figure in a report, displayed as plotly's JSON (JupyterLab draws it too)."""

    def __init__(self, figure, title: str = "chart") -> None:
        import plotly.io as pio

        self.figure = figure
        self.title = title
        # plotly's JSON encoder handles NumPy and dates; the page gets the same JSON.
        self.payload = json.loads(pio.to_json(figure, validate=False))

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {PLOTLY_MIME: self.payload, "text/plain": f"{self.title} (interactive chart)"}


def is_plotly_figure(obj: Any) -> bool:
    """True for a ``plotly.graph_objects.Figure`` (without importing plotly)."""
    return type(obj).__module__.startswith("plotly.") and hasattr(obj, "to_plotly_json")


# --- in the page exporter: payloads to markup and script ---------------------------------------


class PageScripts:
    """Renders the payloads of one page in order; the libraries' JavaScript goes in once."""

    def __init__(self) -> None:
        self.n_tables = 0
        self.n_figures = 0

    def table(self, payload: Mapping[str, Any]) -> str:
        """Return the itables markup (and, the first time, its inlined library) for a payload."""
        import pandas as pd
        from itables.javascript import (
            generate_init_offline_itables_html,
            get_itable_arguments,
            html_table_from_template,
        )
        from itables.options import dt_bundle

        columns = [str(c) for c in payload["columns"]]
        numeric = set(payload.get("numeric") or ())
        long_text = set(_long_text_columns(payload))
        # Search box, page length, row count and pages even for a short table (itables drops
        # them when the rows fit one page), so the reader finds them in one place; a table of
        # one page keeps only the search box.
        small = len(payload["rows"]) <= PAGE_LENGTH
        layout = {
            "topStart": None if small else "pageLength",
            "topEnd": "search",
            "bottomStart": None if small else "info",
            "bottomEnd": None if small else ["paging"],
        }
        frame = pd.DataFrame([list(r) for r in payload["rows"]], columns=columns)
        if frame.empty:
            frame = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
        table_id = f"news-table-{self.n_tables}"
        prefix = ""
        if self.n_tables == 0:
            prefix = generate_init_offline_itables_html(dt_bundle)
        self.n_tables += 1
        # Called as to_html_datatable does, without its static preview: the page has the rows
        # once, in the table's data.
        dt_args = get_itable_arguments(
            frame,
            None,
            table_id=table_id,
            connected=False,
            maxBytes=0,  # the row limit is ours (max_rows), and the page says so
            maxRows=0,
            maxColumns=0,
            showIndex=False,
            pageLength=PAGE_LENGTH,
            lengthMenu=LENGTH_MENU,
            classes="display compact",
            scrollX=True,  # a wide table scrolls inside its box instead of off the page
            layout=layout,
            # Text reads best left-aligned, numbers right-aligned.
            # Text left, numbers right; a column of sentences gets room to wrap into a few
            # lines, not one word per line (the news-long rule of the page's style).
            columnDefs=[
                {
                    "className": "dt-right"
                    if i in numeric
                    else "dt-left news-long"
                    if i in long_text
                    else "dt-left",
                    "targets": i,
                }
                for i in range(len(columns))
            ],
            column_filters=False if small else "footer",
            display_logo_when_loading=False,
            allow_html=False,  # every cell is escaped: article text stays text
            # Formatting floats in Python sends a JavaScript render function that DataTables
            # evaluates from a string, which the page's policy forbids ('unsafe-eval'); floats
            # are rounded by the report modules instead.
            format_floats_in_python=False,
            add_rank_to_categories=False,
        )
        dt_args.pop("dt_url")
        dt_args.pop("connected")
        dt_args.pop("display_logo_when_loading", None)
        markup = html_table_from_template(
            table_id=table_id,
            dt_url="",
            connected=False,
            display_logo_when_loading=False,
            kwargs=dt_args,
            fallback_html="",
        )
        # itables' "Loading..." line names a help page on the web; the page works offline.
        markup = re.sub(r"\s*\(need <a [^>]*>help</a>\?\)", "", markup)
        return prefix + markup + table_note(payload)

    def figure(self, payload: Mapping[str, Any]) -> str:
        """Return the plotly markup for a figure's JSON; the first one carries plotly.js."""
        import plotly.io as pio

        figure = {"data": payload.get("data", []), "layout": payload.get("layout", {})}
        first = self.n_figures == 0
        div_id = f"news-chart-{self.n_figures}"  # fixed ids: the same input gives the same page
        self.n_figures += 1
        return pio.to_html(
            figure,
            include_plotlyjs=first,
            full_html=False,
            div_id=div_id,
            validate=False,
            config={"displaylogo": False, "responsive": True, "showSendToCloud": False},
        )


def _long_text_columns(payload: Mapping[str, Any], chars: int = 80) -> list[int]:
    rows = payload.get("rows") or []
    return [
        i
        for i in range(len(payload.get("columns") or []))
        if any(isinstance(r[i], str) and len(r[i]) > chars for r in rows[:200])
    ]


def table_note(payload: Mapping[str, Any]) -> str:
    """How many rows the page shows and links to the whole table's CSV and Parquet files."""
    n_rows, shown = int(payload.get("n_rows", 0)), len(payload.get("rows", ()))
    parts = []
    if n_rows > shown:
        parts.append(f"The page shows the first {shown:,} of {n_rows:,} rows.")
    file_names = payload.get("files") or {}
    links = [
        f'<a href="{html.escape(file_names[kind], quote=True)}">{label}</a>'
        for kind, label in (("csv", "CSV"), ("parquet", "Parquet"))
        if isinstance(file_names.get(kind), str) and _safe_file_name(file_names[kind])
    ]
    if links:
        parts.append(f"All {n_rows:,} rows: {' · '.join(links)}.")
    if not parts:
        return ""
    return f'<p class="news-table-note"><em>{" ".join(parts)}</em></p>'


def _safe_file_name(name: str) -> bool:
    # A link to a file beside the page: no folder, no scheme, nothing the browser would run.
    return bool(re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]*\.(?:csv|parquet)", name))


class _Scripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.scripts: list[tuple[dict, str]] = []
        self._current: dict | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self._current, self._text = dict(attrs), []

    def handle_data(self, data):
        if self._current is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._current is not None:
            self.scripts.append((self._current, "".join(self._text)))
            self._current = None


def inline_scripts(page: str) -> list[tuple[dict, str]]:
    """The ``<script>`` elements of a page: ``(attributes, text)`` each."""
    parser = _Scripts()
    parser.feed(page)
    parser.close()
    return parser.scripts


def script_hash(text: str) -> str:
    """The CSP source (``'sha256-...'``) that lets one inline script run."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def script_hashes(page: str) -> list[str]:
    """The CSP hashes of every inline script of a page, in order, without repeats."""
    return list(dict.fromkeys(script_hash(text) for _, text in inline_scripts(page)))
