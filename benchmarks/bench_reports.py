"""Time `python -m analysis report` twice on the same corpus: a full run, then an unchanged re-run.

Usage: ``.venv/bin/python benchmarks/bench_reports.py [CORPUS...] [--out DIR] [--limit N]
[--baseline CHECKOUT]``. CORPUS defaults to the project's ``seeds/``; the reports go to a
temporary folder unless ``--out`` is given (a new, empty or report folder). Both runs go through
the command line, interpreter start-up included, so the figures are what a user waits for.
Target: second run <= 1/10 of the first. Each report's time and HTML size are printed.

``--limit N`` takes the first N ``.txt`` files of the corpus (sorted paths, as symlinks in a
temporary folder). ``--baseline CHECKOUT`` (another worktree with its own ``.venv``, such as
main's) compares instead: each checkout runs the reports once to fill its own feature cache
(a temporary folder, so nothing is written into either checkout), then once more with
``--force``; the second runs are compared report by report. Targets: interactive pages within
10% of the static ones' time; every HTML page under 10 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
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


MB = 1024 * 1024
HTML_LIMIT_MB = 10


def limited_corpus(corpus: list[str], limit: int, folder: Path) -> list[str]:
    """Symlinks to the first ``limit`` .txt files of ``corpus`` (sorted), in ``folder``."""
    found = []
    for item in map(Path, corpus):
        found += sorted(item.rglob("*.txt")) if item.is_dir() else [item]
    folder.mkdir(parents=True)
    for i, path in enumerate(found[:limit]):
        (folder / f"{i:05d}_{path.name}").symlink_to(path.resolve())
    return [str(folder)]


def report_figures(out: Path) -> dict[str, tuple[float, int]]:
    """Per report: (seconds the notebook ran, bytes of its HTML page)."""
    manifest = json.loads((out / "manifest.json").read_text())
    return {
        e["name"]: (e["executed"]["duration_s"], (out / f"{e['name']}.html").stat().st_size)
        for e in manifest["notebooks"]
    }


def run_checkout(checkout: Path, corpus: list[str], out: Path, cache: Path, *extra: str):
    """Run the report command of ``checkout`` with its own interpreter and feature cache."""
    python = checkout / ".venv" / "bin" / "python"
    cmd = [str(python), "-m", "analysis", "report", "--out", str(out), "--corpus", *corpus]
    env = dict(os.environ, NEWS_ANALYSIS_CACHE=str(cache))
    t0 = time.perf_counter()
    proc = subprocess.run([*cmd, *extra], cwd=checkout, env=env, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - t0
    if proc.returncode:
        sys.stderr.write(proc.stderr)
    return seconds, proc.returncode


def compare(corpus: list[str], baseline: Path, tmp: Path, repeat: int = 1) -> int:
    """Warm runs of this checkout against ``baseline``, report by report.

    Each checkout first fills its own cache; then the warm (``--force``) runs alternate,
    baseline then this checkout, ``repeat`` times, and the medians are compared: on a shared,
    noisy machine alternating keeps a burst of load from landing on one side only.
    """
    checkouts = (("static", baseline), ("interactive", CHECKOUT))
    warm_runs: dict[str, list] = {label: [] for label, _ in checkouts}
    failed = False
    for label, checkout in checkouts:
        cache, out = tmp / f"cache-{label}", tmp / f"reports-{label}"
        cold, code = run_checkout(checkout, corpus, out, cache)
        failed |= bool(code)
        print(f"{label}: first run (parses, fills the cache) {cold:7.1f} s (exit {code})")
    for i in range(repeat):
        for label, checkout in checkouts:
            cache, out = tmp / f"cache-{label}", tmp / f"reports-{label}"
            warm, code = run_checkout(checkout, corpus, out, cache, "--force")
            failed |= bool(code)
            outcomes = json.loads((out / "manifest.json").read_text())["notebooks"]
            bad = [e["name"] for e in outcomes if e["outcome"] != "ok"]
            failed |= bool(bad)
            print(
                f"{label}: warm run {i + 1} (--force) {warm:7.1f} s (exit {code})"
                + (f"; FAILED notebooks: {', '.join(bad)}" if bad else "")
            )
            warm_runs[label].append((warm, report_figures(out)))

    def medians(label: str) -> tuple[float, dict[str, tuple[float, int]]]:
        runs = warm_runs[label]
        names = runs[-1][1]
        return statistics.median(r[0] for r in runs), {
            name: (statistics.median(r[1][name][0] for r in runs), names[name][1]) for name in names
        }

    (s_total, static), (i_total, interactive) = medians("static"), medians("interactive")
    print(f"medians of {repeat} alternating warm run(s) per checkout:")
    print(
        f"{'report':24} {'static s':>9} {'interactive s':>14} {'ratio':>6} {'static MB':>10} {'page MB':>8}"
    )
    for name, (seconds, size) in interactive.items():
        s_seconds, s_size = static.get(name, (float("nan"), 0))
        print(
            f"{name:24} {s_seconds:9.1f} {seconds:14.1f} {seconds / s_seconds:6.2f} "
            f"{s_size / MB:10.2f} {size / MB:8.2f}"
        )
    n_static, n_inter = sum(v[0] for v in static.values()), sum(v[0] for v in interactive.values())
    ratio, whole = n_inter / n_static, i_total / s_total
    print(f"notebooks: static {n_static:.1f} s, interactive {n_inter:.1f} s, ratio {ratio:.3f}")
    print(f"whole command: static {s_total:.1f} s, interactive {i_total:.1f} s, ratio {whole:.3f}")
    biggest = max(size for _, size in interactive.values()) / MB
    print(
        f"largest page: {biggest:.2f} MB (target < {HTML_LIMIT_MB} MB: "
        f"{'met' if biggest < HTML_LIMIT_MB else 'NOT met'}); whole-command time ratio target "
        f"<= 1.10: {'met' if whole <= 1.10 else 'NOT met'}"
        + ("" if not failed else " (a run FAILED: the figures do not count)")
    )
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="*", default=[str(CHECKOUT / "seeds")])
    parser.add_argument("--out", type=Path, help="report folder (default: a temporary folder)")
    parser.add_argument("--limit", type=int, help="only the first N .txt files of the corpus")
    parser.add_argument(
        "--baseline", type=Path, help="another checkout (with .venv) to compare against"
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="alternating warm runs per checkout (--baseline)"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-reports-") as tmp:
        corpus = args.corpus
        if args.limit:
            corpus = limited_corpus(corpus, args.limit, Path(tmp) / "corpus")
        if args.baseline:
            return compare(corpus, args.baseline.resolve(), Path(tmp), args.repeat)
        out = args.out or Path(tmp) / "reports"
        first, code1 = run_report(corpus, out)
        before = json.loads((out / "manifest.json").read_text())
        second, code2 = run_report(corpus, out)
        manifest = json.loads((out / "manifest.json").read_text())
        figures = report_figures(out)
    reused = [e["name"] for e in manifest["notebooks"] if e["reused"]]
    rerun = [e["name"] for e in manifest["notebooks"] if not e["reused"]]
    print(f"corpus: {', '.join(args.corpus)} ({manifest['corpus']['n_files']} files)")
    for name, (seconds, size) in figures.items():
        print(f"  {name:24} {seconds:7.1f} s  {size / MB:6.2f} MB")
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
