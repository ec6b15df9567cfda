"""The benchmark runner: `synthesize` on every task of a suite, in parallel, resumable.

Each task runs as its own `mips synthesize` process (on Linux forked from the
bench, which has done the imports once; elsewhere a new `python -m mips`), so a
task that crashes, hangs past its timeout or runs out of memory is recorded as
such and the suite goes on. Every finished task leaves a record (written atomically)
in OUT/records/. Running the same command again reuses a record only when the
task ended with a verdict (verified or not) and the record was made with the
same seed, search limit, timeout and task (its fingerprint); timed-out, crashed
and killed tasks run again, and a record that cannot be read is set aside as
<name>.json.corrupt. results.jsonl and summary.md are rebuilt from the records,
programs/ holds exactly the solved tasks' programs, and meta.json says
what made this invocation's results.

OUT must be new, empty or a folder an earlier `mips bench` made (it carries a
marker); bench deletes only what it wrote there. One bench at a time may use
OUT (a lock on OUT/.lock). Each worker leads its own process group, which is
killed as a whole, and exits by itself when the bench that started it dies.

Exit code of `mips bench`: 0 when every task ended with a result (verified,
not verified, or timed out), 3 when any task crashed or was killed (stderr
names them and their logs), 2 for bad input (one line on stderr).
"""

from __future__ import annotations

import json
import os
import platform
import re
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator, Mapping

from mips import jaxsetup
from mips.errors import OutputError
from mips.events import BEGIN, RUNNING, SKIPPED, TASK_DONE, TASK_STARTED, Progress, TaskEvent, print_lines
from mips.io.folders import (
    BENCH_MARKER,
    check_bench_target,
    discard_run_folder,
    is_run_folder,
    mark_bench_folder,
    write_atomic,
)

Worker = Callable[[list[str]], int]  # the command line's entry point: arguments -> exit code

# The worker reads the bench's pid from here (see `exit_when_orphaned`).
PARENT_VARIABLE = "MIPS_BENCH_PARENT"
# What a record must hold to be read back (results.jsonl, summary.md and the exit code use these).
RECORD_KEYS = ("task", "solved", "status", "wall_seconds", "reason")
# Statuses that are not results: the task is a failure of the run, not of the method.
FAILED = ("crashed", "killed")


@dataclass(frozen=True)
class Job:
    name: str  # the record's name
    spec: str  # what `mips synthesize` is given: a built-in name or a task file
    fingerprint: str = ""  # the task's definition: a record made for another one is not reused


@dataclass(frozen=True, kw_only=True)
class BenchConfig:
    jobs: int = 2
    seed: int = 0
    task_timeout: float = 300.0  # seconds; the network search gets search_fraction of it
    max_hidden: int = 32
    # The network search of each task stops at this fraction of the timeout, so that a
    # task that cannot be trained in time still ends with a report of how far it got,
    # and extraction and verification have time left.
    search_fraction: float = 0.75
    # None: worker processes of this machine; else a Dask cluster's ("local", or a scheduler's
    # address: mips.cluster), where `jobs` is the local cluster's workers, or else how many
    # tasks are given to the cluster at a time.
    cluster: str | None = None

    def __post_init__(self):
        if self.jobs < 1 or self.task_timeout <= 0 or self.max_hidden < 1 or not 0 < self.search_fraction <= 1:
            raise ValueError("BenchConfig: jobs >= 1, task_timeout > 0, max_hidden >= 1, 0 < search_fraction <= 1")

    @property
    def search_budget(self) -> float:
        return round(self.task_timeout * self.search_fraction, 1)


def run_suite(
    jobs: list[Job],
    out: Path,
    config: BenchConfig,
    *,
    progress: Progress = print_lines,
    anchors: dict[str, dict[str, str]] | None = None,
    command: list[str] | None = None,
    worker: Worker | None = None,
) -> list[dict]:
    """Run every job without a reusable record; return all records in suite order. `worker`
    is the command line's entry point (`mips.cli.main`): given, the workers are forked from
    this process on Linux (see `FORK_WORKERS`); else each is a new `python -m mips` process.

    Raises OutputError, before any worker starts, when `out` is not a bench folder of
    ours or another bench is running in it."""
    with bench_folder(out) as lock:
        where = {None: "", "local": " on a local Dask cluster,"}.get(
            config.cluster, f" on the Dask cluster at {config.cluster},"
        )
        text = f"mips bench: {len(jobs)} task(s){where} {config.jobs} at a time, results in {out}"
        progress(TaskEvent(text=text, kind=BEGIN, count=len(jobs), jobs=config.jobs))
        return _run(jobs, out, config, progress, anchors or {}, command, lock, worker)


