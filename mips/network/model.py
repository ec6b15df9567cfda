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
from mips.network.arch import Arch

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
    initial: jax.Array | None = None,
) -> tuple[jax.Array, jax.Array]:
    """features [B, T, F] -> hidden states [B, T, n] and raw outputs [B, T, K].

    `initial` ([B, n]) starts the run from given hidden states instead of h_0 = 0.
    (Training runs the same function in `mips.network.bank`'s layout, many networks at once.)"""
    f, g = _modules(arch, encoding)

    def step(h, x):
        h = f.apply({"params": params["f"]}, jnp.concatenate([h, x], axis=-1))
        return h, h

    h0 = jnp.zeros((features.shape[0], arch.hidden), features.dtype) if initial is None else initial
    _, hidden = jax.lax.scan(step, h0, jnp.swapaxes(features, 0, 1))
    hidden = jnp.swapaxes(hidden, 0, 1)
    return hidden, g.apply({"params": params["g"]}, hidden)


def _split_heads(raw: jax.Array, encoding: Encoding):
    start = 0
    for head in encoding.heads:
        yield head, raw[..., start : start + head.width]
        start += head.width


def _huber(residual: jax.Array) -> jax.Array:
    """Squared below one unit of the integer output, linear above: every output still wrong by
    a unit or more pulls with the same force, however far off it is. Measured against the
    Cauchy loss 0.5 * log1p(r^2) used before, whose pull fades as 1/r (so a few far-off outputs
    stayed wrong): a running maximum over 0..99, searched up to hidden size 2, went from no
    perfect network (best: 228 wrong outputs of 20,480) to perfect at hidden size 1; 14 other
    tasks with integer outputs found the same networks, 13 in as many or fewer steps (a running
    sum 1,800 -> 800, a two-output physics task 3,000 -> 2,000), one in more (100 -> 200)."""
    magnitude = jnp.abs(residual)
    return jnp.where(magnitude < 1, 0.5 * residual**2, magnitude - 0.5)


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
            total += jnp.mean(_huber(part[..., 0] * head.scale - y))
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

    @property
    def hidden_size(self) -> int:
        return self.arch.hidden

    def start_states(self, count: int) -> np.ndarray:
        """The hidden state before the first input, h_0 = 0, for `count` sequences [count, n]."""
        return np.zeros((count, self.arch.hidden))

    def run(self, inputs: np.ndarray, initial: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """int inputs [N, T, D] -> hidden states [N, T, n] (float64) and predictions [N, T, O] (int64).

        `initial` ([N, n]) starts each sequence from that hidden state instead of 0."""
        count = len(inputs)
        # device_put, not jnp.asarray: the latter compiles a little program for every new shape.
        features = jax.device_put(_padded(self.encoding.features(inputs)))
        start = None if initial is None else jax.device_put(_padded(np.asarray(initial, np.float32)))
        hidden, predictions = _run_jit(self.params, self.arch, self.encoding, features, start)
        return np.asarray(hidden, dtype=np.float64)[:count], np.asarray(predictions, dtype=np.int64)[:count]

    def readout(self, hidden: np.ndarray) -> np.ndarray:
        """Hidden states [N, n] -> the network's predictions for them [N, O] (int64)."""
        padded = jax.device_put(_padded(np.asarray(hidden, np.float32)))
        return np.asarray(_readout_jit(self.params, self.arch, self.encoding, padded))[: len(hidden)]


def _padded(array: np.ndarray) -> np.ndarray:
    """`array` with zero rows appended up to a size of a few kinds (a power of two up to 4096, then
    a multiple of 4096): every new shape costs a compilation, and extraction runs a network on
    sequences of many counts (measured: 21 compilations, 1.2 s, for one network of 7 units)."""
    count = len(array)
    size = max(16, 1 << (count - 1).bit_length()) if count <= 4096 else -(-count // 4096) * 4096
    if size == count:
        return array
    return np.concatenate([array, np.zeros((size - count, *array.shape[1:]), array.dtype)])


# What extraction reads (hidden states, the outputs of any hidden state) is multiplied out in
# full float32: on recent NVIDIA GPUs JAX's default float32 matmul is TensorFloat32 (a 10-bit
# mantissa), enough for training but not for reading integer lattices and exact readouts
# (on CPU this is float32 already). Training keeps the fast default.
EXACT = "highest"


@partial(jax.jit, static_argnums=(1, 2))
def _run_jit(params, arch, encoding, features, initial):
    """`forward` and `decode` in one compiled call (one compilation per input shape)."""
    with jax.default_matmul_precision(EXACT):
        hidden, raw = forward(params, arch, encoding, features, initial)
        return hidden, decode(raw, encoding)


@partial(jax.jit, static_argnums=(1, 2))
def _readout_jit(params, arch, encoding, hidden):
    _, g = _modules(arch, encoding)
    with jax.default_matmul_precision(EXACT):
        return decode(g.apply({"params": params["g"]}, hidden), encoding)
