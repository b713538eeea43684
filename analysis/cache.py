"""The per-article feature cache: checksummed JSON entries keyed by content and pipeline version."""

from __future__ import annotations

import contextlib
import errno
import functools
import gzip
import hashlib
import io
import json
import os
import sys
import zlib
from collections.abc import Mapping
from pathlib import Path

from analysis import config, features, files
from analysis.articles import published_day

# --- cache ----------------------------------------------------------------------------------------


def article_key(article: Mapping) -> str:
    """Content hash of what the features depend on: the text and the published date."""
    h = hashlib.sha1()
    # surrogatepass: a lone surrogate (from a JSON escape) is hashed too; valid text is unchanged.
    h.update(str(article["text"]).encode("utf-8", "surrogatepass"))
    h.update(b"\x00")
    # The ISO day, whether ``published`` is a timestamp (the loader's) or text (a caller's, or a
    # store written before it was a timestamp), so cached articles keep their keys.
    published = published_day(article.get("published"))
    h.update(b"" if published is None else published.encode())
    return h.hexdigest()


@functools.lru_cache(maxsize=8)
def pipeline_key(model: str | None = None, tables: tuple[str, ...] | None = None) -> str:
    """Version of the pipeline: the package, spaCy and its model, and the extractors' code.

    The code part is :func:`analysis.features.code_key`: the code the extractors of ``tables``
    run (followed through what they call), their declared schemas and versions, the word lists
    and the shipped models; plus how a text becomes a parse (:func:`_parse_each`,
    :func:`analysis.nlp.normalise_for_parse`) and the wire fields an extractor may read
    (:func:`analysis.wire.parse_wire`). Editing anything else (a command, a report, a
    corpus-level analysis) keeps every cached article.
    """
    if model is None and tables is None and (given := os.environ.get(config.PIPELINE_KEY_ENV)):
        return given  # the report runner's, computed from the same code a moment before
    from analysis import __version__
    from analysis.nlp import model_name, model_version, normalise_for_parse
    from analysis.store import _parse_each
    from analysis.wire import parse_wire

    name = model_name(model)
    spacy_version, version = model_version(name)
    h = hashlib.sha1()
    h.update(f"{__version__}|{spacy_version}|{name}|{version}".encode())
    h.update(_code_key(tables, [_parse_each, normalise_for_parse, parse_wire]).encode())
    return h.hexdigest()[:16]


#: Where :func:`_code_key` keeps the code keys it computed (JSON: a few recent ones).
CODE_KEYS_FILE = "code-keys.json"


def _code_key(tables: tuple[str, ...] | None, extra_roots: list) -> str:
    """:func:`analysis.features.code_key`, kept in the cache by what it can depend on.

    Following every extractor's code imports them all (scikit-learn among them): 1.5 s that a
    run finding every article cached (a report's check of its store) otherwise spends on this
    key alone. The key reads only the package's files, and constants the package computes at
    import from installed libraries; so it is kept under a digest of every package file and
    every installed distribution's version, and computed again when either changes.
    """
    from importlib import metadata

    versions = sorted(
        f"{d.metadata['Name']}=={d.version}" for d in metadata.distributions() if d.metadata["Name"]
    )
    roots = [f"{f.__module__}.{f.__qualname__}" for f in extra_roots]
    memo = files.digest(
        {
            "python": sys.version,
            "package": files.tree_digest(config.PACKAGE_DIR),
            "distributions": versions,
            "tables": tables,
            "roots": roots,
        }
    )
    path = config.CACHE_DIR / CODE_KEYS_FILE
    kept = files.read_json(path)
    kept = kept if isinstance(kept, dict) else {}
    if isinstance(kept.get(memo), str):
        return kept[memo]
    key = features.code_key(tables, extra_roots=extra_roots)
    # The latest few: a checkout switched between branches keeps each one's key.
    recent = dict(list(kept.items())[-7:]) | {memo: key}
    with contextlib.suppress(OSError):  # a read-only cache costs the next run the 1.5 s
        files.write_json(path, recent)
    return key


#: Version of the cache entry format (a gzipped header line, then the JSON rows).
CACHE_FORMAT = 1
#: Largest cache entry read back, decompressed; anything bigger is treated as damaged, so a
#: hostile entry cannot exhaust memory.
MAX_CACHE_ENTRY = 256 * 2**20


class CacheEntryError(ValueError):
    """A cache entry that is damaged or not in the expected format."""


def _plain(value) -> bool:
    # Exact types only: JSON gives these back as they were (a tuple or a NumPy float would come
    # back as another type, so rows holding one are not cached).
    if value is None or type(value) in (str, int, float, bool):
        return True
    return type(value) is list and all(_plain(v) for v in value)


def encode_cache_entry(stored: Mapping[str, list[dict]]) -> bytes:
    """One cache entry: gzip of a JSON header (format, sha256 of the payload), newline, JSON rows.

    Raises ``TypeError`` when a row holds a value other than None, bool, int, float, str or a
    list of those: JSON would not give it back with the same type.
    """
    for table, rows in stored.items():
        for row in rows:
            for column, value in row.items():
                if not _plain(value):
                    raise TypeError(
                        f"{table}.{column} holds a {type(value).__name__}, which the cache "
                        "cannot give back unchanged"
                    )
    # ensure_ascii keeps lone surrogates as escapes, so strings read back exactly; NaN and
    # infinities are written as JSON's NaN and Infinity, which json reads back.
    payload = json.dumps(stored, ensure_ascii=True, separators=(",", ":")).encode("ascii")
    header = json.dumps({"format": CACHE_FORMAT, "sha256": hashlib.sha256(payload).hexdigest()})
    return gzip.compress(header.encode("ascii") + b"\n" + payload, compresslevel=1, mtime=0)


