"""The report runner: execute every report notebook with papermill into a folder it owns.

:func:`run_reports` validates the parameters, checks that ``--out`` is new, empty or its own,
fills the feature store once with every core, executes the notebooks on the project's kernel,
side by side (``workers`` at once), or reuses the previous output when nothing a notebook
depends on changed, exports each page, writes ``index.html`` and ``manifest.json`` into a
temporary folder beside ``--out`` and swaps it in at the end. A full disk or an interrupt
(Ctrl-C, SIGTERM: every running kernel is killed) leaves the previous reports as they were.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import errno
import json
import logging
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from analysis import config, files
from analysis.records import ACTORS_FILE, STOP_WORDS_FILE, user_list_files
from analysis.reports.html import _error_page, build_index, export_html
from analysis.reports.registry import (
    INDEX_NAME,
    MANIFEST_NAME,
    MANIFEST_SCHEMA,
    OUTPUT_KIND,
    SUMMARY_SUFFIX,
    ParameterError,
    ReportError,
    ReportNotebook,
    _display_path,
    _older_reports_hint,
    _previous_manifest,
    _readable,
    _readable_message,
    _seeds,
    corpus_fingerprint,
    discover,
    environment_info,
    git_info,
    notebook_parameters,
    package_fingerprint,
    validate_parameters,
)

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


# --- runner --------------------------------------------------------------------------------------


@dataclasses.dataclass
class RunResult:
    """What :func:`run_reports` did: the manifest it wrote and the notebooks that failed."""

    out: Path
    manifest: dict
    failed: list[str]


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
        Parameter values; each goes to every notebook that takes it. ``workers`` (default
        every core) is also how many notebooks run at once. Unknown names, and the
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
    parameters = _absolute_list_paths(parameters)
    user_lists = _user_lists(corpus_list, parameters)
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
    hand = None  # a folder of this run's own for what the notebooks are handed
    try:
        tmp.mkdir(parents=True)
        files.mark_output_folder(tmp, kind=OUTPUT_KIND)
        jupyter_dir = install_kernel().parent.parent
        plan = []
        for nb in notebooks:
            nb_params = notebook_parameters(nb, parameters, corpus_list)
            key = files.digest(
                {
                    "notebook_sha256": nb.sha256,
                    "code": code,
                    "corpus_sha256": fingerprint["sha256"],
                    "user_lists": user_lists,
                    "parameters": nb_params,
                }
            )
            prior = previous_entries.get(nb.name)
            plan.append((nb, nb_params, key, prior, not force and _reusable(prior, key, out_dir)))
        # What running a notebook needs (papermill, nbconvert: 1.5 s, half of it a URI grammar
        # that jsonschema builds on import) is imported while the feature store is checked.
        warm = None
        if any(not reuse for *_, reuse in plan):
            warm = threading.Thread(target=_warm_up, name="report-warm", daemon=True)
            warm.start()
        # The notebooks that parse (they take `workers`) share one feature store: fill it here,
        # once, with every core, rather than in the first notebook with its kernel's progress
        # hidden (the others then read it back as it is).
        handed_env = {}
        if any(not reuse and nb.takes("workers") for nb, *_, reuse in plan):
            loaded = _fill_store(corpus_list, parameters, stream)
            if loaded is not None:
                from analysis.reports.sections import hand_over_corpus

                hand = Path(tempfile.mkdtemp(prefix="news-analysis-run-"))
                columns = parameters.get("columns") or None
                handed_env[config.LOADED_CORPUS_ENV] = str(
                    hand_over_corpus(loaded, corpus_list, columns, hand)
                )
        t_notebooks, jobs = time.perf_counter(), _jobs(parameters)
        entries = _run_plan(plan, tmp, out_dir, jupyter_dir, jobs, stream, handed_env)
        if warm is not None:
            warm.join()
        n_run = sum(1 for e in entries if not e["reused"])
        if n_run:
            print(
                f"report: notebooks: {n_run} executed in {time.perf_counter() - t_notebooks:.1f} s"
                f" ({min(jobs, n_run)} at once)",
                file=stream,
                flush=True,
            )

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
            "user_lists": user_lists,
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
        if hand is not None:
            shutil.rmtree(hand, ignore_errors=True)
    total = time.perf_counter() - t0
    n_reused = sum(1 for e in entries if e["reused"])
    print(
        f"report: {len(entries)} notebooks in {total:.1f} s ({n_reused} reused, "
        f"{len(failed)} failed) -> {_display_path(out_dir)}",
        file=stream,
        flush=True,
    )
    print(
        f"report: open {_display_path(out_dir / INDEX_NAME)} in a browser", file=stream, flush=True
    )
    return RunResult(out=out_dir, manifest=manifest, failed=failed)


#: The user's lists (:func:`analysis.records.user_list_files`): those a notebook parameter can
#: name (empty: the file found with the corpus); the actors file is the one found with the
#: corpus (the feature store applies it). Their content is part of each
#: notebook's reuse key and the manifest, so editing a list re-runs the reports.
LIST_PARAMETERS = ("stop_words",)
_LIST_FILES = {"stop_words": STOP_WORDS_FILE, "actors": ACTORS_FILE}


def _absolute_list_paths(parameters: Mapping[str, Any]) -> dict:
    """List files given with ``-p`` are relative to the caller's folder, like ``--corpus``."""
    out = dict(parameters)
    for name in LIST_PARAMETERS:
        value = out.get(name)
        if isinstance(value, str) and value:
            path = Path(value).expanduser().absolute()
            if not path.is_file():
                raise ParameterError(f"-p {name}={value}: no such file ({_readable(path)})")
            out[name] = str(path)
    return out


