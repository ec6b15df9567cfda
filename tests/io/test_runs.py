"""Reading run folders back: a run folder is data, and a corrupt or hostile one is a one-line
error naming the file (exit 2), never a traceback, and nothing in it is ever run."""

from __future__ import annotations

import json
import random

import jax
import numpy as np
import pytest

from mips.cli import main
from mips.errors import RunError
from mips.io.report import FORMAT_VERSION
from mips.io.runs import input_values, load_run, parameter_shapes, save_network
from mips.machines import FormulaMachine, machine_from_json
from mips.network.model import Arch, Encoding, Head, Network, init_params

PARITY = {"kind": "fsm", "initial": 0, "symbols": [[0], [1]], "transitions": [[0, 1], [1, 0]], "outputs": [[0], [1]]}
ENCODING = Encoding(input_dim=1, input_values=(0, 1), input_scale=1.0, one_hot=True, heads=(Head("classes", (0, 1)),))


def report(**task) -> dict:
    return {
        "format": FORMAT_VERSION,
        "task": {
            "name": "Parity",
            "source": "built-in",
            "input_dim": 1,
            "output_dim": 1,
            "length": 6,
            "input_values": "0..1",
            "rule": "parity of the ones so far",
            **task,
        },
        "verdict": "VERIFIED: by hand",
        "network": None,
        "machine": {"description": "a 2-state machine"},
        "extraction": None,
    }


def write_run(folder, *, machine: dict | None = PARITY, network: Arch | None = Arch(hidden=2), **task):
    """A run folder written by hand (no training): report, config, machine and network."""
    folder.mkdir(exist_ok=True)
    (folder / "report.json").write_text(json.dumps(report(**task)))
    (folder / "config.json").write_text("{}")
    if machine is not None:
        (folder / "machine.json").write_text(json.dumps(machine))
    if network is not None:
        params = jax.tree_util.tree_map(np.asarray, init_params(network, ENCODING, key=jax.random.key(0)))
        save_network(Network(network, ENCODING, params), folder)
    return folder


def edit_json(path, change) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def test_a_well_formed_run_reads_back(tmp_path):
    run = load_run(write_run(tmp_path / "run"))
    assert run.machine.run([1, 1, 0, 1]) == [1, 0, 0, 1]
    assert run.network.arch == Arch(hidden=2) and run.network.encoding == ENCODING
    assert run.network.run(np.zeros((1, 3, 1), dtype=np.int64))[0].shape == (1, 3, 2)


# Formula machines (most solved programs are of this kind), with the task each reads: input_dim, input_values.
FORMULA_RUNS = {
    "mod-counter": (FormulaMachine(1, 1, ("(s0 + x) % 3",), ("s0",), labels=("the output",), rewrites=3), 1, "0..2"),
    "two-coordinates-two-inputs": (
        FormulaMachine(
            2,
            2,
            ("(s1 + x0 + x1) % 3", "(s1 + x0 + x1) // 3"),
            ("s0", "s1"),
            labels=("the output", "the output if the next input were (0, 0)"),
            rewrites=6,
        ),
        2,
        "0..2",
    ),
    "conditional-nonzero-start": (FormulaMachine(1, 1, ("s0 + 1 if x == 1 else 0",), ("s0",), initial=(2,)), 1, "0..1"),
}


@pytest.mark.parametrize("name", sorted(FORMULA_RUNS))
def test_a_run_of_a_formula_machine_reads_back_as_the_same_machine(tmp_path, name):
    machine, input_dim, values = FORMULA_RUNS[name]
    assert machine_from_json(machine.to_json()) == machine
    assert machine_from_json(json.loads(json.dumps(machine.to_json()))) == machine  # through the text too
    folder = write_run(
        tmp_path / "run",
        machine=machine.to_json(),
        network=Arch(hidden=2) if input_dim == 1 else None,  # the hand-made network reads one number
        input_dim=input_dim,
        input_values=values,
        output_dim=len(machine.readout),
    )
    run = load_run(folder)
    assert isinstance(run.machine, FormulaMachine) and run.machine == machine
    assert run.machine.labels == machine.labels and run.machine.rewrites == machine.rewrites
    rng, domain = random.Random(0), input_values(values)
    for length in (1, 5, 30):
        for _ in range(30):
            xs = [
                rng.choice(domain) if input_dim == 1 else (rng.choice(domain), rng.choice(domain))
                for _ in range(length)
            ]
            assert run.machine.run(xs) == machine.run(xs)
            assert run.machine.steps(xs) == machine.steps(xs)


