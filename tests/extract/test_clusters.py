"""Plant a Moore machine in hand-built hidden states; extraction must give it back.

No network is trained: every state q of a planted machine is a fixed random
point c_q of hidden space, and the trace's hidden state is c_q plus a little
noise. The recovered machine is compared with the planted one by a
product-machine search that returns a distinguishing input sequence.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
import pytest

from mips.extract.clusters import FsmConfig, extract_fsm, merge_states, minimize
from mips.machines import StateMachine, from_tuple
from mips.network.trace import Trace

# ---------------------------------------------------------------------------
# Helpers: planting, equivalence, minimal size
# ---------------------------------------------------------------------------


def random_machine(rng: np.random.Generator, states: int, symbols: int, outputs: int) -> StateMachine:
    """A random Moore machine over inputs 0..symbols-1 whose states are all reachable and
    whose initial state 0 can be re-entered (so it is an ordinary, output-emitting state)."""
    while True:
        transitions = rng.integers(0, states, size=(states, symbols))
        if not (transitions == 0).any():
            transitions[rng.integers(1, states) if states > 1 else 0, rng.integers(symbols)] = 0
        machine = StateMachine(
            initial=0,
            symbols=tuple((a,) for a in range(symbols)),
            transitions=tuple(tuple(int(t) for t in row) for row in transitions),
            outputs=tuple((int(o),) for o in rng.integers(0, outputs, size=states)),
        )
        if len(reachable(machine)) == states and 0 in {t for s in reachable(machine) for t in machine.transitions[s]}:
            return machine


def reachable(machine: StateMachine) -> set[int]:
    seen, queue = {machine.initial}, deque([machine.initial])
    while queue:
        s = queue.popleft()
        for t in machine.transitions[s]:
            if t >= 0 and t not in seen:
                seen.add(t)
                queue.append(t)
    return seen


def counterexample(a: StateMachine, b: StateMachine) -> list | None:
    """The shortest input sequence on which the machines' outputs differ, or None.

    Breadth-first search of the product machine from the pair of initial states.
    Only outputs after a step count (the initial state emits nothing). A missing
    transition (-1) in one machine but not the other counts as a difference."""
    assert a.symbols == b.symbols, (a.symbols, b.symbols)
    start = (a.initial, b.initial)
    parent: dict[tuple[int, int], tuple[tuple[int, int], int] | None] = {start: None}
    queue = deque([start])

    def path(pair, last):
        steps = [last]
        while parent[pair] is not None:
            pair, symbol = parent[pair]
            steps.append(symbol)
        return [from_tuple(a.symbols[i]) for i in reversed(steps)]

    while queue:
        p, q = queue.popleft()
        for i in range(len(a.symbols)):
            p2, q2 = a.transitions[p][i], b.transitions[q][i]
            if p2 < 0 and q2 < 0:
                continue
            if p2 < 0 or q2 < 0 or a.outputs[p2] != b.outputs[q2]:
                return path((p, q), i)
            if (p2, q2) not in parent:
                parent[(p2, q2)] = ((p, q), i)
                queue.append((p2, q2))
    return None


def minimal_states(machine: StateMachine) -> int:
    """Number of states of the smallest Moore machine with the same input/output behaviour,
    by brute force on distinguishing sequences (independent of mips.extract.clusters.minimize).

    Two reachable states are the same when no input sequence of length 0..states tells
    them apart; length 0 compares their own outputs, except for a start state that is
    never re-entered, whose output is never seen."""
    states = sorted(reachable(machine))
    reentered = {t for s in states for t in machine.transitions[s]}

    def behaviour(s: int, depth: int):
        own = machine.outputs[s] if (s != machine.initial or s in reentered) else None
        if depth == 0:
            return (own,)
        return (own,) + tuple(behaviour(t, depth - 1) for t in machine.transitions[s])

    def key(s):
        return behaviour(s, len(states))

    keys = [key(s) for s in states]
    distinct = len(set(keys))
    if None in {k[0] for k in keys}:
        # The unseen start state needs no state of its own when some emitting state has its future.
        start = keys[states.index(machine.initial)]
        if any(k[1:] == start[1:] for s, k in zip(states, keys) if s != machine.initial):
            distinct -= 1
    return distinct


@dataclass
class Planted:
    machine: StateMachine
    trace: Trace


def plant(
    machine: StateMachine,
    rng: np.random.Generator,
    *,
    hidden: int,
    sequences: int = 80,
    length: int = 10,
    noise: float = 1e-3,
    centres: np.ndarray | None = None,
) -> Planted:
    """Run the machine on random inputs; hidden state = the state's centre plus noise
    (`noise` times the smallest distance between centres)."""
    k = machine.states
    if centres is None:
        centres = rng.normal(size=(k, hidden))
    gaps = np.linalg.norm(centres[:, None] - centres[None], axis=-1)
    spacing = gaps[~np.eye(k, dtype=bool)].min() if k > 1 else 1.0
    symbols = len(machine.symbols)
    inputs = rng.integers(0, symbols, size=(sequences, length))
    states = np.zeros((sequences, length + 1), dtype=np.int64)
    states[:, 0] = machine.initial
    table = np.array(machine.transitions)
    for t in range(length):
        states[:, t + 1] = table[states[:, t], inputs[:, t]]
    outputs = np.array(machine.outputs)[states[:, 1:]]  # [N, T, O]
    h = centres[states] + rng.normal(scale=noise * spacing, size=states.shape + (centres.shape[1],))
    symbol_values = np.array(machine.symbols)  # [S, D]
    trace = Trace(symbol_values[inputs].astype(np.int64), h.astype(np.float64), outputs.astype(np.int64))
    return Planted(machine, trace)


def observed_pairs(planted: Planted) -> set[tuple[int, int]]:
    """The (state, symbol) pairs the trace takes a transition from."""
    m, trace = planted.machine, planted.trace
    table = np.array(m.transitions)
    pairs = set()
    for xs in trace.inputs[..., 0]:
        s = m.initial
        for x in xs:
            pairs.add((s, int(x)))
            s = table[s, x]
    return pairs


def assert_equivalent(recovered: StateMachine, planted: StateMachine):
    witness = counterexample(recovered, planted)
    assert witness is None, (
        f"machines differ on inputs {witness}: recovered gives {safe_run(recovered, witness)}, "
        f"planted gives {planted.run(witness)}"
    )


def safe_run(machine, inputs):
    try:
        return machine.run(inputs)
    except KeyError as exc:
        return f"KeyError {exc}"


# ---------------------------------------------------------------------------
# The helpers themselves (so that a broken helper cannot hide a broken stage)
# ---------------------------------------------------------------------------

PARITY = StateMachine(initial=0, symbols=((0,), (1,)), transitions=((0, 1), (1, 0)), outputs=((0,), (1,)))


def test_counterexample_finds_the_shortest_difference():
    # Parity, but the odd state stays odd on a 1 after two ones: differs on [1, 1].
    other = StateMachine(initial=0, symbols=((0,), (1,)), transitions=((0, 1), (1, 1)), outputs=((0,), (1,)))
    assert counterexample(PARITY, PARITY) is None
    assert counterexample(PARITY, other) == [1, 1]


def test_counterexample_sees_a_missing_transition():
    partial = StateMachine(initial=0, symbols=((0,), (1,)), transitions=((0, 1), (-1, 0)), outputs=((0,), (1,)))
    assert counterexample(PARITY, partial) == [1, 0]


def test_minimal_states_by_brute_force():
    doubled = StateMachine(  # parity with each state written twice
        initial=0,
        symbols=((0,), (1,)),
        transitions=((2, 1), (3, 0), (0, 3), (1, 2)),
        outputs=((0,), (1,), (0,), (1,)),
    )
    assert minimal_states(PARITY) == 2
    assert minimal_states(doubled) == 2


# ---------------------------------------------------------------------------
# Plant and recover
# ---------------------------------------------------------------------------

SEEDS = range(20)


def planted_case(seed: int) -> Planted:
    rng = np.random.default_rng(seed)
    states = int(rng.integers(2, 7))
    symbols = int(rng.integers(2, 4))
    outputs = int(rng.integers(2, 4))
    hidden = int(rng.integers(1, 6))
    machine = random_machine(rng, states, symbols, outputs)
    return plant(machine, rng, hidden=hidden)


def case_id(seed: int) -> str:
    rng = np.random.default_rng(seed)
    states, symbols, outputs, hidden = (
        int(rng.integers(2, 7)),
        int(rng.integers(2, 4)),
        int(rng.integers(2, 4)),
        int(rng.integers(1, 6)),
    )
    return f"seed{seed}-{states}states-{symbols}symbols-{outputs}outputs-n{hidden}"


@pytest.mark.parametrize("seed", SEEDS, ids=[case_id(s) for s in SEEDS])
def test_recovers_planted_machine(seed):
    planted = planted_case(seed)
    machine = planted.machine
    # The data must show every transition, or no extraction could recover the machine.
    missing = {(s, a) for s in reachable(machine) for a in range(len(machine.symbols))} - observed_pairs(planted)
    assert not missing, f"test data never takes transitions {sorted(missing)}"

    result = extract_fsm(planted.trace)
    assert result.machine is not None, result.reason
    assert_equivalent(result.machine, machine)
    assert result.machine.states == minimal_states(machine), result.reason


def test_recovers_machine_from_a_sample_of_the_states():
    """More distinct states than `max_points`: a sample is clustered, the rest join their nearest."""
    planted = planted_case(0)
    result = extract_fsm(planted.trace, FsmConfig(max_points=150))
    assert result.points > 150
    assert result.machine is not None, result.reason
    assert_equivalent(result.machine, planted.machine)
    assert result.machine.states == minimal_states(planted.machine)


@pytest.mark.parametrize("scale", [1e-6, 1.0, 1e6], ids=["scale-1e-6", "scale-1", "scale-1e6"])
def test_recovery_does_not_depend_on_the_scale_of_hidden_space(scale):
    rng = np.random.default_rng(42)
    machine = random_machine(rng, 4, 2, 2)
    planted = plant(machine, rng, hidden=3, centres=scale * rng.normal(size=(4, 3)))
    result = extract_fsm(planted.trace)
    assert result.machine is not None, result.reason
    assert_equivalent(result.machine, machine)
    assert result.machine.states == minimal_states(machine)


def test_recovers_machine_with_two_numbers_per_step_in_and_out():
    """Inputs are pairs of bits; the state counts steps with both bits set, mod 3;
    outputs are (count, first bit seen in the state's last input)."""
    symbols = ((0, 0), (0, 1), (1, 0), (1, 1))
    # state = (count mod 3, last first bit): index 2 * count + bit
    transitions, outputs = [], []
    for count in range(3):
        for bit in range(2):
            row = []
            for a, b in symbols:
                row.append(2 * ((count + (a and b)) % 3) + a)
            transitions.append(tuple(row))
            outputs.append((count, bit))
    machine = StateMachine(initial=0, symbols=symbols, transitions=tuple(transitions), outputs=tuple(outputs))
    planted = plant(machine, np.random.default_rng(7), hidden=4)
    result = extract_fsm(planted.trace)
    assert result.machine is not None, result.reason
    assert result.machine.symbols == symbols
    assert_equivalent(result.machine, machine)
    assert result.machine.states == minimal_states(machine) == 6
    assert result.machine.run([(1, 1), (0, 1), (1, 1), (1, 0)]) == machine.run([(1, 1), (0, 1), (1, 1), (1, 0)])


def test_planted_machine_with_two_equivalent_states_is_minimized():
    """Parity written with four states (each parity twice, at four separate points)."""
    doubled = StateMachine(
        initial=0,
        symbols=((0,), (1,)),
        transitions=((2, 1), (3, 0), (0, 3), (1, 2)),
        outputs=((0,), (1,), (0,), (1,)),
    )
    planted = plant(doubled, np.random.default_rng(3), hidden=2)
    result = extract_fsm(planted.trace)
    assert result.machine is not None, result.reason
    assert result.clusters == 4, "the four points are far apart: single linkage keeps them apart"
    assert result.machine.states == 2
    assert_equivalent(result.machine, PARITY)


def test_states_are_numbered_breadth_first_from_the_initial_state():
    planted = planted_case(5)
    machine = extract_fsm(planted.trace).machine
    assert machine.initial == 0
    order, seen = [], {0}
    queue = deque([0])
    while queue:
        s = queue.popleft()
        order.append(s)
        for t in machine.transitions[s]:
            if t >= 0 and t not in seen:
                seen.add(t)
                queue.append(t)
    assert order == list(range(machine.states))


def test_minimize_drops_unreachable_states():
    machine = StateMachine(
        initial=1,
        symbols=((0,), (1,)),
        # 1 and 3 are parity; 0 and 2 can never be reached from 1
        transitions=((2, 2), (1, 3), (0, 1), (3, 1)),
        outputs=((5,), (0,), (6,), (1,)),
    )
    small = minimize(machine)
    assert small.states == 2
    assert small.initial == 0
    assert small.transitions == ((0, 1), (1, 0))
    assert small.outputs == ((0,), (1,))
    assert counterexample(small, machine) is None


def test_minimize_merges_equivalent_states_and_keeps_missing_transitions():
    machine = StateMachine(
        initial=0,
        symbols=((0,), (1,)),
        transitions=((1, 2), (1, -1), (1, -1)),  # 1 and 2 are the same state
        outputs=((0,), (3,), (3,)),
    )
    small = minimize(machine)
    assert small.states == 2
    assert small.transitions == ((1, 1), (1, -1))
    assert small.outputs == ((0,), (3,))


def test_minimize_keeps_states_apart_when_outputs_differ():
    assert minimize(PARITY) == PARITY


def start_state_parity() -> StateMachine:
    """Parity with a start state S of its own (state 0): S is never re-entered and moves
    exactly like the even state, so a 2-state machine has the same behaviour."""
    return StateMachine(
        initial=0,
        symbols=((0,), (1,)),
        transitions=((1, 2), (1, 2), (2, 1)),
        outputs=((9,), (0,), (1,)),
    )


def test_minimize_merges_an_unseen_start_state_with_its_twin():
    machine = start_state_parity()
    assert minimal_states(machine) == 2
    small = minimize(machine, emits={1, 2})
    assert counterexample(small, machine) is None
    assert small.states == 2


def test_initial_hidden_state_off_the_clusters_adds_no_state():
    machine = start_state_parity()
    centres = np.array([[10.0, 10.0], [0.0, 0.0], [1.0, 0.0]])  # h_0 far from both parity states
    planted = plant(machine, np.random.default_rng(0), hidden=2, centres=centres)
    result = extract_fsm(planted.trace)
    assert result.machine is not None, result.reason
    assert_equivalent(result.machine, machine)  # this part holds
    assert result.machine.states == 2


def test_initial_hidden_state_near_its_twin_is_merged_by_clustering():
    machine = start_state_parity()
    centres = np.array([[0.0, 0.2], [0.0, 0.0], [1.0, 0.0]])  # h_0 close to the even state
    planted = plant(machine, np.random.default_rng(0), hidden=2, centres=centres)
    result = extract_fsm(planted.trace)
    assert result.machine is not None, result.reason
    assert_equivalent(result.machine, machine)
    assert result.machine.states == 2


@pytest.mark.parametrize("outputs", ["sum", "sum-above-200"])
def test_running_sum_is_not_a_small_machine(outputs):
    rng = np.random.default_rng(0)
    inputs = rng.integers(0, 100, size=(100, 10, 1))
    sums = np.cumsum(inputs, axis=1)
    hidden = np.concatenate([np.zeros((100, 1, 1)), sums], axis=1).astype(np.float64)
    out = sums if outputs == "sum" else (sums > 200).astype(np.int64)
    result = extract_fsm(Trace(inputs, hidden, out))
    assert result.machine is None
    assert result.clusters == 0
    assert isinstance(result.reason, str) and "deterministic" in result.reason


def test_noise_as_large_as_the_spacing_breaks_recovery():
    """The planted tests are not vacuous: with noise comparable to the distance between
    states, single linkage chains the clusters together and no machine is read off."""
    rng = np.random.default_rng(1)
    machine = random_machine(rng, 5, 2, 3)
    planted = plant(machine, rng, hidden=1, noise=1.0)
    result = extract_fsm(planted.trace)
    assert result.machine is None or counterexample(result.machine, machine) is not None


@pytest.mark.parametrize(
    "kwargs",
    [{"max_clusters": 0}, {"max_points": 1}, {"dedup": -1.0}],
    ids=["max_clusters-0", "max_points-1", "dedup-negative"],
)
def test_fsm_config_validates(kwargs):
    with pytest.raises(ValueError):
        FsmConfig(**kwargs)


def _time_chain(length: int, period: int) -> tuple[StateMachine, set[int]]:
    """What a network that counts time gives: one state per step, outputs (t - 1) mod period,
    and no transition out of the last step (the data never went further)."""
    transitions = tuple((t + 1, t + 1) if t < length else (-1, -1) for t in range(length + 1))
    outputs = ((0,),) + tuple(((t - 1) % period,) for t in range(1, length + 1))
    machine = StateMachine(initial=0, symbols=((0,), (1,)), transitions=transitions, outputs=outputs)
    return machine, set(range(1, length + 1))


@pytest.mark.parametrize("period", [2, 3])
def test_merging_folds_a_time_chain_into_a_cycle_that_runs_past_the_data(period):
    chain, emits = _time_chain(10, period)
    assert not minimize(chain, emits).complete
    merged = minimize(*merge_states(chain, emits))
    assert merged.complete
    assert merged.states == period
    inputs = [0, 1] * 25
    assert merged.run(inputs) == [(t - 1) % period for t in range(1, 51)]


def test_merging_keeps_every_observed_output():
    rng = np.random.default_rng(3)
    for _ in range(20):
        machine = random_machine(rng, states=6, symbols=2, outputs=3)
        sequences = [list(rng.integers(0, 2, size=6)) for _ in range(15)]
        # Keep only the transitions these sequences use.
        used = {}
        for seq in sequences:
            state = machine.initial
            for x in seq:
                used[(state, x)] = machine.transitions[state][x]
                state = used[(state, x)]
        partial = StateMachine(
            initial=machine.initial,
            symbols=machine.symbols,
            transitions=tuple(tuple(used.get((s, x), -1) for x in range(2)) for s in range(machine.states)),
            outputs=machine.outputs,
        )
        merged = minimize(*merge_states(partial, set(range(machine.states))))
        for seq in sequences:
            assert merged.run(seq) == machine.run(seq)


def test_merging_a_complete_machine_changes_nothing_it_does():
    rng = np.random.default_rng(5)
    machine = random_machine(rng, states=5, symbols=3, outputs=2)
    merged = minimize(*merge_states(machine, set(range(machine.states))))
    smallest = minimize(machine)
    assert merged.states == smallest.states
    for _ in range(50):
        seq = list(rng.integers(0, 3, size=20))
        assert merged.run(seq) == machine.run(seq)


def test_extraction_offers_a_merged_machine_only_when_transitions_are_missing():
    chain, emits = _time_chain(6, 2)
    # Hidden states: one point per time step, on a line; inputs do not matter.
    rng = np.random.default_rng(0)
    inputs = rng.integers(0, 2, size=(40, 6, 1))
    hidden = np.broadcast_to(np.arange(7, dtype=float)[None, :, None], (40, 7, 1)).copy()
    outputs = np.broadcast_to(((np.arange(1, 7) - 1) % 2)[None, :, None], (40, 6, 1)).copy()
    result = extract_fsm(Trace(inputs, hidden, outputs))
    assert result.machine is not None and not result.machine.complete
    assert result.merged is not None and result.merged.complete and result.merged.states == 2
    assert "merging states gives 2 states (complete)" in result.reason
