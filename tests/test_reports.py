"""Tests for analysis.reports: registry, parameters, escaping, summaries, the runner and its outputs."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from importlib import metadata
from pathlib import Path

import nbformat
import pytest

from analysis import cli, config, files, reports
from analysis.reports import (
    ParameterError,
    ReportError,
    corpus_paths,
    escape,
    escape_markdown,
    parse_assignment,
    runner,
    show_table,
    write_summary,
)
from analysis.reports import html as report_html

XSS_HEADLINE = "<script>alert(1)</script>"
XSS_BODY = "<img src=x onerror=alert(1)>"


def make_notebook(path: Path, parameters: str, body: str) -> Path:
    """Write a small report notebook: a tagged parameters cell, then ``body``."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": config.REPORT_KERNEL_NAME,
        "language": "python",
        "display_name": "news-analysis",
    }
    params = nbformat.v4.new_code_cell(parameters)
    params.metadata["tags"] = ["parameters"]
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Test report"),
        params,
        nbformat.v4.new_code_cell(body),
    ]
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"c{i}"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


def build_seed_xss_report(tmp_path_factory) -> tuple[Path, Path, reports.RunResult]:
    """Run every project notebook on the seed plus the XSS fixture (once per session folder).

    A second call in the same session runs again into the same folder, which reuses
    everything; both the browser test and these tests use this.
    """
    base = tmp_path_factory.getbasetemp() / "seed-xss-report"
    corpus, out = base / "corpus", base / "out"
    if not corpus.exists():
        corpus.mkdir(parents=True)
        shutil.copy(config.SEEDS_DIR / "000_fbdc2a47216796c1.txt", corpus)
        shutil.copy(Path(__file__).parent / "fixtures" / "reports" / "xss_article.txt", corpus)
    import io

    log = io.StringIO()
    with pinned_package_fingerprint():
        result = reports.run_reports([corpus], out, progress=log)
    result.log = log.getvalue()
    return corpus, out, result


_HOSTILE_RUNS: dict[Path, tuple[Path, reports.RunResult]] = {}


def build_hostile_report(tmp_path_factory) -> tuple[Path, reports.RunResult]:
    """The seed and XSS report again, with :data:`HOSTILE` as two parameter values.

    Runs into a copy of the seed report's folder, so the notebooks that take neither
    parameter are reused: 04_topics shows ``group_column`` in its text, and 02 fails on
    ``co_mention_unit`` (an error page with the value in its traceback). Once per session.
    """
    import io

    corpus, seed_out, _ = build_seed_xss_report(tmp_path_factory)
    out = tmp_path_factory.getbasetemp() / "hostile-report" / "out"
    if out not in _HOSTILE_RUNS:
        shutil.rmtree(out, ignore_errors=True)
        shutil.copytree(seed_out, out)
        log = io.StringIO()
        params = {"group_column": HOSTILE, "co_mention_unit": HOSTILE}
        with pinned_package_fingerprint():
            result = reports.run_reports([corpus], out, params, progress=log)
        result.log = log.getvalue()
        _HOSTILE_RUNS[out] = (out, result)
    return _HOSTILE_RUNS[out]


def page_text(page: str) -> str:
    """The text a reader sees on an HTML page (no styles, no title), whitespace collapsed."""
    from html.parser import HTMLParser

    class Text(HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.parts, self.hidden = [], 0

        def handle_starttag(self, tag, attrs):
            self.hidden += tag in ("style", "title", "script")

        def handle_endtag(self, tag):
            self.hidden -= tag in ("style", "title", "script")

        def handle_data(self, data):
            if not self.hidden:
                self.parts.append(data)

    parser = Text()
    parser.feed(page)
    return " ".join("".join(parser.parts).split())


_PINNED: list[str] = []


def pinned_package_fingerprint():
    """Hold the package hash at its first value for the session.

    Other people edit the checkout while the tests run; a changed package rightly re-runs
    every notebook, which is not what the reuse tests are about.
    """
    from unittest import mock

    if not _PINNED:
        _PINNED.append(reports.package_fingerprint())
    return mock.patch.object(runner, "package_fingerprint", return_value=_PINNED[0])


# --- small pieces ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("n_topics=8", ("n_topics", 8)),
        ("threshold=0.25", ("threshold", 0.25)),
        ("flag=true", ("flag", True)),
        ("nothing=null", ("nothing", None)),
        ("method=nmf", ("method", "nmf")),
        ('quoted="8"', ("quoted", "8")),
        ("ids=[1, 2]", ("ids", [1, 2])),
        ("expr=a=b", ("expr", "a=b")),
        ("empty=", ("empty", "")),
        (" spaced =x", ("spaced", "x")),
    ],
)
def test_parse_assignment(text, expected):
    assert parse_assignment(text) == expected


@pytest.mark.parametrize("text", ["no_equals", "=3", "1x=2", "a-b=1"])
def test_parse_assignment_rejects(text):
    with pytest.raises(ParameterError, match="NAME=VALUE"):
        parse_assignment(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (XSS_HEADLINE, "&lt;script&gt;alert\\(1\\)&lt;/script&gt;"),
        (XSS_BODY, "&lt;img src=x onerror=alert\\(1\\)&gt;"),
        ("*bold* _it_", "\\*bold\\* \\_it\\_"),
        ("line\n\n# heading", "line \\# heading"),
        ("AT&T", "AT&amp;T"),
        ("https://x.org", "https\\://x\\.org"),
    ],
)
def test_escape_markdown(text, expected):
    assert escape_markdown(text) == expected


@pytest.mark.parametrize(
    "text",
    [XSS_HEADLINE, XSS_BODY, "*not bold* [not](a link) `not code`", "see https://x.org/a?b=1"],
)
def test_escape_markdown_renders_as_the_text(text):
    # Render with the Markdown renderer nbconvert uses for the HTML reports.
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    rendered = markdown2html_mistune(escape_markdown(text))
    assert (
        rendered == f"<p>{escape(text).replace('&#x27;', chr(39)).replace('&quot;', chr(34))}</p>\n"
    )
    assert "<a " not in rendered and "<script" not in rendered and "<img" not in rendered


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (XSS_HEADLINE, "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("a \"b\" 'c'", "a &quot;b&quot; &#x27;c&#x27;"),
        (None, ""),
    ],
)
def test_escape(text, expected):
    assert escape(text) == expected


def test_show_table_escapes_cells_and_aligns_numbers():
    import pandas as pd

    df = pd.DataFrame(
        {"headline": [XSS_HEADLINE, None], "n_words": [60, 626], "lede": [XSS_BODY, "x" * 500]}
    )
    page = show_table(df, max_chars=50).data
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<script" not in page and "<img" not in page
    assert "None" not in page  # missing values show as empty cells
    assert "x" * 49 + "…" in page and "x" * 50 not in page
    assert "td:nth-child(2)" in page  # n_words, the one numeric column, right-aligned


def test_show_table_says_when_rows_are_cut():
    import pandas as pd

    page = show_table(pd.DataFrame({"a": range(120)}), max_rows=10).data
    assert page.count("<td>") == 10
    assert "Showing 10 of 120 rows." in page


def test_write_summary_without_a_path_only_returns(monkeypatch, tmp_path):
    import numpy as np

    monkeypatch.delenv(config.REPORT_SUMMARY_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    got = write_summary({"n": np.int64(3), "share": np.float64(0.5), "missing": float("nan")})
    assert got == {"n": 3, "share": 0.5, "missing": None}
    assert list(tmp_path.iterdir()) == []


def test_write_summary_writes_where_the_runner_says(monkeypatch, tmp_path):
    import numpy as np
    import pandas as pd

    target = tmp_path / "sub" / "nb.summary.json"
    monkeypatch.setenv(config.REPORT_SUMMARY_ENV, str(target))
    summary = {
        "counts": pd.Series({"AFP": np.int64(2)}),
        "first": pd.Timestamp("2011-09-26"),
        "path": Path("seeds"),
    }
    write_summary(summary)
    assert json.loads(target.read_text()) == {
        "counts": {"AFP": 2},
        "first": "2011-09-26T00:00:00",
        "path": "seeds",
    }


def test_write_summary_names_what_it_cannot_write(tmp_path):
    with pytest.raises(TypeError, match="object is not JSON-serialisable"):
        write_summary({"bad": object()}, tmp_path / "s.json")


@pytest.mark.parametrize(
    ("corpus", "expected"),
    [
        ("seeds", [config.PROJECT_DIR / "seeds"]),
        (["seeds", "/data/x.jsonl"], [config.PROJECT_DIR / "seeds", Path("/data/x.jsonl")]),
        ("/abs/folder", [Path("/abs/folder")]),
    ],
)
def test_corpus_paths(corpus, expected):
    assert corpus_paths(corpus) == expected


def test_discover_lists_parameters_with_type_default_and_comment(tmp_path):
    folder = tmp_path / "nbs"
    make_notebook(
        folder / "01_first.ipynb",
        'corpus: str = "seeds"  # where the articles are\nn_top = 5  # rows shown\nflag: bool = False',
        "pass",
    )
    make_notebook(folder / "02_second.ipynb", "alpha: float = 0.5  # smoothing", "pass")
    (folder / "scratch.ipynb").write_text("{}")  # not NN_name: not a report
    found = reports.discover(folder)
    assert [nb.name for nb in found] == ["01_first", "02_second"]
    first = found[0].parameters
    assert [(p.name, p.type, p.default, p.help) for p in first.values()] == [
        ("corpus", "str", '"seeds"', "where the articles are"),
        ("n_top", "int", "5", "rows shown"),
        ("flag", "bool", "False", ""),
    ]
    listing = reports.format_listing(found)
    assert "01_first" in listing and "    n_top: int = 5  # rows shown" in listing
    assert "    alpha: float = 0.5  # smoothing" in listing


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"nope": 1}, "unknown parameter nope; the notebooks take: alpha, corpus, n_top"),
        ({"n_top": "ten"}, 'n_top="ten": 01_a.ipynb expects int'),
        ({"alpha": True}, "alpha=true: 02_b.ipynb expects float"),
    ],
)
def test_validate_parameters(tmp_path, params, message):
    folder = tmp_path / "nbs"
    make_notebook(folder / "01_a.ipynb", 'corpus = "seeds"\nn_top = 5', "pass")
    make_notebook(folder / "02_b.ipynb", "alpha = 0.5", "pass")
    with pytest.raises(ParameterError) as err:
        reports.validate_parameters(reports.discover(folder), params)
    assert message in str(err.value)


