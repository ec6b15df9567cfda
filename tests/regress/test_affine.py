"""Exact rational regression, and the affine machine read off injected lattice states."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from mips.extract.lattice import LatticeResult
from mips.extract.states import IntegerStates
from mips.machines import AffineMachine, FormulaMachine
from mips.network.trace import Trace
from mips.regress.affine import RegressConfig, fit_affine_machine
from mips.regress.linear import fit_exact_affine

F = Fraction


def grid(*ranges) -> np.ndarray:
    """All integer points of a box, one per row."""
    mesh = np.meshgrid(*[np.asarray(r) for r in ranges], indexing="ij")
    return np.stack([m.reshape(-1) for m in mesh], axis=1).astype(np.int64)


# ---------------------------------------------------------------------------
# fit_exact_affine
# ---------------------------------------------------------------------------


def test_recovers_exact_rational_coefficients():
    keys = grid(range(-9, 10, 2), range(-5, 6))  # x1 odd, so x1 + 2 x2 - 3 is even
    values = ((keys[:, 0] + 2 * keys[:, 1] - 3) // 2).reshape(-1, 1)
    rows, reason = fit_exact_affine(keys, values, max_denominator=12)
    assert rows is not None, reason
    assert rows == ((F(1, 2), F(1), F(-3, 2)),)
    assert all(isinstance(c, Fraction) for c in rows[0])
    assert "exact" in reason


def test_recovers_several_columns_at_once():
    keys = grid(range(0, 6), range(-3, 4), range(0, 3))
    x, y, z = keys.T
    values = np.stack([x - y, 4 * z + 7, 0 * x, (3 * x + 6 * y) // 3], axis=1)
    rows, reason = fit_exact_affine(keys, values, max_denominator=12)
    assert rows == (
        (F(1), F(-1), F(0), F(0)),
        (F(0), F(0), F(4), F(7)),
        (F(0), F(0), F(0), F(0)),
        (F(1), F(2), F(0), F(0)),
    ), reason


def test_repeated_rows_count_once():
    keys = np.repeat(grid(range(4)), 50, axis=0)
    rows, reason = fit_exact_affine(keys, 3 * keys + 1, max_denominator=4)
    assert rows == ((F(3), F(1)),)
    assert "4 distinct" in reason


def test_large_integers_stay_exact():
    keys = grid(range(10**6, 10**6 + 40, 3), range(-(10**5), -(10**5) + 30, 7))
    values = 5 * keys[:, :1] - 2 * keys[:, 1:] + 123456
    rows, reason = fit_exact_affine(keys, values, max_denominator=12)
    assert rows == ((F(5), F(-2), F(123456)),), reason


NON_AFFINE = {
    "square": lambda x: x**2,
    "mod-3": lambda x: x % 3,
    "abs": lambda x: np.abs(x),
    "floor-half": lambda x: x // 2,
}


@pytest.mark.parametrize("function", NON_AFFINE.values(), ids=NON_AFFINE.keys())
def test_non_affine_data_has_no_rule(function):
    keys = grid(range(-6, 7))
    rows, reason = fit_exact_affine(keys, function(keys), max_denominator=12)
    assert rows is None
    assert "no exact affine rule" in reason


def test_same_key_with_two_values_is_not_a_function():
    keys = np.array([[0], [1], [2], [1]])
    values = np.array([[0], [1], [2], [5]])
    rows, reason = fit_exact_affine(keys, values, max_denominator=12)
    assert rows is None
    assert "same key" in reason


def test_denominator_above_the_limit_is_refused():
    keys = grid(range(0, 13 * 8, 13))
    values = keys // 13  # y = x / 13
    rows, reason = fit_exact_affine(keys, values, max_denominator=12)
    assert rows is None, "1/13 needs denominator 13"
    assert "denominators up to 12" in reason
    rows, _ = fit_exact_affine(keys, values, max_denominator=13)
    assert rows == ((F(1, 13), F(0)),)


def test_affine_in_most_places_but_not_all_is_refused():
    keys = grid(range(30))
    values = 2 * keys + 1
    values[17] += 1  # one case breaks the rule
    rows, reason = fit_exact_affine(keys, values, max_denominator=12)
    assert rows is None


# ---------------------------------------------------------------------------
# fit_affine_machine on injected lattice states
# ---------------------------------------------------------------------------


def injected(states: np.ndarray, inputs: np.ndarray, outputs: np.ndarray) -> tuple[LatticeResult, Trace]:
    """A lattice result whose integer states are given; the hidden states are not looked at."""
    n, t, m = states.shape
    lattice = LatticeResult(
        origin=np.zeros(m), basis=np.eye(m), states=states.astype(np.int64), error=0.0, reason="injected"
    )
    hidden = np.zeros((n, t + 1, m))
    return lattice, Trace(inputs.astype(np.int64), hidden, outputs.astype(np.int64))


def run_recurrence(inputs: np.ndarray, step, s0) -> np.ndarray:
    """States after each step of s <- step(s, x) from s0: [N, T, m]."""
    n, t, _ = inputs.shape
    out = np.zeros((n, t, len(s0)), dtype=np.int64)
    for i in range(n):
        s = np.array(s0, dtype=np.int64)
        for j in range(t):
            s = np.asarray(step(s, inputs[i, j]), dtype=np.int64)
            out[i, j] = s
    return out


def test_counter_with_shifted_coordinates_starts_at_zero():
    rng = np.random.default_rng(0)
    inputs = rng.integers(0, 10, size=(60, 8, 1))
    sums = np.cumsum(inputs, axis=1)
    # The lattice numbers the states from an arbitrary origin: coordinate = 40 - sum.
    lattice, trace = injected(40 - sums, inputs, sums)
    fit = fit_affine_machine(lattice, trace)
    assert fit.machine is not None, fit.reason
    fresh = rng.integers(0, 10, size=(20, 40)).tolist()
    for xs in fresh:
        assert fit.machine.run(xs) == np.cumsum(xs).tolist()


def test_delay_line_with_singular_update():
    rng = np.random.default_rng(1)
    inputs = rng.integers(0, 100, size=(80, 8, 1))
    states = run_recurrence(inputs, lambda s, x: (x[0], s[0]), (0, 0))
    lattice, trace = injected(states + np.array([3, -5]), inputs, states[:, :, 1:])
    fit = fit_affine_machine(lattice, trace)
    assert fit.machine is not None, fit.reason
    for xs in rng.integers(0, 100, size=(20, 30)).tolist():
        assert fit.machine.run(xs) == [0] + xs[:-1]


def test_two_outputs_per_step():
    rng = np.random.default_rng(2)
    inputs = rng.integers(-3, 4, size=(80, 8, 1))
    states = run_recurrence(inputs, lambda s, x: (s[0] + x[0], s[1] + s[0] + x[0]), (0, 0))  # (v, p)
    outputs = np.stack([states[..., 1], states[..., 0] - states[..., 1]], axis=-1)
    lattice, trace = injected(states, inputs, outputs)
    fit = fit_affine_machine(lattice, trace)
    assert fit.machine is not None, fit.reason
    for xs in rng.integers(-3, 4, size=(10, 40)).tolist():
        v = np.cumsum(xs)
        p = np.cumsum(v)
        assert fit.machine.run(xs) == [(int(a), int(b - a)) for a, b in zip(p, v)]


def test_constant_output_needs_no_state():
    inputs = np.random.default_rng(3).integers(0, 5, size=(10, 6, 1))
    lattice, trace = injected(np.zeros((10, 6, 0), dtype=np.int64), inputs, np.full((10, 6, 1), 4))
    fit = fit_affine_machine(lattice, trace)
    assert fit.machine == AffineMachine(state_dim=0, input_dim=1, update=(), readout=((F(4),),))
    assert fit.machine.run([1, 2]) == [4, 4]


def test_no_lattice_gives_no_machine():
    trace = Trace(np.zeros((2, 3, 1), dtype=np.int64), np.zeros((2, 4, 2)), np.zeros((2, 3, 1), dtype=np.int64))
    fit = fit_affine_machine(IntegerStates(None, "not found"), trace)
    assert fit.machine is None
    assert fit.reason == "no lattice"


def test_length_one_sequences_cannot_show_an_update():
    inputs = np.arange(10).reshape(10, 1, 1)
    lattice, trace = injected(inputs.copy(), inputs, inputs.copy())
    fit = fit_affine_machine(lattice, trace)
    assert fit.machine is None
    assert "too short" in fit.reason


def test_readout_that_is_not_affine_gets_a_formula():
    inputs = np.random.default_rng(4).integers(0, 10, size=(40, 6, 1))
    sums = np.cumsum(inputs, axis=1)
    lattice, trace = injected(sums, inputs, sums % 2)
    fit = fit_affine_machine(lattice, trace)
    assert isinstance(fit.machine, FormulaMachine), fit.reason
    assert fit.reason.startswith("readout:") and "symbolic regression" in fit.reason
    for row in np.random.default_rng(40).integers(0, 10, size=(20, 30)):
        assert fit.machine.run([int(x) for x in row]) == [int(v) for v in np.cumsum(row) % 2]


def test_update_that_is_not_affine_gets_a_formula():
    inputs = np.random.default_rng(5).integers(0, 4, size=(40, 6, 1))
    states = run_recurrence(inputs, lambda s, x: (s[0] * x[0] + 1,), (0,))
    lattice, trace = injected(states, inputs, states)
    fit = fit_affine_machine(lattice, trace)
    assert isinstance(fit.machine, FormulaMachine), fit.reason
    assert fit.reason.startswith("state update:")
    for row in np.random.default_rng(50).integers(0, 4, size=(20, 12)):
        want, s = [], 0
        for x in row:
            s = s * int(x) + 1
            want.append(s)
        assert fit.machine.run([int(x) for x in row]) == want


def test_a_rule_with_no_small_formula_is_reported():
    inputs = np.random.default_rng(6).integers(0, 10, size=(40, 6, 1))
    sums = np.cumsum(inputs, axis=1)
    scramble = np.random.default_rng(7).integers(0, 1000, size=sums.max() + 1)
    lattice, trace = injected(sums, inputs, scramble[sums])
    fit = fit_affine_machine(lattice, trace)
    assert fit.machine is None
    assert fit.reason.startswith("readout:") and "no rule found for output 0" in fit.reason


def test_first_step_off_the_rule_has_no_initial_state():
    rng = np.random.default_rng(6)
    inputs = rng.integers(0, 10, size=(40, 6, 1))
    sums = np.cumsum(inputs, axis=1)
    states = sums.copy()
    states[::2] += 1  # half of the sequences start from a different state: no single s_0
    lattice, trace = injected(states, inputs, states)
    fit = fit_affine_machine(lattice, trace)
    assert fit.machine is None
    assert "initial state" in fit.reason


def test_regress_config_validates():
    with pytest.raises(ValueError):
        RegressConfig(max_denominator=0)


@pytest.mark.parametrize(
    "transform, offset",
    [
        pytest.param([[1, 0], [0, 1]], [3, -5], id="planted-coordinates"),
        pytest.param([[1, 1], [0, 1]], [4, -7], id="sheared"),
        pytest.param(
            [[1, -1], [0, -1]],
            [-85, 0],
            id="sheared-mirrored",
        ),
    ],
)
def test_initial_state_of_singular_update_in_skewed_coordinates(transform, offset):
    """A delay line seen through a unimodular change of coordinates, as lattice extraction may pick it."""
    rng = np.random.default_rng(7)
    inputs = rng.integers(0, 100, size=(80, 8, 1))
    states = run_recurrence(inputs, lambda s, x: (x[0], s[0]), (0, 0))
    coordinates = states @ np.array(transform).T + np.array(offset)
    lattice, trace = injected(coordinates, inputs, states[:, :, 1:])
    fit = fit_affine_machine(lattice, trace)
    assert fit.machine is not None, fit.reason
    for xs in rng.integers(0, 100, size=(10, 30)).tolist():
        assert fit.machine.run(xs) == [0] + xs[:-1]


@pytest.mark.parametrize(
    "transform, offset",
    [
        pytest.param([[1, 0], [0, 1]], [3, -5], id="shifted"),
        pytest.param([[-1, 0], [0, -1]], [49, 0], id="mirrored-and-shifted"),
        pytest.param([[0, 1], [-1, 0]], [-10, 7], id="rotated"),
    ],
)
def test_sum_of_last_two_comes_out_in_canonical_coordinates(transform, offset):
    """Whatever integer coordinates extraction picked, the machine has no constants and counts upwards."""
    rng = np.random.default_rng(3)
    inputs = rng.integers(0, 100, size=(80, 8, 1))
    states = run_recurrence(inputs, lambda s, x: (x[0] + s[1], x[0]), (0, 0))  # (sum of last 2, last)
    coordinates = states @ np.array(transform).T + np.array(offset)
    lattice, trace = injected(coordinates, inputs, states[:, :, :1])
    machine = fit_affine_machine(lattice, trace).machine
    assert machine is not None
    assert machine.initial == (0, 0)
    assert all(row[-1] == 0 for row in machine.update + machine.readout), machine
    assert all(row[2] >= 0 for row in machine.update), machine  # the input enters with a + sign
    for xs in rng.integers(0, 100, size=(10, 30)).tolist():
        assert machine.run(xs) == [x + p for p, x in zip([0] + xs, xs)]


def test_running_sum_in_offset_coordinates_starts_at_zero_with_no_constants():
    """An accumulator's update has many fixed points; the start state is the one to use."""
    rng = np.random.default_rng(5)
    inputs = rng.integers(0, 100, size=(60, 8, 1))
    states = run_recurrence(inputs, lambda s, x: (s[0] + x[0],), (0,))
    lattice, trace = injected(7 - states, inputs, states)
    machine = fit_affine_machine(lattice, trace).machine
    assert machine is not None
    assert machine.initial == (0,)
    assert all(row[-1] == 0 for row in machine.update + machine.readout), machine
    assert machine.update == ((F(1), F(1), F(0)),) and machine.readout == ((F(1), F(0)),)


def test_a_counter_of_even_inputs_acts_through_a_table_of_the_input():
    """Affine in the state, but not in the input's value: the input acts through a table."""
    from mips.emit import emit_program
    from mips.verify import load_program

    rng = np.random.default_rng(9)
    inputs = rng.integers(0, 10, size=(200, 8, 1))
    states = run_recurrence(inputs, lambda s, x: (s[0] + (x[0] % 2 == 0),), (0,))
    lattice, trace = injected(3 - 2 * states, inputs, states)
    fit = fit_affine_machine(lattice, trace)
    machine = fit.machine
    assert machine is not None, fit.reason
    assert "table" in fit.reason
    program = load_program(emit_program(machine, ["evens"]))
    for xs in rng.integers(0, 10, size=(20, 40)).tolist():
        expected = list(np.cumsum([x % 2 == 0 for x in xs]))
        assert machine.run(xs) == expected
        assert program(xs) == expected
    assert machine.initial == (0,)
