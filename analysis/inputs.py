"""Finding and opening a corpus's input files: folder walks, file checks, decoding bytes.

Every input that cannot be read is reported with its reason (:class:`RejectedInput`, or the
``problem`` of :func:`iter_input_files`); nothing is skipped silently.
"""

from __future__ import annotations

import codecs
import os
import re
import stat
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from analysis import config
from analysis.files import is_output_folder

# --- reading bytes ---------------------------------------------------------------------------------


class RejectedInput(Exception):
    """An input (file or record) that cannot be loaded; the message is the reason."""


def display_path(path: str | os.PathLike) -> str:
    """``path`` as text that every writer and terminal accepts.

    A file name may hold bytes that are not UTF-8; Python reads them as lone surrogates, which
    Parquet, JSON and UTF-8 terminals refuse. They are shown as ``\\xNN`` instead.
    """
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def _warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode ``data`` and return ``(text, encoding)``.

    Tries UTF-8 with a BOM, UTF-16 with a BOM, plain UTF-8, then cp1252 (which the caller
    reports). Raises :class:`RejectedInput` for empty, binary or undecodable data.
    """
    if not data.strip(b" \t\r\n\x00"):
        raise RejectedInput("empty file")
    encoding = _bom_encoding(data)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        if encoding != "utf-8":
            raise RejectedInput(f"undecodable bytes as {encoding} at byte {exc.start}") from exc
        try:
            text = data.decode("cp1252")
            encoding = "cp1252"
        except UnicodeDecodeError as exc2:
            raise RejectedInput(
                f"undecodable bytes: not UTF-8 (byte {exc.start}) nor cp1252 (byte {exc2.start})"
            ) from exc2
    if not text.strip(" \t\r\n\xa0\ufeff\u2028\u2029"):
        raise RejectedInput("empty file (whitespace only)")
    _check_not_binary(text[:4096])
    return text, encoding


def _bom_encoding(head: bytes, *, nul_is_binary: bool = True) -> str:
    """The encoding a file's first bytes announce (a BOM), else UTF-8.

    A NUL byte in a story means a binary file; in a table (``nul_is_binary=False``) it may be
    one bad value, so only many control characters reject the file there.
    """
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if nul_is_binary and b"\x00" in head[:8192]:
        raise RejectedInput("binary file (contains NUL bytes; not text)")
    return "utf-8"


#: Unicode's control characters (category Cc: U+0000-001F, U+007F-009F) but the five of
#: ordinary text (tab, line feed, vertical tab, form feed, carriage return). A character class,
#: as counting with ``unicodedata.category`` per character cost 0.3 s per 1,000 files.
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")


def _check_not_binary(head: str) -> None:
    control = len(_CONTROL.findall(head))
    if control > max(8, len(head) // 50):
        raise RejectedInput("binary file (control characters; not text)")


def _not_regular(mode: int) -> str:
    kind = (
        "a named pipe (FIFO)"
        if stat.S_ISFIFO(mode)
        else "a socket"
        if stat.S_ISSOCK(mode)
        else "a device"
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
        else "not a regular file"
    )
    return f"{kind}; not read"


def _open_regular(path: Path):
    """Open ``path`` for reading in binary, refusing anything but a regular file.

    Opened without blocking, then checked: opening a FIFO for reading would wait for a writer
    forever, and a file can be swapped for one between a listing and the open.
    """
    nonblock = getattr(os, "O_NONBLOCK", 0)
    fd = os.open(path, os.O_RDONLY | nonblock | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise RejectedInput(_not_regular(mode))
        if nonblock:
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


#: Bytes read at a time when a file is scanned or streamed.
_BLOCK = 1 << 20


def _text_encoding(fh) -> str:
    """The encoding of the open binary file ``fh`` by the rules of :func:`decode_bytes`.

    The file is checked block by block (memory stays one block, whatever its size) and left at
    its start.
    """
    head = fh.read(8192)
    if _blank_file(fh):
        raise RejectedInput("empty file")
    first = _bom_encoding(head, nul_is_binary=False)
    failures = []
    for encoding in [first, "cp1252"] if first == "utf-8" else [first]:
        position = _first_undecodable(fh, encoding)
        if position is None:
            fh.seek(0)
            _check_not_binary(fh.read(16384).decode(encoding, errors="ignore")[:4096])
            fh.seek(0)
            return encoding
        failures.append(position)
    if first != "utf-8":
        raise RejectedInput(f"undecodable bytes as {first} at byte {failures[0]}")
    raise RejectedInput(
        f"undecodable bytes: not UTF-8 (byte {failures[0]}) nor cp1252 (byte {failures[1]})"
    )


def _blank_file(fh) -> bool:
    fh.seek(0)
    while block := fh.read(_BLOCK):
        if block.strip(b" \t\r\n\x00"):
            return False
    return True


def _first_undecodable(fh, encoding: str) -> int | None:
    """The offset of the first byte of ``fh`` that ``encoding`` cannot decode, or None."""
    fh.seek(0)
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0
    while True:
        block = fh.read(_BLOCK)
        pending = len(decoder.getstate()[0])
        try:
            decoder.decode(block, final=not block)
        except UnicodeDecodeError as exc:
            return offset - pending + exc.start
        if not block:
            return None
        offset += len(block)


# --- finding the inputs --------------------------------------------------------------------------

#: The reason a folder written by the tools (it carries their marker) is not read as a corpus.
OUTPUT_FOLDER_SKIPPED = "output folder of the tools, skipped"


def iter_input_files(paths: Iterable[str | os.PathLike]) -> Iterator[tuple[Path, str | None, Path]]:
    """Yield ``(path, problem, root)`` for every input under ``paths``, in a stable order.

    Folders are walked recursively and sorted; ``problem`` is None for a readable regular file
    of a supported type, else the reason it is rejected. Named pipes, sockets, devices, broken
    links, links to folders, unreadable folders and the tools' own output folders are listed
    with their reason and never opened.
    """
    for raw in paths:
        path = Path(raw)
        try:
            mode = os.stat(path).st_mode
        except FileNotFoundError:
            reason = "broken link" if os.path.islink(path) else "no such file or folder"
            yield path, reason, path.parent
            continue
        except OSError as exc:
            yield path, f"unreadable: {exc.strerror or exc}", path.parent
            continue
        if stat.S_ISDIR(mode):
            if _is_output_folder(path):
                yield path, OUTPUT_FOLDER_SKIPPED, path.parent
            else:
                yield from _walk_folder(path)
        elif stat.S_ISREG(mode):
            problem = _suffix_problem(path, path.suffix.lower()) or _access_problem(path)
            yield path, problem, path.parent
        else:
            yield path, _not_regular(mode), path.parent


def _is_output_folder(folder: Path) -> bool:
    try:
        return is_output_folder(folder)
    except OSError:  # an unsearchable folder: its own listing reports the problem
        return False


def _walk_folder(root: Path) -> Iterator[tuple[Path, str | None, Path]]:
    # os.walk rather than Path.rglob: rglob stops with an exception at an unreadable sub-folder
    # and lists FIFOs and sockets like files; here each becomes a row of the rejects table.
    found: list[tuple[Path, str | None]] = []

    def unreadable(exc: OSError) -> None:
        found.append((Path(exc.filename), f"unreadable folder: {exc.strerror or exc}"))

    for dirpath, dirnames, filenames in os.walk(root, onerror=unreadable):
        here = Path(dirpath)
        keep = []
        for name in dirnames:
            sub = here / name
            if os.path.islink(sub):
                found.append((sub, "link to a folder, not followed (give the folder as an input)"))
            elif _is_output_folder(sub):
                found.append((sub, OUTPUT_FOLDER_SKIPPED))
            else:
                keep.append(name)
        dirnames[:] = keep
        found.extend((here / name, _file_problem(here / name)) for name in filenames)
    found.sort(key=lambda item: item[0])
    for path, problem in found:
        yield path, problem, root


def _file_problem(path: Path) -> str | None:
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "broken link" if os.path.islink(path) else "vanished while the folder was read"
    except OSError as exc:
        return f"unreadable: {exc.strerror or exc}"
    if not stat.S_ISREG(mode):
        return _not_regular(mode)
    # Suffixes in folders are case-sensitive: a folder's README.TXT is not an article.
    return _suffix_problem(path, path.suffix) or _access_problem(path)


def _suffix_problem(path: Path, suffix: str) -> str | None:
    if suffix in config.CORPUS_SUFFIXES:
        return None
    return (
        f"unsupported file type {path.suffix or '(no suffix)'!r}; "
        f"expected one of {', '.join(config.CORPUS_SUFFIXES)}"
    )


def _access_problem(path: Path) -> str | None:
    if not os.access(path, os.R_OK):
        return "permission denied (unreadable)"
    return None