def test_validate_parameters_accepts_known_values(tmp_path):
    folder = tmp_path / "nbs"
    make_notebook(folder / "01_a.ipynb", "n_top = 5\nalpha = 0.5", "pass")
    reports.validate_parameters(reports.discover(folder), {"n_top": 3, "alpha": 1})


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"k": 8, "n": 3, "other": 1}, {"k": "8", "n": 3}),
        ({"k": "auto", "flag": True}, {"k": "auto", "flag": True}),
        ({"k": True}, {"k": "true"}),
        ({}, {}),
    ],
)
def test_notebook_parameters_keep_declared_types(tmp_path, params, expected):
    make_notebook(tmp_path / "01_a.ipynb", 'k: str = "auto"\nn: int = 5\nflag = False', "pass")
    (nb,) = reports.discover(tmp_path)
    assert reports.notebook_parameters(nb, params, None) == expected
    corpus = [Path("/c/one"), Path("/c/two")]
    make_notebook(tmp_path / "02_b.ipynb", 'corpus = "seeds"', "pass")
    nb2 = reports.discover(tmp_path)[1]
    assert reports.notebook_parameters(nb2, params, corpus) == {"corpus": ["/c/one", "/c/two"]}
    assert reports.notebook_parameters(nb2, params, corpus[:1]) == {"corpus": "/c/one"}


def test_corpus_fingerprint_lists_every_file(tmp_path):
    (tmp_path / "c" / "sub").mkdir(parents=True)
    a, b = tmp_path / "c" / "a.txt", tmp_path / "c" / "sub" / "b.jsonl"
    a.write_bytes(b"Headline\n\nBody. afp\n")
    b.write_bytes(b'{"text": "x"}\n')
    fp = reports.corpus_fingerprint([tmp_path / "c"])
    assert [(Path(f["path"]).name, f["size"], f["sha256"]) for f in fp["files"]] == [
        ("a.txt", 20, hashlib.sha256(a.read_bytes()).hexdigest()),
        ("b.jsonl", 14, hashlib.sha256(b.read_bytes()).hexdigest()),
    ]
    assert (fp["n_files"], fp["n_bytes"]) == (2, 34)
    b.write_bytes(b'{"text": "y"}\n')  # same size, new content: new fingerprint
    assert reports.corpus_fingerprint([tmp_path / "c"])["sha256"] != fp["sha256"]
    with pytest.raises(ReportError, match="missing: corpus path not found"):
        reports.corpus_fingerprint([tmp_path / "missing"])


def test_install_kernel_points_at_this_interpreter(tmp_path):
    import sys

    folder = reports.install_kernel(tmp_path)
    spec = json.loads((folder / "kernel.json").read_text())
    assert folder == tmp_path / "kernels" / config.REPORT_KERNEL_NAME
    assert spec["argv"][:3] == [sys.executable, "-m", "ipykernel_launcher"]


def test_export_html_is_self_contained_and_hides_code(tmp_path):
    import base64

    png = base64.b64encode(
        bytes.fromhex(
            "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
            "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e5270ede0000000049454e44ae426082"
        )
    ).decode()
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("secret_code_marker = 1")
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stderr", text="loading: 50%|#####     | noise\n"),
        nbformat.v4.new_output("stream", name="stdout", text="printed for the reader\n"),
        nbformat.v4.new_output("display_data", data={"image/png": png, "text/plain": "fig"}),
        nbformat.v4.new_output(
            "display_data", data={"text/html": show_table(_xss_frame()).data, "text/plain": "t"}
        ),
    ]
    nb.cells = [nbformat.v4.new_markdown_cell("# Title"), cell]
    src = tmp_path / "r.ipynb"
    nbformat.write(nb, str(src))
    page = reports.export_html(src, tmp_path / "r.html").read_text()
    assert "secret_code_marker" not in page
    assert "loading: 50%" not in page and "printed for the reader" in page
    assert "data:image/png;base64," in page
    assert reports.remote_resources(page) == []
    assert "<script" not in page  # the lab template's require.js, MathJax and Mermaid are gone
    assert 'http-equiv="Content-Security-Policy"' in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def _xss_frame():
    import pandas as pd

    return pd.DataFrame({"headline": [XSS_HEADLINE], "text": [XSS_BODY]})


def test_index_escapes_everything_it_shows():
    manifest = {
        "notebooks": [
            {
                "name": "01_x",
                "outcome": "failed",
                "reused": False,
                "error": XSS_BODY,
                "executed": {"duration_s": 1.25},
                "summary": {"headline": {XSS_HEADLINE: XSS_HEADLINE, "articles": 1234}},
            }
        ],
        "corpus": {"paths": ["<b>c</b>"], "n_files": 1, "n_bytes": 10, "sha256": "ab" * 32},
        "git": None,
        "started": "s",
        "ended": "e",
        "duration_s": 1.0,
        "outcome": "failed",
        "environment": {
            "project": {"version": "0.1.0"},
            "python": "3.11",
            "spacy_model": {"name": "m", "version": "1"},
        },
    }
    page = reports.build_index(manifest)
    assert "<script>" not in page and "<img" not in page and "<b>c" not in page
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 2
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and "1,234" in page


def test_unknown_parameter_is_an_error_before_anything_runs(tmp_path, capsys):
    out = tmp_path / "out"
    code = cli.main(["report", "--out", str(out), "-p", "no_such_parameter=1"])
    err = capsys.readouterr().err
    assert code == 2
    assert "unknown parameter no_such_parameter; the notebooks take: " in err
    assert "corpus" in err and not out.exists()
    assert not list(tmp_path.glob(".out.tmp-*"))


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["-p", 'columns={"texts": "body"}'], "unknown key 'texts'; the keys are text_column"),
        (["-p", 'columns={"text_column": 3}'], "text_column must name a column, got 3"),
        (["-p", "workers=-1"], "0 for every core"),
        (["-p", "columns=body"], "expects dict"),
    ],
)
def test_shared_parameters_are_checked_before_anything_runs(tmp_path, capsys, argv, message):
    out = tmp_path / "out"
    assert cli.main(["report", "--out", str(out), *argv]) == 2
    assert message in capsys.readouterr().err and not out.exists()


def test_workers_and_column_options_become_the_notebooks_parameters(tmp_path, monkeypatch):
    import analysis.reports.runner

    seen = {}

    def fake_run(corpus, out, parameters, **kwargs):
        seen.update(parameters)
        return analysis.reports.runner.RunResult(out=Path(out), manifest={}, failed=[])

    monkeypatch.setattr(analysis.reports.runner, "run_reports", fake_run)
    argv = ["report", "--out", str(tmp_path / "o"), "--workers", "1", "--text-column", "body"]
    assert cli.main([*argv, "-p", 'columns={"date_column": "when"}']) == 0
    assert seen == {"workers": 1, "columns": {"date_column": "when", "text_column": "body"}}


def test_list_prints_every_notebook_with_its_parameters(capsys):
    assert cli.main(["report", "--list"]) == 0
    listing = capsys.readouterr().out
    names = sorted(p.stem for p in config.NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))
    assert names and all(name in listing for name in names)
    assert "    corpus: str = " in listing


