"""`mips inspect`'s pictures: the state graph of a machine written as formulas, the names the
program gives the coordinates, the plot of the hidden states, and rendering with Graphviz.
Hand-built machines and run folders: no training."""

from __future__ import annotations

import ast
import json
import os
import re
import stat
from fractions import Fraction

import jax
import numpy as np
import pytest

from mips.cli import main
from mips.emit import coordinate_names, emit_program
from mips.io import drawing
from mips.io.drawing import MAX_EDGES_DRAWN, MAX_STATES_DRAWN, inputs_text, machine_dot, render_dot
from mips.io.folders import mark_run_folder
from mips.io.inspection import machine_text, trace_rows, trace_text
from mips.io.runs import load_run, save_network
from mips.io.statesplot import states_figure
from mips.machines import AffineMachine, FormulaMachine, StateMachine
from mips.network.model import Arch, Encoding, Head, Network, init_params

F = Fraction
# The last two inputs: states 0..3 are (cur, prev) = (0, 0), (1, 0), (0, 1), (1, 1); output cur ^ prev.
LAST2 = StateMachine(0, ((0,), (1,)), ((0, 1), (2, 3), (0, 1), (2, 3)), ((0,), (1,), (1,), (0,)))
LAST2_FORMULAS = FormulaMachine(
    2, 1, ("x", "s0"), ("s0 ^ s1",), labels=("the input", "the input, 1 step back"), rewrites=4
)


def _graph_lines(dot: str) -> tuple[dict[str, str], list[tuple[str, str, str]]]:
    """The state nodes (id -> label) and edges (source, target, label) of a drawing."""
    nodes = dict(re.findall(r'^\s+(s\d+) \[label="([^"]*)"', dot, re.MULTILINE))
    edges = re.findall(r'^\s+(s\d+) -> (s\d+) \[label="([^"]*)"\];', dot, re.MULTILINE)
    return nodes, edges


def test_a_state_machine_written_as_formulas_is_drawn_as_its_graph_beside_its_formulas():
    dot = machine_dot(LAST2_FORMULAS, "last two", LAST2, length=6)
    nodes, edges = _graph_lines(dot)
    # every state, with the coordinates the formulas give it, named as in the program
    assert nodes == {
        "s0": "0\\ncur=0 prev=0",
        "s1": "1\\ncur=1 prev=0",
        "s2": "2\\ncur=0 prev=1",
        "s3": "3\\ncur=1 prev=1",
    }
    # every transition, with the input that takes it and the output after it
    assert sorted(edges) == [
        ("s0", "s0", "0 / 0"),
        ("s0", "s1", "1 / 1"),
        ("s1", "s2", "0 / 1"),
        ("s1", "s3", "1 / 0"),
        ("s2", "s0", "0 / 0"),
        ("s2", "s1", "1 / 1"),
        ("s3", "s2", "0 / 1"),
        ("s3", "s3", "1 / 0"),
    ]
    assert "start -> s0;" in dot
    box = re.search(r'rules \[shape=box, fontname=Courier, label="([^"]*)"\]', dot).group(1)
    assert box.split("\\l") == [
        "start: cur = 0, prev = 0",
        "cur: the input",
        "prev: the input, 1 step back",
        "after each input:",
        "  cur <- x",
        "  prev <- cur",
        "output = cur ^ prev",
        "",
    ]
    assert "rules -> start [style=invis];" in dot  # the box beside the graph


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # pydot's own use of pyparsing
def test_the_drawing_of_a_state_graph_with_formulas_parses_as_graphviz():
    import pydot

    (graph,) = pydot.graph_from_dot_data(machine_dot(LAST2_FORMULAS, 'a "title"', LAST2, length=6))
    clusters = {sub.get_name(): sub for sub in graph.get_subgraphs()}
    assert set(clusters) == {"cluster_states", "cluster_rules"}
    assert len(clusters["cluster_states"].get_edges()) == 8 + 1  # the transitions, and the arrow in at the start


