"""State machines written as formulas: plant a machine whose meaning is known, and check
that the coordinates and rules read it back, and that the formulas run exactly as the table."""

from __future__ import annotations

import random
from collections import deque

import pytest

from mips.extract.clusters import minimize
from mips.machines import StateMachine, as_tuple, from_tuple
from mips.regress.coordinates import CoordinateConfig, machine_as_formulas
from mips.regress.rules import RuleConfig


def _machine(step, output, start, symbols) -> StateMachine:
    """The minimized Moore machine of `step(state, x)` and `output(state)` from `start`."""
    index, order, queue = {start: 0}, [start], deque([start])
    rows = {}
    while queue:
        state = queue.popleft()
        row = []
        for x in symbols:
            target = step(state, from_tuple(x))
            if target not in index:
                index[target] = len(order)
                order.append(target)
                queue.append(target)
            row.append(index[target])
        rows[index[state]] = tuple(row)
    machine = StateMachine(
        0, tuple(symbols), tuple(rows[i] for i in range(len(order))), tuple(as_tuple(output(s)) for s in order)
    )
    emits = {t for row in machine.transitions for t in row}
    return minimize(machine, emits)


def _same(a, b, symbols, *, sequences=300, length=30, seed=0) -> bool:
    rng = random.Random(seed)
    for _ in range(sequences):
        inputs = [from_tuple(rng.choice(symbols)) for _ in range(length)]
        if a.run(inputs) != b.run(inputs):
            return False
    return True


BITS = ((0,), (1,))
PAIRS = tuple((a, b) for a in range(3) for b in range(3))
DIGITS = tuple((v,) for v in range(6))

