"""Plant an integer lattice in hand-built hidden states; extraction and regression must
give back a machine that computes the planted outputs.

No network is trained: the integer state vector K of a known recurrence is placed in
hidden space as h = origin + K @ B (B a random full-rank m x n matrix, so n > m is a
lattice in a subspace), plus a little Gaussian noise. The recovered AffineMachine is
then run on fresh input sequences, also 5x longer than the trace's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest

from mips.extract.lattice import LatticeConfig, extract_lattice
from mips.machines import AffineMachine
from mips.network.trace import Trace
from mips.regress.affine import fit_affine_machine

# Noise, as a fraction of the shortest basis vector, used by the plant-and-recover tests.
# (Larger noise is test_recovers_lattice_with_noise_1e-3_of_the_spacing, which fails.)
NOISE = 1e-5
SEQUENCES = 100
LENGTH = 10


@dataclass(frozen=True)
class Structure:
    """An integer recurrence s <- step(s, x) from s = 0, with outputs readout(s)."""

    state_dim: int
    input_dim: int
    values: tuple[int, ...]
    step: Callable[[tuple, tuple], tuple]
    readout: Callable[[tuple], tuple]

    def run(self, inputs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """inputs [N, T, D] -> states [N, T, m] after each step, outputs [N, T, O]."""
        n, t, _ = inputs.shape
        states, outputs = [], []
        for xs in inputs.tolist():
            s = (0,) * self.state_dim
            row_s, row_y = [], []
            for x in xs:
                s = self.step(s, tuple(x))
                row_s.append(s)
                row_y.append(self.readout(s))
            states.append(row_s)
            outputs.append(row_y)
        return np.array(states, dtype=np.int64).reshape(n, t, -1), np.array(outputs, dtype=np.int64).reshape(n, t, -1)

    def draw(self, rng: np.random.Generator, sequences: int, length: int) -> np.ndarray:
        return rng.choice(np.array(self.values), size=(sequences, length, self.input_dim))


STRUCTURES = {
    # s <- s + x, y = s
    "counter": Structure(1, 1, tuple(range(10)), lambda s, x: (s[0] + x[0],), lambda s: (s[0],)),
    # (s0, s1) <- (x, s0), y = s1: the previous input
    "delay-line": Structure(2, 1, tuple(range(100)), lambda s, x: (x[0], s[0]), lambda s: (s[1],)),
    # v <- v + x, p <- p + v, y = (p, v): two outputs per step
    "position-velocity": Structure(
        2, 1, tuple(range(-3, 4)), lambda s, x: (s[0] + x[0], s[1] + s[0] + x[0]), lambda s: (s[1], s[0])
    ),
    # two numbers per step: s <- s + x0 - 2 x1, y = 3 s + 1
    "difference": Structure(1, 2, tuple(range(5)), lambda s, x: (s[0] + x[0] - 2 * x[1],), lambda s: (3 * s[0] + 1,)),
}


@dataclass
class Planted:
    structure: Structure
    trace: Trace
    basis: np.ndarray  # [m, n]
    states: np.ndarray  # [N, T, m]


def plant(
    structure: Structure,
    rng: np.random.Generator,
    *,
    hidden: int,
    basis: np.ndarray | None = None,
    noise: float = NOISE,
    sequences: int = SEQUENCES,
    length: int = LENGTH,
) -> Planted:
    m = structure.state_dim
    if basis is None:
        basis = rng.normal(size=(m, hidden))
    assert np.linalg.matrix_rank(basis) == m
    inputs = structure.draw(rng, sequences, length)
    states, outputs = structure.run(inputs)
    origin = rng.normal(size=hidden) * 3
    spacing = np.linalg.norm(basis, axis=1).min()
    h = origin + states @ basis + rng.normal(scale=noise * spacing, size=states.shape[:2] + (hidden,))
    h0 = np.broadcast_to(rng.normal(size=hidden) * 10, (sequences, 1, hidden))  # any vector at all
    trace = Trace(inputs.astype(np.int64), np.concatenate([h0, h], axis=1), outputs)
    return Planted(structure, trace, basis, states)


def as_steps(inputs: np.ndarray) -> list[list]:
    """[N, T, D] -> the calling convention: ints for one number per step, tuples otherwise."""
    if inputs.shape[-1] == 1:
        return inputs[..., 0].tolist()
    return [[tuple(step) for step in seq] for seq in inputs.tolist()]


def as_outputs(outputs: np.ndarray) -> list[list]:
    if outputs.shape[-1] == 1:
        return outputs[..., 0].tolist()
    return [[tuple(step) for step in seq] for seq in outputs.tolist()]


def assert_reproduces(machine: AffineMachine, structure: Structure, rng: np.random.Generator):
    """The machine gives the planted outputs on fresh inputs, at the trace's length and 5x it."""
    for length, count in ((LENGTH, 20), (5 * LENGTH, 10), (1, 5)):
        inputs = structure.draw(rng, count, length)
        _, expected = structure.run(inputs)
        for xs, ys in zip(as_steps(inputs), as_outputs(expected)):
            got = machine.run(xs)
            assert got == ys, f"on inputs {xs}: machine gives {got}, planted {ys}"


