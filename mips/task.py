"""The task: what the user wants a program for.

A task is a black box. The pipeline calls `reference` (or reads `examples`) to
make data and to check results; it never looks inside. Three sources make one:
built-in definitions (`mips/tasks/`), a task file (plain Python, no import of mips)
and a data file (`.jsonl` of examples). All are validated here, every problem
collected, before any training starts.

The user's code (a task file's top level, `reference`, `sample`) is only ever run
through `call_user`: whatever it raises, even SystemExit, becomes a TaskError of
one line, and while a task is checked it runs under a time limit.
"""

from __future__ import annotations

import hashlib
import json
import numbers
import random
import re
import runpy
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Callable, Sequence

from mips.errors import TaskError
from mips.usercode import UserError, call_listed, call_user, deadline, short_repr

Step = int | tuple[int, ...]
Example = tuple[tuple[Step, ...], tuple[Step, ...]]

# Limits on what a task may ask for; each message names its limit.
MAX_LENGTH = 1_000  # training length (checking runs sequences up to 5 x LENGTH)
MAX_INPUT_DIM = 16  # numbers per step
MAX_INPUT_VALUES = 1_000  # distinct input values (each is a symbol of the network)
MAX_NAME = 100  # characters of a name (it names folders)
# Numbers must fit the int64 arrays of mips.data; |v| < 2**63 keeps -v in range too.
INT_LIMIT = 2**63

# How many sequences `define_task` runs the reference on to learn the output shape.
_PROBES = 24
# The first probes always come from seed 0: they, and the reference's outputs on
# them, make the fingerprint, which so does not depend on the run's seed.
_FINGERPRINTED = 8
# How many probes the reference is run on a second time, to see that it is a function.
_RECHECKED = 3
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
# How many problems (of one kind, or in all) a message lists before it says "and N more".
_SHOWN = 5


@dataclass(frozen=True, kw_only=True)
class Task:
    """A validated task. Build one with `define_task`, `load_task_file` or `load_data_file`."""

    name: str
    input_dim: int  # numbers per step
    output_dim: int  # numbers per output step
    length: int  # training sequence length
    input_values: tuple[int, ...]  # the values each input number may take
    reference: Callable[[list], list] | None = None
    sample: Callable[[random.Random, int], list] | None = None
    rule: str = ""
    examples: tuple[Example, ...] = ()  # only for data-file tasks
    source: str = "built-in"
    fingerprint: str = ""  # of the task's shape and behaviour, never of its name (see `task_fingerprint`)

    @property
    def values_text(self) -> str:
        """The input values as 'a..b' when they are a range, else listed."""
        v = self.input_values
        if v and v == tuple(range(v[0], v[-1] + 1)):
            return f"{v[0]}..{v[-1]}"
        return ",".join(str(x) for x in v)

    @property
    def has_reference(self) -> bool:
        return self.reference is not None

    @cached_property
    def _allowed(self) -> frozenset[int]:
        return frozenset(self.input_values)

    def draw_inputs(self, rng: random.Random, length: int) -> list[Step]:
        """One input sequence of the given length, in the task's calling convention."""
        if self.sample is not None:
            # The user's sample was checked on a few lengths only: check every sequence it gives.
            what = f"sample(rng, {length})"
            try:
                inputs = call_listed(what, self.sample, rng, length)
            except UserError as failure:
                raise task_error(self.source, [str(failure)]) from None
            problem = _sample_problem(inputs, length, self.input_dim, self._allowed)
            if problem:
                raise task_error(self.source, [f"{what} {problem}"])
            return [as_step(s) for s in inputs]
        values = self.input_values
        if self.input_dim == 1:
            return [rng.choice(values) for _ in range(length)]
        return [tuple(rng.choice(values) for _ in range(self.input_dim)) for _ in range(length)]

    def run_reference(self, inputs: Sequence[Step]) -> list[Step]:
        """The reference's outputs, checked like those it gave when the task was validated."""
        assert self.reference is not None, "data-file tasks have no reference"
        inputs = list(inputs)
        try:
            outputs = call_listed("reference", self.reference, list(inputs))
        except UserError as failure:
            raise task_error(self.source, [f"{failure} on inputs {short_repr(inputs)}"]) from None
        problem = _outputs_problem(outputs, len(inputs), self.output_dim)
        if problem:
            raise task_error(self.source, [f"{problem} on inputs {short_repr(inputs)}"])
        return [as_step(y) for y in outputs]


def as_step(step: Any) -> Step:
    """One step in the calling convention: an int for one number (even if given as
    a 1-element list or tuple), a tuple of ints for several."""
    if _is_int(step):
        return int(step)
    values = tuple(int(v) for v in step)
    return values[0] if len(values) == 1 else values


