"""The task: what the user wants a program for.

A task is a black box. The pipeline calls `reference` (or reads `examples`) to
make data and to check results; it never looks inside. Three sources make one:
built-in definitions (`mips/tasks/`), a task file (plain Python, no import of mips)
and a data file (`.jsonl` of examples). All are validated here, every problem
collected, before any training starts.
"""

from __future__ import annotations

import json
import numbers
import random
import re
import runpy
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

from mips.errors import TaskError

Step = int | tuple[int, ...]
Example = tuple[tuple[Step, ...], tuple[Step, ...]]

# How many sequences `define_task` runs the reference on to learn the output shape.
_PROBES = 24
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
# How many problems of one kind a message lists before it says "and N more".
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

    def draw_inputs(self, rng: random.Random, length: int) -> list[Step]:
        """One input sequence of the given length, in the task's calling convention."""
        if self.sample is not None:
            return [as_step(s) for s in self.sample(rng, length)]
        values = self.input_values
        if self.input_dim == 1:
            return [rng.choice(values) for _ in range(length)]
        return [tuple(rng.choice(values) for _ in range(self.input_dim)) for _ in range(length)]

    def run_reference(self, inputs: Sequence[Step]) -> list[Step]:
        assert self.reference is not None, "data-file tasks have no reference"
        return _normalise_outputs(self.reference(list(inputs)), self.output_dim)


def as_step(step: Any) -> Step:
    """One step in the calling convention: an int for one number (even if given as
    a 1-element list or tuple), a tuple of ints for several."""
    if _is_int(step):
        return int(step)
    values = tuple(int(v) for v in step)
    return values[0] if len(values) == 1 else values


def _normalise_outputs(outputs: Any, output_dim: int) -> list[Step]:
    return [as_step(y) for y in outputs]


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _shape_of_step(step: Any) -> int | None:
    """1 for an int, n for a tuple/list of n ints, None for anything else."""
    if _is_int(step):
        return 1
    if isinstance(step, (tuple, list)) and step and all(_is_int(v) for v in step):
        return len(step)
    return None


def _more(items: list[str]) -> str:
    shown = ", ".join(items[:_SHOWN])
    return shown + (f" and {len(items) - _SHOWN} more" if len(items) > _SHOWN else "")


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
            f"NAME must be a non-empty name of letters, digits, '_', '-' or '.' (it names files), got {name!r}"
        )
    if not _is_int(input_dim) or input_dim < 1:
        problems.append(f"INPUT_DIM must be a positive integer, got {input_dim!r}")
    if not _is_int(length) or length < 1:
        problems.append(f"LENGTH must be a positive integer, got {length!r}")
    try:
        values = tuple(input_values)
    except TypeError:
        values = ()
        problems.append(f"INPUT_VALUES must be a collection of integers such as range(0, 10), got {input_values!r}")
    if values and not all(_is_int(v) for v in values):
        bad = [repr(v) for v in values if not _is_int(v)]
        problems.append(f"INPUT_VALUES must hold integers only, found {_more(bad)}")
    elif input_values is not None and not values:
        problems.append("INPUT_VALUES is empty")
    values = tuple(sorted({int(v) for v in values if _is_int(v)}))
    if not callable(reference):
        problems.append("the task needs a function `reference(inputs)` returning the list of outputs")
    if sample is not None and not callable(sample):
        problems.append("`sample` must be a function (rng, length) -> inputs")
    if problems:
        raise TaskError(source, problems)

    output_dim = _probe_reference(
        reference, sample, values, int(input_dim), int(length), source, seed
    )
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
    )


def _probe_reference(reference, sample, values, input_dim, length, source, seed) -> int:
    """Run the reference on a few sequences; return the output dim or raise with all problems."""
    rng = random.Random(seed)
    problems: list[str] = []
    dims: set[int] = set()
    allowed = set(values)
    # Up to five times the training length: verification goes that far.
    lengths = [1, 2, length, 5 * length] + [rng.randint(1, 5 * length) for _ in range(_PROBES - 4)]
    for n in lengths:
        if sample is not None:
            try:
                inputs = list(sample(rng, n))
            except Exception as exc:  # the user's code: report, do not crash
                problems.append(f"sample(rng, {n}) raised {type(exc).__name__}: {exc}")
                break
            bad = [s for s in inputs if _shape_of_step(s) != input_dim or
                   any(v not in allowed for v in ((s,) if _is_int(s) else s))]
            if len(inputs) != n or bad:
                problems.append(
                    f"sample(rng, {n}) must return {n} steps of {input_dim} number(s) from INPUT_VALUES, "
                    f"got {inputs[:6]!r}{'...' if len(inputs) > 6 else ''}"
                )
                break
            inputs = [as_step(s) for s in inputs]
        elif input_dim == 1:
            inputs = [rng.choice(values) for _ in range(n)]
        else:
            inputs = [tuple(rng.choice(values) for _ in range(input_dim)) for _ in range(n)]
        try:
            outputs = reference(list(inputs))
        except Exception as exc:
            problems.append(f"reference raised {type(exc).__name__}: {exc} on inputs {inputs!r}")
            break
        try:
            outputs = list(outputs)
        except TypeError:
            problems.append(f"reference must return a list, got {type(outputs).__name__} for inputs {inputs!r}")
            break
        if len(outputs) != len(inputs):
            problems.append(
                f"reference returned {len(outputs)} outputs for {len(inputs)} inputs (one per step is required), "
                f"inputs {inputs!r}"
            )
            break
        shapes = {_shape_of_step(y) for y in outputs}
        if None in shapes:
            bad = next(y for y in outputs if _shape_of_step(y) is None)
            problems.append(
                f"reference outputs must be integers (or tuples of integers), got {bad!r} for inputs {inputs!r}"
            )
            break
        dims |= shapes
    if not problems and len(dims) > 1:
        problems.append(f"reference outputs mix shapes: steps with {sorted(dims)} numbers")
    if problems:
        raise TaskError(source, problems)
    return dims.pop()


