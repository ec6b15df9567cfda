"""A recurrent network mips did not train, runnable the way extraction asks its own networks.

Two ways in:
- weights saved from PyTorch (`load_torch`): a one-layer `nn.RNN` (tanh or relu) or `nn.GRU` and a
  linear readout, as `np.savez(path, **{k: v.numpy() for k, v in model.state_dict().items()})`
  writes them (`weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`, `bias_hh_l0`, `fc.weight`,
  `fc.bias`; a module prefix such as `rnn.` is allowed), plus an optional `h0`;
- any Python object with `step(hidden, inputs)` and `readout(hidden)` over numpy arrays, and a
  start state (`GivenNetwork.wrap`).

Extraction needs three things of a network: run it on input sequences from any hidden state,
read the outputs of any hidden state, and its start state (mips's own networks start at zero;
a given one need not). `GivenNetwork` gives them in numpy, float64; the user's code is called
through `usercode.call_user`, so whatever it raises is a `NetworkError` that names it.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mips.errors import NetworkError
from mips.usercode import UserError, call_user, short_repr

INPUT_CODINGS = ("raw", "one-hot")
OUTPUT_READINGS = ("round", "argmax")
ACTIVATIONS = ("tanh", "relu")


@dataclass(frozen=True, eq=False)
class GivenNetwork:
    """A network given by its step, its readout and its start state.

    `model.step(hidden [N, n] float64, inputs [N, D] int64) -> [N, n]` and
    `model.readout(hidden [N, n]) -> [N, O]` (or [N] for one output) whole numbers."""

    model: Any
    start: np.ndarray  # [n] float64: the hidden state before the first input
    output_dim: int
    description: str  # one line for the report and the program's header
    details: dict  # JSON-ready: where it came from and how it reads its inputs and outputs

    @classmethod
    def wrap(cls, model: Any, *, output_dim: int, start=None, description: str = "") -> GivenNetwork:
        """Any object with `step` and `readout`; its start state is `start`, else `model.h0`,
        else zeros of `model.hidden_size`."""
        problems = [
            f"the network needs a `{name}` method"
            for name in ("step", "readout")
            if not callable(getattr(model, name, None))
        ]
        if start is None:
            start = getattr(model, "h0", None)
        if start is None and getattr(model, "hidden_size", None) is not None:
            start = np.zeros(_count(model.hidden_size, problems))
        if start is None:
            problems.append("the network needs a start state: pass `start`, or give it `h0` or `hidden_size`")
        else:
            start = np.asarray(start, dtype=np.float64).reshape(-1)
            if not len(start) or not np.isfinite(start).all():
                problems.append(
                    f"the start state must be a non-empty vector of finite numbers, got {short_repr(start)}"
                )
        if problems:
            raise NetworkError("; ".join(problems))
        name = type(model).__name__
        text = description or f"a {name} object with a hidden state of {len(start)}"
        return cls(
            model, start, int(output_dim), text, {"kind": "python object", "class": name, "hidden_size": len(start)}
        )

    @property
    def hidden_size(self) -> int:
        return len(self.start)

    def start_states(self, count: int) -> np.ndarray:
        return np.tile(self.start, (count, 1))

    def run(self, inputs: np.ndarray, initial: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """int inputs [N, T, D] -> hidden states [N, T, n] (float64) and outputs [N, T, O] (int64),
        from `initial` ([N, n]) or the start state."""
        count, steps = inputs.shape[:2]
        h = self.start_states(count) if initial is None else np.asarray(initial, dtype=np.float64)
        hidden = np.empty((count, steps, self.hidden_size))
        for t in range(steps):
            h = self.step(h, inputs[:, t])
            hidden[:, t] = h
        outputs = self.readout(hidden.reshape(-1, self.hidden_size)).reshape(count, steps, -1)
        return hidden, outputs

    def step(self, hidden: np.ndarray, inputs: np.ndarray) -> np.ndarray:
        after = _called("step", self.model.step, hidden, np.asarray(inputs, dtype=np.int64))
        after = np.asarray(after, dtype=np.float64)
        if after.shape != hidden.shape:
            raise NetworkError(
                f"step(hidden, inputs) returned shape {after.shape}; the hidden states were {hidden.shape}"
            )
        if not np.isfinite(after).all():
            raise NetworkError("step(hidden, inputs) returned a number that is not finite (nan or inf)")
        return after

    def readout(self, hidden: np.ndarray) -> np.ndarray:
        """Hidden states [N, n] -> outputs [N, O] (int64)."""
        out = np.asarray(_called("readout", self.model.readout, np.asarray(hidden, dtype=np.float64)))
        out = out.reshape(len(hidden), -1) if out.size == len(hidden) * self.output_dim else out
        if out.shape != (len(hidden), self.output_dim):
            raise NetworkError(
                f"readout(hidden) returned shape {out.shape}; {len(hidden)} states of {self.output_dim} output(s) each were expected"
            )
        if out.dtype.kind == "f":
            if not np.isfinite(out).all() or (out != np.round(out)).any():
                raise NetworkError("readout(hidden) must return whole numbers (round or argmax the network's outputs)")
        elif out.dtype.kind not in "iub":
            raise NetworkError(f"readout(hidden) must return numbers, got an array of {out.dtype}")
        return out.astype(np.int64)

    def check(self, input_dim: int, input_values: tuple[int, ...]) -> None:
        """One step from the start state on every input value, and its readout: a network that
        does not fit the task fails here, before any work."""
        values = np.asarray(input_values, dtype=np.int64)
        inputs = np.repeat(values[:, None], input_dim, axis=1)
        self.readout(self.step(self.start_states(len(values)), inputs))


def _called(what: str, fn, *args):
    try:
        return call_user(f"the network's {what}", fn, *args)
    except UserError as failure:
        raise NetworkError(str(failure)) from None


def _count(value, problems: list[str]) -> int:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value > 0:
        return int(value)
    problems.append(f"hidden_size must be a positive integer, got {short_repr(value)}")
    return 1


# ---------------------------------------------------------------------------
# PyTorch's nn.RNN / nn.GRU, from their state_dict
# ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class TorchRecurrent:
    """One layer of `nn.RNN` (h' = act(W_ih x + b_ih + W_hh h + b_hh)) or `nn.GRU` (PyTorch's
    gates r, z, n in that order), fed `inputs` coded raw or one-hot over `input_values`, read
    through the linear layer (`fc_weight`, `fc_bias`) rounded or by argmax over `output_values`."""

    cell: str  # "rnn" or "gru"
    activation: str  # of the RNN: "tanh" or "relu"
    weight_ih: np.ndarray
    weight_hh: np.ndarray
    bias_ih: np.ndarray
    bias_hh: np.ndarray
    fc_weight: np.ndarray
    fc_bias: np.ndarray
    input_values: tuple[int, ...]
    inputs: str  # "raw" or "one-hot"
    outputs: str  # "round" or "argmax"
    output_values: tuple[int, ...]  # the value of each argmax class, per output

    def features(self, x: np.ndarray) -> np.ndarray:
        """int inputs [N, D] -> what the network is fed [N, F]."""
        if self.inputs == "raw":
            return x.astype(np.float64)
        codes = x[..., None] == np.asarray(self.input_values)
        return codes.reshape(len(x), -1).astype(np.float64)

    def step(self, h: np.ndarray, x: np.ndarray) -> np.ndarray:
        fed = self.features(x) @ self.weight_ih.T + self.bias_ih
        kept = h @ self.weight_hh.T + self.bias_hh
        if self.cell == "rnn":
            total = fed + kept
            return np.tanh(total) if self.activation == "tanh" else np.maximum(total, 0.0)
        n = h.shape[1]
        reset = _sigmoid(fed[:, :n] + kept[:, :n])
        update = _sigmoid(fed[:, n : 2 * n] + kept[:, n : 2 * n])
        new = np.tanh(fed[:, 2 * n :] + reset * kept[:, 2 * n :])
        return (1.0 - update) * new + update * h

    def readout(self, h: np.ndarray) -> np.ndarray:
        raw = h @ self.fc_weight.T + self.fc_bias
        if self.outputs == "round":
            return np.round(raw).astype(np.int64)
        classes = len(self.output_values)
        chosen = np.argmax(raw.reshape(len(h), -1, classes), axis=-1)
        return np.asarray(self.output_values, dtype=np.int64)[chosen]


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # no overflow warning for large |z|


def load_torch(
    path: str | Path,
    *,
    input_dim: int,
    input_values: tuple[int, ...],
    output_dim: int,
    inputs: str = "raw",
    outputs: str = "round",
    output_values: tuple[int, ...] = (),
    activation: str = "tanh",
) -> GivenNetwork:
    """A one-layer nn.RNN or nn.GRU with a linear readout from an .npz of its state_dict, checked
    against the task's shape; every problem found is in one NetworkError."""
    path = Path(path)
    arrays = _read_npz(path)
    problems: list[str] = []
    if inputs not in INPUT_CODINGS:
        problems.append(f"inputs must be one of {', '.join(INPUT_CODINGS)}, got {inputs!r}")
    if outputs not in OUTPUT_READINGS:
        problems.append(f"outputs must be one of {', '.join(OUTPUT_READINGS)}, got {outputs!r}")
    if activation not in ACTIVATIONS:
        problems.append(f"activation must be one of {', '.join(ACTIVATIONS)}, got {activation!r}")
    if outputs == "argmax" and len(set(output_values)) < 2:
        problems.append("reading outputs by argmax needs the output values, one per class (at least two, distinct)")
    if problems:
        raise NetworkError(f"{path}: " + "; ".join(problems))

    recurrent = _recurrent_weights(arrays, problems)
    if recurrent is None:
        raise NetworkError(f"{path}: " + "; ".join(problems))
    weight_ih, weight_hh, bias_ih, bias_hh = recurrent
    n = weight_hh.shape[1]
    gates = weight_hh.shape[0] // n
    cell = {1: "rnn", 3: "gru"}.get(gates)
    if cell is None or weight_hh.shape[0] != gates * n:
        kind = "an LSTM (4 gates), which is not supported" if gates == 4 else f"shape {weight_hh.shape}"
        problems.append(f"weight_hh_l0 is {kind}: an nn.RNN has [hidden, hidden], an nn.GRU [3 * hidden, hidden]")
    width = input_dim if inputs == "raw" else input_dim * len(input_values)
    if weight_ih.shape != (weight_hh.shape[0], width):
        coding = "the raw input numbers" if inputs == "raw" else f"a one-hot code over {len(input_values)} input values"
        problems.append(
            f"weight_ih_l0 has shape {weight_ih.shape}, but {input_dim} input number(s) per step fed as {coding} "
            f"need ({weight_hh.shape[0]}, {width})"
        )
    for name, bias in (("bias_ih_l0", bias_ih), ("bias_hh_l0", bias_hh)):
        if bias.shape != (weight_hh.shape[0],):
            problems.append(f"{name} has shape {bias.shape}, expected ({weight_hh.shape[0]},)")
    classes = 1 if outputs == "round" else len(output_values)
    fc_weight, fc_bias = _readout_weights(arrays, n, output_dim * classes, problems)
    start = arrays.get("h0", np.zeros(n))
    if start.size != n:
        problems.append(f"h0 has {start.size} numbers; the hidden state has {n}")
    if problems:
        raise NetworkError(f"{path}: " + "; ".join(problems))
    model = TorchRecurrent(
        cell=cell,
        activation=activation,
        weight_ih=weight_ih,
        weight_hh=weight_hh,
        bias_ih=bias_ih,
        bias_hh=bias_hh,
        fc_weight=fc_weight,
        fc_bias=fc_bias,
        input_values=tuple(input_values),
        inputs=inputs,
        outputs=outputs,
        output_values=tuple(output_values),
    )
    kind = f"nn.RNN ({activation})" if cell == "rnn" else "nn.GRU"
    reading = "rounded" if outputs == "round" else f"argmax over {','.join(map(str, output_values))}"
    starts = "a given h0" if "h0" in arrays else "h0 = 0"
    description = f"{kind}, hidden size {n}, from {path.name}: inputs {inputs}, outputs {reading}, {starts}"
    details = {
        "kind": kind,
        "file": str(path),
        "hidden_size": n,
        "inputs": inputs,
        "outputs": outputs,
        "output_values": list(output_values),
        "h0": start.reshape(-1).tolist(),
    }
    return GivenNetwork(model, start.reshape(-1).astype(np.float64), output_dim, description, details)


