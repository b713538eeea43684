"""Peak resident memory of a process tree, sampled while it runs (shared by the benchmarks)."""

from __future__ import annotations

import contextlib
import subprocess
import threading

import psutil


def communicate_with_peak_rss(
    proc: subprocess.Popen, interval: float = 0.05
) -> tuple[str, str, float]:
    """Wait for ``proc`` like ``communicate()``; also return the peak RSS of it and its children (MiB).

    Benchmarks compare memory across runs, so the whole tree counts: worker processes included.
    """
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        try:
            root = psutil.Process(proc.pid)
        except psutil.Error:
            return
        while not done.is_set():
            with contextlib.suppress(psutil.Error):
                rss = 0
                for p in [root, *root.children(recursive=True)]:
                    with contextlib.suppress(psutil.Error):
                        rss += p.memory_info().rss
                peak = max(peak, rss)
            done.wait(interval)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    out, err = proc.communicate()
    done.set()
    thread.join()
    return out, err, peak / 2**20
