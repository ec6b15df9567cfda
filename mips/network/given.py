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
from typing import Any, Iterable

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
    users_code: bool = True  # the model is the user's code (called through call_user), not mips's own

    @classmethod
    def wrap(cls, model: Any, *, output_dim: int, start=None, description: str = "") -> GivenNetwork:
        """Any object with `step` and `readout`; its start state is `start`, else `model.h0`,
        else zeros of `model.hidden_size`."""
        problems = [
            f"the network needs a `{name}` method"
            for name in ("step", "readout")
            if not callable(_attribute(model, name))
        ]
        named = "start"
        if start is None:
            start, named = _attribute(model, "h0"), "h0"
        if start is None and _attribute(model, "hidden_size") is not None:
            start = np.zeros(_count(_attribute(model, "hidden_size"), problems))
        if start is None:
            problems.append("the network needs a start state: pass `start`, or give it `h0` or `hidden_size`")
        else:
            start = _vector(start, named, problems)
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
        after = _numbers("step(hidden, inputs)", self._call("step", hidden, np.asarray(inputs, dtype=np.int64)))
        if after.shape != hidden.shape:
            raise NetworkError(
                f"the network's step(hidden, inputs) returned shape {after.shape}; the hidden states were {hidden.shape}"
            )
        after = after.astype(np.float64)
        if not np.isfinite(after).all():
            raise NetworkError(
                "the network's step(hidden, inputs) returned a number that is not finite (nan or inf: "
                "its state grew past what floating point holds)"
            )
        return after

    def readout(self, hidden: np.ndarray) -> np.ndarray:
        """Hidden states [N, n] -> outputs [N, O] (int64)."""
        out = _numbers("readout(hidden)", self._call("readout", np.asarray(hidden, dtype=np.float64)))
        if out.ndim == 1 and self.output_dim == 1:
            out = out[:, None]
        if out.shape != (len(hidden), self.output_dim):
            raise NetworkError(
                f"the network's readout(hidden) returned shape {out.shape}; {len(hidden)} states of "
                f"{self.output_dim} output(s) each, shape ({len(hidden)}, {self.output_dim}), were expected"
            )
        if out.dtype.kind == "f" and (not np.isfinite(out).all() or (out != np.round(out)).any()):
            raise NetworkError(
                "the network's readout(hidden) must return whole numbers (round or argmax the network's outputs)"
            )
        magnitude = np.abs(out.astype(np.float64))
        if out.size and magnitude.max() >= READOUT_LIMIT:
            largest = out.flat[magnitude.argmax()]
            raise NetworkError(
                f"the network's readout(hidden) returned {short_repr(largest)}: mips reads outputs below 2**53 in size"
            )
        return out.astype(np.int64)

    def check(self, input_dim: int, input_values: tuple[int, ...]) -> None:
        """One step from the start state on every input value, and its readout: a network that
        does not fit the task fails here, before any work."""
        values = np.asarray(input_values, dtype=np.int64)
        inputs = np.repeat(values[:, None], input_dim, axis=1)
        self.readout(self.step(self.start_states(len(values)), inputs))

    def _call(self, what: str, *args):
        method = getattr(self.model, what)
        if not self.users_code:  # mips's own reading of a PyTorch file: a failure there is a bug of ours
            return method(*args)
        try:
            return call_user(f"the network's {what}", method, *args)
        except UserError as failure:
            raise NetworkError(str(failure)) from None


# Outputs are whole numbers that float64 holds exactly (and far inside int64).
READOUT_LIMIT = 2**53
# The largest hidden state read: extraction runs the network on thousands of sequences, and keeps
# their states (measured: 5,000 units took 64 s and 5.3 GB).
MAX_HIDDEN = 4096


def _attribute(model: Any, name: str):
    try:
        return getattr(model, name, None)
    except Exception as exc:  # a property of the user's that raises
        raise NetworkError(
            f"reading the network's {name} raised {type(exc).__name__}: {short_repr(str(exc))}"
        ) from None


