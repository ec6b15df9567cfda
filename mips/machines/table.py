"""A state machine as tables: a Moore machine over a finite set of states."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from mips.io.jsonread import (
    json_field,
    json_int,
    json_ints,
    json_list,
    json_object,
    json_steps,
)
from mips.machines.base import Step, as_tuple, from_tuple


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
    form = "table"

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

    @property
    def input_width(self) -> int:
        return len(self.symbols[0]) if self.symbols else 1

    @property
    def shape(self) -> str:
        return f"{self.states}-state machine"

    def text(self, names: Sequence[str] = ()) -> list[str]:
        """The transition and output table, a row per state (its one state needs no name)."""
        symbols = [repr(from_tuple(s)) for s in self.symbols]
        rows = [["state", "output"] + [f"on {s}" for s in symbols]]
        for state, (row, out) in enumerate(zip(self.transitions, self.outputs)):
            name = f"{state}{' (start)' if state == self.initial else ''}"
            rows.append([name, repr(from_tuple(out))] + [str(t) if t >= 0 else "never seen" for t in row])
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        lines = [
            f"state machine: {self.states} states, {len(symbols)} input symbols"
            + ("" if self.complete else "; some transitions were never observed")
        ]
        lines += ["  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
        return lines

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
        """Raises ValueError, naming the field, when `data` is not a well-formed state machine."""
        json_object(data, "the machine")
        symbols = json_steps(json_field(data, "symbols"), "symbols", distinct=True)
        if not symbols:
            raise ValueError("symbols is empty: a state machine reads at least one input symbol")
        rows = json_list(json_field(data, "transitions"), "transitions")
        if not rows:
            raise ValueError("transitions is empty: a state machine has at least one state")
        states = len(rows)
        # -1: a transition that was never observed
        transitions = tuple(
            json_ints(row, f"transitions[{i}]", length=len(symbols), low=-1, high=states - 1)
            for i, row in enumerate(rows)
        )
        outputs = json_steps(json_field(data, "outputs"), "outputs", count=states)
        return cls(
            initial=json_int(json_field(data, "initial"), "initial", low=0, high=states - 1),
            symbols=symbols,
            transitions=transitions,
            outputs=outputs,
        )