def test_refuses_to_replace_a_folder_that_is_not_a_report(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.docx").write_text("precious")
    with pytest.raises(files.OutputFolderError, match=r"mine: holds files .*\(thesis.docx\)"):
        reports.run_reports([config.SEEDS_DIR], out)
    assert (out / "thesis.docx").read_text() == "precious"


# --- runner on small notebooks -----------------------------------------------------------------


@pytest.fixture()
def tiny_notebooks(tmp_path):
    with pinned_package_fingerprint():
        yield _tiny_notebooks(tmp_path)


def _tiny_notebooks(tmp_path):
    """Three quick notebooks: two with their own parameter, one that fails on request."""
    folder = tmp_path / "nbs"
    write = "from analysis.reports import write_summary\nwrite_summary({'value': %s, 'n': len(str(corpus))})"
    make_notebook(
        folder / "01_alpha.ipynb", 'corpus = "seeds"\nalpha = 1  # first', write % "alpha"
    )
    make_notebook(
        folder / "02_beta.ipynb",
        "beta = 10  # second",
        write.replace(", 'n': len(str(corpus))", "") % "beta",
    )
    make_notebook(
        folder / "03_gamma.ipynb",
        "fail = False  # raise on purpose",
        "if fail:\n    raise ValueError('deliberate failure for the test')\n"
        "from analysis.reports import write_summary\nwrite_summary({'value': 3})",
    )
    return folder


def _entries(manifest):
    return {e["name"]: e for e in manifest["notebooks"]}


@pytest.mark.slow
@pytest.mark.notebook
def test_changed_parameter_reruns_only_the_notebooks_that_take_it(
    tiny_notebooks, tmp_path, monkeypatch
):
    out = tmp_path / "out"
    first = reports.run_reports([config.SEEDS_DIR], out, notebooks_dir=tiny_notebooks)
    assert first.failed == []
    assert {
        n: (e["reused"], e["summary"]["value"]) for n, e in _entries(first.manifest).items()
    } == {"01_alpha": (False, 1), "02_beta": (False, 10), "03_gamma": (False, 3)}

    second = reports.run_reports(
        [config.SEEDS_DIR], out, {"alpha": 2}, notebooks_dir=tiny_notebooks
    )
    got = {n: (e["reused"], e["summary"]["value"]) for n, e in _entries(second.manifest).items()}
    assert got == {"01_alpha": (False, 2), "02_beta": (True, 10), "03_gamma": (True, 3)}
    assert json.loads((out / "01_alpha.summary.json").read_text())["value"] == 2
    assert _entries(second.manifest)["01_alpha"]["parameters"]["alpha"] == 2

    third = reports.run_reports([config.SEEDS_DIR], out, {"alpha": 2}, notebooks_dir=tiny_notebooks)
    assert all(e["reused"] for e in third.manifest["notebooks"])
    # a new notebook file (same name) re-runs that notebook alone
    nb = tiny_notebooks / "02_beta.ipynb"
    nb.write_text(nb.read_text().replace("beta = 10", "beta = 11"))
    fourth = reports.run_reports(
        [config.SEEDS_DIR], out, {"alpha": 2}, notebooks_dir=tiny_notebooks
    )
    got = {n: (e["reused"], e["summary"]["value"]) for n, e in _entries(fourth.manifest).items()}
    assert got == {"01_alpha": (True, 2), "02_beta": (False, 11), "03_gamma": (True, 3)}
    # changed package code re-runs everything
    monkeypatch.setattr(runner, "package_fingerprint", lambda: "another version of the code")
    fifth = reports.run_reports([config.SEEDS_DIR], out, {"alpha": 2}, notebooks_dir=tiny_notebooks)
    assert not any(e["reused"] for e in fifth.manifest["notebooks"])


@pytest.mark.slow
@pytest.mark.notebook
def test_failing_notebook_keeps_its_outputs_and_exits_1(tiny_notebooks, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "README.md").write_text("generated reports live here\n")
    code = cli.main(
        [
            "report",
            "--notebooks",
            str(tiny_notebooks),
            "--corpus",
            str(config.SEEDS_DIR),
            "--out",
            str(out),
            "-p",
            "fail=true",
        ]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert "1 report notebook(s) failed: 03_gamma" in err
    assert "report: [3/3] 03_gamma: failed in" in err
    assert "ValueError: deliberate failure for the test" in err
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["outcome"] == "failed" and manifest["failed"] == ["03_gamma"]
    entries = _entries(manifest)
    assert [entries[n]["outcome"] for n in ("01_alpha", "02_beta", "03_gamma")] == [
        "ok",
        "ok",
        "failed",
    ]
    page = (out / "03_gamma.html").read_text()
    assert "deliberate failure for the test" in page and "ValueError" in page
    executed = nbformat.read(str(out / "03_gamma.ipynb"), as_version=4)
    errors = [
        o
        for c in executed.cells
        if c.cell_type == "code"
        for o in c.outputs
        if o.output_type == "error"
    ]
    assert errors and errors[0]["ename"] == "ValueError"
    assert not (out / "03_gamma.summary.json").exists()
    index = (out / "index.html").read_text()
    assert '<tr class="failed">' in index and "03_gamma.html" in index
    assert (out / "README.md").read_text() == "generated reports live here\n"
    # a failed notebook is never reused: fixed, it runs again; the others are reused
    assert (
        cli.main(
            [
                "report",
                "--notebooks",
                str(tiny_notebooks),
                "--corpus",
                str(config.SEEDS_DIR),
                "--out",
                str(out),
            ]
        )
        == 0
    )
    entries = _entries(json.loads((out / "manifest.json").read_text()))
    assert {n: e["reused"] for n, e in entries.items()} == {
        "01_alpha": True,
        "02_beta": True,
        "03_gamma": False,
    }


@pytest.mark.slow
@pytest.mark.notebook
def test_interrupted_run_leaves_the_previous_reports(tiny_notebooks, tmp_path, monkeypatch):
    out = tmp_path / "out"
    reports.run_reports([config.SEEDS_DIR], out, notebooks_dir=tiny_notebooks)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    real_execute = runner._execute
    calls = []

    def interrupted(nb, *args, **kwargs):
        calls.append(nb.name)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_execute(nb, *args, **kwargs)

    monkeypatch.setattr(runner, "_execute", interrupted)
    with pytest.raises(KeyboardInterrupt):
        reports.run_reports([config.SEEDS_DIR], out, notebooks_dir=tiny_notebooks, force=True)
    # Notebooks run side by side (two cores or more), so the third may have started too; the
    # runner starts them longest first by their last times, so any two may come first.
    assert len(set(calls[:2])) == 2 and set(calls) <= {"01_alpha", "02_beta", "03_gamma"}
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nbs", "out"]  # no temporary folder


@pytest.mark.slow
@pytest.mark.notebook
def test_notebooks_run_side_by_side_and_each_gets_its_own_summary(tmp_path):
    """Two notebooks that each wait for the other to start: one after the other they time out.

    With ``workers=1`` they run one at a time, so the first waits in vain and fails, and the
    run still ends with both pages.
    """
    folder, flags = tmp_path / "nbs", tmp_path / "flags"
    flags.mkdir()
    wait = (
        "import pathlib, time\n"
        "flags = pathlib.Path(%r)\n"
        "(flags / %r).touch()\n"
        "deadline = time.monotonic() + 40\n"
        "while not (flags / %r).exists():\n"
        "    assert time.monotonic() < deadline, 'the other notebook never started'\n"
        "    time.sleep(0.1)\n"
        "import os\nfrom analysis.reports import write_summary\n"
        "write_summary({'value': %d, 'cwd': os.getcwd()})"
    )
    make_notebook(folder / "01_a.ipynb", "workers = 0", wait % (str(flags), "a", "b", 1))
    make_notebook(folder / "02_b.ipynb", "x = 0", wait % (str(flags), "b", "a", 2))
    here = os.getcwd()
    with pinned_package_fingerprint():
        both = reports.run_reports(
            [config.SEEDS_DIR], tmp_path / "out", {"workers": 2}, notebooks_dir=folder
        )
        assert both.failed == [], [e["error"] for e in both.manifest["notebooks"]]
        assert [e["summary"]["value"] for e in both.manifest["notebooks"]] == [1, 2]
        # Each kernel runs in the notebooks folder, and the caller's folder stays its own
        # (two notebooks at once must not race on the process's working folder).
        assert {e["summary"]["cwd"] for e in both.manifest["notebooks"]} == {str(folder)}
        assert os.getcwd() == here
        for p in flags.iterdir():
            p.unlink()
        one = reports.run_reports(
            [config.SEEDS_DIR], tmp_path / "out1", {"workers": 1}, notebooks_dir=folder, force=True
        )
    # Whichever started first (the runner starts the one that took longest last time) waited
    # in vain; the other then found its flag.
    (failed,) = one.failed
    entries = _entries(one.manifest)
    assert "never started" in entries[failed]["error"]
    assert [e["outcome"] for e in entries.values()].count("ok") == 1


@pytest.mark.slow
@pytest.mark.notebook
def test_the_notebook_that_took_longest_last_time_starts_first(tmp_path, monkeypatch):
    """With fewer kernels than notebooks, a slow notebook started last keeps one kernel busy
    after the others are done: the runner starts the notebooks by their last time, longest
    first, and the manifest keeps the notebooks' order."""
    monkeypatch.setattr(config, "CACHE_DIR", tmp_path / "cache")
    folder, log = tmp_path / "nbs", tmp_path / "started.txt"
    cell = (
        "import time\n"
        "with open(%r, 'a') as fh:\n"
        "    fh.write(%r + '\\n')\n"
        "time.sleep(%s)\n"
        "from analysis.reports import write_summary\nwrite_summary({'value': 1})"
    )
    for name, sleep in (("01_quick", 0), ("02_slow", 3), ("03_quick", 0)):
        make_notebook(folder / f"{name}.ipynb", "workers = 0", cell % (str(log), name, sleep))
    order = []
    with pinned_package_fingerprint():
        for force in (False, True):
            run = reports.run_reports(
                [config.SEEDS_DIR],
                tmp_path / "out",
                {"workers": 1},
                notebooks_dir=folder,
                force=force,
            )
            assert run.failed == []
            assert [e["name"] for e in run.manifest["notebooks"]] == [
                "01_quick",
                "02_slow",
                "03_quick",
            ]
            order.append(log.read_text().split())
            log.unlink()
    assert order[0] == ["01_quick", "02_slow", "03_quick"]  # never timed: as listed
    assert order[1][0] == "02_slow"


# --- the project's notebooks on the seed and the XSS fixture -------------------------------------


@pytest.fixture(scope="module")
def seed_xss_report(tmp_path_factory):
    return build_seed_xss_report(tmp_path_factory)


def _policy(page: str) -> str:
    """The Content-Security-Policy a page declares."""
    import re

    tag = re.search(r"<meta\b[^>]*Content-Security-Policy[^>]*>", page).group(0)
    return re.search(r'content="([^"]*)"', tag).group(1)


@pytest.mark.slow
@pytest.mark.notebook
def test_report_writes_every_file(seed_xss_report):
    corpus, out, result = seed_xss_report
    names = sorted(p.stem for p in config.NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))
    assert "01_corpus_overview" in names
    assert result.failed == [], [e.get("error") for e in result.manifest["notebooks"]]
    expected = {"index.html", "manifest.json"} | {
        f"{n}{ext}" for n in names for ext in (".ipynb", ".html", ".summary.json")
    }
    assert expected <= {p.name for p in out.iterdir()}
    index = (out / "index.html").read_text()
    for name in names:
        assert f'href="{name}.html"' in index
        page = (out / f"{name}.html").read_text()
        # The only scripts are the page's own (itables, plotly), each allowed by its hash.
        assert reports.remote_resources(page) == [] and reports.unsafe_markup(page) == []
        script_src = _policy(page).split("script-src")[1].split(";")[0]
        assert "http" not in _policy(page) and "'unsafe-inline'" not in script_src
        summary = json.loads((out / f"{name}.summary.json").read_text())
        assert isinstance(summary, dict) and summary


@pytest.mark.slow
@pytest.mark.notebook
def test_manifest_records_inputs_versions_and_timings(seed_xss_report):
    corpus, out, result = seed_xss_report
    m = json.loads((out / "manifest.json").read_text())
    files = {Path(f["path"]).name: f for f in m["corpus"]["files"]}
    assert sorted(files) == ["000_fbdc2a47216796c1.txt", "xss_article.txt"]
    for name, f in files.items():
        data = (corpus / name).read_bytes()
        assert (f["size"], f["sha256"]) == (len(data), hashlib.sha256(data).hexdigest())
    env = m["environment"]
    assert env["packages"]["pandas"] == metadata.version("pandas")
    assert env["packages"]["papermill"] == metadata.version("papermill")
    assert env["project"] == {"name": "analysis", "version": metadata.version("analysis")}
    from analysis.nlp import model_name

    assert env["spacy_model"]["name"] == model_name() and env["spacy_model"]["version"]
    assert m["seeds"]["default_seed"] == config.DEFAULT_SEED
    if shutil.which("git") and (config.PROJECT_DIR / ".git").exists():
        assert len(m["git"]["commit"]) == 40
    for e in m["notebooks"]:
        assert e["outcome"] == "ok" and e["executed"]["duration_s"] > 0
        assert e["executed"]["started"] <= e["executed"]["ended"]
        assert e["parameters"]["corpus"] == str(corpus.resolve()) or "corpus" not in e["parameters"]


@pytest.mark.slow
@pytest.mark.notebook
def test_corpus_overview_summary_and_escaping(seed_xss_report):
    from analysis.corpus import load_corpus

    corpus, out, _ = seed_xss_report
    s = json.loads((out / "01_corpus_overview.summary.json").read_text())
    articles, _ = load_corpus([corpus])
    assert (s["n_articles"], s["n_rejects"], s["n_duplicates"]) == (2, 0, 0)
    assert s["n_words_total"] == int(articles["n_words"].sum())
    assert 620 <= s["n_words_total"] - 60 <= 634  # the seed's 627 body words (±1%) + fixture's 60
    assert s["datelines"] == {"ISLAMABAD": 1, "LONDON": 1}
    assert s["agencies"] == {"AFP": 2}
    assert s["n_with_dateline"] == 2 and s["headline"]["articles"] == 2
    page = (out / "01_corpus_overview.html").read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert XSS_HEADLINE not in page and XSS_BODY not in page
    assert "Pakistan ‘won’t launch’ Haqqani offensive" in page
    assert "data:image/png;base64," in page  # the histogram, inline


@pytest.mark.slow
@pytest.mark.notebook
def test_progress_lines(seed_xss_report):
    _, _, result = seed_xss_report
    lines = result.log.splitlines()
    n = len(result.manifest["notebooks"])
    assert any(line.startswith(f"report: [1/{n}] 01_corpus_overview: ") for line in lines)
    # The corpus is parsed once, up front, when a notebook runs (the browser test may have
    # built this folder first, and then every notebook is reused and nothing is parsed).
    ran = not all(e["reused"] for e in result.manifest["notebooks"])
    assert any(line.startswith("report: features: ") for line in lines) == ran
    # The notebooks' wall time, side by side (less than the sum of their own times).
    assert any(line.startswith("report: notebooks: ") for line in lines) == ran
    assert lines[-2].startswith(f"report: {n} notebooks in ")
    assert lines[-1].startswith("report: open ") and lines[-1].endswith("index.html in a browser")


@pytest.mark.slow
@pytest.mark.notebook
def test_second_run_with_nothing_changed_reuses_everything(seed_xss_report, tmp_path_factory):
    _, out, first = seed_xss_report
    pages = {p.name: p.read_bytes() for p in out.glob("*.html") if p.name != "index.html"}
    _, _, second = build_seed_xss_report(tmp_path_factory)
    assert second.failed == []
    assert [e["reused"] for e in second.manifest["notebooks"]] == [True] * len(pages)
    assert "unchanged, reused previous output" in second.log
    assert {p.name: p.read_bytes() for p in out.glob("*.html") if p.name != "index.html"} == pages
    assert second.manifest["started"] >= first.manifest["started"]


# --- safe and sturdy: hostile input, other people's folders, full disks, interrupts -----------

#: A parameter value that tries everything: closing a code span, raw HTML that navigates,
#: re-bases links, runs script, Markdown links and images, entities and mathtext.
HOSTILE = (
    (Path(__file__).parent / "fixtures" / "reports" / "hostile_parameter.txt")
    .read_text(encoding="utf-8")
    .rstrip("\n")
)


def _cli_run(args, *, cwd=None, env=None, timeout=600):
    """Run ``python -m analysis ARGS`` in a subprocess and return it (stdout, stderr as text)."""
    import os
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-m", "analysis", *map(str, args)],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


@pytest.mark.parametrize(
    "manifest",
    [
        '{"schema": 1, "notebooks": [], "files": ["thesis.docx"]}',
        "[1, 2, 3]",
        "not json at all",
    ],
    ids=["their-json-object", "json-list", "garbage"],
)
def test_a_folder_with_someone_elses_manifest_is_refused(
    tmp_path, tiny_notebooks, manifest, capsys
):
    out = tmp_path / "theirs"
    out.mkdir()
    (out / "manifest.json").write_text(manifest)
    (out / "thesis.docx").write_text("precious")
    (out / "index.html").write_text("<p>their own page</p>")
    before = _tree(out)
    for extra in ([], ["--force"]):  # --force only means "execute everything"
        code = cli.main(["report", "--notebooks", str(tiny_notebooks), "--out", str(out), *extra])
        err = capsys.readouterr().err
        assert code == 1
        assert f"error: {out}: holds files this tool did not write" in err, err
        assert _tree(out) == before
    assert not list(tmp_path.glob(".theirs.*"))


def test_refusal_names_the_folder_and_the_option(tmp_path, tiny_notebooks, capsys):
    out = tmp_path / "theirs"
    out.mkdir()
    (out / "manifest.json").write_text("[1]")
    code = cli.main(["report", "--notebooks", str(tiny_notebooks), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 1
    assert f"error: {out}: holds files this tool did not write (manifest.json)" in err
    assert "Choose another --out" in err and "Traceback" not in err


def test_reports_of_an_older_version_are_refused_with_a_hint(tmp_path, tiny_notebooks):
    out = tmp_path / "old"
    out.mkdir()
    (out / "manifest.json").write_text('{"schema": 1, "notebooks": []}')
    (out / "index.html").write_text("old index")
    with pytest.raises(files.OutputFolderError, match="delete it and run again"):
        reports.run_reports([config.SEEDS_DIR], out, notebooks_dir=tiny_notebooks)
    assert (out / "index.html").read_text() == "old index"


@pytest.mark.parametrize("where", ["corpus", "inside", "parent"])
def test_never_writes_into_the_corpus(tmp_path, tiny_notebooks, where):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(config.SEEDS_DIR / "000_fbdc2a47216796c1.txt", corpus)
    out = {"corpus": corpus, "inside": corpus / "reports", "parent": tmp_path}[where]
    before = _tree(tmp_path)
    with pytest.raises(files.OutputFolderError, match="the tools never write into a corpus"):
        reports.run_reports([corpus], out, notebooks_dir=tiny_notebooks)
    assert _tree(tmp_path) == before and not (corpus / "reports").exists()


@pytest.mark.slow
@pytest.mark.notebook
def test_a_fresh_reports_folder_and_re_runs(tiny_notebooks, tmp_path):
    # The checkout's reports/ holds only README.md on a fresh clone; later runs find the marker.
    out = tmp_path / "reports"
    out.mkdir()
    (out / "README.md").write_text("generated reports live here\n")
    first = reports.run_reports([config.SEEDS_DIR], out, notebooks_dir=tiny_notebooks)
    assert first.failed == [] and files.is_output_folder(out)
    assert json.loads((out / files.MARKER).read_text())["kind"] == reports.OUTPUT_KIND
    (out / "notes.txt").write_text("mine, kept")  # a file added to the marked folder stays
    second = reports.run_reports([config.SEEDS_DIR], out, notebooks_dir=tiny_notebooks)
    assert all(e["reused"] for e in second.manifest["notebooks"])
    third = reports.run_reports([config.SEEDS_DIR], out, notebooks_dir=tiny_notebooks, force=True)
    assert not any(e["reused"] for e in third.manifest["notebooks"])
    assert (out / "README.md").read_text() == "generated reports live here\n"
    assert (out / "notes.txt").read_text() == "mine, kept"
    assert not list(tmp_path.glob(".reports.*"))


@pytest.mark.slow
@pytest.mark.notebook
@pytest.mark.parametrize(
    "damage",
    [
        lambda m: "[1, 2]",
        lambda m: "{broken",
        lambda m: json.dumps(
            {
                **m,
                "files": ["../outside.txt", *m["files"]],
                "notebooks": [
                    {**e, "files": ["../outside.txt", *e["files"]]} for e in m["notebooks"]
                ]
                + ["not an entry", {"name": 3}],
            }
        ),
    ],
    ids=["list", "not-json", "names-files-outside"],
)
def test_a_damaged_manifest_in_our_folder_is_not_trusted(tiny_notebooks, tmp_path, damage):
    out = tmp_path / "out"
    reports.run_reports([config.SEEDS_DIR], out, notebooks_dir=tiny_notebooks)
    (tmp_path / "outside.txt").write_text("not the runner's")
    manifest = json.loads((out / "manifest.json").read_text())
    (out / "manifest.json").write_text(damage(manifest))
    again = reports.run_reports([config.SEEDS_DIR], out, notebooks_dir=tiny_notebooks)
    assert again.failed == []
    assert not any(e["reused"] for e in again.manifest["notebooks"])
    assert not (out / "outside.txt").exists()
    assert (tmp_path / "outside.txt").read_text() == "not the runner's"


# --- paths that are not UTF-8 -------------------------------------------------------------------


def _non_utf8_corpus(tmp_path: Path) -> tuple[Path, Path]:
    import os

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    seed = config.SEEDS_DIR / "000_fbdc2a47216796c1.txt"
    odd = Path(os.fsdecode(bytes(corpus) + b"/caf\xe9.txt"))
    shutil.copy(seed, corpus)
    shutil.copy(seed, odd)
    return corpus, odd


def test_corpus_fingerprint_of_a_name_that_is_not_utf8(tmp_path):
    corpus, odd = _non_utf8_corpus(tmp_path)
    fp = reports.corpus_fingerprint([corpus])
    paths = [f["path"] for f in fp["files"]]
    assert paths == [str(corpus / "000_fbdc2a47216796c1.txt"), str(corpus / "caf\\xe9.txt")]
    json.dumps(fp, ensure_ascii=False).encode("utf-8")  # writable as it is
    digest = hashlib.sha256()
    for f in sorted(corpus.iterdir()):
        sha = hashlib.sha256(f.read_bytes()).hexdigest()
        digest.update(bytes(Path(f.name)) + f"\0{f.stat().st_size}\0{sha}\n".encode())
    assert fp["sha256"] == digest.hexdigest()


@pytest.mark.slow
@pytest.mark.notebook
def test_report_on_a_corpus_file_name_that_is_not_utf8(tmp_path, tiny_notebooks):
    corpus, _ = _non_utf8_corpus(tmp_path)
    out = tmp_path / "out"
    result = _cli_run(["report", "--notebooks", tiny_notebooks, "--corpus", corpus, "--out", out])
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    manifest = json.loads((out / "manifest.json").read_bytes().decode("utf-8"))
    assert [f["path"] for f in manifest["corpus"]["files"]] == [
        str(corpus / "000_fbdc2a47216796c1.txt"),
        str(corpus / "caf\\xe9.txt"),
    ]
    assert manifest["corpus"]["n_files"] == 2
    (out / "index.html").read_bytes().decode("utf-8")


def test_an_out_path_that_is_not_utf8_is_named(tmp_path, tiny_notebooks, capsys):
    import os

    out = os.fsdecode(bytes(tmp_path) + b"/r\xe9ports")
    code = cli.main(["report", "--notebooks", str(tiny_notebooks), "--out", out])
    err = capsys.readouterr().err
    assert code == 1
    assert f"{tmp_path}/r\\xe9ports: the path is not valid UTF-8" in err
    assert not Path(out).exists()


def test_a_corpus_path_that_is_not_utf8_is_named(tmp_path, tiny_notebooks, capsys):
    import os

    _, odd = _non_utf8_corpus(tmp_path)
    code = cli.main(
        [
            "report",
            "--notebooks",
            str(tiny_notebooks),
            "--corpus",
            os.fsdecode(odd),
            "--out",
            str(tmp_path / "out"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert "caf\\xe9.txt: the path is not valid UTF-8" in err
    assert not (tmp_path / "out").exists()


def test_write_summary_replaces_lone_surrogates(tmp_path):
    got = write_summary({"source": "caf\udce9.txt"}, tmp_path / "s.json")
    assert got == {"source": "caf\ufffd.txt"}
    assert json.loads((tmp_path / "s.json").read_text(encoding="utf-8")) == got


# --- escaping -----------------------------------------------------------------------------------


def _rendered(markdown: str, before: str = "", after: str = "") -> str:
    """Render like the HTML reports do; return the text between ``before`` and ``after``.

    Fails when the paragraph holds anything but that text: no tag, no link, no code span.
    """
    import html

    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    rendered = markdown2html_mistune(markdown)
    head, tail = f"<p>{before}", f"{after}</p>\n"
    assert rendered.startswith(head) and rendered.endswith(tail), rendered
    inner = rendered[len(head) : -len(tail)]
    assert "<" not in inner, rendered
    return html.unescape(inner)


_MARKDOWN_PIECES = [
    *"ab <>&\"'`*_{}[]()#+-.!|~:$\\=^%@/;\n\t09",
    "http://", "www.", "&amp;", "&#x41;", "<b>", "</b>", '<meta http-equiv="refresh">',
    "\\(", "$$", "```", "~~~", "1.", "- ", "> ", "    ", "[x]", "![a](b)", "<http://a.b>",
    "a@b.co", "<!--", "-->", "<![CDATA[", "===", "---",
]  # fmt: skip


def test_escape_markdown_shows_any_text_as_written():
    from hypothesis import given
    from hypothesis import strategies as st

    @given(st.lists(st.sampled_from(_MARKDOWN_PIECES), max_size=14).map("".join))
    def check(text):
        shown = " ".join(text.split())
        if shown:
            assert _rendered(escape_markdown(text)) == shown
        code = f"in {reports.markdown_code(text)} here"
        assert _rendered(code, "in <code>", "</code> here") == shown

    check()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x` <b>", "<code>x\\` &lt;b&gt;</code>"),
        ("", "<code></code>"),
        ("$x$", "<code>\\$x\\$</code>"),
    ],
)
def test_markdown_code(text, expected):
    assert reports.markdown_code(text) == expected


@pytest.mark.parametrize(
    "fragment",
    [
        '<meta http-equiv="refresh" content="0;url=index.html">',
        '<base href="https://example.org/">',
        "<script>alert(1)</script>",
        '<iframe src="index.html"></iframe>',
        '<object data="x.swf"></object>',
        '<embed src="x.swf">',
        '<form action="https://example.org/"><input name="q"><button>go</button></form>',
        "<img src=x onerror=alert(1)>",
        '<p onclick="alert(1)">click</p>',
        '<a href="javascript:alert(1)">link</a>',
        '<a href=" JaVaScRiPt:alert(1)">link</a>',
        '<svg><a xlink:href="javascript:alert(1)">x</a></svg>',
        '<link rel="stylesheet" href="https://example.org/x.css">',
        '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
        "<!-- <script>alert(1)</script> -->",
    ],
)
def test_sanitize_html_leaves_nothing_active(fragment):
    assert reports.unsafe_markup(fragment) or fragment.startswith("<!--")
    clean = reports.sanitize_html(f"<p>before</p>{fragment}<p>after</p>")
    assert reports.unsafe_markup(clean) == [], clean
    assert "before" in clean and "after" in clean


def test_sanitize_html_keeps_tables_styles_and_links():
    table = show_table(_xss_frame(), caption="<b>caption</b>").data
    assert reports.sanitize_html(table) == table  # show_table's output passes unchanged
    link = '<p><a href="https://example.org/" title="t">a link</a> <a href="#top">up</a></p>'
    assert reports.sanitize_html(link) == link


def test_unsafe_markup_accepts_a_report_page_template():
    page = report_html._error_page("01_x", "<meta http-equiv=refresh content=0>")
    assert reports.unsafe_markup(page) == []
    assert reports.unsafe_markup(page.replace("<h1>", "<h1 onclick=x>")) == ["<h1 onclick=...>"]


def test_export_html_drops_active_markup_from_outputs(tmp_path):
    from IPython.display import Markdown

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("hidden")
    cell.outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={"text/markdown": Markdown(f"Keyness needs `{HOSTILE}`").data, "text/plain": "m"},
        ),
        nbformat.v4.new_output("display_data", data={"text/html": HOSTILE, "text/plain": "h"}),
        nbformat.v4.new_output(
            "display_data", data={"application/javascript": "alert(1)", "text/plain": "js"}
        ),
        nbformat.v4.new_output(
            "display_data",
            data={"application/vnd.jupyter.widget-view+json": {"model_id": "x"}, "text/plain": "w"},
        ),
        nbformat.v4.new_output(
            "display_data", data={"text/vnd.mermaid": "graph TD; A-->B <script>", "text/plain": ""}
        ),
    ]
    nb.cells = [cell]
    src = tmp_path / "r.ipynb"
    nbformat.write(nb, str(src))
    page = reports.export_html(src, tmp_path / "r.html").read_text()
    assert reports.unsafe_markup(page) == []
    assert 'http-equiv="refresh"' not in page and "<base" not in page
    assert "alert(1)</script>" not in page
    assert "<img" not in page  # nothing embedded (a local file) or fetched
    assert reports.remote_resources(page) == []
    assert "Keyness needs" in page


@pytest.mark.parametrize("name", ["summary_path", "corpus"], ids=["an-output-path", "the-corpus"])
def test_parameters_the_runner_sets_are_refused(tmp_path, capsys, name):
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere.json"
    code = cli.main(["report", "--out", str(out), "-p", f"{name}={elsewhere}"])
    err = capsys.readouterr().err
    assert code == 2
    assert f"error: -p {name}=...: " in err and "not with -p" in err
    assert not out.exists() and not elsewhere.exists()


def test_listing_says_which_parameters_the_runner_sets(capsys):
    assert cli.main(["report", "--list"]) == 0
    listing = capsys.readouterr().out
    lines = [line for line in listing.splitlines() if line.strip().startswith("summary_path:")]
    assert lines and all("[set by the runner, not with -p]" in line for line in lines)


def test_a_parameter_that_is_not_utf8_is_refused(tmp_path, capsys):
    code = cli.main(["report", "--out", str(tmp_path / "out"), "-p", "group_column=a\udce9"])
    assert code == 2
    assert "group_column=" in capsys.readouterr().err


# --- relative paths, full disks, interrupts, stale temporary folders -----------------------------


@pytest.mark.slow
@pytest.mark.notebook
def test_relative_paths_are_relative_to_the_callers_folder(tmp_path):
    work = tmp_path / "work"
    nbs = work / "nbs"
    make_notebook(
        nbs / "01_where.ipynb",
        'corpus = "seeds"',
        "from analysis import config\nfrom analysis.reports import write_summary\n"
        "write_summary({'corpus': corpus, 'cache': str(config.CACHE_DIR)})",
    )
    make_notebook(
        nbs / "02_plain.ipynb",
        "n = 1",
        "from analysis.reports import write_summary\nwrite_summary({'n': n})",
    )
    (work / "corpus").mkdir()
    shutil.copy(config.SEEDS_DIR / "000_fbdc2a47216796c1.txt", work / "corpus")
    before = sorted(p.name for p in nbs.iterdir())
    result = _cli_run(
        ["report", "--notebooks", "nbs", "--corpus", "corpus", "--out", "myreports"],
        cwd=work,
        env={"NEWS_ANALYSIS_CACHE": "relcache"},
    )
    assert result.returncode == 0, result.stderr
    out = work / "myreports"
    manifest = json.loads((out / "manifest.json").read_text())
    assert [e["outcome"] for e in manifest["notebooks"]] == ["ok", "ok"]
    where = json.loads((out / "01_where.summary.json").read_text())
    assert where == {"corpus": str(work / "corpus"), "cache": str(work / "relcache")}
    assert sorted(p.name for p in nbs.iterdir()) == before  # no junk beside the notebooks
    assert sorted(p.name for p in work.iterdir()) == ["corpus", "myreports", "nbs", "relcache"]


def _fail_writes(monkeypatch, fragment: str) -> None:
    """Make every write whose temporary name contains ``fragment`` fail with ENOSPC."""
    import errno

    real_bytes, real_text = Path.write_bytes, Path.write_text

    def full(real):
        def write(self, *args, **kwargs):
            if fragment in self.name:
                raise OSError(errno.ENOSPC, "No space left on device", str(self))
            return real(self, *args, **kwargs)

        return write

    monkeypatch.setattr(Path, "write_bytes", full(real_bytes))
    monkeypatch.setattr(Path, "write_text", full(real_text))


@pytest.mark.slow
@pytest.mark.notebook
@pytest.mark.parametrize("where", ["index", "page", "papermill"])
def test_a_full_disk_is_a_clear_error_and_keeps_the_previous_reports(
    tiny_notebooks, tmp_path, monkeypatch, capsys, where
):
    import errno

    out = tmp_path / "out"
    reports.run_reports([config.SEEDS_DIR], out, notebooks_dir=tiny_notebooks)
    before = _tree(out)
    if where == "papermill":
        from papermill.iorw import LocalHandler

        def full(self, buf, path):
            raise OSError(errno.ENOSPC, "No space left on device", path)

        monkeypatch.setattr(LocalHandler, "write", full)
    else:
        _fail_writes(monkeypatch, {"index": ".index.html.", "page": ".02_beta.html."}[where])
    with pinned_package_fingerprint():
        code = cli.main(
            [
                "report",
                "--notebooks",
                str(tiny_notebooks),
                "--corpus",
                str(config.SEEDS_DIR),
                "--out",
                str(out),
                "--force",
            ]
        )
    err = capsys.readouterr().err
    assert code == 1, err
    assert f"error: {out}: no space left on the device" in err, err
    assert "the previous reports are unchanged" in err
    # Papermill's writes fail in whichever notebook writes first (they run side by side, the
    # longest first): the message names that notebook's file.
    named = {"index": "index.html", "page": "02_beta.html", "papermill": "_[a-z]+\\.ipynb"}
    assert re.search(named[where], err), err
    assert "Traceback" not in err
    assert _tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nbs", "out"]


def _kernels_of(pid: int) -> list:
    import psutil

    try:
        children = psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    found = []
    for child in children:
        try:
            if "ipykernel_launcher" in " ".join(child.cmdline()):
                found.append(child)
        except psutil.Error:
            continue
    return found


def _gone(process) -> bool:
    import psutil

    try:
        return process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


@pytest.mark.slow
@pytest.mark.notebook
@pytest.mark.parametrize("signum", ["SIGINT", "SIGTERM"])
def test_an_interrupt_kills_the_kernel_and_keeps_the_previous_reports(tmp_path, signum):
    import os
    import signal
    import subprocess
    import sys
    import time

    nbs = tmp_path / "nbs"
    make_notebook(
        nbs / "01_quick.ipynb",
        "n = 1",
        "from analysis.reports import write_summary\nwrite_summary({'n': n})",
    )
    for name in ("02_slow", "03_slow"):  # side by side on two cores: both kernels must go
        make_notebook(
            nbs / f"{name}.ipynb",
            "pause = 0  # seconds",
            "import time\ntime.sleep(pause)\n"
            "from analysis.reports import write_summary\nwrite_summary({'pause': pause})",
        )
    out = tmp_path / "out"
    args = [
        "-m",
        "analysis",
        "report",
        "--notebooks",
        str(nbs),
        "--corpus",
        str(config.SEEDS_DIR),
        "--out",
        str(out),
    ]
    first = subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stderr
    before = _tree(out)

    run = subprocess.Popen(
        [sys.executable, *args, "-p", "pause=300", "--force"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 300
        kernels = []
        expected = min(2, os.cpu_count() or 1)  # kernels at once: one per core
        # the slow notebooks' kernels: the first one's has come and gone
        while time.monotonic() < deadline and run.poll() is None:
            # 01_quick's page is written after its kernel has gone: kernels now are the slow ones
            kernels = (
                _kernels_of(run.pid) if list(tmp_path.glob(".out.tmp-*/01_quick.html")) else []
            )
            if len(kernels) >= expected:
                break
            time.sleep(0.5)
        assert len(kernels) >= expected, "the kernels of the slow notebooks never started"
        time.sleep(2)  # inside time.sleep(pause) by now
        os.kill(run.pid, getattr(signal, signum))
        try:
            _, err = run.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.kill(run.pid, signal.SIGUSR1)  # the command prints every thread's stack
            time.sleep(2)
            run.kill()
            _, err = run.communicate()
            raise AssertionError(f"the report did not stop within 60 s:\n{err[-6000:]}") from None
    finally:
        if run.poll() is None:
            run.kill()
            run.communicate()
    assert run.returncode == 130, err
    assert "interrupted; the previous output is unchanged" in err
    assert "Traceback" not in err
    assert "Kernel died" not in err, err  # nbclient's line about the kernels the runner killed
    deadline = time.monotonic() + 10
    while not all(_gone(k) for k in kernels) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert all(_gone(k) for k in kernels), "the kernel outlived the run"
    assert _tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nbs", "out"]


@pytest.mark.slow
@pytest.mark.notebook
def test_temporary_folders_of_dead_runs_are_removed(tiny_notebooks, tmp_path):
    import os
    import subprocess

    dead = subprocess.Popen(["true"])
    dead.wait()
    out = tmp_path / "out"
    stale = [tmp_path / f".out.tmp-{dead.pid}-0123abcd", tmp_path / f".out.old-{dead.pid}-4567ef01"]
    alive = tmp_path / f".out.tmp-{os.getppid()}-89abcdef"  # a run still going: kept
    for folder in [*stale, alive]:
        folder.mkdir()
        (folder / "index.html").write_text("half a run")
    reports.run_reports([config.SEEDS_DIR], out, notebooks_dir=tiny_notebooks)
    assert not any(p.exists() for p in stale)
    assert alive.is_dir()


def test_file_plumbing_has_one_home():
    # Atomic writes, swaps, stale folders, digests and JSON reading live in analysis.files.
    for name in (
        "_write_text_atomic",
        "_swap_in",
        "_remove_stale_temp_folders",
        "_pid_alive",
        "_sha256_file",
        "_digest",
        "_read_json",
        "_check_out_folder",
    ):
        for module in (reports, *_report_modules()):
            assert not hasattr(module, name), f"{module.__name__}.{name}"


@pytest.mark.slow
@pytest.mark.notebook
def test_hostile_parameter_values_are_shown_as_text(tmp_path_factory):
    out, result = build_hostile_report(tmp_path_factory)
    entries = _entries(result.manifest)
    assert result.failed == ["02_actors_and_quotes"], [e["error"] for e in entries.values()]
    assert "ValueError" in entries["02_actors_and_quotes"]["error"]
    assert entries["01_corpus_overview"]["reused"] and entries["03_sentiment"]["reused"]
    for page_path in sorted(out.glob("*.html")):
        page = page_path.read_text(encoding="utf-8")
        assert reports.unsafe_markup(page) == [], page_path.name
        assert reports.remote_resources(page) == [], page_path.name
        assert "<img src=x" not in page and "<iframe" not in page, page_path.name
    shown = " ".join(HOSTILE.split())
    topics = page_text((out / "04_topics.html").read_text(encoding="utf-8"))
    assert f"Keyness needs two groups in {shown}; this corpus has fewer." in topics
    assert HOSTILE.split("`")[1].strip() in page_text(
        (out / "02_actors_and_quotes.html").read_text(encoding="utf-8")
    )
    index = (out / "index.html").read_text(encoding="utf-8")
    assert reports.unsafe_markup(index) == [] and "&lt;meta http-equiv=" in index


# --- the package: one module per concern, every former name kept ---------------------------------

#: Every public name the former single module ``analysis/reports.py`` defined.
FORMER_NAMES = [
    "NOTEBOOK_PATTERN", "CORPUS_PARAMETER", "MANIFEST_NAME", "INDEX_NAME", "SUMMARY_SUFFIX",
    "MANIFEST_SCHEMA", "OUTPUT_KIND", "RUNNER_PARAMETERS", "CONTENT_SECURITY_POLICY",
    "ReportError", "ParameterError", "write_summary", "escape", "escape_markdown",
    "markdown_code", "show_table", "corpus_paths", "Parameter", "ReportNotebook", "discover",
    "format_listing", "parse_assignment", "validate_parameters", "corpus_fingerprint",
    "package_fingerprint", "environment_info", "git_info", "install_kernel", "export_html",
    "sanitize_html", "unsafe_markup", "remote_resources", "build_index", "RunResult",
    "notebook_parameters", "run_reports", "register",
    # project modules it imported, which callers reached through it
    "config", "files",
]  # fmt: skip

REPORT_MODULES = [
    "registry", "html", "notebook", "runner", "sections", "overview", "actors", "sentiment",
    "topics", "interactive", "charts",
]  # fmt: skip


def _report_modules():
    import importlib

    return [importlib.import_module(f"analysis.reports.{name}") for name in REPORT_MODULES]


@pytest.mark.parametrize("name", FORMER_NAMES)
def test_every_former_name_is_still_importable(name):
    import importlib

    namespace: dict = {}
    exec(f"from analysis.reports import {name}", namespace)
    value = namespace[name]
    assert value is getattr(reports, name)
    if name in ("config", "files"):
        assert value is importlib.import_module(f"analysis.{name}")
    else:  # the object itself, from the module that defines it now
        home = reports._EXPORTS[name]
        assert getattr(importlib.import_module(home), name) is value
        if callable(value) and hasattr(value, "__module__"):
            assert value.__module__ == home


def test_the_package_has_no_module_above_800_lines():
    folder = config.PACKAGE_DIR / "reports"
    sizes = {
        p.name: len(p.read_text(encoding="utf-8").splitlines())
        for p in [*folder.glob("*.py"), config.PACKAGE_DIR / "cli" / "report.py"]
    }
    assert {f"{m}.py" for m in REPORT_MODULES} | {"__init__.py", "report.py"} == set(sizes)
    assert max(sizes.values()) <= 800, sizes


def _loaded_after(statement: str, modules: list[str]) -> list[str]:
    """Run ``statement`` in a fresh interpreter; return which of ``modules`` it imported."""
    import subprocess
    import sys

    code = (
        f"import json, sys\n{statement}\n"
        f"print(json.dumps(sorted(m for m in {modules!r} if m in sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


HEAVY = ["papermill", "nbconvert", "bleach", "jupyter_client", "analysis.reports.runner"]


def test_notebook_helpers_import_without_the_runner():
    statement = (
        "from analysis.reports import show, show_table, write_summary, escape, escape_markdown, "
        "markdown_code, corpus_paths, headline, load_report_data, Section\n"
        "from analysis.reports import overview, actors, sentiment, topics"
    )
    assert _loaded_after(statement, HEAVY) == []
    # the check sees the runner when it is imported
    assert "analysis.reports.runner" in _loaded_after(
        "from analysis.reports import run_reports", HEAVY
    )


def test_the_report_command_module_imports_only_the_standard_library():
    heavy = [*HEAVY, "pandas", "numpy", "analysis.reports.registry", "analysis.reports.notebook"]
    assert _loaded_after("import analysis.cli.report", heavy) == []
    assert _loaded_after("import analysis.cli.report\nimport pandas", heavy) == ["numpy", "pandas"]


def test_the_cli_takes_the_report_command_from_its_own_module():
    from analysis.cli import COMMAND_MODULES, build_parser
    from analysis.cli import report as report_command

    assert "analysis.cli.report" in COMMAND_MODULES and "analysis.reports" not in COMMAND_MODULES
    args = build_parser().parse_args(["report", "--list", "-p", "top_n=3"])
    assert args.func is report_command._cmd_report and args.parameters == [("top_n", 3)]
    assert reports.register is report_command.register


# --- the report notebooks: thin, paired with a script ---------------------------------------------

REPORT_NOTEBOOKS = sorted(config.NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))
#: A parameter: an annotated literal with a comment (``report --list`` shows the comment).
_PARAMETER_LINE = re.compile(r"^[a-z_][a-z0-9_]*: (str|int|float|bool|dict|list) = \S.*  # \S.*$")


def _code_lines(nb) -> int:
    return sum(
        1
        for c in nb.cells
        if c.cell_type == "code"
        for line in c.source.splitlines()
        if line.strip()
    )


def test_the_four_reports_are_there():
    assert [p.stem for p in REPORT_NOTEBOOKS] == [
        "01_corpus_overview", "02_actors_and_quotes", "03_sentiment", "04_topics",
    ]  # fmt: skip
    # the paired scripts beside them are not reports
    found = reports.discover()
    assert [nb.path for nb in found] == REPORT_NOTEBOOKS


@pytest.mark.parametrize("path", REPORT_NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_a_thin_narrative(path):
    nb = nbformat.read(str(path), as_version=4)
    assert nb.metadata["kernelspec"] == {
        "name": "news-analysis",
        "display_name": "News analysis (.venv)",
        "language": "python",
    }
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code), "stored with outputs"
    tagged = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and tagged[0] is code[0]
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    header, *params = code[0].source.splitlines()
    assert header.startswith("# Parameters") and params
    assert all(_PARAMETER_LINE.match(line) for line in params), params
    # one import cell, right after the parameters
    importing = [i for i, c in enumerate(code) if re.search(r"^(import|from) ", c.source, re.M)]
    assert importing == [1]
    source = "\n".join(c.source for c in code)
    assert not re.search(r"^\s*(def|class|for|while|if|try|with)\b", source, flags=re.M)
    assert '"headline":' not in source  # summaries come from the package
    assert _code_lines(nb) <= 60
    # after the import and load cells, every code cell follows prose and calls the package once
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and code.index(cell) > 2:
            assert nb.cells[i - 1].cell_type == "markdown", cell.source
            calls = re.findall(r"\b(?:overview|actors|sentiment|topics)\.\w+\(", cell.source)
            assert len(calls) == 1, cell.source


def test_notebooks_are_paired_with_percent_scripts():
    import tomllib

    settings = tomllib.loads((config.NOTEBOOKS_DIR / "jupytext.toml").read_text(encoding="utf-8"))
    assert settings["formats"] == "ipynb,py:percent"
    scripts = sorted(config.NOTEBOOKS_DIR.glob("[0-9][0-9]_*.py"))
    assert [p.stem for p in scripts] == [p.stem for p in REPORT_NOTEBOOKS]


@pytest.mark.parametrize("path", REPORT_NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_and_script_are_in_sync(path):
    import jupytext

    script = path.with_suffix(".py")
    hint = f"{script.name} differs from {path.name}: run jupytext --sync notebooks/*.ipynb"
    notebook, paired = jupytext.read(path), jupytext.read(script)

    def cells(nb):
        return [(c.cell_type, c.source, c.metadata.get("tags", [])) for c in nb.cells]

    assert cells(paired) == cells(notebook), hint
    assert paired.metadata["kernelspec"] == notebook.metadata["kernelspec"], hint


# --- the section layer --------------------------------------------------------------------------


def _shown(monkeypatch) -> list:
    """Record what :func:`analysis.reports.show` displays, instead of displaying it."""
    import IPython.display

    shown: list = []
    monkeypatch.setattr(IPython.display, "display", lambda obj: shown.append(obj))
    return shown


def test_show_renders_text_tables_figures_then_parts(monkeypatch):
    import pandas as pd
    from IPython.display import HTML, Markdown

    from analysis.reports import Section, show

    shown = _shown(monkeypatch)
    figure = object()
    section = Section(
        "All of it",
        text="**1** article",
        tables={"a": pd.DataFrame({"headline": [XSS_HEADLINE] * 3}), "b": pd.DataFrame({"n": [1]})},
        figures={"f": figure},
        parts=(Section("Part", empty="Nothing here."),),
        table_options={"a": {"max_rows": 2}},
    )
    assert show(section) is None
    kinds = [
        "HTML" if isinstance(o, HTML) else type(o).__name__ if o is not figure else "figure"
        for o in shown
    ]
    assert kinds == ["Markdown", "HTML", "HTML", "figure", "Markdown"]
    assert isinstance(shown[0], Markdown) and shown[0].data == "**1** article"
    assert isinstance(shown[1], HTML) and "&lt;script&gt;" in shown[1].data
    assert "Showing 2 of 3 rows." in shown[1].data  # the table's own options
    assert shown[4].data == "Nothing here."


def test_the_summary_table_shows_the_index_figures():
    from analysis.reports import headline, headline_figures

    summary = {
        "headline": {"topics": 4, "NPMI": 0.15812, "words": 12345, "mean": -3.5831, "top": "AFP"},
        "n_articles": 1,
    }
    table = headline(summary).tables["headline"]
    # a count stays whole beside a mean (a float column would show "4.000")
    assert table.values.tolist() == [
        ["topics", "4"], ["NPMI", "0.158"], ["words", "12,345"], ["mean", "-3.58"], ["top", "AFP"],
    ]  # fmt: skip
    assert [tuple(row) for row in table.values] == headline_figures(summary)
    assert report_html.headline_figures is headline_figures  # the index page shows the same


def test_report_data_derives_each_value_once():
    from analysis.reports import ReportData

    data = ReportData(paths=[], tables={"articles": "the table"})
    calls = []
    for _ in range(3):
        assert data.derived(("x", 1), lambda: calls.append(1) or "value") == "value"
    assert calls == [1]
    assert data["articles"] == "the table"
    with pytest.raises(KeyError, match="'quotes': the report loaded only articles"):
        data["quotes"]


@pytest.fixture(scope="module")
def xss_corpus(tmp_path_factory):
    corpus = tmp_path_factory.mktemp("xss_corpus")
    shutil.copy(config.SEEDS_DIR / "000_fbdc2a47216796c1.txt", corpus)
    shutil.copy(Path(__file__).parent / "fixtures" / "reports" / "xss_article.txt", corpus)
    return corpus


def test_the_overview_reads_no_feature_store(xss_corpus, monkeypatch):
    import analysis.store
    from analysis.reports import overview

    def no_store(*args, **kwargs):
        raise AssertionError("the overview parsed the corpus")

    monkeypatch.setattr(analysis.store, "feature_store", no_store)
    data = overview.load(str(xss_corpus))
    assert data.store is None and set(data.tables) == {"articles", "rejects", "stories"}
    summary = write_summary(overview.summary(data, top_n=15))
    assert (summary["n_articles"], summary["n_rejects"]) == (2, 0)
    assert summary["datelines"] == {"ISLAMABAD": 1, "LONDON": 1}
    assert summary["headline"] == {"articles": 2, "rejected inputs": 0, "words": 686, "dated": 0}


def test_overview_sections_escape_article_text(xss_corpus):
    from analysis.reports import overview

    data = overview.load(str(xss_corpus))
    longest = overview.lengths(data).parts[0].text
    assert longest.startswith("The longest article is *Pakistan ‘won’t launch’ Haqqani")
    table = overview.article_table(data, max_rows=5)
    assert XSS_HEADLINE in set(table.tables["articles"]["headline"])  # raw in the data...
    assert table.table_options["articles"] == {"max_rows": 5, "max_chars": 160}
    assert overview.rejected(data).empty == "No input was rejected."
    dates = overview.dates(data)
    assert dates.text == "**0** of 2 articles carry a publication date." and not dates.tables


def test_keyness_without_two_groups_says_so_in_escaped_text():
    import pandas as pd

    from analysis.reports import ReportData, topics

    data = ReportData(paths=[], tables={"articles": pd.DataFrame({"agency": ["AFP", "AFP"]})})
    section = topics.keyness(data, group_column="agency")
    assert (
        section.empty == "Keyness needs two groups in <code>agency</code>; this corpus has fewer."
    )
    hostile = topics.keyness(data, group_column=HOSTILE, group_a="x")  # no such column
    assert hostile.empty.startswith(f"Keyness needs two groups in {reports.markdown_code(HOSTILE)}")
    assert not hostile.figures


def test_prevalence_over_time_without_dates_says_so_instead_of_an_empty_chart():
    import matplotlib.pyplot as plt
    import pandas as pd

    from analysis.reports import ReportData, topics

    articles = pd.DataFrame(
        {
            "article_id": ["a", "b", "c", "d"],
            "text": [
                "war army shell war",
                "army war shell",
                "vote poll ballot",
                "poll vote ballot",
            ],
            "published": pd.to_datetime([None, None, None, None]),
        }
    )
    data = ReportData(paths=[], tables={"articles": articles}, options={"tokens": "whitespace"})
    model = topics.fit(data, n_topics="2", unit="article")
    section = topics.prevalence_over_time(data, model)
    assert section.empty == "No prevalence over time: 0 of 4 articles carry a publication date."
    assert not section.figures
    articles["published"] = pd.to_datetime(["2011-01-05", "2011-02-05", None, "2011-02-07"])
    dated = topics.prevalence_over_time(data, model)
    assert dated.empty is None and list(dated.figures) == ["prevalence"]
    plt.close("all")


def test_k_scores_is_an_interactive_curve_and_a_sentence_for_a_fixed_k():
    # A plotly chart like the report's other topic charts: the topics report draws nothing
    # with matplotlib, so its kernel never loads it.
    import pandas as pd

    from analysis.reports import ReportData, topics
    from analysis.reports.interactive import is_plotly_figure

    words = ["war army shell", "army war shell", "vote poll ballot", "poll vote ballot"]
    articles = pd.DataFrame(
        {"article_id": [f"a{i}" for i in range(16)], "text": [words[i % 4] for i in range(16)]}
    )
    data = ReportData(paths=[], tables={"articles": articles}, options={"tokens": "whitespace"})
    auto = topics.fit(data, n_topics="auto", unit="article")
    section = topics.k_scores(auto)
    assert section.empty is None and list(section.figures) == ["k_scores"]
    chart = section.figures["k_scores"]
    assert is_plotly_figure(chart)
    assert [list(t.x) for t in chart.data] == [auto.k_scores_["k"].tolist()] * 3
    assert list(chart.data[0].y) == auto.k_scores_["npmi"].tolist()
    assert [s.x0 for s in chart.layout.shapes] == [auto.n_topics_]  # the k kept
    fixed = topics.k_scores(topics.fit(data, n_topics="2", unit="article"))
    assert fixed.empty == "No curve: the number of topics was fixed at 2." and not fixed.figures


@pytest.mark.slow
@pytest.mark.notebook
@pytest.mark.parametrize("name", ["01_corpus_overview", "02_actors_and_quotes", "03_sentiment"])
def test_the_summary_function_gives_what_the_notebook_wrote(seed_xss_report, name):
    import importlib

    corpus, out, _ = seed_xss_report
    written = json.loads((out / f"{name}.summary.json").read_text(encoding="utf-8"))
    module = importlib.import_module(
        {"01": "analysis.reports.overview", "02": "analysis.reports.actors"}.get(
            name[:2], "analysis.reports.sentiment"
        )
    )
    data = module.load([str(corpus)])
    assert write_summary(module.summary(data)) == written


@pytest.mark.slow
@pytest.mark.notebook
def test_the_topics_summary_function_gives_what_the_notebook_wrote(seed_xss_report):
    from analysis.reports import topics

    corpus, out, _ = seed_xss_report
    written = json.loads((out / "04_topics.summary.json").read_text(encoding="utf-8"))
    data = topics.load(str(corpus))
    assert write_summary(topics.summary(data, topics.fit(data))) == written


def test_user_lists_are_found_beside_the_corpus_and_fingerprinted(tmp_path, seed_path):
    from analysis.reports import runner

    corpus = tmp_path / "news"
    corpus.mkdir()
    shutil.copy(seed_path, corpus / "a.txt")
    assert runner._user_lists([corpus], {}) == {}
    (corpus / "stopwords.txt").write_text("say\n")
    first = runner._user_lists([corpus], {})
    assert [e["path"] for e in first["stop_words"]] == [str(corpus / "stopwords.txt")]
    (corpus / "stopwords.txt").write_text("say\ntell\n")
    assert runner._user_lists([corpus], {}) != first  # an edit re-runs the reports using it
    given = tmp_path / "mine.txt"
    given.write_text("pakistan\n")
    chosen = runner._user_lists([corpus], {"stop_words": str(given)})
    assert [e["path"] for e in chosen["stop_words"]] == [str(given)]
    with pytest.raises(reports.ParameterError, match=r"-p stop_words=nope.txt: no such file"):
        runner._absolute_list_paths({"stop_words": "nope.txt"})


def test_topics_report_leaves_the_stop_words_out(tmp_path, seed_path):
    from analysis.reports import topics

    corpus = tmp_path / "news"
    corpus.mkdir()
    shutil.copy(seed_path, corpus / "a.txt")
    (corpus / "stopwords.txt").write_text("# mine\nPakistan\n")
    data = topics.load(corpus, workers=1)
    fitted = topics.fit(data, n_topics="2")
    assert "pakistan" not in fitted.vocabulary_
    assert "stopwords\\.txt</code>) are left out" in topics.model(data, fitted).text
    assert topics.summary(data, fitted)["stop_words"]["n_terms"] == 1
    # Without the file the term is there: the list is what removed it.
    (corpus / "stopwords.txt").unlink()
    plain = topics.load(corpus, workers=1)
    assert "pakistan" in topics.fit(plain, n_topics="2").vocabulary_


def test_the_runner_hands_its_pipeline_key_to_the_kernels(monkeypatch, tmp_path):
    # A kernel reading the store would otherwise walk every extractor's code again (3-5 s).
    from analysis import cache

    monkeypatch.setattr(config, "CACHE_DIR", tmp_path)  # no code key kept from another run
    cache.pipeline_key.cache_clear()
    monkeypatch.setenv(config.PIPELINE_KEY_ENV, "0123456789abcdef")

    def walked(*args, **kwargs):
        raise AssertionError("the code was walked although the runner gave the key")

    monkeypatch.setattr(cache.features, "code_key", walked)
    try:
        assert cache.pipeline_key() == "0123456789abcdef"
        with pytest.raises(AssertionError, match="walked"):  # another table set: its own key
            cache.pipeline_key(None, ("dates",))
    finally:
        cache.pipeline_key.cache_clear()


@pytest.mark.slow
@pytest.mark.notebook
def test_kernels_get_the_same_pipeline_key_the_runner_computed(tmp_path):
    import os

    from analysis.cache import pipeline_key

    nbs = tmp_path / "nbs"
    make_notebook(
        nbs / "01_key.ipynb",
        "n = 1",
        "import os\nfrom analysis.reports import write_summary\n"
        f"write_summary({{'key': os.environ.get({config.PIPELINE_KEY_ENV!r})}})",
    )
    assert config.PIPELINE_KEY_ENV not in os.environ
    result = reports.run_reports([config.SEEDS_DIR], tmp_path / "out", notebooks_dir=nbs)
    summary = json.loads((result.out / "01_key.summary.json").read_text(encoding="utf-8"))
    assert summary["key"] == pipeline_key()


def test_notebooks_start_reused_then_never_timed_store_readers_then_longest_first():
    from types import SimpleNamespace

    def nb(name, reads_store):
        return SimpleNamespace(name=name, takes=lambda p, r=reads_store: r and p == "workers")

    plan = [
        (nb("01_overview", False), {}, "k", None, False),
        (nb("02_actors", True), {}, "k", None, False),
        (nb("03_sentiment", True), {}, "k", None, False),
        (nb("04_topics", True), {}, "k", None, True),  # reused
        (nb("05_mine", True), {}, "k", None, False),
    ]
    order = runner._start_order(plan, {})
    assert [plan[i][0].name for i in order] == [
        "04_topics",
        "02_actors",
        "03_sentiment",
        "05_mine",
        "01_overview",
    ]
    times = {"02_actors": 4.5, "03_sentiment": 15.5, "01_overview": 3.1}
    order = runner._start_order(plan, times)
    assert [plan[i][0].name for i in order] == [
        "04_topics",
        "05_mine",
        "03_sentiment",
        "02_actors",
        "01_overview",
    ]