def decode_cache_entry(data: bytes) -> dict[str, list[dict]]:
    """The rows of a cache entry made by :func:`encode_cache_entry`; ``CacheEntryError`` if damaged.

    JSON cannot run code, unlike the pickles of earlier versions: a cache folder others can
    write is at worst wrong, never a way to run code in every reader. The checksum catches
    damage (a truncated or altered file), the shape check anything else.
    """
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as gz:
            raw = gz.read(MAX_CACHE_ENTRY + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise CacheEntryError(f"not a readable gzip file ({exc})") from None
    if len(raw) > MAX_CACHE_ENTRY:
        raise CacheEntryError(f"larger than {MAX_CACHE_ENTRY} bytes")
    head, _, payload = raw.partition(b"\n")
    try:
        header = json.loads(head)
    except ValueError:
        raise CacheEntryError("no entry header (not written by this version)") from None
    if not isinstance(header, dict) or header.get("format") != CACHE_FORMAT:
        raise CacheEntryError("unknown entry format")
    if hashlib.sha256(payload).hexdigest() != header.get("sha256"):
        raise CacheEntryError("checksum mismatch (the file was altered or damaged)")
    try:
        stored = json.loads(payload)
    except (ValueError, RecursionError):
        raise CacheEntryError("rows are not valid JSON") from None
    if not isinstance(stored, dict) or not all(
        isinstance(rows, list)
        and all(
            isinstance(row, dict)
            and "article_id" not in row
            and all(isinstance(k, str) and _plain(v) for k, v in row.items())
            for row in rows
        )
        for rows in stored.values()
    ):
        raise CacheEntryError("rows are not in the expected shape")
    return stored


class FeatureCache:
    """Per-article feature rows on disk, keyed by pipeline version and article content hash.

    One small gzipped JSON file per article under ``root/<pipeline>/<2 hex>/<hash>.json.gz``
    (:func:`encode_cache_entry`: a checksum, then the rows), written to a temporary name and
    renamed, so concurrent workers and interrupted runs never leave a half-written entry. Rows
    are stored without ``article_id`` and relabelled on read, so an article moved or renamed is
    still found.

    The cache never fails a run: a damaged or unreadable entry is a miss, and a folder that
    cannot be written (read-only, full) leaves rows uncached. Each such problem is counted in
    :attr:`problems` (``{kind: [count, first message]}``) for the caller to report once.
    """

    def __init__(self, root: str | os.PathLike, pipeline: str):
        self.root = Path(root)
        self.dir = self.root / pipeline
        self.problems: dict[str, list] = {}
        self._writable = True
        self._reported: set[str] = set()  # keys whose entry get() already reported

    def _path(self, key: str) -> Path:
        return self.dir / key[:2] / f"{key}.json.gz"

    def _problem(self, kind: str, message: str) -> None:
        self.problems.setdefault(kind, [0, message])[0] += 1

    def get(self, key: str, article_id: str) -> dict | None:
        """The rows cached for ``key``, labelled ``article_id``; None when missing or damaged."""
        path = self._path(key)
        try:
            data = path.read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            # NotADirectory: the cache folder is a file. No entry to read; put() reports that
            # the folder cannot be written, once.
            return None
        except OSError as exc:
            self._problem("unreadable", f"{path}: cannot be read ({exc.strerror or exc})")
            self._reported.add(key)
            return None
        try:
            stored = decode_cache_entry(data)
        except CacheEntryError as exc:
            self._problem("damaged", f"{path}: {exc}")
            self._reported.add(key)
            return None
        return {t: [{"article_id": article_id, **r} for r in rows] for t, rows in stored.items()}

    def put(self, key: str, tables: Mapping[str, list[dict]]) -> bool:
        """Store the rows of one article; False (and a problem noted) when they were not stored."""
        if not self._writable:
            return False
        stored = {
            t: [{k: v for k, v in r.items() if k != "article_id"} for r in rows]
            for t, rows in tables.items()
        }
        try:
            data = encode_cache_entry(stored)
        except TypeError as exc:
            self._problem("unstorable", f"rows not cached: {exc}")
            return False
        path = self._path(key)
        try:
            files.remove_stale(path)  # a temporary entry of a worker that was killed
            files.write_bytes(path, data)
        except OSError as exc:
            if exc.errno in _ENTRY_ERRNOS:
                # Something else sits at this entry's name (a folder): only this entry is lost.
                # It is the problem get() already reported for it, so it is not counted twice.
                if key not in self._reported:
                    self._problem("unwritable", f"{path}: cannot be written ({exc.strerror})")
                return False
            # Read-only, full or not a folder: stop trying for this chunk (one failed write).
            self._writable = False
            # The warning names the cache folder already.
            self._problem("unwritable", f"cannot be written ({exc.strerror or exc})")
            return False
        return True


#: Errors of renaming an entry into place that concern that one name, not the cache folder.
_ENTRY_ERRNOS = frozenset({errno.EISDIR, errno.ENOTEMPTY, errno.EEXIST})