def _user_lists(corpus: Sequence[Path], parameters: Mapping[str, Any]) -> dict:
    """The list files the notebooks will read: given, or found with the corpus; with sha256."""

    found: dict[str, list[dict]] = {}
    for name, file_name in _LIST_FILES.items():
        given = parameters.get(name) if name in LIST_PARAMETERS else None
        paths = [Path(given)] if given else user_list_files(corpus, file_name)
        if paths:
            found[name] = [
                {"path": _display_path(p), "sha256": files.sha256_file(p)} for p in paths
            ]
    return found


def _fill_store(corpus: Sequence[Path], parameters: Mapping[str, Any], stream: TextIO):
    """Extract the corpus's feature store before the notebooks run, and print the throughput.

    Returns the corpus as loaded, ``(articles, rejects)``, for the notebooks (None when the
    store could not be filled: each notebook then meets the error itself).
    """
    from analysis.corpus import column_options, load_corpus
    from analysis.features import with_options
    from analysis.store import fill_feature_store

    workers = parameters.get("workers") or os.cpu_count() or 1
    print(f"report: extracting features ({workers} workers)", file=stream, flush=True)
    t0 = time.perf_counter()
    columns = parameters.get("columns") or {}
    progress = stream is sys.stderr and sys.stderr.isatty()
    try:
        loaded = load_corpus(corpus, progress=progress, **column_options(columns))
        _, summary = fill_feature_store(
            corpus,
            tables=with_options(parameters.get("extract_options") or ()),
            workers=workers,
            columns=columns or None,
            progress=progress,
            loaded=loaded,
        )
    except Exception as exc:  # each notebook then meets it itself and its page shows it
        if _is_disk_full(exc):
            raise
        print(f"report: features not extracted up front: {exc}", file=stream, flush=True)
        return None
    seconds = time.perf_counter() - t0
    if summary is None:
        print(f"report: features: up to date ({seconds:.1f} s)", file=stream, flush=True)
        return loaded
    rate = summary.articles / seconds if seconds > 0 else float("inf")
    print(
        f"report: features: {summary.articles:,} articles ({summary.parsed:,} parsed, "
        f"{summary.cached:,} from the cache) in {seconds:.1f} s, {rate:.1f} articles/s",
        file=stream,
        flush=True,
    )
    return loaded


def _is_disk_full(exc: BaseException) -> bool:
    return isinstance(exc, files.DiskFullError) or (
        isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)
    )


def _files_for(name: str) -> list[str]:
    return [f"{name}.ipynb", f"{name}.html", f"{name}{SUMMARY_SUFFIX}"]


