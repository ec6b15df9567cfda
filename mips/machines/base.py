"""What every machine is: the Machine protocol, the steps it reads and writes, and its names.

A machine runs on its own with the task's calling convention: a list of per-step inputs (ints,
or tuples when a step has several numbers) in, a list of outputs out. Inputs are kept inside as
tuples, so one code path serves every input width. A new kind of machine is one class that
follows `Machine` (registered in `mips.machines.KINDS`) and its emitter (`mips.emit`).
"""

from __future__ import annotations

from typing import ClassVar, Protocol, Sequence

Step = int | tuple[int, ...]


def as_tuple(step: Step) -> tuple[int, ...]:
    return step if isinstance(step, tuple) else (step,)


def from_tuple(values: Sequence[int]) -> Step:
    return int(values[0]) if len(values) == 1 else tuple(int(v) for v in values)


class Machine(Protocol):
    """What the pipeline, emission, inspection and the run folder need of a machine."""

    kind: ClassVar[str]  # "fsm", "lattice" or "formula": the key of its JSON and of its emitter

    @property
    def form(self) -> str:
        """How its program reads: "table", "formula", "formula with an input table"."""

    @property
    def complete(self) -> bool:
        """Defined on every input (no transition left unobserved)."""

    @property
    def size(self) -> int:
        """Description length, to choose the smallest."""

    @property
    def input_width(self) -> int:
        """Numbers per input step."""

    @property
    def shape(self) -> str:
        """What it is, in a few words ("5-state machine")."""

    def run(self, inputs: Sequence[Step]) -> list[Step]: ...

    def steps(self, inputs: Sequence[Step]) -> list[tuple]:
        """(state, output) after each input."""

    def text(self, names: Sequence[str] = ()) -> list[str]:
        """Its rules, readable (`mips inspect`), its state coordinates called `names` when
        given (the program's names for them) and s0, s1, ... otherwise."""

    def to_json(self) -> dict: ...


# What running a checked machine may raise: an input off its alphabet or an unseen transition
# (KeyError), leaving the integers (ValueError), a formula dividing by zero or overflowing
# (ArithmeticError), min or max of a single number (TypeError).
MACHINE_ERRORS = (KeyError, ValueError, ArithmeticError, TypeError)


# A state past 64 bits is no state of a network's task (its data is int64), and a state
# that squares itself at each step would soon fill the memory: such a machine stops.
_STATE_LIMIT = 2**63


def check_range(state) -> None:
    if any(not -_STATE_LIMIT < v < _STATE_LIMIT for v in state):
        raise ValueError("the machine's state left the 64-bit integers")


def state_names(m: int) -> list[str]:
    return [f"s{i}" for i in range(m)]


def input_names(d: int) -> list[str]:
    return ["x"] if d == 1 else [f"x{j}" for j in range(d)]
