"""An integer state updated by exact rational affine formulas: s <- A s + B x + c, y = V s + w."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from math import lcm
from typing import Sequence

from mips.io.jsonread import (
    Matrix,
    json_field,
    json_fractions,
    json_initial,
    json_int,
    json_object,
    json_steps,
)
from mips.machines.base import Step, as_tuple, check_range, from_tuple, input_names, state_names


def _matrix_json(m: Matrix) -> list[list[str]]:
    return [[str(v) for v in row] for row in m]


def _over_common_denominator(rows: Matrix) -> tuple[list[list[int]], int]:
    """Integer rows and one denominator d with rows == integer rows / d."""
    d = lcm(1, *(Fraction(v).denominator for row in rows for v in row))
    return [[int(Fraction(v) * d) for v in row] for row in rows], d


def _affine(rows: tuple[list[list[int]], int], values: Sequence[int]) -> list[int]:
    """rows @ (values, 1) (the last column of each row is the constant), with `rows` over a
    common denominator, as integers; ValueError when a result is not an integer. (Integer
    arithmetic: measured, Fractions made checking a 7-number lattice on the held-out data
    take 20 s.)"""
    numerators, d = rows
    out = []
    for row in numerators:
        total = row[-1] + sum(a * v for a, v in zip(row, values))
        if total % d:
            raise ValueError("affine machine left the integers")
        out.append(total // d)
    return out


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
    def form(self) -> str:
        """How the program reads: formulas, or formulas with a table of what each input adds."""
        return "formula with an input table" if self.input_table else "formula"

    @property
    def complete(self) -> bool:
        """Defined on every input (a lattice has no unobserved transitions)."""
        return True

    @property
    def size(self) -> int:
        """Description length: nonzero coefficients plus one per state coordinate."""
        nonzero = sum(v != 0 for row in self.update + self.readout + self.input_table for v in row)
        return nonzero + self.state_dim

    @property
    def input_width(self) -> int:
        return self.input_dim

    @property
    def shape(self) -> str:
        return f"{self.state_dim}-dimensional integer lattice"

    def text(self, names: Sequence[str] = ()) -> list[str]:
        """The start state, the update of each coordinate (with the input table) and the readout,
        with exact rational coefficients; the coordinates called `names` when given."""
        states, inputs = list(names) or state_names(self.state_dim), input_names(self.input_dim)
        lines = [
            f"integer lattice: {self.state_dim} state coordinate(s), start {tuple(self.initial)}",
            "  after each input:",
        ]
        for i, row in enumerate(self.update):
            text = affine_text(row, states + inputs)
            if self.input_table:
                text = ("" if text == "0" else text + " + ") + f"STEP[x][{i}]"
            lines.append(f"    {states[i]} <- {text}")
        if self.input_table:
            lines.append("  STEP[x], what reading x adds to the state:")
            for symbol, row in zip(self.symbols, self.input_table):
                values = [str(v) for v in row]
                lines.append(
                    f"    x = {from_tuple(symbol)!r}: {values[0] if len(values) == 1 else '(' + ', '.join(values) + ')'}"
                )
        for j, row in enumerate(self.readout):
            lines.append(f"  output{'' if len(self.readout) == 1 else f'[{j}]'} = {affine_text(row, states)}")
        return lines

    def run(self, inputs: Sequence[Step]) -> list[Step]:
        return [output for _, output in self.steps(inputs)]

    @cached_property
    def _integer_rows(self):
        return _over_common_denominator(self.update), _over_common_denominator(self.readout)

    def steps(self, inputs: Sequence[Step]) -> list[tuple[tuple[int, ...], Step]]:
        """(state, output) after each input."""
        state = [int(v) for v in self.initial]
        table = dict(zip(self.symbols, self.input_table))
        update, readout = self._integer_rows
        out = []
        for x in inputs:
            if table and as_tuple(x) not in table:
                raise KeyError(f"input {x!r} is not in the machine's input table")
            state = _affine(update, state + [int(v) for v in as_tuple(x)])
            if table:
                added = [Fraction(v) + t for v, t in zip(state, table[as_tuple(x)])]
                if any(v.denominator != 1 for v in added):
                    raise ValueError("affine machine left the integers")
                state = [int(v) for v in added]
            y = _affine(readout, state)
            check_range(state)
            out.append((tuple(state), from_tuple(y)))
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
        """Raises ValueError, naming the field, when `data` is not a well-formed lattice machine."""
        json_object(data, "the machine")
        m = json_int(json_field(data, "state_dim"), "state_dim", low=0)
        d = json_int(json_field(data, "input_dim"), "input_dim", low=1)
        readout = json_fractions(json_field(data, "readout"), "readout", columns=m + 1)
        if not readout:
            raise ValueError("readout is empty: a machine gives at least one output number")
        symbols = json_steps(data.get("symbols", []), "symbols", width=d, distinct=True)
        return cls(
            state_dim=m,
            input_dim=d,
            update=json_fractions(json_field(data, "update"), "update", rows=m, columns=m + d + 1),
            readout=readout,
            initial=json_initial(data, m),
            symbols=symbols,
            input_table=json_fractions(data.get("input_table", []), "input_table", rows=len(symbols), columns=m),
        )


def affine_formula(row: Sequence[Fraction], names: Sequence[str]) -> str:
    """sum(row[i] * names[i]) + row[-1] as Python integer arithmetic (over a common
    denominator, then floor-divided: exact, since the machine's states are integers)."""
    denominator = lcm(*(Fraction(c).denominator for c in row))
    text = affine_text([Fraction(c) * denominator for c in row], names)
    return f"({text}) // {denominator}" if denominator != 1 else text


def affine_text(row: Sequence[Fraction], names: Sequence[str]) -> str:
    """sum(row[i] * names[i]) + row[-1] as text with exact coefficients ("s0 - 1/2 * x + 3"),
    a positive term first (1 - s0 rather than -s0 + 1)."""
    terms = []
    for coefficient, name in zip(row, list(names) + [""]):
        if coefficient == 0:
            continue
        magnitude = abs(Fraction(coefficient))
        body = str(magnitude) if not name else (name if magnitude == 1 else f"{magnitude} * {name}")
        terms.append(("-" if coefficient < 0 else "+", body))
    if not terms:
        return "0"
    positive = next((i for i, (sign, _) in enumerate(terms) if sign == "+"), 0)
    terms.insert(0, terms.pop(positive))
    text = ("-" if terms[0][0] == "-" else "") + terms[0][1]
    return text + "".join(f" {sign} {body}" for sign, body in terms[1:])
