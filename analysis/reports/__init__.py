"""Report notebooks: a registry, a papermill runner with a manifest, incremental re-runs and safe HTML.

The ``report`` command (:mod:`analysis.cli.report`) executes every ``notebooks/NN_*.ipynb`` with
papermill on the project's own kernel and writes, into ``--out``:

- ``<notebook>.ipynb`` (executed) and ``<notebook>.html`` (no code, images inline, nothing
  loaded from the network, so it opens offline);
- ``<notebook>.summary.json``, the key figures the notebook passed to :func:`write_summary`;
- ``index.html`` linking every report with its headline figures and status;
- ``manifest.json``: parameters, corpus fingerprint, versions, seeds, git commit, timings.

The package, by concern:

- :mod:`~analysis.reports.runner`: :func:`run_reports` (execution, reuse, swap-in, interrupts);
- :mod:`~analysis.reports.registry`: :func:`discover`, parameters and their validation, the
  listing, fingerprints, environment information, manifests;
- :mod:`~analysis.reports.html`: :func:`export_html`, :func:`sanitize_html`, the index page and
  the Content-Security-Policy;
- :mod:`~analysis.reports.notebook`: what a notebook calls (:func:`show`, :func:`show_table`,
  :func:`write_summary`, :func:`escape`, :func:`escape_markdown`, :func:`markdown_code`,
  :func:`corpus_paths`, :func:`headline_figures`), importable without papermill, nbconvert or bleach;
- :mod:`~analysis.reports.sections`: :class:`Section`, :class:`ReportData`,
  :func:`load_report_data`, :func:`headline`;
- one module per report, whose functions build its sections and its summary:
  :mod:`~analysis.reports.overview`, :mod:`~analysis.reports.actors`,
  :mod:`~analysis.reports.sentiment`, :mod:`~analysis.reports.topics`.

Names are imported on first use (PEP 562), so ``from analysis.reports import show`` in a
notebook does not import the runner.
"""

from __future__ import annotations

import importlib

_REGISTRY = "analysis.reports.registry"
_HTML = "analysis.reports.html"
_NOTEBOOK = "analysis.reports.notebook"
_RUNNER = "analysis.reports.runner"
_SECTIONS = "analysis.reports.sections"

#: Public name -> module that defines it (every name ``analysis.reports`` had as one module).
_EXPORTS: dict[str, str] = {
    # registry
    "NOTEBOOK_PATTERN": _REGISTRY,
    "CORPUS_PARAMETER": _REGISTRY,
    "MANIFEST_NAME": _REGISTRY,
    "INDEX_NAME": _REGISTRY,
    "SUMMARY_SUFFIX": _REGISTRY,
    "MANIFEST_SCHEMA": _REGISTRY,
    "OUTPUT_KIND": _REGISTRY,
    "RUNNER_PARAMETERS": _REGISTRY,
    "ReportError": _REGISTRY,
    "ParameterError": _REGISTRY,
    "Parameter": _REGISTRY,
    "ReportNotebook": _REGISTRY,
    "discover": _REGISTRY,
    "format_listing": _REGISTRY,
    "parse_assignment": _REGISTRY,
    "validate_parameters": _REGISTRY,
    "notebook_parameters": _REGISTRY,
    "corpus_fingerprint": _REGISTRY,
    "package_fingerprint": _REGISTRY,
    "environment_info": _REGISTRY,
    "git_info": _REGISTRY,
    # pages
    "CONTENT_SECURITY_POLICY": _HTML,
    "export_html": _HTML,
    "sanitize_html": _HTML,
    "unsafe_markup": _HTML,
    "remote_resources": _HTML,
    "build_index": _HTML,
    # notebook helpers
    "write_summary": _NOTEBOOK,
    "escape": _NOTEBOOK,
    "escape_markdown": _NOTEBOOK,
    "markdown_code": _NOTEBOOK,
    "show_table": _NOTEBOOK,
    "corpus_paths": _NOTEBOOK,
    "show": _NOTEBOOK,
    "headline_figures": _NOTEBOOK,
    # sections
    "Section": _SECTIONS,
    "ReportData": _SECTIONS,
    "load_report_data": _SECTIONS,
    "headline": _SECTIONS,
    "counted": _SECTIONS,
    # runner
    "RunResult": _RUNNER,
    "run_reports": _RUNNER,
    "install_kernel": _RUNNER,
    # the command line (moved to analysis.cli.report)
    "register": "analysis.cli.report",
    # modules the former single module imported and callers reached through it
    "config": "analysis",
    "files": "analysis",
}

__all__ = [name for name in _EXPORTS if name not in ("register", "config", "files")]


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'analysis.reports' has no attribute {name!r}")
    if module == "analysis":  # a submodule of the package: import it
        value = importlib.import_module(f"analysis.{name}")
    else:
        value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
