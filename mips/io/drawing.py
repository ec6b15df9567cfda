"""Graphviz drawings of machines, for a person: a state machine as its graph of states (and,
when formulas write it, the formulas in a box beside it), a lattice machine as the flow of
its coordinates, and the rendering of a drawing to SVG when Graphviz is installed.

The coordinates are called what the program calls them (`mips.emit.coordinate_names`).
"""

from __future__ import annotations

import shutil
import subprocess
from collections import deque
from pathlib import Path
from typing import Sequence

from mips.emit import coordinate_names
from mips.machines import MACHINE_ERRORS, AffineMachine, FormulaMachine, Machine, StateMachine, from_tuple, input_names

# A drawing of more than this many states or transitions is no longer read, only looked at:
# past these, the states nearest the start are drawn and the picture says how many are not.
MAX_STATES_DRAWN = 16
MAX_EDGES_DRAWN = 64
MAX_INPUTS_ON_AN_EDGE = 6  # input values (or runs a..b of them) written on one edge, then "..."
MAX_COORDINATES_PER_STATE = 3  # coordinate values written in a state of the graph, then "..."
MAX_BOX_LINES = 16  # lines of rules in a box (an input table may be long: `mips inspect` prints it all)
MAX_BOX_WIDTH = 100  # characters in a line of a box (a formula may hold a long set of values)
# Graphviz knows the widths of Courier's letters everywhere (a generic "monospace" may not be
# found, and the box is then sized for other letters than it shows); labels keep to ASCII for
# the same reason.
BOX_FONT = "Courier"
_PAIRS_WALKED = 5_000  # (state, coordinates) pairs visited to find each state's coordinates


