"""The project folder: the checkout when run in place, else NEWS_ANALYSIS_HOME or the current folder."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import nbformat
import pytest

from analysis import config

CHECKOUT = Path(__file__).resolve().parents[1]
_PATHS = ["PROJECT_DIR", "SEEDS_DIR", "NOTEBOOKS_DIR", "REPORTS_DIR", "CACHE_DIR"]


def _python(args, *, cwd, pythonpath=None, env=None, timeout=600):
    """Run the interpreter in ``cwd`` with the package from ``pythonpath`` (default: installed)."""
    clean = {
        k: v for k, v in os.environ.items() if k not in (config.HOME_ENV, "NEWS_ANALYSIS_CACHE")
    }
    if pythonpath is not None:
        clean["PYTHONPATH"] = str(pythonpath)
    return subprocess.run(
        [sys.executable, *map(str, args)],
        cwd=cwd,
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _paths(*, cwd, pythonpath=None, env=None) -> dict[str, Path]:
    code = (
        "import json, analysis\nfrom analysis import config\n"
        f"print(json.dumps({{n: str(getattr(config, n)) for n in {_PATHS!r}}} "
        "| {'package': analysis.__file__}))"
    )
    result = _python(["-c", code], cwd=cwd, pythonpath=pythonpath, env=env)
    assert result.returncode == 0, result.stderr
    return {k: Path(v) for k, v in json.loads(result.stdout).items()}


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The package as a wheel installs it: a copy in a site folder, with the shipped folders.

    ``analysis/seeds`` and ``analysis/notebooks`` are links to the project's folders in the
    checkout; the wheel (package data) and this copy hold the files themselves.
    """
    site = tmp_path_factory.mktemp("site")
    skip = shutil.ignore_patterns("__pycache__", "models")  # models: not needed here, and large

    def ignore(folder: str, names: list[str]) -> set[str]:
        if Path(folder).name == "notebooks":  # package data: notebooks/*.ipynb only
            return {n for n in names if not n.endswith(".ipynb")}
        return skip(folder, names)

    # symlinks=False: the links become folders, as in a wheel
    shutil.copytree(config.PACKAGE_DIR, site / "analysis", symlinks=False, ignore=ignore)
    return site


def test_in_place_the_checkout_is_the_project(tmp_path):
    if os.environ.get(config.HOME_ENV):
        pytest.skip(f"{config.HOME_ENV} is set")
    assert config.PROJECT_DIR == CHECKOUT
    assert config.SEEDS_DIR == CHECKOUT / "seeds"
    assert config.NOTEBOOKS_DIR == CHECKOUT / "notebooks"
    assert config.REPORTS_DIR == CHECKOUT / "reports"
    # from any folder: the checkout, not the current folder
    paths = _paths(cwd=tmp_path)
    assert paths["PROJECT_DIR"] == CHECKOUT and paths["CACHE_DIR"] == CHECKOUT / ".cache"


def test_the_environment_variable_names_the_project(tmp_path):
    home = tmp_path / "project"
    (home / "seeds").mkdir(parents=True)
    paths = _paths(cwd=tmp_path, env={config.HOME_ENV: "project"})  # relative to the caller
    assert paths["PROJECT_DIR"] == home
    assert paths["SEEDS_DIR"] == home / "seeds"
    # a project without notebooks/ uses the ones shipped with the package
    assert paths["NOTEBOOKS_DIR"] == config.PACKAGE_DIR / "notebooks"
    assert paths["REPORTS_DIR"] == home / "reports" and paths["CACHE_DIR"] == home / ".cache"


def test_an_installed_package_works_in_the_current_folder(installed, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    paths = _paths(cwd=work, pythonpath=installed)
    assert paths["package"] == installed / "analysis" / "__init__.py"
    assert paths["PROJECT_DIR"] == work
    assert paths["REPORTS_DIR"] == work / "reports" and paths["CACHE_DIR"] == work / ".cache"
    # the folders shipped inside the package, while the current folder has none
    assert paths["SEEDS_DIR"] == installed / "analysis" / "seeds"
    assert paths["NOTEBOOKS_DIR"] == installed / "analysis" / "notebooks"
    shipped = sorted(p.name for p in paths["NOTEBOOKS_DIR"].iterdir())
    # the report notebooks and the explorer (package data: notebooks/*.ipynb)
    assert shipped == sorted(p.name for p in CHECKOUT.glob("notebooks/*.ipynb"))
    assert "explorer.ipynb" in shipped
    assert sorted(p.name for p in paths["SEEDS_DIR"].iterdir()) == sorted(
        p.name for p in (CHECKOUT / "seeds").iterdir()
    )
    # a folder of its own wins
    (work / "seeds").mkdir()
    (work / "notebooks").mkdir()
    paths = _paths(cwd=work, pythonpath=installed)
    assert paths["SEEDS_DIR"] == work / "seeds" and paths["NOTEBOOKS_DIR"] == work / "notebooks"


def test_the_wheel_ships_the_seeds_and_the_notebooks():
    package_data = tomllib.loads((CHECKOUT / "pyproject.toml").read_text())["tool"]["setuptools"]
    patterns = package_data["package-data"]["analysis"]
    assert "notebooks/*.ipynb" in patterns and "seeds/*" in patterns
    # in the checkout, the package's folders are the project's own (one copy of each)
    for name in ("notebooks", "seeds"):
        assert (config.PACKAGE_DIR / name).resolve() == (CHECKOUT / name).resolve()


def test_an_installed_package_lists_its_shipped_notebooks(installed, tmp_path):
    result = _python(["-m", "analysis", "report", "--list"], cwd=tmp_path, pythonpath=installed)
    assert result.returncode == 0, result.stderr
    shipped = installed / "analysis" / "notebooks"
    for path in sorted(CHECKOUT.glob("notebooks/[0-9][0-9]_*.ipynb")):
        assert f"{path.stem}  ({shipped / path.name})" in result.stdout


@pytest.mark.slow
@pytest.mark.notebook
def test_an_installed_package_runs_reports_in_the_current_folder(installed, tmp_path):
    work = tmp_path / "work"
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": config.REPORT_KERNEL_NAME,
        "language": "python",
        "display_name": "News analysis (.venv)",
    }
    params = nbformat.v4.new_code_cell('corpus = "seeds"')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [
        params,
        nbformat.v4.new_code_cell(
            "import analysis\nfrom analysis import config\nfrom analysis.reports import write_summary\n"
            "write_summary({'project': str(config.PROJECT_DIR), 'corpus': corpus,"
            " 'package': analysis.__file__})"
        ),
    ]
    (work / "notebooks").mkdir(parents=True)
    nbformat.write(nb, str(work / "notebooks" / "01_where.ipynb"))
    result = _python(["-m", "analysis", "report"], cwd=work, pythonpath=installed)
    assert result.returncode == 0, result.stderr
    summary = json.loads((work / "reports" / "01_where.summary.json").read_text())
    # the kernel runs in the notebooks folder, yet sees the caller's project folder
    assert summary == {
        "project": str(work),
        "corpus": str(installed / "analysis" / "seeds"),
        "package": str(installed / "analysis" / "__init__.py"),
    }
    assert sorted(p.name for p in work.iterdir()) == [".cache", "notebooks", "reports"]
