"""What a run extracted, for a person: the machine as a table or formulas, a Graphviz
drawing of it, and a step-by-step trace of the network, the machine and the program
side by side.

Everything here reads a saved run folder (`mips.runs.load_run`) and never trains.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from fractions import Fraction
from pathlib import Path
from typing import Sequence

import numpy as np

from mips.errors import RunError
from mips.machines import (
    AffineMachine,
    FormulaMachine,
    Machine,
    StateMachine,
    Step,
    as_tuple,
    from_tuple,
    state_names,
)
from mips.runs import SavedRun
from mips.verify import load_program


def machine_text(machine: Machine) -> list[str]:
    """A state machine as its transition/output table; a lattice machine as its integer update."""
    if isinstance(machine, StateMachine):
        return _table(machine)
    if isinstance(machine, FormulaMachine):
        return _symbolic(machine)
    return _formulas(machine)


def _symbolic(machine: FormulaMachine) -> list[str]:
    states = state_names(machine.state_dim)
    rewrites = f" (the {machine.rewrites}-state machine, written as formulas)" if machine.rewrites else ""
    lines = [f"integer state: {machine.state_dim} coordinate(s), start {tuple(machine.initial)}{rewrites}"]
    lines += [f"  {name}: {label}" for name, label in zip(states, machine.labels)]
    lines.append("  after each input:")
    lines += [f"    {name} <- {rule}" for name, rule in zip(states, machine.update)]
    for j, rule in enumerate(machine.readout):
        lines.append(f"  output{'' if len(machine.readout) == 1 else f'[{j}]'} = {rule}")
    return lines


def _table(machine: StateMachine) -> list[str]:
    symbols = [repr(from_tuple(s)) for s in machine.symbols]
    rows = [["state", "output"] + [f"on {s}" for s in symbols]]
    for state, (row, out) in enumerate(zip(machine.transitions, machine.outputs)):
        name = f"{state}{' (start)' if state == machine.initial else ''}"
        rows.append([name, repr(from_tuple(out))] + [str(t) if t >= 0 else "never seen" for t in row])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [f"state machine: {machine.states} states, {len(symbols)} input symbols"
             + ("" if machine.complete else "; some transitions were never observed")]
    lines += ["  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    return lines


def _formulas(machine: AffineMachine) -> list[str]:
    states = [f"s{i}" for i in range(machine.state_dim)]
    inputs = ["x"] if machine.input_dim == 1 else [f"x{j}" for j in range(machine.input_dim)]
    lines = [f"integer lattice: {machine.state_dim} state coordinate(s), start {tuple(machine.initial)}",
             "  after each input:"]
    table = machine.input_table
    for i, row in enumerate(machine.update):
        text = _linear(row, states + inputs)
        if table:
            text = ("" if text == "0" else text + " + ") + f"STEP[x][{i}]"
        lines.append(f"    {states[i]} <- {text}")
    if table:
        lines.append("  STEP[x], what reading x adds to the state:")
        for symbol, row in zip(machine.symbols, table):
            lines.append(f"    x = {from_tuple(symbol)!r}: {tuple(str(v) for v in row)}")
    for j, row in enumerate(machine.readout):
        lines.append(f"  output{'' if len(machine.readout) == 1 else f'[{j}]'} = {_linear(row, states)}")
    return lines


def _linear(row: Sequence[Fraction], names: Sequence[str]) -> str:
    terms = []
    for coefficient, name in zip(row, list(names) + [""]):
        if coefficient == 0:
            continue
        magnitude = abs(coefficient)
        body = str(magnitude) if not name else (name if magnitude == 1 else f"{magnitude}*{name}")
        terms.append(("-" if coefficient < 0 else "+", body))
    if not terms:
        return "0"
    text = ("-" if terms[0][0] == "-" else "") + terms[0][1]
    return text + "".join(f" {sign} {body}" for sign, body in terms[1:])


def machine_dot(machine: Machine, title: str) -> str:
    """Graphviz DOT: a state machine as a graph of states; a lattice machine as the flow
    of its coordinates (an edge a -> b labelled c: b's update adds c times a)."""
    lines = [f"digraph {json.dumps(title)} {{", "  rankdir=LR;", f"  label={json.dumps(title)};"]
    if isinstance(machine, FormulaMachine):
        # DOT's \l ends a left-aligned line; formulas hold no quotes or backslashes.
        text = "\\l".join(_symbolic(machine)) + "\\l"
        lines.append(f'  rules [shape=box, fontname=monospace, label="{text}"];')
    elif isinstance(machine, StateMachine):
        lines += ["  node [shape=circle];", "  start [shape=point];", f"  start -> s{machine.initial};"]
        for state, out in enumerate(machine.outputs):
            lines.append(f"  s{state} [label={json.dumps(f'{state}: out {from_tuple(out)!r}')}];")
        for state, row in enumerate(machine.transitions):
            targets: dict[int, list[str]] = {}
            for symbol, target in zip(machine.symbols, row):
                if target >= 0:
                    targets.setdefault(target, []).append(repr(from_tuple(symbol)))
            for target, labels in targets.items():
                lines.append(f"  s{state} -> s{target} [label={json.dumps(','.join(labels))}];")
    else:
        states = [f"s{i}" for i in range(machine.state_dim)]
        inputs = ["x"] if machine.input_dim == 1 else [f"x{j}" for j in range(machine.input_dim)]
        lines.append("  node [shape=box];")
        for name in inputs:
            lines.append(f"  {name} [shape=ellipse];")
        for i, name in enumerate(states):
            constant = machine.update[i][-1]
            extra = f" (+{constant})" if constant > 0 else f" ({constant})" if constant < 0 else ""
            lines.append(f"  {name} [label={json.dumps(f'{name} start {machine.initial[i]}{extra}')}];")
        for i, row in enumerate(machine.update):
            for source, coefficient in zip(states + inputs, row):
                if coefficient != 0:
                    lines.append(f"  {source} -> {states[i]} [label={json.dumps(str(coefficient))}];")
            if machine.input_table:
                lines.append(f"  {inputs[0]} -> {states[i]} [label=\"STEP table\", style=dashed];")
        for j, row in enumerate(machine.readout):
            out = f"y{j}"
            lines.append(f"  {out} [shape=ellipse, label=\"output{'' if len(machine.readout) == 1 else j}\"];")
            for source, coefficient in zip(states, row):
                if coefficient != 0:
                    lines.append(f"  {source} -> {out} [label={json.dumps(str(coefficient))}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


DOT_MISSING = ("the Graphviz `dot` program is not installed, so the drawing was not rendered; install it "
               "(apt install graphviz, brew install graphviz or conda install graphviz) and run "
               "`dot -Tsvg FILE.dot -o FILE.svg`")


def render_dot(dot_file: Path, fmt: str = "svg") -> tuple[Path | None, str]:
    """Render a DOT file with Graphviz when it is installed: (the image, a message)."""
    dot = shutil.which("dot")
    if dot is None:
        return None, DOT_MISSING
    image = dot_file.with_suffix(f".{fmt}")
    done = subprocess.run([dot, f"-T{fmt}", str(dot_file), "-o", str(image)], capture_output=True, text=True)
    if done.returncode != 0:
        return None, f"dot failed: {done.stderr.strip()}"
    return image, f"rendered {image}"


def parse_inputs(text: str, input_dim: int) -> list[Step]:
    """`--trace` inputs: comma-separated integers for one number per step ("1,0,1"), or a
    JSON list ("[[1, 2], [0, 3]]" for two numbers per step)."""
    try:
        values = json.loads(text) if text.strip().startswith("[") else [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise RunError(f"--trace {text!r}: give comma-separated integers or a JSON list") from None
    steps = []
    for value in values:
        step = as_tuple(tuple(value) if isinstance(value, list) else value)
        if len(step) != input_dim or not all(isinstance(v, int) and not isinstance(v, bool) for v in step):
            raise RunError(f"--trace: each step needs {input_dim} integer(s), got {value!r}")
        steps.append(from_tuple(step))
    if not steps:
        raise RunError("--trace: no inputs given")
    return steps


def trace_rows(run: SavedRun, inputs: Sequence[Step]) -> list[dict]:
    """Step by step: the network's hidden state and output, the machine's state and
    output, and the program's output."""
    rows = [{"t": t + 1, "input": x} for t, x in enumerate(inputs)]
    if run.network is not None:
        array = np.asarray([[as_tuple(x) for x in inputs]], dtype=np.int64)
        hidden, predictions = run.network.run(array)
        for row, h, y in zip(rows, hidden[0], predictions[0]):
            row["hidden"] = tuple(round(float(v), 3) for v in h)
            row["network"] = from_tuple(y)
    if run.machine is not None:
        try:
            for row, (state, out) in zip(rows, run.machine.steps(inputs)):
                row["state"], row["machine"] = state, out
        except (KeyError, ValueError) as exc:
            rows[0]["machine_error"] = str(exc)
    if run.program is not None:
        try:
            for row, out in zip(rows, load_program(run.program)(list(inputs))):
                row["program"] = out
        except Exception as exc:  # the program is data here: show what it did
            rows[0]["program_error"] = f"{type(exc).__name__}: {exc}"
    return rows


def trace_text(rows: list[dict]) -> list[str]:
    columns = [("t", "t"), ("input", "input"), ("hidden", "network hidden state"), ("network", "network out"),
               ("state", "machine state"), ("machine", "machine out"), ("program", "program out")]
    present = [(key, title) for key, title in columns if any(key in row for row in rows)]
    table = [[title for _, title in present]]
    table += [[str(row.get(key, "")) for key, _ in present] for row in rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(present))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in table]
    for key in ("machine_error", "program_error"):
        if key in rows[0]:
            lines.append(f"{key.split('_')[0]} stopped: {rows[0][key]}")
    return lines


def overview(run: SavedRun) -> list[str]:
    report = run.report
    lines = [f"run: {run.folder}", f"task: {report['task']['name']} ({report['task']['source']}): "
             f"{report['task']['rule']}", report["verdict"]]
    network = report.get("network")
    if network:
        arch = network["arch"]
        lines.append(f"network: hidden size {arch['hidden']}, f depth {arch['f_depth']}, g depth {arch['g_depth']}, "
                     f"width {arch['width']} (trained seed {network['trained_seed']}, {network['steps']} steps)")
    else:
        lines.append("network: none was trained to 100% held-out accuracy")
    if report.get("machine"):
        lines.append(f"machine: {report['machine']['description']}")
    elif report.get("extraction"):
        extraction = report["extraction"]
        behaviour = extraction.get("behaviour")  # absent in runs saved before it existed
        lines.append(f"machine: none; state machine by clusters: {extraction['fsm']['reason']}; "
                     + (f"by behaviour: {behaviour['reason']}; " if behaviour else "")
                     + f"lattice: {extraction['lattice']['reason']}")
    return lines


def plot_states(run: SavedRun, path: Path, *, sequences: int = 200, seed: int = 0) -> str:
    """Scatter the network's hidden states on random input sequences of the training
    length, coloured by the state the extracted machine is in at the same step (for a
    lattice machine: by its first integer coordinate). Hidden spaces of more than two
    dimensions are shown on their two principal axes; a 1-D one against time."""
    if run.network is None:
        raise RunError(f"{run.folder}: no trained network to plot")
    import matplotlib

    matplotlib.use("Agg")  # files only, no display needed
    import matplotlib.pyplot as plt

    encoding = run.network.encoding
    length = int(run.report["task"]["length"])
    rng = np.random.default_rng(seed)
    inputs = rng.choice(np.asarray(encoding.input_values), size=(sequences, length, encoding.input_dim))
    hidden, _ = run.network.run(inputs)
    points = hidden.reshape(-1, hidden.shape[-1])
    times = np.tile(np.arange(1, length + 1), sequences)
    if points.shape[1] == 1:
        xy, labels = np.stack([times, points[:, 0]], axis=1), ("step t", "hidden unit 0")
    elif points.shape[1] == 2:
        xy, labels = points, ("hidden unit 0", "hidden unit 1")
    else:
        centred = points - points.mean(axis=0)
        axes = np.linalg.svd(centred, full_matrices=False)[2][:2]
        xy, labels = centred @ axes.T, ("principal axis 1", "principal axis 2")

    colour, legend, cmap = None, "no machine was extracted", "viridis"
    if run.machine is not None:
        try:
            states = [run.machine.steps([from_tuple(step) for step in sequence]) for sequence in inputs]
            if isinstance(run.machine, StateMachine):
                colour = np.asarray([s for seq in states for s, _ in seq])
                legend, cmap = "colour: the state machine's state", "tab20"
            else:
                colour = np.asarray([s[0] for seq in states for s, _ in seq])
                legend = "colour: the lattice machine's coordinate s0"
        except (KeyError, ValueError) as exc:
            legend = f"the machine stopped on these inputs ({exc})"

    figure, axis = plt.subplots(figsize=(7, 5.5))
    scatter = axis.scatter(xy[:, 0], xy[:, 1], c=colour, s=9, cmap=cmap if colour is not None else None)
    if colour is not None:
        figure.colorbar(scatter, ax=axis)
    axis.set_xlabel(labels[0])
    axis.set_ylabel(labels[1])
    axis.set_title(f"{run.report['task']['name']}: hidden states ({legend})", fontsize=9)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return f"plot of the hidden states: {path}"
