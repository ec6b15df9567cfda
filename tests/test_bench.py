"""`mips bench`: parallel worker processes, timeouts and crashes recorded, resumable after a kill."""

import json
import os
import select
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest

from mips import api, bench, cli, tasks
from mips.bench import BenchConfig, Job, _record, run_suite, summary_markdown, write_outputs
from mips.cli import main, resolve_suite
from mips.errors import OutputError
from mips.io.folders import BENCH_MARKER, mark_bench_folder, mark_run_folder

FLIP = """
NAME = "Flip"
INPUT_DIM = 1
LENGTH = 6
INPUT_VALUES = range(0, 2)

def reference(inputs):
    return [1 - x for x in inputs]
"""

ECHO = """
NAME = "Echo"
INPUT_DIM = 1
LENGTH = 6
INPUT_VALUES = range(0, 4)

def reference(inputs):
    return list(inputs)
"""


@pytest.fixture
def suite(tmp_path):
    folder = tmp_path / "suite"
    folder.mkdir()
    (folder / "a_flip.py").write_text(FLIP)
    (folder / "b_echo.py").write_text(ECHO)
    return folder


def _bench(suite, out, *extra):
    return [
        sys.executable,
        "-m",
        "mips",
        "bench",
        "--suite",
        str(suite),
        "--jobs",
        "1",
        "--out",
        str(out),
        "--max-hidden",
        "1",
        *extra,
    ]


def test_killed_run_resumes_without_redoing_finished_tasks(suite, tmp_path):
    out = tmp_path / "out"
    first = subprocess.Popen(
        _bench(suite, out), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.monotonic() + 300
    while not (out / "records" / "Flip.json").is_file():
        assert first.poll() is None, "bench ended before it could be killed"
        assert time.monotonic() < deadline, "first task never finished"
        time.sleep(0.2)
    # The runner dies at once; its worker (in a session of its own) sees that and exits, and
    # until it has, it holds the folder's lock, which the rerun below waits for.
    os.killpg(first.pid, signal.SIGKILL)
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
    # A timeout is a result, not a failure of the run: exit code 0.
    assert (
        main(
            [
                "bench",
                "--suite",
                str(suite),
                "--out",
                str(out),
                "--jobs",
                "2",
                "--task-timeout",
                "0.5",
                "--max-hidden",
                "1",
            ]
        )
        == 0
    )
    records = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert [r["status"] for r in records] == ["timeout", "timeout"]
    assert not any(r["solved"] for r in records)
    assert "timed out after" in records[0]["reason"]
    assert len((out / "results.jsonl").read_text().splitlines()) == 2


def test_a_killed_worker_is_recorded_as_killed(tmp_path):
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "X.log").write_text("[2/7] train\n")
    record = _record(Job("X", "X"), tmp_path, -9, "done", 12.0, BenchConfig())
    assert record["status"] == "killed" and not record["solved"]
    assert "signal 9" in record["reason"]