def test_a_state_has_every_coordinate_value_the_formulas_give_it_within_the_length():
    """A counter that the table stops at 3 (state 3 stays put) while the formulas count on:
    within the length the walk reaches, state 3 is 3, 4, 5, ... ."""
    table = StateMachine(0, ((1,),), ((1,), (2,), (3,), (3,)), ((0,), (1,), (2,), (3,)))
    count = FormulaMachine(1, 1, ("s0 + x",), ("s0",), rewrites=4)
    nodes, _ = _graph_lines(machine_dot(count, "t", table, length=4))
    assert nodes["s3"] == "3\\ntotal=3\\ntotal=4"
    nodes, _ = _graph_lines(machine_dot(count, "t", table, length=8))
    assert nodes["s3"] == "3\\ntotal=3\\ntotal=4\\n... 4 more"  # at most three lines a state


def test_a_large_state_graph_draws_the_states_nearest_the_start_and_says_what_it_leaves_out():
    symbols = tuple((x,) for x in range(20))
    # 40 states; from each, input x goes x states on: 20 edges a state
    big = StateMachine(
        0, symbols, tuple(tuple((s + x) % 40 for x in range(20)) for s in range(40)), tuple((s % 3,) for s in range(40))
    )
    dot = machine_dot(big, "big")
    nodes, edges = _graph_lines(dot)
    assert len(nodes) == MAX_STATES_DRAWN and len(edges) == MAX_EDGES_DRAWN
    assert set(nodes) == {f"s{s}" for s in range(MAX_STATES_DRAWN)}  # met first from the start
    assert f'more [shape=box, style=dashed, label="{40 - MAX_STATES_DRAWN} more states"];' in dot
    label = re.search(r'^  label="([^"]*)";', dot, re.MULTILINE).group(1)
    assert f"showing the {MAX_STATES_DRAWN} states nearest the start, of 40" in label
    assert re.search(rf"showing {MAX_EDGES_DRAWN} of the \d+ edges between the states drawn", label)
    # every state drawn is reached by an edge drawn
    assert {target for _, target, _ in edges} | {"s0"} == set(nodes)


@pytest.mark.parametrize(
    "symbols, text",
    [
        ([0, 1], "0,1"),
        ([3, 0, 1, 2, 5, 7, 8], "0..3,5,7,8"),
        (list(range(100)), "0..99"),
        ([0, 2, 4, 6, 8, 10, 12, 14], "0,2,4,6,8,... 3 more"),
        ([(0, 1), (1, 0)], "(0,1) (1,0)"),
    ],
)
def test_the_inputs_on_an_edge_read_as_a_person_would_list_them(symbols, text):
    assert inputs_text(symbols) == text


def test_formulas_whose_state_machine_was_not_saved_are_drawn_alone_and_say_so():
    dot = machine_dot(LAST2_FORMULAS, "an old run folder")
    assert "the 4-state machine these formulas write was not saved with this run" in dot
    assert "cluster_states" not in dot and "prev <- cur\\l" in dot


def test_a_counters_input_table_is_drawn_on_its_edge():
    evens = AffineMachine(
        1,
        1,
        ((F(1), F(0), F(1)),),
        ((F(1), F(0)),),
        symbols=tuple((x,) for x in range(6)),
        input_table=tuple(((F(0),) if x % 2 == 0 else (F(-1),)) for x in range(6)),
    )
    dot = machine_dot(evens, "evens")
    assert 'x -> s0 [label="adds\\l1,3,5: +0\\l0,2,4: +1\\l", style=dashed];' in dot
    assert 's0 [label="count start 0"];' in dot  # the constant is in the table, as in the program


# ---------------------------------------------------------------------------
# The names: inspect calls each coordinate what the program calls it
# ---------------------------------------------------------------------------

