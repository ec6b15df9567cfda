"""Boolean regression: the smallest formula over bits, XOR forms included, and the columns
a function really depends on."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from mips.machines import compile_formula, formula_size
from mips.regress.boolean import find_boolean, relevant, sum_of_products

ROWS = np.array(list(itertools.product([0, 1], repeat=4)))
A, B, C, D = ROWS.T
COLUMNS = {"a": A, "b": B, "c": C, "d": D}

CASES = {
    "parity of four": (A ^ B ^ C ^ D, "a ^ b ^ c ^ d"),
    "and": (A & B, "a & b"),
    "not equal to d": (1 - (A ^ D), "1 - (a ^ d)"),
    "alternating": ((A ^ B) & (B ^ C) & (C ^ D), None),
    "majority of three": (((A + B + C) >= 2).astype(np.int64), None),
    "a multiplexer": (np.where(A == 1, B, C), None),
}


def _exact(formula: str, target: np.ndarray) -> bool:
    rule = compile_formula(formula, list(COLUMNS))
    return all(rule(*map(int, row)) == t for row, t in zip(ROWS, target))


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_formula_is_exact_on_every_row(name):
    target, smallest = CASES[name]
    formula = find_boolean(COLUMNS, target)
    assert formula is not None and _exact(formula, target)
    if smallest is not None:
        assert formula == smallest


def test_xor_forms_are_far_smaller_than_a_sum_of_products():
    target = A ^ B ^ C ^ D
    sop = sum_of_products(list(COLUMNS), ROWS, target)
    assert _exact(sop, target)
    assert formula_size(find_boolean(COLUMNS, target)) < formula_size(sop) / 3


def test_past_the_size_limit_a_sum_of_products_is_returned():
    target = ((A + B + C + D) == 2).astype(np.int64)  # no small formula
    formula = find_boolean(COLUMNS, target, max_size=3)
    assert formula is not None and "&" in formula and "|" in formula and _exact(formula, target)


def test_the_columns_a_function_depends_on_are_found():
    assert relevant(COLUMNS, A ^ C) == ["a", "c"]
    assert relevant(COLUMNS, np.zeros(16, np.int64)) == []
    # b and its copy carry the same information: one of them is enough.
    assert relevant({"b": B, "copy": B, "c": C}, B & C) in (["b", "c"], ["copy", "c"])
    assert relevant({"a": A}, B) is None  # not a function of a at all


def test_values_that_are_not_bits_are_refused():
    assert find_boolean({"a": A * 2}, A) is None
    assert find_boolean(COLUMNS, A + B) is None


def test_rows_never_seen_are_free():
    seen = (A + B) < 2  # the rows with a = b = 1 never occur
    formula = find_boolean({"a": A[seen], "b": B[seen]}, (A | B)[seen])
    assert formula in ("a ^ b", "a | b")
