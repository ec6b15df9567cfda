"""Formulas of the language the regressors write (random ones, and rules the regressors find
on data) compile, print, round-trip through JSON and run the same as a program: negative,
zero and large constants included. And a candidate machine that fails on data, in any way,
is a failed candidate, never a crash."""

from __future__ import annotations

import itertools
import json
import random
import re

import numpy as np
import pytest

from mips.choose import reproduces_heldout as _matches
from mips.data import Sequences, TaskData
from mips.emit import emit_program
from mips.machines import FormulaMachine, StateMachine, compile_formula, machine_from_json, tidy
from mips.regress.coordinates import machine_as_formulas
from mips.regress.rules import find_rule
from mips.verify import load_program

CONSTANTS = (-(10**15), -100, -3, -1, 0, 1, 2, 7, 10**12)
NAMES = ("s0", "s1", "x")


def _random_formula(rng: random.Random, depth: int, names=NAMES) -> str:
    """A formula of the language the regressors write: names, integer constants (negative
    ones too), arithmetic, abs/min/max, comparisons, membership and conditionals."""
    if depth == 0 or rng.random() < 0.25:
        return rng.choice(names) if rng.random() < 0.6 else str(rng.choice(CONSTANTS))
    a, b = _random_formula(rng, depth - 1, names), _random_formula(rng, depth - 1, names)
    kind = rng.randrange(9)
    if kind < 3:
        return f"({a}) {rng.choice(['+', '-', '*'])} ({b})"
    if kind == 3:
        return f"({a}) {rng.choice(['//', '%'])} ({b})"
    if kind == 4:
        return f"{rng.choice(['min', 'max'])}({a}, {b})"
    if kind == 5:
        return f"abs({a})"
    if kind == 6:
        return f"int(({a}) {rng.choice(['<', '<=', '==', '!='])} ({b}))"
    if kind == 7:
        members = ", ".join(str(v) for v in rng.sample(CONSTANTS, rng.randint(1, 4)))
        return f"int(({a}) {rng.choice(['in', 'not in'])} ({members},))"
    return f"({a}) if ({b}) < 0 else ({_random_formula(rng, depth - 1, names)})"


def _value(function, values):
    try:
        return function(*values)
    except ArithmeticError as exc:
        return type(exc)


@pytest.mark.parametrize("seed", range(4))
def test_random_formulas_compile_print_and_run_alike(seed):
    rng = random.Random(seed)
    points = [tuple(rng.choice(CONSTANTS + (5, -7)) for _ in NAMES) for _ in range(30)]
    for _ in range(150):
        text = _random_formula(rng, 3)
        shown = tidy(text)
        original, printed = compile_formula(text, NAMES), compile_formula(shown, NAMES)
        for values in points:
            assert _value(printed, values) == _value(original, values), (text, shown, values)


@pytest.mark.parametrize("seed", range(3))
def test_formula_machines_with_any_constants_round_trip_and_emit_the_same_program(seed):
    rng = random.Random(100 + seed)
    made = 0
    while made < 40:
        update = tuple(tidy(_random_formula(rng, 2)) for _ in range(2))
        readout = (tidy(_random_formula(rng, 2, names=("s0", "s1"))),)
        machine = FormulaMachine(
            state_dim=2, input_dim=1, update=update, readout=readout, initial=(rng.choice(CONSTANTS), 0)
        )
        inputs = [rng.choice((-3, -1, 0, 2, 9)) for _ in range(6)]
        try:
            expected = machine.run(inputs)
        except (ArithmeticError, ValueError):
            continue  # a division by zero, or a state past 64 bits, on these inputs
        made += 1
        again = machine_from_json(json.loads(json.dumps(machine.to_json())))  # through JSON text
        assert again == machine and again.run(inputs) == expected
        program = load_program(emit_program(machine, ["a test"]))
        assert program(inputs) == expected, (update, readout)


def test_membership_in_a_set_of_negative_constants_is_found_and_compiles():
    # Reported: INPUT_VALUES = range(-3, 4), reference int(x in (-3, 2)), an internal error.
    x = np.arange(-3, 4)
    rule = find_rule({"x": x}, np.isin(x, [-3, 2]).astype(np.int64))
    assert rule == "int(x in (-3, 2))"
    compiled = compile_formula(rule, ["x"])
    assert [compiled(v) for v in x] == [1, 0, 0, 0, 0, 1, 0]