def test_network_json_and_machine_json_are_optional(tmp_path):
    run = load_run(write_run(tmp_path / "run", machine=None, network=None))
    assert run.machine is None and run.network is None and run.program is None


@pytest.mark.parametrize(
    "arch, encoding",
    [
        (Arch(1), ENCODING),
        (Arch(3, f_depth=2, g_depth=3, width=5), ENCODING),
        (
            Arch(2, f_depth=3, g_depth=1, width=4),
            Encoding(2, (0, 1, 2), 2.0, False, (Head("classes", (0, 1, 5)), Head("regression", scale=9.0))),
        ),
    ],
)
def test_parameter_shapes_are_those_init_params_makes(arch, encoding):
    made = init_params(arch, encoding, key=jax.random.key(0))
    flat = {
        "/".join(str(k.key) for k in path): leaf.shape for path, leaf in jax.tree_util.tree_flatten_with_path(made)[0]
    }
    assert parameter_shapes(arch, encoding) == flat


def _weights_of_hidden_3(folder):
    """network.npz of a network of 3 hidden units, network.json still of 2."""
    meta = (folder / "network.json").read_text()
    params = jax.tree_util.tree_map(np.asarray, init_params(Arch(3), ENCODING, key=jax.random.key(1)))
    save_network(Network(Arch(3), ENCODING, params), folder)
    (folder / "network.json").write_text(meta)


def _one_array(folder):
    with open(folder / "network.npz", "wb") as file:
        np.save(file, np.zeros(3))


def _drop_array(folder):
    with np.load(folder / "network.npz") as arrays:
        kept = {name: arrays[name] for name in arrays.files if name != "g/Dense_0/bias"}
    np.savez(folder / "network.npz", **kept)


def _ints_for_floats(folder):
    with np.load(folder / "network.npz") as arrays:
        kept = {name: arrays[name].astype(np.int32) for name in arrays.files}
    np.savez(folder / "network.npz", **kept)


def _formula_machine(folder, update):
    """machine.json: a formula machine whose update is `update`."""
    machine = {"kind": "formula", "state_dim": 1, "input_dim": 1, "update": [update], "readout": ["s0"]}
    (folder / "machine.json").write_text(json.dumps(machine))


def _change(name, change):
    return lambda folder: edit_json(folder / name, change)