NAMED = {
    "last-two": LAST2_FORMULAS,
    "sum-of-last-two": AffineMachine(2, 1, ((F(0), F(1), F(1), F(0)), (F(0), F(0), F(1), F(0))), ((F(1), F(0), F(0)),)),
    "count-and-remainder": FormulaMachine(2, 1, ("s0 + 1", "(s1 + x) % 3"), ("s1 * s0",)),
}


def _program_state_names(program: str) -> set[str]:
    """The names the program's loop assigns (its state variables)."""
    loop = next(node for node in ast.walk(ast.parse(program)) if isinstance(node, ast.For))
    names = set()
    for node in loop.body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                names |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
    return names - {"v", "v2", "v3"}  # parts computed once (`emit._computed_once`)


@pytest.mark.parametrize("machine", NAMED.values(), ids=NAMED.keys())
def test_inspect_names_the_coordinates_as_the_program_does(machine):
    names = coordinate_names(machine)
    assert _program_state_names(emit_program(machine, [])) == set(names)
    rules = "\n".join(machine_text(machine))
    assert not re.search(r"\bs\d+\b", rules) or any(re.fullmatch(r"s\d+", n) for n in names)
    for name in names:
        assert re.search(rf"\b{name} <- ", rules)
    header = trace_text([{"t": 1, "input": 1, "state": (0, 0)}], names)[0]
    assert f"machine state ({', '.join(names)})" in header


def test_the_names_are_the_readable_ones():
    assert coordinate_names(NAMED["last-two"]) == ["cur", "prev"]
    assert coordinate_names(NAMED["sum-of-last-two"]) == ["out", "cur"]
    assert coordinate_names(NAMED["count-and-remainder"]) == ["count", "s1"]
    assert coordinate_names(LAST2) == []


# ---------------------------------------------------------------------------
# Run folders by hand: the CLI's drawing and trace, the plot
# ---------------------------------------------------------------------------


def write_run(folder, machine, *, state_machine=None, network=None, values="0..1", length=6):
    """A run folder written by hand: report, config, machine.json (and state_machine.json, a network)."""
    folder.mkdir(exist_ok=True)
    mark_run_folder(folder)
    task = {
        "name": "Hand",
        "source": "built-in",
        "input_dim": 1,
        "output_dim": 1,
        "length": length,
        "input_values": values,
        "rule": "by hand",
    }
    report = {"format": 1, "task": task, "verdict": "VERIFIED: by hand", "network": None, "machine": None}
    (folder / "report.json").write_text(json.dumps({**report, "extraction": None}))
    (folder / "config.json").write_text("{}")
    (folder / "machine.json").write_text(json.dumps(machine.to_json()))
    if state_machine is not None:
        (folder / "state_machine.json").write_text(json.dumps(state_machine.to_json()))
    if network is not None:
        save_network(network, folder)
    return folder


def random_network(values=(0, 1)) -> Network:
    encoding = Encoding(1, values, 1.0, True, (Head("classes", (0, 1)),))
    params = jax.tree_util.tree_map(np.asarray, init_params(Arch(2), encoding, key=jax.random.key(0)))
    return Network(Arch(2), encoding, params)


def test_cli_inspect_draws_the_saved_state_graph_and_names_the_trace(tmp_path, capsys):
    folder = write_run(tmp_path / "run", LAST2_FORMULAS, state_machine=LAST2)
    assert main(["inspect", str(folder), "--trace", "1,1,0"]) == 0
    out = capsys.readouterr().out
    assert "    cur <- x" in out and "    prev <- cur" in out
    assert "the 4-state machine the formulas write:" in out and "0 (start)" in out
    assert "machine state (cur, prev)" in out
    nodes, edges = _graph_lines((folder / "machine.dot").read_text())
    assert len(nodes) == 4 and len(edges) == 8


@pytest.fixture
def plots():
    import matplotlib.pyplot as plt

    figures = []
    yield figures
    for figure in figures:
        plt.close(figure)


