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
