"""Time `python -m analysis report` twice on the same corpus: a full run, then an unchanged re-run.

Usage: ``.venv/bin/python benchmarks/bench_reports.py [CORPUS...] [--out DIR]``. CORPUS defaults
to the project's ``seeds/``; the reports go to a temporary folder unless ``--out`` is given
(a new, empty or report folder). Both runs go through the command line, interpreter start-up
included, so the figures are what a user waits for. Target: second run <= 1/10 of the first.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent


def run_report(corpus: list[str], out: Path) -> tuple[float, int]:
    """Run the report command once and return (seconds, exit code)."""
    cmd = [sys.executable, "-m", "analysis", "report", "--out", str(out), "--corpus", *corpus]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=CHECKOUT, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - t0
    sys.stderr.write(proc.stderr)
    return seconds, proc.returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="*", default=[str(CHECKOUT / "seeds")])
    parser.add_argument("--out", type=Path, help="report folder (default: a temporary folder)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-reports-") as tmp:
        out = args.out or Path(tmp) / "reports"
        first, code1 = run_report(args.corpus, out)
        before = json.loads((out / "manifest.json").read_text())
        second, code2 = run_report(args.corpus, out)
        manifest = json.loads((out / "manifest.json").read_text())
    reused = [e["name"] for e in manifest["notebooks"] if e["reused"]]
    rerun = [e["name"] for e in manifest["notebooks"] if not e["reused"]]
    print(f"corpus: {', '.join(args.corpus)} ({manifest['corpus']['n_files']} files)")
    print(f"notebooks: {len(manifest['notebooks'])}")
    print(f"first run:  {first:7.2f} s (exit {code1})")
    print(f"second run: {second:7.2f} s (exit {code2}); reused {len(reused)}, re-ran {rerun or 0}")
    # In a checkout others are editing, the package can change between the two runs; then
    # re-running is right, and the second figure is not the time of an unchanged re-run.
    changed = [
        k
        for k in ("package_sha256", "environment_sha256")
        if before["code"][k] != manifest["code"][k]
    ]
    if changed:
        print(
            f"NOTE: {', '.join(changed)} changed between the runs (someone edited the code);"
            " run again when the checkout is quiet"
        )
    ratio = second / first
    print(f"second / first: {ratio:.3f} (target <= 0.100: {'met' if ratio <= 0.1 else 'NOT met'})")
    return 0 if code1 == code2 == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
