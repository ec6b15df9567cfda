"""Emitted program text: loaded on its own, it must compute exactly what the machine computes."""

from __future__ import annotations

import ast
import random
from fractions import Fraction

import pytest

from mips.emit import emit_program
from mips.machines import AffineMachine, FormulaMachine, StateMachine
from mips.verify import load_program

F = Fraction


def random_state_machine(seed: int, states: int, symbols: tuple, outputs: tuple) -> StateMachine:
    rng = random.Random(seed)
    return StateMachine(
        initial=0,
        symbols=symbols,
        transitions=tuple(tuple(rng.randrange(states) for _ in symbols) for _ in range(states)),
        outputs=tuple(rng.choice(outputs) for _ in range(states)),
    )


PAIRS = ((0, 0), (0, 1), (1, 0), (1, 1))

MACHINES = {
    "fsm-parity": StateMachine(initial=0, symbols=((0,), (1,)), transitions=((0, 1), (1, 0)), outputs=((0,), (1,))),
    "fsm-random-5-states-3-symbols": random_state_machine(1, 5, ((0,), (1,), (2,)), ((0,), (1,), (2,))),
    "fsm-negative-symbols-initial-2": StateMachine(
        initial=2,
        symbols=((-1,), (0,), (1,)),
        transitions=((1, 0, 2), (2, 1, 0), (0, 2, 1)),
        outputs=((-4,), (0,), (4,)),
    ),
    "fsm-2-in-2-out": random_state_machine(2, 4, PAIRS, ((0, 1), (1, 0), (5, -5))),
    "affine-counter": AffineMachine(state_dim=1, input_dim=1, update=((F(1), F(1), F(0)),), readout=((F(1), F(0)),)),
    "affine-2-in-negative-terms": AffineMachine(
        state_dim=1,
        input_dim=2,
        update=((F(1), F(-1), F(3), F(-2)),),  # s <- s - x0 + 3 x1 - 2
        readout=((F(-1), F(-3)),),  # y = -s - 3
    ),
    "affine-rational-2-out": AffineMachine(
        state_dim=2,
        input_dim=1,
        # a <- 2x (always even); b <- b + a/2 - 1
        update=((F(0), F(0), F(2), F(0)), (F(1, 2), F(1), F(0), F(-1))),
        # y = (b, (a + 2) / 2 - b)
        readout=((F(0), F(1), F(0)), (F(1, 2), F(-1), F(1))),
    ),
    "affine-negative-rational": AffineMachine(
        state_dim=1,
        input_dim=1,
        update=((F(1), F(-3), F(0)),),  # s <- s - 3x
        readout=((F(-2, 3), F(5)),),  # y = 5 - 2s/3 (s is a multiple of 3)
    ),
    "affine-delay-line": AffineMachine(
        state_dim=2,
        input_dim=1,
        update=((F(0), F(0), F(1), F(0)), (F(1), F(0), F(0), F(0))),
        readout=((F(0), F(1), F(0)),),
    ),
    "affine-zero-readout": AffineMachine(
        state_dim=1, input_dim=1, update=((F(1), F(1), F(0)),), readout=((F(0), F(0)),)
    ),
    "affine-no-state": AffineMachine(state_dim=0, input_dim=1, update=(), readout=((F(7),),)),
    "affine-nonzero-start": AffineMachine(
        state_dim=2,
        input_dim=1,
        update=((F(1), F(0), F(1), F(0)), (F(0), F(1), F(0), F(-1))),
        readout=((F(1), F(1), F(0)),),
        initial=(5, -3),
    ),
    # Formula machines: most solved programs are of this kind.
    "formula-mod-counter": FormulaMachine(1, 1, ("(s0 + x) % 3",), ("s0",)),
    "formula-run-of-ones": FormulaMachine(1, 1, ("s0 + 1 if x == 1 else 0",), ("s0",), labels=("the ones in a row",)),
    "formula-2-coordinates-2-in-2-out": FormulaMachine(
        2,
        2,
        ("(s1 + x0 + x1) % 3", "(s1 + x0 + x1) // 3"),  # base-3 addition: the digit and the carry
        ("s0", "max(s0, s1) - s1"),
        labels=("the output", "the output if the next input were (0, 0)"),
        rewrites=6,
    ),
    "formula-window-nonzero-start": FormulaMachine(2, 1, ("x", "s0"), ("abs(s0 - s1)",), initial=(3, -1)),
    "formula-bits-and-comparisons": FormulaMachine(
        2, 2, ("s0 ^ (x0 & x1)", "min(s1, x0 - x1)"), ("int(s0 < s1) + 2 * s0",), initial=(0, 4)
    ),
}


def random_inputs(machine, rng: random.Random, length: int) -> list:
    if isinstance(machine, StateMachine):
        steps = [s[0] if len(s) == 1 else s for s in machine.symbols]
        return [rng.choice(steps) for _ in range(length)]
    # Formulas compare inputs with small numbers (x == 1): small inputs take every branch.
    low, high = (-2, 2) if isinstance(machine, FormulaMachine) else (-9, 9)
    if machine.input_dim == 1:
        return [rng.randint(low, high) for _ in range(length)]
    return [tuple(rng.randint(low, high) for _ in range(machine.input_dim)) for _ in range(length)]