@contextmanager
def bench_folder(out: Path) -> Iterator[int | None]:
    """Check, create and mark the bench folder, and hold its lock while the bench runs
    (yields the lock's file descriptor, None where there is no lock)."""
    check_bench_target(out)
    out.mkdir(parents=True, exist_ok=True)
    mark_bench_folder(out)
    with _locked(out) as lock:
        for folder in ("records", "runs", "logs", "programs"):
            (out / folder).mkdir(exist_ok=True)
        yield lock


# Seconds a bench waits for the lock of its folder: the workers of a bench that was killed
# hold it too (`_start`), and stop within about a second (`exit_when_orphaned`).
LOCK_WAIT_S = 10.0


@contextmanager
def _locked(out: Path) -> Iterator[int | None]:
    """Hold OUT/.lock: two benches in one folder would run the same tasks into the same
    run folders. The workers get the lock's descriptor too, so that it is held until the
    bench and every worker it started are gone; the OS releases it even after SIGKILL."""
    try:
        import fcntl
    except ImportError:  # no flock on this platform: run unlocked
        yield None
        return
    handle = os.open(out / ".lock", os.O_RDWR | os.O_CREAT, 0o666)
    try:
        waited = time.monotonic() + LOCK_WAIT_S
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > waited:
                    holder = os.read(handle, 32).decode(errors="replace").strip()
                    who = f" (pid {holder})" if holder.isdigit() else ""
                    raise OutputError(f"another mips bench{who}, or its workers, is running in {out}") from None
                time.sleep(0.2)
        os.ftruncate(handle, 0)
        os.write(handle, f"{os.getpid()}\n".encode())
        yield handle
    finally:
        os.close(handle)


def _run(
    jobs: list[Job],
    out: Path,
    config: BenchConfig,
    progress: Progress,
    anchors: dict[str, dict[str, str]],
    command: list[str] | None,
    lock: int | None,
    worker: Worker | None,
) -> list[dict]:
    pending = [job for job in jobs if not _reusable(out, job, config, progress)]
    skipped = len(jobs) - len(pending)
    if skipped:
        progress(TaskEvent(text=f"{skipped} task(s) already done in {out}, skipping them", kind=SKIPPED, count=skipped))
    _check_run_folders(out, pending)
    if config.cluster is not None and pending:
        from mips import cluster  # Dask is imported on this route alone (pip install 'mips[cluster]')

        # Reached (or started) before meta.json is written and any task runs: no scheduler at
        # the address is a one-line error. Not when every task is done already.
        connection = cluster.connect(config.cluster, config.jobs, progress)
    else:
        connection = nullcontext()
    with connection as client:
        origin = _write_meta(out, jobs, config, command)  # only once nothing can refuse the run
        started = time.monotonic()

        def done(record: dict, elapsed: float) -> None:
            _say_done(jobs, out, config, record, progress, elapsed, started)

        if client is None:
            _run_here(pending, out, config, progress, done, started, lock, worker)
        else:
            cluster.run_jobs(client, pending, out, config, progress, done, started)
    records = _load_records(jobs, out, config)
    if len(records) < len(jobs):
        progress(
            f"{len(jobs) - len(records)} task(s) have no record made with these settings yet: "
            "the summary leaves them out"
        )
    wall = time.monotonic() - started
    _write_meta(out, jobs, config, command, origin=origin, wall=wall, records=records)
    write_outputs(records, out, anchors, wall=wall, provenance=origin)
    return records


