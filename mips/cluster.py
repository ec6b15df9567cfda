"""`mips bench --cluster`: the suite's tasks as Dask tasks, on a local cluster or a running one.

`--cluster local` starts a `distributed.LocalCluster` of `--jobs` worker processes (one thread
each) on this machine; `--cluster tcp://HOST:PORT` (or tls://) joins the scheduler there, whose
workers may be anywhere (started by SLURM through dask-jobqueue, say). Dask is optional
(`pip install 'mips[cluster]'`) and imported here alone, inside the functions: `import mips`
never imports it.

One Dask task per benchmark task (`run_task`, on a worker). It does what the local route's
worker slot does: it starts `python -m mips synthesize` as a process of its own (the same
arguments and environment, `bench.worker_arguments`, `bench.worker_environment`), with its log
in OUT/logs/ and its run folder in OUT/runs/, stops it at the task's timeout, and returns its
exit code, status and seconds. The bench (the Dask client) turns that into the task's record
with the local route's own code (`bench.write_record`, reading the run folder), so records,
resuming and the summary are the same on both routes. Hence OUT must be one folder that the
bench and every worker reach by the same absolute path: a shared filesystem.

Why a process inside the worker, and not the pipeline in the worker's thread: a task that
crashes, runs out of memory or passes its timeout ends its own process, and the Dask worker
reports it, as on the local route; JAX never starts in the Dask worker, so it holds no GPU
memory there; and the process leaves when its Dask worker dies (`exit_when_orphaned`). A
Dask task that raises, or whose worker dies (Dask's KilledWorker, after Dask's own retries),
becomes a crashed or killed record, and the suite goes on.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from mips.bench import (
    BenchConfig,
    Job,
    Progress,
    running_stages,
    spawn,
    stop,
    task_started,
    worker_arguments,
    worker_environment,
    worker_settings,
    write_failed_record,
    write_record,
)
from mips.errors import ClusterError
from mips.events import RUNNING, TaskEvent
from mips.io.folders import discard_run_folder

LOCAL = "local"
SCHEMES = ("tcp", "tls")
# Seconds to wait for a scheduler to answer: a wrong address should fail fast, not hang.
CONNECT_TIMEOUT_S = 10.0
# Seconds an interrupted bench waits for its running tasks to stop their processes.
STOP_WAIT_S = 10.0
# How often (seconds) a task checks whether the bench asked it to stop.
STOP_CHECK_S = 1.0
INSTALL_HINT = "pip install 'mips[cluster]' (in a checkout: pip install -e '.[cluster]')"


def check_address(value: str) -> str:
    """`local`, or a scheduler's address scheme://HOST:PORT (tcp or tls); else ClusterError."""
    if value == LOCAL:
        return value
    problem = _address_problem(value)
    if problem:
        raise ClusterError(
            f"--cluster {value[:80]!r}: {problem}; expected `local` or a Dask scheduler's address, "
            "tcp://HOST:PORT or tls://HOST:PORT"
        )
    return value


def _address_problem(value: str) -> str:
    scheme, separator, _ = value.partition("://")
    if not separator:
        return "not an address"
    if scheme not in SCHEMES:
        return f"the scheme {scheme[:20]}:// is neither tcp:// nor tls://"
    if any(c.isspace() or not c.isprintable() for c in value):
        return "an address holds no spaces or control characters"
    parts = urlsplit(value)
    try:
        port = parts.port
    except ValueError:
        return "the port is not a number from 1 to 65535"
    if not parts.hostname:
        return "no host"
    if not port:
        return "no port (a scheduler listens on 8786 unless told otherwise)"
    if parts.path or parts.query or parts.fragment or parts.username or parts.password:
        return "nothing may follow HOST:PORT"
    return ""


def require_dask():
    """The `distributed` module; ClusterError, which says how to install it, when it is missing."""
    try:
        import distributed
    except ImportError:
        raise ClusterError(f"--cluster needs Dask, which is not installed: {INSTALL_HINT}") from None
    return distributed