def emitted(machine) -> str:
    return emit_program(machine, ["a test program", "", "second line"])


@pytest.mark.parametrize("machine", MACHINES.values(), ids=MACHINES.keys())
def test_program_matches_machine(machine):
    program = load_program(emitted(machine))
    rng = random.Random(0)
    for length in (0, 1, 2, 7, 30, 100):
        for _ in range(40):
            xs = random_inputs(machine, rng, length)
            expected = machine.run(xs)
            got = program(list(xs))
            assert got == expected, f"inputs {xs}: program {got}, machine {expected}"
            assert [type(y) for y in got] == [type(y) for y in expected]


@pytest.mark.parametrize("machine", MACHINES.values(), ids=MACHINES.keys())
def test_program_imports_nothing_and_is_valid_python(machine):
    text = emitted(machine)
    assert "import" not in text
    tree = ast.parse(text)
    assert not any(isinstance(node, (ast.Import, ast.ImportFrom)) for node in ast.walk(tree))
    assert [n.name for n in tree.body if isinstance(n, ast.FunctionDef)] == ["program"]
    assert ast.get_docstring(tree).startswith("a test program")


def test_program_with_two_number_steps_takes_lists_too():
    """Callers may pass each step as a list (JSON data) rather than a tuple."""
    machine = MACHINES["fsm-2-in-2-out"]
    program = load_program(emitted(machine))
    xs = [(0, 1), (1, 1), (1, 0), (0, 0), (1, 1)]
    assert program([list(x) for x in xs]) == machine.run(xs)
    for name in ("affine-2-in-negative-terms", "formula-2-coordinates-2-in-2-out"):
        other = MACHINES[name]
        program = load_program(emitted(other))
        assert program([list(x) for x in xs]) == other.run(xs), name


def test_rational_coefficients_are_integer_arithmetic():
    text = emitted(MACHINES["affine-rational-2-out"])
    assert "//" in text and "/ " not in text.replace("//", "")
    assert "Fraction" not in text


def test_unobserved_transition_fails_in_the_program_as_in_the_machine():
    machine = StateMachine(initial=0, symbols=((0,), (1,)), transitions=((0, 1), (-1, 0)), outputs=((0,), (1,)))
    program = load_program(emitted(machine))
    assert program([0, 1, 1]) == machine.run([0, 1, 1]) == [0, 1, 0]
    with pytest.raises(KeyError):
        machine.run([1, 0])
    with pytest.raises(KeyError):
        program([1, 0])


def test_header_with_triple_quotes_stays_a_docstring():
    text = emit_program(MACHINES["fsm-parity"], ['the rule: """odd""" ones', 'ends with a quote "'])
    program = load_program(text)
    assert program([1, 1, 1]) == [1, 0, 1]
    assert "odd" in ast.get_docstring(ast.parse(text))


def test_header_with_backslashes_still_loads():
    text = emit_program(MACHINES["fsm-parity"], [r"task C:\New\x: parity"])
    program = load_program(text)
    assert program([1, 1]) == [1, 0]
    assert r"C:\New\x" in ast.get_docstring(ast.parse(text))


def test_program_state_is_fresh_on_every_call():
    for machine in (MACHINES["fsm-random-5-states-3-symbols"], MACHINES["affine-counter"]):
        program = load_program(emitted(machine))
        xs = random_inputs(machine, random.Random(3), 12)
        assert program(xs) == program(xs) == machine.run(xs)


def test_state_variables_are_named_after_their_rules():
    from mips.machines import readable_names

    assert readable_names(["x", "s0", "s1", "s2"], ["x"]) == ["cur", "prev", "prev2", "prev3"]
    assert readable_names(["s0 + x", "s1 + 1", "s2 + STEP[x]"], ["x"]) == ["total", "count", "count_2"]
    assert readable_names(["s0 + s1", "-s0 - s1 + x"], ["x"]) == ["s0", "s1"]  # nothing to say
    assert readable_names(["x0", "x1"], ["x0", "x1"]) == ["cur_x0", "cur_x1"]


def test_a_delay_line_with_sign_flips_is_oriented_and_named():
    from fractions import Fraction as F

    from mips.regress.affine import _canonical

    zero, one = F(0), F(1)
    # s0 <- x, s1 <- s0, s2 <- -s1, s3 <- -s2; output s3 (= x three steps back).
    update = (
        (zero, zero, zero, zero, one, zero),
        (one, zero, zero, zero, zero, zero),
        (zero, -one, zero, zero, zero, zero),
        (zero, zero, -one, zero, zero, zero),
    )
    machine = AffineMachine(state_dim=4, input_dim=1, update=update, readout=((zero, zero, zero, one, zero),))
    canonical = _canonical(machine)
    inputs = [5, 7, 9, 11, 13, 2]
    assert canonical.run(inputs) == machine.run(inputs) == [0, 0, 0, 5, 7, 9]
    program = emit_program(canonical, ["t"])
    assert "cur, prev, prev2, prev3 = x, cur, prev, prev2" in program