def _run_here(
    pending: list[Job],
    out: Path,
    config: BenchConfig,
    progress: Progress,
    done: Callable[[dict, float], None],
    started: float,
    lock: int | None,
    worker: Worker | None,
) -> None:
    """Run the jobs in worker processes of this machine, config.jobs at a time."""
    pending = list(pending)
    if worker is not None:
        preload()
    running: dict[str, tuple[Job, subprocess.Popen | _Forked, float]] = {}
    last_report = 0.0
    try:
        while pending or running:
            while pending and len(running) < config.jobs:
                job = pending.pop(0)
                running[job.name] = (job, _start(job, out, config, lock, worker), time.monotonic())
                progress(task_started(job, out))
            for name, (job, process, since) in list(running.items()):
                record = _finish(job, process, time.monotonic() - since, out, config)
                if record is not None:
                    del running[name]
                    done(record, time.monotonic() - since)
            if running and time.monotonic() - last_report > 30:
                last_report = time.monotonic()
                text = f"  running: {running_stages(out, running)}; {time.monotonic() - started:.0f}s elapsed"
                progress(TaskEvent(text=text, kind=RUNNING))
            time.sleep(0.2)
    finally:
        for _, process, _ in running.values():  # interrupted: stop the workers, keep finished records
            stop(process)


def task_started(job: Job, out: Path) -> TaskEvent:
    """A task handed to a worker: no line in a log (a bench's log never showed it), a row in a
    live table, which reads the task's stage from its log."""
    return TaskEvent(text="", kind=TASK_STARTED, task=job.name, log=out / "logs" / f"{job.name}.log")


_OUTCOMES = {"done": "not solved", "timeout": "timed out"}  # else crashed or killed


def _finish(job: Job, process, elapsed: float, out: Path, config: BenchConfig) -> dict | None:
    """Record a worker that has ended or run out of time (stopping it); None while it runs."""
    if process.poll() is None and elapsed <= config.task_timeout:
        return None
    status = "done"
    if process.returncode is None:
        stop(process)
        status = "timeout"
    return write_record(job, out, config, process.returncode, status, elapsed)


def write_record(job: Job, out: Path, config: BenchConfig, code: int | None, status: str, seconds: float) -> dict:
    """Make the record of a worker that has ended (with exit code `code`; None: stopped at its
    timeout) from its run folder and log, and write it to OUT/records/<name>.json."""
    return _save(out, _record(job, out, code, status, seconds, config))


def write_failed_record(job: Job, out: Path, config: BenchConfig, status: str, reason: str, seconds: float) -> dict:
    """Write the record of a task that ended without its worker's exit code (status crashed or
    killed: its Dask worker died, say): a failure of the run, which a resumed bench runs again."""
    return _save(out, {**_record_start(job, None, status, seconds, config), "reason": reason})


def _save(out: Path, record: dict) -> dict:
    write_atomic(out / "records" / f"{record['task']}.json", json.dumps(record, indent=2) + "\n")
    return record


def running_stages(out: Path, names) -> str:
    """The running tasks, each with the last stage its log shows."""
    return ", ".join(f"{name} ({_stage(out, name)})" for name in names)


def _say_done(jobs, out: Path, config: BenchConfig, record: dict, progress: Progress, elapsed: float, started: float):
    done = _load_records(jobs, out, config)
    name = record["task"]
    outcome = "solved" if record["solved"] else _OUTCOMES.get(record["status"], record["status"])
    text = (
        f"[{len(done)}/{len(jobs)}] {name}: {outcome} "
        f"in {elapsed:.0f}s ({sum(r['solved'] for r in done)} solved so far, "
        f"{time.monotonic() - started:.0f}s elapsed)"
    )
    failed = record["status"] in FAILED
    progress(TaskEvent(text=text, kind=TASK_DONE, task=name, outcome=outcome, failed=failed, seconds=elapsed))


def _settings(job: Job, config: BenchConfig) -> dict:
    """What a record's result depends on: a record made with other settings is not reused."""
    return {
        "seed": config.seed,
        "max_hidden": config.max_hidden,
        "task_timeout": config.task_timeout,
        "fingerprint": job.fingerprint,
    }


def _reusable(out: Path, job: Job, config: BenchConfig, progress: Progress) -> bool:
    """The job has a record with a verdict, made with the same settings for the same task."""
    path = out / "records" / f"{job.name}.json"
    if not path.is_file():
        return False
    record = _read_record(path)
    if record is None:  # never deleted: it may be all that is left of a long run
        aside = _set_aside(path)
        progress(
            f"warning: {path} is not a record that mips bench can read; moved it to {aside.name}, "
            f"running {job.name} again"
        )
        return False
    same = all(record.get(key) == value for key, value in _settings(job, config).items())
    return same and record["task"] == job.name and record["status"] == "done"