# The CSV and Parquet files of a report's tables (analysis.reports.interactive), beside its page.
_DATA_FILE = re.compile(r"(?P<name>\d\d_[A-Za-z0-9_]+)\.[a-z0-9-]+\.(?:csv|parquet)")


def _is_data_file(name: str, file: str) -> bool:
    match = _DATA_FILE.fullmatch(file)
    return bool(match) and match["name"] == name


def _produced(name: str, folder: Path) -> list[str]:
    data = sorted(p.name for p in folder.glob(f"{name}.*") if _is_data_file(name, p.name))
    return [f for f in _files_for(name) if (folder / f).is_file()] + data


def _reusable(prior: Mapping[str, Any] | None, key: str, out_dir: Path) -> bool:
    return bool(
        prior
        and prior.get("key") == key
        and prior.get("outcome") == "ok"
        and isinstance(prior.get("files"), list)
        and prior["files"]
        # only the files this notebook writes, so a manifest cannot name anything else to copy
        and all(
            f in _files_for(prior["name"]) or _is_data_file(prior["name"], f)
            for f in prior["files"]
        )
        and all((out_dir / f).is_file() for f in prior["files"])
    )


def _jobs(parameters: Mapping[str, Any]) -> int:
    """Notebooks executed at once: the ``workers`` parameter, by default every core."""
    return max(1, int(parameters.get("workers") or os.cpu_count() or 1))


def _run_plan(
    plan: list[tuple],
    tmp: Path,
    out_dir: Path,
    jupyter_dir: Path,
    jobs: int,
    stream: TextIO,
    handed_env: Mapping[str, str],
) -> list[dict]:
    """Execute (or reuse) every planned notebook, ``jobs`` kernels at a time; entries in plan order.

    The notebooks are independent once the feature store is filled (each writes only its own
    files), so up to ``jobs`` kernels run side by side: a report's notebooks mostly wait on one
    core each (kernel start, imports, a model scoring one table). On Ctrl-C or SIGTERM the
    main thread tells every running notebook to kill its kernel, waits for them, and re-raises.
    """
    from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait

    total = len(plan)
    cancel = threading.Event()
    lock = threading.Lock()

    def say(line: str) -> None:
        with lock:
            print(line, file=stream, flush=True)

    def one(i: int, nb, nb_params, key, prior, reuse) -> dict:
        label = f"[{i}/{total}] {nb.name}"
        if reuse:
            entry = _reuse(nb, prior, out_dir, tmp)
            say(f"report: {label}: unchanged, reused previous output")
        else:
            say(f"report: {label}: running")
            entry = _execute(nb, nb_params, tmp, cancel)
            say(
                f"report: {label}: {entry['outcome']} in {entry['executed']['duration_s']:.1f} s"
                + (f" ({entry['error']})" if entry.get("error") else "")
            )
        entry["key"] = key
        return entry

    # Every path the kernels get is absolute: they run in the notebooks folder, where an
    # installed package would otherwise take that folder for the project (config.project_dir).
    # TQDM_DISABLE: progress bars of library calls would fill the executed notebooks.
    from analysis.cache import pipeline_key

    shared_env = {
        "JUPYTER_PATH": os.pathsep.join(
            p for p in (str(jupyter_dir.absolute()), os.environ.get("JUPYTER_PATH")) if p
        ),
        "TQDM_DISABLE": "1",
        "NEWS_ANALYSIS_CACHE": str(config.CACHE_DIR.absolute()),
        config.HOME_ENV: str(config.PROJECT_DIR),
        config.PIPELINE_KEY_ENV: pipeline_key(),
        **handed_env,
    }
    pool = ThreadPoolExecutor(max_workers=max(1, min(jobs, total)), thread_name_prefix="report")
    # Absolute: papermill and the kernels never change this process's folder, but a caller may.
    times_file = (config.CACHE_DIR / "reports" / NOTEBOOK_TIMES_FILE).absolute()
    times = _notebook_times(times_file)
    with _environ(**shared_env):
        futures: list = [None] * total
        for i in _start_order(plan, times):
            futures[i] = pool.submit(one, i + 1, *plan[i])
        try:
            # Short waits: the main thread must stay free to take Ctrl-C.
            while True:
                done, pending = wait(futures, timeout=0.5, return_when=FIRST_EXCEPTION)
                if not pending or any(f.exception() for f in done):
                    break
        finally:
            # Whatever ended the wait (Ctrl-C, a full disk in one notebook), stop the rest.
            # nbclient logs "Kernel died while waiting for execute reply." for each kernel the
            # runner kills: not news, as the runner says itself why the run stopped.
            stopping = any(not f.done() for f in futures)
            if stopping:
                _papermill_log().addFilter(_killed_kernel_message)
                cancel.set()
                for future in futures:
                    future.cancel()
            pool.shutdown(wait=True)
            if stopping:
                _papermill_log().removeFilter(_killed_kernel_message)
    errors = [f.exception() for f in futures if not f.cancelled() and f.exception()]
    if errors:
        # The cause, not the interrupts it led to in the other notebooks.
        raise next((e for e in errors if not isinstance(e, KeyboardInterrupt)), errors[0])
    entries = [future.result() for future in futures]
    _keep_notebook_times(times_file, times, entries)
    return entries


