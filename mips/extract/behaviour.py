"""A state machine read off the network's behaviour instead of its geometry.

Two hidden states are the same machine state when the network does the same
from both: the same output now, and the same outputs on every continuation.
This is the Myhill-Nerode relation with the trained network as the oracle. We
test it on a fixed set of probe continuations (windows of the training inputs,
so they follow the task's input distribution) and group the states whose
output signatures agree. Unlike clustering by distance, this needs no
threshold and works when one state's hidden vectors are spread out (a network
that stores a running sum and reads the remainder off it, say).

Probes that run past the training length can make the network disagree with
itself, which splits a true state into several groups; the machine is then read
off by majority and minimized (`fsm.machine_from_labels`), which merges them back.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from mips.arrays import distinct_rows, nearest_index
from mips.extract.clusters import FsmResult, machine_from_labels
from mips.extract.lattice import LatticeConfig, LatticeResult, extract_lattice
from mips.network.model import Network
from mips.network.trace import Trace, spread, unique_rows


@dataclass(frozen=True, kw_only=True)
class BehaviourConfig:
    probes: int = 32  # continuations every hidden state is probed with
    # Steps per continuation (at most the training length): a delay of k steps needs
    # about k to be seen in the outputs.
    probe_length: int = 5
    # For a state machine, shorter probes: a state's signature is trusted only as far as
    # the training length, so a shorter probe leaves more states fully probed.
    fsm_probe_length: int = 3
    # A behaviour group with a smaller share of the states than this, and under a tenth of
    # the median group's, is a slip (see `_rare_groups_joined`).
    rare: float = 0.002
    max_asked: int = 100_000  # transitions the data never showed that may be asked of the network
    max_groups: int = 300  # more behaviours than this: not a state machine worth emitting as a table
    max_first_symbols: int = 128  # with at most this many input symbols, probes start with each of them
    chunk: int = 65536  # probe runs per network call (memory)
    dedup: float = 1e-6  # hidden states closer than this (relative to the spread) are probed once
    nudge_sequences: int = 64  # sequences whose inputs are nudged for a lattice in signature space

    def __post_init__(self):
        if (
            self.probes < 1
            or min(self.probe_length, self.fsm_probe_length) < 1
            or self.max_groups < 1
            or self.chunk < 1
            or self.dedup < 0
        ):
            raise ValueError("BehaviourConfig: probes, probe_length, max_groups, chunk >= 1 and dedup >= 0")


def probe_inputs(trace: Trace, config: BehaviourConfig, seed: int = 0) -> np.ndarray:
    """Continuations [P, L, D]: random windows of the traced input sequences, whose first
    steps go through every input symbol seen (up to `max_first_symbols` of them), so that
    two states told apart by one input are told apart. There are `config.probes` of them,
    or one per symbol when there are more symbols."""
    length = min(config.probe_length, trace.steps)
    symbols, _ = trace.alphabet()
    first = symbols if len(symbols) <= config.max_first_symbols else symbols[:0]
    count = max(config.probes, len(first))
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, trace.sequences, count)
    starts = rng.integers(0, trace.steps - length + 1, count)
    probes = np.stack([trace.inputs[r, s : s + length] for r, s in zip(rows, starts)])
    if len(first):
        probes[:, 0] = first[np.arange(count) % len(first)]
    return probes


def signatures(network: Network, hidden: np.ndarray, probes: np.ndarray, chunk: int = 65536) -> np.ndarray:
    """For each hidden state [M, n]: its output now and its outputs along every probe,
    as one int row [M, O * (1 + P * L)]."""
    count, length = len(probes), probes.shape[1]
    now = network.readout(hidden).reshape(len(hidden), -1)
    later = []
    per_call = max(1, min(chunk // count, len(hidden)))
    for start in range(0, len(hidden), per_call):
        block = hidden[start : start + per_call]
        used = len(block)
        # Every call has the same shape (the last block padded), so the network is compiled once.
        block = np.concatenate([block, np.repeat(block[:1], per_call - used, axis=0)])
        initial = np.repeat(block, count, axis=0)
        inputs = np.tile(probes, (per_call, 1, 1))
        _, outputs = network.run(inputs, initial=initial)
        later.append(outputs.reshape(per_call, count * length * outputs.shape[-1])[:used])
    return np.concatenate([now] + [np.concatenate(later)], axis=1)


def extract_fsm_by_behaviour(
    network: Network, trace: Trace, config: BehaviourConfig = BehaviourConfig(), *, seed: int = 0
) -> FsmResult:
    """States grouped by their signatures, trusted only within the training length.

    A state at step t has T - t steps left before the network runs past what it was
    trained on, and only that much of each probe is trusted. States with the full
    probe length left are grouped by their whole signature. A state with less left
    joins the group of the nearest such state (in hidden space) whose signature agrees
    with it on the trusted part; with none, it is a group of its own."""
    length = min(config.fsm_probe_length, trace.steps)
    probes = probe_inputs(trace, replace(config, probe_length=length), seed)
    points = trace.points()
    unique, inverse = unique_rows(points, config.dedup * spread(points))
    left = np.minimum(trace.steps - np.arange(trace.steps + 1), length)  # trusted probe steps per step t
    trusted = np.zeros(len(unique), dtype=np.int64)
    np.maximum.at(trusted, inverse, np.tile(left, trace.sequences))
    rows = signatures(network, unique, probes, config.chunk)
    full = np.flatnonzero(trusted == length)
    outputs = rows.shape[1] // (1 + len(probes) * length)
    weight = np.bincount(inverse, minlength=len(unique))  # how often each distinct state occurs
    label = np.full(len(unique), -1, dtype=np.int64)
    label[full] = _rare_groups_joined(rows[full], weight[full], outputs, config.rare)
    for steps in range(length):
        _join_short_states(label, np.flatnonzero(trusted == steps), full, rows, unique, steps, length, len(probes))
    groups = int(label.max()) + 1
    if groups > config.max_groups:
        return FsmResult(
            None,
            0,
            len(unique),
            f"{groups} behaviours on {len(probes)} probes: more than {config.max_groups}, not a small state machine",
        )
    labels = label[inverse].reshape(trace.sequences, trace.steps + 1)
    fully_probed = trusted == length
    asked, said = _unseen_transitions(
        network, trace, labels, unique, label, rows, weight * fully_probed, probes, config
    )
    how = f"{groups} behaviours on {len(probes)} probes of length {length}"
    if asked:
        how += f"; {len(asked)} transitions the data never showed were asked of the network"
    return machine_from_labels(labels, trace, how, len(unique), asked, said)


def _join_short_states(label, short, full, rows, unique, steps: int, length: int, probes: int) -> None:
    """Label the states with only `steps` trusted probe steps (`short`): each joins the
    group of the nearest fully probed state whose signature agrees on the trusted part,
    or else starts a group of its own (labels are set in place)."""
    if not len(short):
        return
    outputs = rows.shape[1] // (1 + probes * length)
    keep = np.zeros((probes, length, outputs), dtype=bool)
    keep[:, :steps] = True
    columns = np.concatenate([np.ones(outputs, dtype=bool), keep.reshape(-1)])
    full_keys = {}
    for index, key in zip(full, map(bytes, rows[full][:, columns])):
        full_keys.setdefault(key, []).append(index)
    waiting: dict[bytes, list[int]] = {}
    for index, key in zip(short, map(bytes, rows[short][:, columns])):
        waiting.setdefault(key, []).append(index)
    for key, members in waiting.items():
        candidates = np.asarray(full_keys.get(key, []))
        if not len(candidates):
            label[members] = label.max() + 1
            continue
        nearest = nearest_index(unique[members], unique[candidates].reshape(-1, unique.shape[1]))
        label[members] = label[candidates[nearest]]


def _unseen_transitions(network, trace, labels, unique, label, rows, weight, probes, config) -> tuple[dict, dict]:
    """What the traced data never shows, asked of the network: (group, input symbol
    index) -> group for the transitions, and group -> output for the groups never seen
    emitting (such as the start state).

    The network is run one step from the most frequent hidden state of the group,
    and the state it reaches is put in the group whose signature it has (or, if none
    has exactly that signature, the one that differs in fewest places with the same
    output now); a group's output is the network's output in that state."""
    symbols, symbol_index = trace.alphabet()
    seen = set(zip(labels[:, :-1].reshape(-1).tolist(), symbol_index.reshape(-1).tolist()))
    outputs = trace.outputs.shape[-1]
    representative = {}  # the most frequent fully probed state of each group (`weight` 0: not one)
    for index in np.argsort(-weight, kind="stable"):
        if weight[index] > 0:
            representative.setdefault(int(label[index]), int(index))
    emitting = set(np.unique(labels[:, 1:]).tolist())
    said = {g: tuple(int(v) for v in rows[i, :outputs]) for g, i in representative.items() if g not in emitting}
    missing = [(g, x) for g in sorted(representative) for x in range(len(symbols)) if (g, x) not in seen]
    if not missing or len(missing) > config.max_asked:
        return {}, said
    start = unique[[representative[g] for g, _ in missing]]
    steps = symbols[[x for _, x in missing]][:, None, :]
    reached, _ = network.run(steps, initial=start)
    asked_rows = signatures(network, reached[:, 0], probes, config.chunk)
    groups = np.array(sorted(representative))
    known = rows[[representative[g] for g in groups]]
    answer = {}
    for (g, x), row in zip(missing, asked_rows):
        same_now = (known[:, :outputs] == row[:outputs]).all(axis=1)
        if same_now.any():
            differences = np.where(same_now, (known != row).sum(axis=1), np.iinfo(np.int64).max)
            answer[(g, x)] = int(groups[np.argmin(differences)])
    return answer, said


def _rare_groups_joined(rows: np.ndarray, weight: np.ndarray, outputs: int, rare: float) -> np.ndarray:
    """Group labels for signature rows, with each rare group (under `rare` of the states)
    joined to the common group whose signature differs from it in the fewest places
    (with the same output now). A network perfect on held-out data can still slip on
    a few probe continuations; such slips make rare groups of their own."""
    _, group = distinct_rows(rows, return_inverse=True)
    group = group.reshape(-1)
    sizes = np.bincount(group, weights=weight)
    # Rare: a small share of all states, and far smaller than a typical group (a machine
    # with hundreds of states has many small groups that are no slips).
    common = np.flatnonzero(sizes >= min(rare * weight.sum(), 0.1 * np.median(sizes)))
    if len(common) == 0 or len(common) == len(sizes):
        return group
    first = np.zeros(len(sizes), dtype=np.int64)
    first[group[::-1]] = np.arange(len(group))[::-1]  # a row of each group
    signature = rows[first]
    target = np.arange(len(sizes))
    for g in np.setdiff1d(np.arange(len(sizes)), common):
        same_now = common[(signature[common, :outputs] == signature[g, :outputs]).all(axis=1)]
        if len(same_now):
            target[g] = same_now[np.argmin((signature[same_now] != signature[g]).sum(axis=1))]
    return np.unique(target, return_inverse=True)[1].reshape(-1)[group]


def _nudged(network: Network, inputs: np.ndarray, sequences: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Hidden states before and after one input is changed to the next value up.

    For sampled sequences, every step and every input number in turn is moved to the
    next larger value seen in `inputs` (or the next smaller one at the top), and the
    network is run again. Returns matching rows [K, n] of the original and the changed
    run's hidden states, at the changed step and every later one, and the step of each."""
    rng = np.random.default_rng(seed)
    chosen = inputs[rng.choice(len(inputs), size=min(sequences, len(inputs)), replace=False)]
    count, steps, dims = chosen.shape
    base, _ = network.run(chosen)
    changed, starts = [], []
    for d in range(dims):
        values = np.unique(inputs[..., d])
        if len(values) < 2:
            continue
        position = np.searchsorted(values, chosen[..., d])
        step_to = values[np.where(position + 1 < len(values), position + 1, position - 1)]
        for t in range(steps):
            copy = chosen.copy()
            copy[:, t, d] = step_to[:, t]
            changed.append(copy)
            starts.append(t)
    n = base.shape[-1]
    if not changed:
        return np.zeros((0, n)), np.zeros((0, n)), np.zeros(0, dtype=np.int64)
    hidden, _ = network.run(np.concatenate(changed))  # one call: one compiled shape
    hidden = hidden.reshape(len(changed), count, steps, n)
    before = np.concatenate([base[:, t:].reshape(-1, n) for t in starts])
    after = np.concatenate([hidden[i, :, t:].reshape(-1, n) for i, t in enumerate(starts)])
    # The step (1..T) of each row: hidden[:, t] is the state after step t + 1.
    step = np.concatenate([np.tile(np.arange(t + 1, steps + 1), count) for t in starts])
    return before, after, step


