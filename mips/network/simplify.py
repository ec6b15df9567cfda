"""Simplify: normal forms of a trained network, each kept only if the network still gets every
held-out output right. A stage of its own, between training and extraction.

In turn:
  - units: hidden units that do nothing are removed (the least used first);
  - relu units: units of f's and g's hidden layers that do nothing are switched off
    (their weights zero);
  - basis: the hidden state is written in a canonical basis. For a linear f (h' = h A + x B + b)
    fed the input's numbers alone (no one-hot codes, whose effects have no common unit: measured,
    a counter of a 2-symbol input came out counting in ninths), the basis is the input's own history: B's rows, then B A's, ... (a Krylov basis), each
    scaled so that one unit of a coordinate is one unit of the input, so a delay line's state
    is (x_t, x_{t-1}, ...) and a running sum's is the sum. For any other f, the principal axes
    of the hidden states, largest first (a rotation: distances between states are kept);
  - rounding: weights within 0.02 of an integer or a fraction with a small denominator are
    set to it, array by array.
Every step's trial is judged on the held-out data in float64 (numpy), and on longer sequences
against what the trained network says there (`_Judge`), and the result once more by the network itself (`Network.run`, float32, as extraction runs it): a simplified
network that fails there is not used. What was tried, kept and why is in `Simplified.steps`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from mips.data import TaskData
from mips.network.model import Network

DENOMINATORS = (1, 2, 3, 4, 5, 6, 8, 10, 12)
ROUNDING_TOLERANCE = 0.02
RANK_TOLERANCE = 1e-3  # relative singular value below which a direction adds nothing


@dataclass(frozen=True, kw_only=True)
class SimplifyConfig:
    enabled: bool = True
    units: bool = True
    relu_units: bool = True
    basis: bool = True
    rounding: bool = True
    check_sequences: int = 2048  # held-out sequences every trial is judged on


@dataclass(frozen=True)
class Simplified:
    network: Network  # the simplified network (the trained one when nothing was kept)
    steps: tuple[dict, ...]  # {"step", "kept", "detail"} for each step tried

    @property
    def kept(self) -> tuple[str, ...]:
        return tuple(s["step"] for s in self.steps if s["kept"])

    def to_json(self) -> list[dict]:
        return [dict(s) for s in self.steps]

    @property
    def recurrent_weights_simple(self) -> bool:
        """Whether the simplified network's f is linear with simple recurrent weights."""
        return recurrent_weights_simple(self.network)


def simplify(network: Network, data: TaskData, config: SimplifyConfig = SimplifyConfig()) -> Simplified:
    if not config.enabled:
        return Simplified(network, ())
    inputs = data.heldout.inputs[: config.check_sequences]
    targets = data.heldout.outputs[: config.check_sequences]
    states = data.train.inputs[: config.check_sequences]
    current = _float64(network)
    judge = _Judge(inputs, targets, current)
    steps: list[dict] = []
    if not np.array_equal(predict(current, inputs), targets):
        return Simplified(
            network,
            ({"step": "all", "kept": False, "detail": "the network is not perfect in float64; nothing simplified"},),
        )
    if config.units:
        current = _step(steps, "units", current, lambda n: _prune_units(n, judge, states))
    if config.relu_units:
        current = _step(steps, "relu units", current, lambda n: _prune_relu(n, judge, states))
    if config.basis:
        current = _step(steps, "basis", current, lambda n: _canonical_basis(n, judge, states))
    if config.rounding:
        current = _step(steps, "rounding", current, lambda n: _round_weights(n, judge))
    if not any(s["kept"] for s in steps):
        return Simplified(network, tuple(steps))
    simplified = _float32(current)
    predictions = simplified.run(inputs)[1]
    if not np.array_equal(predictions, targets):
        wrong = int(np.sum(predictions != targets))
        steps.append(
            {
                "step": "float32 check",
                "kept": False,
                "detail": f"the simplified network gets {wrong} held-out outputs wrong in float32; "
                "the trained network is used",
            }
        )
        return Simplified(network, tuple(steps))
    return Simplified(simplified, tuple(steps))


def _step(steps: list[dict], name: str, network: Network, trial) -> Network:
    result, detail = trial(network)
    steps.append({"step": name, "kept": result is not None, "detail": detail})
    return network if result is None else result