def _read_record(path: Path) -> dict | None:
    try:
        record = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    return record if isinstance(record, dict) and all(key in record for key in RECORD_KEYS) else None


def _set_aside(path: Path) -> Path:
    aside = path.with_name(path.name + ".corrupt")
    number = 1
    while aside.exists():  # an earlier one set aside is kept too
        aside = path.with_name(f"{path.name}.corrupt{number}")
        number += 1
    os.rename(path, aside)
    return aside


def _check_run_folders(out: Path, pending: list[Job]) -> None:
    """Each pending task's run folder is replaced when it starts: refuse, before any worker
    starts, when one of them holds what mips did not write."""
    foreign = [
        job.name
        for job in pending
        if ((out / "runs" / job.name).exists() or (out / "runs" / job.name).is_symlink())
        and not is_run_folder(out / "runs" / job.name)
    ]
    if foreign:
        raise OutputError(
            f"{out / 'runs'}: {', '.join(foreign)} hold(s) files that mips did not write; move them out, then run again"
        )


def _start(
    job: Job, out: Path, config: BenchConfig, lock: int | None = None, worker: Worker | None = None
) -> subprocess.Popen | _Forked:
    # A previous attempt's run folder must not be mistaken for this one's result.
    discard_run_folder(out / "runs" / job.name)
    argv = worker_arguments(job, out, config)
    env = worker_environment(os.environ, worker_settings(out))
    log_path = out / "logs" / f"{job.name}.log"
    if worker is not None and can_fork():
        return _Forked.start(worker, argv, env, log_path)
    return spawn(argv, env, log_path, lock)


def worker_arguments(job: Job, out: Path, config: BenchConfig) -> list[str]:
    """What a worker runs: `mips ARGS`, the task's `synthesize` into OUT/runs/<name>."""
    return [
        "synthesize",
        job.spec,
        "--out",
        str(out / "runs" / job.name),
        "--seed",
        str(config.seed),
        "--max-hidden",
        str(config.max_hidden),
        "--time-budget",
        str(config.search_budget),
    ]


def worker_settings(out: Path) -> dict[str, str]:
    """What the bench tells every worker through its environment. Tasks with the same input
    and output alphabets compile the same training functions: a compilation cache shared by
    the suite's workers (OUT/jax-cache, unless the bench's environment chooses one) saves that
    time."""
    variable = jaxsetup.VARIABLE
    return {variable: os.environ[variable] if variable in os.environ else str((out / "jax-cache").resolve())}


def worker_environment(base: Mapping[str, str], settings: Mapping[str, str]) -> dict[str, str]:
    """The environment a worker runs in: that of the process starting it (`base`) with JAX's
    settings for workers (`jaxsetup.for_workers`), the bench's `settings`, and this process's
    pid, which the worker watches (`exit_when_orphaned`)."""
    return {**jaxsetup.for_workers(base), **settings, PARENT_VARIABLE: str(os.getpid())}


def spawn(argv: list[str], env: dict[str, str], log_path: Path, lock: int | None = None) -> subprocess.Popen:
    """Start `python -m mips ARGV` in a new session (its own process group, so that stopping it
    stops whatever it started as well), standard output and error to the log."""
    with open(log_path, "w") as log:  # the child keeps its own handle
        return subprocess.Popen(
            [sys.executable, "-m", "mips", *argv],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
            pass_fds=() if lock is None else (lock,),
        )


# On Linux a worker is forked from the bench, which has imported what `synthesize` needs
# (`preload`): measured, those imports take 2.2 s of every task's process. Elsewhere (fork
# without exec is unsafe on macOS, absent on Windows) each worker is a new Python process.
FORK_WORKERS = sys.platform.startswith("linux") and hasattr(os, "fork")


def can_fork() -> bool:
    """Whether a worker may be forked from this process: on Linux, while JAX has not started
    here (its threads would not be in the child, which could hang; the bench itself never starts
    it, but a program that calls `run_suite` may have)."""
    return FORK_WORKERS and not jaxsetup.started()


def preload() -> None:
    """Import, in the bench, what a worker's `synthesize` imports. JAX is imported, never
    started: a backend started before a fork would not work in the child."""
    if can_fork():
        import mips.io.report  # noqa: F401
        import mips.io.runs  # noqa: F401
        import mips.pipeline  # noqa: F401


