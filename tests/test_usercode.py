"""The user's code (`mips.usercode`): exits, hangs and failures after validation are one-line task errors."""

from __future__ import annotations

import random
import signal
import threading

import pytest
from task_files import SHORT_MESSAGE, fails_after, load_error, needs_timer, write_task

import mips.usercode
from mips.errors import TaskError
from mips.task import load_task_file

# ---------------------------------------------------------------------------
# The user's code: exits, hangs, misbehaves after validation
# ---------------------------------------------------------------------------


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
        pytest.param(
            "return [(0, 0)] * len(inputs)",
            "reference outputs have 1 number(s) per step, but this one has 2",
            id="new-shape",
        ),
        pytest.param(
            "return [2**63] * len(inputs)", "reference output 9223372036854775808 does not fit in 64 bits", id="too-big"
        ),
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
        pytest.param(
            "while True:\n        try:\n            pass\n        except Exception:\n            pass",
            id="loop-catching-exceptions",
        ),
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


@needs_timer
def test_endless_generator_of_few_values_is_stopped_at_the_time_limit(tmp_path, short_time_limit):
    with fails_after(10):
        err = load_error(write_task(tmp_path, INPUT_VALUES="import itertools\nINPUT_VALUES = itertools.cycle([0, 1])"))
    (problem,) = err.problems
    assert problem.startswith("INPUT_VALUES ran past the 0.3 s time limit"), problem
