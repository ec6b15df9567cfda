"""Write a network mips trained in PyTorch's naming, for `mips extract` (issue 15's check that a
trained network, not only a hand-built one, goes through the PyTorch route).

    python benchmarks/export_torch.py RUN_DIR OUT.npz

Only networks whose f and g have depth 1 can be written this way: their step is linear,
h' = A h + B features + b, and their readout linear. An nn.RNN has a nonlinearity, so the
state is shifted by a constant c and written as an nn.RNN with relu: g = h + c stays positive,
and relu(A g + B features + (b + c - A c)) = h' + c exactly while h' + c >= 0. c is ten times
the largest |h| over sequences five times the training length (constant ones, where counters
go furthest, and random ones), so the exported network equals the trained one over the lengths
verification checks (`mips extract` verifies it, so a c too small would show as a failure).
The input code becomes PyTorch's: mips feeds x / scale beside a one-hot code of x; the raw part
is folded into the one-hot columns (--inputs one-hot) or divided out (--inputs raw). The readout:
a classification head is read by argmax over its values, a regression head by rounding
scale * (W h + b). Prints the `mips extract` options to use.
"""

from __future__ import annotations

import sys

import numpy as np

from mips.io.runs import load_run


def export(run_dir: str, out: str) -> list[str]:
    run = load_run(run_dir)
    network = run.network
    arch, encoding = network.arch, network.encoding
    if arch.f_depth != 1 or arch.g_depth != 1 or len(encoding.heads) != 1 or encoding.input_dim != 1:
        raise SystemExit("only networks with f and g of depth 1, one input number and one output head")
    n = arch.hidden
    kernel = np.asarray(network.params["f"]["Dense_0"]["kernel"], np.float64)  # [n + F, n], x @ kernel
    bias = np.asarray(network.params["f"]["Dense_0"]["bias"], np.float64)
    recurrent, fed = kernel[:n].T, kernel[n:].T  # PyTorch's [n, n] and [n, F]
    values = np.asarray(encoding.input_values, np.float64)
    if encoding.one_hot:  # features: x / scale, then the one-hot code over the values
        weight_ih = fed[:, 1:] + np.outer(fed[:, 0], values / encoding.input_scale)
        inputs = "one-hot"
    else:
        weight_ih = fed / encoding.input_scale
        inputs = "raw"

    task_length = run.report["task"]["length"]
    rng = np.random.default_rng(0)
    steps = 5 * task_length
    probes = [np.full((1, steps, 1), v, np.int64) for v in encoding.input_values]
    probes.append(rng.choice(encoding.input_values, size=(256, steps, 1)))
    reach = max(float(np.abs(network.run(p)[0]).max()) for p in probes)
    shift = 10.0 * reach + 1.0

    readout = np.asarray(network.params["g"]["Dense_0"]["kernel"], np.float64).T  # [K, n]
    readout_bias = np.asarray(network.params["g"]["Dense_0"]["bias"], np.float64)
    head = encoding.heads[0]
    if head.kind == "regression":
        readout, readout_bias = head.scale * readout, head.scale * readout_bias
    arrays = {
        "rnn.weight_ih_l0": weight_ih,
        "rnn.weight_hh_l0": recurrent,
        "rnn.bias_ih_l0": bias + shift - recurrent @ np.full(n, shift),
        "rnn.bias_hh_l0": np.zeros(n),
        "fc.weight": readout,
        "fc.bias": readout_bias - readout @ np.full(n, shift),
        "h0": np.full(n, shift),  # the trained network starts at h = 0
    }
    np.savez(out, **arrays)
    options = ["--inputs", inputs, "--activation", "relu"]
    if head.kind == "classes":
        options += ["--outputs", "argmax", "--output-values", ",".join(map(str, head.values))]
    return options


if __name__ == "__main__":
    print(" ".join(export(sys.argv[1], sys.argv[2])))