class _Judge:
    """Does a network (float64 weights) still get every held-out output right, and say what the
    trained network says on sequences LONGER times the training length? The second check keeps
    what the network does past the data: measured, rounding a counter's weights kept every
    held-out output at the training length and broke the count at five times it."""

    LONGER = 3

    def __init__(self, inputs: np.ndarray, targets: np.ndarray, trained: Network):
        self.inputs, self.targets = inputs, targets
        self.quick = min(256, len(inputs))
        rolled = [np.roll(inputs[: self.quick], shift, axis=0) for shift in range(self.LONGER)]
        self.long_inputs = np.concatenate(rolled, axis=1)  # held-out inputs end to end
        self.long_outputs = predict(trained, self.long_inputs)

    def perfect(self, network: Network) -> bool:
        quick = slice(0, self.quick)
        if not np.array_equal(predict(network, self.inputs[quick]), self.targets[quick]):
            return False
        if not np.array_equal(predict(network, self.long_inputs), self.long_outputs):
            return False
        return np.array_equal(predict(network, self.inputs), self.targets)


# --- the network in numpy -----------------------------------------------------------------


def _layers(params: dict, part: str) -> list[tuple[np.ndarray, np.ndarray]]:
    count = len(params[part])
    return [(params[part][f"Dense_{i}"]["kernel"], params[part][f"Dense_{i}"]["bias"]) for i in range(count)]


def _mlp(layers, z: np.ndarray, upto: int | None = None) -> np.ndarray:
    """The MLP's output, or (with `upto`) the relu activations after that many layers."""
    for i, (kernel, bias) in enumerate(layers):
        if upto is not None and i == upto:
            return z
        z = z @ kernel + bias
        if i < len(layers) - 1:
            z = np.maximum(z, 0.0)
    return z


def hidden_states(network: Network, inputs: np.ndarray) -> np.ndarray:
    """int inputs [N, T, D] -> hidden states [N, T, n], in float64."""
    features = network.encoding.features(inputs).astype(np.float64)
    f = _layers(network.params, "f")
    h = np.zeros((features.shape[0], network.arch.hidden))
    out = []
    for t in range(features.shape[1]):
        h = _mlp(f, np.concatenate([h, features[:, t]], axis=-1))
        out.append(h)
    return np.stack(out, axis=1)


def predict(network: Network, inputs: np.ndarray) -> np.ndarray:
    """int inputs [N, T, D] -> the network's integer outputs [N, T, O], in float64 (as
    `mips.network.model.decode`)."""
    raw = _mlp(_layers(network.params, "g"), hidden_states(network, inputs))
    columns, start = [], 0
    for head in network.encoding.heads:
        part = raw[..., start : start + head.width]
        start += head.width
        if head.kind == "classes":
            columns.append(np.asarray(head.values)[np.argmax(part, axis=-1)])
        else:
            columns.append(np.round(part[..., 0] * head.scale).astype(np.int64))
    return np.stack(columns, axis=-1)


def _float64(network: Network) -> Network:
    return replace(network, params=_map(network.params, lambda a: np.asarray(a, np.float64)))


def _float32(network: Network) -> Network:
    return replace(network, params=_map(network.params, lambda a: np.asarray(a, np.float32)))


def _map(params: dict, fn) -> dict:
    return {
        part: {layer: {name: fn(value) for name, value in values.items()} for layer, values in layers.items()}
        for part, layers in params.items()
    }


# --- the steps ----------------------------------------------------------------------------


def _without_unit(network: Network, unit: int) -> Network:
    """The network with hidden unit `unit` taken out (its weights dropped)."""
    params = _map(network.params, np.copy)
    n, keep = network.arch.hidden, [i for i in range(network.arch.hidden) if i != unit]
    f_first = params["f"]["Dense_0"]
    f_first["kernel"] = np.delete(f_first["kernel"], unit, axis=0)
    last = params["f"][f"Dense_{network.arch.f_depth - 1}"]
    last["kernel"], last["bias"] = last["kernel"][:, keep], last["bias"][keep]
    params["g"]["Dense_0"]["kernel"] = params["g"]["Dense_0"]["kernel"][keep]
    assert n - 1 == len(keep)
    return replace(network, arch=replace(network.arch, hidden=n - 1), params=params)


