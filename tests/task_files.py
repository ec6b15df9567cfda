"""A valid task file to change one field at a time, shared by the tests of task files, data files and the user's code."""

from __future__ import annotations

import signal
from contextlib import contextmanager

import pytest

from mips.errors import TaskError
from mips.task import load_task_file

RUNNING_MAX_REFERENCE = """
def reference(inputs):
    out, best = [], 0
    for x in inputs:
        best = max(best, x)
        out.append(best)
    return out
"""

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
