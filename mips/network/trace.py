"""A network's run on a set of sequences: what the extraction stages read."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mips.arrays import distinct_rows


@dataclass(frozen=True)
class Trace:
    inputs: np.ndarray  # int64 [N, T, D]
    hidden: np.ndarray  # float64 [N, T + 1, n]; hidden[:, 0] is the initial state h_0
    outputs: np.ndarray  # int64 [N, T, O]: the network's own predictions

    @property
    def sequences(self) -> int:
        return self.inputs.shape[0]

    @property
    def steps(self) -> int:
        return self.inputs.shape[1]

    def alphabet(self) -> tuple[np.ndarray, np.ndarray]:
        """The input symbols seen (distinct rows, in lexicographic order) and each step's
        index into them ([N, T])."""
        symbols, index = distinct_rows(self.inputs.reshape(-1, self.inputs.shape[-1]), return_inverse=True)
        return symbols, index.reshape(self.sequences, self.steps)

    def points(self) -> np.ndarray:
        """All hidden states, h_0 included, as rows [N * (T + 1), n]."""
        return self.hidden.reshape(-1, self.hidden.shape[-1])


def unique_rows(points: np.ndarray, tolerance: float) -> tuple[np.ndarray, np.ndarray]:
    """Merge points that agree to within `tolerance` per coordinate (on a grid).

    Returns the representatives and, for every point, the index of its representative."""
    keys = np.round(points / tolerance).astype(np.int64) if tolerance > 0 else points
    _, first, inverse = distinct_rows(keys, return_index=True, return_inverse=True)
    return points[first], inverse.reshape(-1)


def is_function(keys: np.ndarray, values: np.ndarray) -> bool:
    """True when equal rows of `keys` [M, p] always come with equal `values` ([M] or [M, q])."""
    values = values.reshape(len(values), -1)
    if not len(keys):
        return True
    if keys.shape[1] == 0:
        return len(distinct_rows(values)) == 1
    pairs = distinct_rows(np.concatenate([keys, values], axis=1))
    return len(pairs) == len(distinct_rows(pairs[:, : keys.shape[1]]))


def spread(points: np.ndarray) -> float:
    """The size of the point cloud: the largest coordinate range (at least a tiny floor)."""
    return float(max(np.ptp(points, axis=0).max(initial=0.0), 1e-12))


def trace_network(network, inputs: np.ndarray) -> Trace:
    """Run `network` (a `model.Network` or a `given.GivenNetwork`) on `inputs` and record its
    hidden states, its start state h_0 included, and its own outputs."""
    hidden, outputs = network.run(inputs)
    initial = network.start_states(len(inputs))[:, None, :]
    return Trace(inputs, np.concatenate([initial, hidden], axis=1), outputs)
