"""What a run extracted, for a person: the machine as a table or formulas, a Graphviz
drawing of it (`drawing`), a plot of the hidden states (`statesplot`), and a step-by-step
trace of the network, the machine and the program side by side. The machine's coordinates
are called what the program calls them.

Everything here reads a saved run folder (`mips.io.runs.load_run`) and never trains. A run
folder is data: nothing in it is ever run. The trace's program column runs the program that
mips's own emitter writes for the folder's (checked) machine, not the folder's program.py.
"""

from __future__ import annotations

import ast
import json
from fractions import Fraction
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from mips.emit import coordinate_names, emit_program
from mips.errors import OutputError, RunError
from mips.io.folders import is_run_folder
from mips.io.runs import INT64, SavedRun, input_values
from mips.machines import MACHINE_ERRORS, Machine, Step, as_tuple, from_tuple
from mips.network.arch import Arch
from mips.verify import load_program


def machine_text(machine: Machine) -> list[str]:
    """The machine's rules, readable: a state machine's table, a lattice's or formula machine's
    update, with the coordinates called what the program calls them."""
    return machine.text(coordinate_names(machine))


def save_output(path: Path, write: Callable[[Path], str], what: str, *, option: str, chosen: bool) -> str:
    """`write(path)`, which returns what to say. When the file cannot be written: a one-line
    error for a path the user chose (with `option`); for the default place in the run folder
    (which may be read-only, or someone else's), a note saying why and how to choose another
    place, and inspection goes on. A link there is never written through."""
    if not chosen and path.is_symlink():
        return (
            f"{what} skipped: {path} is a symbolic link, which mips does not write through; "
            f"choose another place with {option} FILE"
        )
    if not chosen and not is_run_folder(path.parent):  # e.g. a run folder of a mips before the marker
        return (
            f"{what} skipped: {path.parent} is not a run folder that mips marked as its own, so nothing is "
            f"written into it; choose a place with {option} FILE"
        )
    try:
        return write(path)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        if chosen:
            raise OutputError(f"{option} {path}: cannot write it ({reason})") from None
        return f"{what} skipped: cannot write {path} ({reason}); choose another place with {option} FILE"


def parse_inputs(text: str, input_dim: int, allowed: str | None = None) -> list[Step]:
    """`--trace` inputs: comma-separated integers for one number per step ("1,0,1"), or a
    JSON list ("[[1, 2], [0, 3]]" for two numbers per step). Every number must fit in 64
    bits and, when `allowed` (the report's text of the task's input values, "0..9" or
    "1,3,5") is given, be one of those values."""
    try:
        values = json.loads(text) if text.strip().startswith("[") else [int(v) for v in text.split(",") if v.strip()]
    except (ValueError, RecursionError):  # RecursionError: a JSON list nested too deeply
        raise RunError(
            f"--trace {text[:40]!r}: give comma-separated integers or a JSON list of them "
            "(of lists of them, for several numbers per step)"
        ) from None
    if not isinstance(values, list) or not values:
        raise RunError("--trace: no inputs given")
    domain = input_values(allowed) if allowed is not None else None
    steps = []
    for value in values:
        step = tuple(value) if isinstance(value, list) else (value,)
        if len(step) != input_dim or not all(type(v) is int for v in step):
            raise RunError(f"--trace: each step needs {input_dim} integer(s), got {json.dumps(value)[:40]}")
        for v in step:
            if not INT64[0] <= v <= INT64[1]:  # the network reads its inputs as int64
                raise RunError(
                    f"--trace: {str(v)[:40]} does not fit in 64 bits"
                    + (f" (the task's input values are {allowed})" if allowed is not None else "")
                )
            if domain is not None and v not in domain:
                raise RunError(f"--trace: {v} is not one of the task's input values ({allowed})")
        steps.append(from_tuple(step))
    return steps


