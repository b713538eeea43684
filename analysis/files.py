"""Files the tools write: atomic writes, output folders they own, temporary siblings, fingerprints.

Every command that writes goes through this module, so the rules live in one place:

- a file is written to a temporary name beside it and renamed into place (readers see the old
  file or the new one, never half of one);
- a folder the tools fill (``extract -o``, ``report --out``) must be new, empty, or marked as
  theirs by an earlier run (:data:`MARKER`); anything else is refused, and so is the corpus
  itself or a folder inside it: a user's own files are never replaced;
- a folder is built as a temporary sibling and swapped in by rename, and temporary siblings left
  by runs that were killed are removed by the next run;
- one digest of JSON-like values and one sha256 of files, for cache keys and manifests.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import hashlib
import json
import os
import re
import shutil
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

#: The file that marks a folder as written by this project (and says by which command).
MARKER = ".news-analysis-output.json"
#: Names a folder may hold and still count as empty (a repository keeps these in ``reports/``).
EMPTY_FOLDER_NAMES = frozenset({"README.md", ".gitignore", ".gitkeep", ".DS_Store"})


class OutputFolderError(ValueError):
    """An output folder the tools will not write into; the message names it and what to do."""


class DiskFullError(OSError):
    """A write that failed because the disk (or quota) is full; the message names the path."""


# --- digests --------------------------------------------------------------------------------------


def digest(obj: Any) -> str:
    """sha256 (hex) of a JSON-like value, independent of dict order."""
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()


def frame_digest(frame: Any) -> str:
    """sha256 (hex) of a pandas DataFrame: its column names and every cell as text, in order.

    The index is left out; cells are compared as their text, so a column of lists or dicts
    (which pandas cannot hash) digests too. An array cell (a list column read from Parquet)
    is digested as its list: ``str`` of a numpy array elides the middle of a long one, and is
    slow.
    """
    import numpy as np
    import pandas as pd

    def text(value: Any) -> str:
        return str(value.tolist()) if isinstance(value, np.ndarray) else str(value)

    head = json.dumps(list(map(str, frame.columns))).encode()
    if frame.empty:
        return hashlib.sha256(head).hexdigest()
    cells = pd.DataFrame(
        {
            i: frame.iloc[:, i].map(text)
            if frame.dtypes.iloc[i] == np.dtype(object)
            else frame.iloc[:, i]
            for i in range(frame.shape[1])
        }
    )
    hashed = pd.util.hash_pandas_object(cells.astype("object").astype(str), index=False)
    return hashlib.sha256(head + hashed.to_numpy().tobytes()).hexdigest()


def tree_digest(folder: str | os.PathLike) -> str:
    """sha256 (hex) over every file below ``folder``: relative paths and contents, in order
    (``__pycache__`` and ``.pyc`` left out)."""
    folder = Path(folder)
    h = hashlib.sha256()
    for f in sorted(folder.rglob("*")):
        if f.is_file() and "__pycache__" not in f.parts and f.suffix != ".pyc":
            h.update(f.relative_to(folder).as_posix().encode() + b"\0")
            h.update(sha256_file(f).encode() + b"\n")
    return h.hexdigest()


def sha256_file(path: str | os.PathLike) -> str:
    """sha256 (hex) of a file's bytes, read in blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# --- atomic writes --------------------------------------------------------------------------------


def temp_sibling(path: str | os.PathLike, kind: str = "tmp") -> Path:
    """A fresh hidden name beside ``path``: ``.NAME.KIND-PID-RANDOM`` (see :func:`remove_stale`)."""
    path = Path(path)
    return path.with_name(f".{path.name}.{kind}-{os.getpid()}-{uuid.uuid4().hex[:8]}")


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it onto ``path``.

    Whatever the body writes at the temporary path (a file or a folder) replaces ``path`` only
    when the body finishes; on any error, or an interrupt, the temporary path is removed and
    ``path`` is left as it was. A full disk raises :class:`DiskFullError` naming ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_sibling(path)
    try:
        yield tmp
        if tmp.is_dir() and path.is_dir():
            swap_in(tmp, path)
        else:
            os.replace(tmp, path)
    except OSError as exc:
        raise _named(exc, path) from exc
    finally:
        remove(tmp)


def write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically and return the path."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically and return the path."""
    return write_bytes(path, text.encode("utf-8"))


def write_json(path: str | os.PathLike, value: Any) -> Path:
    """Write ``value`` as indented UTF-8 JSON to ``path`` atomically and return the path."""
    return write_text(path, json.dumps(value, indent=2, ensure_ascii=False) + "\n")


