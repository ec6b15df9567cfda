"""`mips bench`: parallel worker processes, timeouts and crashes recorded, resumable after a kill."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mips import tasks
from mips.bench import BenchConfig, Job, _record, run_suite, summary_markdown
from mips.cli import main, resolve_suite

FLIP = '''
NAME = "Flip"
INPUT_DIM = 1
LENGTH = 6
INPUT_VALUES = range(0, 2)

def reference(inputs):
    return [1 - x for x in inputs]
'''

ECHO = '''
NAME = "Echo"
INPUT_DIM = 1
LENGTH = 6
INPUT_VALUES = range(0, 4)

def reference(inputs):
    return list(inputs)
'''


@pytest.fixture
def suite(tmp_path):
    folder = tmp_path / "suite"
    folder.mkdir()
    (folder / "a_flip.py").write_text(FLIP)
    (folder / "b_echo.py").write_text(ECHO)
    return folder


def _bench(suite, out, *extra):
    return [sys.executable, "-m", "mips", "bench", "--suite", str(suite), "--jobs", "1",
            "--out", str(out), "--max-hidden", "1", *extra]


def test_killed_run_resumes_without_redoing_finished_tasks(suite, tmp_path):
    out = tmp_path / "out"
    first = subprocess.Popen(_bench(suite, out), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)
    deadline = time.monotonic() + 300
    while not (out / "records" / "Flip.json").is_file():
        assert first.poll() is None, "bench ended before it could be killed"
        assert time.monotonic() < deadline, "first task never finished"
        time.sleep(0.2)
    os.killpg(first.pid, signal.SIGKILL)  # power loss: the runner and its worker die at once
    first.wait()
    assert not (out / "records" / "Echo.json").exists()
    before = (out / "records" / "Flip.json").stat().st_mtime_ns

    second = subprocess.run(_bench(suite, out), capture_output=True, text=True, timeout=600)
    assert second.returncode == 0, second.stderr
    assert "1 task(s) already done" in second.stderr
    assert (out / "records" / "Flip.json").stat().st_mtime_ns == before  # not run again
    records = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert [r["task"] for r in records] == ["Flip", "Echo"]
    assert all(r["solved"] for r in records), records
    assert {p.name for p in (out / "programs").iterdir()} == {"Flip.py", "Echo.py"}
    assert "Solved (verified): 2 of 2" in (out / "summary.md").read_text()


def test_a_task_past_its_timeout_is_recorded_and_the_suite_goes_on(suite, tmp_path):
    out = tmp_path / "out"
    jobs = [Job("Flip", str(suite / "a_flip.py")), Job("Echo", str(suite / "b_echo.py"))]
    messages = []
    records = run_suite(jobs, out, BenchConfig(jobs=2, task_timeout=0.5, max_hidden=1), progress=messages.append)
    assert [r["status"] for r in records] == ["timeout", "timeout"]
    assert not any(r["solved"] for r in records)
    assert "timed out after" in records[0]["reason"]
    assert len((out / "results.jsonl").read_text().splitlines()) == 2


def test_a_killed_worker_is_recorded_as_killed(tmp_path):
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "X.log").write_text("[2/6] train\n")
    record = _record(Job("X", "X"), tmp_path, -9, "done", 12.0, BenchConfig())
    assert record["status"] == "killed" and not record["solved"]
    assert "signal 9" in record["reason"]


def test_summary_puts_results_beside_the_anchors():
    anchors = tasks.anchors()
    records = [
        {"task": "Sum_All", "solved": True, "wall_seconds": 3.0, "reason": "", "hidden_size": 1,
         "machine": {"kind": "lattice", "form": "formula", "size": 3, "matches_heldout": True}},
        {"task": "Parity_Last4", "solved": False, "wall_seconds": 9.0, "reason": "NOT VERIFIED: x", "hidden_size": None,
         "machine": None},
    ]
    text = summary_markdown(records, anchors, wall=12.0)
    assert "Solved (verified): 1 of 2" in text
    assert "original MIPS 1, GPT-4 credited 1 (actually correct 1), RPNI (no network) 1" in text
    assert "| Sum_All | yes | 1 | 1 | lattice, formula (size 3) |" in text
    assert "| Parity_Last4 | NO |" in text
    assert "Trained to 100% held-out accuracy: 1 of 2." in text
    assert "Extracted machine alone reproduces the held-out outputs: 1 of 2." in text
    assert "Hidden size no larger than the original search's: 1 of 2." in text


def test_summary_counts_a_larger_hidden_size_against_the_anchor():
    records = [{"task": "Sum_All", "solved": False, "wall_seconds": 3.0, "reason": "", "hidden_size": 2,
                "machine": {"kind": "lattice", "size": 3, "matches_heldout": False}}]
    text = summary_markdown(records, tasks.anchors(), wall=3.0)
    assert "Hidden size no larger than the original search's: 0 of 1." in text
    assert "Trained to 100% held-out accuracy: 1 of 1." in text
    assert "Extracted machine alone reproduces the held-out outputs: 0 of 1." in text


def test_workers_get_the_search_budget_and_a_shared_compilation_cache(tmp_path, monkeypatch):
    from mips import bench

    seen = {}

    class FakePopen:
        def __init__(self, command, env, **kwargs):
            seen["command"], seen["env"] = command, env

    monkeypatch.setattr(bench.subprocess, "Popen", FakePopen)
    monkeypatch.delenv("JAX_COMPILATION_CACHE_DIR", raising=False)
    (tmp_path / "logs").mkdir()
    bench._start(Job("X", "X"), tmp_path, BenchConfig(task_timeout=200.0))
    command = seen["command"]
    assert command[command.index("--time-budget") + 1] == "150.0"
    assert seen["env"]["JAX_COMPILATION_CACHE_DIR"] == str((tmp_path / "jax-cache").resolve())


def test_suites_resolve(suite):
    assert resolve_suite(["full"])[1] == [Job(n, n) for n in tasks.NAMES]
    label, jobs = resolve_suite([str(suite)])
    assert label == "suite" and [j.name for j in jobs] == ["Flip", "Echo"]
    assert [j.name for j in resolve_suite(["Prev1", "Sum_All"])[1]] == ["Prev1", "Sum_All"]


def test_bad_suite_is_a_one_line_error(capsys, tmp_path):
    assert main(["bench", "--suite", "Prev1", "Nope_Task", "--out", str(tmp_path / "o")]) == 2
    assert "Nope_Task" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
