"""What a report notebook calls: render a section, show tables and text safely, write the summary.

Article text is untrusted markup, so every table goes through :func:`show_table` (escaped HTML)
and every sentence through :func:`escape_markdown` or :func:`markdown_code`. :func:`show` renders
a :class:`~analysis.reports.sections.Section`; :func:`write_summary` ends every report.

Importing this module imports neither papermill, nbconvert, bleach nor the runner, so a notebook
(and a user's own script) pays only for what it shows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import math
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analysis import config, files

if TYPE_CHECKING:
    from analysis.reports.sections import Section


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
    if isinstance(value, str):
        # Hard-wrapped copy (Reuters' lines of 60 characters) reads as one line in a cell.
        value = " ".join(value.split()) if any(c in value for c in "\n\r\t\u2028") else value
        if len(value) > max_chars:
            return value[: max_chars - 1] + "…"
    return value


def headline_figures(summary: Any, limit: int = 8) -> list[tuple[str, str]]:
    """Return a report's headline figures as ``(figure, text)`` pairs, as its pages show them.

    ``index.html`` and a report's own Summary table show the same text: the summary's
    ``headline`` mapping (else the summary itself), numbers and strings only, at most ``limit``.

    Parameters
    ----------
    summary : mapping
        What :func:`write_summary` returned or wrote (anything else gives no figures).
    limit : int
        At most this many figures.

    Returns
    -------
    list of (str, str)
        Whole numbers with thousands separators, other numbers to 3 significant digits (whole
        from 1,000 up), strings clipped to 80 characters.
    """
    if not isinstance(summary, Mapping):
        return []
    source = summary.get("headline") if isinstance(summary.get("headline"), Mapping) else summary
    figures = []
    for key, value in source.items():
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, int | float | str):
            figures.append((str(key), _format_figure(value)))
        if len(figures) >= limit:
            break
    return figures


def _format_figure(value: int | float | str) -> str:
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return value if len(value) <= 80 else value[:79] + "…"


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


def show(section: Section) -> None:
    """Display a report section in the notebook: its text, tables and figures, then its parts.

    The text is Markdown the section function escaped already; each table goes through
    :func:`interactive_table` with the section's options for it (searchable and sortable on
    the page, written whole as CSV and Parquet beside it); plotly figures are shown as
    interactive charts; other figures (matplotlib figures, or any object IPython can display)
    are displayed as they are. A section without data shows its
    ``empty`` sentence instead. Nothing is returned, so the cell has no ``Out[]``.

    Parameters
    ----------
    section : Section
        What a function of a report module (``analysis.reports.actors`` ...) returned.
    """
    from IPython.display import Markdown, display

    if section.text:
        display(Markdown(section.text))
    for name, frame in section.tables.items():
        display(interactive_table(frame, name, **section.table_options.get(name, {})))
    for name, figure in section.figures.items():
        if figure is None:
            continue
        display(_interactive_figure(figure, name))
    if section.empty:
        display(Markdown(section.empty))
    for part in section.parts:
        show(part)


def interactive_table(
    df,
    name: str = "table",
    *,
    max_rows: int = 1000,
    max_chars: int = 200,
    index: bool = False,
    caption: str | None = None,
):
    """Return a table for a report page: searchable, sortable, paged, with its data files.

    In JupyterLab it shows as :func:`show_table` (escaped HTML, at most
    :data:`~analysis.reports.interactive.STATIC_ROWS` rows). On the report page it is an
    itables table of the first ``max_rows`` rows (each cell escaped, strings cut at
    ``max_chars``), and when the report runner executes the notebook the whole table is
    written beside the page as ``<notebook>.<name>.csv`` and ``.parquet`` and linked under it.

    Returns
    -------
    analysis.reports.interactive.InteractiveTable
        An ``IPython.display.HTML`` whose ``data`` is the static table.
    """
    from analysis.reports.interactive import (
        STATIC_ROWS,
        InteractiveTable,
        table_payload,
        write_table_files,
    )

    static = show_table(
        df, max_rows=min(max_rows, STATIC_ROWS), max_chars=max_chars, index=index, caption=caption
    )
    frame = df.reset_index() if index else df
    file_names = write_table_files(frame, name)
    payload = table_payload(
        df, name, max_rows=max_rows, max_chars=max_chars, index=index, file_names=file_names
    )
    return InteractiveTable(static.data, payload)


def _interactive_figure(figure: Any, name: str) -> Any:
    from analysis.reports.interactive import InteractiveFigure, is_plotly_figure

    return InteractiveFigure(figure, name) if is_plotly_figure(figure) else figure