def dot_string(text: str, newline: str = "\\n") -> str:
    """`text` as a DOT quoted string: backslashes and quotes escaped, each line break written
    as `newline` (DOT's \\n centres a line, \\l left-aligns it). json.dumps is not DOT's
    escaping: its \\uXXXX and \\t are shown as they are."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\r\n", "\n").replace("\r", "\n").replace("\n", newline) + '"'


def machine_dot(machine: Machine, title: str, state_machine: StateMachine | None = None, length: int = 10) -> str:
    """Graphviz DOT: a state machine as a graph of states, edges labelled input / output; a
    formula machine that writes a state machine (`state_machine`) as that graph, each state
    with the coordinates it has on inputs of at most `length` steps, and its formulas in a box
    beside it; other formula machines as the box alone; a lattice machine as the flow of its
    coordinates (an edge a -> b labelled c: b's update adds c times a)."""
    if isinstance(machine, StateMachine):
        body, notes = _state_graph(machine)
    elif isinstance(machine, FormulaMachine) and state_machine is not None:
        body, notes = _state_graph(state_machine, machine, length)
        body += _rules_box(machine, f"the same machine as formulas on {machine.state_dim} integer coordinate(s)")
        body.append("  rules -> start [style=invis];")  # the box in the column before the graph's: beside it
    elif isinstance(machine, FormulaMachine):
        unsaved = (
            f"the {machine.rewrites}-state machine these formulas write was not saved with this run "
            "(run folders saved before state_machine.json)"
        )
        body, notes = _rules_box(machine, "the formulas"), [unsaved] if machine.rewrites else []
    else:
        body, notes = _coordinate_flow(machine), []
        body += _rules_box(machine, "the update and output")
    label = "\n".join([title] + notes)
    lines = [f"digraph {dot_string(title)} {{", "  rankdir=LR;", f"  label={dot_string(label)};", "  labelloc=t;"]
    return "\n".join(lines + body + ["}"]) + "\n"


def _rules_box(machine: FormulaMachine | AffineMachine, caption: str) -> list[str]:
    """The machine's start, what its coordinates are and its rules, as `mips inspect` prints
    them (the program's names), in a box: at most `MAX_BOX_LINES` lines of `MAX_BOX_WIDTH`."""
    names = coordinate_names(machine)
    start = ", ".join(f"{name} = {value}" for name, value in zip(names, machine.initial))
    text = machine.text(names)
    if isinstance(machine, AffineMachine) and machine.input_table:  # the table is on the dashed edges
        table = next(i for i, line in enumerate(text) if line.startswith("  STEP[x]"))
        text[table : table + 1 + len(machine.symbols)] = [
            "  STEP[x]: a table of x (the dashed edges: what each x adds in all)"
        ]
    lines = [f"start: {start}"] + [line.removeprefix("  ") for line in text[1:]]
    lines = [line if len(line) <= MAX_BOX_WIDTH else line[: MAX_BOX_WIDTH - 3] + "..." for line in lines]
    if len(lines) > MAX_BOX_LINES:
        lines = lines[: MAX_BOX_LINES - 1] + [
            f"... {len(lines) - MAX_BOX_LINES + 1} more lines (mips inspect prints them)"
        ]
    text = dot_string("\n".join(lines) + "\n", newline="\\l")
    return [
        "  subgraph cluster_rules {",
        f"    label={dot_string(caption)}; style=rounded; color=gray;",
        f"    rules [shape=box, fontname={BOX_FONT}, label={text}];",
        "  }",
    ]


def _state_graph(
    machine: StateMachine, formulas: FormulaMachine | None = None, length: int = 0
) -> tuple[list[str], list[str]]:
    """The states nearest the start (at most `MAX_STATES_DRAWN`), each edge labelled with the
    inputs that take it and the output after it; with `formulas`, each state shows the
    coordinates the formulas give it on inputs of at most `length` steps. Returns the DOT lines
    and notes for the title."""
    order = _nearest_first(machine)
    drawn = set(order[:MAX_STATES_DRAWN])
    values = _coordinates_of_states(machine, formulas, length) if formulas is not None else {}
    names = coordinate_names(formulas) if formulas is not None else []
    caption = f"the {machine.states}-state machine the formulas write"
    lines = [
        "  subgraph cluster_states {",
        f"    label={dot_string(caption)}; style=rounded; color=gray;" if formulas is not None else "",
        "    node [shape=circle];",
        "    start [shape=point];",
        f"    start -> s{machine.initial};",
    ]
    for state in order[:MAX_STATES_DRAWN]:
        label = str(state) + "".join(f"\n{text}" for text in _coordinates_text(values.get(state, []), names))
        shape = ", shape=box, style=rounded" if formulas is not None and names else ""
        lines.append(f"    s{state} [label={dot_string(label)}{shape}];")
    edges = [edge for state in order if state in drawn for edge in _edges(machine, state)]
    hidden_targets = [edge for edge in edges if edge[1] not in drawn]
    shown = _edges_shown([edge for edge in edges if edge[1] in drawn], machine.initial)
    for source, target, label in shown:
        lines.append(f"    s{source} -> s{target} [label={dot_string(label)}];")
    notes = ["edges: the inputs that take them / the output after them"]
    if formulas is not None:
        notes.append(f"in each state: its coordinates on inputs of up to {length} steps")
    if len(drawn) < machine.states:
        sources = sorted({source for source, _, _ in hidden_targets})
        lines.append(
            f"    more [shape=box, style=dashed, label={dot_string(f'{machine.states - len(drawn)} more states')}];"
        )
        lines += [f"    s{source} -> more [style=dashed];" for source in sources]
        notes.append(f"showing the {len(drawn)} states nearest the start, of {machine.states}")
    inner = len(edges) - len(hidden_targets)
    if len(shown) < inner:
        notes.append(f"showing {len(shown)} of the {inner} edges between the states drawn")
    lines.append("  }")
    return [line for line in lines if line], notes


def _edges_shown(edges: list[tuple[int, int, str]], initial: int) -> list[tuple[int, int, str]]:
    """At most `MAX_EDGES_DRAWN` of the edges (in the order the states are met): first the one
    by which each state is first reached, so that every state drawn hangs on the graph, then the
    others."""
    reached, first = {initial}, []
    for edge in edges:
        if edge[1] not in reached:
            reached.add(edge[1])
            first.append(edge)
    chosen = set(first[:MAX_EDGES_DRAWN])
    chosen |= set([edge for edge in edges if edge not in chosen][: MAX_EDGES_DRAWN - len(chosen)])
    return [edge for edge in edges if edge in chosen]


def _nearest_first(machine: StateMachine) -> list[int]:
    """The states in the order a breadth-first walk from the start meets them; those it never
    meets (unreachable) last."""
    order, seen, queue = [], {machine.initial}, deque([machine.initial])
    while queue:
        state = queue.popleft()
        order.append(state)
        for target in machine.transitions[state]:
            if target >= 0 and target not in seen:
                seen.add(target)
                queue.append(target)
    return order + [s for s in range(machine.states) if s not in seen]


def _edges(machine: StateMachine, state: int) -> list[tuple[int, int, str]]:
    """(state, target, "inputs / output") for each target of `state`."""
    targets: dict[int, list] = {}
    for symbol, target in zip(machine.symbols, machine.transitions[state]):
        if target >= 0:
            targets.setdefault(target, []).append(from_tuple(symbol))
    return [
        (state, target, f"{inputs_text(symbols)} / {from_tuple(machine.outputs[target])!r}")
        for target, symbols in targets.items()
    ]


def inputs_text(symbols: Sequence) -> str:
    """Input values as a person would list them: runs of three or more consecutive integers as
    a..b, at most `MAX_INPUTS_ON_AN_EDGE` items and then how many more."""
    items: list[str] = []
    if all(isinstance(v, int) for v in symbols):
        values = sorted(symbols)
        start = 0
        for i in range(1, len(values) + 1):
            if i == len(values) or values[i] != values[i - 1] + 1:
                run = values[start:i]
                items += [f"{run[0]}..{run[-1]}"] if len(run) >= 3 else [str(v) for v in run]
                start = i
    else:
        items = [repr(v).replace(" ", "") for v in symbols]  # (0,1) (1,0): the commas inside, spaces between
    if len(items) > MAX_INPUTS_ON_AN_EDGE:
        items = items[: MAX_INPUTS_ON_AN_EDGE - 1] + [f"... {len(items) - MAX_INPUTS_ON_AN_EDGE + 1} more"]
    return ("," if all(isinstance(v, int) for v in symbols) else " ").join(items)


def _coordinates_of_states(
    machine: StateMachine, formulas: FormulaMachine, length: int
) -> dict[int, list[tuple[int, ...]]]:
    """For each state of the state machine, the coordinates the formulas are in whenever the
    state machine is in it, on inputs of at most `length` steps (the training length: past
    it, formulas that go on counting part from a table that stops), walking both side by
    side from their starts (at most `_PAIRS_WALKED` pairs). A state may have several: the
    formulas may keep more, such as the last input, than the state machine needs."""
    level = [(machine.initial, tuple(formulas.initial))]
    seen = set(level)
    for _ in range(length):
        after = []
        for state, coordinates in level:
            for symbol, target in zip(machine.symbols, machine.transitions[state]):
                if target < 0 or len(seen) >= _PAIRS_WALKED:
                    continue
                try:
                    pair = (target, formulas.step(coordinates, from_tuple(symbol))[0])
                except MACHINE_ERRORS:  # a formula that fails off the rows it was fitted on
                    continue
                if pair not in seen:
                    seen.add(pair)
                    after.append(pair)
        level = after
    values: dict[int, list[tuple[int, ...]]] = {}
    for state, coordinates in seen:
        values.setdefault(state, []).append(coordinates)
    return {state: sorted(found) for state, found in values.items()}


def _coordinates_text(values: list[tuple[int, ...]], names: Sequence[str]) -> list[str]:
    """One line per coordinate tuple, "cur=1 prev=0", at most `MAX_COORDINATES_PER_STATE`."""
    lines = [" ".join(f"{name}={v}" for name, v in zip(names, found)) for found in values]
    if len(lines) > MAX_COORDINATES_PER_STATE:
        lines = lines[: MAX_COORDINATES_PER_STATE - 1] + [f"... {len(lines) - MAX_COORDINATES_PER_STATE + 1} more"]
    return lines


def _coordinate_flow(machine: AffineMachine) -> list[str]:
    states, inputs = coordinate_names(machine), input_names(machine.input_dim)
    # Node ids stay s0, s1, ... (a name such as `count` could be a DOT keyword); labels carry the names.
    ids = [f"s{i}" for i in range(machine.state_dim)]
    lines = ["  node [shape=box];"] + [f"  {name} [shape=ellipse];" for name in inputs]
    for i, name in enumerate(states):
        constant = 0 if machine.input_table else machine.update[i][-1]  # a table holds the constant (as the program)
        extra = f" (+{constant})" if constant > 0 else f" ({constant})" if constant < 0 else ""
        lines.append(f"  {ids[i]} [label={dot_string(f'{name} start {machine.initial[i]}{extra}')}];")
    for i, row in enumerate(machine.update):
        for source, coefficient in zip(ids + inputs, row):
            if coefficient != 0:
                lines.append(f"  {source} -> {ids[i]} [label={dot_string(str(coefficient))}];")
        if machine.input_table:
            label = dot_string(_what_each_input_adds(machine, i), newline="\\l")
            lines.append(f"  {inputs[0]} -> {ids[i]} [label={label}, style=dashed];")
    for j, row in enumerate(machine.readout):
        out = f"y{j}"
        name = f"output{'' if len(machine.readout) == 1 else j}"
        lines.append(f"  {out} [shape=ellipse, label={dot_string(name)}];")
        for source, coefficient in zip(ids, row):
            if coefficient != 0:
                lines.append(f"  {source} -> {out} [label={dot_string(str(coefficient))}];")
    return lines


def _what_each_input_adds(machine: AffineMachine, i: int) -> str:
    """Coordinate i's column of the input table (with the update's constant, as the program's
    STEP), the inputs that add the same grouped: "adds\n0,2,4: +1\n1,3,5: +0\n"."""
    adds: dict = {}
    for symbol, row in zip(machine.symbols, machine.input_table):
        adds.setdefault(row[i] + machine.update[i][-1], []).append(from_tuple(symbol))
    return "adds\n" + "".join(
        f"{inputs_text(symbols)}: {'+' if value >= 0 else ''}{value}\n" for value, symbols in sorted(adds.items())
    )


# The programs that lay out a DOT file, in the order they are looked for: Graphviz's own, and
# graphviz-pure (a port of it that pip installs, with the same command line).
GRAPHVIZ_PROGRAMS = ("dot", "graphviz-pure")
DOT_MISSING = (
    "the Graphviz `dot` program is not installed, so the drawing was not rendered; install it "
    "(apt install graphviz, brew install graphviz, conda install graphviz, or pip install graphviz-pure) "
    "and run `dot -Tsvg FILE.dot -o FILE.svg`"
)


def render_dot(dot_file: Path, fmt: str = "svg", *, may_replace: bool = True) -> tuple[Path | None, str]:
    """Render a DOT file with Graphviz when it is installed: (the image, a message). The image
    goes beside the DOT file; without `may_replace` (a place the user chose for the DOT file),
    a file already there is not replaced: the user named the DOT file, not the image."""
    dot = next((found for found in map(shutil.which, GRAPHVIZ_PROGRAMS) if found), None)
    if dot is None:
        return None, DOT_MISSING
    image = dot_file.with_suffix(f".{fmt}")
    if image.is_symlink():  # dot would write through it, to wherever it points
        return None, f"not rendered: {image} is a symbolic link, which mips does not write through"
    if image == dot_file or (not may_replace and image.exists()):
        return None, (
            f"not rendered: {image} is there already and mips replaces only what it was given; "
            f"run `dot -T{fmt} {dot_file} -o FILE.{fmt}`"
        )
    try:
        done = subprocess.run([dot, f"-T{fmt}", str(dot_file), "-o", str(image)], capture_output=True, text=True)
    except OSError as exc:  # found on the PATH but cannot be run
        return None, f"dot could not be run: {exc.strerror or exc}"
    if done.returncode != 0:
        return None, f"dot failed: {' '.join(done.stderr.split())}"
    return image, f"rendered {image}"