def input_nudges(network: Network, inputs: np.ndarray, *, sequences: int = 256, seed: int = 0) -> np.ndarray:
    """How the hidden state moves when one input is changed to the next value up ([K, n]).

    In a network that keeps a lattice (counters, sums, delays) these are lattice
    vectors: the basis candidates `extract_lattice` needs when states are too sparse
    for their nearest neighbours to be one step apart."""
    before, after, _ = _nudged(network, inputs, sequences, seed)
    return after - before


def extract_lattice_by_behaviour(
    network: Network,
    trace: Trace,
    lattice: LatticeConfig = LatticeConfig(),
    config: BehaviourConfig = BehaviourConfig(),
    *,
    seed: int = 0,
) -> tuple[LatticeResult, Trace]:
    """An integer lattice in the space of what the network will output, not of its
    hidden vectors: each hidden state is replaced by its signature (`signatures`), the
    network's outputs now and along the probes.

    This is the observable part of the state. A network may keep traces of inputs it
    no longer needs (a delay line whose old entries fade instead of vanishing); its
    hidden states then lie on no lattice, but what it will output from them does.
    Only states whose probes end within the training length are used: past it, a
    network that was never trained there may drift. Returns the lattice and the trace
    in signature space it was read from (those steps only)."""
    # A state of n numbers that a linear map updates shows all of itself in n outputs
    # (Cayley-Hamilton), so probes are at least as long as the hidden size.
    length = min(max(config.probe_length, network.hidden_size), trace.steps - 2)
    if length < 1:
        return LatticeResult(
            origin=np.zeros(0), basis=None, states=None, error=np.inf, reason="sequences too short to probe"
        ), trace
    config = replace(config, probe_length=length)
    kept = trace.steps - length  # steps 1..kept: their probes end by step T
    probes = probe_inputs(trace, config, seed)
    points = trace.hidden[:, : kept + 1].reshape(-1, trace.hidden.shape[-1])
    unique, inverse = unique_rows(points, config.dedup * spread(points))
    rows = signatures(network, unique, probes, config.chunk).astype(np.float64)[inverse]
    observed = Trace(trace.inputs[:, :kept], rows.reshape(trace.sequences, kept + 1, -1), trace.outputs[:, :kept])
    before, after, step = _nudged(network, trace.inputs, config.nudge_sequences, seed)
    early = step <= kept
    nudges = signatures(network, after[early], probes, config.chunk) - signatures(
        network, before[early], probes, config.chunk
    )
    return extract_lattice(observed, lattice, seed=seed, nudges=nudges.astype(np.float64)), observed
