"""Finite-state machine extraction: cluster the hidden states, read the machine off.

The clustering is single linkage (cuts of a minimum spanning tree), and the
number of clusters is the smallest for which the clusters behave like states:
every (cluster, input) pair leads to one cluster, and every cluster gives one
output. That criterion needs no distance threshold, so it works at any hidden
size and any scale. The machine is then minimized (Moore partition refinement)
and its states numbered in the order a breadth-first walk meets them.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from mips.arrays import distinct_rows, nearest_index
from mips.machines import StateMachine
from mips.network.trace import Trace, is_function, spread, unique_rows


@dataclass(frozen=True, kw_only=True)
class FsmConfig:
    max_clusters: int = 64  # the largest clustering tried
    max_points: int = 3000  # distinct hidden states clustered; the rest join their nearest
    dedup: float = 1e-5  # states closer than this (relative to the spread) count as one point

    def __post_init__(self):
        if self.max_clusters < 1 or self.max_points < 2 or self.dedup < 0:
            raise ValueError("FsmConfig: max_clusters >= 1, max_points >= 2, dedup >= 0")


@dataclass(frozen=True)
class FsmResult:
    machine: StateMachine | None
    clusters: int  # clusters before minimization (0 when none was consistent)
    points: int  # distinct hidden states clustered
    reason: str  # how it was found, or why not
    # When `machine` has transitions the data never showed: the machine completed by
    # merging states (see `merge_states`), else None.
    merged: StateMachine | None = None
    # The machine as observed, before minimization (majority transitions): what
    # `counters.counter_states` reads counters from.
    observed: StateMachine | None = None


def extract_fsm(trace: Trace, config: FsmConfig = FsmConfig(), *, seed: int = 0) -> FsmResult:
    points = trace.points()
    unique, inverse = unique_rows(points, config.dedup * spread(points))
    # Too many distinct states to cluster them all: cluster a sample, and give
    # every other state the cluster of its nearest sampled state.
    nearest = np.arange(len(unique))
    clustered = unique
    if len(unique) > config.max_points:
        chosen = np.random.default_rng(seed).choice(len(unique), size=config.max_points, replace=False)
        clustered = unique[chosen]
        nearest = nearest_index(unique, clustered)
    _, symbol_index, _, out_index = _alphabets(trace)

    for k, labels in _single_linkage_cuts(clustered, config.max_clusters):
        states = labels[nearest][inverse].reshape(trace.sequences, trace.steps + 1)
        if is_function(states[:, 1:].reshape(-1, 1), out_index.reshape(-1)) and is_function(
            np.stack([states[:, :-1], symbol_index], axis=-1).reshape(-1, 2), states[:, 1:].reshape(-1)
        ):
            return machine_from_labels(states, trace, f"{k} clusters behave as states", len(unique))
    limit = min(config.max_clusters, len(clustered))
    return FsmResult(None, 0, len(unique), f"no clustering into at most {limit} clusters is deterministic")


def machine_from_labels(
    states: np.ndarray,
    trace: Trace,
    how: str,
    points: int,
    asked: dict[tuple[int, int], int] | None = None,
    said: dict[int, tuple[int, ...]] | None = None,
) -> FsmResult:
    """The minimized machine whose states are `states` ([N, T + 1] labels of the traced
    hidden states). Each (state, input) pair goes where most of its occurrences go, and
    each state emits its most frequent output; when the labels behave as states (no
    disagreement) that is exactly the observed machine. Transitions the data never
    showed are taken from `asked` ((state, input symbol index) -> state, from the
    network) when given, and so are the outputs of states never seen emitting (`said`,
    state -> output); transitions still missing are completed by merging states, as a
    second machine."""
    symbols, symbol_index, out_values, out_index = _alphabets(trace)
    k = int(states.max()) + 1
    transitions, moved_off = majority(states[:, :-1] * len(symbols) + symbol_index, states[:, 1:], k * len(symbols))
    outputs, emitted_off = majority(states[:, 1:], out_index, k)
    for (state, symbol), target in (asked or {}).items():
        if transitions[state * len(symbols) + symbol] < 0:
            transitions[state * len(symbols) + symbol] = target
    # An output the network gave matters only for a state something leads into.
    said = {s: out for s, out in (said or {}).items() if s in set(transitions.tolist())}
    raw = StateMachine(
        initial=int(states[0, 0]),
        symbols=tuple(tuple(int(v) for v in s) for s in symbols),
        transitions=tuple(
            tuple(int(t) for t in transitions[s * len(symbols) : (s + 1) * len(symbols)]) for s in range(k)
        ),
        # The initial state emits nothing; a state never seen emitting gets the first value.
        outputs=tuple(said.get(s, tuple(int(v) for v in out_values[max(o, 0)])) for s, o in enumerate(outputs)),
    )
    emits = {int(s) for s in np.unique(states[:, 1:])} | set(said)
    machine = minimize(raw, emits)
    reason = how
    if moved_off or emitted_off:
        reason += (
            f"; by majority ({moved_off} of {states[:, 1:].size} steps went elsewhere, {emitted_off} emitted otherwise)"
        )
    reason += f"; minimized to {machine.states}"
    merged = None
    if not machine.complete:
        merged = minimize(*merge_states(raw, emits))
        reason += (
            f", with transitions never observed; merging states gives {merged.states} states"
            f" ({'complete' if merged.complete else 'still incomplete'})"
        )
    return FsmResult(machine, k, points, reason, merged, raw)


def _alphabets(trace: Trace):
    """The input symbols and output values seen, and each step's index into them ([N, T])."""
    symbols, symbol_index = trace.alphabet()
    out_values, out_index = distinct_rows(trace.outputs.reshape(-1, trace.outputs.shape[-1]), return_inverse=True)
    return symbols, symbol_index, out_values, out_index.reshape(trace.sequences, trace.steps)


