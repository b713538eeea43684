"""The command-line layer: every command registered from analysis.cli, and --help stays light."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from analysis import cli

PACKAGE = Path(cli.__file__).resolve().parents[1]


def test_help_imports_no_heavy_library():
    code = (
        "import sys\n"
        "from analysis.cli import build_parser\n"
        "build_parser().format_help()\n"
        "print(sorted(m for m in ('pandas', 'numpy', 'sklearn', 'spacy', 'pyarrow') "
        "if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_every_command_module_lives_in_the_cli_package():
    assert all(name.startswith("analysis.cli.") for name in cli.COMMAND_MODULES)
    commands = cli.build_parser()._subparsers._group_actions[0].choices
    assert {"load", "extract", "report", "sentiment", "target-sentiment", "topics"} <= set(commands)


def test_argparse_only_under_the_cli_package():
    outside = []
    for path in PACKAGE.rglob("*.py"):
        if "cli" in path.relative_to(PACKAGE).parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            if "argparse" in names:
                outside.append(str(path.relative_to(PACKAGE)))
    assert outside == []


def test_an_interrupted_command_ends_even_if_a_library_thread_never_does():
    # After an interrupt's clean-up, the interpreter's shutdown joins every non-daemon thread;
    # a library thread stuck on a dead kernel would keep the terminal forever without the
    # grace period.
    code = (
        "import argparse, sys, threading\n"
        "from analysis import cli\n"
        "cli.SHUTDOWN_GRACE_S = 1.0\n"
        "threading.Thread(target=threading.Event().wait).start()\n"
        "def interrupted(args):\n"
        "    raise KeyboardInterrupt\n"
        "parser = argparse.ArgumentParser()\n"
        "parser.set_defaults(func=interrupted, command='test')\n"
        "cli.build_parser = lambda: parser\n"
        "sys.exit(cli.main())\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.returncode == 130, run.stderr
    assert "interrupted; the previous output is unchanged" in run.stderr
    assert "still shutting down after 1 s; ending now" in run.stderr
