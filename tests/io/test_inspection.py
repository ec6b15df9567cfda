"""`mips inspect`: tables, formulas, DOT drawings and step-by-step traces of saved runs."""

import json
import os
import re
from fractions import Fraction

import pytest

from mips import tasks
from mips.cli import main
from mips.data import DataConfig
from mips.errors import RunError
from mips.io.drawing import machine_dot
from mips.io.inspection import machine_text, parse_inputs, trace_rows, trace_text
from mips.io.runs import load_run, save_run
from mips.machines import AffineMachine, FormulaMachine, StateMachine
from mips.network.train import SearchConfig, TrainConfig
from mips.pipeline import PipelineConfig, synthesize
from mips.regress.affine import RegressConfig
from mips.regress.coordinates import CoordinateConfig

F = Fraction
# s0, s1 <- s1 + x, x; output s0: the sum of the last two inputs.
SUM_LAST2 = AffineMachine(
    state_dim=2,
    input_dim=1,
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
    lines = machine_text(SUM_LAST2)  # s0 <- s1 + x, s1 <- x, output s0: named as the program names them
    assert "    out <- cur + x" in lines
    assert "    cur <- x" in lines
    assert "  output = out" in lines


def test_dot_of_a_state_machine_groups_inputs_per_edge():
    """Each edge says which inputs take it and the output after it."""
    dot = machine_dot(StateMachine(0, ((0,), (1,)), ((1, 1), (0, 1)), ((0,), (1,))), "t")
    assert dot.startswith('digraph "t" {') and dot.rstrip().endswith("}")
    assert 's0 -> s1 [label="0,1 / 1"];' in dot
    assert 's1 -> s0 [label="0 / 0"];' in dot and 's1 -> s1 [label="1 / 1"];' in dot
    assert dot.count("{") == dot.count("}")


def test_dot_of_a_lattice_draws_each_coefficient():
    dot = machine_dot(SUM_LAST2, "Sum_Last2: lattice")
    for edge in ('s1 -> s0 [label="1"]', 'x -> s0 [label="1"]', 'x -> s1 [label="1"]', 's0 -> y0 [label="1"]'):
        assert edge in dot
    assert "s0 -> s1" not in dot
    assert 's0 [label="out start 0"]' in dot and 's1 [label="cur start 0"]' in dot  # the program's names
    assert "out <- cur + x\\l" in dot  # and its rules in a box beside


FORMULAS = FormulaMachine(2, 1, ("x", "s0"), ("abs(s0 - s1)",))


def test_formula_machine_reads_as_its_rules():
    lines = machine_text(FORMULAS)  # s0 <- x, s1 <- s0: the input and the one before, as the program says
    assert "    cur <- x" in lines and "    prev <- cur" in lines and "  output = abs(cur - prev)" in lines


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # pydot's own use of pyparsing
@pytest.mark.parametrize("machine", [PARTIAL, SUM_LAST2, FORMULAS], ids=["fsm", "lattice", "formula"])
def test_dot_output_parses_as_graphviz(machine):
    """A Graphviz parser (pydot) reads every kind of drawing: the syntax the `dot` program renders."""
    import pydot

    graphs = pydot.graph_from_dot_data(machine_dot(machine, "A title: with 'quotes'"))
    assert graphs and len(graphs) == 1
    parts = [graphs[0]] + graphs[0].get_subgraphs()  # a state graph and a box of rules are drawn in clusters
    assert any(part.get_nodes() or part.get_edges() for part in parts)


@pytest.mark.parametrize(
    "text, dim, expected",
    [
        ("1,0,1", 1, [1, 0, 1]),
        (" 3, -2 ", 1, [3, -2]),
        ("[4, 5]", 1, [4, 5]),
        ("[[1, 2], [0, 3]]", 2, [(1, 2), (0, 3)]),
    ],
)
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
        search=SearchConfig(max_hidden=1, wide_width=0),
        extract_sequences=256,
        coordinates=CoordinateConfig(enabled=False),  # the state machine stays a table here
        regress=RegressConfig(counted_symbols=0),  # and is not counted past either
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
    assert text[0].split() == [
        "t",
        "input",
        "network",
        "hidden",
        "state",
        "network",
        "out",
        "machine",
        "state",
        "machine",
        "out",
        "program",
        "out",
    ]
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
    assert "program.py is the program mips writes for machine.json" in out  # as `synthesize` wrote it


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


# ---------------------------------------------------------------------------
# A run folder is data: hand-made folders (no training), some of them hostile
# ---------------------------------------------------------------------------

PARITY = StateMachine(initial=0, symbols=((0,), (1,)), transitions=((0, 1), (1, 0)), outputs=((0,), (1,)))


def write_run(folder, machine=PARITY, *, program: str | None = None, network: bool = False, name="Parity"):
    """A run folder written by hand: report, config, machine.json, and program.py or a network when asked."""
    from mips.io.folders import mark_run_folder
    from mips.io.runs import save_network
    from mips.network.model import Arch, Encoding, Head, Network, init_params

    folder.mkdir(exist_ok=True)
    mark_run_folder(folder)  # as save_run does
    task = {
        "name": name,
        "source": "built-in",
        "input_dim": 1,
        "output_dim": 1,
        "length": 6,
        "input_values": "0..1",
        "rule": "parity",
    }
    (folder / "report.json").write_text(
        json.dumps(
            {
                "format": 1,
                "task": task,
                "verdict": "VERIFIED: by hand",
                "network": None,
                "machine": None,
                "extraction": None,
            }
        )
    )
    (folder / "config.json").write_text("{}")
    (folder / "machine.json").write_text(json.dumps(machine.to_json()))
    if program is not None:
        (folder / "program.py").write_text(program)
    if network:
        import jax
        import numpy as np

        encoding = Encoding(1, (0, 1), 1.0, True, (Head("classes", (0, 1)),))
        params = jax.tree_util.tree_map(np.asarray, init_params(Arch(2), encoding, key=jax.random.key(0)))
        save_network(Network(Arch(2), encoding, params), folder)
    return folder


def test_cli_inspect_of_a_formula_machine_prints_its_formulas_and_traces_its_state(tmp_path, capsys):
    """Most solved programs are formula machines: `mips inspect` shows the start, what each
    coordinate is and each rule, draws the rules, and traces the integer state step by step."""
    from mips.emit import emit_program

    ones = FormulaMachine(
        2,
        1,
        ("(s0 + x) % 3", "s1 + 1 if x == 1 else 0"),
        ("max(s0, s1)",),
        labels=("the ones so far, mod 3", "the ones in a row"),
    )
    folder = write_run(tmp_path / "run", ones, program=emit_program(ones, ["Ones: by hand"]), name="Ones")
    assert main(["inspect", str(folder), "--no-plot"]) == 0
    out = capsys.readouterr().out.splitlines()
    # The coordinates as the program names them (s1 + ... reads as a total to `readable_names`).
    rules = [
        "integer state: 2 coordinate(s), start (0, 0)",
        "  s0: the ones so far, mod 3",
        "  total: the ones in a row",
        "  after each input:",
        "    s0 <- (s0 + x) % 3",
        "    total <- total + 1 if x == 1 else 0",
        "  output = max(s0, total)",
    ]
    start = out.index(rules[0])
    assert out[start : start + len(rules)] == rules
    assert "def program(inputs):" in out  # printed (without --trace), never run
    assert "    total = 0  # the ones in a row" in out and "    s0 = 0  # the ones so far, mod 3" in out
    dot = (folder / "machine.dot").read_text()
    assert dot.startswith('digraph "Ones: the 2-dimensional integer state with symbolic formulas" {')
    assert "total <- total + 1 if x == 1 else 0\\l" in dot

    assert main(["inspect", str(folder), "--no-plot", "--trace", "1,1,0,1"]) == 0
    out = capsys.readouterr().out.splitlines()
    header = out.index("t  input  machine state (s0, total)  machine out  program out")
    rows = [re.split(r"\s{2,}", line) for line in out[header + 1 : header + 5]]  # columns: 2 spaces or more
    # t, input, the state (both coordinates), the machine's output and the program's
    assert rows == [
        ["1", "1", "(1, 1)", "1", "1"],
        ["2", "1", "(2, 2)", "2", "2"],
        ["3", "0", "(2, 0)", "2", "2"],
        ["4", "1", "(0, 1)", "1", "1"],
    ]
    assert out[header + 5].startswith("program.py is the program mips writes for machine.json")


def test_trace_never_runs_the_folders_program(tmp_path, capsys):
    """program.py is data: the program column is what mips writes for the machine."""
    marker = tmp_path / "program-ran"
    hostile = (
        f'"""Parity."""\nimport pathlib\npathlib.Path({str(marker)!r}).write_text("at import")\n\n\n'
        f'def program(inputs):\n    pathlib.Path({str(marker)!r}).write_text("when called")\n'
        "    return [7 for _ in inputs]\n"
    )
    folder = write_run(tmp_path / "run", program=hostile)
    assert main(["inspect", str(folder), "--trace", "1,0,1"]) == 0
    assert not marker.exists()
    out = capsys.readouterr().out
    assert "program.py differs from what the machine gives; it was not run" in out
    rows = trace_rows(load_run(folder), [1, 0, 1])
    assert [r["program"] for r in rows] == [1, 1, 0] == [r["machine"] for r in rows]


def test_trace_says_when_program_py_is_the_program_the_machine_gives(tmp_path, capsys):
    from mips.emit import emit_program

    folder = write_run(tmp_path / "run", program=emit_program(PARITY, ["Parity, verified by hand", 'with "quotes"']))
    assert main(["inspect", str(folder), "--trace", "1,1"]) == 0
    assert "program.py is the program mips writes for machine.json" in capsys.readouterr().out
    # the same code after a docstring that hides a statement is not the same program
    tampered = '"""Parity."""; import os\n' + emit_program(PARITY, []).split('"""\n', 2)[2]
    (folder / "program.py").write_text(tampered)
    assert main(["inspect", str(folder), "--trace", "1,1"]) == 0
    assert "program.py differs from what the machine gives" in capsys.readouterr().out


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # pydot's own use of pyparsing
def test_dot_escapes_every_label():
    """Quotes, backslashes and line breaks in a title or a coordinate's label stay inside their
    DOT strings (as \\", \\\\ and \\n), and other characters are written as they are."""
    import pydot

    title = 'Tâche "quoted" \\ back\\slash\nsecond line'
    labels = FormulaMachine(1, 1, ("s0 + x",), ("s0",), labels=('count of "1" \\ so far',))
    for machine in (PARTIAL, SUM_LAST2, labels):
        dot = machine_dot(machine, title)
        graphs = pydot.graph_from_dot_data(dot)
        assert graphs and len(graphs) == 1
        assert graphs[0].get_label().startswith('"Tâche \\"quoted\\" \\\\ back\\\\slash\\nsecond line')
    assert 'count of \\"1\\" \\\\ so far\\l' in machine_dot(labels, title)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_a_task_name_with_quotes_and_backslashes_still_draws(tmp_path, capsys):
    import pydot

    folder = write_run(tmp_path / "run", name='Pär"ity\\')
    assert main(["inspect", str(folder)]) == 0
    graphs = pydot.graph_from_dot_data((folder / "machine.dot").read_text(encoding="utf-8"))
    assert graphs[0].get_label().startswith('"Pär\\"ity\\\\: the 2-state machine\\n')


@pytest.mark.parametrize(
    "text, message",
    [
        ("9223372036854775808", "9223372036854775808 does not fit in 64 bits"),
        ("[-9223372036854775809]", "does not fit in 64 bits"),
        ("1,5", "5 is not one of the task's input values (0..1)"),
        ("[0, -1]", "-1 is not one of the task's input values (0..1)"),
        ("[" * 100_000 + "]" * 100_000, "give comma-separated integers or a JSON list"),
        ("[[[1]]]", "each step needs 1 integer(s)"),
        ('["1"]', "each step needs 1 integer(s)"),
        ("[1.0]", "each step needs 1 integer(s)"),
        ('[{"x": 1}]', "each step needs 1 integer(s)"),
        ("[]", "no inputs given"),
    ],
)
def test_trace_inputs_must_be_the_tasks_values(text, message):
    with pytest.raises(RunError) as caught:
        parse_inputs(text, 1, "0..1")
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_trace_inputs_may_be_any_listed_value():
    assert parse_inputs("1,5,3", 1, "1,3,5") == [1, 5, 3]
    assert parse_inputs("[[1, 3]]", 2, "1,3,5") == [(1, 3)]
    with pytest.raises(RunError, match="2 is not one of the task's input values"):
        parse_inputs("[[1, 2]]", 2, "1,3,5")


def test_cli_trace_of_a_value_off_the_task_is_one_line(tmp_path, capsys):
    folder = write_run(tmp_path / "run")
    assert main(["inspect", str(folder), "--trace", "0,1,2"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "2 is not one of the task's input values (0..1)" in err


def test_a_run_folder_that_cannot_be_written_still_inspects(tmp_path, capsys, monkeypatch):
    """Writing the drawing and the plot fails (as in a read-only folder, which does not stop
    root, so the refusal is made where the files are written): each is skipped with a note,
    and the rest is shown."""
    import pathlib

    import mips.io.statesplot

    folder = write_run(tmp_path / "run", network=True)
    real_write_text = pathlib.Path.write_text

    def refuse(path, *args, **kwargs):
        if path.parent == folder:
            raise PermissionError(13, "Permission denied")
        return real_write_text(path, *args, **kwargs)

    def refuse_plot(run, path):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(pathlib.Path, "write_text", refuse)
    monkeypatch.setattr(mips.io.statesplot, "plot_states", refuse_plot)
    assert main(["inspect", str(folder), "--trace", "1,1"]) == 0
    out = capsys.readouterr().out
    assert f"drawing skipped: cannot write {folder / 'machine.dot'}" in out and "with --dot FILE" in out
    assert f"plot skipped: cannot write {folder / 'states.png'}" in out and "with --plot FILE" in out
    assert "state machine: 2 states" in out and re.search(r"^2\s+1\s+\(", out, re.MULTILINE)


def test_nothing_is_written_into_a_folder_that_mips_did_not_mark(tmp_path, capsys):
    """A run folder without the marker (from a mips before it, or made by hand) is read, and
    nothing is written into it: the drawing and the plot need --dot and --plot."""
    folder = write_run(tmp_path / "run", network=True)
    (folder / ".mips-run").unlink()
    (folder / "machine.dot").write_text("mine")
    assert main(["inspect", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "drawing skipped" in out and "not a run folder that mips marked" in out and "plot skipped" in out
    assert (folder / "machine.dot").read_text() == "mine" and not (folder / "states.png").exists()


def test_a_drawing_of_the_users_choosing_never_replaces_an_image_beside_it(tmp_path, monkeypatch):
    from mips.io.drawing import render_dot

    monkeypatch.setattr("shutil.which", lambda name: "/usr/bin/true")  # as if Graphviz were installed
    dot_file = tmp_path / "notes.dot"
    dot_file.write_text("digraph {}")
    (tmp_path / "notes.svg").write_text("mine")
    image, message = render_dot(dot_file, may_replace=False)
    assert image is None and "is there already" in message
    assert (tmp_path / "notes.svg").read_text() == "mine"
    image, message = render_dot(tmp_path / "drawing.svg", may_replace=False)  # --dot x.svg: not over itself
    assert image is None


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_run_folder_still_inspects(tmp_path, capsys):
    folder = write_run(tmp_path / "run")
    folder.chmod(0o555)
    try:
        assert main(["inspect", str(folder)]) == 0
    finally:
        folder.chmod(0o755)
    assert "drawing skipped: cannot write" in capsys.readouterr().out


def test_a_link_in_the_run_folder_is_not_written_through(tmp_path, capsys):
    outside = tmp_path / "precious.txt"
    outside.write_text("mine")
    folder = write_run(tmp_path / "run")
    (folder / "machine.dot").symlink_to(outside)
    assert main(["inspect", str(folder)]) == 0
    assert outside.read_text() == "mine"
    assert "drawing skipped" in capsys.readouterr().out


def test_an_explicit_place_that_cannot_be_written_is_one_line(tmp_path, capsys):
    folder = write_run(tmp_path / "run", network=True)
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    assert main(["inspect", str(folder), "--dot", str(blocker / "machine.dot"), "--no-plot"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"--dot {blocker / 'machine.dot'}: cannot write it" in err
    assert main(["inspect", str(folder), "--dot", str(tmp_path / "m.dot"), "--plot", str(tmp_path / "p.xyz")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--plot" in err and "cannot write .xyz files" in err
