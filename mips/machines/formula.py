"""An integer state whose update and outputs are integer formulas found by regression."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from mips.io.jsonread import (
    json_field,
    json_initial,
    json_int,
    json_list,
    json_object,
    json_text,
)
from mips.machines.base import Step, as_tuple, check_range, from_tuple, input_names, state_names
from mips.machines.language import compile_formula, formula_size, with_state_names


@dataclass(frozen=True)
class FormulaMachine:
    """Integer state s, starting at `initial`: s_i <- update[i](s, x); y_j = readout[j](s).

    Each rule is a formula in Python syntax over s0, s1, ... and x (or x0, x1, ...
    for several inputs per step); see `compile_formula` for what it may contain."""

    state_dim: int
    input_dim: int
    update: tuple[str, ...]
    readout: tuple[str, ...]
    initial: tuple[int, ...] = ()
    labels: tuple[str, ...] = ()  # what each coordinate is, in words (optional)
    rewrites: int = 0  # the states of the state machine these formulas rewrite (0: none)

    kind = "formula"
    form = "formula"

    def __post_init__(self):
        if not self.initial:
            object.__setattr__(self, "initial", (0,) * self.state_dim)
        names = state_names(self.state_dim) + input_names(self.input_dim)
        object.__setattr__(self, "_update", [compile_formula(t, names) for t in self.update])
        object.__setattr__(self, "_readout", [compile_formula(t, state_names(self.state_dim)) for t in self.readout])

    @property
    def complete(self) -> bool:
        return True

    @property
    def size(self) -> int:
        return sum(formula_size(t) for t in self.update + self.readout) + self.state_dim

    @property
    def input_width(self) -> int:
        return self.input_dim

    @property
    def shape(self) -> str:
        if self.rewrites:
            return f"{self.rewrites}-state machine written as formulas on {self.state_dim} integer coordinate(s)"
        return f"{self.state_dim}-dimensional integer state with symbolic formulas"

    def text(self, names: Sequence[str] = ()) -> list[str]:
        """The start state, what each coordinate is, and the rules, the coordinates called
        `names` when given."""
        states = list(names) or state_names(self.state_dim)
        rewrites = f" (the {self.rewrites}-state machine, written as formulas)" if self.rewrites else ""
        lines = [f"integer state: {self.state_dim} coordinate(s), start {tuple(self.initial)}{rewrites}"]
        lines += [f"  {name}: {label}" for name, label in zip(states, self.labels)]
        lines.append("  after each input:")
        lines += [f"    {name} <- {with_state_names(rule, states)}" for name, rule in zip(states, self.update)]
        for j, rule in enumerate(self.readout):
            lines.append(f"  output{'' if len(self.readout) == 1 else f'[{j}]'} = {with_state_names(rule, states)}")
        return lines

    def run(self, inputs: Sequence[Step]) -> list[Step]:
        return [output for _, output in self.steps(inputs)]

    def steps(self, inputs: Sequence[Step]) -> list[tuple[tuple[int, ...], Step]]:
        """(state, output) after each input."""
        state, out = tuple(self.initial), []
        for x in inputs:
            state, output = self.step(state, x)
            out.append((state, output))
        return out

    def step(self, state: tuple[int, ...], x: Step) -> tuple[tuple[int, ...], Step]:
        """(state, output) after reading `x` in `state`."""
        values = tuple(state) + as_tuple(x)
        after = tuple(rule(*values) for rule in self._update)
        check_range(after)
        return after, from_tuple([rule(*after) for rule in self._readout])

    def to_json(self) -> dict:
        return {
            "kind": self.kind,
            "state_dim": self.state_dim,
            "input_dim": self.input_dim,
            "update": list(self.update),
            "readout": list(self.readout),
            "initial": list(self.initial),
            "labels": list(self.labels),
            "rewrites": self.rewrites,
        }

    @classmethod
    def from_json(cls, data: dict) -> FormulaMachine:
        """Raises ValueError, naming the field, when `data` is not a well-formed formula machine:
        formulas that `compile_formula` refuses included, and labels that are not one line of
        text (they are written into the program as comments)."""
        json_object(data, "the machine")
        m = json_int(json_field(data, "state_dim"), "state_dim", low=0)
        update = [
            json_text(v, f"update[{i}]")
            for i, v in enumerate(json_list(json_field(data, "update"), "update", length=m))
        ]
        readout = [
            json_text(v, f"readout[{i}]") for i, v in enumerate(json_list(json_field(data, "readout"), "readout"))
        ]
        if not readout:
            raise ValueError("readout is empty: a machine gives at least one output number")
        labels = json_list(data.get("labels", []), "labels")
        if len(labels) > m:
            raise ValueError(f"labels has {len(labels)} entries, more than the {m} state coordinate(s)")
        try:  # the formulas are compiled (and so checked) as the machine is made
            return cls(
                state_dim=m,
                input_dim=json_int(json_field(data, "input_dim"), "input_dim", low=1),
                update=tuple(update),
                readout=tuple(readout),
                initial=json_initial(data, m),
                labels=tuple(json_text(v, f"labels[{i}]", one_line=True) for i, v in enumerate(labels)),
                rewrites=json_int(data.get("rewrites", 0), "rewrites", low=0),
            )
        except (RecursionError, MemoryError):
            raise ValueError("a formula is nested too deeply") from None