def trace_rows(run: SavedRun, inputs: Sequence[Step]) -> list[dict]:
    """Step by step: the network's hidden state and output, the machine's state and
    output, and the output of the program that mips writes for the machine (the folder's
    program.py is never run; `program_note` says whether it is that program)."""
    rows = [{"t": t + 1, "input": x} for t, x in enumerate(inputs)]
    if run.read_network is not None:  # the network the machine was read from
        array = np.asarray([[as_tuple(x) for x in inputs]], dtype=np.int64)
        hidden, predictions = run.read_network.run(array)
        for row, h, y in zip(rows, hidden[0], predictions[0]):
            row["hidden"] = tuple(round(float(v), 3) for v in h)
            row["network"] = from_tuple(y)
    if run.machine is not None:
        try:
            for row, (state, out) in zip(rows, run.machine.steps(inputs)):
                row["state"], row["machine"] = state, out
        except MACHINE_ERRORS as exc:
            ours = isinstance(exc, (KeyError, ValueError))  # the machine's own messages say what happened
            rows[0]["machine_error"] = str(exc) if ours else f"{type(exc).__name__}: {exc}"
        try:  # mips's own text for a checked machine, so running it runs nothing from the folder
            for row, out in zip(rows, load_program(emit_program(run.machine, []))(list(inputs))):
                row["program"] = out
        except Exception as exc:  # a machine that stops (as above) stops its program too: show how
            rows[0]["program_error"] = f"{type(exc).__name__}: {exc}"
    return rows


def program_note(run: SavedRun) -> str | None:
    """One line: whether the folder's program.py is the program mips writes for its machine."""
    if run.program is None:
        return (
            None
            if run.machine is None
            else ("the run folder has no program.py; the program column is the program mips writes for machine.json")
        )
    if run.machine is None:
        return "program.py was not run: the run folder has no machine.json to check it against"
    if same_program(run.program, emit_program(run.machine, [])):
        return (
            "program.py is the program mips writes for machine.json (but for its docstring); it was not run: "
            "the program column runs mips's own copy"
        )
    return "program.py differs from what the machine gives; it was not run"


def same_program(text: str, emitted: str) -> bool:
    """`text` is the program `emitted` but for its docstring: the code after the docstring
    is the same, character for character."""
    code = _after_docstring(text)
    return code is not None and code == _after_docstring(emitted)


def _after_docstring(text: str) -> str | None:
    """The text after the string literal that it starts with (None when it does not start
    with one, or is not Python). Parsing runs nothing."""
    try:
        first = ast.parse(text).body[0]
    except (SyntaxError, ValueError, RecursionError, MemoryError, IndexError):
        return None
    if not (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
        and (first.lineno, first.col_offset) == (1, 0)
    ):
        return None
    # The parser's positions are in bytes, on lines it breaks at \n, \r\n and \r, as bytes.splitlines does.
    data = text.encode()
    end = sum(len(line) for line in data.splitlines(keepends=True)[: first.end_lineno - 1]) + first.end_col_offset
    return data[end:].decode()


def trace_text(rows: list[dict], names: Sequence[str] = ()) -> list[str]:
    """The trace as a table; the machine's state column says what its coordinates are called
    (`names`, the program's names for them)."""
    columns = [
        ("t", "t"),
        ("input", "input"),
        ("hidden", "network hidden state"),
        ("network", "network out"),
        ("state", f"machine state ({', '.join(names)})" if names else "machine state"),
        ("machine", "machine out"),
        ("program", "program out"),
    ]
    present = [(key, title) for key, title in columns if any(key in row for row in rows)]
    table = [[title for _, title in present]]
    table += [[str(row.get(key, "")) for key, _ in present] for row in rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(present))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in table]
    for key in ("machine_error", "program_error"):
        if key in rows[0]:
            lines.append(f"{key.split('_')[0]} stopped: {rows[0][key]}")
    return lines


def _given_network_line(given: dict) -> str:
    """The report's account of a network given to `mips extract` (a run folder is data: each
    part is used only when it has the type it should)."""
    description = given.get("description")
    line = "network: given" + (f", {description}" if isinstance(description, str) else "")
    right, total = given.get("heldout_right"), given.get("heldout_outputs")
    if type(right) is int and type(total) is int:
        line += f"; {right:,} of {total:,} held-out outputs right (its weights are not in the run folder)"
    return line


