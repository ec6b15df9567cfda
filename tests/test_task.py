"""Task validation: `define_task`, task files, data files and the built-in tasks."""

from __future__ import annotations

import ast
import json
import random
import re

import pytest

from mips import tasks
from mips.errors import MipsError, TaskError
from mips.task import Task, define_task, load_data_file, load_task_file

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


def load_error(path) -> TaskError:
    with pytest.raises(TaskError) as info:
        load_task_file(path)
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