PLANTED = {
    # name: (machine, rules expected: update, readout), None where any exact rules will do
    "parity of the last three": (
        _machine(lambda s, x: (x, s[0], s[1]), lambda s: s[0] ^ s[1] ^ s[2], (0, 0, 0), BITS),
        (("x", "s0", "s1"), ("s0 ^ s1 ^ s2",)),
    ),
    "sum mod 5": (_machine(lambda s, x: (s + x) % 5, lambda s: s, 0, DIGITS[:5]), (("(s0 + x) % 5",), ("s0",))),
    "max of the last two": (
        _machine(lambda s, x: (x, max(x, s[0])), lambda s: s[1], (0, 0), DIGITS),
        (("x", "s0"), ("max(s0, s1)",)),
    ),
    "base-3 addition": (
        _machine(lambda s, x: ((s[1] + x[0] + x[1]) % 3, (s[1] + x[0] + x[1]) // 3), lambda s: s[0], (0, 0), PAIRS),
        None,
    ),
    "minimum so far": (_machine(lambda s, x: min(s, x), lambda s: s, 5, DIGITS), (("min(s0, x)",), ("s0",))),
}


@pytest.mark.parametrize("name", sorted(PLANTED))
def test_planted_machines_are_read_back_as_formulas(name):
    machine, expected = PLANTED[name]
    fits = machine_as_formulas(machine)
    fit = fits[0]
    assert fit.machine is not None, fit.reason
    assert fit.exact and fit.machine.rewrites == machine.states
    assert len(fit.coordinates) == fit.machine.state_dim
    assert _same(machine, fit.machine, machine.symbols)
    if expected is not None:
        assert (fit.machine.update, fit.machine.readout) == expected
    assert fit.machine.size < machine.size


# The random machines below that have no formulas, and why; every other one has exact formulas.
NO_FORMULAS = {
    6: "no set of coordinates is a congruence of the machine",
    10: "no set of coordinates is a congruence of the machine",
}


@pytest.mark.parametrize("seed", range(12))
def test_the_formulas_of_random_machines_run_exactly_as_their_tables(seed):
    """Whatever the coordinates and rules, wherever a fit is found it is the same machine;
    which machines have one is pinned (`NO_FORMULAS`), so that a test that finds none checks
    that none is right, rather than nothing."""
    rng = random.Random(seed)
    states, symbols = rng.randint(2, 6), BITS if seed % 2 else DIGITS[:3]
    table = [[rng.randrange(states) for _ in symbols] for _ in range(states)]
    outputs = [rng.randrange(2) for _ in range(states)]
    machine = _machine(lambda s, x: table[s][symbols.index(as_tuple(x))], lambda s: outputs[s], 0, symbols)
    # Time enough (seed 0 takes under 2 s) that a slow machine still finds the pinned outcome.
    fits = machine_as_formulas(machine, CoordinateConfig(seconds=20.0))
    (fit,) = fits  # no counter kept with exceptions here: no second, inexact fit
    if seed in NO_FORMULAS:
        assert fit.machine is None and fit.reason == NO_FORMULAS[seed]
        return
    assert fit.machine is not None, fit.reason
    assert fit.exact and fit.machine.rewrites == machine.states
    assert len(fit.coordinates) == fit.machine.state_dim
    assert _same(machine, fit.machine, symbols, seed=seed)


def test_a_counter_that_stops_where_the_data_stopped_goes_on_counting():
    """A chain of counts -4..4 whose ends absorb further steps (the data never went further):
    the exact fit keeps the ends, the second one counts on."""

    def step(s, x):
        return max(-4, min(4, s + (1 if x == 1 else -1)))

    machine = _machine(step, lambda s: int(s > 0), 0, BITS)
    fits = machine_as_formulas(machine)
    assert fits[0].machine is not None and fits[0].exact and _same(machine, fits[0].machine, BITS)
    assert len(fits) == 2 and not fits[1].exact
    guess = fits[1].machine
    assert guess.run([1] * 20)[-1] == 1 and guess.run([1] * 6 + [0] * 5) == [1] * 6 + [1, 1, 1, 1, 1]
    long = [1] * 7 + [0] * 7  # a count of 7 needs 7 steps down to reach 0: the table cannot say so
    assert guess.run(long)[-1] == 0 and guess.run(long)[-2] == 1 and machine.run(long)[-2] == 0


def test_a_start_that_never_emits_takes_the_value_that_makes_its_first_step_right():
    # Outputs the input just read; the start state emits nothing and is never re-entered.
    machine = StateMachine(0, BITS, ((1, 2), (1, 2), (1, 2)), ((7,), (0,), (1,)))
    fit = machine_as_formulas(machine)[0]
    assert fit.machine is not None and fit.machine.run([1, 0, 1]) == [1, 0, 1]


def test_off_means_tables():
    machine, _ = PLANTED["sum mod 5"]
    fits = machine_as_formulas(machine, CoordinateConfig(enabled=False))
    assert len(fits) == 1 and fits[0].machine is None and "off" in fits[0].reason


# The random partial machines below that have no formulas; every other one has exact formulas.
PARTIAL_WITHOUT_FORMULAS = {1, 5}


@pytest.mark.parametrize("seed", range(8))
def test_exact_formulas_of_a_partial_machine_agree_wherever_the_table_is_defined(seed):
    rng = random.Random(100 + seed)
    states = rng.randint(3, 7)
    transitions = tuple(
        tuple(rng.randrange(states) if s == 0 or rng.random() < 0.8 else -1 for _ in BITS) for s in range(states)
    )  # the start goes somewhere on every input
    machine = StateMachine(0, BITS, transitions, tuple((rng.randrange(3),) for _ in range(states)))
    fit = machine_as_formulas(machine, CoordinateConfig(seconds=5.0))[0]
    if seed in PARTIAL_WITHOUT_FORMULAS:
        assert fit.machine is None and fit.reason == "no set of coordinates is a congruence of the machine"
        return
    assert fit.machine is not None and fit.exact, fit.reason
    compared = 0
    for _ in range(300):
        inputs = [rng.randrange(2) for _ in range(12)]
        try:
            expected = machine.run(inputs)
        except KeyError:  # the table stops here; the formulas go on, and nothing says how
            continue
        compared += 1
        assert fit.machine.run(inputs) == expected
    assert compared


def test_a_state_that_stays_put_at_the_edge_stays_put_in_the_guess():
    """Brackets balanced so far (0 opens, 1 closes), counts 0..6 seen and a "went negative"
    state that absorbs: the guess counts past 6 but keeps the absorbing state."""
    dead, top = 7, 6

    def step(s, x):
        if s == dead:
            return dead
        t = s + (1 if x == 0 else -1)
        return dead if t < 0 else min(t, top)

    machine = _machine(step, lambda s: int(s == 0), 0, BITS)
    fits = machine_as_formulas(machine)
    assert len(fits) == 2 and not fits[1].exact, [f.reason for f in fits]
    guess = fits[1].machine
    deep = [0] * 9 + [1] * 9  # deeper than the table's counts, then back to balanced
    assert guess.run(deep)[-1] == 1 and machine.run(deep)[-1] == 0
    assert guess.run([1, 0, 0, 1, 0, 1])[-1] == 0  # went negative first: never balanced again


def test_a_large_table_with_one_wrong_entry_is_read_as_the_rule_the_others_follow():
    """The largest input so far over 0..29 (900 entries), one entry wrong (as a network
    asked about a transition the data never showed may be): the guess is max(s0, x) with
    the one miss counted; a table with the wrong entry everywhere is no such rule."""
    values = tuple((v,) for v in range(30))
    wrong = (3, 1)  # from the state "3 seen", input 1: should stay at 3

    def step(s, x):
        return 7 if (s, x) == wrong else max(s, x)

    machine = _machine(step, lambda s: s, 0, values)
    # Conditionals of one branch at most: no exact rule can spell the wrong entry out.
    fits = machine_as_formulas(machine, CoordinateConfig(rules=RuleConfig(branches=1)))
    assert fits[0].machine is None and len(fits) == 2, [f.reason for f in fits]
    guess = fits[1]
    assert guess.machine is not None and not guess.exact, guess.reason
    assert guess.machine.update == ("max(s0, x)",) and "all but 1 of" in guess.reason
    # With conditionals, an exact rule that spells the wrong entry out is kept: no guess.
    assert all(f.exact for f in machine_as_formulas(machine) if f.machine is not None)
    worse = _machine(lambda s, x: (s * 7 + x * 3) % 30, lambda s: s, 0, values)  # no rule of the sort
    assert all(f.exact for f in machine_as_formulas(worse, CoordinateConfig(seconds=5.0)) if f.machine is not None)


@pytest.mark.parametrize("start_digit", [0, 1])
def test_a_remainder_is_named_by_the_states_rank_by_what_they_output_next(start_digit):
    """Streaming division by 5 of a binary number (the state: remainder and last quotient
    digit, 10 states): no output after one or two inputs names the remainder, the states'
    order by their future outputs does, and the formulas hold on every transition. With
    start digit 1 the start state is also the state "remainder 0, digit 1", re-entered
    later, as minimization leaves it when the start's own output is never seen: the start
    with no input behind it emits nothing, whatever that state emits."""
    k, states, order, table = 5, {(0, start_digit): 0}, [(0, start_digit)], []
    for r, _ in order:  # grows while it is walked: every state reached
        row = []
        for x in (0, 1):
            target = ((2 * r + x) % k, (2 * r + x) // k)
            if target not in states:
                states[target] = len(order)
                order.append(target)
            row.append(states[target])
        table.append(tuple(row))
    machine = StateMachine(0, BITS, tuple(table), tuple((y,) for _, y in order))
    fit = machine_as_formulas(machine)[0]
    assert fit.machine is not None and fit.exact, fit.reason
    assert "the state's rank by what it outputs next" in fit.coordinates
    assert _same(machine, fit.machine, BITS)


def test_a_formula_candidate_keeps_the_state_machine_it_writes_as_formulas():
    """The state graph the formulas stand for is kept beside them (for `mips inspect`'s drawing)."""
    import numpy as np

    from mips.choose import Candidate
    from mips.data import Sequences, TaskData
    from mips.regress import _formula_candidates

    parity = StateMachine(0, ((0,), (1,)), ((0, 1), (1, 0)), ((0,), (1,)))
    inputs = np.random.default_rng(0).integers(0, 2, size=(20, 8, 1))
    outputs = np.cumsum(inputs, axis=1) % 2
    data = TaskData(Sequences(inputs, outputs), Sequences(inputs, outputs))
    (found,) = _formula_candidates((Candidate(parity, True),), data, CoordinateConfig(), lambda message: None)
    assert found.machine.kind == "formula" and found.machine.rewrites == 2 and found.matches_heldout
    assert found.state_machine == parity
    assert Candidate(parity, True).state_machine is None  # a table is its own graph