def overview(run: SavedRun) -> list[str]:
    report = run.report
    lines = [
        f"run: {run.folder}",
        f"task: {report['task']['name']} ({report['task']['source']}): {report['task']['rule']}",
        report["verdict"],
    ]
    network = report.get("network")
    if network:
        arch = network["arch"]
        lines.append(
            f"network: hidden size {arch['hidden']}, {Arch(**arch).describe_depths()} "
            f"(trained seed {network['trained_seed']}, {network['steps']} steps)"
        )
    elif isinstance(report.get("given_network"), dict):  # `mips extract`: a network mips did not train
        lines.append(_given_network_line(report["given_network"]))
    else:
        lines.append("network: none was trained to 100% held-out accuracy")
    simplified = report.get("simplify")
    if simplified:
        for step in simplified.get("steps", []):
            lines.append(f"simplify: {step['step']}: {'kept' if step['kept'] else 'not kept'} ({step['detail']})")
        if simplified.get("read"):
            lines.append(f"the machine was read from the {simplified['read']} network")
    if report.get("machine"):
        lines.append(f"machine: {report['machine']['description']}")
    elif report.get("extraction"):
        extraction = report["extraction"]
        behaviour = extraction.get("behaviour")  # absent in runs saved before it existed
        lines.append(
            f"machine: none; state machine by clusters: {extraction['fsm']['reason']}; "
            + (f"by behaviour: {behaviour['reason']}; " if behaviour else "")
            + f"lattice: {extraction['lattice']['reason']}"
        )
    return lines


def network_text(network, title: str) -> list[str]:
    """A network's weights as readable tables: each layer of f and g, one row per input."""
    n, encoding = network.arch.hidden, network.encoding
    units = [f"h{i}" for i in range(n)]
    per = "" if encoding.input_scale == 1 else f"/{encoding.input_scale:g}"  # the feature is the input scaled
    features = [(f"x{j}" if encoding.input_dim > 1 else "x") + per for j in range(encoding.input_dim)] + [
        f"[{'x' if encoding.input_dim == 1 else f'x{j}'}=={v}]"
        for j in range(encoding.input_dim if encoding.one_hot else 0)
        for v in encoding.input_values
    ]
    lines = [f"{title}: {network.arch.describe()}"]
    for part, depth, first_rows, last_cols in (
        ("f", network.arch.f_depth, units + features, units),
        ("g", network.arch.g_depth, units, None),
    ):
        for i in range(depth):
            layer = network.params[part][f"Dense_{i}"]
            kernel, bias = np.asarray(layer["kernel"]), np.asarray(layer["bias"])
            rows = first_rows if i == 0 else [f"r{k}" for k in range(kernel.shape[0])]
            cols = (
                last_cols
                if i == depth - 1 and last_cols
                else [f"r{k}" for k in range(kernel.shape[1])]
                if i < depth - 1
                else [f"out{k}" for k in range(kernel.shape[1])]
            )
            kind = "relu layer" if i < depth - 1 else "linear"
            lines.append(f"  {part} layer {i + 1} ({kind}), rows: inputs, columns: {', '.join(cols)}")
            table = [[name] + [_weight(v) for v in row] for name, row in zip(rows, kernel)]
            table.append(["bias"] + [_weight(v) for v in bias])
            widths = [max(len(r[c]) for r in table) for c in range(len(table[0]))]
            lines += ["    " + "  ".join(cell.rjust(w) for cell, w in zip(row, widths)) for row in table]
    return lines


def _weight(value: float) -> str:
    if value == 0:
        return "0"
    if float(value).is_integer():
        return str(int(value))
    fraction = Fraction(float(value)).limit_denominator(12)
    if abs(float(fraction) - value) < 1e-6:
        return str(fraction)
    return f"{value:.3f}"
