"""Task validation: `define_task`, task files, data files and the built-in tasks."""

from __future__ import annotations

import ast
import json
import random
import re
import signal
import threading
import time
from contextlib import contextmanager

import pytest

import mips.usercode
from mips import tasks
from mips.errors import MipsError, TaskError
from mips.datafile import load_data_file
from mips.task import Task, define_task, load_task_file

# ---------------------------------------------------------------------------
# Task files
# ---------------------------------------------------------------------------

RUNNING_MAX_REFERENCE = '''
def reference(inputs):
    out, best = [], 0
    for x in inputs:
        best = max(best, x)
        out.append(best)
    return out
'''

# A valid task file, one chunk of source per field so that tests can drop or replace one.
RUNNING_MAX = {
    "NAME": 'NAME = "Running_Max"',
    "INPUT_DIM": "INPUT_DIM = 1",
    "LENGTH": "LENGTH = 6",
    "INPUT_VALUES": "INPUT_VALUES = range(0, 5)",
    "RULE": 'RULE = "the largest input so far"',
    "reference": RUNNING_MAX_REFERENCE,
}


def write_task(tmp_path, *, drop=(), name="task.py", **replace) -> str:
    """Write the running-max task file with some fields dropped or replaced; return its path."""
    fields = {key: chunk for key, chunk in RUNNING_MAX.items() if key not in drop}
    fields.update(replace)
    path = tmp_path / name
    path.write_text("\n".join(fields.values()) + "\n")
    return str(path)


# Every TaskError is one short line: a message echoes the user's values shortened.
SHORT_MESSAGE = 400


def load_error(path) -> TaskError:
    with pytest.raises(TaskError) as info:
        load_task_file(path)
    assert len(str(info.value)) < SHORT_MESSAGE, str(info.value)
    return info.value


def test_valid_task_file_loads(tmp_path):
    path = write_task(tmp_path)
    task = load_task_file(path)
    assert isinstance(task, Task)
    assert task.name == "Running_Max"
    assert task.input_dim == 1
    assert task.output_dim == 1
    assert task.length == 6
    assert task.input_values == (0, 1, 2, 3, 4)
    assert task.rule == "the largest input so far"
    assert task.source == path
    assert task.has_reference
    assert task.sample is None
    assert task.run_reference([1, 0, 3, 2]) == [1, 1, 3, 3]


def test_valid_two_input_task_with_tuple_outputs(tmp_path):
    path = write_task(
        tmp_path,
        NAME='NAME = "Sum_And_Product"',
        INPUT_DIM="INPUT_DIM = 2",
        INPUT_VALUES="INPUT_VALUES = [0, 1, 2]",
        reference="def reference(inputs):\n    return [(a + b, a * b) for a, b in inputs]\n",
    )
    task = load_task_file(path)
    assert task.name == "Sum_And_Product"
    assert task.input_dim == 2
    assert task.output_dim == 2
    assert task.input_values == (0, 1, 2)
    assert task.run_reference([(1, 2), (2, 2)]) == [(3, 2), (4, 4)]
    # Without `sample`, inputs are drawn as tuples of INPUT_DIM values.
    drawn = task.draw_inputs(random.Random(0), 5)
    assert len(drawn) == 5
    assert all(isinstance(step, tuple) and len(step) == 2 for step in drawn)
    assert {v for step in drawn for v in step} <= {0, 1, 2}


def test_sample_function_is_used_by_draw_inputs(tmp_path):
    # `sample` only ever gives 4s; the default sampler over 0..4 would not.
    path = write_task(tmp_path, sample="def sample(rng, length):\n    return [4] * length\n")
    task = load_task_file(path)
    assert task.sample is not None
    assert task.draw_inputs(random.Random(0), 7) == [4] * 7
    assert task.draw_inputs(random.Random(0), 2) == [4, 4]


def test_without_sample_draw_inputs_uses_input_values(tmp_path):
    task = load_task_file(write_task(tmp_path))
    drawn = task.draw_inputs(random.Random(0), 200)
    assert len(drawn) == 200
    assert set(drawn) == {0, 1, 2, 3, 4}


def test_sample_returning_list_steps_is_drawn_as_tuples(tmp_path):
    path = write_task(
        tmp_path,
        INPUT_DIM="INPUT_DIM = 2",
        INPUT_VALUES="INPUT_VALUES = [0, 1]",
        reference="def reference(inputs):\n    return [a ^ b for a, b in inputs]\n",
        sample="def sample(rng, length):\n    return [[rng.choice([0, 1]), 1] for _ in range(length)]\n",
    )
    task = load_task_file(path)  # accepted: the probe turns list steps into tuples
    drawn = task.draw_inputs(random.Random(0), 4)
    assert all(isinstance(step, tuple) for step in drawn), drawn


def test_sample_returning_values_outside_input_values_is_rejected(tmp_path):
    path = write_task(tmp_path, sample="def sample(rng, length):\n    return [9] * length\n")
    err = load_error(path)
    assert "sample(rng," in str(err)
    assert "INPUT_VALUES" in str(err)


def test_task_error_is_a_mips_error(tmp_path):
    assert issubclass(TaskError, MipsError)
    path = write_task(tmp_path, drop=("NAME",))
    with pytest.raises(MipsError):
        load_task_file(path)


