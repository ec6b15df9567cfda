"""Progress events: what the pipeline and the bench report as they go, as plain values.

A progress callback (`Progress`) is given either a plain `str` (a line for the log) or an
event below. An event's `text` is the line a log shows, and `str(event)` is that line, so a
callback that prints or formats what it is given (`print`, `f"{message}"`) goes on working;
an event with no text ("" ) carries detail for a live display alone, and a printer skips it
(`mips.io.display.PlainLines` does). The fields are what a live display shows beside the log:
the stage (k of 7), the candidate architecture (k of N), the search's deadline, a bench's
tasks. No display code lives here: `mips.io.display` draws these.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Union

# Kinds of `Event` (synthesize) and `TaskEvent` (bench).
STAGE = "stage"  # a stage starts (it may start again: the search goes on past a network it could not read)
CANDIDATE_STARTED = "candidate started"  # the search starts training a candidate architecture
CANDIDATE_DONE = "candidate done"  # a candidate left the search: perfect, or why not
BEGIN = "begin"  # a bench starts: `count` tasks, `jobs` at a time
SKIPPED = "skipped"  # `count` tasks already have a record that is reused
TASK_STARTED = "task started"  # a worker started on `task` (no text: the log of a bench never showed it)
TASK_DONE = "task done"  # a worker ended: `outcome`, after `seconds`
RUNNING = "running"  # the periodic line naming the running tasks (a live table shows them anyway)


@dataclass(frozen=True, kw_only=True)
class Event:
    """One step of `mips.pipeline.synthesize`: a stage starting, or a candidate of the network
    search starting or leaving."""

    text: str
    kind: str
    stage: str = ""  # one of pipeline.STAGES
    number: int = 0  # the stage's place, 1-based ...
    stages: int = 0  # ... of this many
    detail: str = ""  # the stage's detail, or the candidate's architecture
    candidate: int = 0  # the candidate's place in the search's order, 1-based ...
    candidates: int = 0  # ... of this many: the most the search will try
    perfect: bool = False  # a candidate that left: it got every held-out output right
    deadline: float | None = None  # the network search's time budget, as a time.monotonic() value

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True, kw_only=True)
class TaskEvent:
    """One step of `mips.bench.run_suite`."""

    text: str
    kind: str
    task: str = ""
    count: int = 0  # BEGIN: the suite's tasks; SKIPPED: the tasks whose records are reused
    jobs: int = 0  # BEGIN: tasks at a time
    outcome: str = ""  # TASK_DONE: solved, not solved, timed out, crashed, killed
    failed: bool = False  # TASK_DONE: crashed or killed (not a result)
    seconds: float = 0.0  # TASK_DONE: the task's wall time
    log: Path | None = None  # TASK_STARTED: the worker's log, where its stage lines go

    def __str__(self) -> str:
        return self.text


Progress = Callable[[Union[str, Event, TaskEvent]], None]


def print_lines(message) -> None:
    """A progress callback that prints each line (and no empty line for an event without text)."""
    if str(message):
        print(message, flush=True)
