"""End to end: real trainings with small budgets, on built-in tasks, a task file and a data file."""

import importlib.metadata
import json
import platform
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
from small_config import SMALL

import mips
from mips import tasks
from mips.datafile import load_data_file
from mips.io.report import build_report
from mips.io.runs import load_run, save_run
from mips.network.train import SearchConfig
from mips.pipeline import synthesize
from mips.task import load_task_file
from mips.verify import load_program

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).resolve().parents[1]


def _program_outputs(program_text, inputs):
    return load_program(program_text)(inputs)


def test_builtin_lattice_task_is_synthesized_and_verified(tmp_path):
    task = tasks.get("Current_Number")
    result = synthesize(task, SMALL)
    assert result.verdict.verified, result.verdict.summary()
    assert result.chosen.machine.kind == "lattice"
    lengths = [c.length for c in result.verdict.checks]
    assert lengths == [10, 50]
    assert [c.sequences for c in result.verdict.checks] == [2000, 200]
    assert "import" not in result.program
    assert _program_outputs(result.program, [5, 99, 0, 42]) == [5, 99, 0, 42]

    saved = load_run(save_run(result, tmp_path / "run"))
    assert saved.report["verified"] is True
    assert saved.program == result.program
    _, outputs = saved.network.run(np.array([[[7], [3]]]))  # the saved weights run on their own
    assert outputs.reshape(-1).tolist() == [7, 3]


def test_task_file_is_synthesized_as_a_state_machine(tmp_path):
    task = load_task_file(DATA / "ones_mod4.py")
    result = synthesize(task, replace(SMALL, train=replace(SMALL.train, max_steps=3000)))
    assert result.verdict.verified, result.verdict.summary()
    assert result.chosen.machine.kind == "formula"
    assert result.chosen.machine.rewrites == 4  # the 4-state machine, written as formulas
    assert result.chosen.state_machine.states == 4  # and that machine is kept, for its drawing
    saved = load_run(save_run(result, tmp_path / "run"))
    assert saved.state_machine == result.chosen.state_machine and saved.machine == result.chosen.machine
    assert "NEXT" not in result.program
    inputs = [1, 1, 0, 1, 1, 1]
    assert _program_outputs(result.program, inputs) == task.run_reference(inputs)


def test_data_file_is_verified_on_held_out_examples(tmp_path):
    sys.path.insert(0, str(DATA))
    from make_weighted_last2 import write

    path = tmp_path / "weighted_last2.jsonl"
    write(path)
    task = load_data_file(path)
    result = synthesize(task, SMALL)
    assert result.verdict.verified, result.verdict.summary()
    (check,) = result.verdict.checks
    assert check.what == "held-out examples"
    assert check.sequences == 300  # a quarter of the 1,200 examples, never trained on
    assert _program_outputs(result.program, [3, 4, 5, 0, 9, 9, 9, 1, 2, 3, 4, 5]) == [
        x + 2 * p for p, x in zip([0, 3, 4, 5, 0, 9, 9, 9, 1, 2, 3, 4], [3, 4, 5, 0, 9, 9, 9, 1, 2, 3, 4, 5])
    ]


def test_same_seed_gives_the_same_program():
    task = tasks.get("Bitwise_Not")
    first = synthesize(task, SMALL)
    second = synthesize(task, SMALL)
    assert first.verdict.verified
    assert first.program == second.program


