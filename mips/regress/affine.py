"""Regression: exact rules on the discrete states.

For a lattice, the state update and the readout are fitted as affine maps
with exact rational coefficients: a least-squares fit proposes coefficients,
each is turned into the nearest fraction with a small denominator, and the
rule is then checked with exact integer arithmetic on every distinct
transition seen. A rule that fails that check is not a rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from fractions import Fraction

import numpy as np
import sympy

from mips.arrays import distinct_rows
from mips.extract.states import IntegerStates
from mips.io.jsonread import Matrix
from mips.machines import (
    AffineMachine,
    FormulaMachine,
    affine_formula,
    from_tuple,
    input_names,
    state_names,
)
from mips.network.trace import Trace
from mips.regress.basis import simplest_basis
from mips.regress.checks import first_start
from mips.regress.linear import fit_exact_affine
from mips.regress.rules import RuleConfig, find_rule


@dataclass(frozen=True, kw_only=True)
class RegressConfig:
    max_denominator: int = 12
    max_table_symbols: int = 16  # inputs with at most this many values may act through a table
    counted_symbols: int = 6  # inputs with 2 to this many symbols may be counted (`symbol_counts`; 0: never)
    rules: RuleConfig = field(default_factory=RuleConfig)  # for rules that are not affine

    def __post_init__(self):
        if self.max_denominator < 1:
            raise ValueError("RegressConfig.max_denominator must be at least 1")


@dataclass(frozen=True)
class AffineFit:
    machine: AffineMachine | FormulaMachine | None
    reason: str


def fit_affine_machine(integer: IntegerStates, trace: Trace, config: RegressConfig = RegressConfig()) -> AffineFit:
    """The affine update s_t = A s_(t-1) + B x_t + c and readout y_t = V s_t + w on lattice states.

    The update is fitted on steps 2..T; the initial state is then an integer s_0
    that makes step 1 follow the same rule. The result is put in canonical
    coordinates (see `_canonical`)."""
    if integer.states is None:
        return AffineFit(None, "no lattice")
    states = integer.states  # [N, T, m] for h_1..h_T
    m, d, o = states.shape[-1], trace.inputs.shape[-1], trace.outputs.shape[-1]
    rows = states.shape[0] * states.shape[1]
    readout, readout_reason = fit_exact_affine(
        states.reshape(rows, m), trace.outputs.reshape(rows, o), config.max_denominator
    )
    if m == 0:
        if readout is None:
            return AffineFit(None, f"readout: {readout_reason}")
        return AffineFit(AffineMachine(state_dim=0, input_dim=d, update=(), readout=readout), "constant output")
    if states.shape[1] < 2:
        return AffineFit(None, "sequences too short to see a state update")
    previous = states[:, :-1].reshape(-1, m)
    current = states[:, 1:].reshape(-1, m)
    inputs = trace.inputs[:, 1:].reshape(-1, d)
    update, reason = fit_exact_affine(np.concatenate([previous, inputs], axis=1), current, config.max_denominator)
    symbols, table = (), ()
    if update is None:
        fitted = _fit_with_input_table(previous, inputs, current, trace.inputs.reshape(-1, d), config)
        if fitted is None:
            update_reason = f"state update: {reason}, nor affine in the state with a table of the input"
            return _fit_formulas(states, trace, None, config, update_reason)
        update, symbols, table = fitted
    initial = _initial_state(update, dict(zip(symbols, table)), states[:, 0], trace.inputs[:, 0], m)
    if initial is None:
        return AffineFit(None, "no integer initial state makes the first step follow the update rule")
    placeholder = readout if readout is not None else ((Fraction(0),) * (m + 1),) * o
    machine = _canonical(
        AffineMachine(
            state_dim=m,
            input_dim=d,
            update=update,
            readout=placeholder,
            initial=tuple(initial),
            symbols=symbols,
            input_table=table,
        )
    )
    if readout is None:
        if table:  # the update's table becomes a formula of the input too
            return _fit_formulas(
                states, trace, None, config, f"readout: {readout_reason}, and the update needs an input table"
            )
        return _fit_formulas(states, trace, machine, config, f"readout: {readout_reason}")
    how = "with a table of what each input adds" if table else "and readout"
    return AffineFit(machine, f"exact affine update {how}")


def _fit_formulas(states, trace: Trace, affine: AffineMachine | None, config: RegressConfig, why: str) -> AffineFit:
    """Rules that are not affine, by symbolic, Boolean or conditional regression (`rules.find_rule`).

    With an affine update (`affine`, in canonical coordinates), the states are
    recomputed in those coordinates and only the readout is searched for; otherwise
    every update coordinate is an affine or a symbolic formula of the previous state
    and the input, and the start state is one that makes the first step follow them."""
    m, d = states.shape[-1], trace.inputs.shape[-1]
    s_names, x_names = state_names(m), input_names(d)
    if affine is not None:
        states = np.array([[s for s, _ in affine.steps([from_tuple(x) for x in row])] for row in trace.inputs])
        update = tuple(affine_formula(row, s_names + x_names) for row in affine.update)
        initial = affine.initial
    else:
        states = _outputs_as_coordinates(states, trace.outputs)
        previous = states[:, :-1].reshape(-1, m)
        inputs = trace.inputs[:, 1:].reshape(-1, d)
        columns = {**dict(zip(s_names, previous.T)), **dict(zip(x_names, inputs.T))}
        update = []
        for i in range(m):
            rule = _formula(columns, states[:, 1:, i].reshape(-1), config)
            if rule is None:
                return AffineFit(None, f"{why}; no rule found for s{i}'s update")
            update.append(rule)
        update = tuple(update)
        initial = _formula_initial_state(update, states, trace.inputs, s_names + x_names)
        if initial is None:
            return AffineFit(None, f"{why}; no start state makes the first step follow the formulas")
    flat = states.reshape(-1, m)
    readout = []
    for j in range(trace.outputs.shape[-1]):
        rule = _formula(dict(zip(s_names, flat.T)), trace.outputs[..., j].reshape(-1), config)
        if rule is None:
            return AffineFit(None, f"{why}; no rule found for output {j}")
        readout.append(rule)
    machine = FormulaMachine(state_dim=m, input_dim=d, update=update, readout=tuple(readout), initial=tuple(initial))
    return AffineFit(machine, f"{why}; formulas found by symbolic regression")


def _outputs_as_coordinates(states: np.ndarray, outputs: np.ndarray) -> np.ndarray:
    """Lattice coordinates carry an arbitrary origin and sign. A coordinate that is an
    output up to sign and offset (o = +-s + c on every step) becomes that output, so
    that the formulas read "the state is what we say", not "2 - the state"."""
    states = states.copy()
    used = set()
    for i in range(states.shape[-1]):
        for j in range(outputs.shape[-1]):
            if j in used:
                continue
            for sign in (1, -1):
                offset = outputs[..., j] - sign * states[..., i]
                if (offset == offset.flat[0]).all():
                    states[..., i] = outputs[..., j]
                    used.add(j)
                    break
            if j in used:
                break
    return states


def _formula(columns: dict[str, np.ndarray], target: np.ndarray, config: RegressConfig) -> str | None:
    """An affine rule with integer coefficients if one is exact, else the smallest other rule."""
    names = list(columns)
    keys = np.stack([columns[n] for n in names], axis=1)
    row, _ = fit_exact_affine(keys, target[:, None], 1)
    if row is not None:
        return affine_formula(row[0], names)
    return find_rule(columns, target, config.rules)


def _formula_initial_state(update: tuple[str, ...], states: np.ndarray, inputs: np.ndarray, names: list[str]):
    """A start state s_0 (0, or a state seen) from which every sequence's first step gives its s_1."""
    firsts = distinct_rows(np.concatenate([states[:, 0], inputs[:, 0]], axis=1))
    m = states.shape[-1]
    seen, counts = distinct_rows(states.reshape(-1, m), return_counts=True)
    candidates = [np.zeros(m, dtype=np.int64)] + list(seen[np.argsort(-counts)][:64])
    moves = [(tuple(int(v) for v in row[m:]), tuple(int(v) for v in row[:m])) for row in firsts]
    return first_start(update, names, candidates, moves)


