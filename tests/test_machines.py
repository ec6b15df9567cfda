"""The two machine kinds on their own: running them, and their JSON form."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest

from mips.machines import AffineMachine, StateMachine, machine_from_json

F = Fraction


def parity_machine() -> StateMachine:
    """Running parity of 0/1 inputs: state 0 = even, state 1 = odd."""
    return StateMachine(
        initial=0,
        symbols=((0,), (1,)),
        transitions=((0, 1), (1, 0)),
        outputs=((0,), (1,)),
    )


def and_latch_machine() -> StateMachine:
    """Two numbers per step; the state becomes 1 (for good) once a step has both numbers 1.

    Outputs two numbers per step: (latched, 7)."""
    symbols = ((0, 0), (0, 1), (1, 0), (1, 1))
    return StateMachine(
        initial=0,
        symbols=symbols,
        transitions=((0, 0, 0, 1), (1, 1, 1, 1)),
        outputs=((0, 7), (1, 7)),
    )


def counter_machine() -> AffineMachine:
    """s <- s + x; y = s."""
    return AffineMachine(state_dim=1, input_dim=1, update=((F(1), F(1), F(0)),), readout=((F(1), F(0)),))


def difference_machine() -> AffineMachine:
    """Two numbers per step: s <- s + x0 - x1; outputs (s, 2s + 1)."""
    return AffineMachine(
        state_dim=1,
        input_dim=2,
        update=((F(1), F(1), F(-1), F(0)),),
        readout=((F(1), F(0)), (F(2), F(1))),
    )


def half_sum_machine() -> AffineMachine:
    """s <- s + 2x; y = s / 2 (a rational readout that stays on the integers)."""
    return AffineMachine(state_dim=1, input_dim=1, update=((F(1), F(2), F(0)),), readout=((F(1, 2), F(0)),))


def delay_machine() -> AffineMachine:
    """(s0, s1) <- (x, s0); y = s1: the input of two steps ago."""
    return AffineMachine(
        state_dim=2,
        input_dim=1,
        update=((F(0), F(0), F(1), F(0)), (F(1), F(0), F(0), F(0))),
        readout=((F(0), F(1), F(0)),),
    )


# ---------------------------------------------------------------------------
# StateMachine.run
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "inputs, expected",
    [
        ([], []),
        ([0], [0]),
        ([1], [1]),
        ([1, 1, 0, 1], [1, 0, 0, 1]),
        ([1, 0, 1, 1, 1], [1, 1, 0, 1, 0]),
    ],
    ids=["empty", "zero", "one", "1101", "10111"],
)
def test_state_machine_runs_parity(inputs, expected):
    assert parity_machine().run(inputs) == expected


def test_state_machine_takes_tuple_inputs_and_gives_tuple_outputs():
    machine = and_latch_machine()
    assert machine.run([(0, 1), (1, 0), (1, 1), (0, 0)]) == [(0, 7), (0, 7), (1, 7), (1, 7)]


def test_state_machine_accepts_one_tuples_for_one_number_steps():
    assert parity_machine().run([(1,), (1,), (1,)]) == [1, 0, 1]


def test_state_machine_unobserved_transition_raises_key_error():
    machine = StateMachine(
        initial=0,
        symbols=((0,), (1,)),
        transitions=((0, 1), (-1, 0)),  # from state 1, input 0 was never seen
        outputs=((0,), (1,)),
    )
    assert machine.run([0, 1, 1]) == [0, 1, 0]  # the seen transitions work
    with pytest.raises(KeyError):
        machine.run([1, 0])


def test_state_machine_unknown_symbol_raises_key_error():
    with pytest.raises(KeyError):
        parity_machine().run([0, 2])


def test_state_machine_size_counts_table_entries():
    assert parity_machine().states == 2
    assert parity_machine().size == 2 * (2 + 1)
    assert and_latch_machine().size == 2 * (4 + 1)


# ---------------------------------------------------------------------------
# AffineMachine.run
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "machine, inputs, expected",
    [
        (counter_machine(), [], []),
        (counter_machine(), [3, 4, 5], [3, 7, 12]),
        (counter_machine(), [-2, 1], [-2, -1]),
        (half_sum_machine(), [3, 4, 5], [3, 7, 12]),
        (delay_machine(), [5, 6, 7, 8], [0, 5, 6, 7]),
        (difference_machine(), [(3, 1), (0, 4), (2, 2)], [(2, 5), (-2, -3), (-2, -3)]),
    ],
    ids=["counter-empty", "counter", "counter-negative", "half-sum-rational", "delay-line", "two-in-two-out"],
)
def test_affine_machine_runs(machine, inputs, expected):
    assert machine.run(inputs) == expected


def test_affine_machine_outputs_are_python_ints():
    out = half_sum_machine().run([1, 2])
    assert all(type(y) is int for y in out)
    out = difference_machine().run([(1, 0)])
    assert all(type(v) is int for v in out[0])


def test_affine_machine_with_no_state_gives_its_constant():
    machine = AffineMachine(state_dim=0, input_dim=1, update=(), readout=((F(5),),))
    assert machine.run([1, 2, 3]) == [5, 5, 5]


def test_affine_machine_off_the_integers_raises_value_error():
    # s <- s + x; y = s / 2 is not an integer after an odd sum.
    machine = AffineMachine(state_dim=1, input_dim=1, update=((F(1), F(1), F(0)),), readout=((F(1, 2), F(0)),))
    assert machine.run([2, 4]) == [1, 3]
    with pytest.raises(ValueError):
        machine.run([2, 1])


def test_affine_machine_size_counts_nonzero_coefficients_and_state():
    # update (1, 1, 0): 2 nonzero; readout (1, 0): 1 nonzero; one state coordinate
    assert counter_machine().size == 2 + 1 + 1


# ---------------------------------------------------------------------------
# JSON round trips
# ---------------------------------------------------------------------------

MACHINES = {
    "parity": parity_machine(),
    "and-latch-2in-2out": and_latch_machine(),
    "counter": counter_machine(),
    "two-in-two-out": difference_machine(),
    "rational-readout": half_sum_machine(),
    "delay-line": delay_machine(),
    "no-state": AffineMachine(state_dim=0, input_dim=1, update=(), readout=((F(-7),),)),
}


@pytest.mark.parametrize("machine", MACHINES.values(), ids=MACHINES.keys())
def test_json_round_trip(machine):
    text = json.dumps(machine.to_json())  # must be plain JSON
    back = machine_from_json(json.loads(text))
    assert type(back) is type(machine)
    assert back == machine
    assert back.to_json() == machine.to_json()


def test_json_round_trip_keeps_exact_fractions():
    back = machine_from_json(json.loads(json.dumps(half_sum_machine().to_json())))
    assert back.readout[0][0] == F(1, 2)
    assert all(isinstance(v, Fraction) for row in back.update + back.readout for v in row)


@pytest.mark.parametrize("machine", MACHINES.values(), ids=MACHINES.keys())
def test_json_round_trip_runs_the_same(machine):
    back = machine_from_json(json.loads(json.dumps(machine.to_json())))
    if isinstance(machine, StateMachine):
        width = len(machine.symbols[0])
        inputs = [machine.symbols[(3 * i + 1) % len(machine.symbols)] for i in range(12)]
        inputs = [s[0] if width == 1 else s for s in inputs]
    else:
        inputs = [(i % 5, i % 3) if machine.input_dim == 2 else 2 * (i % 7) for i in range(12)]
    assert back.run(inputs) == machine.run(inputs)


def test_machine_from_json_rejects_unknown_kind():
    data = counter_machine().to_json() | {"kind": "tape"}
    with pytest.raises(KeyError):
        machine_from_json(data)