def _is_int(value: Any) -> bool:
    # `type(...) is int` first: the abstract-class check is slow, and this runs on every step.
    return type(value) is int or (isinstance(value, numbers.Integral) and not isinstance(value, bool))


def shape_of_step(step: Any) -> int | None:
    """1 for an int, n for a tuple/list of n ints, None for anything else."""
    if _is_int(step):
        return 1
    if isinstance(step, (tuple, list)) and step and all(_is_int(v) for v in step):
        return len(step)
    return None


def first_out_of_range(steps: Iterable) -> int | None:
    """The first number of these steps (each of the shape `shape_of_step` accepts) that
    does not fit int64, or None."""
    for step in steps:
        for v in (step,) if _is_int(step) else step:
            if not -INT_LIMIT < v < INT_LIMIT:
                return v
    return None


def out_of_range_problem(what: str, value: int) -> str:
    return f"{what} {short_repr(value)} does not fit in 64 bits (|v| < 2**63 is needed)"


def listed(items: list[str]) -> str:
    shown = ", ".join(items[:_SHOWN])
    return shown + (f" and {len(items) - _SHOWN} more" if len(items) > _SHOWN else "")


_FILE_FIELDS = re.compile(r"\b(NAME|INPUT_DIM|LENGTH|INPUT_VALUES)\b")


def keyword_names(error: TaskError) -> TaskError:
    """The same error with the task file's field names (INPUT_VALUES) as the keyword arguments of
    `mips.define_task` (input_values): a task defined in Python is told about what it wrote."""
    return TaskError(error.source, [_FILE_FIELDS.sub(lambda m: m.group(1).lower(), p) for p in error.problems])


def task_error(source: str, problems: list[str]) -> TaskError:
    """A TaskError that lists at most _SHOWN problems: a message stays one short line."""
    if len(problems) > _SHOWN + 1:
        problems = problems[:_SHOWN] + [f"and {len(problems) - _SHOWN} more problems"]
    return TaskError(source, problems)


# ---------------------------------------------------------------------------
# Tasks given by a reference
# ---------------------------------------------------------------------------


def define_task(
    *,
    name: Any,
    input_dim: Any,
    length: Any,
    input_values: Any,
    reference: Any,
    sample: Any = None,
    rule: str = "",
    source: str = "built-in",
    seed: int = 0,
) -> Task:
    """Validate a task given by a reference function; raise TaskError listing every problem."""
    problems: list[str] = []
    if not isinstance(name, str) or not _NAME.fullmatch(name.strip()):
        problems.append(
            "NAME must be a non-empty name of letters, digits, '_', '-' or '.' (it names files), "
            f"got {short_repr(name)}"
        )
    elif len(name.strip()) > MAX_NAME:
        problems.append(f"NAME may have at most {MAX_NAME} characters (it names files), got {len(name.strip()):,}")
    if not _is_int(input_dim) or input_dim < 1:
        problems.append(f"INPUT_DIM must be a positive integer, got {short_repr(input_dim)}")
    elif input_dim > MAX_INPUT_DIM:
        problems.append(f"INPUT_DIM may be at most {MAX_INPUT_DIM} (numbers per step), got {short_repr(input_dim)}")
    if not _is_int(length) or length < 1:
        problems.append(f"LENGTH must be a positive integer, got {short_repr(length)}")
    elif length > MAX_LENGTH:
        problems.append(
            f"LENGTH may be at most {MAX_LENGTH:,} (the task is checked on sequences up to 5 x LENGTH), "
            f"got {short_repr(length)}"
        )
    values, value_problems = _input_values(input_values)
    problems += value_problems
    if not callable(reference):
        problems.append("the task needs a function `reference(inputs)` returning the list of outputs")
    if sample is not None and not callable(sample):
        problems.append("`sample` must be a function (rng, length) -> inputs")
    if problems:
        raise task_error(source, problems)

    output_dim, probed = _probe_reference(reference, sample, values, int(input_dim), int(length), source, seed)
    return Task(
        name=name.strip(),
        input_dim=int(input_dim),
        output_dim=output_dim,
        length=int(length),
        input_values=values,
        reference=reference,
        sample=sample,
        rule=rule,
        source=source,
        fingerprint=task_fingerprint(int(input_dim), output_dim, int(length), values, "reference", probed),
    )


