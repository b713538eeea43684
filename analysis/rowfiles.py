"""Row files for the per-row commands (`sentiment`, `target-sentiment`): JSONL or CSV in and out.

Every input column comes back unchanged: CSV values stay strings as written, and in JSONL the
numbers of id columns (``id``, ``*_id``) come back as the text written in the file (``007``,
``1e3``). Errors name the file and line.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path


class _RawNumber(str):
    """A JSON number kept as written, so an ``id`` like 007 or 1e3 comes back unchanged."""


def _is_id_column(name: str) -> bool:
    return name == "id" or name.endswith("_id")


def _from_raw(value):
    if isinstance(value, _RawNumber):
        number = float(value)
        return int(value) if value.lstrip("-").isdigit() else number
    if isinstance(value, list):
        return [_from_raw(v) for v in value]
    if isinstance(value, dict):
        return {k: _from_raw(v) for k, v in value.items()}
    return value


def read_rows(path: Path, *, raw_ids: bool = True) -> list[tuple[int, dict]]:
    """(line number, record) pairs of a JSONL or CSV file.

    CSV values stay strings; in JSONL, id columns (``id``, ``*_id``) holding numbers come back
    as the string written in the file, other values as JSON gives them.
    """
    from analysis.cli import CLIError

    if not path.is_file():
        raise CLIError(f"{path}: no such file")
    suffix = path.suffix.lower()
    rows: list[tuple[int, dict]] = []
    try:
        if suffix == ".jsonl":
            with path.open(encoding="utf-8-sig") as fh:
                for lineno, line in enumerate(fh, 1):
                    if not line.strip():
                        continue
                    try:
                        rec = (
                            json.loads(line, parse_int=_RawNumber, parse_float=_RawNumber)
                            if raw_ids
                            else json.loads(line)
                        )
                    except json.JSONDecodeError as exc:
                        raise CLIError(f"{path}:{lineno}: not valid JSON ({exc.msg})") from None
                    if not isinstance(rec, dict):
                        raise CLIError(f"{path}:{lineno}: a record must be a JSON object")
                    rec = {
                        k: (
                            str(v)
                            if _is_id_column(k) and isinstance(v, _RawNumber)
                            else _from_raw(v)
                        )
                        for k, v in rec.items()
                    }
                    rows.append((lineno, rec))
        elif suffix == ".csv":
            with path.open(encoding="utf-8-sig", newline="") as fh:
                reader = csv.DictReader(fh)
                line = 2
                for rec in reader:
                    if None in rec:
                        raise CLIError(f"{path}:{line}: more fields than the header has")
                    rows.append((line, dict(rec)))
                    line = reader.line_num + 1
        else:
            raise CLIError(
                f"{path}: unsupported input type {suffix or '(none)'}; use .jsonl or .csv"
            )
    except UnicodeDecodeError as exc:
        raise CLIError(f"{path}: not UTF-8 text ({exc.reason})") from None
    except csv.Error as exc:
        raise CLIError(f"{path}: malformed CSV ({exc})") from None
    return rows


def write_rows(rows: list[dict], path: Path, default_columns: Sequence[str]) -> None:
    """Write dict rows as JSONL or CSV (chosen by the suffix)."""
    from analysis.cli import CLIError

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8", newline="") as fh:
            if path.suffix.lower() == ".jsonl":
                for row in rows:
                    fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            else:
                fields = list(dict.fromkeys(k for row in rows for k in row)) or list(
                    default_columns
                )
                writer = csv.DictWriter(fh, fieldnames=fields)
                writer.writeheader()
                writer.writerows(rows)
    except OSError as exc:
        raise CLIError(f"{path}: cannot write ({exc.strerror})") from None
