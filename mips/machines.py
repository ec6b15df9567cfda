"""Discrete machines read out of a network. Each one runs on its own.

- `StateMachine`: a Moore machine over a finite set of states (tables).
- `AffineMachine`: an integer state vector updated by exact rational affine
  formulas, s <- A s + B x + c, with outputs y = V s + w.

Both use the task's calling convention: a list of per-step inputs (ints, or
tuples when a step has several numbers) in, a list of outputs out. Inputs are
kept inside as tuples, so one code path serves every input width.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

Step = int | tuple[int, ...]
Matrix = tuple[tuple[Fraction, ...], ...]


def as_tuple(step: Step) -> tuple[int, ...]:
    return step if isinstance(step, tuple) else (step,)


def from_tuple(values: Sequence[int]) -> Step:
    return int(values[0]) if len(values) == 1 else tuple(int(v) for v in values)


@dataclass(frozen=True)
class StateMachine:
    """Moore machine: state <- transitions[state][symbol]; output = outputs[state].

    `symbols` is the input alphabet (as tuples); a transition of -1 was never
    observed, and running into one raises KeyError.
    """

    initial: int
    symbols: tuple[tuple[int, ...], ...]
    transitions: tuple[tuple[int, ...], ...]
    outputs: tuple[tuple[int, ...], ...]

    kind = "fsm"

    @property
    def states(self) -> int:
        return len(self.transitions)

    @property
    def size(self) -> int:
        """Description length: table entries."""
        return self.states * (len(self.symbols) + 1)

    @property
    def complete(self) -> bool:
        """Every transition is known (none was left unobserved)."""
        return all(t >= 0 for row in self.transitions for t in row)

    def run(self, inputs: Sequence[Step]) -> list[Step]:
        return [output for _, output in self.steps(inputs)]

    def steps(self, inputs: Sequence[Step]) -> list[tuple[int, Step]]:
        """(state, output) after each input."""
        index = {s: i for i, s in enumerate(self.symbols)}
        state, out = self.initial, []
        for x in inputs:
            if as_tuple(x) not in index:
                raise KeyError(f"input {x!r} is not in the machine's alphabet")
            state = self.transitions[state][index[as_tuple(x)]]
            if state < 0:
                raise KeyError(f"transition on input {x!r} was never observed")
            out.append((state, from_tuple(self.outputs[state])))
        return out

    def to_json(self) -> dict:
        return {
            "kind": self.kind,
            "initial": self.initial,
            "symbols": [list(s) for s in self.symbols],
            "transitions": [list(row) for row in self.transitions],
            "outputs": [list(o) for o in self.outputs],
        }

    @classmethod
    def from_json(cls, data: dict) -> StateMachine:
        return cls(
            initial=int(data["initial"]),
            symbols=tuple(tuple(s) for s in data["symbols"]),
            transitions=tuple(tuple(row) for row in data["transitions"]),
            outputs=tuple(tuple(o) for o in data["outputs"]),
        )


def _matrix_json(m: Matrix) -> list[list[str]]:
    return [[str(v) for v in row] for row in m]


def _matrix_from_json(rows) -> Matrix:
    return tuple(tuple(Fraction(v) for v in row) for row in rows)


def _affine(rows: Matrix, values: Sequence[int]) -> list[Fraction]:
    """rows @ (values, 1): the last column of each row is the constant."""
    return [sum((a * v for a, v in zip(row, values)), Fraction(0)) + row[-1] for row in rows]


@dataclass(frozen=True)
class AffineMachine:
    """Integer state s, starting at `initial` (all zeros when not given):
    s <- update @ (s, x, 1); y = readout @ (s, 1).

    `update` has one row per state coordinate and `readout` one row per output
    number, each with a trailing constant column. Coefficients are exact.

    When an input acts on the state in a way that is not linear in its value
    (a counter of even inputs), `input_table` gives, for each input symbol in
    `symbols`, what it adds to the state; the input columns of `update` are then 0.
    """

    state_dim: int
    input_dim: int
    update: Matrix
    readout: Matrix
    initial: tuple[int, ...] = ()
    symbols: tuple[tuple[int, ...], ...] = ()
    input_table: Matrix = ()  # one row per symbol, one column per state coordinate

    def __post_init__(self):
        if not self.initial:
            object.__setattr__(self, "initial", (0,) * self.state_dim)

    kind = "lattice"

    @property
    def complete(self) -> bool:
        """Defined on every input (a lattice has no unobserved transitions)."""
        return True

    @property
    def size(self) -> int:
        """Description length: nonzero coefficients plus one per state coordinate."""
        nonzero = sum(v != 0 for row in self.update + self.readout + self.input_table for v in row)
        return nonzero + self.state_dim

    def run(self, inputs: Sequence[Step]) -> list[Step]:
        return [output for _, output in self.steps(inputs)]

    def steps(self, inputs: Sequence[Step]) -> list[tuple[tuple[int, ...], Step]]:
        """(state, output) after each input."""
        state = [Fraction(v) for v in self.initial]
        table = dict(zip(self.symbols, self.input_table))
        out = []
        for x in inputs:
            if table and as_tuple(x) not in table:
                raise KeyError(f"input {x!r} is not in the machine's input table")
            state = _affine(self.update, list(state) + list(as_tuple(x)))
            if table:
                state = [v + t for v, t in zip(state, table[as_tuple(x)])]
            y = _affine(self.readout, state)
            if any(v.denominator != 1 for v in state + y):
                raise ValueError("affine machine left the integers")
            out.append((tuple(int(v) for v in state), from_tuple([int(v) for v in y])))
        return out

    def to_json(self) -> dict:
        return {
            "kind": self.kind,
            "state_dim": self.state_dim,
            "input_dim": self.input_dim,
            "update": _matrix_json(self.update),
            "readout": _matrix_json(self.readout),
            "initial": list(self.initial),
            "symbols": [list(x) for x in self.symbols],
            "input_table": _matrix_json(self.input_table),
        }

    @classmethod
    def from_json(cls, data: dict) -> AffineMachine:
        return cls(
            state_dim=int(data["state_dim"]),
            input_dim=int(data["input_dim"]),
            update=_matrix_from_json(data["update"]),
            readout=_matrix_from_json(data["readout"]),
            initial=tuple(int(v) for v in data.get("initial", ())),
            symbols=tuple(tuple(x) for x in data.get("symbols", ())),
            input_table=_matrix_from_json(data.get("input_table", ())),
        )


Machine = StateMachine | AffineMachine


def machine_from_json(data: dict) -> Machine:
    kinds = {"fsm": StateMachine, "lattice": AffineMachine}
    return kinds[data["kind"]].from_json(data)
