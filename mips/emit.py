"""Emission: a machine becomes a standalone Python program.

The program defines `program(inputs)` with the task's calling convention (one
int per step, or a tuple when a step has several numbers), imports nothing,
works for any length and reads top to bottom.
"""

from __future__ import annotations

from fractions import Fraction
from math import lcm
from typing import Sequence

from mips.machines import AffineMachine, Machine, StateMachine, from_tuple


def emit_program(machine: Machine, header: Sequence[str]) -> str:
    """The program's source text; `header` lines go into its docstring."""
    text = "\n".join(header).replace("\\", "\\\\").replace('"""', "'''")
    doc = '"""' + text + '\n"""\n'
    if isinstance(machine, StateMachine):
        return doc + _state_machine(machine)
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
    states = [f"s{i}" for i in range(machine.state_dim)]
    inputs = ["x"] if machine.input_dim == 1 else [f"x{j}" for j in range(machine.input_dim)]
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
        updates = [_expression(row, states + inputs) for row in update]
        if machine.input_table:
            updates = [step if u == "0" else f"{u} + {step}" for u, step in zip(updates, steps)]
        lines.append(f"        {', '.join(states)} = {', '.join(updates)}")
    outs = [_expression(row, states) for row in machine.readout]
    lines.append(f"        outputs.append({outs[0] if len(outs) == 1 else '(' + ', '.join(outs) + ')'})")
    lines += ["    return outputs", ""]
    return "\n".join(lines)


def _expression(row: Sequence[Fraction], names: Sequence[str]) -> str:
    """sum(row[i] * names[i]) + row[-1] as Python integer arithmetic."""
    denominator = lcm(*(c.denominator for c in row))
    scaled = [int(c * denominator) for c in row]
    terms = []
    for coefficient, name in zip(scaled, list(names) + [""]):
        if coefficient == 0:
            continue
        magnitude = abs(coefficient)
        if not name:
            body = str(magnitude)
        else:
            body = name if magnitude == 1 else f"{magnitude} * {name}"
        terms.append(("-" if coefficient < 0 else "+", body))
    if not terms:
        return "0"
    text = ("-" if terms[0][0] == "-" else "") + terms[0][1]
    for sign, body in terms[1:]:
        text += f" {sign} {body}"
    return f"({text}) // {denominator}" if denominator != 1 else text
