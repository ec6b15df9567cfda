"""Nothing a user owns is ever replaced: which folders a run may be saved to (mips.io.folders),
checked by `mips synthesize` before any training, and by `save_run` again."""

from __future__ import annotations

import os
import tempfile

import pytest

from mips.cli import main
from mips.errors import OutputError
from mips.io.folders import (
    RUN_MARKER,
    check_bench_target,
    check_run_target,
    discard_run_folder,
    is_run_folder,
    mark_run_folder,
)


def _snapshot(folder):
    return {p.relative_to(folder): (p.read_bytes() if p.is_file() else None) for p in folder.rglob("*")}


def test_a_folder_with_a_users_file_is_left_untouched_and_nothing_trains(tmp_path, no_training, one_line_error):
    docs = tmp_path / "mydocs"
    docs.mkdir()
    (docs / "notes.txt").write_text("mine")
    before = _snapshot(tmp_path)
    assert main(["synthesize", "Current_Number", "--out", "mydocs"]) == 2
    one_line_error("mydocs", "notes.txt", "did not write")
    assert _snapshot(tmp_path) == before


def test_a_file_given_as_out_is_left_untouched(tmp_path, no_training, one_line_error):
    (tmp_path / "results.csv").write_text("a,b\n")
    assert main(["synthesize", "Current_Number", "--out", "results.csv"]) == 2
    one_line_error("results.csv", "is a file")
    assert (tmp_path / "results.csv").read_text() == "a,b\n"


@pytest.mark.parametrize(
    "out, fragment",
    [
        (".", "working folder"),
        ("..", "working folder"),
        ("/", "working folder"),
        ("results.csv/run", "is a file"),
        ("results.csv/deeper/run", "is a file"),
        ("/dev/null", "is a file"),
    ],
)
def test_unusable_out_is_one_line_before_training(tmp_path, no_training, one_line_error, out, fragment):
    (tmp_path / "results.csv").write_text("a,b\n")
    before = _snapshot(tmp_path)
    assert main(["synthesize", "Current_Number", "--out", out]) == 2
    one_line_error(fragment)
    assert _snapshot(tmp_path) == before


def test_a_symbolic_link_is_not_followed(tmp_path, no_training, one_line_error):
    target = tmp_path / "elsewhere"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    (tmp_path / "link").symlink_to(target)
    assert main(["synthesize", "Current_Number", "--out", "link"]) == 2
    one_line_error("symbolic link")
    assert (target / "keep.txt").read_text() == "mine"


def test_a_folder_that_cannot_be_written_in_is_one_line(tmp_path, no_training, one_line_error, monkeypatch):
    # As root, permissions do not stop a write, so the refusal is simulated where mips probes.
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkdtemp", refuse)
    assert main(["synthesize", "Current_Number", "--out", "sub/run"]) == 2
    one_line_error("cannot write in", "Permission denied")
    assert not (tmp_path / "sub").exists()


def test_a_new_an_empty_and_a_marked_run_folder_may_be_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    check_run_target(tmp_path / "new" / "run")
    (tmp_path / "empty").mkdir()
    check_run_target(tmp_path / "empty")
    run = tmp_path / "run"
    run.mkdir()
    mark_run_folder(run)
    (run / "program.py").write_text("")
    (run / "states.png").write_bytes(b"")
    check_run_target(run)
    assert is_run_folder(run)


def test_a_marked_run_folder_that_holds_a_users_file_is_not_replaced(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run = tmp_path / "run"
    run.mkdir()
    mark_run_folder(run)
    (run / "my-notes.md").write_text("mine")
    with pytest.raises(OutputError, match="my-notes.md"):
        check_run_target(run)
    assert not is_run_folder(run)
    with pytest.raises(OutputError):
        discard_run_folder(run)
    assert (run / "my-notes.md").read_text() == "mine"


def test_an_unmarked_folder_is_never_discarded(tmp_path):
    folder = tmp_path / "looks-like-a-run"
    folder.mkdir()
    (folder / "report.json").write_text("{}")
    with pytest.raises(OutputError, match=RUN_MARKER):
        discard_run_folder(folder)
    assert (folder / "report.json").exists()
    discard_run_folder(tmp_path / "absent")  # nothing there: nothing to do


def test_a_marked_run_folder_is_discarded(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    mark_run_folder(run)
    (run / "report.json").write_text("{}")
    discard_run_folder(run)
    assert not run.exists()


def test_a_bench_folder_must_be_new_empty_or_a_bench_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    check_bench_target(tmp_path / "bench")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").write_text("mine")
    with pytest.raises(OutputError, match="a.txt"):
        check_bench_target(tmp_path / "docs")
    (tmp_path / "file").write_text("")
    with pytest.raises(OutputError, match="is a file"):
        check_bench_target(tmp_path / "file")


def test_save_run_replaces_only_its_own_run_folder(tmp_path, monkeypatch):
    """save_run checks again (the folder may have changed since the command started)."""
    from mips.io.runs import _replace

    monkeypatch.chdir(tmp_path)
    staging = tmp_path / ".staging"
    staging.mkdir()
    mark_run_folder(staging)
    (staging / "report.json").write_text("new")
    target = tmp_path / "run"
    target.mkdir()
    (target / "mine.txt").write_text("mine")
    with pytest.raises(OutputError):
        _replace(staging, target)
    assert (target / "mine.txt").read_text() == "mine"
    os.remove(target / "mine.txt")
    mark_run_folder(target)
    (target / "report.json").write_text("old")
    _replace(staging, target)
    assert (target / "report.json").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # nothing left beside it