def _fit_with_input_table(previous, inputs, current, all_inputs, config: RegressConfig):
    """s_t = A s_(t-1) + c + T[x_t]: affine in the state, any integer table in the input.

    For inputs with few values (a counter of even numbers). The first symbol's
    entry is folded into c, so that the fit has no redundant column."""
    symbols = distinct_rows(all_inputs)
    if len(symbols) > config.max_table_symbols:
        return None
    index = np.array([np.flatnonzero((symbols == x).all(axis=1))[0] for x in inputs])
    indicators = (index[:, None] == np.arange(1, len(symbols))).astype(np.int64)
    rows, _ = fit_exact_affine(np.concatenate([previous, indicators], axis=1), current, config.max_denominator)
    if rows is None:
        return None
    m, d = previous.shape[1], inputs.shape[1]
    table = tuple(tuple(Fraction(0) if j == 0 else row[m + j - 1] for row in rows) for j in range(len(symbols)))
    if any(v.denominator != 1 for entry in table for v in entry):
        return None
    update = tuple(tuple(row[:m]) + (Fraction(0),) * d + (row[-1],) for row in rows)
    return update, tuple(tuple(int(v) for v in x) for x in symbols), table


def _initial_state(update: Matrix, table: dict, first_states: np.ndarray, first_inputs: np.ndarray, m: int):
    """The integer s_0 with A s_0 = s_1 - B x_1 - c (- T[x_1]) for every sequence, if there is one."""
    needed = set()
    for s1, x1 in zip(first_states, first_inputs):
        rest = [Fraction(int(v)) for v in s1]
        added = table.get(tuple(int(v) for v in x1), (Fraction(0),) * m)
        for i, row in enumerate(update):
            rest[i] -= sum((row[m + j] * int(x1[j]) for j in range(len(x1))), Fraction(0)) + row[-1] + added[i]
        needed.add(tuple(rest))
    if len(needed) != 1:
        return None
    target = needed.pop()
    return _integer_solution(update, target, m)


