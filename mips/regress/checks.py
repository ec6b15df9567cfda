"""Exact checks of formulas on integer data: the one place that says a formula holds.

A formula found on a sample of rows, or tidied after it was found, is accepted only when it
gives the target on every distinct row; a start state only when the update formulas take it,
on each input seen first, to the state that followed. A formula that fails on the way (a
division by zero, an overflow) does not hold."""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np

from mips.machines import compile_formula, without_error


def holds_on_rows(formula: str, names: Sequence[str], rows: np.ndarray) -> bool:
    """Does `formula` over `names` give the last column of every row of `rows` [R, len(names) + 1]
    from the others (exact integer arithmetic)?"""
    rule = compile_formula(formula, list(names))
    return without_error(lambda: all(rule(*map(int, row[:-1])) == row[-1] for row in rows))


def rows_followed(formula: str, names: Sequence[str], rows: np.ndarray) -> int:
    """How many rows of `rows` [R, len(names) + 1] `formula` gives the last column of (a row
    where it fails on the way does not count)."""
    rule = compile_formula(formula, list(names))
    return sum(without_error(lambda row=row: rule(*map(int, row[:-1])) == row[-1]) for row in rows)


def first_start(
    update: Sequence[str], names: Sequence[str], candidates: Iterable, moves: Sequence[tuple[tuple, tuple]]
) -> tuple[int, ...] | None:
    """The first of `candidates` (integer states) from which the `update` formulas (over
    `names`: the state's, then the input's) take each move's input to its state; None if
    none does. `moves` are (input numbers, state after) pairs."""
    rules = [compile_formula(u, list(names)) for u in update]
    for candidate in candidates:
        start = tuple(int(v) for v in candidate)
        if without_error(lambda: all(tuple(rule(*start, *x) for rule in rules) == after for x, after in moves)):
            return start
    return None
