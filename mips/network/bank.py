"""Many candidate networks as one array program, so that one compiled, vmapped call trains
every hidden size up to a padded size and every depth pair side by side.

A candidate's f (and g) is an MLP of depth d: d - 1 ReLU layers of `width` units and a linear
head (`mips.network.model.MLP`). In the bank every network has a trunk of D - 1 layers and one head per
depth 1..D; a one-hot `select` picks the head of its own depth, so a network of depth 1 is
linear and one of depth 2 is head_2(relu(layer_1(z))), exactly the flax MLP. Layers and heads a
network does not use get zero gradients, and Adam never moves a weight whose gradient is always
zero. A hidden mask switches padded units off, as in `mips.network.model.forward`.

Why one bank rather than one compiled function per architecture: compiling costs seconds
(`benchmarks/results/2026-12-06-train-speed/`), far more than training a small candidate, and a search
tries many candidates.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from mips.network.model import Arch, Encoding

# The spread of flax's default kernel initializer (lecun_normal: a truncated normal of
# variance 1 / fan_in; the constant corrects the variance lost by truncating at 2 sigma).
_TRUNCATED_STD = 0.87962566103423978


@dataclass(frozen=True)
class BankShape:
    """What one compiled bank serves: networks padded to `hidden` units, f and g up to the
    given depths, all with MLP layers of `width` units."""

    hidden: int
    features: int
    outputs: int
    width: int
    f_depth: int
    g_depth: int

    @staticmethod
    def for_archs(archs, hidden: int, encoding: Encoding) -> "BankShape":
        widths = {a.width for a in archs}
        if len(widths) != 1:
            raise ValueError("one bank trains networks of one MLP width")
        return BankShape(
            hidden,
            encoding.feature_size,
            encoding.output_width,
            widths.pop(),
            max(a.f_depth for a in archs),
            max(a.g_depth for a in archs),
        )


def _truncated_normal(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    draw = rng.standard_normal(shape)
    outside = np.abs(draw) > 2
    while outside.any():  # redraw what falls outside two standard deviations
        draw[outside] = rng.standard_normal(int(outside.sum()))
        outside = np.abs(draw) > 2
    return draw


def _mlp_init(
    rng: np.random.Generator,
    fan_in: int,
    padded_in: int,
    width: int,
    out: int,
    depth: int,
    max_depth: int,
    in_rows: np.ndarray,
) -> dict:
    """One MLP's weights in the bank's layout; only the layers of `depth` are drawn (as flax
    draws them, with the network's own fan-in), the rest are zero."""

    def kernel(first: bool, cols: int, used: bool):
        rows = padded_in if first else width
        if not used:
            return np.zeros((rows, cols), np.float32)
        scale = np.sqrt(1.0 / (fan_in if first else width)) / _TRUNCATED_STD
        drawn = (_truncated_normal(rng, (rows, cols)) * scale).astype(np.float32)
        return drawn * in_rows[:, None] if first else drawn  # rows of padded units stay zero

    layers = [
        {"kernel": kernel(i == 0, width, i < depth - 1), "bias": np.zeros(width, np.float32)}
        for i in range(max_depth - 1)
    ]
    heads = [
        {"kernel": kernel(d == 0, out, d == depth - 1), "bias": np.zeros(out, np.float32)} for d in range(max_depth)
    ]
    return {"layers": layers, "heads": heads}


def init_network(arch: Arch, shape: BankShape, *, rng: np.random.Generator) -> tuple[dict, dict]:
    """The weights of one candidate in the bank and its spec (hidden mask, depth selectors), numpy."""
    n, padded, features = arch.hidden, shape.hidden, shape.features
    if n > padded or arch.f_depth > shape.f_depth or arch.g_depth > shape.g_depth or arch.width != shape.width:
        raise ValueError(f"{arch.describe()} does not fit a bank of {padded} hidden units")
    mask = (np.arange(padded) < n).astype(np.float32)
    f_rows = np.concatenate([mask, np.ones(features, np.float32)])
    params = {
        "f": _mlp_init(rng, n + features, padded + features, shape.width, padded, arch.f_depth, shape.f_depth, f_rows),
        "g": _mlp_init(rng, n, padded, shape.width, shape.outputs, arch.g_depth, shape.g_depth, mask),
    }
    # Output columns of f past the network's size stay zero too (the mask zeroes them anyway).
    head = params["f"]["heads"][arch.f_depth - 1]
    head["kernel"] = head["kernel"] * mask[None, :]
    spec = {
        "mask": mask,
        "f_select": np.eye(shape.f_depth, dtype=np.float32)[arch.f_depth - 1],
        "g_select": np.eye(shape.g_depth, dtype=np.float32)[arch.g_depth - 1],
    }
    return params, spec


def _mlp(params: dict, select: jax.Array, z: jax.Array) -> jax.Array:
    out, a = 0.0, z
    for d, head in enumerate(params["heads"]):
        out = out + select[d] * (a @ head["kernel"] + head["bias"])
        if d < len(params["layers"]):
            layer = params["layers"][d]
            a = jax.nn.relu(a @ layer["kernel"] + layer["bias"])
    return out


def forward(params: dict, spec: dict, features: jax.Array) -> tuple[jax.Array, jax.Array]:
    """One network of the bank: features [B, T, F] -> hidden states [B, T, n] and raw outputs [B, T, K]."""

    def step(h, x):
        h = _mlp(params["f"], spec["f_select"], jnp.concatenate([h, x], axis=-1)) * spec["mask"]
        return h, h

    h0 = jnp.zeros((features.shape[0], spec["mask"].shape[0]), features.dtype)
    _, hidden = jax.lax.scan(step, h0, jnp.swapaxes(features, 0, 1))
    hidden = jnp.swapaxes(hidden, 0, 1)
    return hidden, _mlp(params["g"], spec["g_select"], hidden)


def _mlp_to_flax(params: dict, depth: int, in_rows: np.ndarray, out_cols: np.ndarray | None) -> dict:
    flax_params = {}
    for i in range(depth - 1):
        layer = params["layers"][i]
        kernel = np.asarray(layer["kernel"])
        flax_params[f"Dense_{i}"] = {"kernel": kernel[in_rows] if i == 0 else kernel, "bias": np.asarray(layer["bias"])}
    head = params["heads"][depth - 1]
    kernel, bias = np.asarray(head["kernel"]), np.asarray(head["bias"])
    if depth == 1:
        kernel = kernel[in_rows]
    if out_cols is not None:
        kernel, bias = kernel[:, out_cols], bias[out_cols]
    flax_params[f"Dense_{depth - 1}"] = {"kernel": kernel, "bias": bias}
    return flax_params


def to_flax(params: dict, arch: Arch, shape: BankShape) -> dict:
    """One bank network's weights (numpy, no leading axis) as the flax parameters of `arch`
    (`mips.network.model.Network`), computing the same function: the unused layers are dropped and
    the padded units cut away (a masked unit is always 0, so its weights never matter)."""
    n = arch.hidden
    f_rows = np.r_[0:n, shape.hidden : shape.hidden + shape.features]
    return {
        "f": _mlp_to_flax(params["f"], arch.f_depth, f_rows, np.arange(n)),
        "g": _mlp_to_flax(params["g"], arch.g_depth, np.arange(n), None),
    }