def load_task_file(path: str | Path, *, seed: int = 0) -> Task:
    """Load a task file: plain Python defining NAME, INPUT_DIM, LENGTH, INPUT_VALUES, reference."""
    path = Path(path)
    source = str(path)
    if not path.is_file():
        raise TaskError(source, ["no such file"])
    try:
        namespace = runpy.run_path(str(path))
    except SyntaxError as exc:
        raise TaskError(source, [f"not valid Python: {exc.msg} (line {exc.lineno})"]) from None
    except Exception as exc:
        raise TaskError(source, [f"running the file raised {type(exc).__name__}: {exc}"]) from None
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
        raise TaskError(source, problems + [f"a task file defines {', '.join(required)} (and optionally sample)"])
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


def load_data_file(path: str | Path) -> Task:
    """Load a `.jsonl` data file, one {"inputs": [...], "outputs": [...]} per line."""
    path = Path(path)
    source = str(path)
    if not path.is_file():
        raise TaskError(source, ["no such file"])
    problems: list[str] = []
    examples: list[Example] = []
    named: set[str] = set()  # the "task" field, when rows have one
    in_dims: dict[int, list[int]] = {}
    out_dims: dict[int, list[int]] = {}
    for lineno, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"line {lineno}: not JSON ({exc.msg})")
            continue
        if not isinstance(row, dict) or "inputs" not in row or "outputs" not in row:
            problems.append(f'line {lineno}: expected an object with "inputs" and "outputs"')
            continue
        if "task" in row:
            named.add(str(row["task"]))
        xs, ys = row["inputs"], row["outputs"]
        if not isinstance(xs, list) or not isinstance(ys, list) or not xs:
            problems.append(f"line {lineno}: inputs and outputs must be non-empty lists")
            continue
        if len(xs) != len(ys):
            problems.append(f"line {lineno}: {len(xs)} inputs but {len(ys)} outputs")
            continue
        x_shapes = {_shape_of_step(s) for s in xs}
        y_shapes = {_shape_of_step(s) for s in ys}
        if None in x_shapes or None in y_shapes:
            problems.append(f"line {lineno}: every step must be an integer or a list of integers")
            continue
        if len(x_shapes) > 1 or len(y_shapes) > 1:
            problems.append(f"line {lineno}: ragged steps (some steps have a different number of numbers)")
            continue
        in_dims.setdefault(x_shapes.pop(), []).append(lineno)
        out_dims.setdefault(y_shapes.pop(), []).append(lineno)
        examples.append((
            tuple(as_step(s) for s in xs),
            tuple(as_step(s) for s in ys),
        ))
    for what, dims in (("inputs", in_dims), ("outputs", out_dims)):
        if len(dims) > 1:
            parts = [f"{d} number(s) per step on lines {_more([str(n) for n in lines])}" for d, lines in dims.items()]
            problems.append(f"inconsistent {what}: " + "; ".join(parts))
    if len(named) > 1:
        problems.append(f"examples of {len(named)} different tasks ({_more(sorted(named))}): one task per file")
    if not examples and not problems:
        problems.append("no examples in the file")
    if not problems and len(examples) < 8:
        problems.append(f"only {len(examples)} examples: at least 8 are needed to train and hold some out")
    if problems:
        raise TaskError(source, problems)
    lengths = [len(x) for x, _ in examples]
    length = max(set(lengths), key=lambda n: (lengths.count(n), -n))
    values = sorted({v for x, _ in examples for s in x for v in ((s,) if isinstance(s, int) else s)})
    return Task(
        name=path.stem,
        input_dim=next(iter(in_dims)),
        output_dim=next(iter(out_dims)),
        length=length,
        input_values=tuple(values),
        examples=tuple(examples),
        rule=f"{len(examples)} examples from {path.name}",
        source=source,
    )
