"""Counters read off state machines: a chain that ends at the training length becomes a
count with no end; a machine that keeps no counter gives none."""

from __future__ import annotations

import numpy as np

from mips.extract.counters import counter_states, machine_counters, outputs_by_majority, symbol_counts
from mips.machines import StateMachine
from mips.network.trace import Trace
from mips.regress.affine import fit_affine_machine

LENGTH = 10


def _trace(inputs: np.ndarray, outputs: np.ndarray) -> Trace:
    n, t = inputs.shape[:2]
    return Trace(inputs[..., None], np.zeros((n, t + 1, 1)), outputs[..., None])


def _chain(up: int, down: int) -> StateMachine:
    """States 0..2L for d = -L..L, start at d = 0: input 1 adds `up`, input 0 adds `down`
    (as a network trained to length L would show it: nothing past the ends)."""
    size = 2 * LENGTH + 1

    def step(s, delta):
        t = s + delta
        return t if 0 <= t < size else -1

    return StateMachine(
        initial=LENGTH,
        symbols=((0,), (1,)),
        transitions=tuple((step(s, down), step(s, up)) for s in range(size)),
        outputs=tuple((int(s - LENGTH > 0),) for s in range(size)),
    )


def test_a_chain_becomes_a_counter_that_runs_past_the_training_length():
    inputs = np.random.default_rng(0).integers(0, 2, size=(300, LENGTH))
    difference = np.cumsum(2 * inputs - 1, axis=1)
    result = counter_states(_chain(1, -1), _trace(inputs, (difference > 0).astype(np.int64)))
    assert result.found and result.states.shape == (300, LENGTH, 1), result.reason
    assert np.array_equal(np.abs(result.states[..., 0]), np.abs(difference))
    fit = fit_affine_machine(result, _trace(inputs, (difference > 0).astype(np.int64)))
    assert fit.machine is not None, fit.reason
    for row in np.random.default_rng(1).integers(0, 2, size=(50, 8 * LENGTH)):
        want = (np.cumsum(2 * row - 1) > 0).astype(int).tolist()
        assert fit.machine.run([int(x) for x in row]) == want


def test_time_is_a_counter_too():
    inputs = np.random.default_rng(2).integers(0, 2, size=(100, LENGTH))
    steps = np.tile(np.arange(1, LENGTH + 1), (100, 1))
    clock = StateMachine(
        initial=0,
        symbols=((0,), (1,)),
        transitions=tuple((t + 1, t + 1) if t < LENGTH else (-1, -1) for t in range(LENGTH + 1)),
        outputs=tuple(((t + 1) % 2,) for t in range(LENGTH + 1)),
    )
    result = counter_states(clock, _trace(inputs, (steps + 1) % 2))
    assert result.found and np.array_equal(np.abs(result.states[..., 0]), steps), result.reason


def test_a_cycle_keeps_no_counter():
    parity = StateMachine(initial=0, symbols=((0,), (1,)), transitions=((0, 1), (1, 0)), outputs=((0,), (1,)))
    inputs = np.random.default_rng(3).integers(0, 2, size=(50, LENGTH))
    result = counter_states(parity, _trace(inputs, np.cumsum(inputs, axis=1) % 2))
    assert not result.found and "keeps no counter" in result.reason


def test_two_counters_are_found_when_the_machine_keeps_two():
    # A grid of (count of 1s, count of 2s) over inputs {0, 1, 2}, up to the training length.
    cells = [(a, b) for a in range(LENGTH + 1) for b in range(LENGTH + 1 - a)]
    number = {c: i for i, c in enumerate(cells)}

    def go(c, x):
        a, b = c[0] + (x == 1), c[1] + (x == 2)
        return number.get((a, b), -1) if (a + b) <= LENGTH else -1

    grid = StateMachine(
        initial=number[(0, 0)],
        symbols=((0,), (1,), (2,)),
        transitions=tuple(tuple(go(c, x) for x in range(3)) for c in cells),
        outputs=tuple((int(a > b),) for a, b in cells),
    )
    inputs = np.random.default_rng(4).integers(0, 3, size=(200, LENGTH))
    ones, twos = np.cumsum(inputs == 1, axis=1), np.cumsum(inputs == 2, axis=1)
    result = counter_states(grid, _trace(inputs, (ones > twos).astype(np.int64)))
    assert result.found and result.states.shape[-1] == 2, result.reason


