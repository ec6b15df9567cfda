"""Verification: run the emitted program text against the task, strictly.

This module imports neither the model nor the trainer, so that it stays
independent of what it checks. A task with a reference is checked on fresh
random sequences at the training length and at several times it; a data-file
task on the examples that were held out from training and extraction.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass
from typing import Callable, Sequence

from mips.data import sample_examples
from mips.task import Example, Task


@dataclass(frozen=True, kw_only=True)
class VerifyConfig:
    sequences: int = 10_000  # at the training length
    long_sequences: int = 1_000  # at `long_factor` times the training length
    long_factor: int = 5

    def __post_init__(self):
        if self.sequences < 1 or self.long_sequences < 0 or self.long_factor < 1:
            raise ValueError("VerifyConfig: sequences >= 1, long_sequences >= 0, long_factor >= 1")


@dataclass(frozen=True)
class Check:
    what: str  # "fresh random sequences" or "held-out examples"
    length: int | None  # sequence length (None: the examples' own lengths)
    sequences: int
    passed: int
    counterexample: dict | None = None  # the first failure: inputs, expected, got

    @property
    def ok(self) -> bool:
        return self.sequences > 0 and self.passed == self.sequences


@dataclass(frozen=True)
class Verdict:
    verified: bool
    checks: tuple[Check, ...]
    error: str = ""  # why the program could not even be loaded

    def summary(self) -> str:
        if self.error:
            return f"NOT VERIFIED: {self.error}"
        parts = [
            f"{c.passed}/{c.sequences} {c.what}" + (f" of length {c.length}" if c.length else "") for c in self.checks
        ]
        return ("VERIFIED: " if self.verified else "NOT VERIFIED: ") + ", ".join(parts)

    def to_json(self) -> dict:
        return {"verified": self.verified, "error": self.error, "checks": [asdict(c) for c in self.checks]}


def load_program(text: str) -> Callable[[list], list]:
    """Execute program text in a fresh namespace and return its `program` function."""
    namespace: dict = {"__name__": "mips_program"}
    exec(compile(text, "program.py", "exec"), namespace)
    program = namespace.get("program")
    if not callable(program):
        raise ValueError("the program text defines no function `program`")
    return program


def verify_program(
    text: str, task: Task, config: VerifyConfig, *, seed: int, holdout: Sequence[Example] = ()
) -> Verdict:
    try:
        program = load_program(text)
    except Exception as exc:  # a program that does not load is a failed result, not a crash
        return Verdict(False, (), f"program does not load: {type(exc).__name__}: {exc}")
    if not task.has_reference:
        checks = (_check(program, list(holdout), "held-out examples", None),)
    else:
        rng = random.Random(seed)
        plan = [(config.sequences, task.length)]
        if config.long_sequences:
            plan.append((config.long_sequences, task.length * config.long_factor))
        checks = tuple(
            _check(program, sample_examples(task, count, length, rng=rng), "fresh random sequences", length)
            for count, length in plan
        )
    return Verdict(all(c.ok for c in checks) and bool(checks), checks)


def _check(program, examples: list[Example], what: str, length: int | None) -> Check:
    passed, counterexample = 0, None
    for inputs, expected in examples:
        try:
            got = [y if not isinstance(y, list) else tuple(y) for y in program(list(inputs))]
        except Exception as exc:
            got = f"{type(exc).__name__}: {exc}"
        if got == list(expected):
            passed += 1
        elif counterexample is None:
            counterexample = {"inputs": list(inputs), "expected": list(expected), "got": got}
    return Check(what, length, len(examples), passed, counterexample)
