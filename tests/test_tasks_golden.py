"""Every worked example of the benchmark (../shared/benchmark/golden.jsonl) is reproduced exactly."""

import json
import os
from collections import Counter
from pathlib import Path

import pytest

from mips import tasks

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(os.environ.get("MIPS_GOLDEN", ROOT.parent / "shared" / "benchmark" / "golden.jsonl"))


def _golden_rows():
    if not GOLDEN.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"golden examples not found at {GOLDEN} (set MIPS_GOLDEN)")
        pytest.skip(f"golden examples not found at {GOLDEN} (set MIPS_GOLDEN to check them)")
    return [json.loads(line) for line in GOLDEN.read_text().splitlines() if line.strip()]


def _step(value):
    return tuple(value) if isinstance(value, list) else value


def test_every_golden_example_is_reproduced():
    rows = _golden_rows()
    assert len(rows) == 1488
    assert set(Counter(r["task"] for r in rows).values()) == {24}
    assert set(r["task"] for r in rows) == set(tasks.NAMES)
    mismatches = []
    for row in rows:
        task = tasks.get(row["task"])
        inputs = [_step(x) for x in row["inputs"]]
        expected = [_step(y) for y in row["outputs"]]
        got = task.run_reference(inputs)
        if got != expected:
            mismatches.append(f"{task.name} {inputs}: expected {expected}, got {got}")
    assert not mismatches, f"{len(mismatches)} golden examples disagree:\n" + "\n".join(mismatches[:10])


def test_golden_inputs_fit_each_task_definition():
    for row in _golden_rows():
        task = tasks.get(row["task"])
        assert len(row["inputs"]) in (task.length, 3 * task.length), task.name
        for step in row["inputs"]:
            numbers = step if isinstance(step, list) else [step]
            assert len(numbers) == task.input_dim, task.name
            assert all(v in task.input_values for v in numbers), (task.name, step)
