"""Start-up cost of the command line: ``python -m analysis --help`` against a bare interpreter.

Prints the median of N runs of each (same run, same machine), the difference, and which heavy
libraries ``--help`` imports (none is the target: pandas, scikit-learn, spaCy stay unloaded).

    .venv/bin/python benchmarks/bench_startup.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

HEAVY = ("pandas", "numpy", "sklearn", "spacy", "pyarrow", "scipy", "onnxruntime", "papermill")
CHECK = (
    "import sys\n"
    "from analysis.cli import build_parser\n"
    "build_parser().format_help()\n"
    f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
)


def _median_seconds(cmd: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    # Interleaved warm-up so both start from a warm file cache.
    for cmd in ([sys.executable, "-c", "pass"], [sys.executable, "-m", "analysis", "--help"]):
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    bare = _median_seconds([sys.executable, "-c", "pass"], args.runs)
    help_ = _median_seconds([sys.executable, "-m", "analysis", "--help"], args.runs)
    imported = subprocess.run(
        [sys.executable, "-c", CHECK], check=True, capture_output=True, text=True
    ).stdout.strip()
    print(f"python -c pass           median of {args.runs}: {bare:.3f} s")
    print(f"python -m analysis --help median of {args.runs}: {help_:.3f} s")
    print(f"difference: {help_ - bare:.3f} s (target: at most 0.300 s)")
    print(f"heavy libraries --help imports: {imported or 'none'}")


if __name__ == "__main__":
    main()