def read_json(path: str | os.PathLike) -> Any:
    """The JSON value in ``path``, or None when it is missing, unreadable or not JSON."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _named(exc: OSError, path: Path) -> OSError:
    if isinstance(exc, DiskFullError):
        return exc
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return DiskFullError(exc.errno, f"{path}: no space left on the device")
    return exc


def remove(path: str | os.PathLike) -> None:
    """Remove a file or folder if it exists (never follows a link into its target)."""
    path = Path(path)
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    except OSError:
        pass


# --- folders the tools own ------------------------------------------------------------------------


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def check_output_folder(
    out: str | os.PathLike,
    *,
    kind: str,
    option: str,
    inputs: Iterable[str | os.PathLike] = (),
) -> Path:
    """Return ``out`` resolved if the tools may fill it, else raise :class:`OutputFolderError`.

    A folder may be filled when it does not exist, is empty (or holds only
    :data:`EMPTY_FOLDER_NAMES`), or carries the :data:`MARKER` of an earlier run of the same
    ``kind``. It may never be one of ``inputs``, inside one of them, or hold one of them.

    Parameters
    ----------
    out : path
        The folder asked for (relative paths are relative to the current folder).
    kind : str
        What fills it (``"feature store"``, ``"reports"``); a marker of another kind is refused.
    option : str
        The command-line option that chose it, named in the message (``-o``, ``--out``).
    inputs : paths
        The corpus files and folders the run reads.
    """
    out = Path(os.path.abspath(out))
    resolved = out.resolve()
    for raw in inputs:
        inp = Path(os.path.abspath(raw)).resolve()
        if _inside(resolved, inp) or _inside(inp, resolved):
            raise OutputFolderError(
                f"{out}: is, is inside, or holds the corpus input {inp}; the tools never write "
                f"into a corpus. Choose another {option}"
            )
    if out.is_symlink() and not out.exists():
        raise OutputFolderError(f"{out}: is a broken link; choose another {option}")
    if not out.exists():
        return out
    if not out.is_dir():
        raise OutputFolderError(f"{out}: exists and is not a folder; choose another {option}")
    marker = read_json(out / MARKER)
    if marker is not None:
        if isinstance(marker, dict) and marker.get("kind") == kind:
            return out
        found = marker.get("kind") if isinstance(marker, dict) else None
        raise OutputFolderError(
            f"{out}: was written by another command ({found or 'unknown'}), not as {kind}; "
            f"choose another {option}"
        )
    try:
        names = sorted(p.name for p in out.iterdir())
    except OSError as exc:
        raise OutputFolderError(
            f"{out}: cannot be read ({exc.strerror}); choose another {option}"
        ) from exc
    others = [n for n in names if n not in EMPTY_FOLDER_NAMES]
    if others:
        shown = ", ".join(others[:5]) + (", ..." if len(others) > 5 else "")
        raise OutputFolderError(
            f"{out}: holds files this tool did not write ({shown}); it writes only into a new or "
            f"empty folder, or one it wrote before. Choose another {option}"
        )
    return out


def mark_output_folder(folder: str | os.PathLike, *, kind: str) -> Path:
    """Write the :data:`MARKER` into ``folder`` (a run of ``kind`` wrote it)."""
    return write_json(
        Path(folder) / MARKER,
        {
            "kind": kind,
            "written": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "note": "Written by the news analysis tools; they may replace this folder's contents.",
        },
    )


def is_output_folder(folder: str | os.PathLike) -> bool:
    """True when ``folder`` carries the :data:`MARKER` (the loader skips such folders)."""
    return (Path(folder) / MARKER).is_file()


def swap_in(tmp: str | os.PathLike, out: str | os.PathLike) -> None:
    """Replace the folder ``out`` by ``tmp`` with two renames; readers see old or new, never half."""
    tmp, out = Path(tmp), Path(out)
    if not out.exists():
        os.replace(tmp, out)
        return
    old = temp_sibling(out, "old")
    os.replace(out, old)
    try:
        os.replace(tmp, out)
    except OSError:
        os.replace(old, out)
        raise
    remove(old)


_SIBLING_RE = re.compile(r"\.(?P<name>.+)\.(?:tmp|old)-(?P<pid>\d+)(?:-[0-9a-f]+)?")


def remove_stale(path: str | os.PathLike) -> list[Path]:
    """Remove the temporary siblings of ``path`` left by runs whose process no longer exists."""
    path = Path(path)
    removed: list[Path] = []
    if not path.parent.is_dir():
        return removed
    try:
        candidates = list(path.parent.glob(f".{glob_escape(path.name)}.*-*"))
    except OSError:
        return removed
    for p in candidates:
        m = _SIBLING_RE.fullmatch(p.name)
        if m and m.group("name") == path.name and not pid_alive(int(m.group("pid"))):
            remove(p)
            removed.append(p)
    return removed


def glob_escape(name: str) -> str:
    """``name`` with glob's special characters escaped."""
    return re.sub(r"([*?\[])", r"[\1]", name)


def pid_alive(pid: int) -> bool:
    """True when a process with this id exists (ours or another user's)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True
