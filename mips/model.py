"""The network: h_t = f(h_{t-1}, x_t), y_t = g(h_t), h_0 = 0, in flax.

f and g are MLPs with ReLU between layers and none after the last, so depth 1
is a purely linear map. How inputs are fed and outputs read is decided from
the data alone (`choose_encoding`): integers are fed as scaled numbers, plus a
one-hot code when an input takes few values; an output with few values is a
classification head, any other a regression on the integer.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Literal

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from mips.data import Sequences

# An input number with at most this many values also gets a one-hot code.
ONE_HOT_MAX = 16
# An output number with at most this many values gets a classification head.
CLASSES_MAX = 10


@dataclass(frozen=True)
class Head:
    kind: Literal["classes", "regression"]
    values: tuple[int, ...] = ()  # class values, for "classes"
    scale: float = 1.0  # targets are divided by this, for "regression"

    @property
    def width(self) -> int:
        return len(self.values) if self.kind == "classes" else 1


@dataclass(frozen=True)
class Encoding:
    input_dim: int
    input_values: tuple[int, ...]
    input_scale: float
    one_hot: bool
    heads: tuple[Head, ...]

    @property
    def feature_size(self) -> int:
        return self.input_dim * (1 + (len(self.input_values) if self.one_hot else 0))

    @property
    def output_width(self) -> int:
        return sum(h.width for h in self.heads)

    def features(self, inputs: np.ndarray) -> np.ndarray:
        """int inputs [N, T, D] -> float32 features [N, T, F]."""
        raw = inputs.astype(np.float32) / self.input_scale
        if not self.one_hot:
            return raw
        codes = (inputs[..., None] == np.asarray(self.input_values)).astype(np.float32)
        return np.concatenate([raw, codes.reshape(*inputs.shape[:2], -1)], axis=-1)


def choose_encoding(train: Sequences, input_values: tuple[int, ...], head: str = "auto") -> Encoding:
    """Decide input features and output heads from the training data alone."""
    heads = []
    for d in range(train.outputs.shape[-1]):
        values = tuple(int(v) for v in np.unique(train.outputs[..., d]))
        use_classes = head == "classes" or (head == "auto" and len(values) <= CLASSES_MAX)
        if use_classes:
            heads.append(Head("classes", values=values))
        else:
            heads.append(Head("regression", scale=float(max(1, np.abs(train.outputs[..., d]).max()))))
    return Encoding(
        input_dim=train.inputs.shape[-1],
        input_values=tuple(input_values),
        input_scale=float(max(1, max(abs(v) for v in input_values))),
        one_hot=len(input_values) <= ONE_HOT_MAX,
        heads=tuple(heads),
    )


@dataclass(frozen=True, order=True)
class Arch:
    """One candidate architecture: hidden size, depths of f and g, MLP width."""

    hidden: int
    f_depth: int = 1
    g_depth: int = 1
    width: int = 16

    def describe(self) -> str:
        return f"hidden {self.hidden}, f depth {self.f_depth}, g depth {self.g_depth}, width {self.width}"


class MLP(nn.Module):
    depth: int
    width: int
    out: int

    @nn.compact
    def __call__(self, x):
        for _ in range(self.depth - 1):
            x = nn.relu(nn.Dense(self.width)(x))
        return nn.Dense(self.out)(x)


def _modules(arch: Arch, encoding: Encoding) -> tuple[MLP, MLP]:
    return MLP(arch.f_depth, arch.width, arch.hidden), MLP(arch.g_depth, arch.width, encoding.output_width)


def init_params(arch: Arch, encoding: Encoding, *, key: jax.Array) -> dict:
    f, g = _modules(arch, encoding)
    key_f, key_g = jax.random.split(key)
    return {
        "f": f.init(key_f, jnp.zeros((1, arch.hidden + encoding.feature_size)))["params"],
        "g": g.init(key_g, jnp.zeros((1, arch.hidden)))["params"],
    }


def forward(
    params: dict,
    arch: Arch,
    encoding: Encoding,
    features: jax.Array,
    mask: jax.Array | None = None,
    initial: jax.Array | None = None,
) -> tuple[jax.Array, jax.Array]:
    """features [B, T, F] -> hidden states [B, T, n] and raw outputs [B, T, K].

    `mask` ([n] of 0/1) switches hidden units off, so that one compiled padded
    network trains every smaller hidden size (see `shrink`). `initial` ([B, n])
    starts the run from given hidden states instead of h_0 = 0."""
    f, g = _modules(arch, encoding)

    def step(h, x):
        h = f.apply({"params": params["f"]}, jnp.concatenate([h, x], axis=-1))
        if mask is not None:
            h = h * mask
        return h, h

    h0 = jnp.zeros((features.shape[0], arch.hidden), features.dtype) if initial is None else initial
    _, hidden = jax.lax.scan(step, h0, jnp.swapaxes(features, 0, 1))
    hidden = jnp.swapaxes(hidden, 0, 1)
    return hidden, g.apply({"params": params["g"]}, hidden)


def hidden_mask(padded: int, hidden: int) -> np.ndarray:
    """The mask that makes a network padded to `padded` units behave as one of `hidden` units."""
    return (np.arange(padded) < hidden).astype(np.float32)


def shrink(params: dict, padded: Arch, hidden: int, encoding: Encoding) -> dict:
    """Parameters of a padded network trained under `hidden_mask(padded.hidden, hidden)`,
    cut down to the equivalent network of `hidden` units.

    Exact: a masked unit is always 0, so its weights never change the outputs (and,
    with zero gradients, Adam never moves them)."""
    if not 1 <= hidden <= padded.hidden:
        raise ValueError(f"cannot shrink a network of {padded.hidden} hidden units to {hidden}")
    keep_in = np.r_[0:hidden, padded.hidden:padded.hidden + encoding.feature_size]
    f = {name: dict(layer) for name, layer in params["f"].items()}
    g = {name: dict(layer) for name, layer in params["g"].items()}
    f["Dense_0"]["kernel"] = f["Dense_0"]["kernel"][keep_in]
    last = f"Dense_{padded.f_depth - 1}"
    f[last]["kernel"] = f[last]["kernel"][:, :hidden]
    f[last]["bias"] = f[last]["bias"][:hidden]
    g["Dense_0"]["kernel"] = g["Dense_0"]["kernel"][:hidden]
    return {"f": f, "g": g}


def pad(params: dict, arch: Arch, padded: Arch, encoding: Encoding) -> dict:
    """The parameters of a network of `arch.hidden` units placed in a network padded to
    `padded.hidden` units, the extra weights zero: the inverse of `shrink`. Training the
    padded network under `hidden_mask` is then training the small one, from the same
    initialization, while sharing the padded network's compiled code."""
    n, size, features = arch.hidden, padded.hidden, encoding.feature_size
    f = {name: dict(layer) for name, layer in params["f"].items()}
    g = {name: dict(layer) for name, layer in params["g"].items()}
    first = f["Dense_0"]["kernel"]
    grown = jnp.zeros((size + features, first.shape[1]), first.dtype)
    f["Dense_0"]["kernel"] = grown.at[:n].set(first[:n]).at[size:].set(first[n:])
    last = f"Dense_{padded.f_depth - 1}"
    kernel, bias = f[last]["kernel"], f[last]["bias"]
    f[last]["kernel"] = jnp.zeros((kernel.shape[0], size), kernel.dtype).at[:, :n].set(kernel)
    f[last]["bias"] = jnp.zeros((size,), bias.dtype).at[:n].set(bias)
    readin = g["Dense_0"]["kernel"]
    g["Dense_0"]["kernel"] = jnp.zeros((size, readin.shape[1]), readin.dtype).at[:n].set(readin)
    return {"f": f, "g": g}


