"""One exact rule per target: affine, Boolean, membership, symbolic or conditional, the
smallest that holds on every row."""

from __future__ import annotations

import numpy as np
import pytest

from mips.machines import compile_formula, tidy
from mips.regress.rules import find_conditional, find_rule, membership

RNG = np.random.default_rng(0)
S = RNG.integers(0, 100, 2000)
X = RNG.integers(0, 100, 2000)
BAL = RNG.integers(-1, 11, 2000)  # a balance, -1 standing for "went negative"
BIT = RNG.integers(0, 2, 2000)
LEAD = RNG.integers(-10, 10, 2000)
TRIT = RNG.integers(0, 3, 2000)
A2, B2 = RNG.integers(-10, 10, 2000), RNG.integers(-10, 10, 2000)

CASES = {
    "copy": ({"s": S, "x": X}, X, "x"),
    "sum with offset": ({"s": S, "x": X}, S + X - 3, "s + x - 3"),
    "max": ({"s": S, "x": X}, np.maximum(S, X), "max(s, x)"),
    "modulus from the data": ({"s": S % 7, "x": X % 7}, (S % 7 + X % 7) % 7, "(s + x) % 7"),
    "a balance that stops once negative": (
        {"b": BAL, "x": BIT},
        np.where(BAL < 0, BAL, np.where((BAL == 0) & (BIT == 1), -1, BAL + 1 - 2 * BIT)),
        None,
    ),
    "the largest of 0, a and b (which one)": (
        {"a": A2, "b": B2},
        np.where(B2 > np.maximum(0, A2), 2, (A2 > 0).astype(np.int64)),
        None,
    ),
    "a set of values": (
        {"x": X % 20},
        np.isin(X % 20, [0, 1, 4, 9, 16]).astype(np.int64),
        "int(x in (0, 1, 4, 9, 16))",
    ),
    "bits": ({"a": BIT, "b": 1 - BIT, "c": TRIT % 2}, BIT ^ (TRIT % 2), None),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_rule_holds_on_every_row(name):
    columns, target, expected = CASES[name]
    rule = find_rule(columns, target)
    assert rule is not None
    compiled = compile_formula(rule, list(columns))
    assert all(compiled(*map(int, row)) == t for row, t in zip(zip(*columns.values()), target))
    if expected is not None:
        assert rule == expected


def test_no_rule_when_the_target_is_not_a_function_of_the_columns():
    assert find_rule({"s": S % 3}, S) is None


def test_a_conditional_rule_splits_where_the_rule_changes():
    target = np.where(S < X, S + X, S - X)
    rule = find_conditional({"s": S, "x": X}, target)
    assert rule is not None and " if " in rule
    compiled = compile_formula(rule, ["s", "x"])
    assert all(compiled(int(s), int(x)) == t for s, x, t in zip(S, X, target))


def test_membership_takes_the_shorter_side():
    values = X % 10
    assert membership({"x": values}, (values != 3).astype(np.int64)) == "int(x not in (3,))"
    assert membership({"x": values, "y": values}, values % 2) is None


@pytest.mark.parametrize(
    "text, shown",
    [
        ("(s1 + (x0 + x1)) % 7", "(s1 + x0 + x1) % 7"),
        ("a ^ (b ^ (c & d))", "a ^ b ^ (c & d)"),
        ("a - (b + c)", "a - (b + c)"),
        ("-(-a)", "-(-a)"),
        ("(a if b < c else d) + 1", "(a if b < c else d) + 1"),
        ("a // (b * c)", "a // (b * c)"),
        ("a + (b - (c + d))", "a + b - (c + d)"),
        ("a + (b - (c - d))", "a + b - (c - d)"),
        ("-a % b + -(c // d)", "-a % b + -(c // d)"),
        ("(-a) // b", "-a // b"),
    ],
)
def test_tidy_keeps_only_the_parentheses_a_reader_needs(text, shown):
    assert tidy(text) == shown
    names = ["a", "b", "c", "d", "s1", "x0", "x1"]
    before, after = compile_formula(text, names), compile_formula(shown, names)
    for values in RNG.integers(-6, 7, size=(400, len(names))):
        try:
            expected = before(*map(int, values))
        except ZeroDivisionError:
            continue
        assert after(*map(int, values)) == expected


def test_a_formula_whose_text_starts_with_a_call_is_still_wrapped():
    # -(abs(a) + abs(b)) must not be written -abs(a) + abs(b): found as it is.
    rule = find_rule({"a": A2, "b": B2}, -(np.abs(A2) + np.abs(B2)))
    assert rule is not None and " if " not in rule
    compiled = compile_formula(rule, ["a", "b"])
    assert all(compiled(int(a), int(b)) == -(abs(a) + abs(b)) for a, b in zip(A2, B2))
