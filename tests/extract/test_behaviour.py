"""Plant-and-recover with the network as the oracle: hand-built networks (no training)
whose hidden state is a known structure, read back by probing the network.

- A counter read out through a ReLU sawtooth: the hidden state is the count of ones,
  the output its parity. The states of one parity lie far apart (0, 2, 4, ...), so
  only their behaviour says they are one state; `extract_fsm_by_behaviour` must give
  the 2-state parity machine.
- A linear delay line of the last k inputs (values 0..99) in a random basis: states
  are sparse in k dimensions, so nearest neighbours are not lattice steps; the lattice
  must be found from `input_nudges`, and the fitted machine must compute the sum of
  the last k inputs, also on sequences 5x longer.
"""

from __future__ import annotations

import numpy as np
import pytest

from mips.extract.behaviour import BehaviourConfig, extract_fsm_by_behaviour, input_nudges, signatures
from mips.extract.lattice import extract_lattice
from mips.machines import StateMachine
from mips.network.model import Arch, Encoding, Head, Network
from mips.network.trace import Trace
from mips.regress.affine import RegressConfig, fit_affine_machine

LENGTH = 10


def _trace(network: Network, inputs: np.ndarray) -> Trace:
    hidden, outputs = network.run(inputs)
    return Trace(inputs, np.concatenate([np.zeros_like(hidden[:, :1]), hidden], axis=1), outputs)


def _parity_of_count_network(width: int = 16) -> Network:
    """h <- h + x over bits; output class 1 when h is odd, through a ReLU sawtooth in g."""
    encoding = Encoding(1, (0, 1), 1.0, True, (Head("classes", values=(0, 1)),))
    f_kernel = np.array([[1.0], [1.0], [0.0], [0.0]], dtype=np.float32)  # [h, x, x==0, x==1]
    g0_kernel = np.ones((1, width), dtype=np.float32)
    g0_bias = -np.arange(width, dtype=np.float32)  # unit k: relu(h - k)
    # logit(1) = -1/2 + relu(h) - 2 relu(h-1) + 2 relu(h-2) - ...: +1/2 at odd h, -1/2 at even h.
    g1_kernel = np.zeros((width, 2), dtype=np.float32)
    g1_kernel[0, 1] = 1.0
    g1_kernel[1:, 1] = [2.0 * (-1) ** k for k in range(1, width)]
    params = {
        "f": {"Dense_0": {"kernel": f_kernel, "bias": np.zeros(1, np.float32)}},
        "g": {
            "Dense_0": {"kernel": g0_kernel, "bias": g0_bias},
            "Dense_1": {"kernel": g1_kernel, "bias": np.array([0.0, -0.5], np.float32)},
        },
    }
    return Network(Arch(1, 1, 2, width), encoding, params)


def test_the_planted_counter_network_computes_parity():
    network = _parity_of_count_network()
    inputs = np.random.default_rng(0).integers(0, 2, size=(50, LENGTH, 1))
    _, outputs = network.run(inputs)
    assert np.array_equal(outputs[..., 0], np.cumsum(inputs[..., 0], axis=1) % 2)


def test_signatures_group_far_apart_states_that_behave_alike():
    network = _parity_of_count_network()
    inputs = np.random.default_rng(1).integers(0, 2, size=(20, 4, 1))
    hidden = np.arange(8, dtype=np.float64)[:, None]  # counts 0..7
    rows = signatures(network, hidden, inputs)
    assert all(np.array_equal(rows[a], rows[b]) for a in range(8) for b in range(8) if (a - b) % 2 == 0)
    assert not np.array_equal(rows[0], rows[1])


@pytest.mark.parametrize("seed", range(3))
def test_behaviour_recovers_the_parity_machine_from_a_counter(seed):
    network = _parity_of_count_network()
    inputs = np.random.default_rng(seed).integers(0, 2, size=(300, LENGTH, 1))
    result = extract_fsm_by_behaviour(network, _trace(network, inputs), BehaviourConfig(), seed=seed)
    machine = result.merged if result.merged is not None and not result.machine.complete else result.machine
    assert isinstance(machine, StateMachine) and machine.states == 2 and machine.complete, result.reason
    fresh = np.random.default_rng(100 + seed).integers(0, 2, size=(50, 5 * LENGTH))
    for row in fresh:
        assert machine.run([int(x) for x in row]) == [int(v) for v in np.cumsum(row) % 2]