def _warm_up() -> None:
    """Import papermill, then export an empty notebook to HTML in a temporary folder (imports
    and templates load), so neither waits in the first notebooks' lanes."""
    import nbformat
    import papermill  # noqa: F401

    with contextlib.suppress(Exception), tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "warm.ipynb"
        nbformat.write(nbformat.v4.new_notebook(), str(path))
        export_html(path, Path(folder) / "warm.html")


#: The notebooks' last execution times, by name, kept in the cache for :func:`_start_order`.
NOTEBOOK_TIMES_FILE = "notebook-times.json"


def _notebook_times(path: Path) -> dict[str, float]:
    times = files.read_json(path)
    if not isinstance(times, dict):
        return {}
    return {k: float(v) for k, v in times.items() if isinstance(v, int | float)}


def _keep_notebook_times(path: Path, times: dict[str, float], entries: list[dict]) -> None:
    ran = {
        e["name"]: e["executed"]["duration_s"]
        for e in entries
        if e.get("outcome") == "ok" and not e["reused"]
    }
    if ran:
        with contextlib.suppress(OSError):  # a read-only cache only costs the next run's order
            files.write_json(path, times | ran)


def _start_order(plan: list[tuple], times: Mapping[str, float]) -> list[int]:
    """Indices of ``plan`` in the order to start them: the longest first.

    With fewer kernels than notebooks, starting the slowest notebook last leaves one kernel
    busy after the others have finished (the sentiment report scoring every quotation while
    the rest are done); longest first (the LPT rule) keeps the kernels evenly loaded. Reused
    notebooks cost nothing and go first; notebooks never timed come next (they may be slow):
    those that read the feature store (they take ``workers``) before those that only read the
    corpus, otherwise in their order. On a first run that starts the sentiment report (which
    scores every quotation) beside the actors report rather than after the quick overview.
    """
    reused = [i for i, item in enumerate(plan) if item[-1]]
    unknown = [i for i, item in enumerate(plan) if not item[-1] and item[0].name not in times]
    unknown.sort(key=lambda i: not plan[i][0].takes("workers"))
    timed = [i for i, item in enumerate(plan) if not item[-1] and item[0].name in times]
    timed.sort(key=lambda i: -times[plan[i][0].name])
    return reused + unknown + timed


def _reuse(nb: ReportNotebook, prior: Mapping[str, Any], out_dir: Path, tmp: Path) -> dict:
    for f in prior["files"]:
        shutil.copy2(out_dir / f, tmp / f)
    entry = dict(prior)
    entry.update(reused=True, notebook=_display_path(nb.path))
    return entry


def _execute(nb: ReportNotebook, params: dict, tmp: Path, cancel: threading.Event) -> dict:
    from papermill.exceptions import PapermillExecutionError

    out_nb, out_html = tmp / f"{nb.name}.ipynb", tmp / f"{nb.name}.html"
    summary_path = tmp / f"{nb.name}{SUMMARY_SUFFIX}"
    started, t0 = _now(), time.perf_counter()
    error = None
    try:
        _run_notebook(
            nb.path, out_nb, params, {config.REPORT_SUMMARY_ENV: str(summary_path)}, cancel
        )
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
    produced = _produced(nb.name, tmp)
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


