"""The report registry: notebooks and their parameters, validation, fingerprints, manifests.

Report notebooks are the files ``notebooks/NN_name.ipynb``; their ``parameters`` cell is read
with papermill (cached by the notebook's sha256). Also here: what a run records about itself
(corpus and package fingerprints, installed versions, git commit) and how the manifest of an
earlier run is read back (only its well-formed entries, never trusted to name other files).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import platform
import re
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

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


class ReportError(Exception):
    """A report run that cannot start or finish; the message names the offending file."""


class ParameterError(ReportError):
    """A ``-p NAME=VALUE`` the notebooks cannot take (bad usage: exit code 2)."""


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
    _check_shared(parameters)
    for name, value in parameters.items():
        for nb in notebooks:
            p = nb.parameters.get(name)
            if p is not None and not _same_kind(p.type, value):
                raise ParameterError(
                    f"-p {name}={json.dumps(value)}: {nb.path.name} expects {p.type} "
                    f"(default {p.default})"
                )


def _check_shared(parameters: Mapping[str, Any]) -> None:
    """The parameters every parsing notebook shares: ``workers``, the record ``columns`` and
    the feature store's ``extract_options``."""
    options = parameters.get("extract_options", [])
    if not isinstance(options, list) or not all(isinstance(o, str) for o in options):
        raise ParameterError(
            f"-p extract_options={json.dumps(options)}: a list of option names, "
            '["reported_speech", "static_sentiment"] or fewer'
        )
    from analysis.features import with_options

    try:
        with_options(options)
    except ValueError as exc:
        raise ParameterError(f"-p extract_options=...: {exc}") from None
    workers = parameters.get("workers", 0)
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 0:
        raise ParameterError(
            f"-p workers={json.dumps(workers)}: a whole number of processes, 0 for every core"
        )
    columns = parameters.get("columns", {})
    if not isinstance(columns, dict):
        return  # the kind check names the expected type
    for key, value in columns.items():
        if key not in config.DEFAULT_COLUMNS:
            raise ParameterError(
                f"-p columns=...: unknown key {key!r}; the keys are "
                f"{', '.join(config.DEFAULT_COLUMNS)}"
            )
        if not isinstance(value, str) or not value:
            raise ParameterError(
                f"-p columns=...: {key} must name a column, got {json.dumps(value)}"
            )


def _same_kind(type_name: str, value: Any) -> bool:
    if type_name == "bool":
        return isinstance(value, bool)
    if type_name == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if type_name == "float":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if type_name == "dict":
        return isinstance(value, dict)
    if type_name == "list":
        return isinstance(value, list)
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
    return files.tree_digest(config.PACKAGE_DIR)


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
