"""Built-in tasks: the 62 of the MIPS benchmark, looked up by name."""

from __future__ import annotations

from functools import lru_cache

from mips.task import Task, define_task
from mips.tasks.benchmark import SPECS

NAMES: tuple[str, ...] = tuple(SPECS)

# Named suites for `mips bench`: a few easy tasks that finish in minutes, and all 62.
SUITES: dict[str, tuple[str, ...]] = {
    "smoke": ("Bitwise_Not", "Current_Number", "Bitwise_Xor", "Parity_All", "Prev1"),
    "full": NAMES,
}


@lru_cache(maxsize=None)
def get(name: str) -> Task:
    """The built-in task of that exact name (KeyError if there is none)."""
    input_dim, length, values, reference, sample, rule = SPECS[name]
    return define_task(
        name=name,
        input_dim=input_dim,
        length=length,
        input_values=values,
        reference=reference,
        sample=sample,
        rule=rule,
        source="built-in",
    )


def all_tasks() -> list[Task]:
    return [get(name) for name in NAMES]


def anchors() -> dict[str, dict[str, str]]:
    """Where others stand on each built-in task (for reports only; the pipeline never reads it).

    Columns: mips_hidden_size, mips_solved, gpt4_credited, gpt4_correct, rpni_solved,
    rpni_states, rpni_seconds (see TASKS.md in the benchmark folder beside this checkout,
    ../shared/benchmark/)."""
    from pathlib import Path

    lines = (Path(__file__).parent / "anchors.tsv").read_text().splitlines()
    header = lines[0].split("\t")
    return {row[0]: dict(zip(header[1:], row[1:])) for row in (line.split("\t") for line in lines[1:] if line)}