def test_summary_puts_results_beside_the_anchors():
    anchors = tasks.anchors()
    records = [
        {
            "task": "Sum_All",
            "solved": True,
            "wall_seconds": 3.0,
            "reason": "",
            "hidden_size": 1,
            "machine": {"kind": "lattice", "form": "formula", "size": 3, "matches_heldout": True},
        },
        {
            "task": "Parity_Last4",
            "solved": False,
            "wall_seconds": 9.0,
            "reason": "NOT VERIFIED: x",
            "hidden_size": None,
            "machine": None,
        },
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
    records = [
        {
            "task": "Sum_All",
            "solved": False,
            "wall_seconds": 3.0,
            "reason": "",
            "hidden_size": 2,
            "machine": {"kind": "lattice", "size": 3, "matches_heldout": False},
        }
    ]
    text = summary_markdown(records, tasks.anchors(), wall=3.0)
    assert "Hidden size no larger than the original search's: 0 of 1." in text
    assert "Trained to 100% held-out accuracy: 1 of 1." in text
    assert "Extracted machine alone reproduces the held-out outputs: 0 of 1." in text


def test_summary_of_task_files_alone_claims_no_comparison_with_the_original():
    own = {
        "task": "My_Counter",
        "solved": True,
        "wall_seconds": 3.0,
        "reason": "",
        "hidden_size": 1,
        "machine": {"kind": "lattice", "form": "formula", "size": 3, "matches_heldout": True},
    }
    text = summary_markdown([own], tasks.anchors(), wall=3.0)
    assert "original search's" not in text and "On the same tasks" not in text
    mixed = summary_markdown([own, {**own, "task": "Sum_All"}], tasks.anchors(), wall=3.0)
    assert "Hidden size no larger than the original search's: 1 of 1 benchmark tasks." in mixed


def test_workers_get_the_search_budget_and_a_shared_compilation_cache(tmp_path, monkeypatch):
    seen = {}

    class FakePopen:
        def __init__(self, command, env, **kwargs):
            seen["command"], seen["env"], seen["kwargs"] = command, env, kwargs

    monkeypatch.setattr(bench.subprocess, "Popen", FakePopen)
    monkeypatch.setattr(bench, "FORK_WORKERS", False)
    monkeypatch.delenv("MIPS_COMPILE_CACHE", raising=False)
    monkeypatch.delenv("MIPS_BENCH_PARENT", raising=False)
    (tmp_path / "logs").mkdir()
    bench._start(Job("X", "X"), tmp_path, BenchConfig(task_timeout=200.0), lock=7)
    command = seen["command"]
    assert command[command.index("--time-budget") + 1] == "150.0"
    assert seen["env"]["MIPS_COMPILE_CACHE"] == str((tmp_path / "jax-cache").resolve())
    # Its own process group (stopped as a whole), and it knows whose worker it is.
    assert seen["kwargs"]["start_new_session"] is True
    assert seen["env"]["MIPS_BENCH_PARENT"] == str(os.getpid())
    assert seen["kwargs"]["pass_fds"] == (7,)  # the worker holds the folder's lock too


def test_workers_allocate_gpu_memory_as_they_go(tmp_path, monkeypatch):
    """On a GPU, JAX takes 75% of its memory when it starts: the second worker on it would find
    too little. Workers are told not to, unless the user chose otherwise."""
    seen = []
    monkeypatch.setattr(bench.subprocess, "Popen", lambda command, env, **kwargs: seen.append(env))
    monkeypatch.setattr(bench, "FORK_WORKERS", False)
    monkeypatch.delenv("XLA_PYTHON_CLIENT_PREALLOCATE", raising=False)
    (tmp_path / "logs").mkdir()
    bench._start(Job("X", "X"), tmp_path, BenchConfig())
    monkeypatch.setenv("XLA_PYTHON_CLIENT_PREALLOCATE", "true")
    bench._start(Job("X", "X"), tmp_path, BenchConfig())
    assert [env["XLA_PYTHON_CLIENT_PREALLOCATE"] for env in seen] == ["false", "true"]
    assert "XLA_PYTHON_CLIENT_PREALLOCATE" in os.environ  # the bench's own environment is left alone
    monkeypatch.delenv("XLA_PYTHON_CLIENT_PREALLOCATE")
    forked = {}
    monkeypatch.setattr(bench, "can_fork", lambda: True)
    monkeypatch.setattr(bench._Forked, "start", classmethod(lambda cls, worker, argv, env, log: forked.update(env)))
    bench._start(Job("X", "X"), tmp_path, BenchConfig(), worker=main)
    assert forked["XLA_PYTHON_CLIENT_PREALLOCATE"] == "false"  # set in the child before JAX starts there
    assert "XLA_PYTHON_CLIENT_PREALLOCATE" not in os.environ


def test_forked_workers_get_the_same_command_and_environment(tmp_path, monkeypatch):
    seen = {}
    monkeypatch.setattr(bench, "can_fork", lambda: True)
    monkeypatch.setattr(
        bench._Forked,
        "start",
        classmethod(lambda cls, worker, argv, env, log: seen.update(worker=worker, argv=argv, env=env, log=log)),
    )
    monkeypatch.delenv("MIPS_COMPILE_CACHE", raising=False)
    bench._start(Job("X", "X"), tmp_path, BenchConfig(task_timeout=200.0), lock=7, worker=main)
    assert seen["worker"] is main
    assert seen["argv"][:2] == ["synthesize", "X"] and seen["argv"][seen["argv"].index("--time-budget") + 1] == "150.0"
    assert seen["env"]["MIPS_COMPILE_CACHE"] == str((tmp_path / "jax-cache").resolve())
    assert seen["env"]["MIPS_BENCH_PARENT"] == str(os.getpid())
    assert seen["log"] == tmp_path / "logs" / "X.log"


needs_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="forked workers need os.fork")
# These workers never use JAX, which earlier tests in this process may have started.
quiet_fork = pytest.mark.filterwarnings("ignore:os.fork:RuntimeWarning")