def test_cli_synthesize_writes_a_verified_run(tmp_path):
    out = tmp_path / "run"
    done = subprocess.run(
        [sys.executable, "-m", "mips", "synthesize", "Bitwise_Not", "--out", str(out), "--max-hidden", "1"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    # Standard output is the program alone (`mips synthesize T > program.py`); the rest is on stderr.
    assert done.stdout == (out / "program.py").read_text()
    assert _program_outputs(done.stdout, [0, 1, 1]) == [1, 0, 0]
    assert "VERIFIED: 10000/10000" in done.stderr
    assert "[7/7] verify" in done.stderr  # progress is shown
    report = json.loads((out / "report.json").read_text())
    assert report["verified"] and report["network"]["hidden_size"] == 1
    # Where the result came from: versions, platform, device, date, and what the task was.
    origin = report["provenance"]
    assert origin["mips"] == mips.__version__ and origin["python"] == platform.python_version()
    assert origin["libraries"]["jax"] == importlib.metadata.version("jax")
    assert origin["device"].startswith(("cpu", "gpu", "cuda", "tpu")) and origin["date"][:2] == "20"
    assert len(report["task"]["fingerprint"]) == 16 and len(report["data_fingerprint"]) == 16
    for name in (".mips-run", "program.py", "config.json", "network.npz", "network.json", "machine.json"):
        assert (out / name).is_file(), name
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging folders left

    # The same command again reuses the saved network instead of training; --retrain trains.
    again = subprocess.run(
        [sys.executable, "-m", "mips", "synthesize", "Bitwise_Not", "--out", str(out), "--max-hidden", "1"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=600,
    )
    assert again.returncode == 0, again.stderr
    assert "reusing the saved network" in again.stderr
    assert " after " not in again.stderr  # no training attempt was made ("...: perfect after N steps")
    assert json.loads((out / "report.json").read_text())["reused_network"] is True
    retrained = subprocess.run(
        [
            sys.executable,
            "-m",
            "mips",
            "synthesize",
            "Bitwise_Not",
            "--out",
            str(out),
            "--max-hidden",
            "1",
            "--retrain",
            "--time-budget",
            "300",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=600,
    )
    assert retrained.returncode == 0, retrained.stderr
    assert "reusing" not in retrained.stderr
    assert json.loads((out / "report.json").read_text())["reused_network"] is False


def test_a_perfect_network_is_reported_even_when_no_structure_is_extracted(monkeypatch):

    import mips.extract as extract
    import mips.regress as regress
    from mips.extract.clusters import FsmResult
    from mips.extract.lattice import LatticeResult

    nothing = LatticeResult(origin=np.zeros(1), basis=None, states=None, error=np.inf, reason="disabled")
    monkeypatch.setattr(extract, "extract_fsm", lambda trace, config, seed: FsmResult(None, 0, 0, "disabled"))
    monkeypatch.setattr(
        extract, "extract_fsm_by_behaviour", lambda network, trace, config, seed: FsmResult(None, 0, 0, "disabled")
    )
    monkeypatch.setattr(extract, "extract_lattice", lambda trace, config, seed, nudges: nothing)
    monkeypatch.setattr(
        regress, "extract_lattice_by_behaviour", lambda network, trace, lattice, config, seed: (nothing, trace)
    )
    config = replace(SMALL, search=SearchConfig(max_hidden=1, depths=((1, 1), (1, 2)), wide_width=0))
    result = synthesize(tasks.get("Bitwise_Not"), config)
    assert not result.verdict.verified
    assert "no structure reproduced the held-out outputs in 2 perfect network(s)" in result.verdict.summary()
    assert result.network is not None and result.search.winner.arch == config.search.candidates()[0]
    assert [a.arch for a in result.search.attempts] == config.search.candidates()
    report = build_report(result)
    assert report["network"]["hidden_size"] == 1 and len(report["search"]) == 2


def test_the_route_says_what_kind_of_guess_a_machine_is():
    from mips.choose import Candidate, choose, describe
    from mips.machines import FormulaMachine

    counter = FormulaMachine(1, 1, ("s0 + 2 * x - 1",), ("int(0 < s0)",), rewrites=17)
    guess = Candidate(counter, True, extends=True)
    assert "17-state machine written as formulas on 1 integer coordinate(s)" in describe(guess)
    assert "counting on past the edge of the data" in describe(guess)
    bigger = Candidate(FormulaMachine(1, 1, ("s0 + 2 * x - 1 if s0 < 9 else s0",), ("int(0 < s0)",)), True)
    assert choose((bigger, guess)) is guess  # the smaller description wins


def test_a_table_is_chosen_only_when_no_formula_reproduces_the_held_out_data():
    from mips.choose import Candidate, choose
    from mips.machines import FormulaMachine, StateMachine

    table = Candidate(StateMachine(0, ((0,), (1,)), ((1, 0), (1, 0)), ((0,), (1,))), True)  # size 6
    formulas = Candidate(FormulaMachine(1, 1, ("int(x == 0) * 1 + 0 * s0",), ("s0",)), True)
    assert formulas.machine.size > table.machine.size
    assert choose((table, formulas)) is formulas
    assert choose((table, Candidate(formulas.machine, False))) is table


def test_the_readme_stage_table_lists_the_stages_synthesize_runs_in_order():
    from mips.pipeline import STAGES

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme[readme.index("## The pipeline") :]
    rows = [
        line.split("|")[1].strip()
        for line in section.splitlines()
        if line.startswith("| ") and not line.startswith("| stage")
    ]
    rows = rows[: rows.index("(after) report") + 1]
    assert rows[0] == "(before) task" and rows[-1] == "(after) report"
    assert tuple(rows[1:-1]) == STAGES