def test_too_many_behaviours_is_reported_not_forced():
    network = _parity_of_count_network()
    inputs = np.random.default_rng(0).integers(0, 2, size=(100, LENGTH, 1))
    result = extract_fsm_by_behaviour(network, _trace(network, inputs), BehaviourConfig(max_groups=1))
    assert result.machine is None and "more than 1" in result.reason


def _delay_line_network(k: int, rng: np.random.Generator) -> tuple[Network, np.ndarray]:
    """h holds (x_t, ..., x_{t-k+1}) in a random basis P: h <- P S P^-1 h + P e_1 x;
    output the sum of the last k inputs (a linear regression head)."""
    scale = 99.0  # inputs 0..99 are fed as x / 99
    encoding = Encoding(1, tuple(range(100)), scale, False, (Head("regression", scale=99.0 * k),))
    shift = np.eye(k, k=-1)
    # A random rotation times random scales (condition number at most 15), then a random skew.
    rotation, _ = np.linalg.qr(rng.normal(size=(k, k)))
    basis = rotation @ np.diag(rng.uniform(0.2, 3.0, size=k)) @ (np.eye(k) + 0.3 * np.triu(rng.normal(size=(k, k)), 1))
    inverse = np.linalg.inv(basis)
    recurrent = basis @ shift @ inverse
    f_kernel = np.concatenate([recurrent.T, (basis[:, 0] * scale)[None, :]], axis=0)
    readout = np.ones(k) @ inverse / (99.0 * k)
    params = {
        "f": {"Dense_0": {"kernel": f_kernel.astype(np.float32), "bias": np.zeros(k, np.float32)}},
        "g": {"Dense_0": {"kernel": readout[:, None].astype(np.float32), "bias": np.zeros(1, np.float32)}},
    }
    return Network(Arch(k, 1, 1, 16), encoding, params), basis


@pytest.mark.parametrize("k,seed", [(3, 0), (5, 1), (5, 2), (6, 3)])
def test_nudges_recover_a_sparse_delay_line_lattice(k, seed):
    rng = np.random.default_rng(seed)
    network, _ = _delay_line_network(k, rng)
    inputs = rng.integers(0, 100, size=(1000, 2 * k, 1))
    trace = _trace(network, inputs)
    expected = np.array([[sum(row[max(0, t - k + 1) : t + 1]) for t in range(len(row))] for row in inputs[..., 0]])
    assert np.array_equal(trace.outputs[..., 0], expected)  # the planted network is right
    nudges = input_nudges(network, inputs, seed=seed)
    lattice = extract_lattice(trace, nudges=nudges)
    assert lattice.found and lattice.basis.shape[0] == k and "nudges" in lattice.reason, lattice.reason
    fit = fit_affine_machine(lattice, trace, RegressConfig())
    assert fit.machine is not None, fit.reason
    for row in rng.integers(0, 100, size=(30, 10 * k)):
        want = [sum(row[max(0, t - k + 1) : t + 1]) for t in range(len(row))]
        assert fit.machine.run([int(x) for x in row]) == [int(v) for v in want]


def test_nudges_are_lattice_steps_of_the_planted_line():
    rng = np.random.default_rng(7)
    network, basis = _delay_line_network(3, rng)
    inputs = rng.integers(0, 100, size=(50, 6, 1))
    nudges = input_nudges(network, inputs, sequences=50)
    assert nudges.shape == (50 * (6 + 5 + 4 + 3 + 2 + 1), 3)  # a change at step t is seen from t on
    # In the planted coordinates every nudge moves one stored input to the next value
    # seen (an integer step), or nothing once that input has left the line.
    moves = nudges @ np.linalg.inv(basis).T
    assert np.allclose(moves, np.round(moves), atol=1e-3)
    assert set(np.count_nonzero(np.round(moves), axis=1)) == {0, 1}


