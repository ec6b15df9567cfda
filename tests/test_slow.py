"""Acceptance with the default configuration (slow: minutes): the walking skeleton's tasks, and task
files never run before, synthesized from the command line."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mips import tasks
from mips.pipeline import PipelineConfig, synthesize

SKELETON = ["Bitwise_Xor", "Parity_All", "Parity_Last2", "Sum_Last2", "Prev1", "Add_Mod_3", "Current_Number"]


@pytest.mark.slow
@pytest.mark.parametrize("name", SKELETON)
def test_default_pipeline_verifies(name):
    result = synthesize(tasks.get(name), PipelineConfig(seed=0))
    assert result.verdict.verified, result.verdict.summary()
    assert [c.sequences for c in result.verdict.checks] == [10_000, 1_000]


NEW = Path(__file__).parent / "data" / "new_tasks"
# Six task files. Max_Last2 and Ones_Beat_Twos failed on 2026-11-25 (no extractor read the first,
# the second's readout over a counter was not fitted); on 2026-12-01 all six were verified, the
# last three (Last_Nonzero, Zeros_Since_One, Sign_Of_Sum) on their first run.
NEW_TASKS = sorted(NEW.glob("*.py"))


@pytest.mark.slow
@pytest.mark.parametrize("path", NEW_TASKS, ids=lambda p: p.stem if isinstance(p, Path) else str(p))
def test_task_files_never_run_before_are_synthesized_from_the_command_line(path, tmp_path):
    """Tasks that are not among the 62, run as a user would: `mips synthesize FILE`."""
    out = tmp_path / "run"
    done = subprocess.run(
        [sys.executable, "-m", "mips", "synthesize", str(path), "--out", str(out), "--time-budget", "300"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "VERIFIED: 10000/10000 fresh random sequences of length 10, 1000/1000" in done.stderr
    assert json.loads((out / "report.json").read_text())["verified"] is True