def _input_values(given: Any) -> tuple[tuple[int, ...], list[str]]:
    """The distinct INPUT_VALUES, sorted, and the problems with them.

    They are read lazily and only so far as to know there are too many: range(10**12)
    or an endless generator must be refused, not listed.
    """
    if not isinstance(given, Iterable):
        return (), [f"INPUT_VALUES must be a collection of integers such as range(0, 10), got {short_repr(given)}"]
    too_many = f"INPUT_VALUES may hold at most {MAX_INPUT_VALUES:,} distinct values (each is an input symbol)"
    if isinstance(given, range):  # lazy, and its values are distinct: its length tells
        try:
            count = len(given)
        except OverflowError:  # longer than sys.maxsize
            count = MAX_INPUT_VALUES + 1
        if count > MAX_INPUT_VALUES:
            return (), [f"{too_many}, got {short_repr(given)}"]
    try:
        ints, others = call_user("INPUT_VALUES", _read_values, given, deadline=deadline())
    except UserError as failure:  # a generator of the user's
        hint = "; give a range or a list" if failure.timed_out else ""
        return (), [f"{failure}{hint}"]
    problems = []
    if others:
        found = ", ".join(short_repr(v) for v in others[:_SHOWN]) + (" and more" if len(others) > _SHOWN else "")
        problems.append(f"INPUT_VALUES must hold integers only, found {found}")
    if len(ints) > MAX_INPUT_VALUES:
        problems.append(f"{too_many}, got more")
    elif not ints and not others:
        problems.append("INPUT_VALUES is empty")
    biggest = max(ints, key=abs, default=0)
    if abs(biggest) >= INT_LIMIT:
        problems.append(out_of_range_problem("INPUT_VALUES value", biggest))
    return tuple(sorted(ints)), problems


def _read_values(given: Iterable) -> tuple[set[int], list[Any]]:
    """The distinct integers of `given` and its first other values, reading no further
    than MAX_INPUT_VALUES + 1 integers or _SHOWN + 1 others (enough to refuse it)."""
    ints: set[int] = set()
    others: list[Any] = []
    for value in given:
        if _is_int(value):
            ints.add(int(value))
        else:
            others.append(value)
        if len(ints) > MAX_INPUT_VALUES or len(others) > _SHOWN:
            break
    return ints, others


def _sample_problem(inputs: list, n: int, input_dim: int, allowed: frozenset[int]) -> str | None:
    """What is wrong with what sample(rng, n) returned, or None."""
    for step in inputs:
        if shape_of_step(step) != input_dim or not allowed.issuperset((step,) if _is_int(step) else step):
            break
    else:
        if len(inputs) == n:
            return None
    return f"must return {n} steps of {input_dim} number(s) from INPUT_VALUES, got {short_repr(inputs)}"


def _outputs_problem(outputs: list, n: int, output_dim: int | None = None) -> str | None:
    """What is wrong with the reference's outputs for n inputs, or None."""
    if len(outputs) != n:
        return f"reference returned {len(outputs)} outputs for {n} inputs (one per step is required)"
    for y in outputs:
        dim = shape_of_step(y)
        if dim is None:
            return f"reference outputs must be integers (or tuples of integers), got {short_repr(y)}"
        if output_dim is not None and dim != output_dim:
            return f"reference outputs have {output_dim} number(s) per step, but this one has {dim}: {short_repr(y)}"
    big = first_out_of_range(outputs)
    if big is not None:
        return out_of_range_problem("reference output", big)
    return None


def _probe_reference(reference, sample, values, input_dim, length, source, seed) -> tuple[int, list[Example]]:
    """Run the reference on a few sequences (all within the time limit); return the output
    dim and the fingerprinted examples, or raise TaskError with the problem."""
    until = deadline()

    def call(what, fn, *args, inputs=None):
        try:
            return call_listed(what, fn, *args, deadline=until)
        except UserError as failure:
            where = "" if inputs is None else f" on inputs {short_repr(inputs)}"
            hint = "; make it faster, or LENGTH smaller" if failure.timed_out else ""
            raise task_error(source, [f"{failure}{where}{hint}"]) from None

    probed: list[tuple[list[Step], list[Step]]] = []
    dims: set[int] = set()
    # Up to five times the training length: verification goes that far.
    lengths = [1, 2, length, 5 * length]
    rng = random.Random(0)
    for i in range(_PROBES):
        if i == _FINGERPRINTED and seed != 0:
            rng = random.Random(seed)
        n = lengths[i] if i < len(lengths) else rng.randint(1, 5 * length)
        inputs = _probe_inputs(call, sample, rng, n, values, input_dim, source)
        outputs = call("reference", reference, list(inputs), inputs=inputs)
        problem = _outputs_problem(outputs, n)
        if problem:
            raise task_error(source, [f"{problem} on inputs {short_repr(inputs)}"])
        dims |= {shape_of_step(y) for y in outputs}
        probed.append((inputs, [as_step(y) for y in outputs]))
    if len(dims) > 1:
        raise task_error(source, [f"reference outputs mix shapes: steps with {sorted(dims)} numbers"])

    _check_repeatable(call, reference, probed[2 : 2 + _RECHECKED], source)
    fingerprinted = [(tuple(x), tuple(y)) for x, y in probed[:_FINGERPRINTED]]
    return dims.pop(), fingerprinted