def recover(planted: Planted, rng: np.random.Generator):
    lattice = extract_lattice(planted.trace)
    assert lattice.found, lattice.reason
    assert lattice.basis.shape == (planted.structure.state_dim, planted.trace.hidden.shape[-1])
    assert lattice.states.shape == planted.states.shape
    fit = fit_affine_machine(lattice, planted.trace)
    assert fit.machine is not None, f"lattice: {lattice.reason}; regression: {fit.reason}"
    assert fit.machine.state_dim == planted.structure.state_dim
    assert_reproduces(fit.machine, planted.structure, rng)
    return lattice, fit


# ---------------------------------------------------------------------------
# Plant and recover: several structures, seeds and hidden sizes (n > m included)
# ---------------------------------------------------------------------------


def cases():
    for name, structure in STRUCTURES.items():
        m = structure.state_dim
        for seed, hidden in enumerate((m, m + 1, 6, m + 2)):
            yield pytest.param(name, seed, hidden, id=f"{name}-seed{seed}-m{m}-n{hidden}")


@pytest.mark.parametrize("name, seed, hidden", list(cases()))
def test_recovers_planted_lattice(name, seed, hidden):
    rng = np.random.default_rng(seed)
    planted = plant(STRUCTURES[name], rng, hidden=hidden)
    lattice, _ = recover(planted, rng)
    assert lattice.error <= 0.05, lattice.reason  # noise of 1e-5 should stay far from the 0.15 limit


def test_recovers_delay_line_whatever_coordinates_extraction_picks():
    rng = np.random.default_rng(4)
    recover(plant(STRUCTURES["delay-line"], rng, hidden=2), rng)


def test_lattice_coordinates_are_an_affine_unimodular_image_of_the_planted_states():
    rng = np.random.default_rng(11)
    planted = plant(STRUCTURES["position-velocity"], rng, hidden=4)
    lattice = extract_lattice(planted.trace)
    assert lattice.found, lattice.reason
    k = planted.states.reshape(-1, 2)
    s = lattice.states.reshape(-1, 2)
    design = np.concatenate([k, np.ones((len(k), 1))], axis=1)
    solution, *_ = np.linalg.lstsq(design, s.astype(np.float64), rcond=None)
    assert np.allclose(design @ solution, s, atol=1e-6), "extracted states are not affine in the planted ones"
    transform = np.round(solution[:2]).astype(np.int64)
    assert abs(round(np.linalg.det(transform))) == 1, f"not unimodular: {transform.tolist()}"
    # coordinates() maps hidden states back to (real) lattice coordinates
    real = lattice.coordinates(planted.trace.hidden[:, 1:])
    assert np.abs(real - lattice.states).max() <= 0.05


def test_initial_hidden_state_is_ignored():
    """h_0 different in every sequence and far off the lattice: extraction reads h_1..h_T only."""
    rng = np.random.default_rng(5)
    planted = plant(STRUCTURES["counter"], rng, hidden=3)
    trace = planted.trace
    hidden = trace.hidden.copy()
    hidden[:, 0] = rng.normal(size=(trace.sequences, 3)) * 1000
    planted.trace = Trace(trace.inputs, hidden, trace.outputs)
    recover(planted, rng)


@pytest.mark.parametrize("scale", [1e-4, 1e4], ids=["spacing-1e-4", "spacing-1e4"])
def test_recovery_does_not_depend_on_the_scale_of_hidden_space(scale):
    rng = np.random.default_rng(8)
    basis = scale * np.array([[1.0, 0.3, -0.2], [-0.4, 1.0, 0.5]])
    recover(plant(STRUCTURES["delay-line"], rng, hidden=3, basis=basis), rng)


@pytest.mark.parametrize(
    "basis",
    [
        np.array([[1.0, 0.0], [0.0, 10.0]]),
        np.array([[1.0, 0.0], [0.0, 0.1]]),
        np.array([[1.0, 0.0, 0.0, 0.0, 0.0], [0.7, 0.7, 0.0, 0.0, 0.0]]),
    ],
    ids=["lengths-1-and-10", "lengths-1-and-0.1", "60-degrees-in-5d"],
)
def test_recovers_lattice_with_unequal_or_oblique_basis(basis):
    rng = np.random.default_rng(9)
    recover(plant(STRUCTURES["position-velocity"], rng, hidden=basis.shape[1], basis=basis), rng)


