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
from dataclasses import dataclass

import numpy as np
import sympy

from mips.arrays import distinct_rows
from mips.extract.clusters import majority
from mips.extract.states import IntegerStates
from mips.machines import StateMachine, as_tuple, from_tuple
from mips.network.trace import Trace


@dataclass(frozen=True)
class Counters:
    """The counters a state machine keeps, or why it keeps none."""

    steps: np.ndarray | None  # [r, symbols]: what each input adds to each counter
    potential: dict  # state -> its r counter values (states reachable from the start)
    reason: str
    # Transitions the counters do not follow, all out of states at the edge of what the
    # data showed (the largest or smallest count seen). Empty for counters that every
    # transition follows.
    broken: frozenset = frozenset()
    # Those of them that would step past the counts seen: a chain that stops where the
    # data stopped, not a rule of the machine (the others, such as a state that stays
    # where it is at the edge, "dead once negative", are).
    exceptions: frozenset = frozenset()


def machine_counters(
    machine: StateMachine, max_counters: int = 3, *, max_symbols: int = 6, tolerance: float = 0.25
) -> Counters:
    """The counters `machine` keeps: the integer null space of the path constraints.

    When only zero steps satisfy every constraint, a single counter with steps in
    -2..2 is looked for (inputs with at most `max_symbols` symbols) that every
    transition follows except at most `tolerance` of them, all out of states with
    the largest or smallest count: the machine then stops counting only where the
    data ran out (a state that stands for "this many or more")."""
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
    if constraints:
        basis = sympy.Matrix(distinct_rows(np.array(constraints)).tolist()).nullspace()
    else:
        basis = [sympy.eye(symbols)[:, i] for i in range(symbols)]
    if not basis:
        if symbols <= max_symbols:
            return _counter_with_an_edge(machine, paths, tolerance)
        return Counters(None, {}, "the state machine keeps no counter (its paths only agree with zero steps)")
    if len(basis) > max_counters:
        return Counters(None, {}, f"{len(basis)} independent counters: more than {max_counters}")
    steps = np.array([[int(v) for v in _integral(b)] for b in basis], dtype=np.int64)  # [r, symbols]
    potential = {state: steps @ counts for state, counts in paths.items()}
    return Counters(
        steps, potential, f"{len(steps)} counter(s) read off the state machine, steps per input {steps.T.tolist()}"
    )


def _counter_with_an_edge(machine: StateMachine, paths: dict, tolerance: float) -> Counters:
    """The single counter (steps in -2..2) that the most transitions follow, if the others
    all leave states at the largest or smallest count (see `machine_counters`)."""
    symbols = len(machine.symbols)
    states = sorted(paths)
    counts = np.array([paths[s] for s in states])  # [S, symbols]
    row = {s: i for i, s in enumerate(states)}
    edges = np.array([(row[s], a, row[t]) for s in states for a, t in enumerate(machine.transitions[s]) if t >= 0])
    steps = np.array(list(np.ndindex(*(5,) * symbols)), dtype=np.int64) - 2  # [C, symbols]
    leading = steps[np.arange(len(steps)), np.argmax(steps != 0, axis=1)]
    steps = steps[leading > 0]  # one sign of each, and never all zero
    phi = counts @ steps.T  # [S, C]
    follows = phi[edges[:, 2]] == phi[edges[:, 0]] + steps.T[edges[:, 1]]  # [E, C]
    source = phi[edges[:, 0]]
    at_edge = (source == phi.max(axis=0)) | (source == phi.min(axis=0))
    allowed = (follows | at_edge).all(axis=0) & ((~follows).sum(axis=0) <= tolerance * len(edges))
    # A chain, not a small cycle: more states inside it than at its two ends (in a machine of
    # two or three states every state is at an edge, and a parity is no counter).
    edge_states = (phi == phi.max(axis=0)) | (phi == phi.min(axis=0))
    allowed &= (~edge_states).sum(axis=0) >= edge_states.sum(axis=0)
    if not allowed.any():
        return Counters(
            None,
            {},
            "the state machine keeps no counter (its paths only agree with zero steps, "
            "even allowing for the edge of the data)",
        )
    broken = (~follows).sum(axis=0) + np.abs(steps).sum(axis=1)[None, :] / 100.0  # fewest exceptions, then small
    best = int(np.argmin(np.where(allowed, broken[0], np.inf)))
    column = phi[:, best]
    goes_to = column[edges[:, 0]] + steps[best][edges[:, 1]]
    past = (goes_to > column.max()) | (goes_to < column.min())
    exceptions = frozenset((states[e[0]], int(e[1])) for e in edges[~follows[:, best] & past])
    kept = frozenset((states[e[0]], int(e[1])) for e in edges[~follows[:, best]])
    step = steps[best][None, :]
    potential = {s: step @ paths[s] for s in states}
    return Counters(
        step,
        potential,
        f"1 counter read off the state machine, steps per input {step.T.tolist()}, "
        f"followed by every transition but {len(kept)} at the edge of the data "
        f"({len(exceptions)} of them where the count would pass the counts seen)",
        kept,
        exceptions,
    )