def _read_npz(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as archive:
            if not isinstance(archive, np.lib.npyio.NpzFile):
                raise NetworkError(f"{path}: a network is an .npz file of named arrays (np.savez), not one array")
            arrays = {name: np.asarray(archive[name]) for name in archive.files}
    except FileNotFoundError:
        raise NetworkError(f"{path}: no such file") from None
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise NetworkError(f"{path}: cannot be read as an .npz of arrays ({exc})") from None
    bad = [name for name, a in arrays.items() if a.dtype.kind not in "fiub" or not np.isfinite(a.astype(float)).all()]
    if bad:
        raise NetworkError(f"{path}: arrays {', '.join(bad)} are not finite numbers")
    return {name: a.astype(np.float64) for name, a in arrays.items()}


def _named(arrays: dict[str, np.ndarray], suffix: str, problems: list[str], *, needed: bool = True):
    """The one array whose name is `suffix` or ends in `.suffix` (a module prefix such as `rnn.`)."""
    found = [name for name in arrays if name == suffix or name.endswith("." + suffix)]
    if len(found) == 1:
        return arrays[found[0]]
    if found:
        problems.append(f"several arrays are named like {suffix}: {', '.join(sorted(found))}")
    elif needed:
        problems.append(f"no array named {suffix} (PyTorch's name for one layer of nn.RNN or nn.GRU)")
    return None


def _recurrent_weights(arrays: dict[str, np.ndarray], problems: list[str]):
    if any("_reverse" in name for name in arrays):
        problems.append("a bidirectional network cannot be run one step at a time: only one direction is supported")
    if any(name.endswith(("weight_ih_l1", "weight_hh_l1")) for name in arrays):
        problems.append("the network has more than one layer (weight_ih_l1): only one layer is supported")
    weight_ih = _named(arrays, "weight_ih_l0", problems)
    weight_hh = _named(arrays, "weight_hh_l0", problems)
    if weight_ih is None or weight_hh is None or problems:
        return None
    if weight_hh.ndim != 2 or weight_ih.ndim != 2:
        problems.append("weight_ih_l0 and weight_hh_l0 must be matrices")
        return None
    zeros = np.zeros(weight_hh.shape[0])
    bias_ih = _named(arrays, "bias_ih_l0", problems, needed=False)
    bias_hh = _named(arrays, "bias_hh_l0", problems, needed=False)
    # nn.RNN(bias=False) saves no biases.
    return weight_ih, weight_hh, zeros if bias_ih is None else bias_ih, zeros if bias_hh is None else bias_hh


def _readout_weights(arrays, hidden: int, rows: int, problems: list[str]):
    """`fc.weight` and `fc.bias`, or else the one other matrix of `hidden` columns and its bias."""
    names = [name for name in arrays if name == "fc.weight"]
    if not names:
        names = [
            name
            for name, a in arrays.items()
            if name.endswith("weight") and a.ndim == 2 and a.shape[1] == hidden and "_l0" not in name
        ]
    if len(names) != 1:
        found = f" (found {', '.join(sorted(names))})" if names else ""
        problems.append(f"the readout is one linear layer named fc (fc.weight [outputs, {hidden}], fc.bias){found}")
        return None, None
    weight = arrays[names[0]]
    bias = arrays.get(names[0][: -len("weight")] + "bias", np.zeros(len(weight)))
    if weight.shape != (rows, hidden):
        what = f"{rows} output(s)" if rows else "the outputs"
        problems.append(
            f"{names[0]} has shape {weight.shape}; {what} read from {hidden} hidden units need ({rows}, {hidden})"
        )
    elif bias.shape != (rows,):
        problems.append(f"the readout's bias has shape {bias.shape}, expected ({rows},)")
    return weight, bias
