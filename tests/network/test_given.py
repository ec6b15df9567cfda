"""Networks mips did not train: hand-built PyTorch-shaped networks (nn.RNN with relu or tanh,
nn.GRU, a given start state, one-hot inputs, argmax readouts) and Python objects, read into
verified programs; every misfit caught before any work, in one line."""

from __future__ import annotations

import re

import numpy as np
import pytest

from mips.data import DataConfig
from mips.errors import NetworkError
from mips.network.given import GivenNetwork, load_torch
from mips.network.trace import trace_network
from mips.pipeline import PipelineConfig, read_given
from mips.task import define_task
from mips.verify import VerifyConfig, load_program

FAST = PipelineConfig(
    data=DataConfig(train_sequences=1024, heldout_sequences=256),
    verify=VerifyConfig(sequences=2000, long_sequences=200),
    extract_sequences=512,
)


def _running(op, start=0):
    def reference(inputs):
        out, state = [], start
        for x in inputs:
            state = op(state, x)
            out.append(state)
        return out

    return reference


SUM = define_task(name="sum", input_dim=1, length=10, input_values=range(4), reference=_running(lambda s, x: s + x))
SUM_FROM_5 = define_task(
    name="sum5", input_dim=1, length=10, input_values=range(4), reference=_running(lambda s, x: s + x, 5)
)
PARITY = define_task(name="par", input_dim=1, length=10, input_values=(0, 1), reference=_running(lambda s, x: s ^ x))
SEEN_ONE = define_task(name="any", input_dim=1, length=10, input_values=(0, 1), reference=_running(max))


def _save(path, **arrays):
    np.savez(path, **arrays)
    return path


def _sum_network(tmp_path, h0=None):
    """A linear running sum: h' = relu(h + x), read as round(h) (with a module prefix, as a
    PyTorch model holding `self.rnn = nn.RNN(...)` saves it)."""
    arrays = {
        "rnn.weight_ih_l0": [[1.0]],
        "rnn.weight_hh_l0": [[1.0]],
        "rnn.bias_ih_l0": [0.0],
        "rnn.bias_hh_l0": [0.0],
        "fc.weight": [[1.0]],
        "fc.bias": [0.0],
    }
    if h0 is not None:
        arrays["h0"] = np.asarray(h0, dtype=np.float32).reshape(1, 1, -1)  # nn.RNN's h0 shape
    return _save(tmp_path / "sum.npz", **arrays)


def _parity_network(tmp_path):
    """Two relu units, u1 = relu(p - x) and u2 = relu(x - p) with p = u1 + u2 the parity so far
    (p XOR x is not linear in (p, x), but each unit is); read by argmax over (0, 1)."""
    return _save(
        tmp_path / "parity.npz",
        weight_ih_l0=[[-1.0], [1.0]],
        weight_hh_l0=[[1.0, 1.0], [-1.0, -1.0]],
        bias_ih_l0=[0.0, 0.0],
        bias_hh_l0=[0.0, 0.0],
        **{"fc.weight": [[-1.0, -1.0], [1.0, 1.0]], "fc.bias": [0.5, -0.5]},
    )


def _seen_one_rnn(tmp_path):
    """tanh, one-hot inputs: h' = tanh(6h - 3 + 12 [x = 1]) stays near -1 until a 1, then near +1."""
    return _save(
        tmp_path / "seen_one.npz",
        weight_ih_l0=[[-3.0, 9.0]],
        weight_hh_l0=[[6.0]],
        bias_ih_l0=[0.0],
        bias_hh_l0=[0.0],
        **{"fc.weight": [[0.5]], "fc.bias": [0.5]},
    )


def _seen_one_gru(tmp_path):
    """nn.GRU with its update gate shut (z = sigmoid(-30)) and reset open (r = sigmoid(30)):
    h' = n = tanh(12 x - 3 + 6 h), the tanh network above in PyTorch's GRU layout (r, z, n)."""
    return _save(
        tmp_path / "gru.npz",
        weight_ih_l0=[[0.0], [0.0], [12.0]],
        weight_hh_l0=[[0.0], [0.0], [6.0]],
        bias_ih_l0=[30.0, -30.0, -3.0],
        bias_hh_l0=[0.0, 0.0, 0.0],
        **{"fc.weight": [[0.5]], "fc.bias": [0.5]},
    )


def _load(path, task, **options):
    return load_torch(
        path, input_dim=task.input_dim, input_values=task.input_values, output_dim=task.output_dim, **options
    )


def _verified_program(network, task):
    result = read_given(network, task, FAST)
    assert result.verdict.verified, result.verdict.summary()
    program = load_program(result.program)
    for inputs in ([], [1, 0, 1, 1], [1] * 60):  # past the training length too
        assert program(inputs) == task.run_reference(inputs)
    return result


def test_a_linear_running_sum_network_gives_the_running_sum(tmp_path):
    result = _verified_program(_load(_sum_network(tmp_path), SUM, activation="relu"), SUM)
    assert "total + x" in result.program
    assert result.given["heldout_right"] == result.given["heldout_outputs"] > 0
    assert result.read == "given" and result.network is None


