"""The benchmark runner: `synthesize` on every task of a suite, in parallel, resumable.

Each task runs as its own `python -m mips synthesize` process, so a task that
crashes, hangs past its timeout or runs out of memory is recorded as such and
the suite goes on. Every finished task leaves a record (written atomically)
in OUT/records/; running the same command again skips the tasks that have one
made with the same seed and search limit. results.jsonl and summary.md are
rebuilt from the records, and programs/ holds exactly the solved tasks' programs.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Job:
    name: str  # the record's name
    spec: str  # what `mips synthesize` is given: a built-in name or a task file


@dataclass(frozen=True, kw_only=True)
class BenchConfig:
    jobs: int = 2
    seed: int = 0
    task_timeout: float = 300.0  # seconds; the network search gets search_fraction of it
    max_hidden: int = 8
    # The network search of each task stops at this fraction of the timeout, so that a
    # task that cannot be trained in time still ends with a report of how far it got,
    # and extraction and verification have time left.
    search_fraction: float = 0.75

    def __post_init__(self):
        if self.jobs < 1 or self.task_timeout <= 0 or self.max_hidden < 1 or not 0 < self.search_fraction <= 1:
            raise ValueError("BenchConfig: jobs >= 1, task_timeout > 0, max_hidden >= 1, 0 < search_fraction <= 1")

    @property
    def search_budget(self) -> float:
        return round(self.task_timeout * self.search_fraction, 1)


def run_suite(jobs: list[Job], out: Path, config: BenchConfig, *, progress: Progress = print,
              anchors: dict[str, dict[str, str]] | None = None) -> list[dict]:
    """Run every job without a record; return all records in suite order."""
    for folder in ("records", "runs", "logs", "programs"):
        (out / folder).mkdir(parents=True, exist_ok=True)
    pending = [job for job in jobs if not _done_with(out, job, config)]
    skipped = len(jobs) - len(pending)
    if skipped:
        progress(f"{skipped} task(s) already done in {out}, skipping them")
    started = time.monotonic()
    running: dict[str, tuple[Job, subprocess.Popen, float]] = {}
    last_report = 0.0
    try:
        while pending or running:
            while pending and len(running) < config.jobs:
                job = pending.pop(0)
                running[job.name] = (job, _start(job, out, config), time.monotonic())
            for name, (job, process, since) in list(running.items()):
                elapsed = time.monotonic() - since
                if process.poll() is None and elapsed <= config.task_timeout:
                    continue
                status = "done"
                if process.returncode is None:
                    process.kill()
                    process.wait()
                    status = "timeout"
                record = _record(job, out, process.returncode, status, elapsed, config)
                _write_atomic(out / "records" / f"{name}.json", json.dumps(record, indent=2) + "\n")
                del running[name]
                done = _load_records(jobs, out)
                progress(f"[{len(done)}/{len(jobs)}] {name}: {'solved' if record['solved'] else 'not solved'} "
                         f"in {elapsed:.0f}s ({sum(r['solved'] for r in done)} solved so far, "
                         f"{time.monotonic() - started:.0f}s elapsed)")
            if running and time.monotonic() - last_report > 30:
                last_report = time.monotonic()
                stages = ", ".join(f"{name} ({_stage(out, name)})" for name in running)
                progress(f"  running: {stages}; {time.monotonic() - started:.0f}s elapsed")
            time.sleep(0.2)
    finally:
        for _, process, _ in running.values():  # interrupted: stop the workers, keep finished records
            process.kill()
            process.wait()
    records = _load_records(jobs, out)
    write_outputs(records, out, anchors or {}, wall=time.monotonic() - started)
    return records


def _done_with(out: Path, job: Job, config: BenchConfig) -> bool:
    """A record exists for this job, made with the same seed and search limit."""
    path = out / "records" / f"{job.name}.json"
    if not path.is_file():
        return False
    record = json.loads(path.read_text())
    return record.get("seed") == config.seed and record.get("max_hidden") == config.max_hidden


def _start(job: Job, out: Path, config: BenchConfig) -> subprocess.Popen:
    # A previous attempt's run folder must not be mistaken for this one's result.
    shutil.rmtree(out / "runs" / job.name, ignore_errors=True)
    command = [
        sys.executable, "-m", "mips", "synthesize", job.spec, "--out", str(out / "runs" / job.name),
        "--seed", str(config.seed), "--max-hidden", str(config.max_hidden),
        "--time-budget", str(config.search_budget),
    ]
    # Tasks with the same input and output alphabets compile the same training
    # functions: a compilation cache shared by the suite's workers saves that time.
    env = {**os.environ}
    env.setdefault("JAX_COMPILATION_CACHE_DIR", str((out / "jax-cache").resolve()))
    with open(out / "logs" / f"{job.name}.log", "w") as log:  # the child keeps its own handle
        return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)


def _stage(out: Path, name: str) -> str:
    """The last stage line the task's log shows."""
    try:
        lines = (out / "logs" / f"{name}.log").read_text().splitlines()
    except OSError:
        return "starting"
    stages = [line.split("] ", 2)[-1] for line in lines if _STAGE_LINE.search(line)]
    return stages[-1].split(":")[0] if stages else "starting"


