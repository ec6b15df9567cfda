"""Integer-lattice extraction: integer coordinates for the hidden states.

Counters, sums, delays and positions are stored by a network as points of a
lattice: h = h_0 + sum_i k_i b_i with integer k. We find the subspace the
states span, take short difference vectors between neighbouring states as
candidate basis vectors (shortest first, skipping dependent ones), divide a
basis vector when every state sits on a fraction of it, and accept the
lattice only if every hidden state lies within `integrality` of a lattice
point. Differences shorter than a gap in the length distribution (states that
mean the same thing but differ by training noise) are tried as noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mips.arrays import distinct_rows
from mips.extract.states import IntegerStates
from mips.network.trace import Trace, spread, unique_rows


@dataclass(frozen=True, kw_only=True)
class LatticeConfig:
    rank_tolerance: float = 1e-3  # singular values below this (relative) are not a direction
    integrality: float = 0.15  # largest allowed distance from a lattice point, in lattice units
    max_denominator: int = 4  # a basis vector may be divided by up to this
    neighbours: int = 8  # candidate vectors per sampled state
    sampled_states: int = 512

    def __post_init__(self):
        if not 0 < self.integrality < 0.5 or self.max_denominator < 1 or self.neighbours < 1:
            raise ValueError("LatticeConfig: 0 < integrality < 0.5, max_denominator >= 1, neighbours >= 1")


@dataclass(frozen=True, kw_only=True)
class LatticeResult(IntegerStates):
    """Integer coordinates of the hidden states after each step (t = 1..T), and the lattice
    in hidden space they are coordinates in.

    The initial state h_0 is left out on purpose: a network's h_0 need not lie on
    the lattice its other states form (a bias shifts them all); the regression
    stage finds the integer state that plays its part."""

    origin: np.ndarray  # [n]: a hidden state that is the lattice point 0
    basis: np.ndarray | None  # [m, n]: rows are the basis vectors in hidden space (None with no states)
    error: float  # largest distance of a state from its lattice point, in lattice units

    def coordinates(self, hidden: np.ndarray) -> np.ndarray:
        """Real lattice coordinates of hidden states [..., n] -> [..., m]."""
        assert self.basis is not None
        return (hidden - self.origin) @ np.linalg.pinv(self.basis)


def extract_lattice(
    trace: Trace, config: LatticeConfig = LatticeConfig(), *, seed: int = 0, nudges: np.ndarray | None = None
) -> LatticeResult:
    """`nudges` ([K, n], optional) are hidden-state differences that the network itself
    says are lattice steps (see `behaviour.input_nudges`); they are tried as the basis
    first, then the differences between neighbouring states."""
    after_steps = trace.hidden[:, 1:]
    origin = after_steps[0, 0]
    points = after_steps.reshape(-1, after_steps.shape[-1]) - origin
    unique, _ = unique_rows(points, 1e-7 * spread(points))
    _, singular, right = np.linalg.svd(unique, full_matrices=False)
    rank = int(np.sum(singular > config.rank_tolerance * max(singular[0], 1e-12)))
    if rank == 0:
        states = np.zeros(after_steps.shape[:2] + (0,), dtype=np.int64)
        return LatticeResult(
            origin=origin,
            basis=np.zeros((0, points.shape[1])),
            states=states,
            error=0.0,
            reason="all hidden states are one point",
        )
    projection = right[:rank]  # [m, n]
    projected = unique @ projection.T
    best_error, failure = np.inf, "no candidate vectors"
    for basis, how in _candidate_bases(projected, rank, projection, config, seed, nudges):
        if basis is None:
            failure = how
            continue
        basis = _refine(projected, basis, config)
        if basis is None:
            failure = f"states are not on a lattice with denominators up to {config.max_denominator}"
            continue
        shift, basis = _refit(projected, basis)
        full_basis = basis @ projection  # back to hidden space, rows are basis vectors
        origin_here = origin + shift @ projection
        coords = (points @ projection.T - shift) @ np.linalg.inv(basis)
        error = float(np.abs(coords - np.round(coords)).max())
        if error <= config.integrality:
            zero = _zero_on_lattice(origin, projection, shift, basis, config.integrality)
            if zero is not None:  # the space's own zero (h_0, or "outputs 0") is the natural origin
                coords -= zero
                origin_here = origin_here + zero @ full_basis
            states = np.round(coords).astype(np.int64).reshape(after_steps.shape[:2] + (rank,))
            reason = f"{rank}-dimensional lattice, states within {error:.3f} of lattice points{how}"
            return LatticeResult(origin=origin_here, basis=full_basis, states=states, error=error, reason=reason)
        best_error = min(best_error, error)
        failure = f"states up to {best_error:.2f} lattice units away from the nearest lattice point"
    return LatticeResult(origin=origin, basis=None, states=None, error=float(best_error), reason=failure)


def _zero_on_lattice(origin, projection, shift, basis, integrality) -> np.ndarray | None:
    """The integer coordinates of the point 0 of the space, when it lies on the lattice."""
    relative = -origin
    inside = relative @ projection.T
    if np.linalg.norm(relative - inside @ projection) > integrality * np.linalg.norm(basis, axis=1).min():
        return None
    coords = (inside - shift) @ np.linalg.inv(basis)
    if np.abs(coords - np.round(coords)).max() > integrality:
        return None
    return np.round(coords)


def _candidate_bases(projected, rank, projection, config, seed, nudges):
    """Yield (basis [m, m] or None, how it was found / why not), most direct first."""
    if nudges is not None and len(nudges):
        basis = _most_frequent_independent(nudges @ projection.T, rank)
        yield (
            basis,
            (" (basis from input nudges)" if basis is not None else f"input nudges span fewer than {rank} directions"),
        )
    near_distance, near_vectors = _nearest(projected, config, np.random.default_rng(seed))
    for noise in _noise_levels(near_distance):
        basis = _independent_shortest(near_distance, near_vectors, noise, rank, config.neighbours)
        if basis is None:
            yield None, f"fewer than {rank} independent vectors longer than {noise:.3g}"
        else:
            yield basis, f" (differences below {noise:.2g} treated as noise)" if noise > 0 else ""


def _most_frequent_independent(vectors: np.ndarray, rank: int) -> np.ndarray | None:
    """The difference vectors that occur most often (to within 2% of a typical length),
    each clearly outside the span of those before: a lattice network moves by the same
    few vectors whatever the state, while noise and vanishing effects do not repeat."""
    lengths = np.linalg.norm(vectors, axis=1)
    if not len(lengths) or lengths.max() == 0:
        return None
    vectors = vectors[lengths > 1e-3 * lengths.max()]
    scale = 0.02 * float(np.median(np.linalg.norm(vectors, axis=1)))
    # Opposite moves are one lattice direction: count v and -v together.
    sign = np.sign(vectors[np.arange(len(vectors)), np.argmax(np.abs(vectors), axis=1)])
    vectors = vectors * sign[:, None]
    keys = np.round(vectors / scale).astype(np.int64)
    moved = keys.any(axis=1)  # shorter than half the rounding scale: no move at all
    vectors, keys = vectors[moved], keys[moved]
    if not len(keys):
        return None
    _, group, counts = distinct_rows(keys, return_inverse=True, return_counts=True)
    group = group.reshape(-1)
    means = np.zeros((len(counts), vectors.shape[1]))
    np.add.at(means, group, vectors)
    means /= counts[:, None]
    # A lattice may be skewed (a direction nearly in the span of the others), and
    # these vectors are exact up to float noise: only a near-copy is dependent.
    order = np.argsort(-counts, kind="stable")
    return _first_independent(means[order], 0.02 * np.linalg.norm(means[order], axis=1), rank)


def _nearest(points: np.ndarray, config: LatticeConfig, rng: np.random.Generator):
    """For sampled states: distances [S, K] to their K nearest other states, ascending,
    and the difference vectors [S, K, m] to them."""
    sample = points[rng.choice(len(points), size=min(len(points), config.sampled_states), replace=False)]
    k = min(_NEAREST, len(points) - 1)
    distances, vectors = [], []
    for p in sample:
        differences = points - p
        distance = np.linalg.norm(differences, axis=1)
        nearest = np.argpartition(distance, k)[: k + 1]
        nearest = nearest[np.argsort(distance[nearest])][1:]  # drop the point itself
        distances.append(distance[nearest])
        vectors.append(differences[nearest])
    return np.array(distances), np.array(vectors)


# How many nearest states per sampled state are looked at: enough to see past a
# cloud of noisy copies of one state to its lattice neighbours.
_NEAREST = 256


def _noise_levels(near_distance: np.ndarray) -> list[float]:
    """0, then the noise thresholds that the states suggest.

    Around a noisy state, distances to its neighbours jump from the noise scale
    to the lattice spacing; every large jump is a vote, and the votes' quantiles
    are tried in turn (the integrality check decides which, if any, is right)."""
    votes = []
    for row in near_distance:
        row = row[row > 0]
        ratios = row[1:] / row[:-1]
        for j in np.nonzero(ratios > 3)[0]:
            votes.append(float(np.sqrt(row[j] * row[j + 1])))
    levels = [0.0]
    for level in sorted({float(np.quantile(votes, q)) for q in np.linspace(0, 1, 11)} if votes else ()):
        if level > 1.5 * levels[-1]:
            levels.append(level)
    return levels


def _independent_shortest(near_distance, near_vectors, noise: float, rank: int, per_state: int) -> np.ndarray | None:
    """The shortest difference vectors longer than `noise`, each clearly outside the span of those before."""
    candidates = []
    for distance, vectors in zip(near_distance, near_vectors):
        candidates.append(vectors[distance > noise][:per_state])
    vectors = np.concatenate(candidates) if candidates else np.zeros((0, near_vectors.shape[-1]))
    lengths = np.linalg.norm(vectors, axis=1)
    order = np.argsort(lengths, kind="stable")
    return _first_independent(vectors[order], 0.3 * lengths[order], rank)


def _first_independent(vectors: np.ndarray, tolerance: np.ndarray, rank: int) -> np.ndarray | None:
    """The first `rank` of `vectors` (in order) each farther than its `tolerance` from the
    span of those taken before it, as rows; None when fewer are."""
    basis: list[np.ndarray] = []
    span = np.zeros((vectors.shape[-1], 0))  # orthonormal columns spanning the basis so far
    for v, allowed in zip(vectors, tolerance):
        if np.linalg.norm(v - span @ (span.T @ v)) < allowed:
            continue
        basis.append(v)
        if len(basis) == rank:
            return np.array(basis)
        span, _ = np.linalg.qr(np.array(basis).T)
    return None


def _refit(points: np.ndarray, basis: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares origin shift and basis from the rounded coordinates.

    A basis vector read off one noisy difference is slightly off, and the error
    grows with the distance from the origin. So: round the coordinates of the
    states near the origin (where rounding is safe), fit origin and basis to
    them, and double the radius until every state is included."""
    shift = np.zeros(points.shape[1])
    m = basis.shape[0]
    coords = points @ np.linalg.inv(basis)
    largest = float(np.abs(coords).max(initial=0.0))
    radius = 2.0
    while True:
        coords = (points - shift) @ np.linalg.inv(basis)
        near = np.abs(coords).max(axis=1) <= radius
        rounded = np.round(coords[near])
        design = np.concatenate([rounded, np.ones((len(rounded), 1))], axis=1)
        if np.linalg.matrix_rank(design) == m + 1:
            solution, *_ = np.linalg.lstsq(design, points[near], rcond=None)
            # A fit whose basis vectors fall onto fewer dimensions (states that are not a
            # lattice, rounded to one) spans no lattice: keep the last basis that did.
            if np.linalg.matrix_rank(solution[:m]) < m:
                return shift, basis
            basis, shift = solution[:m], solution[m]
        if radius >= largest + 1:
            return shift, basis
        radius *= 2


def _refine(points: np.ndarray, basis: np.ndarray, config: LatticeConfig) -> np.ndarray | None:
    """Divide each basis vector by the smallest q that puts the states near the origin on the lattice.

    Only states within a few basis vectors of the origin are looked at, where a
    slightly-off basis vector has not yet drifted; `_refit` then takes in the rest."""
    coords = points @ np.linalg.inv(basis)
    coords = coords[np.abs(coords).max(axis=1) <= 4]
    basis = basis.copy()
    for j in range(basis.shape[0]):
        for q in range(1, config.max_denominator + 1):
            if np.abs(q * coords[:, j] - np.round(q * coords[:, j])).max() <= config.integrality:
                basis[j] /= q
                break
        else:
            return None
    return basis