def _integer_solution(update: Matrix, target: tuple[Fraction, ...], m: int) -> list[int] | None:
    """An integer s with A s = target (A: the state columns of `update`), if one is found.

    A is often singular (a delay line forgets), so the solution is a family:
    the basic solution (free variables 0) is tried first, then least squares."""
    a = sympy.Matrix([[sympy.Rational(v.numerator, v.denominator) for v in row[:m]] for row in update])
    b = sympy.Matrix([sympy.Rational(v.numerator, v.denominator) for v in target])
    guesses = []
    try:
        solution, free = a.gauss_jordan_solve(b)
        guesses.append(list(solution.subs({p: 0 for p in free})))
    except ValueError:  # no rational solution at all
        return None
    least, *_ = np.linalg.lstsq(
        np.array(a.tolist(), dtype=float), np.array(b.tolist(), dtype=float).ravel(), rcond=None
    )
    guesses.append([round(v) for v in least])
    for guess in guesses:
        if all(sympy.Rational(v).q == 1 for v in guess):
            candidate = [int(v) for v in guess]
            if a * sympy.Matrix(candidate) == b:
                return candidate
    return None


def _canonical(machine: AffineMachine) -> AffineMachine:
    """The same machine in the integer coordinates a person would choose.

    Lattice coordinates are arbitrary up to an integer shift and sign flips.
    Shift so that the update has no constant term when an integer fixed point
    allows it (otherwise so that the machine starts at 0), take the simplest
    initial state that gives the same first step, orient each coordinate so that its
    first nonzero input (or readout) coefficient is positive, and from there take the
    integer basis whose rules are shortest and named (`basis.simplest_basis`, which may
    flip a sign again where that reads better)."""
    m = machine.state_dim
    a = [row[:m] for row in machine.update]
    a_minus_i = tuple(tuple(a[i][j] - (i == j) for j in range(m)) for i in range(m))
    constants = tuple(-row[-1] for row in machine.update)
    start_is_fixed = all(
        sum((a_minus_i[i][j] * machine.initial[j] for j in range(m)), Fraction(0)) == constants[i] for i in range(m)
    )
    # The start itself, when it is a fixed point: the machine then starts at 0 with no constants.
    fixed = list(machine.initial) if start_is_fixed else _integer_solution(a_minus_i, constants, m)
    machine = _shift(machine, fixed if fixed is not None else list(machine.initial))
    reached = tuple(sum((a[i][j] * machine.initial[j] for j in range(m)), Fraction(0)) for i in range(m))
    simplest = _integer_solution(machine.update, reached, m)
    if simplest is not None and sum(map(abs, simplest)) < sum(map(abs, machine.initial)):
        machine = replace(machine, initial=tuple(simplest))
    return simplest_basis(_orient(machine))


def _orient(machine: AffineMachine) -> AffineMachine:
    """Flip the sign of coordinates whose first nonzero input or readout coefficient is negative."""
    m = machine.state_dim
    flip: list[int | None] = []
    for i in range(m):
        added = [row[i] + machine.update[i][-1] for row in machine.input_table]  # what each input adds
        leading = [v for v in machine.update[i][m:-1] if v] + [v for v in added if v]
        leading += [row[i] for row in machine.readout if row[i]]
        flip.append((-1 if leading[0] < 0 else 1) if leading else None)
    # A coordinate that only copies others (a delay line's middle) takes the sign that
    # makes its copy positive: `prev2 <- prev`, not `s2 <- -prev`.
    changed = True
    while changed:
        changed = False
        for i in range(m):
            if flip[i] is not None:
                continue
            source = next((j for j in range(m) if j != i and machine.update[i][j] and flip[j] is not None), None)
            if source is not None:
                flip[i] = 1 if machine.update[i][source] * flip[source] > 0 else -1
                changed = True
    flip = [1 if f is None else f for f in flip]
    if all(f == 1 for f in flip):
        return machine
    update = tuple(
        tuple(row[j] * flip[i] * flip[j] for j in range(m)) + tuple(v * flip[i] for v in row[m:])
        for i, row in enumerate(machine.update)
    )
    readout = tuple(tuple(row[j] * flip[j] for j in range(m)) + (row[-1],) for row in machine.readout)
    initial = tuple(v * f for v, f in zip(machine.initial, flip))
    table = tuple(tuple(v * f for v, f in zip(row, flip)) for row in machine.input_table)
    return replace(machine, update=update, readout=readout, initial=initial, input_table=table)


def _shift(machine: AffineMachine, origin: list[int]) -> AffineMachine:
    """The same machine in coordinates s' = s - origin."""
    m = machine.state_dim

    def moved(rows, own):
        out = []
        for i, row in enumerate(rows):
            constant = row[-1] + sum((row[j] * origin[j] for j in range(m)), Fraction(0))
            if own:
                constant -= origin[i]
            out.append(tuple(row[:-1]) + (constant,))
        return tuple(out)

    return replace(
        machine,
        update=moved(machine.update, own=True),
        readout=moved(machine.readout, own=False),
        initial=tuple(v - o for v, o in zip(machine.initial, origin)),
    )