def majority(keys: np.ndarray, values: np.ndarray, size: int) -> tuple[np.ndarray, int]:
    """For each key in range(size), its most frequent value (-1 for a key never seen),
    and how many occurrences disagree with their key's choice."""
    pairs, counts = distinct_rows(np.stack([keys.reshape(-1), values.reshape(-1)], axis=1), return_counts=True)
    # Sorted by key then value: for each key, the pair with the largest count wins
    # (ties: the smallest value).
    order = np.lexsort((-counts, pairs[:, 0]))
    pairs, counts = pairs[order], counts[order]
    first = np.r_[True, pairs[1:, 0] != pairs[:-1, 0]]
    chosen = np.full(size, -1, dtype=np.int64)
    chosen[pairs[first, 0]] = pairs[first, 1]
    return chosen, int(counts.sum() - counts[first].sum())


def _single_linkage_cuts(points: np.ndarray, max_clusters: int):
    """Yield (k, labels) for k = 1, 2, ... clusters: the minimum spanning tree without its k-1 longest edges."""
    n = len(points)
    edges = _minimum_spanning_tree(points)  # (length, a, b), n - 1 of them
    order = np.argsort([e[0] for e in edges], kind="stable")
    parent = list(range(n))

    def find(a):
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    cuts = {}
    components = n
    if components <= max_clusters:
        cuts[components] = np.arange(n)
    for i in order:
        _, a, b = edges[i]
        parent[find(a)] = find(b)
        components -= 1
        if components <= max_clusters:
            roots = np.array([find(p) for p in range(n)])
            cuts[components] = np.unique(roots, return_inverse=True)[1]
    for k in sorted(cuts):
        yield k, cuts[k]


def _minimum_spanning_tree(points: np.ndarray) -> list[tuple[float, int, int]]:
    """Prim's algorithm, O(n^2) time and O(n) memory."""
    n = len(points)
    in_tree = np.zeros(n, dtype=bool)
    best = np.full(n, np.inf)
    parent = np.full(n, -1)
    best[0] = 0.0
    edges = []
    for _ in range(n):
        j = int(np.argmin(np.where(in_tree, np.inf, best)))
        in_tree[j] = True
        if parent[j] >= 0:
            edges.append((float(best[j]), int(parent[j]), j))
        distance = np.linalg.norm(points - points[j], axis=1)
        closer = ~in_tree & (distance < best)
        best[closer] = distance[closer]
        parent[closer] = j
    return edges


def merge_states(machine: StateMachine, emits: set[int]) -> tuple[StateMachine, set[int]]:
    """Complete a machine whose data never showed some transitions, by merging states.

    This is the state-merging step of passive automata learning (RPNI), run on the
    extracted machine: states are taken in breadth-first order, and each one is
    merged into the earliest kept state it is compatible with (merging their
    successors in turn, and never two states that emit different outputs), or else
    kept. A merge never changes an observed output, so the result still reproduces
    every observed sequence; what it adds is a guess for the unobserved transitions,
    which held-out data and verification then test. Returns the merged machine and
    the states that emit (others, like a start state never re-entered, carry no
    output of their own)."""
    rank = {s: i for i, s in enumerate(_breadth_first(machine.initial, machine.transitions))}
    blocks = _Blocks(
        list(range(machine.states)),
        {s: list(machine.transitions[s]) for s in range(machine.states)},
        {s: machine.outputs[s] if s in emits else None for s in range(machine.states)},
    )
    kept = [machine.initial]
    while True:
        kept = list(dict.fromkeys(blocks.root(r) for r in kept))
        frontier = {blocks.root(t) for r in kept for t in blocks.table[r] if t >= 0} - set(kept)
        if not frontier:
            break
        candidate = min(frontier, key=lambda s: rank.get(s, len(rank)))
        for state in kept:
            merged = blocks.merged(state, candidate, rank)
            if merged is not None:
                blocks = merged
                break
        else:
            kept.append(candidate)
    kept = list(dict.fromkeys(blocks.root(r) for r in kept))
    number = {s: i for i, s in enumerate(kept)}
    fallback = machine.outputs[machine.initial]
    output = blocks.output
    result = StateMachine(
        initial=number[blocks.root(machine.initial)],
        symbols=machine.symbols,
        transitions=tuple(tuple(number[blocks.root(t)] if t >= 0 else -1 for t in blocks.table[s]) for s in kept),
        outputs=tuple(output[s] if output[s] is not None else fallback for s in kept),
    )
    return result, {number[s] for s in kept if output[s] is not None}


