"""Output folders the tools own, atomic writes, stale temporary siblings."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from analysis import files


def test_new_and_empty_folders_are_accepted(tmp_path):
    assert files.check_output_folder(tmp_path / "new", kind="reports", option="--out")
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "README.md").write_text("kept\n")
    assert files.check_output_folder(tmp_path / "empty", kind="reports", option="--out")


def test_a_folder_with_other_files_is_refused_and_named(tmp_path):
    (tmp_path / "mine.txt").write_text("precious")
    with pytest.raises(files.OutputFolderError) as err:
        files.check_output_folder(tmp_path, kind="feature store", option="-o")
    assert str(tmp_path) in str(err.value) and "mine.txt" in str(err.value)
    assert "-o" in str(err.value)


def test_someone_elses_manifest_is_not_a_marker(tmp_path):
    (tmp_path / "manifest.json").write_text("[]")
    with pytest.raises(files.OutputFolderError):
        files.check_output_folder(tmp_path, kind="reports", option="--out")


def test_marked_folder_is_accepted_only_for_its_own_kind(tmp_path):
    (tmp_path / "x.parquet").write_text("ours")
    files.mark_output_folder(tmp_path, kind="feature store")
    assert files.check_output_folder(tmp_path, kind="feature store", option="-o")
    with pytest.raises(files.OutputFolderError, match="another command"):
        files.check_output_folder(tmp_path, kind="reports", option="--out")


@pytest.mark.parametrize("where", ["same", "inside", "parent"])
def test_the_corpus_is_never_an_output(tmp_path, where):
    corpus = tmp_path / "corpus"
    (corpus / "sub").mkdir(parents=True)
    (corpus / "a.txt").write_text("Headline\n\nText.\n")
    out = {"same": corpus, "inside": corpus / "sub" / "out", "parent": tmp_path}[where]
    files.mark_output_folder(tmp_path, kind="reports")  # even a marked parent holding it
    with pytest.raises(files.OutputFolderError, match="corpus"):
        files.check_output_folder(out, kind="reports", option="--out", inputs=[corpus])


def test_a_corpus_file_inside_the_output_is_refused(tmp_path):
    (tmp_path / "c.jsonl").write_text('{"text": "x"}\n')
    with pytest.raises(files.OutputFolderError, match="corpus"):
        files.check_output_folder(
            tmp_path, kind="reports", option="--out", inputs=[tmp_path / "c.jsonl"]
        )


def test_atomic_path_keeps_the_old_file_on_error(tmp_path):
    target = tmp_path / "t.txt"
    files.write_text(target, "old")
    with pytest.raises(RuntimeError), files.atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("boom")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["t.txt"]


def test_atomic_path_replaces_a_folder(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("old")
    with files.atomic_path(out) as tmp:
        tmp.mkdir()
        (tmp / "new.txt").write_text("new")
    assert sorted(p.name for p in out.iterdir()) == ["new.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_stale_siblings_of_dead_runs_are_removed(tmp_path):
    out = tmp_path / "out"
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    pid = int(dead.stdout)
    stale = tmp_path / f".out.tmp-{pid}-0123abcd"
    stale.mkdir()
    live = tmp_path / f".out.tmp-{os.getpid()}-0123abcd"
    live.mkdir()
    other = tmp_path / f".other.tmp-{pid}-0123abcd"
    other.mkdir()
    assert files.remove_stale(out) == [stale]
    assert live.exists() and other.exists() and not stale.exists()


def test_digest_ignores_key_order():
    assert files.digest({"a": 1, "b": [1, 2]}) == files.digest({"b": [1, 2], "a": 1})
    assert files.digest({"a": 1}) != files.digest({"a": 2})


def test_a_frame_digest_sees_the_middle_of_a_long_array_cell():
    import numpy as np
    import pandas as pd

    # numpy prints a long array as its ends around "...": two arrays that differ in the middle
    # once digested alike, so a kept table could be read back for other input.
    long = np.arange(3000)
    changed = long.copy()
    changed[1500] = -1
    assert str(long) == str(changed)
    frame = pd.DataFrame({"id": ["a"], "terms": [long]})
    assert files.frame_digest(frame) != files.frame_digest(frame.assign(terms=[changed]))
    assert files.frame_digest(frame) == files.frame_digest(frame.assign(terms=[long.copy()]))
    assert files.frame_digest(frame) != files.frame_digest(frame.assign(id=["b"]))