class _Forked:
    """A worker forked from the bench: `python -m mips ARGS` as far as the bench can tell (its
    own session and process group, standard input from /dev/null, standard output and error
    to the log, the exit code of the command), with the bench's imports already done."""

    def __init__(self, pid: int):
        self.pid, self.returncode = pid, None

    @classmethod
    def start(cls, worker: Worker, argv: list[str], env: dict[str, str], log_path: Path) -> "_Forked":
        sys.stdout.flush()  # what the bench has buffered must not be written twice
        sys.stderr.flush()
        log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
        pid = os.fork()
        if pid:
            os.close(log)
            return cls(pid)
        code = 3  # the worker: never returns into the bench's code
        try:
            os.setsid()
            os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
            os.dup2(log, 1)
            os.dup2(log, 2)
            os.close(log)
            # Python's streams on those descriptors, as in a new process (the bench's may be
            # something else: a test's capture, say).
            sys.stdin = open(0, closefd=False)
            sys.stdout = open(1, "w", buffering=1, closefd=False)
            sys.stderr = open(2, "w", buffering=1, closefd=False)
            os.environ.update(env)
            code = worker(argv)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except KeyboardInterrupt:
            code = 130
        except BaseException:  # noqa: BLE001 - reported in the log, the exit code says crashed
            import traceback

            traceback.print_exc()
        finally:
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                os._exit(code)

    def poll(self) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self) -> int:
        if self.returncode is None:
            _, status = os.waitpid(self.pid, 0)
            self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def kill(self) -> None:
        os.kill(self.pid, signal.SIGKILL)


def stop(process: subprocess.Popen | _Forked) -> None:
    """Kill a worker and its process group. Only while it is not yet reaped: until then
    its pid, and so its group's id, cannot have been given to another process."""
    if process.poll() is None:
        try:
            if hasattr(os, "killpg"):
                os.killpg(process.pid, signal.SIGKILL)
            else:
                process.kill()
        except ProcessLookupError:
            pass
    process.wait()


def exit_when_orphaned() -> None:
    """In a worker of `mips bench`: exit as soon as the bench that started it is gone.

    A bench killed by SIGKILL (or the OOM killer) cannot stop its workers; each
    would go on training for minutes, holding cores and memory. The bench's pid is
    in MIPS_BENCH_PARENT; a daemon thread checks about once a second that it is
    still this process's parent. Without the variable (a plain `mips synthesize`)
    this does nothing."""
    parent = os.environ.pop(PARENT_VARIABLE, "")  # not for this process's own children
    if not parent.isdigit():
        return

    def watch() -> None:
        while os.getppid() == int(parent):
            time.sleep(1.0)
        os._exit(3)  # nobody is left to read a report: stop at once, no cleanup

    threading.Thread(target=watch, name="mips-bench-parent", daemon=True).start()


def _stage(out: Path, name: str) -> str:
    """The last stage the task's log shows, by its name ("train"; "starting" before any)."""
    return log_stage(out / "logs" / f"{name}.log").split(",")[0].split("] ")[-1]


# A worker's log, as the plain progress printer writes it (`[  2.8s] [2/7] train: ...`).
_STAGE = re.compile(r"^\[ *[\d.]+s\] (\[\d+/\d+\] \w+)")
_STARTED = re.compile(r"^\[ *[\d.]+s\]   training (.+) \(candidate (\d+) of (\d+)\)$")
_LEFT = re.compile(r"^\[ *[\d.]+s\]   ([^:]+): ")


def log_stage(path: Path | None) -> str:
    """Where a worker is, from its log: the last stage, and in the search the candidates
    training ("[2/7] train, candidates 5-8 of 44"); "starting" before any stage."""
    try:
        lines = path.read_text(errors="replace").splitlines() if path is not None else []
    except OSError:
        lines = []
    stage, running, total = "starting", {}, 0
    for line in lines:
        if found := _STAGE.match(line):
            stage = found[1]
        elif found := _STARTED.match(line):
            running[found[1]], total = int(found[2]), int(found[3])
        elif found := _LEFT.match(line):
            running.pop(found[1], None)
    if not (stage.endswith(" train") and running):
        return stage
    low, high = min(running.values()), max(running.values())
    return stage + (f", candidate {low} of {total}" if low == high else f", candidates {low}-{high} of {total}")


