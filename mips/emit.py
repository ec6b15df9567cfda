"""Emission: a machine becomes a standalone Python program.

The program defines `program(inputs)` with the task's calling convention (one
int per step, or a tuple when a step has several numbers), imports nothing,
works for any length and reads top to bottom.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Sequence

from mips.machines import (
    AffineMachine,
    FormulaMachine,
    Machine,
    StateMachine,
    affine_formula,
    from_tuple,
    input_names,
    readable,
    readable_names,
    shared_part,
    state_names,
    tidy,
    with_part_named,
    with_state_names,
)


def emit_program(machine: Machine, header: Sequence[str]) -> str:
    """The program's source text; `header` lines go into its docstring."""
    text = "\n".join(header).replace("\\", "\\\\").replace('"""', "'''")
    doc = '"""' + text + '\n"""\n'
    return doc + _EMITTERS[machine.kind](machine)


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


def coordinate_names(machine: Machine) -> list[str]:
    """The name the program gives each state coordinate of the machine (`readable_names`, on
    the rules as the program writes them): `mips inspect` calls them the same. A state
    machine's one state has no coordinates."""
    inputs = input_names(machine.input_width)
    if isinstance(machine, AffineMachine):
        _, updates, outs = _affine_rules(machine)
        return readable_names(updates, inputs, outs)
    if isinstance(machine, FormulaMachine):
        return readable_names(list(machine.update), inputs, list(machine.readout))
    return []


def _affine(machine: AffineMachine) -> str:
    lines, updates, outs = _affine_rules(machine)
    return "\n".join(lines + [""] + _loop(machine.initial, updates, outs, input_names(machine.input_dim)))


def _affine_rules(machine: AffineMachine) -> tuple[list[str], list[str], list[str]]:
    """The program's lines before `def program` (the input table), and its update and output
    rules, in integer arithmetic."""
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
    updates = [affine_formula(row, states + inputs) for row in update]
    if machine.input_table:
        updates = [step if u == "0" else f"{u} + {step}" for u, step in zip(updates, steps)]
    outs = [affine_formula(row, states) for row in machine.readout]
    return lines, updates, outs


def _formula(machine: FormulaMachine) -> str:
    inputs = input_names(machine.input_dim)
    return "\n".join(
        ["", ""] + _loop(machine.initial, list(machine.update), list(machine.readout), inputs, machine.labels)
    )


def _loop(
    initial: Sequence[int], updates: list[str], outs: list[str], inputs: list[str], labels: Sequence[str] = ()
) -> list[str]:
    """`def program` for an integer state s0, s1, ... with these update and output rules,
    the state variables renamed after what their rules show them to be (`readable_names`),
    each one's meaning (`labels`, when given) as a comment where it starts."""
    names = readable_names(updates, inputs, outs)  # as `coordinate_names` finds them
    # A coordinate no output depends on, through the rules or directly, is not written at all.
    # One whose value before the step no rule reads needs no start value; one that is moreover
    # a function of the current input alone is no state at all: the outputs read its rule in
    # its place.
    needed = _needed(updates, outs)
    read = {int(i) for k, u in enumerate(updates) if k in needed for i in _STATE.findall(u)}
    inlined = {i: u for i, u in enumerate(updates) if i in needed and i not in read and _inlinable(u)}
    outs = [_inline(o, inlined) for o in outs]
    kept = [i for i in range(len(updates)) if i in needed and i not in inlined]

    lines = ["def program(inputs):"]
    for i in kept:
        if i not in read:
            continue
        # One line whatever the label holds: a comment must never end early and become code.
        comment = f"  # {' '.join(labels[i].split())}" if i < len(labels) and labels[i].strip() else ""
        lines.append(f"    {names[i]} = {initial[i]}{comment}")
    lines += ["    outputs = []", f"    for {', '.join(inputs)} in inputs:"]
    taken = set(names) | set(inputs) | {"inputs", "outputs"}
    if kept:
        named, rules = _computed_once([readable(with_state_names(updates[i], names)) for i in kept], taken)
        if len(rules) > 1:  # a conditional rule in a tuple reads better in parentheses
            rules = [f"({r})" if " if " in r else r for r in rules]
        lines += named + [f"        {', '.join(names[i] for i in kept)} = {', '.join(rules)}"]
    named, outs = _computed_once([readable(with_state_names(o, names)) for o in outs], taken)
    lines += named + [f"        outputs.append({outs[0] if len(outs) == 1 else '(' + ', '.join(outs) + ')'})"]
    return lines + ["    return outputs", ""]


def _computed_once(rules: list[str], taken: set[str]) -> tuple[list[str], list[str]]:
    """A part that the rules repeat (`shared_part`: s1 + x0 + x1 in both `(s1 + x0 + x1) % 5`
    and `(s1 + x0 + x1) // 5`) computed once before them, under a new name (`v`, `v2`): the
    lines that compute the parts and the rules that read them. The rules of one line all
    read the same values (the state before the step for updates, after it for outputs), so
    a part shared within one line means the same in each place."""
    lines = []
    for _ in range(2):
        part = shared_part(rules)
        if part is None:
            break
        name = next(n for n in ("v", "v2", "v3") if n not in taken)
        taken.add(name)
        lines.append(f"        {name} = {part}")
        rules = [with_part_named(r, part, name) if "STEP[" not in r else r for r in rules]
    return lines, rules


_STATE = re.compile(r"\bs(\d+)\b")


def _needed(updates: Sequence[str], outs: Sequence[str]) -> set[int]:
    """The coordinates the outputs read, and those their rules read, and so on."""
    needed = {int(i) for o in outs for i in _STATE.findall(o)}
    grown = True
    while grown:
        more = {int(i) for k in needed for i in _STATE.findall(updates[k])} - needed
        needed |= more
        grown = bool(more)
    return needed


def _inlinable(rule: str) -> bool:
    """A rule of the current input alone, in the formula language (not a table lookup)."""
    return not _STATE.search(rule) and "STEP[" not in rule


def _inline(text: str, rules: dict[int, str]) -> str:
    """`text` with each coordinate in `rules` replaced by its rule, with only the parentheses
    needed."""
    if not rules:
        return text
    replaced = _STATE.sub(lambda m: f"({rules[int(m.group(1))]})" if int(m.group(1)) in rules else m.group(0), text)
    return tidy(replaced) if replaced != text else text


# The program's body for each kind of machine (`Machine.kind`): a new kind is its class and its emitter.
_EMITTERS = {"fsm": _state_machine, "lattice": _affine, "formula": _formula}