def test_workers_are_forked_only_while_jax_has_not_started():
    script = (
        "import mips.bench as b, mips.pipeline, jax; before = b.can_fork(); jax.devices(); print(before, b.can_fork())"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == [str(bench.FORK_WORKERS), "False"], done.stderr[-2000:]


def test_a_bench_where_jax_has_started_starts_new_processes(tmp_path, monkeypatch):
    import jax

    jax.devices()
    started = []
    monkeypatch.setattr(bench.subprocess, "Popen", lambda command, **kwargs: started.append(command))
    (tmp_path / "logs").mkdir()
    bench._start(Job("X", "X"), tmp_path, BenchConfig(), worker=main)
    assert started and started[0][1:4] == ["-m", "mips", "synthesize"]


@needs_fork
@quiet_fork
def test_a_forked_worker_runs_the_command_into_its_log(tmp_path):
    log = tmp_path / "worker.log"
    worker = bench._Forked.start(main, ["tasks"], {}, log)
    assert worker.wait() == 0 and worker.poll() == 0
    assert "Parity_All" in log.read_text()


@needs_fork
@quiet_fork
def test_a_forked_worker_is_a_session_of_its_own_with_no_input(tmp_path):
    def fake_main(argv):
        print(
            f"argv={argv} own-session={os.getsid(0) == os.getpid()} input={sys.stdin.read()!r} "
            f"variable={os.environ.get('MIPS_TEST_VARIABLE')}"
        )
        print("to stderr", file=sys.stderr)
        return 5

    log = tmp_path / "worker.log"
    worker = bench._Forked.start(fake_main, ["synthesize", "X"], {"MIPS_TEST_VARIABLE": "yes"}, log)
    assert worker.wait() == 5
    assert log.read_text().splitlines() == [
        "argv=['synthesize', 'X'] own-session=True input='' variable=yes",
        "to stderr",
    ]
    assert "MIPS_TEST_VARIABLE" not in os.environ  # the bench's own environment is left alone


@needs_fork
@quiet_fork
@pytest.mark.parametrize(
    "raised, code",
    [(SystemExit(4), 4), (SystemExit("message"), 1), (KeyboardInterrupt(), 130), (RuntimeError("bug"), 3)],
)
def test_a_forked_worker_that_raises_exits_with_a_code(raised, code, tmp_path):
    def fake_main(argv):
        raise raised

    worker = bench._Forked.start(fake_main, ["synthesize", "X"], {}, tmp_path / "worker.log")
    assert worker.wait() == code
    if code == 3:
        assert "RuntimeError: bug" in (tmp_path / "worker.log").read_text()


@needs_fork
@quiet_fork
def test_stopping_a_forked_worker_stops_what_it_started(tmp_path):
    read_end, write_end = os.pipe()

    def fake_main(argv):
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"], pass_fds=(write_end,))
        os.write(write_end, b"ready\n")
        time.sleep(120)
        return 0

    worker = bench._Forked.start(fake_main, ["synthesize", "X"], {}, tmp_path / "worker.log")
    os.close(write_end)  # now only the worker and its child hold it
    stream = os.fdopen(read_end, "rb", buffering=0)
    try:
        assert stream.readline() == b"ready\n"
        bench.stop(worker)
        assert worker.returncode == -signal.SIGKILL
        assert _closed_within(stream, 30), "the forked worker's child went on running"
    finally:
        try:
            os.killpg(worker.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        stream.close()


def test_suites_resolve(suite):
    assert [(j.name, j.spec) for j in resolve_suite(["full"])[1]] == [(n, n) for n in tasks.NAMES]
    label, jobs = resolve_suite([str(suite)])
    assert label == "suite" and [j.name for j in jobs] == ["Flip", "Echo"]
    assert [j.name for j in resolve_suite(["Prev1", "Sum_All"])[1]] == ["Prev1", "Sum_All"]


def test_bad_suite_is_a_one_line_error(capsys, tmp_path):
    assert main(["bench", "--suite", "Prev1", "Nope_Task", "--out", str(tmp_path / "o")]) == 2
    assert "Nope_Task" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_every_bad_file_of_a_suite_folder_is_named_at_once(capsys, tmp_path):
    folder = tmp_path / "suite"
    folder.mkdir()
    (folder / "a.py").write_text("import sys\nsys.exit(0)\n")  # exiting must not end the bench with 0
    (folder / "b.py").write_text("NAME = 'B'\n")
    assert main(["bench", "--suite", str(folder), "--out", str(tmp_path / "o")]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and "a.py" in lines[0] and "SystemExit" in lines[0] and "b.py" in lines[0]
    assert not (tmp_path / "o").exists()


def test_the_lock_stays_while_a_worker_of_a_killed_bench_lives(tmp_path, monkeypatch):
    """A worker is given the lock's descriptor (`_start`): until the last one has exited, a
    new bench in the folder waits, and then refuses, instead of racing it."""
    monkeypatch.setattr(bench, "LOCK_WAIT_S", 0.3)
    out = tmp_path / "out"
    with bench.bench_folder(out) as lock:
        worker = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], pass_fds=(lock,))
    try:  # the bench is gone (its descriptor is closed); its worker is not
        with pytest.raises(OutputError, match="or its workers"):
            with bench.bench_folder(out):
                pass
    finally:
        worker.kill()
        worker.wait()
    with bench.bench_folder(out):  # free once the worker has gone
        pass


def test_the_smoke_suite_runs_from_a_folder_with_its_own_tasks_module(tmp_path):
    """A tasks.py in the working folder used to shadow the built-in tasks, in the bench and
    in every worker. Real workers, each stopped after a few seconds: none may crash."""
    (tmp_path / "tasks.py").write_text("import no_such_module\n")
    done = subprocess.run(
        [sys.executable, "-m", "mips", "bench", "--suite", "smoke", "--task-timeout", "4", "--jobs", "2"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    records = [json.loads(line) for line in (tmp_path / "runs" / "bench-smoke" / "results.jsonl").open()]
    assert [r["task"] for r in records] == list(tasks.SUITES["smoke"])
    assert all(r["status"] in ("timeout", "done") for r in records), [r["reason"] for r in records]


# Fake workers: each "runs" at once and leaves what `mips synthesize` would, so that the
# bench's own rules (folders, resuming, exit codes) are tested without any training.
OUTCOMES = {"verified": 0, "unverified": 1, "crash": 3, "kill": -9}


def _report(verified):
    return {
        "verified": verified,
        "verdict": "VERIFIED" if verified else "NOT VERIFIED: no machine",
        "verification": {"checks": []},
        "network": None,
        "machine": None,
        "search": [],
        "program_lines": 2,
        "seconds": 0.1,
        "provenance": {"mips": "worker"},
    }


@pytest.fixture
def fake_workers(monkeypatch):
    """Tasks' outcomes by name (default verified); yields (outcomes, names of the tasks started)."""
    outcomes, started = {}, []
    real_popen = subprocess.Popen

    def popen(command, *args, stdout=None, **kwargs):
        if command[1:4] != ["-m", "mips", "synthesize"]:  # not a worker (provenance asks git, say)
            return real_popen(command, *args, stdout=stdout, **kwargs)
        run = Path(command[command.index("--out") + 1])
        started.append(run.name)
        code = OUTCOMES[outcomes.get(run.name, "verified")]
        if code in (0, 1):
            run.mkdir(parents=True)  # fails if the bench left the previous attempt's folder
            mark_run_folder(run)
            (run / "report.json").write_text(json.dumps(_report(code == 0)))
            if code == 0:
                (run / "program.py").write_text("def program(inputs):\n    return inputs\n")
        else:
            stdout.write("Traceback: boom\n")
        return SimpleNamespace(returncode=code, poll=lambda: code, wait=lambda: code)

    monkeypatch.setattr(bench.subprocess, "Popen", popen)
    monkeypatch.setattr(bench, "FORK_WORKERS", False)
    yield outcomes, started


def _task_folder(tmp_path, *names):
    folder = tmp_path / "tasks"
    folder.mkdir()
    for name in names:
        (folder / f"{name}.py").write_text(FLIP.replace('"Flip"', f'"{name}"'))
    return folder


@pytest.mark.parametrize("case", ["a file", "a folder of the user's", "under a file", "the working folder"])
def test_bench_out_must_be_a_folder_of_its_own(case, suite, tmp_path, monkeypatch, capsys, fake_workers):
    _, started = fake_workers
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("mine")
    (tmp_path / "results.txt").write_text("mine")
    monkeypatch.chdir(tmp_path / "mine")
    out = {
        "a file": tmp_path / "results.txt",
        "a folder of the user's": tmp_path / "mine",
        "under a file": tmp_path / "results.txt" / "bench",
        "the working folder": Path("."),
    }[case]
    assert main(["bench", "--suite", str(suite), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("mips: error: --out"), err
    assert started == []
    assert (tmp_path / "results.txt").read_text() == "mine"
    assert sorted(p.name for p in (tmp_path / "mine").iterdir()) == ["notes.txt"]


def test_bench_marks_its_folder_and_replaces_only_run_folders_of_mips(tmp_path, fake_workers):
    outcomes, started = fake_workers
    out = tmp_path / "out"
    jobs = [Job("Flip", "Flip.py", "1"), Job("Echo", "Echo.py", "1")]
    run_suite(jobs, out, BenchConfig(), progress=lambda m: None)
    assert (out / BENCH_MARKER).is_file()
    (out / "runs" / "Echo" / "notes.txt").write_text("mine")
    started.clear()
    with pytest.raises(OutputError, match="Echo"):  # Echo changed, so it would be run again
        run_suite([jobs[0], replace(jobs[1], fingerprint="2")], out, BenchConfig(), progress=lambda m: None)
    assert started == []
    assert (out / "runs" / "Echo" / "notes.txt").read_text() == "mine"


def test_resume_reuses_only_verdicts_made_with_the_same_settings(tmp_path, fake_workers):
    outcomes, started = fake_workers
    outcomes.update(Echo="unverified", Boom="crash", Oom="kill")
    out = tmp_path / "out"
    jobs = [Job(name, f"{name}.py", "1") for name in ("Flip", "Echo", "Boom", "Oom")]
    everything = sorted(job.name for job in jobs)

    def started_by(config, jobs=jobs):
        started.clear()
        run_suite(jobs, out, config, progress=lambda m: None)
        return sorted(started)

    config = BenchConfig(jobs=2)
    assert started_by(config) == everything
    assert started_by(config) == ["Boom", "Oom"]  # verified or not is a verdict; crashed and killed are not
    for change in ({"seed": 1}, {"max_hidden": 2}, {"task_timeout": 99.0}):
        config = replace(config, **change)
        assert started_by(config) == everything, change
    changed = [replace(jobs[0], fingerprint="2"), *jobs[1:]]
    assert started_by(config, changed) == ["Boom", "Flip", "Oom"]
    record = json.loads((out / "records" / "Echo.json").read_text())
    (out / "records" / "Echo.json").write_text(json.dumps({**record, "status": "timeout"}))
    assert started_by(config, changed) == ["Boom", "Echo", "Oom"]
    assert json.loads((out / "records" / "Flip.json").read_text())["fingerprint"] == "2"


def test_a_record_that_cannot_be_read_is_set_aside_and_the_task_run_again(tmp_path, fake_workers):
    _, started = fake_workers
    out = tmp_path / "out"
    jobs = [Job("Flip", "Flip.py"), Job("Echo", "Echo.py")]
    run_suite(jobs, out, BenchConfig(), progress=lambda m: None)
    (out / "records" / "Flip.json").write_text('{"task": "Fl')  # cut short
    (out / "records" / "Echo.json").write_text("[1, 2]")  # JSON, but not a record
    started.clear()
    messages = []
    records = run_suite(jobs, out, BenchConfig(), progress=messages.append)
    assert sorted(started) == ["Echo", "Flip"]
    assert [r["task"] for r in records] == ["Flip", "Echo"]
    assert (out / "records" / "Flip.json.corrupt").read_text() == '{"task": "Fl'
    assert (out / "records" / "Echo.json.corrupt").read_text() == "[1, 2]"
    assert sum(str(m).startswith("warning:") and "Flip.json" in str(m) for m in messages) == 1
    (out / "records" / "Flip.json").write_text("")
    run_suite(jobs, out, BenchConfig(), progress=lambda m: None)
    assert (out / "records" / "Flip.json.corrupt").read_text() == '{"task": "Fl'  # the first one is kept
    assert (out / "records" / "Flip.json.corrupt1").read_text() == ""


def test_a_second_bench_on_a_locked_folder_is_a_one_line_error(suite, tmp_path, capsys, fake_workers, monkeypatch):
    monkeypatch.setattr(bench, "LOCK_WAIT_S", 0.3)
    _, started = fake_workers
    out = tmp_path / "out"
    with bench.bench_folder(out):  # as a running bench holds it
        assert main(["bench", "--suite", str(suite), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"mips: error: another mips bench (pid {os.getpid()}), or its workers, is running in {out}"]
    assert started == []
    assert main(["bench", "--suite", str(suite), "--out", str(out)]) == 0  # released when the holder is done
    assert sorted(started) == ["Echo", "Flip"]


def _closed_within(stream, seconds):
    """True once every process holding the pipe's write end has exited (within `seconds`)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        ready, _, _ = select.select([stream], [], [], 0.5)
        if ready and not os.read(stream.fileno(), 4096):
            return True
    return False


WORKER = (
    "import os; from mips.bench import exit_when_orphaned; exit_when_orphaned(); print(os.getpid(), flush=True); "
    "import time; time.sleep(120)"
)
KILLED_BENCH = f"""
import os, subprocess, sys, time
subprocess.Popen([sys.executable, "-c", {WORKER!r}], env={{**os.environ, "MIPS_BENCH_PARENT": str(os.getpid())}})
time.sleep(120)
"""


def test_a_worker_exits_when_its_bench_is_killed(tmp_path):
    parent = subprocess.Popen(
        [sys.executable, "-c", KILLED_BENCH], stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, bufsize=0
    )
    worker = None
    try:
        worker = int(parent.stdout.readline())  # the worker is watching its parent
        parent.kill()  # SIGKILL: the bench has no chance to stop its workers
        parent.wait()
        assert _closed_within(parent.stdout, 30), "the worker went on running after its bench was killed"
    finally:
        parent.kill()
        parent.wait()
        if worker is not None:
            try:
                os.kill(worker, signal.SIGKILL)
            except ProcessLookupError:
                pass


def test_stopping_a_worker_stops_what_it_started():
    script = (
        "import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)']); "
        "print('ready', flush=True); time.sleep(120)"
    )
    worker = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        bufsize=0,
        start_new_session=True,
    )
    try:
        assert worker.stdout.readline() == b"ready\n"
        bench.stop(worker)
        assert _closed_within(worker.stdout, 30), "the worker's child went on running"
    finally:
        try:
            os.killpg(worker.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_bench_exits_3_when_a_task_crashed_or_was_killed(tmp_path, capsys, fake_workers):
    outcomes, started = fake_workers
    outcomes.update(Flip="unverified", Boom="crash", Oom="kill")
    folder = _task_folder(tmp_path, "Flip", "Boom", "Oom")
    out = tmp_path / "out"
    assert main(["bench", "--suite", str(folder), "--out", str(out)]) == 3
    captured = capsys.readouterr()
    assert "solved 0 of 3" in captured.out
    last = captured.err.strip().splitlines()[-1]
    assert last == (
        f"mips bench: 2 task(s) ended without a result: Boom crashed (log: {out / 'logs' / 'Boom.log'}); "
        f"Oom killed (log: {out / 'logs' / 'Oom.log'})"
    )
    outcomes.update(Boom="verified", Oom="verified")  # run again: only those two, and now they end well
    started.clear()
    assert main(["bench", "--suite", str(folder), "--out", str(out)]) == 0  # not verified is a result
    assert sorted(started) == ["Boom", "Oom"]


def test_on_a_terminal_the_bench_shows_a_live_table_and_exits_as_before(tmp_path, capsys, fake_workers, monkeypatch):
    outcomes, started = fake_workers
    outcomes.update(Boom="crash")
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    folder = _task_folder(tmp_path, "Flip", "Boom")
    out = tmp_path / "out"
    saved = sys.stdout, sys.stderr
    assert main(["bench", "--suite", str(folder), "--out", str(out)]) == 3
    assert sorted(started) == ["Boom", "Flip"] and (sys.stdout, sys.stderr) == saved
    captured = capsys.readouterr()
    assert "solved 1 of 2" in captured.out
    err = captured.err
    assert err.count("\x1b[?25l") == err.count("\x1b[?25h") == 1  # the live table was shown, and is gone
    assert "] Boom: crashed in " in err  # a task not solved is kept in the log above the table
    assert "Flip: solved" not in err  # a solved one is counted in the table
    last = err.rstrip().splitlines()[-1]  # after the codes that took the table away
    assert last.split("\x1b[2K")[-1].startswith("mips bench: 1 task(s) ended without a result: Boom crashed")


def test_meta_is_written_and_summarised(tmp_path, fake_workers):
    out = tmp_path / "out"
    config = BenchConfig(seed=3, task_timeout=60.0)
    command = ["mips", "bench", "--seed", "3"]
    records = run_suite([Job("Flip", "Flip.py")], out, config, progress=lambda m: None, command=command)
    origin = json.loads((out / "meta.json").read_text())
    from mips import __version__

    assert origin["mips"] == __version__ and "jax" in origin["libraries"] and origin["date"]
    assert origin["bench"]["seed"] == 3 and origin["bench"]["task_timeout"] == 60.0
    assert origin["bench"]["tasks"] == ["Flip"] and origin["command"] == command
    assert origin["wall_seconds"] > 0 and origin["finished"] >= origin["date"]
    assert origin["tasks_recorded"] == 1 and origin["solved"] == sum(r["solved"] for r in records)
    summary = (out / "summary.md").read_text()
    [line] = [line for line in summary.splitlines() if line.startswith("Made with mips")]
    assert f"mips {__version__}" in line and f"Python {origin['python']}" in line and "jax " in line
    assert origin["date"] in line
    assert records[0]["provenance"] == {"mips": "worker"}  # the worker's own, from its report


def test_the_bench_parent_does_not_import_jax(suite):
    script = (
        f"import sys; from mips.cli import resolve_suite; from mips.bench import _write_meta; "
        f"resolve_suite(['full']); resolve_suite([{str(suite)!r}]); from mips.io.provenance import provenance; "
        f"provenance(); print('jax' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "False", result.stderr


def test_programs_are_deleted_only_inside_a_bench_folder(tmp_path):
    (tmp_path / "programs").mkdir()
    (tmp_path / "programs" / "Flip.py").write_text("mine")
    unsolved = [{"task": "Flip", "solved": False, "status": "done", "wall_seconds": 1.0, "reason": "x"}]
    write_outputs(unsolved, tmp_path, {}, wall=1.0)
    assert (tmp_path / "programs" / "Flip.py").read_text() == "mine"
    mark_bench_folder(tmp_path)
    write_outputs(unsolved, tmp_path, {}, wall=1.0)  # in a bench folder programs/ is bench's: a stale one goes
    assert not (tmp_path / "programs" / "Flip.py").exists()


def test_suite_jobs_carry_the_task_fingerprint(suite, monkeypatch):
    monkeypatch.setattr(tasks, "get", lambda name: SimpleNamespace(name=name, fingerprint=f"fp-{name}"))
    for module in (cli, api):  # a folder's files (cli), and one file given alone (api.resolve_task)
        monkeypatch.setattr(
            module,
            "load_task_file",
            lambda path, **kw: SimpleNamespace(name=Path(path).stem, fingerprint=f"fp-{Path(path).stem}"),
        )
    smoke = resolve_suite(["smoke"])[1]
    assert [j.fingerprint for j in smoke] == [f"fp-{n}" for n in tasks.SUITES["smoke"]]
    assert [j.fingerprint for j in resolve_suite([str(suite)])[1]] == ["fp-a_flip", "fp-b_echo"]
    assert [j.fingerprint for j in resolve_suite([str(suite / "a_flip.py")])[1]] == ["fp-a_flip"]
