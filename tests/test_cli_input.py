"""The command line's own options: every misuse is one line and exit 2 before any work,
`--version` works, and standard output carries the program alone."""

from __future__ import annotations

import subprocess
import sys

import pytest

from mips import __version__
from mips.cli import main

PRINTING_TASK = """
import os
print("the task file talks")
NAME = "Noisy_Not"
INPUT_DIM = 1
LENGTH = 6
INPUT_VALUES = range(0, 2)

def reference(inputs):
    print("the reference talks")
    os.write(1, b"the descriptor talks\\n")  # as C code or a subprocess would, past sys.stdout
    return [1 - x for x in inputs]
"""


@pytest.mark.parametrize(
    "option, value, fragment",
    [
        ("--seed", "-1", "from 0 to 4294967295"),
        ("--seed", str(2**64), "from 0 to 4294967295"),
        ("--seed", "1.5", "expected an integer"),
        ("--time-budget", "nan", "positive finite"),
        ("--time-budget", "inf", "positive finite"),
        ("--time-budget", "1e999", "positive finite"),
        ("--time-budget", "-3", "positive finite"),
        ("--max-hidden", "0", "positive finite"),
        ("--max-hidden", str(10**9), "at most 1024"),
        ("--max-hidden", "two", "expected a number"),
    ],
)
def test_a_bad_option_value_is_one_line_and_exit_2(no_training, capsys, option, value, fragment):
    with pytest.raises(SystemExit) as exit_info:
        main(["synthesize", "Current_Number", option, value])
    assert exit_info.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert option in lines[0] and fragment in lines[0]


@pytest.mark.parametrize(
    "option, value, fragment",
    [
        ("--task-timeout", "nan", "positive finite"),
        ("--task-timeout", "inf", "positive finite"),
        ("--jobs", "0", "positive finite"),
        ("--jobs", "100000", "at most 256"),
        ("--seed", "-5", "from 0 to 4294967295"),
        ("--max-hidden", "5000", "at most 1024"),
    ],
)
def test_a_bad_bench_option_is_one_line_and_exit_2(no_training, capsys, option, value, fragment):
    with pytest.raises(SystemExit) as exit_info:
        main(["bench", "--suite", "smoke", option, value])
    assert exit_info.value.code == 2
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert captured.out == "" and len(lines) == 1 and option in lines[0] and fragment in lines[0]


def test_an_unknown_command_is_one_line(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["synthesise", "Current_Number"])
    assert exit_info.value.code == 2
    assert len(capsys.readouterr().err.splitlines()) == 1


def test_version():
    done = subprocess.run([sys.executable, "-m", "mips", "--version"], capture_output=True, text=True)
    assert done.returncode == 0
    assert done.stdout.startswith(f"mips {__version__}")


def test_standard_output_is_the_program_alone_even_when_the_task_prints(tmp_path):
    path = tmp_path / "noisy.py"
    path.write_text(PRINTING_TASK)
    out = tmp_path / "run"
    done = subprocess.run(
        [sys.executable, "-m", "mips", "synthesize", str(path), "--out", str(out), "--max-hidden", "1"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout == (out / "program.py").read_text()
    assert "talks" not in done.stdout
    assert "the reference talks" in done.stderr and "the descriptor talks" in done.stderr
    namespace: dict = {}
    exec(compile(done.stdout, "program.py", "exec"), namespace)  # the test's own freshly made program
    assert namespace["program"]([0, 1, 1]) == [1, 0, 0]
