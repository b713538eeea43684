"""Peak memory of ``load`` on a large file: at most 5x the file's size is the target.

Builds a JSONL file of about ``--mb`` megabytes by repeating the records of a real corpus (each
copy with its own id), runs ``python -m analysis load FILE -o OUT.parquet`` and prints the peak
resident memory of the process against the file size.

    .venv/bin/python benchmarks/bench_load_memory.py ../shared/data/reuters21578/reuters21578.jsonl [--mb 50]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import communicate_with_peak_rss  # noqa: E402


def build(source: Path, target: Path, megabytes: float) -> int:
    records = [json.loads(line) for line in source.open(encoding="utf-8") if line.strip()]
    limit = int(megabytes * 2**20)
    size = n = 0
    with target.open("w", encoding="utf-8") as out:
        while size < limit:
            for record in records:
                row = dict(record, id=f"r{n}")
                line = json.dumps(row, ensure_ascii=False) + "\n"
                out.write(line)
                size += len(line.encode("utf-8"))
                n += 1
                if size >= limit:
                    break
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("source", type=Path, help="a .jsonl corpus whose records are repeated")
    ap.add_argument("--mb", type=float, default=50.0, help="size of the file to build (MB)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "big.jsonl"
        n = build(args.source, big, args.mb)
        file_mb = big.stat().st_size / 2**20
        start = time.perf_counter()
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "analysis",
                "load",
                str(big),
                "-o",
                str(Path(tmp) / "out.parquet"),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        _, err, peak = communicate_with_peak_rss(proc)
        seconds = time.perf_counter() - start
        if proc.returncode:
            sys.exit(f"load failed: {err[-2000:]}")
    print(f"file: {file_mb:.1f} MB, {n:,} records; load -o parquet in {seconds:.1f} s")
    print(
        f"peak resident memory: {peak:.0f} MB = {peak / file_mb:.2f}x the file (target: at most 5x)"
    )


if __name__ == "__main__":
    main()