def counter_states(machine: StateMachine, trace: Trace, max_counters: int = 3) -> IntegerStates:
    """The counters `machine` keeps, as integer coordinates of the traced states after each step."""
    counted = machine_counters(machine, max_counters)
    if counted.steps is None:
        return IntegerStates(None, counted.reason)
    if counted.broken:  # an affine machine follows its counters everywhere
        return IntegerStates(None, counted.reason + ": not every transition")
    steps, potential, reason = counted.steps, counted.potential, counted.reason
    index = {symbol: i for i, symbol in enumerate(machine.symbols)}
    states = np.zeros((trace.sequences, trace.steps, len(steps)), dtype=np.int64)
    for n, row in enumerate(trace.inputs):
        state = machine.initial
        for t, x in enumerate(row):
            state = machine.transitions[state][index[as_tuple(tuple(int(v) for v in x))]]
            if state < 0:  # the majority machine left the path this sequence's labels took
                return IntegerStates(None, "the state machine does not follow every traced sequence")
            states[n, t] = potential[state]
    return IntegerStates(states, reason)


def _integral(vector: sympy.Matrix) -> list[int]:
    """The vector scaled to coprime integers, first nonzero entry positive."""
    denominators = sympy.ilcm(1, *[sympy.fraction(v)[1] for v in vector])  # ilcm needs two arguments
    scaled = [int(v * denominators) for v in vector]
    divisor = int(np.gcd.reduce(np.abs(scaled))) or 1
    sign = next((1 if v > 0 else -1 for v in scaled if v), 1)
    return [sign * v // divisor for v in scaled]


def symbol_counts(trace: Trace, *, max_symbols: int = 6, spread: float = 0.1, stray: float = 0.01) -> IntegerStates:
    """How many times each input symbol has been seen, as integer coordinates, when the
    network's hidden state is (nearly) a function of those counts.

    A network that counts may squash its counts so that no lattice shows in its hidden
    space and no small state machine either (one state per count vector seen). Whether the
    counts are its state is read from the hidden states: grouped by count vector, the states
    of a group (reached by the same counts in any order) must lie close together, on average
    within `spread` of the states' typical distance from their mean, with at most `stray`
    of the steps farther than a quarter of it. A network that keeps the order, the last
    input or a parity beside the counts fails this."""
    symbols, index = trace.alphabet()
    if not 2 <= len(symbols) <= max_symbols:
        return IntegerStates(None, f"not counted: {len(symbols)} input symbols (from 2 to {max_symbols} are counted)")
    counts = np.cumsum(index[..., None] == np.arange(len(symbols)), axis=1)  # [N, T, symbols]
    hidden = trace.hidden[:, 1:].reshape(-1, trace.hidden.shape[-1])
    _, group = distinct_rows(counts.reshape(-1, len(symbols)), return_inverse=True)
    group = group.reshape(-1)
    means = np.zeros((group.max() + 1, hidden.shape[1]))
    np.add.at(means, group, hidden)
    means /= np.bincount(group)[:, None]
    deviation = np.abs(hidden - means[group]).max(axis=1)
    widest = np.zeros(len(means))
    np.maximum.at(widest, group, deviation)
    scale = np.abs(hidden - hidden.mean(axis=0)).max(axis=1).mean()
    if scale == 0 or widest.mean() > spread * scale or (deviation > scale / 4).mean() > stray:
        return IntegerStates(
            None,
            f"the hidden state is not a function of the input symbols' counts "
            f"(spread {widest.mean() / max(scale, 1e-12):.2f} of its scale within a count vector)",
        )
    names = ", ".join(repr(from_tuple(tuple(int(v) for v in s))) for s in symbols)
    return IntegerStates(
        counts.astype(np.int64),
        f"the hidden state is a function of how many times each input ({names}) was seen "
        f"(spread {widest.mean() / scale:.2f} of its scale within a count vector, {len(means)} count vectors)",
    )


def outputs_by_majority(states: np.ndarray, outputs: np.ndarray) -> tuple[np.ndarray, int]:
    """Each step's output replaced by the one most often seen with its integer state (as the
    state machines take their transitions by majority: a network perfect on held-out data
    may still get a training step wrong), and how many steps changed."""
    _, key = distinct_rows(states.reshape(-1, states.shape[-1]), return_inverse=True)
    values, value = distinct_rows(outputs.reshape(-1, outputs.shape[-1]), return_inverse=True)
    key, value = key.reshape(-1), value.reshape(-1)
    chosen, changed = majority(key, value, int(key.max()) + 1)
    return values[chosen[key]].reshape(outputs.shape), changed
