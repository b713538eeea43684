"""The loader and per-row fuzzing tests run long: hypothesis's ``long`` profile (5,000 examples each).

CI runs the same tests with 150 derandomized examples; this explores further with a random seed
and prints how many examples each test tried and whether anything was found.

    .venv/bin/python benchmarks/bench_fuzz.py [--seed N]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TESTS = ["tests/test_fuzz_loader.py", "tests/test_fuzz_rows.py"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=0, help="hypothesis seed (recorded for a re-run)")
    args = ap.parse_args()
    env = dict(os.environ, NEWS_ANALYSIS_HYPOTHESIS_PROFILE="long")
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
           "--hypothesis-show-statistics", f"--hypothesis-seed={args.seed}", *TESTS]  # fmt: skip
    result = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    for line in result.stdout.splitlines():
        if (
            "passing examples" in line
            or line.startswith(("tests/", "="))
            or "Stopped because" in line
        ):
            print(line.strip())
    print("nothing found" if result.returncode == 0 else f"FAILED (exit {result.returncode})")
    sys.exit(result.returncode)


if __name__ == "__main__":
    main()