def _record_start(job: Job, code: int | None, status: str, seconds: float, config: BenchConfig) -> dict:
    return {
        "task": job.name,
        "solved": False,
        "status": status,
        "exit_code": code,
        "wall_seconds": round(seconds, 1),
        **_settings(job, config),
        "reason": "",
    }


def _record(job: Job, out: Path, code: int | None, status: str, seconds: float, config: BenchConfig) -> dict:
    record = _record_start(job, code, status, seconds, config)
    report_file = out / "runs" / job.name / "report.json"
    if status == "timeout":
        record["reason"] = f"timed out after {config.task_timeout:.0f}s"
        return record
    if code not in (0, 1) or not report_file.is_file():
        tail = (out / "logs" / f"{job.name}.log").read_text(errors="replace").splitlines()[-3:]
        killed = code is not None and code < 0
        record["status"] = "killed" if killed else "crashed"
        record["reason"] = (f"killed by signal {-code} (out of memory?)" if killed else f"exit code {code}") + (
            ": " + " | ".join(tail) if tail else ""
        )
        return record
    try:
        record.update(_from_report(json.loads(report_file.read_text())))
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:  # never the end of the suite
        record.update(status="crashed", reason=f"its report.json cannot be read ({type(exc).__name__}: {exc})")
        return record
    program = out / "runs" / job.name / "program.py"
    if record["solved"] and program.is_file():
        write_atomic(out / "programs" / f"{job.name}.py", program.read_text())
    return record


def _from_report(report: dict) -> dict:
    """What a record takes from the worker's report.json."""
    network, machine = report.get("network"), report.get("machine")
    found = {
        "solved": bool(report["verified"]),
        "reason": "" if report["verified"] else report["verdict"],
        "checks": report["verification"]["checks"],
        "hidden_size": network["hidden_size"] if network else None,
        "arch": network["arch"] if network else None,
        "trained_seed": network["trained_seed"] if network else None,
        "training_steps": sum(a["steps"] for a in report["search"]),
        "search_out_of_time": report.get("search_out_of_time", False),
        "architectures_tried": len(report["search"]),
        "machine": {k: machine.get(k) for k in ("kind", "form", "size", "matches_heldout")} if machine else None,
        "program_lines": report["program_lines"],
        "seconds": report["seconds"],
    }
    simplified = report.get("simplify")
    if simplified:  # which simplifications were kept, and which network the machine came from
        found["simplify"] = {k: simplified.get(k) for k in ("kept", "read", "hidden_size", "recurrent_weights_simple")}
    if report.get("provenance"):
        found["provenance"] = report["provenance"]
    return found


def _load_records(jobs: list[Job], out: Path, config: BenchConfig) -> list[dict]:
    """The jobs' records made with these settings (a resumed bench with another seed, say,
    must not mix its results with the earlier ones)."""
    records = []
    for job in jobs:
        path = out / "records" / f"{job.name}.json"
        record = _read_record(path) if path.is_file() else None
        if record is not None and all(record.get(k) == v for k, v in _settings(job, config).items()):
            records.append(record)
    return records