@pytest.mark.parametrize(
    "field, replacement, expected",
    [
        pytest.param("NAME", None, "missing NAME", id="missing-NAME"),
        pytest.param("reference", None, "missing reference", id="missing-reference"),
        pytest.param("INPUT_VALUES", None, "missing INPUT_VALUES", id="missing-INPUT_VALUES"),
        pytest.param("NAME", 'NAME = "   "', "NAME must be a non-empty name", id="blank-NAME"),
        pytest.param("NAME", 'NAME = "../escape"', "it names files", id="NAME-with-a-path"),
        pytest.param("INPUT_DIM", 'INPUT_DIM = "1"', "INPUT_DIM must be a positive integer", id="INPUT_DIM-str"),
        pytest.param("INPUT_DIM", "INPUT_DIM = 1.5", "INPUT_DIM must be a positive integer", id="INPUT_DIM-float"),
        pytest.param("INPUT_DIM", "INPUT_DIM = 0", "INPUT_DIM must be a positive integer", id="INPUT_DIM-zero"),
        pytest.param("LENGTH", "LENGTH = 0", "LENGTH must be a positive integer, got 0", id="LENGTH-zero"),
        pytest.param("LENGTH", "LENGTH = -3", "LENGTH must be a positive integer", id="LENGTH-negative"),
        pytest.param(
            "INPUT_VALUES", "INPUT_VALUES = [0.5, 1.5]", "INPUT_VALUES must hold integers only",
            id="INPUT_VALUES-floats",
        ),
        pytest.param(
            "INPUT_VALUES", 'INPUT_VALUES = ["a", "b"]', "INPUT_VALUES must hold integers only",
            id="INPUT_VALUES-strings",
        ),
        pytest.param("INPUT_VALUES", "INPUT_VALUES = 5", "INPUT_VALUES must be a collection", id="INPUT_VALUES-int"),
        pytest.param("INPUT_VALUES", "INPUT_VALUES = range(0)", "INPUT_VALUES is empty", id="INPUT_VALUES-empty"),
        pytest.param("reference", "reference = 3", "reference(inputs)", id="reference-not-callable"),
    ],
)
def test_bad_field_is_named(tmp_path, field, replacement, expected):
    if replacement is None:
        path = write_task(tmp_path, drop=(field,))
    else:
        path = write_task(tmp_path, **{field: replacement})
    err = load_error(path)
    assert err.source == path
    assert any(expected in problem for problem in err.problems), err.problems
    assert expected in str(err)


def test_misspelt_field_is_reported_with_suggestion(tmp_path):
    path = write_task(tmp_path, drop=("LENGTH",), LENGHT="LENGHT = 6")
    err = load_error(path)
    assert "missing LENGTH" in err.problems
    assert any("unknown field LENGHT (did you mean LENGTH?)" in p for p in err.problems), err.problems


def test_several_problems_are_all_reported(tmp_path):
    path = write_task(tmp_path, LENGTH="LENGTH = 0", INPUT_DIM='INPUT_DIM = "x"')
    err = load_error(path)
    assert len(err.problems) >= 2
    assert any("LENGTH" in p for p in err.problems)
    assert any("INPUT_DIM" in p for p in err.problems)


def test_several_missing_fields_are_all_reported(tmp_path):
    path = write_task(tmp_path, drop=("NAME", "reference"))
    err = load_error(path)
    assert "missing NAME" in err.problems
    assert "missing reference" in err.problems


def test_reference_that_raises_shows_the_input(tmp_path):
    reference = (
        "def reference(inputs):\n"
        "    if 3 in inputs:\n"
        "        raise ValueError('cannot handle a three')\n"
        "    return list(inputs)\n"
    )
    err = load_error(write_task(tmp_path, reference=reference))
    (problem,) = err.problems
    assert "reference raised ValueError: cannot handle a three" in problem
    match = re.search(r"on inputs (\[.*\])$", problem)
    assert match, problem
    shown = ast.literal_eval(match.group(1))
    assert 3 in shown  # the input shown is one that makes the reference raise


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("return list(inputs)[:-1]", id="one-too-few"),
        pytest.param("return list(inputs) + [0]", id="one-too-many"),
        pytest.param("return [0]", id="always-one"),
    ],
)
def test_reference_with_wrong_number_of_outputs(tmp_path, body):
    err = load_error(write_task(tmp_path, reference=f"def reference(inputs):\n    {body}\n"))
    assert any("one per step is required" in p for p in err.problems), err.problems
    assert re.search(r"reference returned \d+ outputs for \d+ inputs", str(err))


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("return [x / 2 for x in inputs]", id="floats"),
        pytest.param("return [float(x) for x in inputs]", id="integral-floats"),
        pytest.param("return [str(x) for x in inputs]", id="strings"),
        pytest.param("return [(x, 0.5) for x in inputs]", id="tuple-with-float"),
        pytest.param("return [None for x in inputs]", id="none"),
    ],
)
def test_reference_with_non_integer_outputs(tmp_path, body):
    err = load_error(write_task(tmp_path, reference=f"def reference(inputs):\n    {body}\n"))
    assert any("reference outputs must be integers" in p for p in err.problems), err.problems


def test_reference_returning_non_list(tmp_path):
    err = load_error(write_task(tmp_path, reference="def reference(inputs):\n    return 7\n"))
    assert any("reference must return a list" in p for p in err.problems), err.problems


def test_reference_mixing_output_shapes(tmp_path):
    reference = "def reference(inputs):\n    return [x if x % 2 else (x, x) for x in inputs]\n"
    err = load_error(write_task(tmp_path, reference=reference))
    assert any("mix shapes" in p for p in err.problems), err.problems


def test_reference_returning_one_tuples(tmp_path):
    path = write_task(tmp_path, reference="def reference(inputs):\n    return [(x,) for x in inputs]\n")
    try:
        task = load_task_file(path)
    except TaskError:
        return  # rejecting the file up front would also be fine
    assert task.run_reference([1, 2]) in ([1, 2], [(1,), (2,)])