def _numbers(what: str, value) -> np.ndarray:
    """The user's result as an array of real numbers, or a NetworkError saying what it was."""
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise NetworkError(f"the network's {what} must return a numpy array, got {short_repr(value)} ({exc})") from None
    if array.dtype.kind not in "fiub":
        raise NetworkError(
            f"the network's {what} must return an array of real numbers, got {type(value).__name__} of {array.dtype}"
        )
    return array


def _vector(value, named: str, problems: list[str]) -> np.ndarray:
    try:
        vector = np.asarray(value, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        problems.append(f"{named} must be a vector of numbers, got {short_repr(value)}")
        return np.zeros(1)
    if not len(vector) or not np.isfinite(vector).all():
        problems.append(f"{named} must be a non-empty vector of finite numbers, got {short_repr(value)}")
    elif len(vector) > MAX_HIDDEN:
        problems.append(f"{named} has {len(vector):,} numbers: mips reads hidden states of at most {MAX_HIDDEN:,}")
    return vector


def _count(value, problems: list[str]) -> int:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool) and 0 < value <= MAX_HIDDEN:
        return int(value)
    problems.append(f"hidden_size must be a whole number from 1 to {MAX_HIDDEN:,}, got {short_repr(value)}")
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
        with np.errstate(over="ignore", invalid="ignore"):  # a state past float64 is caught as not finite
            return self._step(h, x)

    def _step(self, h: np.ndarray, x: np.ndarray) -> np.ndarray:
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
        """Whole numbers: rounded (as floats, which `GivenNetwork.readout` checks for size), or the
        argmax's values."""
        with np.errstate(over="ignore", invalid="ignore"):
            raw = h @ self.fc_weight.T + self.fc_bias
        if self.outputs == "round":
            return np.round(raw)
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
    output_values=(),
    activation: str | None = None,
) -> GivenNetwork:
    """A one-layer nn.RNN or nn.GRU with a linear readout from an .npz of its state_dict, checked
    against the task's shape; every problem found is in one NetworkError. `activation` is the
    nn.RNN's ("tanh", its default, or "relu"); an nn.GRU has none."""
    path = Path(path)
    problems = _option_problems(inputs, outputs, output_values, activation)
    if problems:
        raise NetworkError(f"{path}: " + "; ".join(problems))
    output_values = tuple(int(v) for v in output_values)
    arrays = _read_npz(path)
    recurrent = _recurrent_weights(arrays, problems)
    if recurrent is None:
        raise NetworkError(f"{path}: " + "; ".join(problems))
    weight_ih, weight_hh, bias_ih, bias_hh = recurrent
    n = weight_hh.shape[1]
    gates = weight_hh.shape[0] // n
    cell = {1: "rnn", 3: "gru"}.get(gates) if weight_hh.shape[0] == gates * n else None
    if cell is None:
        kind = "an LSTM's (4 gates), which is not supported" if gates == 4 else f"of shape {weight_hh.shape}"
        problems.append(f"weight_hh_l0 is {kind}: an nn.RNN has [hidden, hidden], an nn.GRU [3 * hidden, hidden]")
    if cell == "gru" and activation is not None:
        problems.append("an nn.GRU has no activation to choose (its gates are PyTorch's): leave activation out")
    if n > MAX_HIDDEN:
        problems.append(f"the hidden state has {n:,} units: mips reads networks of at most {MAX_HIDDEN:,}")
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
    fc_weight, fc_bias = _readout_weights(arrays, n, output_dim, classes, problems)
    start = _named(arrays, "h0", problems, needed=False)
    start = np.zeros(n) if start is None else start
    if start.size != n:
        problems.append(f"h0 has {start.size} numbers; the hidden state has {n}")
    if problems:
        raise NetworkError(f"{path}: " + "; ".join(problems))
    model = TorchRecurrent(
        cell=cell,
        activation=activation or "tanh",
        weight_ih=weight_ih,
        weight_hh=weight_hh,
        bias_ih=bias_ih,
        bias_hh=bias_hh,
        fc_weight=fc_weight,
        fc_bias=fc_bias,
        input_values=tuple(input_values),
        inputs=inputs,
        outputs=outputs,
        output_values=output_values,
    )
    kind = f"nn.RNN ({activation or 'tanh'})" if cell == "rnn" else "nn.GRU"
    reading = "rounded" if outputs == "round" else f"argmax over {','.join(map(str, output_values))}"
    starts = "a given h0" if start.any() else "h0 = 0"
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
    start = start.reshape(-1).astype(np.float64)
    return GivenNetwork(model, start, output_dim, description, details, users_code=False)