def _legend(figure) -> list[str]:
    legend = figure.axes[0].get_legend()
    return [text.get_text() for text in legend.get_texts()] if legend else []


@pytest.mark.parametrize(
    "machine, entries",
    [
        (StateMachine(0, ((0,), (1,)), ((0, 1), (1, 0)), ((0,), (1,))), ["state 0", "state 1"]),
        (FormulaMachine(1, 1, ("s0 ^ x",), ("s0",), rewrites=2), ["out=0", "out=1"]),
    ],
    ids=["table", "formulas"],
)
def test_a_two_state_machine_is_plotted_in_two_colours_with_a_legend(tmp_path, plots, machine, entries):
    figure = states_figure(load_run(write_run(tmp_path / "run", machine, network=random_network())), sequences=20)
    plots.append(figure)
    assert _legend(figure) == entries
    assert len(figure.axes) == 1  # no colour bar
    title = figure._suptitle.get_text()
    assert f"the {machine.shape}" in title and "lattice" not in title


def test_a_machine_of_many_states_gets_a_named_colour_scale(tmp_path, plots):
    total = AffineMachine(1, 1, ((F(1), F(1), F(0)),), ((F(1), F(0)),))  # the ones so far: 0 .. 40
    figure = states_figure(load_run(write_run(tmp_path / "run", total, network=random_network(), length=40)))
    plots.append(figure)
    assert _legend(figure) == [] and len(figure.axes) == 2
    assert figure.axes[1].get_ylabel() == "total"  # the colour bar, named as in the program


def lattice_network() -> Network:
    """A network whose hidden state is (the sum so far, the input): h0 <- h0 + x, h1 <- x."""
    encoding = Encoding(1, (0, 1, 2), 1.0, False, (Head("regression", scale=1.0),))
    params = {
        "f": {"Dense_0": {"kernel": np.array([[1.0, 0.0], [0.0, 0.0], [1.0, 1.0]]), "bias": np.zeros(2)}},
        "g": {"Dense_0": {"kernel": np.array([[1.0], [0.0]]), "bias": np.zeros(1)}},
    }
    return Network(Arch(2, f_depth=1, g_depth=1), encoding, params)


SUM_AND_INPUT = AffineMachine(2, 1, ((F(1), F(0), F(1), F(0)), (F(0), F(0), F(1), F(0))), ((F(1), F(0), F(0)),))


def test_a_lattice_machine_is_plotted_with_its_basis_vectors_and_integer_grid(tmp_path, plots):
    from matplotlib.text import Annotation

    folder = write_run(tmp_path / "run", SUM_AND_INPUT, network=lattice_network(), values="0..2", length=8)
    figure = states_figure(load_run(folder), sequences=30)
    plots.append(figure)
    axis = figure.axes[0]
    annotations = [a for a in axis.texts if isinstance(a, Annotation)]
    arrows = [a for a in annotations if a.arrow_patch is not None]
    assert len(arrows) == 2  # one per coordinate
    # the hidden state is (total, cur): the basis vectors are the unit vectors, drawn 1, 2, 5, ... steps long
    for arrow, unit in zip(arrows, [(1, 0), (0, 1)]):
        start, tip = np.array(arrow.xyann), np.array(arrow.xy)
        step = tip - start
        assert np.allclose(step / np.linalg.norm(step), unit, atol=1e-3)
    assert {a.get_text() for a in annotations if a.arrow_patch is None} == {"total", "cur"}
    assert len(axis.lines) > 4  # the grid
    assert "arrows:" in figure._suptitle.get_text() and "2-dimensional integer lattice" in figure._suptitle.get_text()


def test_no_basis_is_drawn_where_the_hidden_states_are_no_image_of_the_lattice(tmp_path, plots):
    from matplotlib.text import Annotation

    folder = write_run(tmp_path / "run", SUM_AND_INPUT, network=random_network((0, 1, 2)), values="0..2", length=8)
    figure = states_figure(load_run(folder), sequences=30)
    plots.append(figure)
    assert not [a for a in figure.axes[0].texts if isinstance(a, Annotation) and a.arrow_patch is not None]
    assert "no basis drawn" in figure._suptitle.get_text()


