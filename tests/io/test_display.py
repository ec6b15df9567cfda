"""What synthesize and bench show while they run: plain lines off a terminal, a live display
(rendered here into a string) on one, and which of them a stream gets."""

from __future__ import annotations

import io
import re
import sys

import pytest
from rich.console import Console

import mips.pipeline
from mips.cli import main
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
from mips.io.display import (
    BenchDisplay,
    PlainLines,
    Silent,
    SynthesisDisplay,
    bench_display,
    duration,
    log_stage,
    synthesis_display,
    time_left,
)

ARCH = "hidden 2, f depth 1, g depth 1, width 16"


class Clock:
    """A clock the test sets."""

    def __init__(self, now: float = 100.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def stage(number: int, name: str, detail: str = "", deadline: float | None = None) -> Event:
    text = f"[{number}/7] {name}" + (f": {detail}" if detail else "")
    return Event(text=text, kind=STAGE, stage=name, number=number, stages=7, detail=detail, deadline=deadline)


def started(candidate: int, arch: str = ARCH) -> Event:
    text = f"  training {arch} (candidate {candidate} of 44)"
    return Event(text=text, kind=CANDIDATE_STARTED, detail=arch, candidate=candidate, candidates=44)


def left(candidate: int, arch: str = ARCH, perfect: bool = False) -> Event:
    verdict = "perfect" if perfect else "12 held-out errors"
    text = f"  {arch}: {verdict} after 500 steps (caught up)"
    return Event(text=text, kind=CANDIDATE_DONE, detail=arch, candidate=candidate, candidates=44, perfect=perfect)


def _console(width: int = 120) -> Console:
    return Console(file=io.StringIO(), force_terminal=True, width=width, record=True)


def _shown(display) -> str:
    """The live part, as a terminal shows it (text only)."""
    console = _console()
    console.print(display)
    return console.export_text()


def test_plain_lines_are_the_events_lines_with_the_seconds_since_the_start():
    stream, clock = io.StringIO(), Clock(10.0)
    progress = PlainLines(stream, clock=clock)
    progress("synthesizing Parity (built-in), seed 0")  # a str works as before
    clock.now = 10.25
    progress(stage(2, "train", "smallest network, 8 seeds at a time", deadline=70.0))
    progress(started(5))
    clock.now = 22.0
    progress(left(5))
    progress(TaskEvent(text="", kind=TASK_STARTED, task="X"))  # no text: nothing for a log
    assert stream.getvalue().splitlines() == [
        "[   0.0s] synthesizing Parity (built-in), seed 0",
        "[   0.2s] [2/7] train: smallest network, 8 seeds at a time",
        "[   0.2s]   training hidden 2, f depth 1, g depth 1, width 16 (candidate 5 of 44)",
        "[  12.0s]   hidden 2, f depth 1, g depth 1, width 16: 12 held-out errors after 500 steps (caught up)",
    ]


def test_plain_bench_lines_have_no_seconds_and_skip_the_task_starts():
    stream = io.StringIO()
    progress = PlainLines(stream, timestamps=False)
    progress(TaskEvent(text="mips bench: 2 task(s), 1 at a time, results in out", kind=BEGIN, count=2, jobs=1))
    progress(TaskEvent(text="", kind=TASK_STARTED, task="A"))
    progress(TaskEvent(text="[1/2] A: solved in 3s (1 solved so far, 4s elapsed)", kind=TASK_DONE, task="A"))
    assert stream.getvalue().splitlines() == [
        "mips bench: 2 task(s), 1 at a time, results in out",
        "[1/2] A: solved in 3s (1 solved so far, 4s elapsed)",
    ]


def test_the_live_display_shows_the_stage_the_candidates_and_the_budget_left():
    clock = Clock(100.0)
    display = SynthesisDisplay(_console(), title="Parity", clock=clock)
    display(stage(1, "data"))
    display(stage(2, "train", "smallest network, 8 seeds at a time", deadline=160.0))
    for candidate in (1, 2, 3, 4):
        display(started(candidate))
    clock.now = 110.0
    display(left(1))
    display(left(2))
    display(started(5, "hidden 2, f depth 2, g depth 1, width 16"))
    clock.now = 112.0
    shown = _shown(display)
    assert "Parity" in shown and "stage 2 of 7: train" in shown
    assert "smallest network, 8 seeds at a time" in shown
    assert re.search(r"candidate 3 of 44 +hidden 2, f depth 1, g depth 1, width 16 +12s", shown)
    assert re.search(r"candidate 5 of 44 +hidden 2, f depth 2, g depth 1, width 16 +2s", shown)
    assert "candidate 1 of 44" not in shown and "candidate 2 of 44" not in shown  # they have left
    assert "2 of at most 44 candidates done" in shown
    assert "12s elapsed" in shown and "search budget 48s left" in shown

    display(stage(3, "simplify"))  # past the search: its candidates are not shown, the budget is
    clock.now = 175.0
    shown = _shown(display)
    assert "stage 3 of 7: simplify" in shown and "candidate" not in shown
    assert "1m15s elapsed" in shown and "search budget spent" in shown


def test_the_live_display_without_a_budget_shows_none():
    display = SynthesisDisplay(_console(), title="Parity", clock=Clock())
    display(stage(2, "train", deadline=None))
    shown = _shown(display)
    assert "stage 2 of 7: train" in shown and "budget" not in shown


def test_the_live_log_keeps_the_lines_that_matter_and_the_terminal_is_left_clean():
    console = _console()
    display = SynthesisDisplay(console, title="Parity")
    saved = sys.stdout, sys.stderr
    with pytest.raises(KeyboardInterrupt):
        with display:
            display("synthesizing Parity (built-in), seed 0")
            display(stage(2, "train", "smallest network", deadline=None))
            display(started(1))
            display(left(1, perfect=True))
            print("what the task's own code prints")  # goes above the live part, not into it
            raise KeyboardInterrupt
    assert not display.live.is_started
    assert (sys.stdout, sys.stderr) == saved  # the redirection is undone
    written = console.file.getvalue()
    assert written.endswith("\x1b[?25h") or "\x1b[?25h" in written[-200:]  # the cursor is shown again
    log = console.export_text()
    for line in (
        "synthesizing Parity (built-in), seed 0",
        "[2/7] train: smallest network",
        f"  {ARCH}: perfect after 500 steps",
        "what the task's own code prints",
    ):
        assert line in log
    assert "training hidden" not in log  # a candidate's start is shown live, not logged


def _log(tmp_path, *lines: str):
    path = tmp_path / "C.log"
    path.write_text("".join(line + "\n" for line in lines))
    return path


def test_the_bench_table_counts_the_tasks_and_shows_the_running_ones(tmp_path):
    clock = Clock(50.0)
    display = BenchDisplay(_console(), clock=clock)

    begin = "mips bench: 6 task(s), 2 at a time, results in out"
    display(TaskEvent(text=begin, kind=BEGIN, count=6, jobs=2))
    display(TaskEvent(text="1 task(s) already done in out, skipping them", kind=SKIPPED, count=1))
    log = _log(
        tmp_path,
        "[   0.0s] synthesizing C (built-in), seed 0",
        "[   0.1s] [1/7] data",
        "[   0.3s] [2/7] train: smallest network, 8 seeds at a time",
        f"[   0.3s]   training {ARCH} (candidate 5 of 44)",
        "[   0.3s]   training hidden 2, f depth 1, g depth 2, width 16 (candidate 6 of 44)",
        f"[   9.0s]   {ARCH}: 12 held-out errors after 500 steps (caught up)",
    )
    for name in ("A", "B"):
        display(TaskEvent(text="", kind=TASK_STARTED, task=name))
    clock.now = 60.0
    done = [("A", "solved", False, 10.0), ("B", "crashed", True, 30.0)]
    for number, (name, outcome, failed, seconds) in enumerate(done, 2):
        text = f"[{number}/6] {name}: {outcome} in {seconds:.0f}s"
        display(TaskEvent(text=text, kind=TASK_DONE, task=name, outcome=outcome, failed=failed, seconds=seconds))
    display(TaskEvent(text="", kind=TASK_STARTED, task="C", log=log))
    display(TaskEvent(text="  running: C (train); 10s elapsed", kind=RUNNING))
    clock.now = 65.0
    assert display.counts() == {
        "done": 3,
        "solved": 1,
        "not solved": 0,
        "timed out": 0,
        "failed": 1,
        "running": 1,
        "waiting": 2,
    }
    shown = _shown(display)
    assert "3 of 6 done (1 before)" in shown and "1 solved" in shown and "1 failed" in shown
    assert "1 running" in shown and "2 waiting" in shown
    assert re.search(r"C +\[2/7\] train, candidate 6 of 44 +5s", shown)
    assert "15s elapsed" in shown
    # the mean of 10 s and 30 s: two waiting at 20 s each and 15 s more for C, two at a time
    assert time_left([10.0, 30.0], 2, [5.0], 2) == 27.5
    assert "about 27s left" in shown
    clock.now = 95.0  # C has run 35 s, more than the mean, and two are still waiting
    assert "about 20s left" in _shown(display)


def test_a_last_task_past_the_mean_time_is_not_given_zero_seconds():
    clock = Clock(0.0)
    display = BenchDisplay(_console(), clock=clock)
    display(TaskEvent(text="", kind=BEGIN, count=2, jobs=1))
    display(TaskEvent(text="", kind=TASK_STARTED, task="A"))
    clock.now = 10.0
    display(TaskEvent(text="[1/2] A: solved", kind=TASK_DONE, task="A", outcome="solved", seconds=10.0))
    display(TaskEvent(text="", kind=TASK_STARTED, task="B"))
    clock.now = 14.0
    assert "about 6s left" in _shown(display)
    clock.now = 25.0
    shown = _shown(display)
    assert "the running tasks are past the mean time" in shown and "0s left" not in shown


def test_the_bench_log_keeps_its_messages_and_the_tasks_not_solved():
    display = BenchDisplay(_console(), clock=Clock())
    assert display.take("warning: a record was set aside") == "warning: a record was set aside"
    assert display.take(TaskEvent(text="mips bench: 2 task(s)", kind=BEGIN, count=2, jobs=1)) == "mips bench: 2 task(s)"
    assert display.take(TaskEvent(text="", kind=TASK_STARTED, task="A")) == ""
    assert display.take(TaskEvent(text="[1/2] A: solved", kind=TASK_DONE, task="A", outcome="solved")) == ""
    done = TaskEvent(text="[2/2] B: timed out", kind=TASK_DONE, task="B", outcome="timed out")
    assert display.take(done) == "[2/2] B: timed out"
    assert display.take(TaskEvent(text="  running: A (train)", kind=RUNNING)) == ""  # the table shows them


def test_before_any_task_finished_the_time_left_is_not_guessed():
    assert time_left([], 3, [4.0], 2) is None
    display = BenchDisplay(_console(), clock=Clock())
    display(TaskEvent(text="", kind=BEGIN, count=3, jobs=2))
    assert "time left: known after the first task" in _shown(display)


def test_a_workers_stage_is_read_from_its_log(tmp_path):
    assert log_stage(None) == "starting" and log_stage(tmp_path / "none.log") == "starting"
    lines = ["[   0.1s] [1/7] data", "[   0.3s] [2/7] train: smallest network, 8 seeds at a time"]
    lines += [f"[   0.3s]   training hidden 1, f depth {d}, g depth 1, width 16 (candidate {d} of 44)" for d in (1, 2)]
    assert log_stage(_log(tmp_path, *lines)) == "[2/7] train, candidates 1-2 of 44"
    lines.append("[   5.0s]   hidden 1, f depth 1, g depth 1, width 16: perfect after 100 steps (perfect)")
    assert log_stage(_log(tmp_path, *lines)) == "[2/7] train, candidate 2 of 44"
    lines.append("[   5.0s] [3/7] simplify: normal forms")
    assert log_stage(_log(tmp_path, *lines)) == "[3/7] simplify"


@pytest.mark.parametrize("seconds, text", [(0, "0s"), (59.9, "59s"), (60, "1m00s"), (3725, "1h02m"), (-3, "0s")])
def test_durations_read_short(seconds, text):
    assert duration(seconds) == text


def _stream(tty: bool) -> io.StringIO:
    stream = io.StringIO()
    stream.isatty = lambda: tty
    return stream


def test_a_terminal_gets_the_live_displays_and_anything_else_plain_lines(monkeypatch):
    monkeypatch.setenv("TERM", "xterm-256color")
    assert isinstance(synthesis_display(_stream(True)), SynthesisDisplay)
    assert isinstance(bench_display(_stream(True)), BenchDisplay)
    for display in (synthesis_display(_stream(False)), bench_display(_stream(False))):
        assert isinstance(display, PlainLines)
    assert isinstance(synthesis_display(_stream(True), quiet=True), Silent)
    assert not isinstance(synthesis_display(_stream(False), quiet=True), PlainLines)
    monkeypatch.setenv("TERM", "dumb")  # a terminal that cannot redraw
    assert isinstance(synthesis_display(_stream(True)), PlainLines)

    class Closed(io.StringIO):
        def isatty(self):
            raise ValueError("I/O operation on closed file")

    assert isinstance(bench_display(Closed()), PlainLines)


@pytest.mark.parametrize("raised, code", [(KeyboardInterrupt, 130), (RuntimeError, 3)])
def test_the_live_display_stops_and_the_exit_code_is_kept_when_synthesize_is_stopped(
    raised, code, tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    shown = []

    def stopped(task, config, progress, *, reuse=None):
        shown.append(type(progress).__name__)
        progress(stage(1, "data"))
        raise raised("stopped")

    monkeypatch.setattr(mips.pipeline, "synthesize", stopped)
    saved = sys.stdout, sys.stderr
    assert main(["synthesize", "Parity_All", "--out", str(tmp_path / "run")]) == code
    assert shown == ["SynthesisDisplay"]
    assert (sys.stdout, sys.stderr) == saved
    err = capsys.readouterr().err
    assert "[1/7] data" in err and err.count("\x1b[?25l") == err.count("\x1b[?25h") == 1  # the cursor is back
    assert ("mips: interrupted" if code == 130 else "mips: internal error: RuntimeError: stopped") in err
