"""Task validation: `define_task`, task files, limits, determinism, numbers, fingerprints and the built-in tasks."""

from __future__ import annotations

import ast
import random
import re
from pathlib import Path

import pytest
from task_files import fails_after, load_error, write_task

from mips import tasks
from mips.datafile import load_data_file
from mips.errors import MipsError, TaskError
from mips.task import Task, define_task, load_task_file


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
            "INPUT_VALUES",
            "INPUT_VALUES = [0.5, 1.5]",
            "INPUT_VALUES must hold integers only",
            id="INPUT_VALUES-floats",
        ),
        pytest.param(
            "INPUT_VALUES",
            'INPUT_VALUES = ["a", "b"]',
            "INPUT_VALUES must hold integers only",
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
    """A one-number output given as a 1-tuple is accepted, and read as the plain number
    (`task.as_step`): the task has one output number, and its outputs are ints."""
    path = write_task(tmp_path, reference="def reference(inputs):\n    return [(x,) for x in inputs]\n")
    task = load_task_file(path)
    assert task.output_dim == 1
    outputs = task.run_reference([1, 2])
    assert outputs == [1, 2] and all(type(y) is int for y in outputs)


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
        name=" Echo ",
        input_dim=1,
        length=10,
        input_values=[2, 0, 1, 1],
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


# ---------------------------------------------------------------------------
# Limits, determinism and numbers
# ---------------------------------------------------------------------------

CONSTANT_REFERENCE = "def reference(inputs):\n    return [0 for x in inputs]\n"


@pytest.mark.parametrize(
    "field, allowed, refused, expected",
    [
        pytest.param("NAME", "NAME = 'x' * 100", "NAME = 'x' * 101", "NAME may have at most 100 characters", id="NAME"),
        pytest.param("INPUT_DIM", "INPUT_DIM = 16", "INPUT_DIM = 17", "INPUT_DIM may be at most 16", id="INPUT_DIM"),
        pytest.param("LENGTH", "LENGTH = 1000", "LENGTH = 10**9", "LENGTH may be at most 1,000", id="LENGTH"),
        pytest.param(
            "INPUT_VALUES",
            "INPUT_VALUES = range(1000)",
            "INPUT_VALUES = range(10**12)",
            "INPUT_VALUES may hold at most 1,000 distinct values",
            id="huge-range",
        ),
        pytest.param(
            "INPUT_VALUES",
            "INPUT_VALUES = range(2)",
            "INPUT_VALUES = range(10**20)",
            "INPUT_VALUES may hold at most 1,000 distinct values",
            id="range-past-sys.maxsize",
        ),
        pytest.param(
            "INPUT_VALUES",
            "INPUT_VALUES = [0, 1] * 5000",
            "INPUT_VALUES = list(range(1001))",
            "INPUT_VALUES may hold at most 1,000 distinct values",
            id="distinct-values-count",
        ),
        pytest.param(
            "INPUT_VALUES",
            "INPUT_VALUES = (v for v in range(1000))",
            "import itertools\nINPUT_VALUES = itertools.count()",
            "INPUT_VALUES may hold at most 1,000 distinct values",
            id="endless-generator",
        ),
        pytest.param(
            "INPUT_VALUES",
            "INPUT_VALUES = [-(2**63) + 1, 2**63 - 1]",
            "INPUT_VALUES = [0, 2**63]",
            "INPUT_VALUES value 9223372036854775808 does not fit in 64 bits",
            id="past-int64",
        ),
        pytest.param(
            "INPUT_VALUES",
            "INPUT_VALUES = [0, 1]",
            "INPUT_VALUES = [-(2**63), 0]",
            "INPUT_VALUES value -9223372036854775808 does not fit in 64 bits",
            id="past-int64-negative",
        ),
    ],
)
def test_limit_is_refused_at_once_and_the_limit_itself_is_allowed(tmp_path, field, allowed, refused, expected):
    with fails_after(20):
        task = load_task_file(write_task(tmp_path, name="allowed.py", reference=CONSTANT_REFERENCE, **{field: allowed}))
        assert task.output_dim == 1
        err = load_error(write_task(tmp_path, name="refused.py", reference=CONSTANT_REFERENCE, **{field: refused}))
    (problem,) = err.problems
    assert problem.startswith(expected), problem


@pytest.mark.parametrize(
    "reference",
    [
        pytest.param(
            "import random\ndef reference(inputs):\n    return [random.randint(0, 9) for x in inputs]\n", id="random"
        ),
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
        pytest.param(
            {"reference": "def reference(inputs):\n    return [[0.5] * 10000 for x in inputs]\n"}, id="long-output"
        ),
        pytest.param(
            {
                "reference": "def reference(inputs):\n    return inputs if len(inputs) < 100 else inputs[:-1]\n",
                "LENGTH": "LENGTH = 1000",
            },
            id="long-inputs",
        ),
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

RUNNING_MIN_REFERENCE = """
def reference(inputs):
    out, best = [], 9
    for x in inputs:
        best = min(best, x)
        out.append(best)
    return out
"""


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


_OUR_TASK_FILES = sorted((Path(__file__).resolve().parents[1] / "benchmarks").glob("task_files*/*.py"))


@pytest.mark.parametrize("path", _OUR_TASK_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_benchmarks_task_files_load_and_give_one_output_per_step(path):
    task = load_task_file(path)
    rng = random.Random(0)
    values = list(task.input_values)
    for _ in range(20):
        row = [
            rng.choice(values) if task.input_dim == 1 else tuple(rng.choice(values) for _ in range(task.input_dim))
            for _ in range(task.length)
        ]
        assert len(task.run_reference(row)) == task.length
