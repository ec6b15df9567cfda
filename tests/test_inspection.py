"""`mips inspect`: tables, formulas, DOT drawings and step-by-step traces of saved runs."""

import json
import re
from fractions import Fraction

import pytest

from mips import tasks
from mips.cli import main
from mips.data import DataConfig
from mips.errors import RunError
from mips.inspection import machine_dot, machine_text, parse_inputs, trace_rows, trace_text
from mips.machines import AffineMachine, FormulaMachine, StateMachine
from mips.coordinates import CoordinateConfig
from mips.pipeline import PipelineConfig, synthesize
from mips.runs import load_run, save_run
from mips.train import SearchConfig, TrainConfig

F = Fraction
# s0, s1 <- s1 + x, x; output s0: the sum of the last two inputs.
SUM_LAST2 = AffineMachine(
    state_dim=2, input_dim=1,
    update=((F(0), F(1), F(1), F(0)), (F(0), F(0), F(1), F(0))),
    readout=((F(1), F(0), F(0)),),
)
PARTIAL = StateMachine(initial=0, symbols=((0,), (1,)), transitions=((1, 1), (1, -1)), outputs=((0,), (7,)))


def test_state_machine_table_marks_the_start_and_unseen_transitions():
    lines = machine_text(PARTIAL)
    assert "some transitions were never observed" in lines[0]
    assert re.search(r"0 \(start\)\s+0\s+1\s+1", lines[2])
    assert re.search(r"^\s+1\s+7\s+1\s+never seen$", lines[3])


def test_lattice_formulas_read_as_the_update():
    lines = machine_text(SUM_LAST2)
    assert "    s0 <- s1 + x" in lines
    assert "    s1 <- x" in lines
    assert "  output = s0" in lines


def test_dot_of_a_state_machine_groups_inputs_per_edge():
    dot = machine_dot(StateMachine(0, ((0,), (1,)), ((1, 1), (0, 1)), ((0,), (1,))), "t")
    assert dot.startswith('digraph "t" {') and dot.rstrip().endswith("}")
    assert 's0 -> s1 [label="0,1"];' in dot
    assert 's1 -> s0 [label="0"];' in dot and 's1 -> s1 [label="1"];' in dot
    assert dot.count("{") == dot.count("}")


def test_dot_of_a_lattice_draws_each_coefficient():
    dot = machine_dot(SUM_LAST2, "Sum_Last2: lattice")
    for edge in ('s1 -> s0 [label="1"]', 'x -> s0 [label="1"]', 'x -> s1 [label="1"]', 's0 -> y0 [label="1"]'):
        assert edge in dot
    assert "s0 -> s1" not in dot


FORMULAS = FormulaMachine(2, 1, ("x", "s0"), ("abs(s0 - s1)",))


def test_formula_machine_reads_as_its_rules():
    lines = machine_text(FORMULAS)
    assert "    s0 <- x" in lines and "    s1 <- s0" in lines and "  output = abs(s0 - s1)" in lines


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # pydot's own use of pyparsing
@pytest.mark.parametrize("machine", [PARTIAL, SUM_LAST2, FORMULAS], ids=["fsm", "lattice", "formula"])
def test_dot_output_parses_as_graphviz(machine):
    """A Graphviz parser (pydot) reads every kind of drawing: the syntax the `dot` program renders."""
    import pydot

    graphs = pydot.graph_from_dot_data(machine_dot(machine, "A title: with 'quotes'"))
    assert graphs and len(graphs) == 1
    assert graphs[0].get_nodes() or graphs[0].get_edges()


@pytest.mark.parametrize("text, dim, expected", [
    ("1,0,1", 1, [1, 0, 1]),
    (" 3, -2 ", 1, [3, -2]),
    ("[4, 5]", 1, [4, 5]),
    ("[[1, 2], [0, 3]]", 2, [(1, 2), (0, 3)]),
])
def test_trace_inputs_parse(text, dim, expected):
    assert parse_inputs(text, dim) == expected


@pytest.mark.parametrize("text, dim", [("1,a", 1), ("", 1), ("[[1, 2]]", 1), ("[1, 2]", 2), ("[true]", 1)])
def test_bad_trace_inputs_are_errors(text, dim):
    with pytest.raises(RunError):
        parse_inputs(text, dim)


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    config = PipelineConfig(
        data=DataConfig(train_sequences=512, heldout_sequences=256),
        train=TrainConfig(seeds=4, max_steps=1000, polish_steps=100),
        search=SearchConfig(max_hidden=1),
        extract_sequences=256,
        coordinates=CoordinateConfig(enabled=False),  # the state machine stays a table here
    )
    result = synthesize(tasks.get("Parity_All"), config)
    assert result.verdict.verified, result.verdict.summary()
    return save_run(result, tmp_path_factory.mktemp("runs") / "Parity_All")


def test_trace_shows_network_machine_and_program_agreeing(run_folder):
    inputs = [1, 0, 1, 1, 0, 1]
    rows = trace_rows(load_run(run_folder), inputs)
    expected = tasks.get("Parity_All").run_reference(inputs)
    assert [r["network"] for r in rows] == expected
    assert [r["machine"] for r in rows] == expected
    assert [r["program"] for r in rows] == expected
    assert all(len(r["hidden"]) == 1 for r in rows)
    text = trace_text(rows)
    assert text[0].split() == ["t", "input", "network", "hidden", "state", "network", "out", "machine", "state",
                               "machine", "out", "program", "out"]
    assert len(text) == 1 + len(inputs)


def test_trace_past_the_alphabet_says_where_the_machine_stopped(run_folder):
    rows = trace_rows(load_run(run_folder), [1, 5])
    assert "not in the machine's alphabet" in rows[0]["machine_error"]
    assert any(line.startswith("machine stopped:") for line in trace_text(rows))


def test_cli_inspect_prints_the_machine_and_writes_a_drawing(run_folder, capsys):
    assert main(["inspect", str(run_folder)]) == 0
    out = capsys.readouterr().out
    assert "state machine: 2 states" in out and "def program(inputs):" in out
    dot = (run_folder / "machine.dot").read_text()
    assert dot.startswith("digraph") and "start -> s0;" in dot
    custom = run_folder.parent / "drawing.dot"
    assert main(["inspect", str(run_folder), "--dot", str(custom), "--trace", "1,1,0"]) == 0
    out = capsys.readouterr().out
    assert custom.is_file()
    assert re.search(r"^3\s+0\s+\(", out, re.MULTILINE)  # the trace's third row


def test_cli_inspect_refuses_what_is_not_a_run(tmp_path, capsys):
    assert main(["inspect", str(tmp_path)]) == 2
    assert "not a mips run folder" in capsys.readouterr().err
    (tmp_path / "report.json").write_text(json.dumps({"format": 999}))
    (tmp_path / "config.json").write_text("{}")
    assert main(["inspect", str(tmp_path)]) == 2
    assert "run format 999" in capsys.readouterr().err


def test_cli_inspect_saves_a_plot_of_the_hidden_states(run_folder, capsys):
    target = run_folder.parent / "plot.png"
    assert main(["inspect", str(run_folder), "--plot", str(target)]) == 0
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"plot of the hidden states: {target}" in capsys.readouterr().out
    (run_folder / "states.png").unlink(missing_ok=True)
    assert main(["inspect", str(run_folder), "--no-plot"]) == 0
    assert not (run_folder / "states.png").exists()