def test_syntax_error(tmp_path):
    path = tmp_path / "broken.py"
    path.write_text('NAME = "Broken"\nLENGTH = 6\ndef reference(inputs)\n    return inputs\n')
    err = load_error(path)
    assert len(err.problems) == 1
    assert "not valid Python" in err.problems[0]
    assert "line 3" in err.problems[0]


def test_file_that_raises_when_run(tmp_path):
    path = write_task(tmp_path, extra="import no_such_module_for_mips_tests")
    err = load_error(path)
    assert any("running the file raised ModuleNotFoundError" in p for p in err.problems), err.problems


def test_missing_file(tmp_path):
    path = tmp_path / "nowhere.py"
    err = load_error(path)
    assert err.problems == ["no such file"]
    assert str(path) in str(err)


def test_define_task_directly():
    task = define_task(
        name=" Echo ", input_dim=1, length=10, input_values=[2, 0, 1, 1],
        reference=lambda xs: list(xs),
    )
    assert task.name == "Echo"
    assert task.input_values == (0, 1, 2)
    assert task.output_dim == 1
    assert task.source == "built-in"


def test_define_task_reports_all_argument_problems():
    with pytest.raises(TaskError) as info:
        define_task(name="", input_dim=0, length="ten", input_values=None, reference=None, sample=5)
    problems = " | ".join(info.value.problems)
    for fragment in ("NAME", "INPUT_DIM", "LENGTH", "INPUT_VALUES", "reference(inputs)", "sample"):
        assert fragment in problems
    assert len(info.value.problems) == 6


# ---------------------------------------------------------------------------
# Data files
# ---------------------------------------------------------------------------


def running_max(xs):
    out, best = [], 0
    for x in xs:
        best = max(best, x)
        out.append(best)
    return out


# Ten valid one-number-per-step rows: eight of length 6, two of length 4; values 0, 2, 5, 7.
VALID_ROWS = [
    {"inputs": xs, "outputs": running_max(xs)}
    for xs in (
        [0, 2, 5, 0, 2, 7],
        [7, 0, 0, 2, 5, 5],
        [2, 2, 2, 2, 2, 2],
        [5, 0, 7, 2, 0, 0],
        [0, 0, 0, 0, 0, 5],
        [2, 5, 2, 5, 2, 5],
        [7, 7, 0, 0, 2, 2],
        [0, 5, 0, 7, 0, 2],
        [5, 2, 0, 7],
        [2, 0, 5, 0],
    )
]


def write_data(tmp_path, lines, name="data.jsonl") -> str:
    """Write a data file; dict lines are JSON-encoded, strings are written as they are."""
    path = tmp_path / name
    path.write_text("".join((json.dumps(line) if isinstance(line, dict) else line) + "\n" for line in lines))
    return str(path)


def data_error(path) -> TaskError:
    with pytest.raises(TaskError) as info:
        load_data_file(path)
    assert len(str(info.value)) < SHORT_MESSAGE, str(info.value)
    return info.value


def test_valid_data_file_loads(tmp_path):
    path = write_data(tmp_path, VALID_ROWS, name="running_max.jsonl")
    task = load_data_file(path)
    assert task.name == "running_max"
    assert task.input_dim == 1
    assert task.output_dim == 1
    assert task.length == 6  # the most common length
    assert task.input_values == (0, 2, 5, 7)  # sorted values seen
    assert len(task.examples) == 10
    assert task.examples[0] == ((0, 2, 5, 0, 2, 7), (0, 2, 5, 5, 5, 7))
    assert not task.has_reference
    assert task.source == path


def test_valid_two_input_data_file_loads(tmp_path):
    rows = [
        {"inputs": [[a, b], [b, a], [a, a]], "outputs": [[a + b, a * b], [a + b, a * b], [2 * a, a * a]]}
        for a, b in [(0, 1), (1, 2), (2, 3), (3, 0), (1, 1), (0, 0), (2, 2), (3, 1), (1, 3)]
    ]
    task = load_data_file(write_data(tmp_path, rows))
    assert task.input_dim == 2
    assert task.output_dim == 2
    assert task.length == 3
    assert task.input_values == (0, 1, 2, 3)
    assert len(task.examples) == 9
    assert task.examples[0] == (((0, 1), (1, 0), (0, 0)), ((1, 0), (1, 0), (0, 0)))


def test_data_file_blank_lines_are_skipped(tmp_path):
    lines = [VALID_ROWS[0], "", "   "] + VALID_ROWS[1:]
    task = load_data_file(write_data(tmp_path, lines))
    assert len(task.examples) == 10


