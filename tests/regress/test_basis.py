"""The lattice basis a person would choose: same machine, shorter rules with names."""

from __future__ import annotations

import random
from fractions import Fraction

from mips.emit import emit_program
from mips.machines import AffineMachine
from mips.regress.basis import simplest_basis


def _machine(update, readout, initial=None) -> AffineMachine:
    m = len(update)
    return AffineMachine(
        state_dim=m,
        input_dim=1,
        update=tuple(tuple(Fraction(v) for v in row) for row in update),
        readout=tuple(tuple(Fraction(v) for v in row) for row in readout),
        initial=tuple(initial or (0,) * m),
    )


def _same(a: AffineMachine, b: AffineMachine) -> bool:
    rng = random.Random(0)
    return all(
        a.run(row) == b.run(row)
        for row in ([rng.randint(-10, 10) for _ in range(rng.randint(0, 30))] for _ in range(200))
    )


def _body(machine: AffineMachine) -> str:
    return emit_program(machine, ["t"]).split("for x in inputs:")[1]


def test_a_difference_of_the_last_two_inputs_reads_cur_minus_prev():
    skewed = _machine([[0, 0, 1, 0], [-1, 0, 0, 0]], [[1, 1, 0]])  # cur, s1 = x, -cur; cur + s1
    found = simplest_basis(skewed)
    assert _same(skewed, found)
    assert "cur, prev = x, cur" in _body(found) and "outputs.append(cur - prev)" in _body(found)


def test_a_position_and_a_velocity_come_back_from_a_skewed_basis():
    # s0, s1 = x - s1, s0 + 2 * s1; output s0 + 2 * s1 (the network's basis of v <- v + x; p <- p + v)
    skewed = _machine([[0, -1, 1, 0], [1, 2, 0, 0]], [[1, 2, 0]])
    found = simplest_basis(skewed)
    assert _same(skewed, found) and found.size <= skewed.size
    body = _body(found)
    assert "total, out = total + x, total + out + x" in body and "outputs.append(out)" in body


def test_a_window_of_inputs_stays_a_window():
    window = _machine([[0, 0, 0, 1, 0], [1, 0, 0, 0, 0], [0, 1, 0, 0, 0]], [[1, 1, 1, 0]])
    assert simplest_basis(window) == window


def test_every_elementary_step_keeps_the_machine_and_the_search_keeps_it_too():
    """Random machines (with an input table, two outputs, fractions), random steps: each step
    and the search's result run as the machine does."""
    from mips.regress.basis import _add

    rng = random.Random(3)
    for _ in range(60):
        m = rng.randint(1, 3)
        coefficient = lambda: Fraction(rng.randint(-2, 2), rng.choice([1, 1, 1, 2]))  # noqa: E731
        update = [[rng.randint(-1, 1) for _ in range(m)] + [rng.randint(-1, 1), rng.randint(-1, 1)] for _ in range(m)]
        readout = [[coefficient() for _ in range(m)] + [rng.randint(-2, 2)] for _ in range(2)]
        machine = _machine(update, readout)
        if rng.random() < 0.5:
            table = tuple(tuple(Fraction(rng.randint(-2, 2)) for _ in range(m)) for _ in range(3))
            machine = AffineMachine(
                state_dim=m,
                input_dim=1,
                update=tuple(row[:m] + (Fraction(0),) + row[-1:] for row in machine.update),
                readout=machine.readout,
                initial=machine.initial,
                symbols=((0,), (1,), (2,)),
                input_table=table,
            )
        moved = machine
        for _ in range(rng.randint(1, 6)):
            i, j = rng.randrange(m), rng.randrange(m)
            moved = _add(moved, i, j, -2 if i == j else rng.choice([1, -1]))
        found = simplest_basis(machine)
        for row in ([rng.randint(0, 2) for _ in range(rng.randint(0, 12))] for _ in range(30)):
            try:
                expected = machine.run(row)
            except ValueError:  # fractions can leave the integers: then every basis does
                continue
            assert moved.run(row) == expected and found.run(row) == expected
