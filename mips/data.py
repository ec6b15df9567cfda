"""Data: input/output sequences as integer arrays, deterministic from the seed.

Arrays are int64 with shape [sequences, steps, numbers per step], for inputs
and outputs alike, so one-number steps have a trailing axis of 1.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass

import numpy as np

from mips.errors import TaskError
from mips.task import Example, Task, first_out_of_range, out_of_range_problem


@dataclass(frozen=True)
class Sequences:
    inputs: np.ndarray  # int64 [N, T, input_dim]
    outputs: np.ndarray  # int64 [N, T, output_dim]

    def __len__(self) -> int:
        return self.inputs.shape[0]

    @property
    def length(self) -> int:
        return self.inputs.shape[1]


@dataclass(frozen=True, kw_only=True)
class DataConfig:
    train_sequences: int = 8192
    heldout_sequences: int = 2048
    heldout_fraction: float = 0.25  # for data files: the share of examples kept for verification

    def __post_init__(self):
        if self.train_sequences < 1 or self.heldout_sequences < 1:
            raise ValueError("DataConfig needs at least one training and one held-out sequence")
        if not 0 < self.heldout_fraction < 1:
            raise ValueError("DataConfig.heldout_fraction must be between 0 and 1")


@dataclass(frozen=True)
class TaskData:
    """Training set, held-out set (early stopping and extraction) and, for data files,
    the examples kept back for verification (never seen by training or extraction)."""

    train: Sequences
    heldout: Sequences
    verify_examples: tuple[Example, ...] = ()


def to_arrays(examples: list[Example] | tuple[Example, ...], *, source: str = "examples") -> Sequences:
    """Equal-length examples (inputs, outputs) in the task convention -> arrays.

    Tasks are checked to give int64 numbers only, but a reference is seen on a few inputs
    when checked: a number past int64 is still a TaskError of `source`, not an OverflowError.
    """
    try:
        xs = np.array([[s if isinstance(s, tuple) else (s,) for s in x] for x, _ in examples], dtype=np.int64)
        ys = np.array([[s if isinstance(s, tuple) else (s,) for s in y] for _, y in examples], dtype=np.int64)
    except OverflowError:
        big = first_out_of_range(s for x, y in examples for s in x + y)
        raise TaskError(source, [out_of_range_problem("the value", big)]) from None
    return Sequences(xs, ys)


def sample_examples(task: Task, count: int, length: int, *, rng: random.Random) -> list[Example]:
    """Fresh random examples from the task's reference."""
    out = []
    for _ in range(count):
        inputs = task.draw_inputs(rng, length)
        out.append((tuple(inputs), tuple(task.run_reference(inputs))))
    return out


def make_task_data(task: Task, config: DataConfig, *, seed: int) -> TaskData:
    rng = random.Random(seed)
    if task.has_reference:
        train = sample_examples(task, config.train_sequences, task.length, rng=rng)
        heldout = sample_examples(task, config.heldout_sequences, task.length, rng=rng)
        return TaskData(to_arrays(train, source=task.source), to_arrays(heldout, source=task.source))
    examples = list(task.examples)
    rng.shuffle(examples)
    n_verify = max(1, round(len(examples) * config.heldout_fraction))
    verify, rest = examples[:n_verify], examples[n_verify:]
    # Training and early stopping use the examples of the training length; the
    # early-stopping set is a slice of the training examples, never the verification set.
    usable = [e for e in rest if len(e[0]) == task.length]
    if len(usable) < 2:
        raise TaskError(
            task.source,
            [
                f"only {len(usable)} example(s) of the training length {task.length} remain after holding out "
                f"{len(verify)} for verification; give more examples of that length"
            ],
        )
    n_stop = max(1, len(usable) // 5)
    stop, train = usable[:n_stop], usable[n_stop:] or usable
    return TaskData(to_arrays(train, source=task.source), to_arrays(stop, source=task.source), tuple(verify))


def data_fingerprint(data: TaskData) -> str:
    """A hash of the training and held-out arrays: the same data, the same fingerprint."""
    digest = hashlib.sha256()
    for array in (data.train.inputs, data.train.outputs, data.heldout.inputs, data.heldout.outputs):
        digest.update(str(array.shape).encode())
        digest.update(np.ascontiguousarray(array, dtype=np.int64).tobytes())
    return digest.hexdigest()[:16]