def _prune_units(network: Network, judge: _Judge, states: np.ndarray):
    removed = 0
    while network.arch.hidden > 1:
        activity = np.sqrt(np.mean(hidden_states(network, states) ** 2, axis=(0, 1)))
        outgoing = np.linalg.norm(
            network.params["f"]["Dense_0"]["kernel"][: network.arch.hidden], axis=1
        ) + np.linalg.norm(network.params["g"]["Dense_0"]["kernel"], axis=1)
        for unit in np.argsort(activity * outgoing, kind="stable"):
            trial = _without_unit(network, int(unit))
            if judge.perfect(trial):
                network, removed = trial, removed + 1
                break
        else:
            break
    if not removed:
        return None, f"every one of the {network.arch.hidden} hidden units is needed"
    return network, f"{removed} hidden unit(s) removed, {network.arch.hidden} left"


def _prune_relu(network: Network, judge: _Judge, states: np.ndarray):
    switched, total = 0, 0
    for part, depth in (("f", network.arch.f_depth), ("g", network.arch.g_depth)):
        for layer in range(depth - 1):
            total += network.arch.width
            pending = _relu_order(network, part, layer, states)
            # Least used first, in blocks that double while they can go and halve when they cannot
            # (a unit that cannot go alone stays): a judged trial that keeps the network perfect
            # is the costly one, and one at a time a wide MLP took 250 trials (29 s of a
            # benchmark task, 101 of 256 units switched off).
            block = 1
            while pending:
                group = pending[:block]
                trial = network
                for unit in group:
                    trial = _without_relu(trial, part, layer, unit)
                if judge.perfect(trial):
                    network, switched, pending, block = trial, switched + len(group), pending[len(group) :], 2 * block
                elif len(group) > 1:
                    block = len(group) // 2
                else:
                    pending = pending[1:]
    if total == 0:
        return None, "f and g are linear: no relu units"
    if not switched:
        return None, f"every one of the {total} relu units is needed"
    return network, f"{switched} of {total} relu units switched off (weights zero)"


def _relu_order(network: Network, part: str, layer: int, states: np.ndarray) -> list[int]:
    """The units of one hidden layer, least used first (already-zero units left out)."""
    layers = _layers(network.params, part)
    hidden = hidden_states(network, states[:256])
    if part == "f":
        features = network.encoding.features(states[:256]).astype(np.float64)
        previous = np.concatenate([np.zeros_like(hidden[:, :1]), hidden[:, :-1]], axis=1)
        z = np.concatenate([previous, features], axis=-1)
    else:
        z = hidden
    activation = _mlp(layers, z, upto=layer + 1).reshape(-1, network.arch.width)
    kernel_out = layers[layer + 1][0]
    use = np.sqrt(np.mean(activation**2, axis=0)) * np.linalg.norm(kernel_out, axis=1)
    return [int(u) for u in np.argsort(use, kind="stable") if np.any(kernel_out[u]) or np.any(layers[layer][0][:, u])]


def _without_relu(network: Network, part: str, layer: int, unit: int) -> Network:
    params = _map(network.params, np.copy)
    into, out_of = params[part][f"Dense_{layer}"], params[part][f"Dense_{layer + 1}"]
    into["kernel"][:, unit], into["bias"][unit] = 0.0, 0.0
    out_of["kernel"][unit] = 0.0
    return replace(network, params=params)


def change_basis(network: Network, basis: np.ndarray) -> Network:
    """The same network with its hidden state written as z, where h = z @ basis (rows of
    `basis` are the new coordinates' directions; it must be invertible)."""
    n = network.arch.hidden
    inverse = np.linalg.inv(basis)
    params = _map(network.params, np.copy)
    first = params["f"]["Dense_0"]
    first["kernel"] = np.concatenate([basis @ first["kernel"][:n], first["kernel"][n:]], axis=0)
    last = params["f"][f"Dense_{network.arch.f_depth - 1}"]
    last["kernel"], last["bias"] = last["kernel"] @ inverse, last["bias"] @ inverse
    params["g"]["Dense_0"]["kernel"] = basis @ params["g"]["Dense_0"]["kernel"]
    return replace(network, params=params)


