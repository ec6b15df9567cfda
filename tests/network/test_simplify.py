"""Simplify: each normal form keeps the network's outputs, and is kept only when it does."""

import numpy as np
import pytest

from mips.data import Sequences, TaskData
from mips.network import simplify as simplify_module
from mips.network.model import Arch, Encoding, Head, Network
from mips.network.simplify import (
    SimplifyConfig,
    change_basis,
    hidden_states,
    predict,
    recurrent_weights_simple,
    simple_value,
    simplify,
)

ENCODING = Encoding(
    input_dim=1, input_values=tuple(range(10)), input_scale=9.0, one_hot=False, heads=(Head("regression", scale=9.0),)
)
SKEW = np.array([[1.0, 1.0], [0.0, 1.0]])  # the delay line's state (x_t, x_{t-1}) seen through this


def _layer(kernel, bias):
    return {"kernel": np.asarray(kernel, np.float32), "bias": np.asarray(bias, np.float32)}


def delay_line(extra_unit: bool = False) -> Network:
    """A linear network whose output is the previous input, with its state (x_t, x_{t-1}) in
    feature units written in a skewed basis (h = s @ SKEW); optionally a third unit that
    holds x_t and is read by nothing."""
    shift = np.array([[0.0, 1.0], [0.0, 0.0]])  # s' = (x, s0)
    inverse = np.linalg.inv(SKEW)
    transition = inverse @ shift @ SKEW
    drive = np.array([1.0, 0.0]) @ SKEW
    readout = inverse @ np.array([[0.0], [1.0]])
    if extra_unit:
        transition = np.pad(transition, ((0, 1), (0, 1)))
        drive = np.append(drive, 1.0)
        readout = np.vstack([readout, [[0.0]]])
    n = len(transition)
    f = {"Dense_0": _layer(np.vstack([transition, drive[None]]), np.zeros(n))}
    g = {"Dense_0": _layer(readout, np.zeros(1))}
    return Network(Arch(n, 1, 1, 16), ENCODING, {"f": f, "g": g})


def delay_data(sequences=256, length=8, seed=0) -> TaskData:
    rng = np.random.default_rng(seed)

    def make():
        x = rng.integers(0, 10, size=(sequences, length, 1))
        y = np.concatenate([np.zeros_like(x[:, :1]), x[:, :-1]], axis=1)
        return Sequences(x, y)

    return TaskData(make(), make())


def test_the_hand_built_network_is_right_to_begin_with():
    data = delay_data()
    assert np.array_equal(delay_line().run(data.heldout.inputs)[1], data.heldout.outputs)
    assert np.array_equal(predict(delay_line(), data.heldout.inputs), data.heldout.outputs)  # numpy, float64


def test_a_change_of_basis_keeps_the_outputs_and_moves_the_states():
    network, inputs = delay_line(), delay_data().train.inputs[:32]
    basis = np.array([[2.0, 0.5], [-1.0, 3.0]])
    moved = change_basis(network, basis)
    assert np.array_equal(predict(moved, inputs), predict(network, inputs))
    np.testing.assert_allclose(hidden_states(moved, inputs) @ basis, hidden_states(network, inputs), atol=1e-9)


def test_a_linear_network_is_put_in_its_input_history_basis_and_rounded():
    data = delay_data()
    result = simplify(delay_line(), data)
    assert "basis" in result.kept
    kernel = result.network.params["f"]["Dense_0"]["kernel"]
    # In input units: h0 = x_t, h1 = x_{t-1}; the transition is the shift, the input enters h0 only.
    np.testing.assert_allclose(kernel, [[0, 1], [0, 0], [9, 0]], atol=1e-6)
    states = hidden_states(result.network, data.train.inputs[:16])
    np.testing.assert_allclose(states[..., 0], data.train.inputs[:16, :, 0], atol=1e-5)
    assert recurrent_weights_simple(result.network)
    # The simplified network runs on its own (float32, JAX) and agrees with the trained one.
    assert np.array_equal(result.network.run(data.heldout.inputs)[1], delay_line().run(data.heldout.inputs)[1])