@pytest.mark.parametrize(
    "bad_line, expected",
    [
        pytest.param(
            {"inputs": [[0, 1], [1], [1, 0]], "outputs": [0, 1, 1]}, "line 11: ragged steps", id="ragged-inputs"
        ),
        pytest.param(
            {"inputs": [0, 1, 1], "outputs": [[0, 1], 1, [1, 0]]}, "line 11: ragged steps", id="ragged-outputs"
        ),
        pytest.param({"inputs": [0, 1, 2], "outputs": [0, 1]}, "line 11: 3 inputs but 2 outputs", id="length-mismatch"),
        pytest.param({"inputs": [], "outputs": []}, "line 11: inputs and outputs must be non-empty", id="empty-lists"),
        pytest.param(
            {"inputs": "0120", "outputs": "0122"}, "line 11: inputs and outputs must be non-empty lists",
            id="strings-not-lists",
        ),
        pytest.param(
            {"inputs": ["0", "1"], "outputs": [0, 1]}, "line 11: every step must be an integer", id="string-values"
        ),
        pytest.param(
            {"inputs": [0.5, 1.0], "outputs": [0, 1]}, "line 11: every step must be an integer", id="float-values"
        ),
        pytest.param(
            {"inputs": [0, 1], "outputs": [0, 1.0]}, "line 11: every step must be an integer", id="float-outputs"
        ),
        pytest.param(
            {"inputs": [[0, "a"], [1, 1]], "outputs": [0, 1]}, "line 11: every step must be an integer",
            id="string-in-step",
        ),
        pytest.param('{"inputs": [0, 1], "outputs": [0, 1]', "line 11: not JSON", id="truncated-json"),
        pytest.param("inputs=0,1 outputs=0,1", "line 11: not JSON", id="not-json"),
        pytest.param('{"inputs": [0, 1]}', 'line 11: expected an object with "inputs" and "outputs"', id="no-outputs"),
        pytest.param("[[0, 1], [0, 1]]", 'line 11: expected an object', id="array-row"),
    ],
)
def test_bad_data_line_is_named(tmp_path, bad_line, expected):
    err = data_error(write_data(tmp_path, VALID_ROWS + [bad_line]))
    assert any(expected in p for p in err.problems), err.problems
    assert expected in str(err)


def test_inconsistent_input_shapes_across_rows(tmp_path):
    two_number_rows = [
        {"inputs": [[0, 1], [1, 1]], "outputs": [1, 0]},
        {"inputs": [[1, 0], [0, 0]], "outputs": [1, 1]},
    ]
    err = data_error(write_data(tmp_path, VALID_ROWS + two_number_rows))
    (problem,) = err.problems
    assert problem.startswith("inconsistent inputs")
    assert "2 number(s) per step on lines 11, 12" in problem
    assert "1 number(s) per step on lines 1, 2, 3, 4, 5 and 5 more" in problem


def test_inconsistent_output_shapes_across_rows(tmp_path):
    rows = VALID_ROWS + [{"inputs": [0, 1], "outputs": [[0, 0], [1, 1]]}]
    err = data_error(write_data(tmp_path, rows))
    assert any(p.startswith("inconsistent outputs") and "lines 11" in p for p in err.problems), err.problems


@pytest.mark.parametrize(
    "lines",
    [pytest.param([], id="empty-file"), pytest.param(["", "  "], id="blank-lines-only")],
)
def test_data_file_without_examples(tmp_path, lines):
    err = data_error(write_data(tmp_path, lines))
    assert err.problems == ["no examples in the file"]


@pytest.mark.parametrize("count", [1, 5, 7])
def test_data_file_with_too_few_examples(tmp_path, count):
    err = data_error(write_data(tmp_path, VALID_ROWS[:count]))
    (problem,) = err.problems
    assert f"only {count} examples" in problem
    assert "at least 8" in problem


def test_data_file_with_exactly_eight_examples_loads(tmp_path):
    task = load_data_file(write_data(tmp_path, VALID_ROWS[:8]))
    assert len(task.examples) == 8


def test_several_bad_data_lines_are_all_reported(tmp_path):
    lines = list(VALID_ROWS)
    lines[1] = "not json at all"
    lines[4] = {"inputs": [[0, 1], [1]], "outputs": [0, 1]}
    lines[6] = {"inputs": [0, 1, 2], "outputs": [0]}
    err = data_error(write_data(tmp_path, lines))
    assert len(err.problems) >= 3
    message = str(err)
    assert "line 2: not JSON" in message
    assert "line 5: ragged steps" in message
    assert "line 7: 3 inputs but 1 outputs" in message


def test_missing_data_file(tmp_path):
    path = tmp_path / "nowhere.jsonl"
    err = data_error(path)
    assert err.problems == ["no such file"]
    assert str(path) in str(err)


# ---------------------------------------------------------------------------
# Built-in tasks
# ---------------------------------------------------------------------------


def test_builtin_names():
    assert len(tasks.NAMES) == 62
    assert len(set(tasks.NAMES)) == 62
    assert all(isinstance(name, str) and name for name in tasks.NAMES)


@pytest.mark.parametrize("name", tasks.NAMES)
def test_builtin_task(name):
    task = tasks.get(name)
    assert isinstance(task, Task)
    assert task.name == name
    assert task.length in (10, 20)
    assert task.has_reference
    assert task.input_dim >= 1 and task.output_dim >= 1
    assert task.input_values
    assert re.fullmatch(r"[0-9a-f]{16}", task.fingerprint)


def test_unknown_builtin_name_raises_key_error():
    with pytest.raises(KeyError):
        tasks.get("No_Such_Task")


