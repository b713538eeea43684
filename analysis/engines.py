"""Where chunks run: worker processes of this machine, or a Dask cluster; both give identical tables."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from analysis.store import ChunkResult

# --- engines --------------------------------------------------------------------------------------


def _chunks(articles: Iterable[dict], size: int) -> Iterator[list[dict]]:
    chunk: list[dict] = []
    for art in articles:
        chunk.append(art)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _run_local(
    chunks: Iterator[list[dict]], workers: int, window: int, **kwargs
) -> Iterator[ChunkResult]:
    """Yield chunk results in order from a process pool, with at most ``window`` chunks in flight.

    Closing the generator or an exception while it runs (Ctrl-C, SIGTERM) ends the workers at
    once: queued chunks are cancelled and running ones killed, instead of waiting for them.
    """
    if workers <= 1:
        for chunk in chunks:
            yield _process_chunk()(chunk, **kwargs)
        return
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    from analysis.nlp import load_nlp

    # Forked workers inherit the pipeline the parent loaded (copy-on-write), so they start at once;
    # the parent holds no ONNX session or thread pool that forking could break. Elsewhere, spawn.
    method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
    if method == "fork":
        load_nlp(kwargs.get("model"))
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=mp.get_context(method),
        initializer=_worker_init,
        initargs=(os.getpid(),),
    )
    try:
        yield from _windowed(lambda c: pool.submit(_process_chunk(), c, **kwargs), chunks, window)
    except BaseException:  # KeyboardInterrupt, GeneratorExit, or a failure in the parent
        _stop_pool(pool)
        raise
    pool.shutdown(wait=True)


def _worker_init(parent: int) -> None:
    """Set a worker up: the parent alone handles Ctrl-C and SIGTERM, and the worker dies with it."""
    # Ctrl-C reaches every process of the terminal's group; the parent stops the workers itself.
    # A forked worker inherits the command line's SIGTERM handler, which would only raise an
    # exception its task loop catches; the default action lets the parent end it at once.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _exit_with_parent(parent)


def _exit_with_parent(parent: int) -> None:
    """End this process when ``parent`` dies, even by SIGKILL, so no worker is left orphaned."""
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            libc = ctypes.CDLL(None, use_errno=True)
            # prctl(PR_SET_PDEATHSIG, SIGKILL): the kernel kills us when the parent exits.
            armed = libc.prctl(1, int(signal.SIGKILL), 0, 0, 0) == 0
        except (OSError, AttributeError):
            armed = False
        if armed:
            if os.getppid() != parent:  # the parent died before the request took effect
                os._exit(1)
            return

    def watch() -> None:  # elsewhere: poll; a changed parent id means the parent has gone
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _stop_pool(pool, grace: float = 2.0) -> None:
    """Cancel queued chunks and end the workers of ``pool`` now, killing any that lingers."""
    # ProcessPoolExecutor has no public way to end running workers before Python 3.14
    # (terminate_workers); shutdown() alone waits for every running and queued chunk.
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in processes:
        with contextlib.suppress(Exception):
            proc.terminate()
    deadline = time.monotonic() + grace
    for proc in processes:
        with contextlib.suppress(Exception):
            proc.join(max(0.0, deadline - time.monotonic()))
            if proc.is_alive():
                proc.kill()
                proc.join(1.0)


def _run_dask(
    chunks: Iterator[list[dict]], workers: int, window: int, scheduler: str | None, **kwargs
) -> Iterator[ChunkResult]:
    """Yield chunk results in order from Dask tasks on ``scheduler`` or a new LocalCluster.

    The client, and a LocalCluster this run started, are closed however the run ends (an
    interrupt included), so no Dask worker outlives it.
    """
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise RuntimeError(
            "the Dask engine needs the 'dask' extra: pip install 'analysis[dask]'"
        ) from exc
    client = cluster = None
    try:
        # An interrupt while the cluster starts would leave it half-made and unclosable (Dask's
        # exit hook then fails with a traceback): it waits until both objects exist.
        with _signals_held():
            if scheduler:
                client = Client(scheduler)
            else:
                cluster = LocalCluster(
                    n_workers=max(1, workers),
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                )
                client = Client(cluster)
        n = max(1, len(client.scheduler_info().get("workers", {})) or workers)
        yield from _windowed(
            lambda c: client.submit(_process_chunk(), c, pure=False, **kwargs),
            chunks,
            max(window, 2 * n),
        )
    finally:
        if cluster is not None:
            with contextlib.suppress(Exception):
                cluster.close()
        if client is not None:
            with contextlib.suppress(Exception):
                client.close()


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Run the block undisturbed by Ctrl-C and SIGTERM (a SIGTERM is raised after the block).

    A SIGTERM that arrives meanwhile becomes ``KeyboardInterrupt`` once the block ends. Ctrl-C
    is ignored meanwhile: processes started in the block (Dask's workers) inherit that,
    so Ctrl-C, which the terminal sends to every process of the group, cannot kill one half
    started (the cluster would then fail to start, or be left half-made); the parent alone
    stops them. A Ctrl-C pressed in the block is lost; one pressed after it stops the run.
    """
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread can set signal handlers
        return
    caught: list[int] = []
    previous = {
        signal.SIGINT: signal.signal(signal.SIGINT, signal.SIG_IGN),
        signal.SIGTERM: signal.signal(signal.SIGTERM, lambda signum, frame: caught.append(signum)),
    }
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if caught:
        raise KeyboardInterrupt(f"signal {caught[0]}")


def _windowed(submit: Callable, chunks: Iterator[list[dict]], window: int) -> Iterator[ChunkResult]:
    # Keep the workers busy (several chunks queued each) without reading the whole corpus ahead.
    pending: deque = deque()
    for chunk in chunks:
        pending.append(submit(chunk))
        if len(pending) >= window:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def _process_chunk():
    # Imported on use: the store imports this module.
    from analysis.store import process_chunk

    return process_chunk
