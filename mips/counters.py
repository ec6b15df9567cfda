"""Counters read off a state machine: integer coordinates for its states.

A network may count in a way no lattice in its hidden space shows (a count it
squashes nonlinearly before reading it out). The state machine read off it then
has one state per count seen, a chain that ends at the training length, and
fails on longer sequences. We look for an integer potential: a value phi(state)
(a vector) and a step c(x) per input symbol with phi(next(s, x)) = phi(s) + c(x)
on every observed transition. A walk from the start gives each state the counts
of the symbols along one path to it; two paths to the same state must agree,
which puts linear constraints on c. Their integer null space is the set of
counters the machine keeps; a machine that keeps none (a cycle, as in parity)
has only c = 0. The states' potentials are then lattice coordinates, and the
regression stage fits the update (s + c(x)) and the readout on them.
"""

from __future__ import annotations

from collections import deque

import numpy as np
import sympy

from mips.lattice import LatticeResult
from mips.machines import StateMachine, as_tuple
from mips.trace import Trace


def counter_lattice(machine: StateMachine, trace: Trace, max_counters: int = 3) -> LatticeResult:
    """The counters `machine` keeps, as integer coordinates of the traced states after each step."""
    symbols = len(machine.symbols)
    paths = {machine.initial: np.zeros(symbols, dtype=np.int64)}  # symbol counts along one path
    constraints = []
    queue = deque([machine.initial])
    while queue:
        state = queue.popleft()
        for i, target in enumerate(machine.transitions[state]):
            if target < 0:
                continue
            counts = paths[state].copy()
            counts[i] += 1
            if target not in paths:
                paths[target] = counts
                queue.append(target)
            elif not np.array_equal(paths[target], counts):
                constraints.append(counts - paths[target])
    nothing = LatticeResult(np.zeros(0), None, None, np.inf, "")
    if constraints:
        basis = sympy.Matrix(np.unique(np.array(constraints), axis=0).tolist()).nullspace()
    else:
        basis = [sympy.eye(symbols)[:, i] for i in range(symbols)]
    if not basis:
        return _failed(nothing, "the state machine keeps no counter (its paths only agree with zero steps)")
    if len(basis) > max_counters:
        return _failed(nothing, f"{len(basis)} independent counters: more than {max_counters}")
    steps = np.array([[int(v) for v in _integral(b)] for b in basis], dtype=np.int64)  # [r, symbols]
    potential = {state: steps @ counts for state, counts in paths.items()}
    index = {symbol: i for i, symbol in enumerate(machine.symbols)}
    states = np.zeros((trace.sequences, trace.steps, len(steps)), dtype=np.int64)
    for n, row in enumerate(trace.inputs):
        state = machine.initial
        for t, x in enumerate(row):
            state = machine.transitions[state][index[as_tuple(tuple(int(v) for v in x))]]
            if state < 0:  # the majority machine left the path this sequence's labels took
                return _failed(nothing, "the state machine does not follow every traced sequence")
            states[n, t] = potential[state]
    reason = f"{len(steps)} counter(s) read off the state machine, steps per input {steps.T.tolist()}"
    return LatticeResult(np.zeros(0), np.zeros((len(steps), 0)), states, 0.0, reason)


def _integral(vector: sympy.Matrix) -> list[int]:
    """The vector scaled to coprime integers, first nonzero entry positive."""
    denominators = sympy.ilcm(*[sympy.fraction(v)[1] for v in vector])
    scaled = [int(v * denominators) for v in vector]
    divisor = int(np.gcd.reduce(np.abs(scaled))) or 1
    sign = next((1 if v > 0 else -1 for v in scaled if v), 1)
    return [sign * v // divisor for v in scaled]


def _failed(result: LatticeResult, reason: str) -> LatticeResult:
    return LatticeResult(result.origin, None, None, np.inf, reason)