# ---------------------------------------------------------------------------
# Rendering with Graphviz: a stand-in `dot` on the PATH
# ---------------------------------------------------------------------------


def fake_graphviz(folder, name="dot", *, fails=False):
    """An executable `name` that does what `dot -Tsvg IN -o OUT` does to files: writes OUT
    (here, a note of its arguments), or fails as dot does on a bad file."""
    folder.mkdir(exist_ok=True)
    script = folder / name
    if fails:
        body = 'echo "Error: syntax error in line 1" >&2\nexit 1\n'
    else:
        body = 'printf "<svg><!-- %s --></svg>" "$*" > "$4"\n'
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return folder


def test_the_drawing_is_rendered_to_svg_when_graphviz_is_installed(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", f"{fake_graphviz(tmp_path / 'bin')}{os.pathsep}{os.environ['PATH']}")
    folder = write_run(tmp_path / "run", LAST2_FORMULAS, state_machine=LAST2)
    assert main(["inspect", str(folder), "--no-plot"]) == 0
    assert f"rendered {folder / 'machine.svg'}" in capsys.readouterr().out
    assert (
        folder / "machine.svg"
    ).read_text() == f"<svg><!-- -Tsvg {folder / 'machine.dot'} -o {folder / 'machine.svg'} --></svg>"


def test_graphviz_pure_renders_when_dot_is_not_installed(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(fake_graphviz(tmp_path / "bin", "graphviz-pure")))  # and no dot
    dot_file = tmp_path / "m.dot"
    dot_file.write_text(machine_dot(LAST2, "t"))
    image, message = render_dot(dot_file)
    assert image == tmp_path / "m.svg" and image.read_text().startswith("<svg>") and message == f"rendered {image}"


def test_a_failing_dot_is_a_note_and_inspection_goes_on(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(fake_graphviz(tmp_path / "bin", fails=True)))
    folder = write_run(tmp_path / "run", LAST2)
    assert main(["inspect", str(folder), "--no-plot", "--trace", "1,0"]) == 0
    out = capsys.readouterr().out
    assert "dot failed: Error: syntax error in line 1" in out and "machine state" in out
    assert not (folder / "machine.svg").exists()


def test_without_graphviz_the_drawing_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    dot_file = tmp_path / "m.dot"
    dot_file.write_text(machine_dot(LAST2, "t"))
    assert render_dot(dot_file) == (None, drawing.DOT_MISSING)
    assert "pip install graphviz-pure" in drawing.DOT_MISSING


# ---------------------------------------------------------------------------
# --trace inputs off the task: refused before anything is shown or written
# ---------------------------------------------------------------------------


def test_a_trace_input_off_the_task_is_refused_before_any_work(tmp_path, capsys):
    folder = write_run(tmp_path / "run", LAST2_FORMULAS, state_machine=LAST2, network=random_network())
    assert main(["inspect", str(folder), "--trace", "1,0,3"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # nothing shown
    assert captured.err == "mips: error: --trace: 3 is not one of the task's input values (0..1)\n"
    assert not (folder / "machine.dot").exists() and not (folder / "states.png").exists()  # nothing written


def test_the_trace_of_a_formula_machine_runs_beside_its_state_machine(tmp_path):
    """The trace's machine column is the formulas' state, as named in its header."""
    run = load_run(write_run(tmp_path / "run", LAST2_FORMULAS, state_machine=LAST2))
    rows = trace_rows(run, [1, 1, 0])
    assert [r["state"] for r in rows] == [(1, 0), (1, 1), (0, 1)]
    assert [r["machine"] for r in rows] == LAST2.run([1, 1, 0]) == [r["program"] for r in rows]
