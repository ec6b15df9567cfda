"""Data from tasks: user code that fails while data is made, and numbers past int64."""

from __future__ import annotations

import random

import numpy as np
import pytest

from mips.data import DataConfig, make_task_data, sample_examples, to_arrays
from mips.errors import TaskError
from mips.task import define_task


def echo_until(longest: int):
    """A reference that echoes its inputs, and raises on sequences longer than `longest`."""

    def reference(inputs):
        if len(inputs) > longest:
            raise ValueError("longer than I can handle")
        return list(inputs)

    return reference


def test_to_arrays_of_a_value_past_int64_is_a_task_error_not_an_overflow():
    largest = 2**63 - 1
    arrays = to_arrays([((0, -largest), (largest, 1))])
    assert arrays.outputs.dtype == np.int64 and arrays.outputs[0, 0, 0] == largest
    with pytest.raises(TaskError) as info:
        to_arrays([((0, 1), (1, 2**63))], source="my_task.py")
    assert info.value.source == "my_task.py"
    assert info.value.problems == ["the value 9223372036854775808 does not fit in 64 bits (|v| < 2**63 is needed)"]


def test_sample_examples_turns_a_reference_failing_on_longer_inputs_into_a_task_error():
    # Checked on sequences up to 5 x LENGTH = 20 steps; verification may ask for more.
    task = define_task(
        name="Echo", input_dim=1, length=4, input_values=range(3), reference=echo_until(20), source="echo.py"
    )
    assert len(sample_examples(task, 3, 20, rng=random.Random(0))) == 3
    with pytest.raises(TaskError) as info:
        sample_examples(task, 3, 21, rng=random.Random(0))
    (problem,) = info.value.problems
    assert info.value.source == "echo.py"
    assert problem.startswith("reference raised ValueError: longer than I can handle on inputs [")


def test_make_task_data_from_a_sample_that_exits_later_is_a_task_error():
    calls = []

    def sample(rng, length):
        calls.append(length)
        if len(calls) > 100:  # after the checks, while the training data is made
            raise SystemExit
        return [rng.choice([0, 1]) for _ in range(length)]

    task = define_task(
        name="Echo",
        input_dim=1,
        length=4,
        input_values=[0, 1],
        reference=echo_until(20),
        sample=sample,
        source="echo.py",
    )
    with pytest.raises(TaskError) as info:
        make_task_data(task, DataConfig(train_sequences=200, heldout_sequences=10), seed=0)
    assert info.value.problems == ["sample(rng, 4) raised SystemExit (a task's code must return, not exit)"]