@dataclass(frozen=True)
class _Blocks:
    """States merged into blocks (union-find `parent`), each block's transitions (by its
    root) and output (None: it emits none of its own)."""

    parent: list[int]
    table: dict[int, list[int]]
    output: dict[int, tuple[int, ...] | None]

    def root(self, x: int) -> int:
        while self.parent[x] != x:
            x = self.parent[x]
        return x

    def merged(self, a: int, b: int, rank: dict[int, int]) -> _Blocks | None:
        """The blocks with a and b merged, and their successors in turn; None when two of the
        states merged emit different outputs."""
        merged = _Blocks(self.parent.copy(), {k: v.copy() for k, v in self.table.items()}, dict(self.output))
        p, t, o = merged.parent, merged.table, merged.output
        pending = [(a, b)]
        while pending:
            x, y = (merged.root(v) for v in pending.pop())
            if x == y:
                continue
            if o[x] is not None and o[y] is not None and o[x] != o[y]:
                return None
            if rank.get(y, len(rank)) < rank.get(x, len(rank)):
                x, y = y, x  # the earlier state stays the block's name
            p[y] = x
            o[x] = o[x] if o[x] is not None else o[y]
            for i in range(len(t[x])):
                if t[x][i] < 0:
                    t[x][i] = t[y][i]
                elif t[y][i] >= 0:
                    pending.append((t[x][i], t[y][i]))
            del t[y]
        return merged


def minimize(machine: StateMachine, emits: set[int] | None = None) -> StateMachine:
    """Merge equivalent states and drop unreachable ones; number states in breadth-first order.

    States outside `emits` (such as an initial state never re-entered) carry no
    output of their own, so their output does not keep them apart."""
    reachable = _breadth_first(machine.initial, machine.transitions)
    emits = set(range(machine.states)) if emits is None else emits

    def out_key(s):
        return machine.outputs[s] if s in emits else None

    block = {s: out_key(s) for s in reachable}
    names = {key: i for i, key in enumerate(sorted(set(block.values()), key=repr))}
    block = {s: names[v] for s, v in block.items()}
    while True:
        signature = {
            s: (block[s], tuple(block[t] if t >= 0 else -1 for t in machine.transitions[s])) for s in reachable
        }
        names = {key: i for i, key in enumerate(sorted(set(signature.values())))}
        refined = {s: names[signature[s]] for s in reachable}
        if len(set(refined.values())) == len(set(block.values())):
            break
        block = refined
    # Nothing leads into a state that never emits (the start state of a network
    # whose h_0 sits apart), so it may join any emitting state that agrees with
    # it on every transition it has.
    for s in reachable:
        if s in emits:
            continue
        for e in reachable:
            if e in emits and all(
                t < 0 or (u >= 0 and block[t] == block[u])
                for t, u in zip(machine.transitions[s], machine.transitions[e])
            ):
                block[s] = block[e]
                break
    # A block's representative: a state that emits, when there is one.
    representative = {}
    for s in reachable:
        if block[s] not in representative or (representative[block[s]] not in emits and s in emits):
            representative[block[s]] = s
    quotient = {b: tuple(block[t] if t >= 0 else -1 for t in machine.transitions[r]) for b, r in representative.items()}
    order = _breadth_first(block[machine.initial], quotient)
    number = {b: i for i, b in enumerate(order)}
    return StateMachine(
        initial=0,
        symbols=machine.symbols,
        transitions=tuple(tuple(number[t] if t >= 0 else -1 for t in quotient[b]) for b in order),
        outputs=tuple(machine.outputs[representative[b]] for b in order),
    )


def _breadth_first(start: int, transitions) -> list[int]:
    seen, queue, order = {start}, deque([start]), []
    while queue:
        s = queue.popleft()
        order.append(s)
        for t in transitions[s]:
            if t >= 0 and t not in seen:
                seen.add(t)
                queue.append(t)
    return order
