"""Built-in tasks: the 62 of the MIPS benchmark, looked up by name."""

from __future__ import annotations

from functools import lru_cache

from mips.task import Task, define_task
from tasks.benchmark import SPECS

NAMES: tuple[str, ...] = tuple(SPECS)


@lru_cache(maxsize=None)
def get(name: str) -> Task:
    """The built-in task of that exact name (KeyError if there is none)."""
    input_dim, length, values, reference, sample, rule = SPECS[name]
    return define_task(
        name=name, input_dim=input_dim, length=length, input_values=values,
        reference=reference, sample=sample, rule=rule, source="built-in",
    )


def all_tasks() -> list[Task]:
    return [get(name) for name in NAMES]