def test_recovers_lattice_with_skewed_basis():
    rng = np.random.default_rng(1)
    basis = np.array([[1.0, 0.0], [0.95, 0.05]])
    recover(plant(STRUCTURES["position-velocity"], rng, hidden=2, basis=basis), rng)


@pytest.mark.parametrize("seed", [1], ids=lambda s: f"seed{s}")
def test_recovers_lattice_with_skewed_basis_without_noise(seed):
    """The same skewed lattice is found when the states are exact: the failure above is the noise handling."""
    rng = np.random.default_rng(seed)
    basis = np.array([[1.0, 0.0], [0.95, 0.05]])
    recover(plant(STRUCTURES["position-velocity"], rng, hidden=2, basis=basis, noise=0.0), rng)


@pytest.mark.parametrize("name", ["counter", "position-velocity"])
def test_recovers_lattice_with_noise_1e_3_of_the_spacing(name):
    rng = np.random.default_rng(0)
    recover(plant(STRUCTURES[name], rng, hidden=3, noise=1e-3), rng)


# ---------------------------------------------------------------------------
# Not a lattice; a single point
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("hidden", [1, 2, 5], ids=lambda n: f"n{n}")
def test_random_continuous_states_are_not_a_lattice(hidden):
    rng = np.random.default_rng(hidden)
    trace = Trace(
        rng.integers(0, 3, size=(200, 10, 1)),
        rng.uniform(-1, 1, size=(200, 11, hidden)),
        rng.integers(0, 3, size=(200, 10, 1)),
    )
    lattice = extract_lattice(trace)
    assert not lattice.found
    assert lattice.basis is None and lattice.states is None
    assert isinstance(lattice.reason, str) and lattice.reason
    fit = fit_affine_machine(lattice, trace)
    assert fit.machine is None and fit.reason == "no lattice"


def constant_trace() -> Trace:
    rng = np.random.default_rng(0)
    hidden = np.broadcast_to(np.array([0.5, -1.0, 2.0]), (50, 7, 3)).copy()
    hidden[:, 0] = 0.0  # h_0 elsewhere
    return Trace(rng.integers(0, 4, size=(50, 6, 1)), hidden, np.full((50, 6, 1), 3, dtype=np.int64))


def test_one_point_is_a_zero_dimensional_lattice():
    lattice = extract_lattice(constant_trace())
    assert lattice.found
    assert lattice.basis.shape == (0, 3)
    assert lattice.states.shape == (50, 6, 0)
    assert "one point" in lattice.reason


def test_one_point_gives_a_constant_machine():
    trace = constant_trace()
    fit = fit_affine_machine(extract_lattice(trace), trace)
    assert fit.machine is not None, fit.reason
    assert fit.machine.run([1, 2, 3]) == [3, 3, 3]


@pytest.mark.parametrize(
    "kwargs",
    [{"integrality": 0.0}, {"integrality": 0.5}, {"max_denominator": 0}, {"neighbours": 0}],
    ids=["integrality-0", "integrality-0.5", "max_denominator-0", "neighbours-0"],
)
def test_lattice_config_validates(kwargs):
    with pytest.raises(ValueError):
        LatticeConfig(**kwargs)


def test_a_refit_that_would_collapse_the_basis_keeps_the_last_full_one():
    # States on the line x + y = 1, whose rounded coordinates still span the plane: the
    # least-squares basis through them is singular (this crashed a benchmark run with
    # "Singular matrix"); the refit keeps the basis it had.
    from mips.extract.lattice import _refit

    points = np.array([(0, 1), (1, 0), (0.4, 0.6), (0.6, 0.4), (0.5, 0.5), (3, -2)], float)
    shift, basis = _refit(points, np.eye(2))
    np.testing.assert_array_equal(basis, np.eye(2))
    np.testing.assert_array_equal(shift, np.zeros(2))


def test_states_in_a_cloud_are_reported_as_no_lattice():
    rng = np.random.default_rng(0)
    hidden = rng.normal(size=(64, 11, 3))
    trace = Trace(rng.integers(0, 2, size=(64, 10, 1)), hidden, np.zeros((64, 10, 1), np.int64))
    result = extract_lattice(trace)
    assert result.basis is None and result.states is None
    assert "lattice" in result.reason or "candidate" in result.reason