CORRUPT = {
    # network.npz and network.json
    "npz-missing": (lambda f: (f / "network.npz").unlink(), "network.npz is missing"),
    "npz-not-a-zip": (lambda f: (f / "network.npz").write_bytes(b"PK\x03\x04 not really"), "network.npz is corrupt"),
    "npz-truncated": (
        lambda f: (f / "network.npz").write_bytes((f / "network.npz").read_bytes()[:200]),
        "network.npz is corrupt",
    ),
    "npz-one-array": (_one_array, "network.npz is corrupt"),
    "npz-missing-array": (_drop_array, "holds 3 arrays"),
    "npz-other-shapes": (_weights_of_hidden_3, "not floats of shape"),
    "npz-ints": (_ints_for_floats, "int32"),
    "json-not-json": (lambda f: (f / "network.json").write_text("{arch"), "network.json is corrupt"),
    "json-a-list": (lambda f: (f / "network.json").write_text("[]"), "network.json: the file must be a JSON object"),
    "arch-string": (_change("network.json", lambda d: d["arch"].update(hidden="2")), "arch.hidden must be an integer"),
    "arch-float": (_change("network.json", lambda d: d["arch"].update(width=16.0)), "arch.width must be an integer"),
    "arch-zero": (_change("network.json", lambda d: d["arch"].update(f_depth=0)), "arch.f_depth must be from 1 to"),
    "arch-extra": (_change("network.json", lambda d: d["arch"].update(dropout=1)), "unknown fields (dropout)"),
    "arch-huge": (
        _change("network.json", lambda d: d["arch"].update(hidden=10**12, width=10**12)),
        "arch.hidden must be from 1 to 4096",
    ),
    "no-heads": (_change("network.json", lambda d: d["encoding"].pop("heads")), "encoding.heads is missing"),
    "one-hot-int": (_change("network.json", lambda d: d["encoding"].update(one_hot=1)), "true or false"),
    "head-kind": (_change("network.json", lambda d: d["encoding"]["heads"][0].update(kind="tree")), "heads[0].kind"),
    "network-width": (
        _change("report.json", lambda d: d["task"].update(input_dim=2)),
        "network reads 1 number(s) per step, the task in report.json 2",
    ),
    # machine.json
    "machine-not-json": (lambda f: (f / "machine.json").write_text("{"), "machine.json is corrupt"),
    "machine-deep": (lambda f: (f / "machine.json").write_text("[" * 100_000), "machine.json is corrupt"),
    "machine-list": (lambda f: (f / "machine.json").write_text("[1]"), "the machine must be a JSON object"),
    "machine-kind": (_change("machine.json", lambda d: d.update(kind="tape")), "one of fsm, lattice, formula"),
    "machine-out-of-range": (
        _change("machine.json", lambda d: d["transitions"][1].__setitem__(0, 2)),
        "transitions[1][0] must be from -1 to 1, got 2",
    ),
    "machine-width": (_change("machine.json", lambda d: d.update(symbols=[[0, 0], [1, 0]])), "number(s) per step"),
    "formula-not-arithmetic": (
        lambda f: _formula_machine(f, "__import__('os').system('exit 1')"),
        "not a formula (only names, integers, operators",
    ),
    "formula-unknown-name": (lambda f: _formula_machine(f, "s0 + s9"), "unknown name 's9'"),
    # report.json
    "report-list": (lambda f: (f / "report.json").write_text("[]"), "a report is a JSON object"),
    "report-deep": (lambda f: (f / "report.json").write_text("[" * 100_000), "report.json is corrupt"),
    "no-task": (_change("report.json", lambda d: d.pop("task")), "task is missing"),
    "task-name-number": (_change("report.json", lambda d: d["task"].update(name=3)), "task.name must be a string"),
    "task-name-newline": (_change("report.json", lambda d: d["task"].update(name="a\nb")), "task.name holds U+000A"),
    "task-length-text": (
        _change("report.json", lambda d: d["task"].update(length="6")),
        "task.length must be an integer",
    ),
    "task-dim-bool": (_change("report.json", lambda d: d["task"].update(input_dim=True)), "task.input_dim must be"),
    "task-values": (_change("report.json", lambda d: d["task"].update(input_values="a..b")), "task.input_values"),
    "no-verdict": (_change("report.json", lambda d: d.pop("verdict")), "verdict is missing"),
    "description": (_change("report.json", lambda d: d["machine"].update(description=5)), "machine.description"),
    "network-arch": (
        _change("report.json", lambda d: d.update(network={"arch": {"hidden": 1.5}})),
        "network.arch.hidden must be an integer",
    ),
    "extraction": (_change("report.json", lambda d: d.update(extraction={"fsm": {}})), "extraction.fsm.reason"),
    "program-not-text": (lambda f: (f / "program.py").write_bytes(b"\xff\xfe"), "program.py is corrupt"),
}


@pytest.mark.parametrize("spoil, message", CORRUPT.values(), ids=CORRUPT.keys())
def test_a_corrupt_run_folder_is_one_line_naming_the_file(tmp_path, capsys, spoil, message):
    folder = write_run(tmp_path / "run")
    spoil(folder)
    with pytest.raises(RunError) as caught:
        load_run(folder)
    text = str(caught.value)
    assert message in text and str(folder) in text, text
    assert main(["inspect", str(folder), "--no-plot"]) == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err and message in captured.err


