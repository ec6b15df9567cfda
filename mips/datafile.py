"""Data files: a task given by examples, one JSON object per line (JSON Lines, UTF-8).

The file is data, never run. Every problem is collected and reported at once, in one
short line (at most a few problems, each echoing little of the file), before any
training starts.
"""

from __future__ import annotations

import codecs
import json
import re
from pathlib import Path

from mips.errors import TaskError
from mips.task import (
    MAX_INPUT_DIM,
    MAX_INPUT_VALUES,
    MAX_LENGTH,
    MAX_NAME,
    Example,
    Task,
    as_step,
    file_problem,
    first_out_of_range,
    listed,
    out_of_range_problem,
    shape_of_step,
    task_error,
    task_fingerprint,
)
from mips.usercode import cut

# Byte-order marks of encodings other than UTF-8 (UTF-32 first: its little-endian mark
# begins with UTF-16's).
_OTHER_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)


def _read_text(path: Path, source: str) -> str:
    """The file's text: UTF-8, with or without the BOM some Windows editors write; any
    other bytes are one problem saying how to fix them."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TaskError(source, [f"cannot be read ({exc.strerror or exc})"]) from None
    for bom, encoding in _OTHER_BOMS:
        if data.startswith(bom):
            raise TaskError(source, [f"is {encoding} text; save it as UTF-8"])
    if b"\0" in data:  # never in JSON text, but in every line of UTF-16 without a BOM
        raise TaskError(source, ["holds NUL bytes, so it is not UTF-8 text (UTF-16?); save it as UTF-8"])
    skipped = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        return data[skipped:].decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = skipped + exc.start
        line = data.count(b"\n", 0, offset) + 1
        raise TaskError(
            source,
            [f"is not UTF-8 text: byte 0x{data[offset]:02x} at offset {offset:,} (line {line}); save it as UTF-8"],
        ) from None


def _one_json_document(text: str) -> str | None:
    """The problem when the file is one JSON array or object (pretty-printed, say) rather
    than JSON Lines; None otherwise. A file of JSON Lines is never parsed whole: its first
    line is an object on its own."""
    lines = [line for line in text.split("\n") if line.strip()]
    if not lines:
        return None
    first = lines[0].strip()
    if not first.startswith("[") and not (first.startswith("{") and len(lines) > 1 and not _parses(first)):
        return None
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        return None  # then each line gets its own problem
    jsonl = "a data file has one JSON object per line (JSON Lines)"
    if isinstance(document, list):
        return (
            f'is one JSON array, but {jsonl}; convert it with python -c "import json,sys; '
            '[print(json.dumps(e)) for e in json.load(sys.stdin)]" < FILE > new.jsonl'
        )
    if isinstance(document, dict):
        return (
            f"is one JSON object over {len(lines)} lines, but {jsonl}: write each "
            '{"inputs": [...], "outputs": [...]} on a line of its own (json.dumps writes one line)'
        )
    return None


def _parses(text: str) -> bool:
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return False
    return True


def _name_from_file(stem: str) -> str:
    """A file's stem as a task name, valid under the rule for NAME (it names the run's
    folder: '..jsonl' must not give 'runs/.'): other characters become '_', leading dots
    and dashes go, and 'data' stands for nothing left."""
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", stem).lstrip(".-")[:MAX_NAME]
    return name or "data"


def load_data_file(path: str | Path) -> Task:
    """Load a `.jsonl` data file, one {"inputs": [...], "outputs": [...]} per line."""
    path = Path(path)
    source = str(path)
    problem = file_problem(path)
    if problem:
        raise TaskError(source, [problem])
    text = _read_text(path, source)
    problem = _one_json_document(text)
    if problem:
        raise TaskError(source, [problem])
    rows = _Rows()
    for lineno, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            rows.read(lineno, line)
    problems = rows.problems + rows.file_problems()
    if problems:
        raise task_error(source, problems)
    examples = rows.examples
    lengths = [len(x) for x, _ in examples]
    length = max(set(lengths), key=lambda n: (lengths.count(n), -n))
    values = tuple(sorted({v for x, _ in examples for s in x for v in ((s,) if isinstance(s, int) else s)}))
    input_dim, output_dim = next(iter(rows.in_dims)), next(iter(rows.out_dims))
    # The limits of a task file, for the same reasons.
    if input_dim > MAX_INPUT_DIM:
        problems.append(f"inputs may have at most {MAX_INPUT_DIM} numbers per step, got {input_dim}")
    if length > MAX_LENGTH:
        problems.append(f"the training length (the most common one) may be at most {MAX_LENGTH:,}, got {length:,}")
    if len(values) > MAX_INPUT_VALUES:
        problems.append(f"inputs may take at most {MAX_INPUT_VALUES:,} distinct values, got {len(values):,}")
    if problems:
        raise task_error(source, problems)
    return Task(
        name=_name_from_file(path.stem),
        input_dim=input_dim,
        output_dim=output_dim,
        length=length,
        input_values=values,
        examples=tuple(examples),
        rule=f"{len(examples)} examples from {path.name}",
        source=source,
        fingerprint=task_fingerprint(input_dim, output_dim, length, values, "examples", examples),
    )


class _Rows:
    """A data file's examples as its lines are read, and every problem found on the way."""

    def __init__(self):
        self.problems: list[str] = []
        self.examples: list[Example] = []
        self.named: set[str] = set()  # the "task" field, when rows have one
        self.in_dims: dict[int, list[int]] = {}
        self.out_dims: dict[int, list[int]] = {}

    def read(self, lineno: int, line: str) -> None:
        row = self._parse(lineno, line)
        if row is None:
            return
        if "task" in row:
            self.named.add(cut(str(row["task"])))
        xs, ys = row["inputs"], row["outputs"]
        problem = _example_problem(xs, ys)
        if problem:
            self.problems.append(f"line {lineno}: {problem}")
            return
        self.in_dims.setdefault(shape_of_step(xs[0]), []).append(lineno)
        self.out_dims.setdefault(shape_of_step(ys[0]), []).append(lineno)
        self.examples.append((tuple(as_step(s) for s in xs), tuple(as_step(s) for s in ys)))

    def _parse(self, lineno: int, line: str) -> dict | None:
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            self.problems.append(f"line {lineno}: not JSON ({exc.msg})")
            return None
        except RecursionError:
            self.problems.append(f"line {lineno}: nested too deeply")
            return None
        except ValueError:  # an integer of more than 4,300 digits
            self.problems.append(f"line {lineno}: a number does not fit in 64 bits (|v| < 2**63 is needed)")
            return None
        if not isinstance(row, dict) or "inputs" not in row or "outputs" not in row:
            self.problems.append(f'line {lineno}: expected an object with "inputs" and "outputs"')
            return None
        return row

    def file_problems(self) -> list[str]:
        """What is wrong with the rows together (shapes, tasks, too few examples)."""
        problems = []
        for what, dims in (("inputs", self.in_dims), ("outputs", self.out_dims)):
            if len(dims) > 1:
                parts = [
                    f"{d} number(s) per step on lines {listed([str(n) for n in lines])}" for d, lines in dims.items()
                ]
                more = f"; and {len(parts) - 3} more shapes" if len(parts) > 3 else ""  # each part is long
                problems.append(f"inconsistent {what}: " + "; ".join(parts[:3]) + more)
        if len(self.named) > 1:
            problems.append(
                f"examples of {len(self.named)} different tasks ({listed(sorted(self.named))}): one task per file"
            )
        if not self.examples and not self.problems and not problems:
            problems.append("no examples in the file")
        if not self.problems and not problems and len(self.examples) < 8:
            problems.append(f"only {len(self.examples)} examples: at least 8 are needed to train and hold some out")
        return problems


def _example_problem(xs, ys) -> str | None:
    """What is wrong with one example's inputs and outputs, or None."""
    if not isinstance(xs, list) or not isinstance(ys, list) or not xs:
        return "inputs and outputs must be non-empty lists"
    if len(xs) != len(ys):
        return f"{len(xs)} inputs but {len(ys)} outputs"
    x_shapes = {shape_of_step(s) for s in xs}
    y_shapes = {shape_of_step(s) for s in ys}
    if None in x_shapes or None in y_shapes:
        return "every step must be an integer or a list of integers"
    if len(x_shapes) > 1 or len(y_shapes) > 1:
        return "ragged steps (some steps have a different number of numbers)"
    big = first_out_of_range(xs + ys)
    if big is not None:
        return out_of_range_problem("the value", big)
    return None
