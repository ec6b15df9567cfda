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

from mips.fsm import FsmResult, machine_from_labels
from mips.lattice import LatticeConfig, LatticeResult, extract_lattice
from mips.model import Network
from mips.trace import Trace, spread, unique_rows


@dataclass(frozen=True, kw_only=True)
class BehaviourConfig:
    probes: int = 32  # continuations every hidden state is probed with
    # Steps per continuation (at most the training length): a delay of k steps needs
    # about k to be seen in the outputs.
    probe_length: int = 5
    max_groups: int = 4096  # more distinct signatures than this: not a finite machine we can use
    chunk: int = 65536  # probe runs per network call (memory)
    dedup: float = 1e-6  # hidden states closer than this (relative to the spread) are probed once
    nudge_sequences: int = 64  # sequences whose inputs are nudged for a lattice in signature space

    def __post_init__(self):
        if self.probes < 1 or self.probe_length < 1 or self.max_groups < 1 or self.chunk < 1 or self.dedup < 0:
            raise ValueError("BehaviourConfig: probes, probe_length, max_groups, chunk >= 1 and dedup >= 0")


def probe_inputs(trace: Trace, config: BehaviourConfig, seed: int = 0) -> np.ndarray:
    """Continuations [P, L, D]: random windows of the traced input sequences."""
    length = min(config.probe_length, trace.steps)
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, trace.sequences, config.probes)
    starts = rng.integers(0, trace.steps - length + 1, config.probes)
    return np.stack([trace.inputs[r, s:s + length] for r, s in zip(rows, starts)])


def signatures(network: Network, hidden: np.ndarray, probes: np.ndarray, chunk: int = 65536) -> np.ndarray:
    """For each hidden state [M, n]: its output now and its outputs along every probe,
    as one int row [M, O * (1 + P * L)]."""
    count, length = len(probes), probes.shape[1]
    now = network.readout(hidden).reshape(len(hidden), -1)
    later = []
    per_call = max(1, chunk // count)
    for start in range(0, len(hidden), per_call):
        block = hidden[start:start + per_call]
        initial = np.repeat(block, count, axis=0)
        inputs = np.tile(probes, (len(block), 1, 1))
        _, outputs = network.run(inputs, initial=initial)
        later.append(outputs.reshape(len(block), count * length * outputs.shape[-1]))
    return np.concatenate([now] + [np.concatenate(later)], axis=1)


def extract_fsm_by_behaviour(
    network: Network, trace: Trace, config: BehaviourConfig = BehaviourConfig(), *, seed: int = 0
) -> FsmResult:
    points = trace.points()
    unique, inverse = unique_rows(points, config.dedup * spread(points))
    probes = probe_inputs(trace, config, seed)
    rows = signatures(network, unique, probes, config.chunk)
    _, group = np.unique(rows, axis=0, return_inverse=True)
    groups = int(group.max()) + 1
    if groups > config.max_groups:
        return FsmResult(None, 0, len(unique), f"{groups} behaviours on {len(probes)} probes: more than "
                                                f"{config.max_groups}, not a small state machine")
    labels = group.reshape(-1)[inverse].reshape(trace.sequences, trace.steps + 1)
    how = f"{groups} behaviours on {len(probes)} probes of length {probes.shape[1]}"
    return machine_from_labels(labels, trace, how, len(unique))


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
    length = min(config.probe_length, trace.steps - 2)
    if length < 1:
        return LatticeResult(np.zeros(0), None, None, np.inf, "sequences too short to probe"), trace
    config = replace(config, probe_length=length)
    kept = trace.steps - length  # steps 1..kept: their probes end by step T
    probes = probe_inputs(trace, config, seed)
    points = trace.hidden[:, :kept + 1].reshape(-1, trace.hidden.shape[-1])
    unique, inverse = unique_rows(points, config.dedup * spread(points))
    rows = signatures(network, unique, probes, config.chunk).astype(np.float64)[inverse]
    observed = Trace(trace.inputs[:, :kept], rows.reshape(trace.sequences, kept + 1, -1), trace.outputs[:, :kept])
    before, after, step = _nudged(network, trace.inputs, config.nudge_sequences, seed)
    early = step <= kept
    nudges = signatures(network, after[early], probes, config.chunk) - signatures(network, before[early], probes,
                                                                                   config.chunk)
    return extract_lattice(observed, lattice, seed=seed, nudges=nudges.astype(np.float64)), observed