def _option_problems(inputs, outputs, output_values, activation) -> list[str]:
    """What is wrong with how the file is to be read (before it is read)."""
    problems = []
    if inputs not in INPUT_CODINGS:
        problems.append(f"inputs must be one of {', '.join(INPUT_CODINGS)}, got {short_repr(inputs)}")
    if outputs not in OUTPUT_READINGS:
        problems.append(f"outputs must be one of {', '.join(OUTPUT_READINGS)}, got {short_repr(outputs)}")
    if activation is not None and activation not in ACTIVATIONS:
        problems.append(f"activation must be one of {', '.join(ACTIVATIONS)}, got {short_repr(activation)}")
    if isinstance(output_values, (str, bytes)) or not isinstance(output_values, Iterable):
        return problems + [f"output values must be a list of integers, got {short_repr(output_values)}"]
    values = list(output_values)
    if not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in values):
        problems.append(f"output values must be integers, got {short_repr(values)}")
    elif any(abs(v) >= READOUT_LIMIT for v in values):
        problems.append("output values must be below 2**53 in size")
    elif len(set(values)) != len(values):
        problems.append(f"output values must be distinct (one per class of the readout), got {short_repr(values)}")
    if outputs == "argmax" and len(values) < 2:
        problems.append("reading outputs by argmax needs the output values, one per class (at least two)")
    if outputs == "round" and values:
        problems.append("output values are for reading outputs by argmax, not rounded")
    return problems


def _read_npz(path: Path) -> dict[str, np.ndarray]:
    try:
        with open(path, "rb") as file:
            magic = file.read(6)
        loaded = np.load(path, allow_pickle=False) if magic.startswith((b"PK", b"\x93NUMPY")) else None
    except FileNotFoundError:
        raise NetworkError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise NetworkError(f"{path}: a folder, not an .npz file") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise NetworkError(f"{path}: cannot be read as an .npz of arrays ({type(exc).__name__}: {exc})") from None
    if loaded is None:  # numpy would try it as a pickle, which mips never loads
        raise NetworkError(f"{path}: not an .npz file of arrays (np.savez writes one)")
    if not isinstance(loaded, np.lib.npyio.NpzFile):
        raise NetworkError(f"{path}: a network is an .npz file of named arrays (np.savez), not one array")
    try:
        with loaded as archive:
            arrays = {name: np.asarray(archive[name]) for name in archive.files}
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as exc:
        raise NetworkError(f"{path}: cannot be read as an .npz of arrays ({type(exc).__name__}: {exc})") from None
    odd = [name for name, a in arrays.items() if a.dtype.kind not in "fiub"]
    if odd:
        raise NetworkError(f"{path}: {', '.join(sorted(odd))}: not arrays of real numbers")
    broken = [name for name, a in arrays.items() if not np.isfinite(a.astype(np.float64)).all()]
    if broken:
        raise NetworkError(f"{path}: {', '.join(sorted(broken))}: numbers that are not finite (nan or inf)")
    return {name: a.astype(np.float64) for name, a in arrays.items()}


# The names a one-layer nn.RNN or nn.GRU and its readout save, after any module prefix.
_READ = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "h0")


