"""Lattice coordinates a person would choose: the integer basis in which the rules are simplest.

An integer lattice fixes its states only up to a unimodular change of basis: any integer
matrix with an integer inverse gives coordinates that name the same states. The network's
basis is one of them, often a skewed one (a difference of the last two inputs read as
`cur, s1 = x, -cur`, a position and a velocity as `s0, s1 = x - s1, s0 + 2 * s1`). We look, step by step, for the basis whose rules are
shortest (`_cost`: terms, then multiplications and fractions, then minus signs, where one in
the readout, `cur - prev`, costs less than one in the update, `s1 = -cur`). Each step adds or
subtracts one coordinate to another (an elementary unimodular change), the rules changing with
it exactly (s' = E s: A' = E A E^-1, B' = E B, c' = E c, V' = V E^-1); a best-first search
from the network's basis keeps the cheapest found.
"""

from __future__ import annotations

import heapq
import re
from dataclasses import replace
from fractions import Fraction

from mips.machines import AffineMachine, affine_formula, input_names, readable_names, state_names

MAX_EXPANDED = 400  # bases whose neighbours are tried
MAX_COSTED = 6_000  # bases costed in all (a dense 8-coordinate machine has 120 neighbours each)
MAX_DIMENSION = 8


def simplest_basis(machine: AffineMachine) -> AffineMachine:
    """The machine in the integer basis, reached by elementary steps from its own (adding one
    coordinate to another, or negating one), whose rules are shortest (`_cost`)."""
    m = machine.state_dim
    if not 1 <= m <= MAX_DIMENSION:
        return machine
    best, best_cost = machine, _cost(machine)
    frontier = [(best_cost, 0, machine)]
    seen = {_key(machine)}
    order = 1
    for _ in range(MAX_EXPANDED):
        if not frontier or order > MAX_COSTED:
            break
        cost, _, current = heapq.heappop(frontier)
        if cost > best_cost + 2:  # far worse than the best: not worth walking through
            break
        moves = [(i, j, k) for i in range(m) for j in range(m) if i != j for k in (1, -1)]
        for i, j, k in moves + [(i, i, -2) for i in range(m)]:  # k = -2 on i itself: s_i becomes -s_i
            candidate = _add(current, i, j, k)
            key = _key(candidate)
            if key in seen:
                continue
            seen.add(key)
            value = _cost(candidate)
            if value < best_cost:
                best, best_cost = candidate, value
            heapq.heappush(frontier, (value, order, candidate))
            order += 1
    return best


def _add(machine: AffineMachine, i: int, j: int, k: int) -> AffineMachine:
    """The machine in coordinates where coordinate i becomes s_i + k s_j (E = I + k e_i e_j^T,
    unimodular for i != j and k = +-1, and for i == j and k = -2, a sign flip)."""
    inverse = Fraction(-k, 1 + k) if i == j else -k  # E^-1 = I + inverse e_i e_j^T

    def changed(rows, own_rows: bool):
        rows = [list(row) for row in rows]
        if own_rows:  # E M: row i += k row j
            rows[i] = [a + k * b for a, b in zip(rows[i], rows[j])]
        for row in rows:  # M E^-1: column j += inverse column i (state columns only)
            row[j] += inverse * row[i]
        return tuple(tuple(row) for row in rows)

    return replace(
        machine,
        update=changed(machine.update, True),
        readout=changed(machine.readout, False),
        input_table=tuple(_moved(list(row), i, j, k) for row in machine.input_table),
        initial=_moved(list(machine.initial), i, j, k),
    )


def _moved(vector: list, i: int, j: int, k: int) -> tuple:
    vector[i] += k * vector[j]
    return tuple(vector)


def _cost(machine: AffineMachine) -> float:
    """Terms (one read out costs a little more: a coordinate that is the output reads best),
    multiplications and fractions, then minus signs (cheaper in the readout than in the
    update) and a start away from zero; and meaning: a coordinate the program cannot name
    (`machines.readable_names`: cur, prev, total, count, out) costs 3, and one that no update
    reads and is no copy of the input (a sum computed for the output, kept as state) 2.
    The update's constants are costed inside the table of inputs, as the program shows them."""
    update, table = machine.update, machine.input_table
    if table:
        table = tuple(tuple(v + row[-1] for v, row in zip(entry, update)) for entry in table)
        update = tuple(tuple(row[:-1]) + (0,) for row in update)
    cost = 0.0
    for rows, term, minus in ((update, 1, 0.5), (table, 1, 0.5), (machine.readout, 1.1, 0.25)):
        for row in rows:
            for v in row:
                if v:
                    v = Fraction(v)
                    cost += term + (abs(v) != 1) + 2 * (v.denominator != 1) + minus * (v < 0)
    states, inputs = state_names(machine.state_dim), input_names(machine.input_dim)
    rules = [affine_formula(row, states + inputs) for row in update]
    names = readable_names(rules, inputs, [affine_formula(row, states) for row in machine.readout])
    read = set().union(*(set(re.findall(r"\bs(\d+)\b", rule)) for rule in rules))
    for i, name in enumerate(names):
        cost += 3 * (name == f"s{i}") + 2 * (str(i) not in read and not name.startswith(("cur", "prev")))
    return cost + 0.1 * sum(v != 0 for v in machine.initial)


def _key(machine: AffineMachine) -> tuple:
    return machine.update, machine.readout, machine.input_table, machine.initial
