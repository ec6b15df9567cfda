"""The two machine kinds on their own: running them, and their JSON form."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest

from mips.machines import AffineMachine, FormulaMachine, StateMachine, machine_from_json

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
    with pytest.raises(ValueError, match="kind is the string 'tape'; a machine is one of fsm, lattice, formula"):
        machine_from_json(data)


# ---------------------------------------------------------------------------
# Malformed JSON (a saved run's machine.json may come from anyone): a ValueError naming the field
# ---------------------------------------------------------------------------


def _spoiled(machine, **changes) -> dict:
    return machine.to_json() | changes


FORMULAS = FormulaMachine(2, 1, ("x", "s0 + s1"), ("s1 % 2",), initial=(0, 0), labels=("last input", "sum"))

MALFORMED = {
    "not-an-object": ([1, 2], "the machine must be a JSON object, got a list of 2"),
    "no-kind": ({"initial": 0}, "kind is missing"),
    "kind-not-text": (_spoiled(parity_machine(), kind=["fsm"]), "kind is a list of 1"),
    # state machines
    "fsm-missing-key": ({k: v for k, v in parity_machine().to_json().items() if k != "outputs"}, "outputs is missing"),
    "fsm-initial-text": (_spoiled(parity_machine(), initial="0"), "initial must be an integer, got the string '0'"),
    "fsm-initial-float": (_spoiled(parity_machine(), initial=0.0), "initial must be an integer, got the number 0.0"),
    "fsm-initial-bool": (_spoiled(parity_machine(), initial=False), "initial must be an integer, got false"),
    "fsm-initial-range": (_spoiled(parity_machine(), initial=2), "initial must be from 0 to 1, got 2"),
    "fsm-target-range": (
        _spoiled(parity_machine(), transitions=[[0, 1], [1, 2]]),
        "transitions[1][1] must be from -1 to 1, got 2",
    ),
    "fsm-target-negative": (_spoiled(parity_machine(), transitions=[[0, -2], [1, 0]]), "transitions[0][1] must be"),
    "fsm-target-float": (_spoiled(parity_machine(), transitions=[[0, 1.0], [1, 0]]), "transitions[0][1] must be an "),
    "fsm-row-length": (_spoiled(parity_machine(), transitions=[[0, 1], [1]]), "transitions[1] must have 2 entries"),
    "fsm-rows-not-lists": (_spoiled(parity_machine(), transitions=["01", "10"]), "transitions[0] must be a list"),
    "fsm-no-states": (_spoiled(parity_machine(), transitions=[], outputs=[]), "transitions is empty"),
    "fsm-outputs-count": (_spoiled(parity_machine(), outputs=[[0]]), "outputs must have 2 entries, got 1"),
    "fsm-outputs-widths": (_spoiled(parity_machine(), outputs=[[0], [1, 1]]), "outputs[1] has 2 number(s)"),
    "fsm-output-empty": (_spoiled(parity_machine(), outputs=[[], []]), "outputs[0] is empty"),
    "fsm-symbols-widths": (_spoiled(parity_machine(), symbols=[[0], [1, 0]]), "symbols[1] has 2 number(s)"),
    "fsm-symbols-text": (_spoiled(parity_machine(), symbols=[["0"], ["1"]]), "symbols[0][0] must be an integer"),
    "fsm-symbols-repeat": (_spoiled(parity_machine(), symbols=[[0], [0]]), "symbols repeat"),
    "fsm-no-symbols": (_spoiled(parity_machine(), symbols=[], transitions=[[], []]), "symbols is empty"),
    # lattice machines
    "lattice-rows": (_spoiled(counter_machine(), update=[]), "update must have 1 entry, got 0"),
    "lattice-columns": (_spoiled(counter_machine(), update=[["1", "1"]]), "update[0] must have 3 entries"),
    "lattice-readout-columns": (_spoiled(counter_machine(), readout=[["1", "0", "0"]]), "readout[0] must have 2"),
    "lattice-no-readout": (_spoiled(counter_machine(), readout=[]), "readout is empty"),
    "lattice-float": (_spoiled(counter_machine(), readout=[[0.5, "0"]]), "readout[0][0] must be a fraction"),
    "lattice-exponent": (_spoiled(counter_machine(), readout=[["1e999999999", "0"]]), "readout[0][0] must be a"),
    "lattice-zero-denominator": (_spoiled(counter_machine(), update=[["1", "1/0", "0"]]), "update[0][1] must be"),
    "lattice-state-dim": (_spoiled(counter_machine(), state_dim=-1), "state_dim must be at least 0"),
    "lattice-initial": (_spoiled(counter_machine(), initial=[0, 0]), "initial must have 1 value(s)"),
    "lattice-table-rows": (
        _spoiled(counter_machine(), symbols=[[0], [1]], input_table=[["1"]]),
        "input_table must have 2 entries",
    ),
    "lattice-symbol-width": (
        _spoiled(counter_machine(), symbols=[[0, 1]], input_table=[["1"]]),
        "symbols[0] has 2 number(s), where each needs 1",
    ),
    # formula machines
    "formula-code": (_spoiled(FORMULAS, update=["__import__('os').system('true')", "s0"]), "not a formula"),
    "formula-attribute": (_spoiled(FORMULAS, readout=["s0.real"]), "not a formula"),
    "formula-syntax": (_spoiled(FORMULAS, readout=["s0 +"]), "not a Python expression"),
    "formula-unknown-name": (_spoiled(FORMULAS, readout=["x"]), "unknown name 'x'"),
    "formula-not-text": (_spoiled(FORMULAS, readout=[3]), "readout[0] must be a string"),
    "formula-count": (_spoiled(FORMULAS, update=["x"]), "update must have 2 entries"),
    "formula-no-readout": (_spoiled(FORMULAS, readout=[]), "readout is empty"),
    "formula-deep": (_spoiled(FORMULAS, readout=["-" * 5000 + "s0"]), "formula"),
    "label-newline": (
        _spoiled(FORMULAS, labels=["sum\nimport os", "x"]),
        "labels[0] holds U+000A, a line break or control character",
    ),
    "label-carriage-return": (_spoiled(FORMULAS, labels=["a", "b\rc"]), "labels[1] holds U+000D"),
    "label-line-separator": (_spoiled(FORMULAS, labels=["a\u2028b"]), "labels[0] holds U+2028"),
    "label-not-text": (_spoiled(FORMULAS, labels=[1]), "labels[0] must be a string"),
    "labels-too-many": (_spoiled(FORMULAS, labels=["a", "b", "c"]), "labels has 3 entries"),
    "rewrites-text": (_spoiled(FORMULAS, rewrites="2"), "rewrites must be an integer"),
}


@pytest.mark.parametrize("data, message", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_machine_json_is_a_value_error_naming_the_field(data, message):
    with pytest.raises(ValueError) as caught:
        machine_from_json(json.loads(json.dumps(data)))
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_formula_machine_round_trips_with_its_labels():
    back = machine_from_json(json.loads(json.dumps(FORMULAS.to_json())))
    assert back.to_json() == FORMULAS.to_json() and back.run([1, 2, 3]) == FORMULAS.run([1, 2, 3])


def test_hand_written_machine_json_may_leave_out_the_optional_fields():
    lattice = machine_from_json(
        {"kind": "lattice", "state_dim": 1, "input_dim": 1, "update": [[1, 1, 0]], "readout": [["1/2", 0]]}
    )
    assert lattice.initial == (0,) and lattice.readout[0][0] == F(1, 2)
    formula = machine_from_json(
        {"kind": "formula", "state_dim": 1, "input_dim": 1, "update": ["s0 + x"], "readout": ["s0"]}
    )
    assert formula.run([2, 3]) == [2, 5]


def test_an_affine_machine_with_fractions_computes_exactly_in_integers():
    # s <- s / 2 + x, y = 3 s / 2: integers on these inputs; y = s + 1/2 never is
    halves = AffineMachine(
        state_dim=1,
        input_dim=1,
        update=((Fraction(1, 2), Fraction(1), Fraction(0)),),
        readout=((Fraction(3, 2), Fraction(0)),),
    )
    assert halves.steps([4, 2]) == [((4,), 6), ((4,), 6)]
    odd = AffineMachine(
        state_dim=1,
        input_dim=1,
        update=((Fraction(1, 2), Fraction(1), Fraction(0)),),
        readout=((Fraction(1), Fraction(1, 2)),),
    )
    with pytest.raises(ValueError, match="left the integers"):
        odd.run([2])


def test_an_affine_machine_stops_when_its_state_leaves_64_bits():
    doubling = AffineMachine(
        state_dim=1,
        input_dim=1,
        update=((Fraction(2), Fraction(1), Fraction(0)),),
        readout=((Fraction(1), Fraction(0)),),
    )
    with pytest.raises(ValueError, match="64-bit"):
        doubling.run([1] * 70)
