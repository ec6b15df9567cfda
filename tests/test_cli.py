"""The command line, called in-process through `mips.cli.main`.

Only paths that stop before training are exercised here.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from task_files import RUNNING_MAX

from mips import tasks
from mips.cli import main, resolve_task
from mips.errors import TaskError

VALID_TASK = "\n".join(RUNNING_MAX.values()) + "\n"  # the running-max task file of task_files.py

# Bad task and data files: (file name, contents). All fail before training.
BAD_FILES = {
    "missing-NAME": ("task.py", VALID_TASK.replace('NAME = "Running_Max"', "")),
    "LENGTH-zero": ("task.py", VALID_TASK.replace("LENGTH = 6", "LENGTH = 0")),
    "two-problems": (
        "task.py",
        VALID_TASK.replace("LENGTH = 6", "LENGTH = 0").replace("INPUT_DIM = 1", 'INPUT_DIM = "x"'),
    ),
    "syntax-error": ("task.py", "NAME = 'Broken'\ndef reference(inputs)\n    return inputs\n"),
    "reference-raises": ("task.py", VALID_TASK.replace("out, best = [], 0", "raise ValueError('boom')")),
    "float-outputs": ("task.py", VALID_TASK.replace("out.append(best)", "out.append(best / 2)")),
    "data-not-json": ("data.jsonl", "not json\n"),
    "data-too-few": ("data.jsonl", json.dumps({"inputs": [0, 1], "outputs": [0, 1]}) + "\n"),
    "data-empty": ("data.jsonl", ""),
}


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    """Run from tmp_path, so that a default `runs/` folder would land there."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_tasks_lists_every_builtin(capsys):
    assert main(["tasks"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    lines = captured.out.splitlines()
    assert len(lines) == 63  # a header and 62 tasks
    assert lines[0].split()[:4] == ["name", "in/step", "values", "T"]
    assert [line.split()[0] for line in lines[1:]] == list(tasks.NAMES)


def test_tasks_line_shows_task_fields(capsys):
    main(["tasks"])
    lines = capsys.readouterr().out.splitlines()
    (line,) = [line for line in lines if line.split()[0] == "Parity_All"]
    task = tasks.get("Parity_All")
    cells = line.split()
    assert cells[1] == str(task.input_dim)
    assert cells[2] == "0..1"
    assert cells[3] == str(task.length)
    assert line.endswith(task.rule)


def test_typo_suggests_close_name(in_tmp, one_line_error):
    assert main(["synthesize", "Parity_Alll", "--out", str(in_tmp / "out")]) == 2
    one_line_error("Parity_Alll", "did you mean", "Parity_All")
    assert not (in_tmp / "out").exists()
    assert not (in_tmp / "runs").exists()


@pytest.mark.parametrize("name", ["Qwxzy_Vvvk", "zzzzzzzzzzzzzzz"])
def test_unknown_name_points_to_task_list(in_tmp, one_line_error, name):
    assert main(["synthesize", name]) == 2
    line = one_line_error(name, "`mips tasks`")
    assert "did you mean" not in line
    assert not (in_tmp / "runs").exists()


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_task_file_fails_before_any_output(in_tmp, one_line_error, case):
    file_name, contents = BAD_FILES[case]
    path = in_tmp / file_name
    path.write_text(contents)
    out = in_tmp / "out" / "run"
    assert main(["synthesize", str(path), "--out", str(out), "--quiet"]) == 2
    one_line_error(str(path))
    assert not out.exists()
    assert not out.parent.exists()
    assert not (in_tmp / "runs").exists()


def test_bad_task_file_without_out_creates_no_runs_folder(in_tmp, one_line_error):
    path = in_tmp / "task.py"
    path.write_text(VALID_TASK.replace("LENGTH = 6", "LENGTH = 0"))
    assert main(["synthesize", str(path)]) == 2
    one_line_error("LENGTH must be a positive integer")
    assert not (in_tmp / "runs").exists()


def test_two_problems_are_both_on_the_error_line(in_tmp, one_line_error):
    file_name, contents = BAD_FILES["two-problems"]
    path = in_tmp / file_name
    path.write_text(contents)
    assert main(["synthesize", str(path)]) == 2
    one_line_error("LENGTH", "INPUT_DIM")


@pytest.mark.parametrize("name", ["nowhere.py", "nowhere.jsonl"])
def test_missing_task_file(in_tmp, one_line_error, name):
    out = in_tmp / "out"
    assert main(["synthesize", str(in_tmp / name), "--out", str(out)]) == 2
    one_line_error("no such file")
    assert not out.exists()


def test_error_stays_on_one_line_for_multiline_exception(in_tmp, one_line_error):
    path = in_tmp / "task.py"
    path.write_text(VALID_TASK.replace("out, best = [], 0", "raise ValueError('first\\nsecond')"))
    assert main(["synthesize", str(path)]) == 2
    one_line_error("ValueError")


@pytest.mark.parametrize(
    "name, contents",
    [
        pytest.param("task.txt", VALID_TASK, id="txt"),
        pytest.param("data.json", '{"inputs": [0], "outputs": [0]}\n', id="json"),
        pytest.param("Parity_All", "", id="no-suffix-file-named-like-a-task"),
    ],
)
def test_existing_path_with_unsupported_suffix(in_tmp, one_line_error, name, contents):
    path = in_tmp / name
    path.write_text(contents)
    out = in_tmp / "out"
    assert main(["synthesize", str(path), "--out", str(out)]) == 2
    one_line_error(".py", ".jsonl")
    assert not out.exists()


def test_existing_directory_is_not_a_task(in_tmp, one_line_error):
    folder = in_tmp / "folder"
    folder.mkdir()
    assert main(["synthesize", str(folder)]) == 2
    one_line_error(".py", ".jsonl")


@pytest.mark.parametrize("spec", ["parity_all", "PARITY_ALL", "Parity_all", "Parity_All"])
def test_resolve_task_is_case_insensitive(spec):
    task = resolve_task(spec)
    assert task.name == "Parity_All"
    assert task is tasks.get("Parity_All")


def test_resolve_task_reads_task_and_data_files(tmp_path):
    task_path = tmp_path / "task.py"
    task_path.write_text(VALID_TASK)
    assert resolve_task(str(task_path)).name == "Running_Max"

    data_path = tmp_path / "max.jsonl"
    rows = [{"inputs": [i % 3, 0], "outputs": [i % 3, i % 3]} for i in range(8)]
    data_path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    task = resolve_task(str(data_path))
    assert task.name == "max"
    assert len(task.examples) == 8


def test_resolve_task_unknown_name_raises_task_error():
    with pytest.raises(TaskError) as info:
        resolve_task("Parity_Alll")
    assert "Parity_All" in str(info.value)


def test_no_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        main([])
    assert info.value.code == 2


def test_a_folder_with_its_own_tasks_module_does_not_shadow_the_built_in_tasks(tmp_path):
    # A top-level package named `tasks` was shadowed by any tasks.py in the working folder.
    (tmp_path / "tasks.py").write_text("import no_such_module\n")
    done = subprocess.run([sys.executable, "-m", "mips", "tasks"], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "Parity_All" in done.stdout
