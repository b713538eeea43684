"""Interrupting ``extract --workers 2``: time from signal to exit, surviving workers, temp folders.

Runs ``python -m analysis extract CORPUS -o OUT --workers 2 --no-cache`` the way a user does,
waits until its workers are busy, then sends Ctrl-C (SIGINT to the whole process group, as a
terminal does) or SIGTERM (to the command alone, as ``kill`` does), and reports:

- the seconds from the signal to the command's exit (target: back within 3 s) and its exit code;
- the processes it started that are still running after it exited (and their memory);
- temporary folders left beside ``OUT``; whether the previous ``OUT`` is byte for byte intact.

``--baseline CHECKOUT`` runs the same on another checkout (for example the main branch) in the
same session, so the figures compare on the same machine load. Survivors are killed after they
are counted, so the benchmark leaves nothing behind.

    .venv/bin/python benchmarks/bench_interrupt.py                       # ../shared/data/bbc_news/txt
    .venv/bin/python benchmarks/bench_interrupt.py --baseline /path/to/main/checkout --repeat 2
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = CHECKOUT.parent / "shared/data/bbc_news/txt"


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (read from /proc; psutil is not needed)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        fields = _stat(int(entry.name))
        if fields:
            parents[int(entry.name)] = int(fields[1])
    found, frontier = [], [pid]
    while frontier:
        current = frontier.pop()
        kids = [p for p, parent in parents.items() if parent == current]
        found += kids
        frontier += kids
    return found


def running(pid: int) -> bool:
    fields = _stat(pid)
    return fields is not None and fields[0] != "Z"


def rss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def tree_digest(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(folder)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def _as_in_a_terminal() -> None:
    # A job a script starts in the background inherits Ctrl-C ignored; a terminal's job does not.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def python_of(checkout: Path) -> str:
    venv = checkout / ".venv/bin/python"
    return str(venv) if venv.exists() else sys.executable


def run_once(checkout: Path, corpus: Path, how: str, args, scratch: Path) -> dict:
    """One interrupted run of ``checkout``'s extract; returns what it left behind."""
    out = scratch / f"out-{how}"
    small = scratch / "small"
    if not small.exists():
        small.mkdir()
        for src in sorted(corpus.rglob("*.txt"))[:2]:
            shutil.copy(src, small / src.name)
    python = python_of(checkout)
    # faulthandler: a run that does not exit is made to print where it is stuck (SIGABRT).
    env = dict(os.environ, PYTHONPATH=str(checkout), PYTHONFAULTHANDLER="1")
    # The previous output the interrupted run must leave intact.
    subprocess.run(
        [python, "-m", "analysis", "extract", str(small), "-o", str(out), "--workers", "1"]
        + ["--no-cache", "--tables", "dates"],
        cwd=checkout,
        env=env,
        check=True,
        capture_output=True,
    )
    before = tree_digest(out)
    command = [python, "-m", "analysis", "extract", str(corpus), "-o", str(out), "--no-cache"]
    command += ["--workers", str(args.workers), "--engine", args.engine]
    err_path = scratch / f"stderr-{how}.txt"
    with open(err_path, "w") as err:
        proc = subprocess.Popen(
            command,
            cwd=checkout,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,
            preexec_fn=_as_in_a_terminal,
        )
    deadline = time.monotonic() + args.startup_timeout
    while time.monotonic() < deadline:
        workers = [p for p in descendants(proc.pid) if "resource_tracker" not in cmdline(p)]
        if len(workers) >= args.workers or proc.poll() is not None:
            break
        time.sleep(0.1)
    time.sleep(args.delay)  # mid-run: chunks running and queued
    started = descendants(proc.pid)
    t0 = time.monotonic()
    if how == "ctrl-c":
        os.killpg(proc.pid, signal.SIGINT)  # a terminal's Ctrl-C reaches the whole group
    else:
        os.kill(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=args.exit_timeout)
        seconds = time.monotonic() - t0
        code = proc.returncode
    except subprocess.TimeoutExpired:
        seconds, code = args.exit_timeout, None  # a lower bound: it had not exited by then
        os.kill(proc.pid, signal.SIGABRT)  # faulthandler prints every thread's stack
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        dump = err_path.read_text(errors="replace").replace("\r", "\n").splitlines()
        stacks = "\n".join(ln for ln in dump if ln.startswith(("Thread", "Current", "  File")))
        print(f"  {checkout} did not exit; where it was stuck:\n{stacks}", file=sys.stderr)
    time.sleep(args.settle)
    survivors = [p for p in started if running(p)]
    memory = sum(rss_mib(p) for p in survivors)
    for p in survivors:  # counted; now leave nothing behind
        with contextlib.suppress(ProcessLookupError):
            os.kill(p, signal.SIGKILL)
    temps = sorted(p.name for p in out.parent.glob(f".{out.name}.*"))
    intact = out.is_dir() and tree_digest(out) == before
    for t in temps:
        shutil.rmtree(out.parent / t, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    return {
        "seconds": seconds,
        "exit": code,
        "survivors": len(survivors),
        "survivor_mib": memory,
        "temps": len(temps),
        "intact": intact,
        "stderr_tail": err_path.read_text(errors="replace")[-300:].strip().replace("\n", " | "),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--checkout", type=Path, default=CHECKOUT, help="checkout to measure")
    parser.add_argument("--baseline", type=Path, help="another checkout, measured in the same run")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--engine", choices=("local", "dask"), default="local")
    parser.add_argument("--signals", default="ctrl-c,sigterm", help="ctrl-c and/or sigterm")
    parser.add_argument("--delay", type=float, default=3.0, help="seconds after workers start")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--exit-timeout", type=float, default=120.0)
    parser.add_argument("--startup-timeout", type=float, default=300.0)
    parser.add_argument("--settle", type=float, default=2.0, help="seconds before counting")
    args = parser.parse_args(argv)
    if not args.corpus.exists():
        parser.error(f"{args.corpus}: no such corpus")
    checkouts = [("this", args.checkout.resolve())]
    if args.baseline:
        checkouts.append(("baseline", args.baseline.resolve()))
    print(
        f"corpus {args.corpus}; --workers {args.workers} --engine {args.engine}; "
        f"signal {args.delay:g}s after the workers start; target: exit within 3 s"
    )
    print(
        f"{'checkout':9} {'signal':8} {'exit':>5} {'seconds':>8} {'survivors':>9} "
        f"{'their MiB':>9} {'temps':>5} {'previous':>8}"
    )
    results: dict[tuple[str, str], list[dict]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-interrupt-") as tmp:
        for _ in range(args.repeat):
            for label, checkout in checkouts:
                for how in args.signals.split(","):
                    scratch = Path(tmp) / label
                    scratch.mkdir(exist_ok=True)
                    r = run_once(checkout, args.corpus, how, args, scratch)
                    results.setdefault((label, how), []).append(r)
                    shown = (
                        f"{r['seconds']:8.2f}"
                        if r["exit"] is not None
                        else "   >" + (f"{r['seconds']:.0f}".rjust(4))
                    )
                    print(
                        f"{label:9} {how:8} {r['exit']!s:>5} {shown} "
                        f"{r['survivors']:9d} {r['survivor_mib']:9.0f} {r['temps']:5d} "
                        f"{'intact' if r['intact'] else 'CHANGED':>8}",
                        flush=True,
                    )
    if args.repeat > 1 or args.baseline:
        print(
            "\nmedian seconds from signal to exit (a run that never exited counts as the timeout)"
        )
        for how in args.signals.split(","):
            line = f"  {how:8}"
            for label, _ in checkouts:
                runs = results[(label, how)]
                median = statistics.median(r["seconds"] for r in runs)
                hung = sum(r["exit"] is None for r in runs)
                line += f" {label} {'>=' if hung else ''}{median:.2f}s"
                line += f" ({hung} of {len(runs)} did not exit);" if hung else ";"
            if args.baseline:
                mine = statistics.median(r["seconds"] for r in results[("this", how)])
                base = statistics.median(r["seconds"] for r in results[("baseline", how)])
                line += f" ratio this/baseline {mine / base:.3f}"
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