def test_one_number_steps_written_as_lists_are_ints(tmp_path):
    """A data file may write a one-number step as [5]; the task still speaks ints."""
    import json

    path = tmp_path / "listed.jsonl"
    rows = [{"inputs": [[i % 2], [1]], "outputs": [[1 - i % 2], [0]]} for i in range(10)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    task = load_data_file(path)
    assert task.input_dim == 1 and task.output_dim == 1
    assert task.examples[0] == ((0, 1), (1, 0))


def test_uppercase_sample_gets_a_hint(tmp_path):
    path = tmp_path / "t.py"
    path.write_text(
        'NAME = "T"\nINPUT_DIM = 1\nLENGTH = 4\nINPUT_VALUES = range(2)\nSAMPLE = None\n'
        "def reference(inputs):\n    return list(inputs)\n"
    )
    with pytest.raises(TaskError) as caught:
        load_task_file(path)
    assert "did you mean sample" in str(caught.value)


def test_a_data_file_of_several_tasks_is_refused(tmp_path):
    import json

    path = tmp_path / "mixed.jsonl"
    rows = [{"task": "A" if i % 2 else "B", "inputs": [0, 1], "outputs": [1, 0]} for i in range(10)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with pytest.raises(TaskError) as caught:
        load_data_file(path)
    assert "one task per file" in str(caught.value)


# ---------------------------------------------------------------------------
# The user's code: exits, hangs, misbehaves after validation
# ---------------------------------------------------------------------------

needs_timer = pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="time limits need signal.setitimer")


@contextmanager
def fails_after(seconds):
    """Fail, rather than hang, when the code inside runs longer (the old code hung)."""
    if not hasattr(signal, "setitimer"):
        yield
        return

    def on_alarm(signum, frame):
        raise AssertionError(f"took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def short_time_limit(monkeypatch):
    """A time limit of 0.3 s, so that code that never returns is stopped quickly."""
    monkeypatch.setattr(mips.usercode, "TIME_LIMIT_S", 0.3)


# Statements that end the program or unwind past `except Exception`, and what the message names.
EXITS = [
    pytest.param("import sys; sys.exit()", "raised SystemExit", id="sys-exit"),
    pytest.param("raise SystemExit(3)", "raised SystemExit: 3", id="system-exit-3"),
    pytest.param("raise KeyboardInterrupt", "raised KeyboardInterrupt", id="keyboard-interrupt"),
    pytest.param("raise type('Stop', (BaseException,), {})()", "raised Stop", id="base-exception"),
]


@pytest.mark.parametrize("statement, expected", EXITS)
def test_task_file_that_exits_at_top_level_is_a_task_error(tmp_path, statement, expected):
    err = load_error(write_task(tmp_path, extra=statement))
    (problem,) = err.problems
    assert problem.startswith(f"running the file {expected}"), problem


@pytest.mark.parametrize("statement, expected", EXITS)
def test_reference_that_exits_is_a_task_error(tmp_path, statement, expected):
    err = load_error(write_task(tmp_path, reference=f"def reference(inputs):\n    {statement}\n"))
    (problem,) = err.problems
    assert problem.startswith(f"reference {expected}"), problem
    assert "on inputs [" in problem


@pytest.mark.parametrize("statement, expected", EXITS)
def test_sample_that_exits_is_a_task_error(tmp_path, statement, expected):
    err = load_error(write_task(tmp_path, sample=f"def sample(rng, length):\n    {statement}\n"))
    (problem,) = err.problems
    assert problem.startswith(f"sample(rng, 1) {expected}"), problem


def test_task_file_that_exits_is_one_line_on_the_command_line(tmp_path, monkeypatch, capsys):
    from mips.cli import main

    monkeypatch.chdir(tmp_path)
    path = write_task(tmp_path, extra="import sys\nsys.exit()")
    assert main(["synthesize", path]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    (line,) = captured.err.splitlines()
    assert line.startswith("mips: error: ") and "SystemExit" in line


def late_failure(statement: str) -> str:
    """A reference that is fine on every sequence the task is checked on (at most
    5 x LENGTH = 30 steps) and runs `statement` on longer ones."""
    return f"def reference(inputs):\n    if len(inputs) > 30:\n        {statement}\n    return list(inputs)\n"


@pytest.mark.parametrize(
    "statement, expected",
    [
        pytest.param("raise ValueError('too long')", "reference raised ValueError: too long", id="raises"),
        pytest.param("import sys; sys.exit()", "reference raised SystemExit", id="exits"),
        pytest.param("return [0.5] * len(inputs)", "reference outputs must be integers", id="float-outputs"),
        pytest.param("return [0]", "reference returned 1 outputs for 40 inputs", id="too-few-outputs"),
        pytest.param("return [(0, 0)] * len(inputs)", "reference outputs have 1 number(s) per step, but this one has 2",
                     id="new-shape"),
        pytest.param("return [2**63] * len(inputs)", "reference output 9223372036854775808 does not fit in 64 bits",
                     id="too-big"),
    ],
)
def test_run_reference_failing_after_validation_is_a_task_error_naming_the_inputs(tmp_path, statement, expected):
    path = write_task(tmp_path, reference=late_failure(statement))
    task = load_task_file(path)
    with pytest.raises(TaskError) as info:
        task.run_reference([1] * 40)
    (problem,) = info.value.problems
    assert problem.startswith(expected), problem
    assert "on inputs [1, 1, 1, " in problem and "...]" in problem  # the 40 inputs, shortened
    assert info.value.source == path
    assert len(str(info.value)) < SHORT_MESSAGE


@pytest.mark.parametrize(
    "statement, expected",
    [
        pytest.param("raise ValueError('too long')", "sample(rng, 40) raised ValueError: too long", id="raises"),
        pytest.param("raise SystemExit", "sample(rng, 40) raised SystemExit", id="exits"),
        pytest.param("return [9] * length", "sample(rng, 40) must return 40 steps", id="outside-INPUT_VALUES"),
        pytest.param("return 7", "sample(rng, 40) must return a list, got int", id="not-a-list"),
    ],
)
def test_draw_inputs_failing_after_validation_is_a_task_error(tmp_path, statement, expected):
    sample = f"def sample(rng, length):\n    if length > 30:\n        {statement}\n    return [1] * length\n"
    task = load_task_file(write_task(tmp_path, sample=sample))
    with pytest.raises(TaskError) as info:
        task.draw_inputs(random.Random(0), 40)
    (problem,) = info.value.problems
    assert problem.startswith(expected), problem


@needs_timer
@pytest.mark.parametrize(
    "body",
    [
        pytest.param("while True:\n        pass", id="loop"),
        pytest.param("while True:\n        try:\n            pass\n        except Exception:\n            pass",
                     id="loop-catching-exceptions"),
        pytest.param("import time; time.sleep(60)", id="sleep"),
    ],
)
def test_reference_that_never_returns_is_stopped_at_the_time_limit(tmp_path, short_time_limit, body):
    with fails_after(10):
        err = load_error(write_task(tmp_path, reference=f"def reference(inputs):\n    {body}\n"))
    (problem,) = err.problems
    assert problem.startswith("reference ran past the 0.3 s time limit for checking a task on inputs ["), problem
    assert "make it faster" in problem


@needs_timer
def test_task_file_whose_top_level_never_finishes_is_stopped_at_the_time_limit(tmp_path, short_time_limit):
    with fails_after(10):
        err = load_error(write_task(tmp_path, extra="while True:\n    pass"))
    (problem,) = err.problems
    assert problem.startswith("running the file ran past the 0.3 s time limit"), problem
    assert "should only define the task" in problem


@needs_timer
def test_sample_that_never_returns_is_stopped_at_the_time_limit(tmp_path, short_time_limit):
    with fails_after(10):
        err = load_error(write_task(tmp_path, sample="def sample(rng, length):\n    while True:\n        pass\n"))
    (problem,) = err.problems
    assert problem.startswith("sample(rng, 1) ran past the 0.3 s time limit"), problem


@needs_timer
def test_time_limit_is_for_all_the_calls_that_check_a_task_together(tmp_path, short_time_limit):
    # 0.05 s a call is fast, but the task is checked on over 20 sequences: 1 s in all.
    reference = "def reference(inputs):\n    import time; time.sleep(0.05)\n    return list(inputs)\n"
    with fails_after(10):
        err = load_error(write_task(tmp_path, reference=reference))
    assert "ran past the 0.3 s time limit" in str(err)


@needs_timer
def test_time_limit_puts_back_the_previous_alarm_handler_and_timer(tmp_path, short_time_limit):
    def outer_alarm(signum, frame):
        raise AssertionError("the outer alarm fired inside the task's code")

    previous = signal.signal(signal.SIGALRM, outer_alarm)
    signal.setitimer(signal.ITIMER_REAL, 5.0)
    try:
        err = load_error(write_task(tmp_path, reference="def reference(inputs):\n    while True:\n        pass\n"))
        assert "ran past the 0.3 s time limit" in str(err)
        assert signal.getsignal(signal.SIGALRM) is outer_alarm
        left, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 3.0 < left < 5.0  # still running, less the time spent
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_outside_the_main_thread_tasks_are_checked_without_a_time_limit(tmp_path):
    # No SIGALRM timer there: the user's code runs unbounded, and exits are still caught.
    valid = write_task(tmp_path)
    exiting = write_task(tmp_path, name="exits.py", reference="def reference(inputs):\n    raise SystemExit\n")
    results = {}

    def load_both():
        results["valid"] = load_task_file(valid)
        try:
            load_task_file(exiting)
        except TaskError as exc:
            results["exits"] = exc

    thread = threading.Thread(target=load_both)
    thread.start()
    thread.join(timeout=30)
    assert results["valid"].name == "Running_Max"
    assert "reference raised SystemExit" in str(results["exits"])


# ---------------------------------------------------------------------------
# Limits, determinism and numbers
# ---------------------------------------------------------------------------

CONSTANT_REFERENCE = "def reference(inputs):\n    return [0 for x in inputs]\n"


@pytest.mark.parametrize(
    "field, allowed, refused, expected",
    [
        pytest.param("NAME", "NAME = 'x' * 100", "NAME = 'x' * 101", "NAME may have at most 100 characters",
                     id="NAME"),
        pytest.param("INPUT_DIM", "INPUT_DIM = 16", "INPUT_DIM = 17", "INPUT_DIM may be at most 16", id="INPUT_DIM"),
        pytest.param("LENGTH", "LENGTH = 1000", "LENGTH = 10**9", "LENGTH may be at most 1,000", id="LENGTH"),
        pytest.param("INPUT_VALUES", "INPUT_VALUES = range(1000)", "INPUT_VALUES = range(10**12)",
                     "INPUT_VALUES may hold at most 1,000 distinct values", id="huge-range"),
        pytest.param("INPUT_VALUES", "INPUT_VALUES = range(2)", "INPUT_VALUES = range(10**20)",
                     "INPUT_VALUES may hold at most 1,000 distinct values", id="range-past-sys.maxsize"),
        pytest.param("INPUT_VALUES", "INPUT_VALUES = [0, 1] * 5000", "INPUT_VALUES = list(range(1001))",
                     "INPUT_VALUES may hold at most 1,000 distinct values", id="distinct-values-count"),
        pytest.param("INPUT_VALUES", "INPUT_VALUES = (v for v in range(1000))",
                     "import itertools\nINPUT_VALUES = itertools.count()",
                     "INPUT_VALUES may hold at most 1,000 distinct values", id="endless-generator"),
        pytest.param("INPUT_VALUES", "INPUT_VALUES = [-(2**63) + 1, 2**63 - 1]", "INPUT_VALUES = [0, 2**63]",
                     "INPUT_VALUES value 9223372036854775808 does not fit in 64 bits", id="past-int64"),
        pytest.param("INPUT_VALUES", "INPUT_VALUES = [0, 1]", "INPUT_VALUES = [-(2**63), 0]",
                     "INPUT_VALUES value -9223372036854775808 does not fit in 64 bits", id="past-int64-negative"),
    ],
)
def test_limit_is_refused_at_once_and_the_limit_itself_is_allowed(tmp_path, field, allowed, refused, expected):
    with fails_after(20):
        task = load_task_file(write_task(tmp_path, name="allowed.py", reference=CONSTANT_REFERENCE, **{field: allowed}))
        assert task.output_dim == 1
        err = load_error(write_task(tmp_path, name="refused.py", reference=CONSTANT_REFERENCE, **{field: refused}))
    (problem,) = err.problems
    assert problem.startswith(expected), problem


@needs_timer
def test_endless_generator_of_few_values_is_stopped_at_the_time_limit(tmp_path, short_time_limit):
    with fails_after(10):
        err = load_error(write_task(tmp_path, INPUT_VALUES="import itertools\nINPUT_VALUES = itertools.cycle([0, 1])"))
    (problem,) = err.problems
    assert problem.startswith("INPUT_VALUES ran past the 0.3 s time limit"), problem


@pytest.mark.parametrize(
    "reference",
    [
        pytest.param("import random\ndef reference(inputs):\n    return [random.randint(0, 9) for x in inputs]\n",
                     id="random"),
        pytest.param(
            "calls = []\ndef reference(inputs):\n    calls.append(1)\n    return [len(calls) % 7 for x in inputs]\n",
            id="state-between-calls",
        ),
    ],
)
def test_reference_that_is_not_a_function_of_its_inputs_is_refused(tmp_path, reference):
    err = load_error(write_task(tmp_path, reference=reference))
    (problem,) = err.problems
    assert problem.startswith("reference gives different outputs for the same inputs ["), problem


@pytest.mark.parametrize(
    "value, shown",
    [
        pytest.param("2**63", "9223372036854775808", id="2**63"),
        pytest.param("-2**63", "-9223372036854775808", id="-2**63"),
        pytest.param("10**5000", "<an int of 16,610 bits>", id="10**5000"),
    ],
)
def test_reference_output_outside_int64_is_refused(tmp_path, value, shown):
    err = load_error(write_task(tmp_path, reference=f"def reference(inputs):\n    return [{value} for x in inputs]\n"))
    (problem,) = err.problems
    assert problem.startswith(f"reference output {shown} does not fit in 64 bits"), problem


@pytest.mark.parametrize(
    "replace",
    [
        pytest.param({"reference": "def reference(inputs):\n    raise ValueError('v' * 10000)\n"}, id="long-exception"),
        pytest.param({"reference": "def reference(inputs):\n    return [[0.5] * 10000 for x in inputs]\n"},
                     id="long-output"),
        pytest.param({"reference": "def reference(inputs):\n    return inputs if len(inputs) < 100 else inputs[:-1]\n",
                      "LENGTH": "LENGTH = 1000"}, id="long-inputs"),
        pytest.param({"NAME": "NAME = 'not a name ' * 1000"}, id="long-NAME"),
        pytest.param({"INPUT_VALUES": "INPUT_VALUES = ['v' * 1000] * 10"}, id="long-values"),
        pytest.param({"sample": "def sample(rng, length):\n    return [[9] * 1000] * length\n"}, id="long-sample"),
    ],
)
def test_echoed_user_values_are_shortened(tmp_path, replace):
    err = load_error(write_task(tmp_path, **replace))  # checks the message is short
    assert len(err.problems) == 1


# ---------------------------------------------------------------------------
# Fingerprints
# ---------------------------------------------------------------------------

RUNNING_MIN_REFERENCE = '''
def reference(inputs):
    out, best = [], 9
    for x in inputs:
        best = min(best, x)
        out.append(best)
    return out
'''


def test_fingerprint_follows_what_the_task_computes_not_its_name(tmp_path):
    running_max = load_task_file(write_task(tmp_path, name="a.py", NAME='NAME = "Same"'))
    running_min = load_task_file(
        write_task(tmp_path, name="b.py", NAME='NAME = "Same"', reference=RUNNING_MIN_REFERENCE)
    )
    renamed = load_task_file(write_task(tmp_path, name="c.py", NAME='NAME = "Other"', RULE='RULE = "other words"'))
    assert re.fullmatch(r"[0-9a-f]{16}", running_max.fingerprint)
    assert running_max.fingerprint != running_min.fingerprint
    assert running_max.fingerprint == renamed.fingerprint


def test_fingerprint_does_not_depend_on_the_seed_but_on_the_shape(tmp_path):
    path = write_task(tmp_path)
    fingerprint = load_task_file(path).fingerprint
    assert load_task_file(path, seed=7).fingerprint == fingerprint
    longer = write_task(tmp_path, name="longer.py", LENGTH="LENGTH = 7")
    assert load_task_file(longer).fingerprint != fingerprint


def test_data_file_fingerprint_follows_its_examples_not_its_name(tmp_path):
    first = load_data_file(write_data(tmp_path, VALID_ROWS, name="first.jsonl"))
    renamed = load_data_file(write_data(tmp_path, VALID_ROWS, name="renamed.jsonl"))
    changed_rows = VALID_ROWS[:-1] + [{"inputs": [2, 0, 5, 0], "outputs": [2, 2, 5, 6]}]
    changed = load_data_file(write_data(tmp_path, changed_rows, name="changed.jsonl"))
    assert re.fullmatch(r"[0-9a-f]{16}", first.fingerprint)
    assert renamed.fingerprint == first.fingerprint
    assert changed.fingerprint != first.fingerprint


# ---------------------------------------------------------------------------
# Data files: encodings, layout, sizes, names
# ---------------------------------------------------------------------------


def write_bytes(tmp_path, data: bytes, name="data.jsonl") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def valid_text() -> str:
    return "".join(json.dumps(row) + "\n" for row in VALID_ROWS)


def test_data_file_with_a_utf8_bom_loads(tmp_path):
    task = load_data_file(write_bytes(tmp_path, b"\xef\xbb\xbf" + valid_text().encode()))
    assert len(task.examples) == 10


@pytest.mark.parametrize(
    "encoding, expected",
    [
        pytest.param("utf-16", "is UTF-16 text; save it as UTF-8", id="utf-16"),
        pytest.param("utf-32", "is UTF-32 text; save it as UTF-8", id="utf-32"),
        pytest.param("utf-16-le", "holds NUL bytes", id="utf-16-without-bom"),
    ],
)
def test_data_file_in_another_encoding_is_one_problem(tmp_path, encoding, expected):
    err = data_error(write_bytes(tmp_path, valid_text().encode(encoding)))
    (problem,) = err.problems
    assert problem.startswith(expected), problem


def test_data_file_not_in_utf8_names_the_byte_offset(tmp_path):
    lines = valid_text().encode().split(b"\n")
    lines[2] = b'{"task": "caf\xe9", ' + lines[2][1:]  # Latin-1
    data = b"\n".join(lines)
    err = data_error(write_bytes(tmp_path, data))
    (problem,) = err.problems
    offset = data.index(b"\xe9")
    assert problem == f"is not UTF-8 text: byte 0xe9 at offset {offset:,} (line 3); save it as UTF-8"


@pytest.mark.parametrize("where", [pytest.param(0, id="first-line"), pytest.param(10, id="last-line")])
def test_deeply_nested_data_line_is_one_problem(tmp_path, where):
    lines = list(VALID_ROWS)
    lines.insert(where, "[" * 100_000)
    err = data_error(write_data(tmp_path, lines))
    assert f"line {where + 1}: nested too deeply" in err.problems


@pytest.mark.parametrize(
    "document",
    [
        pytest.param(lambda: json.dumps(VALID_ROWS, indent=2), id="pretty-array"),
        pytest.param(lambda: json.dumps(VALID_ROWS), id="one-line-array"),
        pytest.param(lambda: json.dumps({"examples": VALID_ROWS}, indent=2), id="pretty-object"),
        pytest.param(lambda: json.dumps(VALID_ROWS * 300, indent=2), id="large-pretty-array"),
    ],
)
def test_data_file_of_one_json_document_is_one_problem(tmp_path, document):
    err = data_error(write_bytes(tmp_path, document().encode()))
    (problem,) = err.problems
    assert "a data file has one JSON object per line (JSON Lines)" in problem, problem


def test_many_bad_lines_show_five_problems_and_a_count(tmp_path):
    err = data_error(write_data(tmp_path, ["not json"] * 1000))
    assert len(err.problems) == 6
    assert err.problems[:5] == [f"line {n}: not JSON (Expecting value)" for n in range(1, 6)]
    assert err.problems[5] == "and 995 more problems"


def test_pretty_printed_objects_one_after_another_stay_a_short_message(tmp_path):
    text = "\n".join(json.dumps(row, indent=2) for row in VALID_ROWS * 100)
    err = data_error(write_bytes(tmp_path, text.encode()))  # checks the message is short
    assert err.problems[-1].endswith("more problems")


def test_data_file_that_is_a_folder_is_not_a_file(tmp_path):
    folder = tmp_path / "data.jsonl"
    folder.mkdir()
    assert data_error(folder).problems == ["not a file (a folder)"]
    task_folder = tmp_path / "task.py"
    task_folder.mkdir()
    assert load_error(task_folder).problems == ["not a file (a folder)"]


@pytest.mark.parametrize(
    "value, expected",
    [
        pytest.param(2**63, "line 11: the value 9223372036854775808 does not fit in 64 bits", id="2**63"),
        pytest.param(-(2**63), "line 11: the value -9223372036854775808 does not fit in 64 bits", id="-2**63"),
        pytest.param(10**5000, "line 11: a number does not fit in 64 bits", id="5001-digits"),
    ],
)
def test_data_value_outside_int64_is_a_problem_of_its_line(tmp_path, value, expected):
    import sys

    with_digits = getattr(sys, "set_int_max_str_digits", None)
    if with_digits:  # json.dumps itself refuses to write such a number otherwise
        previous = sys.get_int_max_str_digits()
        sys.set_int_max_str_digits(0)
    try:
        line = json.dumps({"inputs": [0, value], "outputs": [0, 0]})
    finally:
        if with_digits:
            sys.set_int_max_str_digits(previous)
    err = data_error(write_data(tmp_path, VALID_ROWS + [line]))
    assert any(p.startswith(expected) for p in err.problems), err.problems


@pytest.mark.parametrize(
    "file_name, expected",
    [
        pytest.param("..jsonl", "data", id="dot"),
        pytest.param("....jsonl", "data", id="dots"),
        pytest.param(".hidden.jsonl", "hidden", id="hidden"),
        pytest.param("my data (v2).jsonl", "my_data__v2_", id="spaces-and-brackets"),
        pytest.param("-dash.jsonl", "dash", id="leading-dash"),
        pytest.param("café.jsonl", "caf_", id="non-ascii"),
        pytest.param("x" * 200 + ".jsonl", "x" * 100, id="long"),
    ],
)
def test_data_file_name_is_always_a_valid_task_name(tmp_path, file_name, expected):
    task = load_data_file(write_data(tmp_path, VALID_ROWS, name=file_name))
    assert task.name == expected
    # The rule for NAME: the name becomes a folder name.
    define_task(name=task.name, input_dim=1, length=2, input_values=[0], reference=lambda xs: list(xs))