def test_a_transition_the_data_never_shows_is_asked_of_the_network():
    network = _parity_of_count_network()
    # Every sequence is 1 then 0s: the odd state never reads a 1 in the data.
    inputs = np.zeros((200, LENGTH, 1), dtype=np.int64)
    inputs[:, 0] = 1
    result = extract_fsm_by_behaviour(network, _trace(network, inputs), BehaviourConfig())
    assert "asked of the network" in result.reason
    machine = result.machine
    assert machine.complete and machine.states == 2, result.reason
    for row in np.random.default_rng(9).integers(0, 2, size=(30, 3 * LENGTH)):
        assert machine.run([int(x) for x in row]) == [int(v) for v in np.cumsum(row) % 2]


def test_rare_behaviour_groups_join_the_nearest_common_one():
    from mips.extract.behaviour import _rare_groups_joined

    a, b = [0, 1, 1, 0, 1], [1, 0, 0, 1, 1]
    slip = [0, 1, 1, 1, 1]  # like a, one probe output differs
    other_now = [1, 1, 1, 0, 1]  # nearest to a, but a different output now: may not join a
    rows = np.array([a, b, slip, other_now])
    labels = _rare_groups_joined(rows, np.array([500, 500, 1, 1]), outputs=1, rare=0.01)
    assert labels[2] == labels[0] and labels[0] != labels[1]
    assert labels[3] == labels[1]  # the only common group with output 1 now


def test_the_lattice_in_what_the_network_will_say_sees_a_delay_longer_than_the_default_probes():
    """A sum of the last 7 inputs: its state shows in full only along 7 steps of outputs, more
    than the default probe length of 5; the probes grow with the hidden size."""
    from mips.extract.behaviour import BehaviourConfig, extract_lattice_by_behaviour

    rng = np.random.default_rng(4)
    network, _ = _delay_line_network(7, rng)
    inputs = rng.integers(0, 100, size=(600, 20, 1))
    trace = _trace(network, inputs)
    lattice, observed = extract_lattice_by_behaviour(network, trace, config=BehaviourConfig(probes=8), seed=0)
    assert lattice.found and lattice.basis.shape[0] == 7, lattice.reason
    fit = fit_affine_machine(lattice, observed, RegressConfig())
    assert fit.machine is not None, fit.reason
    row = [int(v) for v in rng.integers(0, 100, size=60)]
    assert fit.machine.run(row) == [sum(row[max(0, t - 6) : t + 1]) for t in range(len(row))]


def test_probes_start_with_every_input_symbol():
    from mips.extract.behaviour import BehaviourConfig, probe_inputs

    inputs = np.random.default_rng(0).integers(0, 40, size=(50, 10, 1))
    trace = Trace(inputs, np.zeros((50, 11, 1)), inputs)
    probes = probe_inputs(trace, BehaviourConfig(probes=32), seed=0)
    assert len(probes) == 40  # one per symbol: there are more symbols than probes
    assert sorted(probes[:, 0, 0].tolist()) == sorted(np.unique(inputs).tolist())
    few = probe_inputs(trace, BehaviourConfig(probes=32, max_first_symbols=8), seed=0)
    assert len(few) == 32  # too many symbols to go through: random windows only


def test_many_small_groups_of_a_large_machine_are_no_slips():
    from mips.extract.behaviour import _rare_groups_joined

    rows = np.stack([np.zeros(200, np.int64), np.arange(200)], axis=1)  # the same output now, 200 futures
    weight = np.r_[np.full(150, 5), np.full(50, 40)]  # 150 groups under 1% of the states, none far below
    labels = _rare_groups_joined(rows, weight, outputs=1, rare=0.01)
    assert len(np.unique(labels)) == 200
    weight = weight.astype(float)
    weight[0] = 0.1  # far below a typical group: a slip, joined to the nearest common one
    assert len(np.unique(_rare_groups_joined(rows, weight, outputs=1, rare=0.01))) == 199
