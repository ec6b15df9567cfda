"""The Python interface, as the README's notebook example uses it: a task defined in code,
synthesized, its program run and its run folder saved and read back; the same by a built-in
name; a network mips did not train, by path and as an object; errors that name the keyword
arguments the user wrote; and `mips extract` on the command line."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from small_config import SMALL

import mips
from mips.cli import main
from mips.io.runs import load_run


def running_max(inputs):
    out, best = [], 0
    for x in inputs:
        best = max(best, x)
        out.append(best)
    return out


def test_import_mips_is_light_and_offers_the_documented_names():
    script = "import sys, mips; print('mips.api' in sys.modules, 'jax' in sys.modules, sorted(mips.__all__))"
    found = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    loaded_api, loaded_jax, names = found.split(" ", 2)
    assert (loaded_api, loaded_jax) == ("False", "False")
    for name in ("synthesize", "from_network", "define_task", "Result", "MipsError"):
        assert name in names
        assert getattr(mips, name) is not None
    with pytest.raises(AttributeError):
        mips.no_such_thing  # noqa: B018


def test_a_task_defined_in_code_is_synthesized_run_and_saved(tmp_path):
    task = mips.define_task(name="running_max", reference=running_max, input_values=range(4), length=8)
    progress = []
    result = mips.synthesize(task, config=SMALL, progress=progress.append)
    assert result.verified, result.verdict
    assert result.verdict.startswith("VERIFIED")
    assert any(line.startswith("[7/7] verify") for line in progress)
    assert result.function()([2, 0, 3, 1]) == [2, 2, 3, 3]
    assert result.report["task"]["name"] == "running_max" and result.report["verified"]
    assert "running_max" in repr(result) and "VERIFIED" in result.summary()

    folder = result.save(tmp_path / "run")
    assert json.loads((folder / "report.json").read_text())["verified"]
    assert load_run(folder).program == result.program
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("the user's")
    with pytest.raises(mips.OutputError):
        result.save(tmp_path / "mine")  # a folder mips did not write is never replaced
    assert (tmp_path / "mine" / "notes.txt").read_text() == "the user's"


def test_a_built_in_name_is_synthesized_with_the_options_given():
    result = mips.synthesize("Bitwise_And", config=SMALL, max_hidden=1, seed=3)
    assert result.run.config.seed == 3 and result.run.config.search.max_hidden == 1
    assert result.task.name == "Bitwise_And"
    assert result.verified, result.verdict


@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"input_values": [], "length": 8}, "input_values is empty"),
        ({"input_values": range(4), "length": 0}, "length must be a positive integer"),
        ({"input_values": range(4), "length": 8, "input_dim": 0}, "input_dim must be a positive integer"),
        ({"input_values": ["a"], "length": 8}, "input_values must hold integers only"),
    ],
)
def test_errors_name_the_keyword_arguments(arguments, message):
    with pytest.raises(mips.TaskError, match=message) as caught:
        mips.define_task(name="t", reference=running_max, **arguments)
    assert "INPUT_VALUES" not in str(caught.value) and "LENGTH" not in str(caught.value)


def test_an_unknown_name_is_a_task_error_with_suggestions():
    with pytest.raises(mips.TaskError, match="did you mean"):
        mips.synthesize("Bitwise_Andd")


class _Sum:
    h0 = np.zeros(1)

    def step(self, hidden, inputs):
        return hidden + inputs

    def readout(self, hidden):
        return np.round(hidden)


def _running_sum(inputs):
    out, total = [], 0
    for x in inputs:
        total += x
        out.append(total)
    return out


SUM = mips.define_task(name="running_sum", reference=_running_sum, input_values=range(3), length=8)


def test_extract_reads_a_python_object_and_a_pytorch_file(tmp_path):
    result = mips.from_network(_Sum(), SUM, config=SMALL)
    assert result.verified, result.verdict
    assert result.function()([1, 2, 2]) == [1, 3, 5]
    np.savez(tmp_path / "sum.npz", weight_ih_l0=[[1.0]], weight_hh_l0=[[1.0]], **{"fc.weight": [[1.0]]})
    from_file = mips.from_network(tmp_path / "sum.npz", SUM, activation="relu", config=SMALL)
    assert from_file.verified and from_file.report["given_network"]["kind"] == "nn.RNN (relu)"


def test_mips_extract_on_the_command_line(tmp_path, capsys):
    np.savez(tmp_path / "sum.npz", weight_ih_l0=[[1.0]], weight_hh_l0=[[1.0]], **{"fc.weight": [[1.0]]})
    task_file = tmp_path / "running_sum.py"
    task_file.write_text(
        "NAME = 'running_sum'\nINPUT_DIM = 1\nLENGTH = 8\nINPUT_VALUES = range(3)\n"
        "def reference(inputs):\n    out, t = [], 0\n    for x in inputs:\n        t += x\n        out.append(t)\n"
        "    return out\n"
    )
    out = tmp_path / "run"
    args = ["extract", str(tmp_path / "sum.npz"), "--task", str(task_file), "--activation", "relu", "--out", str(out)]
    assert main(args + ["--quiet"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith('"""running_sum: synthesized by mips from a given recurrent network.')
    assert "network: given, nn.RNN (relu)" in captured.err
    assert json.loads((out / "report.json").read_text())["given_network"]["heldout_right"] > 0
    assert main(["inspect", str(out), "--plot", str(tmp_path / "p.png"), "--trace", "1,2"]) == 0
    shown = capsys.readouterr().out
    assert "network: given, nn.RNN (relu), hidden size 1" in shown
    assert "plot: not drawn: the network was given to mips extract" in shown and not (tmp_path / "p.png").exists()
    assert "not in the run folder: no network columns" in shown

    # Misfits are one line and exit 2, before any work; nothing is written.
    assert main(args[:-2] + ["--out", str(tmp_path / "run2"), "--inputs", "one-hot"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "one-hot code over 3 input values need (1, 3)" in error
    assert not (tmp_path / "run2").exists()
    assert main(["extract", str(tmp_path / "nothere.npz"), "--task", str(task_file)]) == 2
    assert "no such file" in capsys.readouterr().err


@pytest.mark.parametrize(
    "options, message",
    [
        ({"seed": -1}, "seed must be a whole number"),
        ({"seed": "3"}, "seed must be a whole number"),
        ({"time_budget": 0}, "time_budget must be a positive finite number"),
        ({"time_budget": float("nan")}, "time_budget must be a positive finite number"),
        ({"max_hidden": "4"}, "max_hidden must be a whole number"),
        ({"config": "x"}, "config must be a mips.pipeline.PipelineConfig"),
    ],
)
def test_options_that_cannot_be_used_are_option_errors_naming_them(options, message):
    with pytest.raises(mips.OptionError, match=message):
        mips.synthesize("Bitwise_And", **options)


def test_file_options_and_object_options_are_not_mixed(tmp_path):
    np.savez(tmp_path / "sum.npz", weight_ih_l0=[[1.0]], weight_hh_l0=[[1.0]], **{"fc.weight": [[1.0]]})
    with pytest.raises(mips.NetworkError, match="start is for a network given as an object"):
        mips.from_network(tmp_path / "sum.npz", SUM, start=[5.0])
    with pytest.raises(mips.NetworkError, match="inputs, activation: options for reading a PyTorch file"):
        mips.from_network(_Sum(), SUM, inputs="one-hot", activation="relu")
    with pytest.raises(mips.NetworkError, match="output values must be a list of integers"):
        mips.from_network(tmp_path / "sum.npz", SUM, outputs="argmax", output_values=5)


def test_a_result_without_a_program_says_so_as_a_mips_error():
    from dataclasses import replace

    result = mips.from_network(_Sum(), SUM, config=SMALL)
    failed = mips.Result(replace(result.run, program=None))
    with pytest.raises(mips.RunError, match="no program was found for running_sum"):
        failed.function()