def test_a_chain_whose_ends_absorb_keeps_a_counter_with_its_edge_as_exceptions():
    """Counts -L..L whose ends stay put (the data never went further): no counter is followed
    by every transition, one is by all but the two at the ends."""
    size = 2 * LENGTH + 1
    saturating = StateMachine(
        initial=LENGTH,
        symbols=((0,), (1,)),
        transitions=tuple((max(s - 1, 0), min(s + 1, size - 1)) for s in range(size)),
        outputs=tuple((int(s > LENGTH),) for s in range(size)),
    )
    counted = machine_counters(saturating)
    assert counted.steps is not None and abs(counted.steps).tolist() == [[1, 1]]
    assert counted.exceptions == {(0, 0), (size - 1, 1)}
    values = sorted(int(v[0]) for v in counted.potential.values())
    assert values == list(range(values[0], values[0] + size))


def test_a_small_cycle_is_no_counter_even_with_exceptions():
    three = StateMachine(0, ((0,), (1,)), ((0, 1), (1, 2), (2, 0)), ((0,), (1,), (2,)))
    assert machine_counters(three).steps is None


def test_a_one_symbol_chain_is_a_clock():
    clock = StateMachine(0, ((5,),), ((1,), (2,), (-1,)), ((0,), (1,), (2,)))
    counted = machine_counters(clock)
    assert counted.steps is not None and counted.steps.tolist() == [[1]] and not counted.exceptions


def test_an_absorbing_state_inside_the_counts_is_a_rule_not_the_edge_of_the_data():
    """Balance counts 0..L, and one more state ("went negative") that stays where it is:
    its step on input 1 would pass the counts seen (the data's edge, left out of the guess),
    its step on input 0 would land on a count seen (a rule of the machine, kept)."""
    dead = LENGTH + 1

    def step(s, x):
        if s == dead:
            return dead
        t = s + (1 if x == 0 else -1)
        return dead if t < 0 else (t if t <= LENGTH else -1)

    machine = StateMachine(
        0,
        ((0,), (1,)),
        tuple((step(s, 0), step(s, 1)) for s in range(LENGTH + 2)),
        tuple((int(s == 0),) for s in range(LENGTH + 2)),
    )
    counted = machine_counters(machine)
    assert counted.steps is not None and counted.steps.tolist() == [[1, -1]]
    assert int(counted.potential[dead][0]) == -1
    assert counted.broken == {(dead, 0), (dead, 1)}
    assert counted.exceptions == {(dead, 1)}


def _majority_trace(hidden_of, seed=0, n=512, length=10):
    """Inputs 0..2, outputs the most frequent so far (ties: the smallest), hidden states
    `hidden_of(counts, inputs)` per step."""
    rng = np.random.default_rng(seed)
    inputs = rng.integers(0, 3, size=(n, length))
    counts = np.cumsum(inputs[..., None] == np.arange(3), axis=1)
    outputs = np.argmax(counts, axis=-1)  # argmax takes the first of a tie
    hidden = hidden_of(counts, inputs)
    hidden = np.concatenate([np.zeros((n, 1, hidden.shape[-1])), hidden], axis=1)
    return Trace(inputs[..., None], hidden, outputs[..., None])


def test_a_network_that_squashes_its_counts_keeps_them_as_its_state():
    squashed = lambda c, x: np.tanh(0.4 * (c[..., 1:] - c[..., :1]))  # noqa: E731
    counted = symbol_counts(_majority_trace(squashed))
    assert counted.found, counted.reason
    trace = _majority_trace(squashed)
    assert (counted.states[:, -1].sum(axis=-1) == 10).all()
    fitted = fit_affine_machine(counted, trace)
    assert fitted.machine is not None, fitted.reason
    rng = np.random.default_rng(1)
    for row in rng.integers(0, 3, size=(50, 40)).tolist():  # four times the traced length
        counts = np.cumsum(np.array(row)[:, None] == np.arange(3), axis=0)
        assert fitted.machine.run(row) == np.argmax(counts, axis=-1).tolist()


def test_a_network_that_keeps_the_last_input_or_the_order_is_not_its_counts():
    with_last = lambda c, x: np.concatenate([np.tanh(0.4 * c), x[..., None]], axis=-1)  # noqa: E731
    assert not symbol_counts(_majority_trace(with_last)).found

    def recent_first(c, x):  # a leaky sum: the order of the inputs shows
        h = np.zeros(x.shape, dtype=float)
        for t in range(x.shape[1]):
            h[:, t] = x[:, t] + 0.5 * (h[:, t - 1] if t else 0.0)
        return h[..., None]

    assert not symbol_counts(_majority_trace(recent_first)).found


def test_one_wrong_output_is_outvoted_by_the_others_of_its_state():
    states = np.array([[[0], [1], [2]], [[0], [1], [2]], [[0], [1], [2]]])
    outputs = np.array([[[5], [6], [7]], [[5], [6], [7]], [[5], [9], [7]]])
    fixed, changed = outputs_by_majority(states, outputs)
    assert changed == 1 and fixed[2, 1, 0] == 6 and (fixed[:2] == outputs[:2]).all()