def _canonical_basis(network: Network, judge: _Judge, states: np.ndarray):
    if network.arch.f_depth == 1 and not network.encoding.one_hot:
        basis, how = _input_history_basis(network), "the input's history (Krylov), in input units"
    else:
        basis, how = _principal_axes(network, states), "principal axes of the hidden states, largest first"
    if basis is None:
        return None, "no basis: the input does not reach every direction of the state"
    if np.allclose(basis, np.eye(len(basis))):
        return None, "already in that basis"
    if np.linalg.cond(basis) > 1e6:
        return None, "the basis is ill-conditioned"
    trial = change_basis(network, basis)
    if not judge.perfect(trial):
        return None, f"in {how}, some held-out output changes"
    return trial, f"hidden state in {how}"


def _input_history_basis(network: Network) -> np.ndarray | None:
    """Rows B_j A^k (a feature's effect k steps later), k = 0, 1, ..., each kept when it adds a
    direction, scaled so that a coordinate counts input units; then b A^k (the bias's effect)
    for what the input does not reach."""
    n, encoding = network.arch.hidden, network.encoding
    kernel, bias = network.params["f"]["Dense_0"]["kernel"], network.params["f"]["Dense_0"]["bias"]
    transition, drive = kernel[:n], kernel[n:]
    scales = [encoding.input_scale] * encoding.input_dim + [1.0] * (len(drive) - encoding.input_dim)
    rows: list[np.ndarray] = []
    for sources in ([drive[j] / scales[j] for j in range(len(drive))], [bias]):
        size = max(1e-12, max(np.abs(v).max() for v in sources))
        for _ in range(n):
            for vector in sources:
                if len(rows) < n and np.abs(vector).max() > RANK_TOLERANCE * size:
                    singular = np.linalg.svd(np.array(rows + [vector]), compute_uv=False)
                    if singular[-1] > RANK_TOLERANCE * singular[0]:
                        rows.append(vector)
            sources = [v @ transition for v in sources]
    return np.array(rows) if len(rows) == n else None


def _principal_axes(network: Network, states: np.ndarray) -> np.ndarray:
    hidden = hidden_states(network, states).reshape(-1, network.arch.hidden)
    moments = hidden.T @ hidden / len(hidden)
    values, vectors = np.linalg.eigh(moments)
    axes = vectors[:, np.argsort(values)[::-1]].T  # rows, largest first
    signs = np.sign((hidden @ axes.T).mean(axis=0))
    return axes * np.where(signs == 0, 1.0, signs)[:, None]  # each coordinate positive on average


def simple_value(value: float) -> float | None:
    """The integer or small fraction within ROUNDING_TOLERANCE of `value`, if any."""
    for denominator in DENOMINATORS:
        near = round(value * denominator) / denominator
        if abs(value - near) <= ROUNDING_TOLERANCE / denominator:
            return near
    return None


def _round_weights(network: Network, judge: _Judge):
    rounded, arrays, tried = 0, 0, 0
    for part in ("f", "g"):
        for layer in sorted(network.params[part]):
            for name in ("kernel", "bias"):
                array = network.params[part][layer][name]
                simple = np.vectorize(lambda v: np.nan if simple_value(v) is None else simple_value(v))(array)
                close = ~np.isnan(simple) & (simple != array)
                if not close.any():
                    continue
                tried += 1
                params = _map(network.params, np.copy)
                params[part][layer][name] = np.where(close, simple, array)
                trial = replace(network, params=params)
                if judge.perfect(trial):
                    network, rounded, arrays = trial, rounded + int(close.sum()), arrays + 1
    if not tried:
        return None, "no weight is close to an integer or simple fraction it is not already"
    if not rounded:
        return None, "no weight could be rounded without changing a held-out output"
    return network, f"{rounded} weights in {arrays} array(s) set to integers or simple fractions"


def recurrent_weights_simple(network: Network) -> bool:
    """Whether f is linear and its recurrent weights (h -> h) are all integers or simple fractions."""
    if network.arch.f_depth != 1:
        return False
    transition = network.params["f"]["Dense_0"]["kernel"][: network.arch.hidden]
    simple = [simple_value(float(v)) for v in np.ravel(transition)]
    return all(s is not None and abs(s - float(v)) < 1e-6 for s, v in zip(simple, np.ravel(transition)))