_STAGE_LINE = re.compile(r"\] \[\d+/\d+\] ")


def _record(job: Job, out: Path, code: int | None, status: str, seconds: float, config: BenchConfig) -> dict:
    record = {"task": job.name, "solved": False, "status": status, "exit_code": code,
              "wall_seconds": round(seconds, 1), "seed": config.seed, "max_hidden": config.max_hidden, "reason": ""}
    report_file = out / "runs" / job.name / "report.json"
    if status == "timeout":
        record["reason"] = f"timed out after {config.task_timeout:.0f}s"
        return record
    if code not in (0, 1) or not report_file.is_file():
        tail = (out / "logs" / f"{job.name}.log").read_text().splitlines()[-3:]
        killed = code is not None and code < 0
        record["status"] = "killed" if killed else "crashed"
        record["reason"] = (f"killed by signal {-code} (out of memory?)" if killed else f"exit code {code}") + (
            ": " + " | ".join(tail) if tail else "")
        return record
    report = json.loads(report_file.read_text())
    network, machine = report.get("network"), report.get("machine")
    record.update({
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
    })
    program = out / "runs" / job.name / "program.py"
    if record["solved"] and program.is_file():
        _write_atomic(out / "programs" / f"{job.name}.py", program.read_text())
    return record


def _load_records(jobs: list[Job], out: Path) -> list[dict]:
    records = []
    for job in jobs:
        path = out / "records" / f"{job.name}.json"
        if path.is_file():
            records.append(json.loads(path.read_text()))
    return records


def _write_atomic(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w") as f:
            f.write(text)
        os.chmod(temporary, 0o666 & ~_UMASK)  # mkstemp makes files private; these are plain results
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


def write_outputs(records: list[dict], out: Path, anchors: dict[str, dict[str, str]], *, wall: float) -> None:
    for record in records:  # a task re-run without success keeps no program from before
        if not record["solved"]:
            (out / "programs" / f"{record['task']}.py").unlink(missing_ok=True)
    _write_atomic(out / "results.jsonl", "".join(json.dumps(r) + "\n" for r in records))
    _write_atomic(out / "summary.md", summary_markdown(records, anchors, wall=wall))


def _yes(value: str | None) -> str:
    return {"1": "yes", "0": "no"}.get(value or "", value or "")


def summary_markdown(records: list[dict], anchors: dict[str, dict[str, str]], *, wall: float) -> str:
    solved = sum(r["solved"] for r in records)
    lines = [
        f"# mips bench ({datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC)",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}. "
        f"Wall time of this invocation: {wall:.0f}s.",
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
    if anchors:
        known = [r for r in records if r["task"] in anchors]
        sized = [r for r in trained if anchors.get(r["task"], {}).get("mips_hidden_size", "").isdigit()]
        no_larger = sum(r["hidden_size"] <= int(anchors[r["task"]]["mips_hidden_size"]) for r in sized)
        lines.append(f"Hidden size no larger than the original search's: {no_larger} of {len(records)}.")
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
