"""What `mips synthesize` and `mips bench` show while they run.

On a terminal (standard error is a TTY and TERM is not "dumb"): a live display, drawn with
rich, below the lines that matter, which are kept above it as a log; the live part goes when
the command ends, whatever ends it (an error, Ctrl-C), and leaves the log and a clean terminal.
Elsewhere (a file, a pipe, CI, a bench worker's log): plain lines, one per event, as they come.

`synthesis_display` and `bench_display` choose; what they return is a progress callback
(`mips.events.Progress`: given lines and events) and a context manager, used as

    with synthesis_display(sys.stderr, title=...) as progress:
        synthesize(task, config, progress)

The pipeline and the bench know nothing of this module: they report `mips.events` events.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Callable, TextIO

from mips.bench import log_stage
from mips.events import (
    BEGIN,
    CANDIDATE_DONE,
    CANDIDATE_STARTED,
    RUNNING,
    SKIPPED,
    STAGE,
    TASK_DONE,
    TASK_STARTED,
    Event,
    TaskEvent,
)

Clock = Callable[[], float]


def is_terminal(stream: TextIO) -> bool:
    """Whether `stream` is a terminal a live display can redraw."""
    try:
        return bool(stream.isatty()) and os.environ.get("TERM", "") != "dumb"
    except (AttributeError, ValueError, OSError):  # no isatty, or a closed stream
        return False


def synthesis_display(stream: TextIO, *, quiet: bool = False, title: str = ""):
    """The display of `mips synthesize`: nothing when `quiet`, the live one on a terminal,
    else timestamped lines (`[   2.5s] [2/7] train: ...`)."""
    if quiet:
        return Silent()
    if is_terminal(stream):
        return SynthesisDisplay(_console(stream), title=title)
    return PlainLines(stream)


def bench_display(stream: TextIO):
    """The display of `mips bench`: the live table on a terminal, else a line per finished task."""
    if is_terminal(stream):
        return BenchDisplay(_console(stream))
    return PlainLines(stream, timestamps=False)


def _console(stream: TextIO):
    from rich.console import Console

    # The stream itself, not "whatever sys.stderr is": the live display of synthesize points
    # sys.stdout and sys.stderr at the console while it runs.
    return Console(file=stream, force_terminal=True, highlight=False)


class Silent:
    """No progress at all (`--quiet`)."""

    def __call__(self, message) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        pass


class PlainLines(Silent):
    """Each line as it comes (an event's text; events without text are skipped), after the
    seconds since the start when `timestamps`."""

    def __init__(self, stream: TextIO, *, timestamps: bool = True, clock: Clock = time.perf_counter):
        self.stream, self.timestamps, self.clock, self.started = stream, timestamps, clock, clock()

    def __call__(self, message) -> None:
        text = str(message)
        if not text:
            return
        if self.timestamps:
            text = f"[{self.clock() - self.started:6.1f}s] {text}"
        print(text, file=self.stream, flush=True)


def duration(seconds: float) -> str:
    """12s, 2m05s, 1h02m."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


class _Live:
    """A rich Live display below a log of lines. The state is kept under a lock: the display
    is redrawn from rich's own thread, a few times a second. `take` turns what the progress
    callback is given into state and the line to log; `render` draws the state."""

    refresh_per_second = 4.0
    redirect = True  # what the process itself prints goes above the display (the task's own code, say)

    def __init__(self, console, *, clock: Clock = time.monotonic):
        self.console, self.clock, self.started = console, clock, clock()
        self.lock = threading.Lock()
        self.live = None

    def __enter__(self):
        from rich.live import Live

        self.live = Live(
            console=self.console,
            get_renderable=self.__rich__,
            refresh_per_second=self.refresh_per_second,
            transient=True,  # at the end only the log stays
            redirect_stdout=self.redirect,
            redirect_stderr=self.redirect,
        )
        self.live.start(refresh=True)
        return self

    def __exit__(self, *exc) -> None:
        if self.live is not None:
            self.live.stop()  # also on an exception or Ctrl-C: the cursor back, the output restored

    def __call__(self, message) -> None:
        with self.lock:  # never while printing: rich's thread takes the console's lock, then this one
            logged = self.take(message)
        if logged:
            self.log(logged)

    def take(self, message) -> str:
        """Update the state from `message`; the line to keep in the log ("" for none)."""
        return str(message)

    def log(self, text: str) -> None:
        from rich.text import Text

        stamp = f"[{self.clock() - self.started:6.1f}s] "
        # soft_wrap: a long line is wrapped by the terminal, never cut into two by rich
        self.console.print(Text.assemble((stamp, "dim"), text), soft_wrap=True)

    def __rich__(self):
        with self.lock:
            return self.render()

    def render(self):
        raise NotImplementedError


class SynthesisDisplay(_Live):
    """The stage (k of 7) and its detail; in the network search, the candidates training now
    (k of N, the most the search will try) and for how long; the time since the start and
    what is left of the search's time budget. The log keeps every line but the candidates'
    starts, which the live part shows."""

    def __init__(self, console, *, title: str = "", clock: Clock = time.monotonic):
        super().__init__(console, clock=clock)
        self.title = title
        self.stage = None  # the last stage Event
        self.deadline = None
        self.running: dict[int, tuple[str, float]] = {}  # candidate -> (architecture, started)
        self.candidates = 0
        self.done = 0

    def take(self, message) -> str:
        if isinstance(message, Event):
            if message.kind == STAGE:
                self.stage = message
                self.deadline = message.deadline if message.deadline is not None else self.deadline
            elif message.kind == CANDIDATE_STARTED:
                self.candidates = message.candidates
                self.running[message.candidate] = (message.detail, self.clock())
                return ""
            elif message.kind == CANDIDATE_DONE:
                self.candidates = message.candidates
                self.running.pop(message.candidate, None)
                self.done += 1
        return str(message)

    def render(self):
        from rich.console import Group
        from rich.progress_bar import ProgressBar
        from rich.spinner import Spinner
        from rich.table import Table
        from rich.text import Text

        now = self.clock()
        head = Table.grid(padding=(0, 1))
        cells = [Spinner("dots", style="cyan"), Text(self.title, style="bold"), self._stage_text()]
        if self.stage is not None:  # the stages done
            cells.append(ProgressBar(total=self.stage.stages, completed=self.stage.number - 1, width=21))
        head.add_row(*cells)
        rows = [head]
        if self.stage is not None and self.stage.detail:
            rows.append(Text(f"  {self.stage.detail}", style="dim", no_wrap=True, overflow="ellipsis"))
        if self.stage is not None and self.stage.stage == "train":
            rows += self._search_rows(now)
        times = f"{duration(now - self.started)} elapsed"
        if self.deadline is not None:
            left = self.deadline - now
            times += f" · search budget {duration(left)} left" if left > 0 else " · search budget spent"
        rows.append(Text(times, style="dim"))
        return Group(*rows)

    def _stage_text(self):
        from rich.text import Text

        if self.stage is None:
            return Text("starting")
        return Text.assemble(f"stage {self.stage.number} of {self.stage.stages}: ", (self.stage.stage, "bold"))

    def _search_rows(self, now: float) -> list:
        from rich.table import Table
        from rich.text import Text

        grid = Table.grid(padding=(0, 2))
        shown = sorted(self.running.items())
        for candidate, (arch, since) in shown[:6]:
            grid.add_row(
                Text(f"  candidate {candidate} of {self.candidates}"),
                Text(arch),
                Text(duration(now - since), style="dim"),
            )
        if len(shown) > 6:
            grid.add_row(Text(f"  and {len(shown) - 6} more"))
        rows = [grid] if shown else []
        if self.candidates:
            rows.append(Text(f"  {self.done} of at most {self.candidates} candidates done", style="dim"))
        return rows


# A worker's log lines (`PlainLines`): `[   2.5s] [2/7] train: ...`, a candidate's start
# `[   2.6s]   training ARCH (candidate 9 of 44)` and its end `[  12.0s]   ARCH: ...`.
def time_left(seconds: list[float], pending: int, running: list[float], jobs: int) -> float | None:
    """About how long the tasks not yet finished take, at the mean time of those finished
    (None before any): the ones waiting take it each, the running ones what they have left of
    it, `jobs` at a time."""
    if not seconds:
        return None
    mean = sum(seconds) / len(seconds)
    work = pending * mean + sum(max(mean - elapsed, 0.0) for elapsed in running)
    return work / max(1, min(jobs, pending + len(running)))


class BenchDisplay(_Live):
    """The tasks done and how they ended, the running ones with their stage and time, the time
    since the start and an estimate of the time left. The log keeps the bench's messages and
    the tasks that were not solved; the solved ones are counted."""

    refresh_per_second = 2.0
    # The bench forks its workers (`mips.bench._Forked`), which set their own sys.stdout and
    # sys.stderr; none of them must start with, or keep, a stream that writes into this display.
    redirect = False
    STAGE_EVERY = 1.0  # seconds between reads of a running task's log

    def __init__(self, console, *, clock: Clock = time.monotonic):
        super().__init__(console, clock=clock)
        self.total, self.jobs, self.skipped = 0, 1, 0
        self.running: dict[str, tuple[float, Path | None]] = {}
        self.outcomes: dict[str, int] = {}  # outcome -> tasks finished now
        self.seconds: list[float] = []
        self.stages: dict[str, tuple[float, str]] = {}  # task -> (read at, stage)

    def take(self, message) -> str:
        if not isinstance(message, TaskEvent):
            return str(message)
        if message.kind == BEGIN:
            self.total, self.jobs = message.count, max(1, message.jobs)
        elif message.kind == SKIPPED:
            self.skipped = message.count
        elif message.kind == TASK_STARTED:
            self.running[message.task] = (self.clock(), message.log)
        elif message.kind == TASK_DONE:
            self.running.pop(message.task, None)
            self.stages.pop(message.task, None)
            outcome = "failed" if message.failed else message.outcome  # crashed or killed: not a result
            self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
            self.seconds.append(message.seconds)
            return "" if message.outcome == "solved" else message.text
        elif message.kind == RUNNING:
            return ""
        return message.text

    def counts(self) -> dict[str, int]:
        """The tasks of this invocation by what became of them so far."""
        finished = sum(self.outcomes.values())
        return {
            "done": self.skipped + finished,
            "solved": self.outcomes.get("solved", 0),
            "not solved": self.outcomes.get("not solved", 0),
            "timed out": self.outcomes.get("timed out", 0),
            "failed": self.outcomes.get("failed", 0),
            "running": len(self.running),
            "waiting": max(0, self.total - self.skipped - finished - len(self.running)),
        }

    def _stage(self, task: str, log: Path | None, now: float) -> str:
        read_at, stage = self.stages.get(task, (None, ""))
        if read_at is None or now - read_at >= self.STAGE_EVERY:
            stage = log_stage(log)
            self.stages[task] = (now, stage)
        return stage

    def render(self):
        from rich import box
        from rich.console import Group
        from rich.spinner import Spinner
        from rich.table import Table
        from rich.text import Text

        now = self.clock()
        counts = self.counts()
        head = Table.grid(padding=(0, 1))
        summary = f"{counts['done']} of {self.total} done"
        if self.skipped:
            summary += f" ({self.skipped} before)"
        summary += f" · {counts['solved']} solved · {counts['not solved']} not solved"
        summary += f" · {counts['timed out']} timed out · {counts['failed']} failed"
        summary += f" · {counts['running']} running · {counts['waiting']} waiting"
        head.add_row(Spinner("dots", style="cyan"), Text("mips bench", style="bold"), Text(summary))
        running = [now - since for since, _ in self.running.values()]
        left = time_left(self.seconds, counts["waiting"], running, self.jobs)
        times = f"{duration(now - self.started)} elapsed · "
        if left is None:
            times += "time left: known after the first task"
        elif left < 1 and self.running:  # what is left has run longer than the finished ones did
            times += "time left: the running tasks are past the mean time of the finished ones"
        else:
            times += f"about {duration(left)} left"
        rows = [head, Text(times, style="dim")]
        if self.running:
            table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
            table.add_column("running")
            table.add_column("stage")
            table.add_column("time", justify="right")
            for task, (since, log) in self.running.items():
                table.add_row(Text(task), Text(self._stage(task, log, now)), Text(duration(now - since)))
            rows.append(table)
        return Group(*rows)