def test_a_given_start_state_is_the_programs_start(tmp_path):
    network = _load(_sum_network(tmp_path, h0=[5.0]), SUM_FROM_5, activation="relu")
    assert network.start.tolist() == [5.0]
    assert trace_network(network, np.zeros((3, 4, 1), dtype=np.int64)).hidden[:, 0].tolist() == [[5.0]] * 3
    _verified_program(network, SUM_FROM_5)


def test_a_two_state_parity_network_read_by_argmax_gives_parity(tmp_path):
    network = _load(_parity_network(tmp_path), PARITY, activation="relu", outputs="argmax", output_values=(0, 1))
    result = _verified_program(network, PARITY)
    assert result.chosen.machine.kind in ("fsm", "formula")


@pytest.mark.parametrize(
    "make, options", [(_seen_one_rnn, {"inputs": "one-hot"}), (_seen_one_gru, {})], ids=["rnn-tanh-one-hot", "gru"]
)
def test_tanh_and_gru_networks_that_remember_a_one(tmp_path, make, options):
    network = _load(make(tmp_path), SEEN_ONE, **options)
    _verified_program(network, SEEN_ONE)


def test_the_same_weights_with_another_activation_are_read_and_not_verified(tmp_path):
    # The parity weights under tanh compute something else: a result, not an error.
    network = _load(_parity_network(tmp_path), PARITY, outputs="argmax", output_values=(0, 1))
    result = read_given(network, PARITY, FAST)
    assert not result.verdict.verified
    assert result.given["heldout_right"] < result.given["heldout_outputs"]


class _Counter:
    """A Python object network: a running sum scaled by 3, read back by division."""

    hidden_size = 1

    def step(self, hidden, inputs):
        return hidden + 3.0 * inputs[:, :1]

    def readout(self, hidden):
        return np.round(hidden[:, 0] / 3.0)


def test_any_object_with_step_and_readout_is_read():
    result = _verified_program(GivenNetwork.wrap(_Counter(), output_dim=1), SUM)
    assert result.given["kind"] == "python object"


@pytest.mark.parametrize(
    "arrays, options, message",
    [
        ({"weight_hh_l0": [[1.0]]}, {}, "no array named weight_ih_l0"),
        ({"weight_ih_l0": [[1.0]] * 4, "weight_hh_l0": [[1.0]] * 4, "fc.weight": [[1.0]]}, {}, "LSTM"),
        (
            {"weight_ih_l0": [[1.0]], "weight_hh_l0": [[1.0]], "fc.weight": [[1.0]]},
            {"inputs": "one-hot"},
            "need (1, 4)",
        ),
        (
            {"weight_ih_l0": [[1.0]], "weight_hh_l0": [[1.0]]},
            {},
            "readout is one linear layer",
        ),
        ({"weight_ih_l0": [[1.0]], "weight_hh_l0": [[1.0]], "fc.weight": [[1.0], [1.0]]}, {}, "need (1, 1)"),
        (
            {"weight_ih_l0": [[1.0]], "weight_hh_l0": [[1.0]], "fc.weight": [[1.0]]},
            {"outputs": "argmax"},
            "output values",
        ),
        ({"weight_ih_l0": [[1.0]], "weight_hh_l0": [[1.0]], "fc.weight": [[1.0]], "h0": [1.0, 2.0]}, {}, "h0 has 2"),
        (
            {"weight_ih_l0": [[1.0]], "weight_hh_l0": [[1.0]], "weight_ih_l1": [[1.0]], "fc.weight": [[1.0]]},
            {},
            "more than one layer",
        ),
        ({"weight_ih_l0": [[np.nan]], "weight_hh_l0": [[1.0]], "fc.weight": [[1.0]]}, {}, "not finite"),
        (
            {"weight_ih_l0": np.zeros((0, 1)), "weight_hh_l0": np.zeros((0, 0)), "fc.weight": [[1.0]]},
            {},
            "at least one",
        ),
        ({"weight_ih_l0": [[1.0]], "weight_hh_l0": [[1.0]], "fc.weight": 1.0}, {}, "fc.weight has shape ()"),
        (
            {"weight_ih_l0": [[1.0]], "weight_hh_l0": [[1.0]], "fc.weight": [[1.0]], "embedding.weight": [[1.0]]},
            {},
            "does not know how to use: embedding.weight",
        ),
        (
            {"weight_ih_l0": [[1.0]] * 3, "weight_hh_l0": [[1.0]] * 3, "fc.weight": [[1.0]]},
            {"activation": "relu"},
            "GRU",
        ),
        (
            {"weight_ih_l0": [[1.0]] * 2, "weight_hh_l0": [[1.0, 0.0]] * 2, "fc.weight": [[1.0, 1.0]] * 3},
            {"outputs": "argmax", "output_values": (0, 1, 1)},
            "must be distinct",
        ),
        (
            {"weight_ih_l0": [[1.0]], "weight_hh_l0": [[1.0]], "fc.weight": [[1.0]]},
            {"output_values": (0, 1)},
            "by argmax",
        ),
        (
            {"weight_ih_l0": [[1.0]], "weight_hh_l0": [[1.0]], "fc.weight": [[1.0]] * 2},
            {"outputs": "argmax", "output_values": (0, 10**20)},
            "below 2**53",
        ),
    ],
    ids=[
        "no-input-weights",
        "lstm",
        "one-hot-width",
        "no-readout",
        "readout-rows",
        "argmax-values",
        "h0",
        "layers",
        "nan",
        "no-units",
        "scalar-readout",
        "unknown-array",
        "gru-activation",
        "repeated-values",
        "values-when-rounding",
        "huge-values",
    ],
)
def test_a_network_that_does_not_fit_is_refused_in_one_message(tmp_path, arrays, options, message):
    path = _save(tmp_path / "bad.npz", **{k: np.asarray(v, dtype=float) for k, v in arrays.items()})
    with pytest.raises(NetworkError, match="bad.npz") as caught:
        _load(path, SUM, **options)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_a_file_that_is_not_an_npz_is_refused(tmp_path):
    (tmp_path / "net.npz").write_text("not a zip")
    with pytest.raises(NetworkError, match="not an .npz file"):
        _load(tmp_path / "net.npz", SUM)
    (tmp_path / "empty.npz").write_bytes(b"")
    with pytest.raises(NetworkError, match="not an .npz file"):
        _load(tmp_path / "empty.npz", SUM)
    np.save(tmp_path / "one.npy", np.zeros(3))
    (tmp_path / "one.npy").rename(tmp_path / "one.npz")
    with pytest.raises(NetworkError, match="not one array"):
        _load(tmp_path / "one.npz", SUM)
    with pytest.raises(NetworkError, match="a folder"):
        _load(tmp_path, SUM)
    with pytest.raises(NetworkError, match="no such file"):
        _load(tmp_path / "missing.npz", SUM)