def _named(arrays: dict[str, np.ndarray], suffix: str, problems: list[str], *, needed: bool = True):
    """The one array whose name is `suffix` or ends in `.suffix` (a module prefix such as `rnn.`)."""
    missing = f"no array named {suffix} (PyTorch's name for one layer of nn.RNN or nn.GRU)"
    name = _one_name(arrays, suffix, problems, missing=missing if needed else None)
    return None if name is None else arrays[name]


def _recurrent_weights(arrays: dict[str, np.ndarray], problems: list[str]):
    if any("_reverse" in name for name in arrays):
        problems.append("a bidirectional network cannot be run one step at a time: only one direction is supported")
    if any(name.endswith(("weight_ih_l1", "weight_hh_l1")) for name in arrays):
        problems.append("the network has more than one layer (weight_ih_l1): only one layer is supported")
    weight_ih = _named(arrays, "weight_ih_l0", problems)
    weight_hh = _named(arrays, "weight_hh_l0", problems)
    if weight_ih is None or weight_hh is None or problems:
        return None
    if weight_hh.ndim != 2 or weight_ih.ndim != 2 or weight_hh.shape[1] == 0:
        problems.append(
            f"weight_ih_l0 and weight_hh_l0 must be matrices of at least one hidden unit, "
            f"got shapes {weight_ih.shape} and {weight_hh.shape}"
        )
        return None
    zeros = np.zeros(weight_hh.shape[0])
    bias_ih = _named(arrays, "bias_ih_l0", problems, needed=False)
    bias_hh = _named(arrays, "bias_hh_l0", problems, needed=False)
    # nn.RNN(bias=False) saves no biases.
    return weight_ih, weight_hh, zeros if bias_ih is None else bias_ih, zeros if bias_hh is None else bias_hh


def _readout_weights(arrays, hidden: int, outputs: int, classes: int, problems: list[str]):
    """`fc.weight` and `fc.bias` (a module prefix allowed, as for the recurrent layer); every
    other array of the file is refused: a layer mips does not run (an embedding, a second
    readout) would change what the network computes."""
    missing = (
        "no array named fc.weight: the readout is one linear layer named fc (fc.weight [outputs, hidden], fc.bias)"
    )
    weight_name = _one_name(arrays, "fc.weight", problems, missing=missing)
    if weight_name is None:
        return None, None
    bias_name = _one_name(arrays, "fc.bias", problems, missing=None)
    unused = sorted(name for name in arrays if name not in (weight_name, bias_name) and not name.endswith(_READ))
    if unused:
        problems.append(
            f"arrays mips does not know how to use: {', '.join(unused[:5])}"
            + (f" and {len(unused) - 5} more" if len(unused) > 5 else "")
            + " (it reads one nn.RNN or nn.GRU layer, its h0 and its linear readout fc)"
        )
    weight = arrays[weight_name]
    rows = outputs * classes
    what = f"{outputs} output(s)" + (f" of {classes} classes each" if classes > 1 else "")
    if weight.shape != (rows, hidden):
        problems.append(
            f"{weight_name} has shape {weight.shape}; {what} read from {hidden} hidden units need ({rows}, {hidden})"
        )
        return None, None
    bias = np.zeros(rows) if bias_name is None else arrays[bias_name]
    if bias.shape != (rows,):
        problems.append(f"{bias_name} has shape {bias.shape}, expected ({rows},)")
    return weight, bias


def _one_name(arrays, suffix: str, problems: list[str], *, missing: str | None) -> str | None:
    """The one name that is `suffix` or ends in `.suffix`; `missing`, when given, is the problem
    of there being none."""
    found = [name for name in arrays if name == suffix or name.endswith("." + suffix)]
    if len(found) == 1:
        return found[0]
    if found:
        problems.append(f"several arrays are named like {suffix}: {', '.join(sorted(found))}")
    elif missing:
        problems.append(missing)
    return None
