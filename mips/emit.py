"""Emission: a machine becomes a standalone Python program.

The program defines `program(inputs)` with the task's calling convention (one
int per step, or a tuple when a step has several numbers), imports nothing,
works for any length and reads top to bottom.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Sequence

from mips.machines import AffineMachine, FormulaMachine, Machine, StateMachine, affine_formula, from_tuple, input_names, state_names


def emit_program(machine: Machine, header: Sequence[str]) -> str:
    """The program's source text; `header` lines go into its docstring."""
    text = "\n".join(header).replace("\\", "\\\\").replace('"""', "'''")
    doc = '"""' + text + '\n"""\n'
    if isinstance(machine, StateMachine):
        return doc + _state_machine(machine)
    if isinstance(machine, FormulaMachine):
        return doc + _formula(machine)
    return doc + _affine(machine)


def _state_machine(machine: StateMachine) -> str:
    single = len(machine.symbols[0]) == 1 if machine.symbols else True
    keys = [repr(from_tuple(s)) for s in machine.symbols]
    lines = ["", "# NEXT[state][input]: the state after reading the input", "NEXT = {"]
    for state, row in enumerate(machine.transitions):
        entries = ", ".join(f"{k}: {t}" for k, t in zip(keys, row) if t >= 0)
        lines.append(f"    {state}: {{{entries}}},")
    lines += ["}", "", "# OUTPUT[state]: what the program says in that state", "OUTPUT = {"]
    lines += [f"    {state}: {from_tuple(out)!r}," for state, out in enumerate(machine.outputs)]
    lines += [
        "}",
        "",
        "",
        "def program(inputs):",
        f"    state = {machine.initial}",
        "    outputs = []",
        "    for x in inputs:",
    ]
    if not single:
        lines.append("        x = tuple(x)")
    lines += [
        "        state = NEXT[state][x]",
        "        outputs.append(OUTPUT[state])",
        "    return outputs",
        "",
    ]
    return "\n".join(lines)


def _affine(machine: AffineMachine) -> str:
    states, inputs = state_names(machine.state_dim), input_names(machine.input_dim)
    lines = [""]
    update = machine.update
    if machine.input_table:
        # The update's constants are folded into the table: STEP[x] is all that input x adds.
        constants = [row[-1] for row in update]
        update = tuple(tuple(row[:-1]) + (Fraction(0),) for row in update)
        single = machine.state_dim == 1
        lines += ["# STEP[input]: what reading the input adds to the state", "STEP = {"]
        for symbol, row in zip(machine.symbols, machine.input_table):
            values = [int(v + c) for v, c in zip(row, constants)]
            lines.append(f"    {from_tuple(symbol)!r}: {values[0] if single else tuple(values)!r},")
        lines += ["}", ""]
        key = ", ".join(inputs)
        steps = [f"STEP[{key}]"] if single else [f"STEP[{key}][{i}]" for i in range(machine.state_dim)]
    lines += ["", "def program(inputs):"]
    lines += [f"    {name} = {value}" for name, value in zip(states, machine.initial)]
    lines += ["    outputs = []", f"    for {', '.join(inputs)} in inputs:"]
    if states:
        updates = [affine_formula(row, states + inputs) for row in update]
        if machine.input_table:
            updates = [step if u == "0" else f"{u} + {step}" for u, step in zip(updates, steps)]
        lines.append(f"        {', '.join(states)} = {', '.join(updates)}")
    outs = [affine_formula(row, states) for row in machine.readout]
    lines.append(f"        outputs.append({outs[0] if len(outs) == 1 else '(' + ', '.join(outs) + ')'})")
    lines += ["    return outputs", ""]
    return "\n".join(lines)


def _formula(machine: FormulaMachine) -> str:
    states, inputs = state_names(machine.state_dim), input_names(machine.input_dim)
    lines = ["", "", "def program(inputs):"]
    lines += [f"    {name} = {value}" for name, value in zip(states, machine.initial)]
    lines += ["    outputs = []", f"    for {', '.join(inputs)} in inputs:"]
    if states:
        lines.append(f"        {', '.join(states)} = {', '.join(machine.update)}")
    outs = list(machine.readout)
    lines.append(f"        outputs.append({outs[0] if len(outs) == 1 else '(' + ', '.join(outs) + ')'})")
    lines += ["    return outputs", ""]
    return "\n".join(lines)