def _write_meta(
    out: Path,
    jobs: list[Job],
    config: BenchConfig,
    command: list[str] | None,
    *,
    origin: dict | None = None,
    wall: float | None = None,
    records: list[dict] | None = None,
) -> dict:
    """OUT/meta.json: what made this invocation's results: versions, commit, machine, date, the
    bench's settings and tasks, the command line, and (once it has finished) its wall time and
    how many tasks were solved. Written when the run starts and again when it ends (each record
    also carries its worker's own provenance)."""
    from mips.io.provenance import provenance  # versions from package metadata: jax is not imported

    if origin is None:
        origin = {**provenance(), "bench": {**asdict(config), "tasks": [job.name for job in jobs]}, "command": command}
    meta = {**origin, "wall_seconds": None if wall is None else round(wall, 1)}
    if records is not None:
        meta["finished"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
        meta["tasks_recorded"] = len(records)
        meta["solved"] = sum(bool(r["solved"]) for r in records)
    write_atomic(out / "meta.json", json.dumps(meta, indent=2) + "\n")
    return origin


def write_outputs(
    records: list[dict], out: Path, anchors: dict[str, dict[str, str]], *, wall: float, provenance: dict | None = None
) -> None:
    if (out / BENCH_MARKER).is_file():  # programs/ is ours only inside a folder that bench made
        for record in records:  # a task re-run without success keeps no program from before
            if not record["solved"]:
                (out / "programs" / f"{record['task']}.py").unlink(missing_ok=True)
    write_atomic(out / "results.jsonl", "".join(json.dumps(r) + "\n" for r in records))
    write_atomic(out / "summary.md", summary_markdown(records, anchors, wall=wall, provenance=provenance))


def _yes(value: str | None) -> str:
    return {"1": "yes", "0": "no"}.get(value or "", value or "")


def provenance_line(origin: dict) -> str:
    """One line of meta.json for summary.md."""
    commit = f" (commit {origin['commit']})" if origin.get("commit") else ""
    jax = (origin.get("libraries") or {}).get("jax") or "not installed"
    return (
        f"Made with mips {origin.get('mips')}{commit}, Python {origin.get('python')}, jax {jax}, "
        f"on {origin.get('date')} (all of it in meta.json)."
    )


def summary_markdown(
    records: list[dict], anchors: dict[str, dict[str, str]], *, wall: float, provenance: dict | None = None
) -> str:
    solved = sum(r["solved"] for r in records)
    lines = [
        f"# mips bench ({datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC)",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}. "
        f"Wall time of this invocation: {wall:.0f}s.",
        *(["", provenance_line(provenance)] if provenance else []),
        "",
        f"**Solved (verified): {solved} of {len(records)}.** A task counts as solved only when its program, "
        "extracted from the trained network, passes every check listed in its record in results.jsonl "
        "(for built-in tasks: 10,000 fresh random sequences at the training length and 1,000 at five times it).",
    ]
    trained = [r for r in records if r.get("hidden_size")]
    matched = [r for r in records if (r.get("machine") or {}).get("matches_heldout")]
    lines += [
        "",
        f"Trained to 100% held-out accuracy: {len(trained)} of {len(records)}. "
        f"Extracted machine alone reproduces the held-out outputs: {len(matched)} of {len(records)}.",
    ]
    known = [r for r in records if r["task"] in anchors]
    if known:  # task files of one's own have no original results to stand beside
        sized = [r for r in trained if anchors.get(r["task"], {}).get("mips_hidden_size", "").isdigit()]
        no_larger = sum(r["hidden_size"] <= int(anchors[r["task"]]["mips_hidden_size"]) for r in sized)
        of = f"{len(known)}" + ("" if len(known) == len(records) else " benchmark tasks")
        lines.append(f"Hidden size no larger than the original search's: {no_larger} of {of}.")
        lines.append("")
        lines.append(
            f"On the same tasks: original MIPS {sum(anchors[r['task']]['mips_solved'] == '1' for r in known)}, "
            f"GPT-4 credited {sum(anchors[r['task']]['gpt4_credited'] == '1' for r in known)} "
            f"(actually correct {sum(anchors[r['task']]['gpt4_correct'] == '1' for r in known)}), "
            f"RPNI (no network) {sum(anchors[r['task']]['rpni_solved'] == '1' for r in known)}."
        )
    lines += [
        "",
        "| task | solved | hidden | orig. hidden | machine, program form | seconds | orig. MIPS | GPT-4 credited / correct | RPNI | reason |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in records:
        a = anchors.get(r["task"], {})
        machine = r.get("machine")
        machine_text = ""
        if machine:
            form = f", {machine['form']}" if machine.get("form") else ""
            machine_text = f"{machine['kind']}{form} (size {machine['size']})"
        reason = r["reason"].replace("|", "/")[:120]
        lines.append(
            f"| {r['task']} | {'yes' if r['solved'] else 'NO'} | {r.get('hidden_size') or ''} | "
            f"{a.get('mips_hidden_size', '')} | {machine_text} | {r['wall_seconds']} | {_yes(a.get('mips_solved'))} | "
            f"{_yes(a.get('gpt4_credited'))} / {_yes(a.get('gpt4_correct'))} | {_yes(a.get('rpni_solved'))} | {reason} |"
        )
    return "\n".join(lines) + "\n"