@pytest.mark.parametrize("members", [(-3, 2), (-5, -3, 2, 7), (0,), (-(10**12), 10**12)])
def test_rules_over_negative_and_large_values_always_compile(members):
    rng = np.random.default_rng(0)
    columns = {"x": rng.choice(np.array([-5, -3, 0, 2, 7, -(10**12), 10**12]), 200), "s0": rng.integers(-4, 5, 200)}
    targets = {
        "membership": np.isin(columns["x"], members).astype(np.int64),
        "affine": 3 * columns["s0"] - 2 * columns["x"] - 7,
        "min": np.minimum(columns["s0"], columns["x"]),
        "conditional": np.where(columns["s0"] < -1, columns["x"], -4),
    }
    for what, target in targets.items():
        rule = find_rule(columns, target)
        assert rule is not None, what
        compiled = compile_formula(rule, list(columns))
        assert all(compiled(int(a), int(b)) == t for a, b, t in zip(columns["x"], columns["s0"], target)), what


def test_a_state_machine_over_negative_inputs_is_written_as_a_membership_formula():
    # The route of the reported internal error: a state machine read off the network, its
    # output a set of negative and positive inputs, rewritten as formulas on coordinates.
    symbols = tuple((v,) for v in range(-3, 4))
    members = {-3, 2}
    machine = StateMachine(
        initial=7,
        symbols=symbols,
        transitions=tuple(tuple(range(7)) for _ in range(8)),
        outputs=tuple((int(v in members),) for v in range(-3, 4)) + ((0,),),
    )
    fits = machine_as_formulas(machine)
    found = fits[0].machine
    assert found is not None, fits[0].reason
    inputs = [-3, 2, 0, 1, -2, 2, -3, 3]
    assert found.run(inputs) == machine.run(inputs) == [int(v in members) for v in inputs]
    assert load_program(emit_program(found, ["a test"]))(inputs) == machine.run(inputs)


class _Failing:
    """A candidate machine whose run fails the way a formula off its training rows can."""

    def __init__(self, error: type[BaseException]):
        self.error = error

    def run(self, inputs):
        raise self.error("off the training rows")


def _tiny_data() -> TaskData:
    inputs = np.array([[[0], [1], [2]]], dtype=np.int64)
    return TaskData(Sequences(inputs, inputs), Sequences(inputs, inputs))


@pytest.mark.parametrize(
    "error", [ZeroDivisionError, OverflowError, IndexError, RecursionError, KeyError, ValueError, TypeError]
)
def test_a_candidate_that_fails_on_data_is_a_failed_candidate(error):
    assert _matches(_Failing(error), _tiny_data()) is False


def test_a_formula_machine_that_divides_by_zero_off_its_rows_is_a_failed_candidate():
    machine = FormulaMachine(state_dim=1, input_dim=1, update=("x // s0",), readout=("s0",))
    with pytest.raises(ZeroDivisionError):
        machine.run([1])
    assert _matches(machine, _tiny_data()) is False


def test_a_machine_whose_state_grows_past_64_bits_stops_at_once():
    # s0 * s0 from 3 has 2**k digits after k steps: a hostile machine.json must not fill the memory.
    machine = FormulaMachine(state_dim=1, input_dim=1, update=("s0 * s0",), readout=("s0",), initial=(3,))
    with pytest.raises(ValueError, match="64-bit"):
        machine.run([0] * 1000)


@pytest.mark.parametrize(
    "text, shown",
    [
        ("-(x % 2) + 1", "1 - x % 2"),
        ("-x + 1", "1 - x"),
        ("-(a - b) + c", "c - (a - b)"),
        ("-s0 + s1 if s0 < 3 else s0", "s1 - s0 if s0 < 3 else s0"),
        ("x + 1", "x + 1"),
        ("STEP[x] + s0", "STEP[x] + s0"),  # not the formula language: as it is
        ("s0 + 1 if s0 < 11 - 2 else 1", "s0 + 1 if s0 < 9 else 1"),  # constants folded
        ("c // (1 + 3)", "c // 4"),
        ("s0 + 2 - 5", "s0 - 3"),
        ("s0 - (3 - 5)", "s0 + 2"),
        ("s0 + 1 - 1", "s0"),
        ("(s1 + s1 + x) % 5", "(2 * s1 + x) % 5"),
        ("min(5, s0 + x)", "min(s0 + x, 5)"),
        ("int(0 < total)", "int(total > 0)"),
        ("s0 - 2 * x + 1 if 0 <= s0 else s0", "s0 - 2 * x + 1 if s0 >= 0 else s0"),
    ],
)
def test_readable_folds_constants_and_puts_a_negated_first_term_behind(text, shown):
    from mips.machines import readable

    assert readable(text) == shown
    if "STEP" not in text:
        names = sorted(set(re.findall(r"[a-z]\w*", text)) - {"if", "else", "min", "max", "abs", "int"})
        before, after = compile_formula(text, names), compile_formula(shown, names)
        for values in itertools.product(range(-3, 4), repeat=len(names)):
            assert before(*values) == after(*values)