def _split_heads(raw: jax.Array, encoding: Encoding):
    start = 0
    for head in encoding.heads:
        yield head, raw[..., start:start + head.width]
        start += head.width


def loss(raw: jax.Array, targets: jax.Array, encoding: Encoding) -> jax.Array:
    """Mean loss over heads; targets are int [B, T, O]."""
    total = 0.0
    for d, (head, part) in enumerate(_split_heads(raw, encoding)):
        y = targets[..., d]
        if head.kind == "classes":
            index = jnp.searchsorted(jnp.asarray(head.values), y)
            logp = jax.nn.log_softmax(part, axis=-1)
            total += -jnp.mean(jnp.take_along_axis(logp, index[..., None], axis=-1))
        else:
            residual = part[..., 0] * head.scale - y
            total += jnp.mean(0.5 * jnp.log1p(residual**2))
    return total / len(encoding.heads)


def decode(raw: jax.Array, encoding: Encoding) -> jax.Array:
    """Raw outputs [B, T, K] -> integer predictions [B, T, O]."""
    columns = []
    for head, part in _split_heads(raw, encoding):
        if head.kind == "classes":
            columns.append(jnp.asarray(head.values)[jnp.argmax(part, axis=-1)])
        else:
            columns.append(jnp.round(part[..., 0] * head.scale).astype(jnp.int32))
    return jnp.stack(columns, axis=-1)


@dataclass(frozen=True)
class Network:
    """A trained network: architecture, encoding and weights (numpy), runnable on its own."""

    arch: Arch
    encoding: Encoding
    params: dict  # nested dict of numpy arrays

    def run(self, inputs: np.ndarray, initial: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """int inputs [N, T, D] -> hidden states [N, T, n] (float64) and predictions [N, T, O] (int64).

        `initial` ([N, n]) starts each sequence from that hidden state instead of 0."""
        features = jnp.asarray(self.encoding.features(inputs))
        start = None if initial is None else jnp.asarray(initial, dtype=features.dtype)
        hidden, predictions = _run_jit(self.params, self.arch, self.encoding, features, start)
        return np.asarray(hidden, dtype=np.float64), np.asarray(predictions, dtype=np.int64)

    def readout(self, hidden: np.ndarray) -> np.ndarray:
        """Hidden states [N, n] -> the network's predictions for them [N, O] (int64)."""
        return np.asarray(_readout_jit(self.params, self.arch, self.encoding, jnp.asarray(hidden, jnp.float32)))


@partial(jax.jit, static_argnums=(1, 2))
def _run_jit(params, arch, encoding, features, initial):
    """`forward` and `decode` in one compiled call (one compilation per input shape)."""
    hidden, raw = forward(params, arch, encoding, features, None, initial)
    return hidden, decode(raw, encoding)


@partial(jax.jit, static_argnums=(1, 2))
def _readout_jit(params, arch, encoding, hidden):
    _, g = _modules(arch, encoding)
    return decode(g.apply({"params": params["g"]}, hidden), encoding)