class _Broken:
    h0 = [0.0]

    def step(self, hidden, inputs):
        raise ValueError("boom")

    def readout(self, hidden):
        return hidden


@pytest.mark.parametrize(
    "model, message",
    [
        (object(), "needs a `step` method"),
        (_Broken(), "the network's step raised ValueError: boom"),
        (type("NoStart", (_Counter,), {"hidden_size": None})(), "needs a start state"),
    ],
    ids=["no-methods", "raises", "no-start"],
)
def test_a_python_network_that_does_not_work_is_a_network_error_before_any_work(model, message):
    with pytest.raises(NetworkError, match=message):
        network = GivenNetwork.wrap(model, output_dim=1)
        read_given(network, SUM, FAST)


def test_a_readout_of_fractions_is_refused():
    class Halves(_Counter):
        def readout(self, hidden):
            return hidden[:, 0] / 2.0 + 0.25

    with pytest.raises(NetworkError, match="whole numbers"):
        read_given(GivenNetwork.wrap(Halves(), output_dim=1), SUM, FAST)


def test_a_prefixed_start_state_is_read(tmp_path):
    arrays = dict(np.load(_sum_network(tmp_path)))
    path = _save(tmp_path / "prefixed.npz", **arrays, **{"rnn.h0": [5.0]})
    network = _load(path, SUM_FROM_5, activation="relu")
    assert network.start.tolist() == [5.0] and "a given h0" in network.description


def test_a_readout_too_large_to_read_exactly_is_a_network_error(tmp_path):
    arrays = dict(np.load(_sum_network(tmp_path)))
    arrays["fc.weight"] = np.array([[1e17]])
    network = _load(_save(tmp_path / "big.npz", **arrays), SUM, activation="relu")
    with pytest.raises(NetworkError, match="below 2\\*\\*53"):
        read_given(network, SUM, FAST)


class _Transposed(_Counter):
    def readout(self, hidden):
        return np.round(np.repeat(hidden.T / 3.0, 2, axis=0))  # [2, N]: outputs along the first axis


class _Words(_Counter):
    def step(self, hidden, inputs):
        return "abc"


@pytest.mark.parametrize(
    "model, options, message",
    [
        (_Transposed(), {"output_dim": 2}, "returned shape (2, 5); 5 states of 2 output(s)"),
        (_Words(), {}, "must return an array of real numbers"),
        (_Counter(), {"start": "abc"}, "start must be a vector of numbers"),
        (_Counter(), {"start": [[1.0], [1.0, 2.0]]}, "start must be a vector of numbers"),
        (type("Huge", (_Counter,), {"hidden_size": 10**30})(), {}, "hidden_size must be a whole number"),
    ],
    ids=["transposed", "words", "start-text", "start-ragged", "huge"],
)
def test_what_a_python_network_gives_is_checked(model, options, message):
    with pytest.raises(NetworkError, match=re.escape(message)):
        network = GivenNetwork.wrap(model, output_dim=options.pop("output_dim", 1), **options)
        network.check(1, (0, 1, 2, 3, 4))