def test_a_unit_that_does_nothing_is_removed():
    data = delay_data()
    result = simplify(delay_line(extra_unit=True), data, SimplifyConfig(basis=False, rounding=False))
    assert result.kept == ("units",)
    assert result.network.arch.hidden == 2
    assert np.array_equal(result.network.run(data.heldout.inputs)[1], data.heldout.outputs)


def test_nothing_is_kept_that_changes_an_output():
    data = delay_data()
    network = delay_line()
    result = simplify(network, data)
    assert "units" not in result.kept  # both units are needed
    units = next(s for s in result.steps if s["step"] == "units")
    assert "needed" in units["detail"]
    # A network that is not perfect is left alone, and says so.
    wrong = TaskData(data.train, Sequences(data.heldout.inputs, data.heldout.outputs + 1))
    left = simplify(network, wrong)
    assert left.network is network and not left.kept


def test_switched_off_simplify_returns_the_network_itself():
    network = delay_line()
    result = simplify(network, delay_data(), SimplifyConfig(enabled=False))
    assert result.network is network and result.steps == ()


def test_weights_close_to_simple_values_are_rounded():
    network = delay_line()
    params = {
        part: {k: {n: v.copy() for n, v in layer.items()} for k, layer in layers.items()}
        for part, layers in network.params.items()
    }
    params["f"]["Dense_0"]["kernel"] = params["f"]["Dense_0"]["kernel"] * np.float32(1.003)  # a little off
    result = simplify(
        Network(network.arch, network.encoding, params), delay_data(), SimplifyConfig(basis=False, units=False)
    )
    assert result.kept == ("rounding",)
    assert recurrent_weights_simple(result.network)


@pytest.mark.parametrize(
    "value, expected", [(1.004, 1.0), (-0.499, -0.5), (0.3336, 1 / 3), (0.0, 0.0), (0.43, None), (2.95, None)]
)
def test_simple_values_are_integers_and_small_fractions(value, expected):
    found = simple_value(value)
    assert (found is None) if expected is None else found == pytest.approx(expected)


def _relu_readout(network: Network, idle: int) -> Network:
    """The delay line read out through a hidden layer of 2 + `idle` relu units: relu(v) - relu(-v)
    (the second is never active either, the output being at least 0), and units whose bias keeps
    them off on every input, with outgoing weights that would change the output if they fired."""
    readout = network.params["g"]["Dense_0"]["kernel"][:, 0]
    n, width = network.arch.hidden, 2 + idle
    into = np.zeros((n, width))
    into[:, 0], into[:, 1] = readout, -readout
    bias = np.r_[0.0, 0.0, np.full(idle, -100.0)]
    out = np.r_[1.0, -1.0, np.full(idle, 5.0)][:, None]
    g = {"Dense_0": _layer(into, bias), "Dense_1": _layer(out, np.zeros(1))}
    return Network(Arch(n, 1, 2, width), ENCODING, {"f": network.params["f"], "g": g})


def test_relu_units_are_switched_off_in_growing_blocks(monkeypatch):
    data = delay_data()
    network = _relu_readout(delay_line(), idle=6)
    assert np.array_equal(predict(network, data.heldout.inputs), data.heldout.outputs)
    trials = []
    original = simplify_module._Judge.perfect
    monkeypatch.setattr(simplify_module._Judge, "perfect", lambda self, n: trials.append(n) or original(self, n))
    result = simplify(network, data, SimplifyConfig(units=False, basis=False, rounding=False))
    assert result.kept == ("relu units",)
    assert result.steps[0]["detail"] == "7 of 8 relu units switched off (weights zero)"
    assert len(trials) == 4  # blocks of 1, 2 and 4 idle units, then the one that carries the output
    kernel = result.network.params["g"]["Dense_1"]["kernel"][:, 0]
    assert kernel.tolist() == [1.0] + [0.0] * 7
    assert np.array_equal(result.network.run(data.heldout.inputs)[1], data.heldout.outputs)
