"""End to end, fast: a two-number task synthesized, saved, read back and inspected; a task the
tiny search cannot solve (not verified, and the command's exit code 1); and an internal error
(exit code 3, never mistaken for "not verified")."""

from __future__ import annotations

import random
import re
import time
from dataclasses import replace

from small_config import SMALL

import mips.pipeline
from mips import tasks
from mips.cli import main
from mips.data import DataConfig
from mips.events import STAGE, Event
from mips.io.runs import load_run, save_run
from mips.machines import FormulaMachine
from mips.network.train import SearchConfig, TrainConfig
from mips.pipeline import STAGES, PipelineConfig, synthesize
from mips.verify import load_program

# Smaller still, for a search that is meant to fail.
TINY = PipelineConfig(
    data=DataConfig(train_sequences=512, heldout_sequences=256),
    train=TrainConfig(seeds=2, max_steps=300, polish_steps=50),
    search=SearchConfig(max_hidden=1, wide_width=0),
    extract_sequences=256,
)


def test_a_two_number_task_is_synthesized_verified_saved_and_inspected(tmp_path, capsys):
    task = tasks.get("Bitwise_Xor")
    assert task.input_dim == 2
    events, budget = [], 3600.0  # far more than the search takes: it only shows in the progress
    result = synthesize(task, replace(SMALL, time_budget=budget), events.append)
    assert result.verdict.verified, result.verdict.summary()
    machine = result.chosen.machine
    assert isinstance(machine, FormulaMachine) and machine.input_dim == 2

    # The program takes each step as a pair (a tuple, or a list as JSON gives it).
    program = load_program(result.program)
    assert program([(1, 0), (1, 1), (0, 0), (0, 1)]) == [1, 0, 0, 1]
    assert program([[1, 0], [1, 1]]) == [1, 0]
    # Progress: each stage as it starts, numbered k of 7, as events whose str is the line.
    stages = [e for e in events if isinstance(e, Event) and e.kind == STAGE]
    assert [(e.number, e.stage) for e in stages] == list(enumerate(STAGES, 1))
    assert {e.stages for e in stages} == {7} and str(stages[-1]) == "[7/7] verify"
    # The search's deadline comes with the train stage, for a display to count down.
    train = next(e for e in stages if e.stage == "train")
    assert train.deadline is not None and 0 < train.deadline - time.monotonic() < budget
    rng = random.Random(0)
    for _ in range(50):
        pairs = [(rng.randint(0, 1), rng.randint(0, 1)) for _ in range(rng.randint(1, 40))]
        assert program(pairs) == task.run_reference(pairs) == machine.run(pairs)

    # Saved and read back: the same formula machine and program.
    folder = save_run(result, tmp_path / "run")
    saved = load_run(folder)
    assert saved.report["verified"] is True and saved.program == result.program
    assert saved.machine == machine

    # `mips inspect` prints the formulas and traces pairs: network, machine and program agree.
    assert main(["inspect", str(folder), "--no-plot", "--trace", "[[1,0],[1,1],[0,1]]"]) == 0
    out = capsys.readouterr().out
    for rule in machine.update:
        assert f" <- {rule}" in out
    rows = [line for line in out.splitlines() if re.match(r"^\d\s+\(\d, \d\)\s", line)]
    assert len(rows) == 3
    for row, expected in zip(rows, [1, 0, 1]):
        cells = re.split(r"\s{2,}", row)  # t, input, hidden, network, state, machine, program
        assert cells[3] == cells[5] == cells[6] == str(expected), row


def _synthesize_small(monkeypatch, config: PipelineConfig) -> list:
    """Make the command's synthesis use `config` (but the command's seed and --max-hidden),
    and keep each result it returns."""
    real, results = mips.pipeline.synthesize, []

    def small(task, asked, progress=lambda m: None, *, reuse=None):
        search = replace(config.search, max_hidden=asked.search.max_hidden)
        result = real(task, replace(config, seed=asked.seed, search=search), progress, reuse=reuse)
        results.append(result)
        return result

    monkeypatch.setattr(mips.pipeline, "synthesize", small)
    return results


def test_a_task_the_search_cannot_solve_is_not_verified_and_exits_1(tmp_path, capsys, monkeypatch):
    """Exit code 1 is "the program could not be verified": the synthesis ran to its end and
    says why it has no verified program; the run is saved all the same."""
    results = _synthesize_small(monkeypatch, TINY)
    out = tmp_path / "run"
    # Whether the bits so far read the same backwards: no network of one hidden unit holds that.
    code = main(["synthesize", "Bit_Palindrome", "--max-hidden", "1", "--out", str(out), "--quiet"])
    (result,) = results
    assert not result.verdict.verified
    reason = "no network up to hidden size 1 got every held-out output right"
    assert result.verdict.summary() == f"NOT VERIFIED: {reason}"
    assert result.program is None and result.chosen is None
    assert code == 1
    captured = capsys.readouterr()
    assert captured.out == ""  # standard output carries the program, and there is none
    assert f"NOT VERIFIED: {reason}" in captured.err.splitlines()
    assert "Traceback" not in captured.err
    assert not any(line.startswith("mips:") for line in captured.err.splitlines())  # no error line
    saved = load_run(out)
    assert saved.report["verified"] is False and saved.report["verdict"] == f"NOT VERIFIED: {reason}"
    assert saved.program is None and saved.machine is None


def test_an_internal_error_exits_3_with_one_line_naming_it(tmp_path, capsys, monkeypatch):
    """A bug inside the synthesis is exit code 3 (a traceback, then one line that calls it an
    internal error), never 1, which would read as an honest "not verified"; nothing is saved."""

    def broken(*args, **kwargs):
        raise RuntimeError("planted failure in the data stage")

    monkeypatch.setattr(mips.pipeline, "make_task_data", broken)
    out = tmp_path / "run"
    assert main(["synthesize", "Parity_All", "--out", str(out), "--quiet"]) == 3
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert lines[-1] == "mips: internal error: RuntimeError: planted failure in the data stage"
    assert [line for line in lines if line.startswith("mips:")] == lines[-1:]  # the one line that says it
    assert "Traceback (most recent call last):" in lines  # as cli.py documents, for the bug report
    assert not out.exists()