def test_a_pickle_in_network_npz_is_never_unpickled(tmp_path):
    marker = tmp_path / "unpickled"

    class Boom:
        def __reduce__(self):  # unpickling this would create the marker file
            return open, (str(marker), "w")

    folder = write_run(tmp_path / "run")
    np.savez(folder / "network.npz", **{"f/Dense_0/kernel": np.array([Boom()], dtype=object)})
    with pytest.raises(RunError, match="network.npz"):
        load_run(folder)
    assert not marker.exists()


def test_the_arrays_headers_are_checked_before_any_array_is_read(tmp_path, monkeypatch):
    folder = write_run(tmp_path / "run")
    with np.load(folder / "network.npz") as arrays:
        weights = {name: arrays[name] for name in arrays.files}
    weights["f/Dense_0/kernel"] = np.zeros((3, 3), np.float32)  # the wrong shape
    np.savez(folder / "network.npz", **weights)

    def no_reading(self, key):
        raise AssertionError(f"{key} was read")

    monkeypatch.setattr(np.lib.npyio.NpzFile, "__getitem__", no_reading)
    with pytest.raises(RunError, match="f/Dense_0/kernel is float32 of shape"):
        load_run(folder)


@pytest.mark.parametrize(
    "text, values",
    [
        ("0..9", range(10)),
        ("-3..3", range(-3, 4)),
        ("1,3,5", (1, 3, 5)),
        ("7", (7,)),
        ("0..9223372036854775807", range(2**63)),
    ],
)
def test_input_values_read_the_reports_text(text, values):
    assert input_values(text) == values


@pytest.mark.parametrize("text", ["", "a..b", "3..1", "1,,2", "1.5", "0..9223372036854775808", "x"])
def test_input_values_refuse_other_text(text):
    with pytest.raises(ValueError, match="task.input_values"):
        input_values(text)


# The state machine a formula machine writes as formulas (state_machine.json), for its drawing.
PARITY_FORMULAS = FormulaMachine(1, 1, ("s0 ^ x",), ("s0",), labels=("the output",), rewrites=2)


def test_the_state_machine_of_a_formula_machine_reads_back(tmp_path):
    folder = write_run(tmp_path / "run", machine=PARITY_FORMULAS.to_json())
    assert load_run(folder).state_machine is None  # a folder saved before state_machine.json: no graph, no error
    (folder / "state_machine.json").write_text(json.dumps(PARITY))
    run = load_run(folder)
    assert run.machine == PARITY_FORMULAS and run.state_machine == machine_from_json(PARITY)


STATE_MACHINE_SPOILED = {
    "not-a-state-machine": (PARITY_FORMULAS.to_json(), PARITY_FORMULAS, "a state machine (kind fsm) is expected"),
    "other-state-count": (
        {**PARITY, "transitions": [[0, 1], [1, 2], [2, 0]], "outputs": [[0], [1], [0]]},
        PARITY_FORMULAS,
        "a 3-state machine, but machine.json writes a 2-state machine as formulas",
    ),
    "beside-a-table": (PARITY, machine_from_json(PARITY), "machine.json writes no state machine as formulas"),
    "corrupt": ({**PARITY, "initial": 5}, PARITY_FORMULAS, "initial must be from 0 to 1"),
}


@pytest.mark.parametrize("saved, machine, message", STATE_MACHINE_SPOILED.values(), ids=STATE_MACHINE_SPOILED.keys())
def test_a_state_machine_that_is_not_the_one_the_formulas_write_is_one_line(tmp_path, capsys, saved, machine, message):
    folder = write_run(tmp_path / "run", machine=machine.to_json(), network=None)
    (folder / "state_machine.json").write_text(json.dumps(saved))
    with pytest.raises(RunError) as caught:
        load_run(folder)
    assert message in str(caught.value) and str(folder / "state_machine.json") in str(caught.value)
    assert main(["inspect", str(folder)]) == 2
    assert capsys.readouterr().err.count("\n") == 1