def _probe_inputs(call, sample, rng, n: int, values, input_dim: int, source) -> list[Step]:
    """n steps of input: from the task's `sample` (checked), or uniform over `values`."""
    if sample is not None:
        inputs = call(f"sample(rng, {n})", sample, rng, n)
        problem = _sample_problem(inputs, n, input_dim, frozenset(values))
        if problem:
            raise task_error(source, [f"sample(rng, {n}) {problem}"])
        return [as_step(s) for s in inputs]
    if input_dim == 1:
        return [rng.choice(values) for _ in range(n)]
    return [tuple(rng.choice(values) for _ in range(input_dim)) for _ in range(n)]


def _check_repeatable(call, reference, probed, source) -> None:
    """A reference that keeps state between calls, or draws random numbers, makes data
    that no program can fit, and a run that cannot be repeated: run it again on the
    training length, five times it, and a random length."""
    for inputs, outputs in probed:
        again = call("reference", reference, list(inputs), inputs=inputs)
        problem = _outputs_problem(again, len(inputs))
        if problem is None:
            again = [as_step(y) for y in again]
        if problem is not None or again != outputs:
            raise task_error(
                source,
                [
                    f"reference gives different outputs for the same inputs {short_repr(inputs)} "
                    f"({problem or _first_difference(outputs, again)}); it must depend on its inputs only, "
                    "with no randomness or state kept between calls"
                ],
            )


def _first_difference(first: list[Step], second: list[Step]) -> str:
    for i, (a, b) in enumerate(zip(first, second), start=1):
        if a != b:
            return f"step {i}: {short_repr(a)}, then {short_repr(b)}"
    return f"{len(first)} outputs, then {len(second)}"


def task_fingerprint(
    input_dim: int, output_dim: int, length: int, input_values: tuple[int, ...], kind: str, examples: Sequence[Example]
) -> str:
    """The first 16 hex digits of a sha256 over the task's shape and behaviour: for a
    reference, what it gives on the fingerprinted probes (seed 0, whatever the run's
    seed); for a data file, its examples. The name and source stay out: renaming a file
    does not change the task, editing what its reference computes does."""
    text = json.dumps([input_dim, output_dim, length, list(input_values), kind, examples], separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# ---------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------


def file_problem(path: Path) -> str | None:
    """Why `path` cannot be read as a file, or None."""
    try:
        if path.is_file():
            return None
        if path.is_dir():
            return "not a file (a folder)"
        return "not a file" if path.exists() else "no such file"
    except OSError as exc:  # a name too long, say
        return f"cannot be read ({exc.strerror or exc})"


def load_task_file(path: str | Path, *, seed: int = 0) -> Task:
    """Load a task file: plain Python defining NAME, INPUT_DIM, LENGTH, INPUT_VALUES, reference."""
    path = Path(path)
    source = str(path)
    problem = file_problem(path)
    if problem:
        raise TaskError(source, [problem])
    try:
        namespace = call_user("running the file", runpy.run_path, str(path), deadline=deadline())
    except UserError as failure:
        exc = failure.raised
        if isinstance(exc, SyntaxError):
            raise TaskError(source, [f"not valid Python: {exc.msg} (line {exc.lineno})"]) from None
        hint = "; its top level should only define the task" if failure.timed_out else ""
        raise TaskError(source, [f"{failure}{hint}"]) from None
    required = ("NAME", "INPUT_DIM", "LENGTH", "INPUT_VALUES", "reference")
    missing = [key for key in required if key not in namespace]
    problems = [f"missing {key}" for key in missing]
    known = set(required) | {"sample", "RULE"}
    lowered = {k.lower(): k for k in known}
    for key in namespace:
        if key.isupper() and key not in known:
            hint = lowered.get(key.lower()) or _close(key, known)
            if hint:
                problems.append(f"unknown field {key} (did you mean {hint}?)")
    if problems:
        raise task_error(source, problems + [f"a task file defines {', '.join(required)} (and optionally sample)"])
    return define_task(
        name=namespace["NAME"],
        input_dim=namespace["INPUT_DIM"],
        length=namespace["LENGTH"],
        input_values=namespace["INPUT_VALUES"],
        reference=namespace["reference"],
        sample=namespace.get("sample"),
        rule=str(namespace.get("RULE", "")),
        source=source,
        seed=seed,
    )


def _close(word: str, candidates: set[str]) -> str | None:
    import difflib

    found = difflib.get_close_matches(word, sorted(candidates), n=1, cutoff=0.6)
    return found[0] if found else None