def test_formulas_of_a_state_machine_carry_what_each_coordinate_is():
    from mips.machines import FormulaMachine

    carry = FormulaMachine(
        2,
        2,
        ("(s1 + x0 + x1) % 3", "(s1 + x0 + x1) // 3"),
        ("s0",),
        labels=("the output", "the output if the next input were (0, 0)"),
        rewrites=6,
    )
    program = emit_program(carry, ["header"])
    assert "    s1 = 0  # the output if the next input were (0, 0)\n" in program
    # The output's value before a step is never read: it has no start value (it had `out = 0`).
    assert "out = 0" not in program and "        v = s1 + x0 + x1\n        out, s1 = v % 3, v // 3\n" in program
    run = load_program(program)
    assert run([(2, 2), (1, 0), (2, 1)]) == carry.run([(2, 2), (1, 0), (2, 1)]) == [1, 2, 0]


def test_conditional_rules_read_in_parentheses_beside_others():
    from mips.machines import FormulaMachine

    machine = FormulaMachine(2, 1, ("x", "s1 - 2 * s0 + 1 if 0 <= s1 else s1"), ("int(s1 == 0)",))
    program = emit_program(machine, ["h"])
    assert "= x, (" in program and " if s1 >= 0 " in program
    assert load_program(program)([0, 1, 1, 0]) == machine.run([0, 1, 1, 0])


def test_a_state_of_the_current_input_alone_is_read_in_place_and_needs_no_start_value():
    """A coordinate that is a function of the current input alone, read by no rule, is no
    state: the output reads its rule; one whose old value no rule reads has no start value."""
    from mips.machines import FormulaMachine

    detector = FormulaMachine(1, 1, ("int(x in (0, 1, 4, 9))",), ("s0",), initial=(1,))
    program = emit_program(detector, ["h"])
    assert "outputs.append(int(x in (0, 1, 4, 9)))" in program and "= 1" not in program
    parity = FormulaMachine(1, 1, ("x",), ("-(s0 % 2) + 1",))
    program = emit_program(parity, ["h"])
    assert "outputs.append(1 - x % 2)" in program and "cur" not in program  # -(x % 2) + 1, read first
    both = FormulaMachine(2, 2, ("x0 | x1", "s1 + x0"), ("s0 + s1",), initial=(5, 3))
    program = emit_program(both, ["h"])
    assert "    total = 3\n" in program and "= 5" not in program
    assert "outputs.append((x0 | x1) + total)" in program
    rng = random.Random(0)
    for machine, pairs in ((detector, False), (parity, False), (both, True)):
        run = load_program(emit_program(machine, ["h"]))
        for _ in range(200):
            n = rng.randint(0, 8)
            inputs = [(rng.randint(-3, 9), rng.randint(-3, 9)) if pairs else rng.randint(-3, 9) for _ in range(n)]
            assert run(inputs) == machine.run(inputs)


def test_a_coordinate_no_output_depends_on_is_not_written():
    """Counts kept beside the one the output reads (the time, here) are left out, and so is
    what only they read; what the output reads through another rule stays."""
    counts = FormulaMachine(3, 1, ("s0 + x", "s1 + 1", "s2 + s1"), ("s0 % 2",), initial=(0, 0, 0))
    program = emit_program(counts, ["h"])
    assert "s1" not in program and "s2" not in program and "count" not in program
    chained = FormulaMachine(2, 1, ("s1", "x"), ("s0",), initial=(0, 0))  # the output reads s1 through s0
    assert "prev" in emit_program(chained, ["h"])
    rng = random.Random(1)
    for machine in (counts, chained):
        run = load_program(emit_program(machine, ["h"]))
        for _ in range(100):
            inputs = [rng.randint(0, 5) for _ in range(rng.randint(0, 9))]
            assert run(inputs) == machine.run(inputs)


def test_a_part_the_rules_repeat_is_computed_once_and_named():
    """Base-5 addition's sum of the carry and both digits, read by both updates, is computed
    once before them; a part shared between an update and an output is not (they read the
    state before and after the step)."""
    adder = FormulaMachine(2, 2, ("(s1 + x0 + x1) % 5", "(s1 + x0 + x1) // 5"), ("s0",), initial=(0, 0))
    program = emit_program(adder, ["h"])
    assert "        v = s1 + x0 + x1\n        out, s1 = v % 5, v // 5\n" in program
    across = FormulaMachine(1, 1, ("max(s0, 3) + x",), ("max(s0, 3) * 2",), initial=(0,))
    assert "v = " not in emit_program(across, ["h"])
    rng = random.Random(2)
    for machine, pairs in ((adder, True), (across, False)):
        run = load_program(emit_program(machine, ["h"]))
        for _ in range(100):
            n = rng.randint(0, 9)
            inputs = [(rng.randint(0, 4), rng.randint(0, 4)) if pairs else rng.randint(-5, 5) for _ in range(n)]
            assert run(inputs) == machine.run(inputs)