def _killed_kernel_message(record: logging.LogRecord) -> bool:
    """A logging filter: drop nbclient's line about a kernel dying (one the runner killed)."""
    return not str(record.msg).startswith("Kernel died")


def _papermill_log() -> logging.Logger:
    """The logger papermill hands nbclient (``papermill.log.logger``)."""
    return logging.getLogger("papermill")


def _run_notebook(
    path: Path,
    out_nb: Path,
    params: dict,
    kernel_env: Mapping[str, str],
    cancel: threading.Event | None = None,
) -> None:
    """Execute one notebook with papermill; when interrupted kill its kernel, then re-raise.

    Papermill runs in a worker thread. In the main thread nbclient would install its own
    SIGINT and SIGTERM handlers, which shut the kernel down and let the run go on with the
    next notebook (Ctrl-C was swallowed); in a worker thread it cannot, so the main thread
    keeps the command line's handlers. The calling thread kills the kernel's process group
    itself (the kernel runs in a session of its own, so a terminal's Ctrl-C never reaches it)
    when it gets a KeyboardInterrupt or when ``cancel`` is set (the runner's main thread
    sets it on Ctrl-C), and raises KeyboardInterrupt. ``kernel_env`` is added to the
    kernel's environment only (notebooks run side by side, so ``os.environ`` cannot carry it).
    """
    import papermill
    from jupyter_client.manager import AsyncKernelManager
    from traitlets.config import Config

    kernels: list[AsyncKernelManager] = []

    class TrackedKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            kernels.append(self)

        async def _async_pre_start_kernel(self, **kw: Any) -> Any:
            kw["env"] = {**kw.get("env", os.environ), **kernel_env}
            # The kernel runs in the notebooks folder. Papermill's own ``cwd`` would chdir the
            # whole process, which notebooks running side by side would race on: a kernel
            # could start elsewhere and the process keep another folder as its own.
            kw["cwd"] = str(path.parent)
            return await super()._async_pre_start_kernel(**kw)

        async def _async_interrupt_kernel(self) -> None:
            # jupyter_client sends SIGINT before asking a kernel to shut down. Ours has run
            # every cell by then, and the signal can land just after a cell, which the kernel
            # logs as "ERROR | KeyboardInterrupt caught in kernel" into the runner's output
            # (seen with two kernels at once). Interrupts of a running cell are unchanged.
            if not self.shutting_down:
                await super()._async_interrupt_kernel()

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
                progress_bar=False,
                start_timeout=180,
                config=kernel_config,
                kernel_manager_class=TrackedKernelManager,
                # Every cell has run and its output is in: kill the kernel's process group
                # rather than wait for it to shut itself down (0.3-0.4 s per notebook).
                shutdown_kernel="immediate",
            )
        except BaseException as exc:  # handed to the main thread, which raises it
            outcome["error"] = exc

    with tempfile.TemporaryDirectory(prefix="news-analysis-kernel-") as sockets:
        worker = threading.Thread(target=work, args=(sockets,), name="papermill", daemon=True)
        worker.start()
        try:
            while worker.is_alive():
                worker.join(0.5)
                if cancel is not None and cancel.is_set():
                    raise KeyboardInterrupt
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


def _carry_over(out_dir: Path, tmp: Path, previous: Mapping[str, Any]) -> None:
    """Copy the files of the old folder the runner did not write (a README) into the new one."""
    if not out_dir.is_dir():
        return
    ours = set(previous.get("files", [])) | {INDEX_NAME, MANIFEST_NAME}
    for item in out_dir.iterdir():
        if item.name in ours or (tmp / item.name).exists():
            continue
        if (
            item.name.endswith((".ipynb", ".html", SUMMARY_SUFFIX))
            or _DATA_FILE.fullmatch(item.name)
        ) and previous:
            continue  # output of a notebook that no longer exists
        if item.is_dir() and not item.is_symlink():
            shutil.copytree(item, tmp / item.name, symlinks=True)
        else:
            shutil.copy2(item, tmp / item.name, follow_symlinks=False)


# --- small utilities -----------------------------------------------------------------------------


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
