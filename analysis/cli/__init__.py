"""Command-line interface: one `main` shared by `python -m analysis` and the console script.

Each command lives in its own module of this package (``analysis.cli.load``, ...): the module
exposes ``register(subparsers)``, which adds its sub-command and sets ``func`` to a callable taking the parsed arguments and
returning the exit code. Exit codes: 0 success, 1 failure, 2 bad usage (argparse's own).
"""

from __future__ import annotations

import argparse
import faulthandler
import importlib
import os
import signal
import sys
import threading

#: Modules that contribute sub-commands, in the order `--help` lists them.
COMMAND_MODULES = (
    "analysis.cli.load",
    "analysis.cli.extract",
    "analysis.cli.report",
    "analysis.cli.sentiment",
    "analysis.cli.target",
    "analysis.cli.topics",
    "analysis.cli.stories",
    "analysis.cli.search",
)
#: Set to 1 to see the Python traceback of an unexpected error instead of a one-line message.
DEBUG_ENV = "NEWS_ANALYSIS_DEBUG"
#: Seconds the interpreter may take to shut down after an interrupt's clean-up has run.
SHUTDOWN_GRACE_S = 20.0


class CLIError(Exception):
    """A failure to report on stderr with exit code 1 (the message names the offending file)."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m analysis",
        description="Analyse collections of English news articles.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def _terminate(signum, frame):
    # SIGTERM unwinds like Ctrl-C, so every `finally` removes its temporary files and workers.
    raise KeyboardInterrupt(f"signal {signum}")


def _exit_now(signum, frame):
    sys.stderr.flush()
    os._exit(130)


def _end_after_grace() -> None:
    # After an interrupt every output is back as it was and every worker and kernel is gone;
    # what is left is the interpreter's own shutdown, which joins library threads (a notebook
    # run's event loop, an executor) that may wait on a kernel that no longer exists. Such a
    # wait must not keep the terminal: after the grace period the process ends as it would have.
    sys.stderr.write(f"still shutting down after {SHUTDOWN_GRACE_S:.0f} s; ending now\n")
    if os.environ.get(DEBUG_ENV):
        faulthandler.dump_traceback(all_threads=True)
    sys.stderr.flush()
    os._exit(130)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if argv is None and hasattr(signal, "SIGUSR1"):
        # `kill -USR1 PID` prints every thread's stack to stderr: where a long run is, or stuck.
        faulthandler.register(signal.SIGUSR1, all_threads=True)
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        return int(args.func(args) or 0)
    except CLIError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; the previous output is unchanged", file=sys.stderr)
        if argv is None:  # run as the program (not called from Python code)
            # The clean-up has run; a second Ctrl-C or SIGTERM while the interpreter shuts down
            # (joining a pool's threads) ends the process at once instead of a traceback.
            signal.signal(signal.SIGINT, _exit_now)
            signal.signal(signal.SIGTERM, _exit_now)
            watchdog = threading.Timer(SHUTDOWN_GRACE_S, _end_after_grace)
            watchdog.daemon = True  # never waited for itself; fires only if shutdown hangs
            watchdog.start()
        return 130
    except Exception as exc:  # never a traceback for the user: one line, and how to see more
        if os.environ.get(DEBUG_ENV):
            raise
        print(
            f"error: {args.command}: unexpected {type(exc).__name__}: {exc} "
            f"(set {DEBUG_ENV}=1 to see where)",
            file=sys.stderr,
        )
        return 1
    finally:
        if signal.getsignal(signal.SIGTERM) is _terminate:
            signal.signal(signal.SIGTERM, previous)
