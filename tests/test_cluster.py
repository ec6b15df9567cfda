"""`mips bench --cluster`: the suite as Dask tasks gives the local route's records, resuming and
summary; a failed Dask task is a failed record; --cluster is checked before any work.

The Dask tests run a real `distributed.LocalCluster` of two worker processes (`--cluster local`,
and one the tests start, joined by its address as a running scheduler is). Without Dask
installed they are skipped, except in CI (CI=true), where they fail: CI installs '.[cluster]'.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from test_bench import ECHO, FLIP

from mips import bench, cluster
from mips.bench import BenchConfig, Job, run_suite
from mips.cli import main
from mips.io.folders import mark_run_folder


def _distributed():
    try:
        import distributed
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("dask is not installed: CI installs '.[test,cluster]'")
        pytest.skip("dask is not installed (pip install -e '.[cluster]')")
    return distributed


@pytest.fixture
def suite(tmp_path):
    folder = tmp_path / "suite"
    folder.mkdir()
    (folder / "a_flip.py").write_text(FLIP)
    (folder / "b_echo.py").write_text(ECHO)
    return folder


@pytest.fixture(scope="module")
def scheduler():
    """A running Dask cluster of two worker processes: (its scheduler's address, a client).
    A task whose worker dies fails at once (no retries), for the test of that."""
    distributed = _distributed()
    import dask

    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        local = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0")
    with local, distributed.Client(local, set_as_default=False) as client:
        yield local.scheduler_address, client


def _bench(suite, out, *extra) -> list[str]:
    return ["bench", "--suite", str(suite), "--out", str(out), "--max-hidden", "1", *extra]


def _results(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]


def _summary(out: Path) -> list[str]:
    """summary.md without what differs from run to run: the date, the machine and wall time,
    the provenance line, and each task's seconds (the table's sixth column)."""
    lines = []
    for line in (out / "summary.md").read_text().splitlines():
        if line.startswith(("# mips bench", "Machine:", "Made with")):
            continue
        if line.startswith("| ") and not line.startswith("| task"):
            cells = line.split(" | ")
            line = " | ".join(cells[:5] + cells[6:])
        lines.append(line)
    return lines


# What a record holds that depends on the task and the settings, not on when or where it ran.
SAME = (
    "task",
    "solved",
    "status",
    "exit_code",
    "reason",
    "seed",
    "max_hidden",
    "task_timeout",
    "fingerprint",
    "checks",
    "hidden_size",
    "arch",
    "machine",
    "program_lines",
)


def test_a_suite_on_a_dask_cluster_gives_the_records_and_summary_of_the_local_route_and_resumes(
    suite, tmp_path, capsys, scheduler
):
    here, there = tmp_path / "here", tmp_path / "there"
    assert main(_bench(suite, here, "--jobs", "2")) == 0
    assert main(_bench(suite, there, "--cluster", "local", "--jobs", "2")) == 0
    err = capsys.readouterr().err
    assert "on a local Dask cluster" in err and "started a local Dask cluster of 2 worker process(es)" in err
    local, remote = _results(here), _results(there)
    assert [r["task"] for r in remote] == ["Flip", "Echo"]
    assert all(r["solved"] for r in local), local
    for a, b in zip(local, remote):
        assert set(a) == set(b)
        assert {k: a[k] for k in SAME} == {k: b[k] for k in SAME}
    assert _summary(there) == _summary(here)
    assert sorted(p.name for p in (there / "programs").iterdir()) == ["Echo.py", "Flip.py"]
    assert sorted(p.name for p in (there / "runs").iterdir()) == ["Echo", "Flip"]  # the workers wrote there
    meta = json.loads((there / "meta.json").read_text())
    assert meta["bench"]["cluster"] == "local" and meta["solved"] == 2

    # Resumed on a running scheduler, joined by its address: only the task without a verdict runs.
    address, client = scheduler
    flip = (there / "records" / "Flip.json").stat().st_mtime_ns
    echo = json.loads((there / "records" / "Echo.json").read_text())
    (there / "records" / "Echo.json").write_text(json.dumps({**echo, "status": "timeout"}))
    assert main(_bench(suite, there, "--cluster", address)) == 0
    err = capsys.readouterr().err
    assert "1 task(s) already done" in err and f"connected to the Dask scheduler at {address}: 2 worker(s)" in err
    assert (there / "records" / "Flip.json").stat().st_mtime_ns == flip
    assert json.loads((there / "records" / "Echo.json").read_text())["status"] == "done"
    assert _summary(there) == _summary(here)
    # The Dask workers ran the task in a process of its own: JAX never started in them, so they
    # hold no GPU memory.
    assert set(client.run(lambda: "jax" in sys.modules).values()) == {False}

    # Nothing left to run: no cluster is started.
    assert main(_bench(suite, there, "--cluster", "local")) == 0
    err = capsys.readouterr().err
    assert "2 task(s) already done" in err and "started a local Dask cluster" not in err


def test_a_task_that_raises_or_whose_worker_dies_is_a_failed_record(tmp_path, monkeypatch, scheduler):
    address, _ = scheduler

    def fake_run_task(argv, settings, run_folder, log, timeout, stop_name):
        name = Path(run_folder).name
        if name == "Boom":
            raise RuntimeError("boom")
        if name == "Dies":
            os._exit(1)  # the Dask worker process itself
        run = Path(run_folder)  # what `mips synthesize` leaves when the program is not verified
        run.mkdir(parents=True)
        mark_run_folder(run)
        report = {
            "verified": False,
            "verdict": "NOT VERIFIED: no machine",
            "verification": {"checks": []},
            "network": None,
            "machine": None,
            "search": [],
            "program_lines": 0,
            "seconds": 0.1,
        }
        (run / "report.json").write_text(json.dumps(report))
        Path(log).write_text("done\n")
        return 1, "done", 0.5

    monkeypatch.setattr(cluster, "run_task", fake_run_task)
    jobs = [Job(name, f"{name}.py", "1") for name in ("Boom", "Dies", "Fine")]
    out = tmp_path / "out"
    # One task at a time: a task waiting on the worker that dies would fail with it.
    config = BenchConfig(jobs=1, cluster=address)
    records = run_suite(jobs, out, config, progress=lambda m: None)
    by_name = {r["task"]: r for r in records}
    assert by_name["Boom"]["status"] == "crashed" and "RuntimeError: boom" in by_name["Boom"]["reason"]
    assert by_name["Dies"]["status"] == "killed" and "KilledWorker" in by_name["Dies"]["reason"]
    assert by_name["Fine"]["status"] == "done" and by_name["Fine"]["reason"] == "NOT VERIFIED: no machine"
    assert not any(r["solved"] for r in records)
    assert (out / "summary.md").is_file()
    for job in jobs[:2]:  # failures: read back, and run again by a resumed bench
        assert bench._read_record(out / "records" / f"{job.name}.json")["status"] in bench.FAILED
        assert not bench._reusable(out, job, config, lambda m: None)
    assert bench._reusable(out, jobs[2], config, lambda m: None)


def test_ctrl_c_stops_the_local_cluster_and_its_tasks(suite, tmp_path):
    """Ctrl-C reaches the whole process group: the bench, and the cluster's worker processes
    beside it. The bench stops the running tasks' processes and the cluster, and exits 130."""
    _distributed()
    out = tmp_path / "out"
    # As `mips bench ...` from a terminal, with Ctrl-C's default handling even where the test
    # runs with SIGINT ignored (a background job).
    command = (
        "import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
        f"sys.argv = ['mips', *{_bench(suite, out, '--cluster', 'local', '--jobs', '1')!r}]; "
        "runpy.run_module('mips', run_name='__main__')"
    )
    bench_process = subprocess.Popen(
        [sys.executable, "-c", command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own group, which receives the "Ctrl-C" below
    )
    try:
        deadline = time.monotonic() + 120
        while "] [2/7] train" not in _text(out / "logs" / "Flip.log"):
            assert bench_process.poll() is None, bench_process.communicate()
            assert time.monotonic() < deadline, "the task never started training"
            time.sleep(0.2)
        os.killpg(bench_process.pid, signal.SIGINT)
        _, err = bench_process.communicate(timeout=60)
    finally:
        _kill_group(bench_process.pid)
    assert bench_process.returncode == 130, err
    assert err.strip().splitlines()[-1].startswith("mips: interrupted")
    assert "Traceback" not in err and "WARNING" not in err, err
    assert not (out / "records" / "Flip.json").exists()
    assert _processes_naming(out) == [], "a task's process outlived the bench"


def _text(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


def _processes_naming(out: Path) -> list[str]:
    """The command lines of the processes that name `out` (a task's `mips synthesize`)."""
    import psutil

    deadline = time.monotonic() + 10  # a process that is stopping may need a moment
    while True:
        found = []
        for process in psutil.process_iter(["cmdline"]):
            line = " ".join(process.info["cmdline"] or [])
            if str(out) in line and process.pid != os.getpid():
                found.append(line)
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def test_the_task_runs_as_a_process_of_its_own_stopped_at_its_timeout(tmp_path):
    (tmp_path / "logs").mkdir()
    started = time.monotonic()
    code, status, seconds = cluster.run_task(
        ["synthesize", "Parity_All", "--out", str(tmp_path / "runs" / "Parity_All")],
        {},
        str(tmp_path / "runs" / "Parity_All"),
        str(tmp_path / "logs" / "Parity_All.log"),
        1.0,
        None,  # no Dask here: nobody to ask whether to stop
    )
    assert (code, status) == (-signal.SIGKILL, "timeout")
    assert 1.0 < seconds < 5 and time.monotonic() - started < 10
    assert _processes_naming(tmp_path) == []


def test_a_dask_task_runs_with_the_environment_of_a_bench_worker(tmp_path, monkeypatch):
    """Its Dask worker's own environment, with JAX's settings for workers (no GPU memory taken in
    advance, unless the worker's environment says otherwise) and the bench's settings."""
    seen = []

    class FakePopen:
        returncode = 0

        def __init__(self, command, env, **kwargs):
            seen.append((command, env))

        def poll(self):
            return 0

        def wait(self, timeout=None):
            return 0

    monkeypatch.setattr(bench.subprocess, "Popen", FakePopen)
    monkeypatch.delenv("XLA_PYTHON_CLIENT_PREALLOCATE", raising=False)
    monkeypatch.setenv("MIPS_TEST_VARIABLE", "worker's")
    run = str(tmp_path / "X"), str(tmp_path / "X.log"), 60, None
    assert cluster.run_task(["synthesize", "X"], {"MIPS_COMPILE_CACHE": "off"}, *run)[:2] == (0, "done")
    command, env = seen[0]
    assert command == [sys.executable, "-m", "mips", "synthesize", "X"]
    assert env["XLA_PYTHON_CLIENT_PREALLOCATE"] == "false" and env["MIPS_TEST_VARIABLE"] == "worker's"
    assert env["MIPS_COMPILE_CACHE"] == "off"  # the bench's settings, over the worker's own
    assert env[bench.PARENT_VARIABLE] == str(os.getpid())  # the task's process watches its Dask worker
    monkeypatch.setenv("XLA_PYTHON_CLIENT_PREALLOCATE", "true")
    cluster.run_task(["synthesize", "X"], {}, *run)
    assert seen[1][1]["XLA_PYTHON_CLIENT_PREALLOCATE"] == "true"


BAD_ADDRESSES = {
    "empty": "",
    "a word": "locale",
    "no scheme": "127.0.0.1:8786",
    "http": "http://127.0.0.1:8786",
    "no port": "tcp://127.0.0.1",
    "port not a number": "tcp://127.0.0.1:port",
    "port too large": "tcp://127.0.0.1:99999",
    "no host": "tcp://:8786",
    "a path": "tcp://127.0.0.1:8786/status",
    "a space": "tcp://127.0.0.1 :8786",
}


@pytest.mark.parametrize("value", BAD_ADDRESSES.values(), ids=BAD_ADDRESSES.keys())
def test_a_bad_cluster_value_is_one_line_before_any_work(value, suite, no_training, one_line_error):
    assert main(_bench(suite, no_training / "out", "--cluster", value)) == 2
    one_line_error("--cluster", "tcp://HOST:PORT")
    assert not (no_training / "out").exists()


def test_without_dask_the_cluster_route_says_how_to_install_it(suite, no_training, one_line_error, monkeypatch):
    for name in ("dask", "distributed"):
        monkeypatch.setitem(sys.modules, name, None)  # `import distributed` raises ImportError
    assert main(_bench(suite, no_training / "out", "--cluster", "local")) == 2
    one_line_error("--cluster needs Dask", "pip install 'mips[cluster]'")
    assert not (no_training / "out").exists()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("scheme", ["tcp", "tls"])
def test_an_unreachable_scheduler_is_one_line_before_any_work(scheme, suite, no_training, one_line_error, monkeypatch):
    _distributed()
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT_S", 1.0)
    out = no_training / "out"
    started = time.monotonic()
    assert main(_bench(suite, out, "--cluster", f"{scheme}://127.0.0.1:{_free_port()}")) == 2
    assert time.monotonic() - started < 20
    one_line_error("--cluster", "cannot reach a Dask scheduler" if scheme == "tcp" else "TLS settings")
    assert not out.exists()


def test_an_address_where_something_else_answers_is_one_line(
    suite, no_training, one_line_error, monkeypatch, scheduler
):
    """The scheduler's dashboard port (8787 by default) for its own (8786), say."""
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT_S", 1.0)
    address, client = scheduler
    dashboard = urlsplit(client.dashboard_link).port
    assert main(_bench(suite, no_training / "out", "--cluster", f"tcp://127.0.0.1:{dashboard}")) == 2
    one_line_error("not as a Dask scheduler", "8787 is its dashboard")
    assert not (no_training / "out").exists()


def test_mips_imports_no_dask_until_the_cluster_route_runs():
    script = (
        "import sys, mips.cli, mips.bench, mips.cluster; mips.cli.build_parser(); "
        "mips.cluster.check_address('tcp://127.0.0.1:8786'); "
        "print(sorted(m for m in ('dask', 'distributed') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "[]", done.stderr
