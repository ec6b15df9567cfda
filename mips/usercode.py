"""Running the user's code: a task file's top level, its `reference` and `sample`.

Whatever that code raises, SystemExit and KeyboardInterrupt included, becomes a
`UserError` of one line, and while a task is being checked the code runs under a
time limit. Messages echo the user's values shortened (`short_repr`).
"""

from __future__ import annotations

import reprlib
import signal
import threading
import time
from collections.abc import Iterable
from contextlib import contextmanager
from typing import Any, Callable

# Seconds that running a task file, and all the calls of reference and sample that
# check a task, may take (each of the two). Only in the main thread on platforms
# with SIGALRM; elsewhere the user's code runs unbounded.
TIME_LIMIT_S = 10.0
# How many characters of a user value a message echoes.
ECHO = 80


def deadline() -> float:
    """When checking that starts now must end (a time.monotonic() value)."""
    return time.monotonic() + TIME_LIMIT_S


class _ShortRepr(reprlib.Repr):
    """reprlib's repr (a few items of each list, a few levels deep, long strings cut), and
    a huge int by its size: its digits would be long to write, and past 4,300 refused."""

    def repr_int(self, x: int, level: int) -> str:
        if x.bit_length() > 256:
            return f"<an int of {x.bit_length():,} bits>"
        return super().repr_int(x, level)


_REPR = _ShortRepr()
_REPR.maxlist = _REPR.maxtuple = 12


def short_repr(value: Any) -> str:
    """repr(value) in about 80 characters at most, for messages: a user's values can be huge."""
    return cut(_REPR.repr(value))


def cut(text: str) -> str:
    """Text on one line of at most ECHO characters."""
    text = " ".join(text.split())
    return text if len(text) <= ECHO else text[: ECHO - 3] + "..."


class UserError(Exception):
    """The user's code failed: it raised `raised`, ran out of time (`timed_out`) or
    returned no list. The message says which, in one line, naming the code."""

    def __init__(self, message: str, raised: BaseException | None = None, *, timed_out: bool = False):
        super().__init__(message)
        self.raised = raised
        self.timed_out = timed_out


class _OutOfTime(BaseException):
    """Raised in the user's code when its time is up: not an Exception, so that an
    `except Exception` there does not swallow it."""


def call_user(what: str, fn: Callable, *args: Any, deadline: float | None = None) -> Any:
    """fn(*args) where fn is the user's code, named `what` in messages.

    Everything it raises becomes a UserError, SystemExit and KeyboardInterrupt included:
    a task's code must never end mips silently or with a traceback. With a `deadline`
    (a time.monotonic() value) it is stopped there too, as far as `_time_limit` can.
    Without one (making data from a task already checked) a KeyboardInterrupt is let
    through: it is then most likely Ctrl-C, which the command line reports as such.
    """
    try:
        if deadline is None:
            return fn(*args)
        with _time_limit(deadline - time.monotonic()):
            return fn(*args)
    except _OutOfTime:
        message = f"{what} ran past the {TIME_LIMIT_S:g} s time limit for checking a task"
        raise UserError(message, timed_out=True) from None
    except BaseException as exc:
        if isinstance(exc, GeneratorExit) or (isinstance(exc, KeyboardInterrupt) and deadline is None):
            raise
        raise UserError(f"{what} raised {_describe(exc)}", exc) from None


def call_listed(what: str, fn: Callable, *args: Any, deadline: float | None = None) -> list:
    """fn(*args) as a list: the user's code may return any iterable; listing a generator runs its code."""
    result = call_user(what, fn, *args, deadline=deadline)
    if type(result) in (list, tuple):  # the usual case, and listing it runs no user code
        return list(result)
    if not isinstance(result, Iterable):
        raise UserError(f"{what} must return a list, got {type(result).__name__}")
    return call_user(what, list, result, deadline=deadline)


def _describe(exc: BaseException) -> str:
    """'ValueError: its message', shortened."""
    try:
        text = cut(str(exc))
    except Exception:  # the user's exception may fail to print too
        text = ""
    described = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    if isinstance(exc, SystemExit):
        described += " (a task's code must return, not exit)"
    return described


def _can_time() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextmanager
def _time_limit(seconds: float):
    """Raise _OutOfTime in the code run inside once `seconds` have passed.

    A SIGALRM timer does it, so only in the main thread on a platform that has
    signal.setitimer (not Windows): elsewhere the code runs unbounded. The previous
    handler and timer are put back afterwards. Code stuck inside one long call into C
    (say sum(range(10**15))) is stopped only when that call returns.
    """
    if not _can_time():
        yield
        return

    def on_alarm(signum, frame):
        raise _OutOfTime

    previous_handler = signal.signal(signal.SIGALRM, on_alarm)
    started = time.monotonic()
    # A time already spent still gets a moment: 0 would switch the timer off instead.
    previous_delay, previous_interval = signal.setitimer(signal.ITIMER_REAL, max(seconds, 1e-3))
    try:
        yield
    finally:
        # The timer fires once at most, so when it has fired (even in here) or is off,
        # the previous handler can come back without our alarm reaching it.
        try:
            signal.setitimer(signal.ITIMER_REAL, 0)
        finally:
            signal.signal(signal.SIGALRM, signal.SIG_DFL if previous_handler is None else previous_handler)
            if previous_delay:  # someone else's timer goes on, less the time spent here
                left = max(previous_delay - (time.monotonic() - started), 1e-6)
                signal.setitimer(signal.ITIMER_REAL, left, previous_interval)