def check_reachable(address: str) -> None:
    """For a scheduler's address: ClusterError unless Dask's TLS settings are there (tls://) and
    a Dask scheduler answers at HOST:PORT within CONNECT_TIMEOUT_S (a TCP connection, then Dask's
    handshake). Called before the bench writes anything: the common mistakes (a wrong host or
    port, a scheduler not started yet) are one line, and no folder is left behind. Nothing to
    check for `local`."""
    if address == LOCAL:
        return
    distributed = require_dask()
    if address.startswith("tls://") and _tls_missing(distributed):
        # Without them, Client fails with a TypeError and prints a traceback when Python exits.
        raise ClusterError(
            f"--cluster {address}: tls:// needs Dask's TLS settings (distributed.comm.tls.ca-file, "
            ".client.cert and .client.key in Dask's configuration), which are not set"
        )
    parts = urlsplit(address)
    try:  # quick to fail where nothing listens (Dask's own connect retries until its timeout)
        socket.create_connection((parts.hostname, parts.port), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as exc:
        raise _unreachable(address, exc) from None
    try:
        _handshake(distributed, address)
    except Exception as exc:  # noqa: BLE001 - whatever else answers there (a web server, say)
        raise _not_a_scheduler(address, exc) from None


def _not_a_scheduler(address: str, exc: Exception) -> ClusterError:
    if isinstance(exc, TimeoutError):
        reason = f"no Dask handshake within {CONNECT_TIMEOUT_S:g}s"
    else:
        reason = f"{type(exc).__name__}: {' '.join(str(exc).split())[:120]}"
    return ClusterError(
        f"--cluster {address}: something answers there, but not as a Dask scheduler ({reason}); is "
        "the port the scheduler's (8786 unless told otherwise; 8787 is its dashboard)?"
    )


def _handshake(distributed, address: str) -> None:
    """Open a Dask connection to `address` and close it. Done apart from the client: a Client
    that fails to start prints a traceback when Python exits, and waits 20 s before that. In a
    thread of its own, with its own event loop, whatever loop the caller runs."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    arguments = distributed.security.Security().get_connection_args("client")

    async def probe() -> None:
        comm = await distributed.comm.connect(address, timeout=CONNECT_TIMEOUT_S, **arguments)
        await comm.close()

    async def bounded() -> None:  # Dask's timeout covers the connection, not the handshake after it
        await asyncio.wait_for(probe(), CONNECT_TIMEOUT_S)

    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, bounded()).result()


def _unreachable(address: str, exc: Exception) -> ClusterError:
    if isinstance(exc, TimeoutError):
        reason = f"no answer within {CONNECT_TIMEOUT_S:g}s"
    else:  # "Connection refused" rather than "[Errno 111] Connection refused"
        reason = getattr(exc, "strerror", None) or " ".join(str(exc).split())[:200]
    return ClusterError(
        f"--cluster {address}: cannot reach a Dask scheduler there ({reason}); is it running, and is the address right?"
    )


def _tls_missing(distributed) -> bool:
    return distributed.security.Security().get_connection_args("client").get("ssl_context") is None


@contextmanager
def connect(address: str, workers: int, progress: Progress) -> Iterator:
    """A Dask client: of a new local cluster of `workers` processes (closed, with its workers,
    on leaving), or of the scheduler at `address` (`check_reachable` first). ClusterError when
    no scheduler answers within CONNECT_TIMEOUT_S."""
    check_address(address)
    check_reachable(address)
    distributed = require_dask()
    if address == LOCAL:
        # The scheduler's web server on a free port (the default, 8787, may be another
        # cluster's). Each worker runs `dask_setup` below when it starts.
        with (
            distributed.LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0", preload=[__name__]
            ) as cluster,
            distributed.Client(cluster, set_as_default=False) as client,
        ):
            progress(f"started a local Dask cluster of {workers} worker process(es) at {cluster.scheduler_address}")
            yield client
        return
    try:  # checked just now (check_reachable): this fails only if the scheduler went away since
        client = distributed.Client(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except OSError as exc:  # distributed: "Timed out trying to connect to ..."
        raise _unreachable(address, exc) from None
    except Exception as exc:  # noqa: BLE001
        raise _not_a_scheduler(address, exc) from None
    with client:
        count = len(client.scheduler_info().get("workers", {}))
        waiting = "; the tasks wait until workers join" if count == 0 else ""
        progress(f"connected to the Dask scheduler at {address}: {count} worker(s) now{waiting}")
        yield client


def dask_setup(worker) -> None:
    """Run by each worker of `--cluster local` as it starts (Dask's preload hook): ignore SIGINT.
    The workers share the terminal's process group, so Ctrl-C reaches them as well as the bench;
    each would stop with a traceback, under the bench's feet. The bench stops them itself,
    tasks first (`run_jobs`), then the cluster (`connect`)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def run_jobs(
    client,
    jobs: list[Job],
    out: Path,
    config: BenchConfig,
    progress: Progress,
    done: Callable[[dict, float], None],
    started: float,
) -> None:
    """Run the jobs on the client's cluster, config.jobs at a time, writing each one's record as
    it ends and calling `done(record, seconds)`. Interrupted (Ctrl-C), it asks the running
    tasks to stop their processes, waits up to STOP_WAIT_S for them, and cancels the rest."""
    import distributed

    out = out.resolve()  # the workers' working folders may be anywhere
    token = uuid.uuid4().hex[:12]  # keys of another bench on the same scheduler are not ours
    stop_event = distributed.Event(f"mips-bench-stop-{token}", client=client)
    settings = worker_settings(out)
    queue = list(jobs)
    running: dict = {}  # future -> (job, when it was submitted)
    last_report = time.monotonic()
    try:
        while queue or running:
            while queue and len(running) < config.jobs:
                job = queue.pop(0)
                future = client.submit(
                    run_task,
                    worker_arguments(job, out, config),
                    settings,
                    str(out / "runs" / job.name),
                    str(out / "logs" / f"{job.name}.log"),
                    config.task_timeout,
                    stop_event.name,
                    key=f"mips-bench-{token}-{job.name}",
                    pure=False,
                )
                running[future] = (job, time.monotonic())
                progress(task_started(job, out))  # submitted: at most config.jobs are, so about when it starts
            for future in [f for f in running if f.done()]:
                job, since = running.pop(future)
                record = _record_of(future, job, out, config, time.monotonic() - since)
                done(record, record["wall_seconds"])
            if running and time.monotonic() - last_report > 30:
                last_report = time.monotonic()
                text = f"  {_running_text(client, running, out)}; {time.monotonic() - started:.0f}s elapsed"
                progress(TaskEvent(text=text, kind=RUNNING))
            time.sleep(0.2)
    finally:
        if running:  # interrupted
            _stop_tasks(client, stop_event, list(running))


def _record_of(future, job: Job, out: Path, config: BenchConfig, waited: float) -> dict:
    """The task's record, from what its Dask task returned or raised (`waited`: seconds since it
    was submitted, the closest to its run time that a failed task leaves)."""
    from distributed import KilledWorker

    try:
        code, status, seconds = future.result()
    except KilledWorker as exc:
        reason = f"its Dask worker died while running it (KilledWorker: {' '.join(str(exc).split())[:200]})"
        return write_failed_record(job, out, config, "killed", reason, waited)
    except Exception as exc:  # noqa: BLE001 - a failure of this task, never the end of the suite
        reason = f"its Dask task failed: {type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
        return write_failed_record(job, out, config, "crashed", reason, waited)
    return write_record(job, out, config, code, status, seconds)


def _running_text(client, running: dict, out: Path) -> str:
    """The tasks a worker is running, with their stages, and how many wait for a worker."""
    try:
        busy = {key for keys in client.processing().values() for key in keys}
    except Exception:  # noqa: BLE001 - only a progress line: the scheduler may be busy or gone
        busy = set()
    names = [job.name for future, (job, _) in running.items() if future.key in busy]
    waiting = len(running) - len(names)
    return f"running: {running_stages(out, names) or 'none'}; {waiting} waiting for a worker"


def _stop_tasks(client, stop_event, futures: list) -> None:
    try:
        stop_event.set()
        deadline = time.monotonic() + STOP_WAIT_S
        while time.monotonic() < deadline and not all(future.done() for future in futures):
            time.sleep(0.1)
    except Exception:  # noqa: BLE001 - stopping as best we can: the tasks' timeouts end them anyway
        pass
    finally:
        try:
            client.cancel(futures)
            stop_event.clear()  # a set Event stays on the scheduler until cleared
        except Exception:  # noqa: BLE001
            pass


def run_task(
    argv: list[str], settings: dict[str, str], run_folder: str, log: str, timeout: float, stop_name: str | None
) -> tuple[int | None, str, float]:
    """On a Dask worker: run `python -m mips ARGV` (a task's synthesize) as the local route's
    worker would; return (exit code, "done" or "timeout" or "stopped", seconds). The process
    is stopped at `timeout`, when the bench sets the Dask Event `stop_name`, or when this
    task is left by an exception."""
    # A previous attempt's run folder must not be mistaken for this one's result.
    discard_run_folder(run_folder)
    if _stop_asked(stop_name):
        return None, "stopped", 0.0
    started = time.monotonic()
    process = spawn(argv, worker_environment(os.environ, settings), Path(log))
    try:
        next_check = started + STOP_CHECK_S
        while True:
            try:
                return process.wait(timeout=0.2), "done", time.monotonic() - started
            except subprocess.TimeoutExpired:
                pass
            if time.monotonic() - started > timeout:
                stop(process)
                return process.returncode, "timeout", time.monotonic() - started
            if time.monotonic() > next_check:
                next_check = time.monotonic() + STOP_CHECK_S
                if _stop_asked(stop_name):
                    stop(process)
                    return process.returncode, "stopped", time.monotonic() - started
    finally:
        stop(process)  # no process outlives its task (it has ended by now, unless this raised)


def _stop_asked(name: str | None) -> bool:
    if name is None:
        return False
    try:
        from distributed import Event

        return Event(name).is_set()
    except Exception:  # noqa: BLE001 - scheduler unreachable: the task's timeout still ends it
        return False
