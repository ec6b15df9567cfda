"""Data files (`mips.datafile`): examples as JSON Lines, every problem one short line."""

from __future__ import annotations

import json
import re

import pytest
from task_files import SHORT_MESSAGE, load_error

from mips.datafile import load_data_file
from mips.errors import TaskError
from mips.task import define_task

# ---------------------------------------------------------------------------
# Data files
# ---------------------------------------------------------------------------


def running_max(xs):
    out, best = [], 0
    for x in xs:
        best = max(best, x)
        out.append(best)
    return out


# Ten valid one-number-per-step rows: eight of length 6, two of length 4; values 0, 2, 5, 7.
VALID_ROWS = [
    {"inputs": xs, "outputs": running_max(xs)}
    for xs in (
        [0, 2, 5, 0, 2, 7],
        [7, 0, 0, 2, 5, 5],
        [2, 2, 2, 2, 2, 2],
        [5, 0, 7, 2, 0, 0],
        [0, 0, 0, 0, 0, 5],
        [2, 5, 2, 5, 2, 5],
        [7, 7, 0, 0, 2, 2],
        [0, 5, 0, 7, 0, 2],
        [5, 2, 0, 7],
        [2, 0, 5, 0],
    )
]


def write_data(tmp_path, lines, name="data.jsonl") -> str:
    """Write a data file; dict lines are JSON-encoded, strings are written as they are."""
    path = tmp_path / name
    path.write_text("".join((json.dumps(line) if isinstance(line, dict) else line) + "\n" for line in lines))
    return str(path)


def data_error(path) -> TaskError:
    with pytest.raises(TaskError) as info:
        load_data_file(path)
    assert len(str(info.value)) < SHORT_MESSAGE, str(info.value)
    return info.value


def test_valid_data_file_loads(tmp_path):
    path = write_data(tmp_path, VALID_ROWS, name="running_max.jsonl")
    task = load_data_file(path)
    assert task.name == "running_max"
    assert task.input_dim == 1
    assert task.output_dim == 1
    assert task.length == 6  # the most common length
    assert task.input_values == (0, 2, 5, 7)  # sorted values seen
    assert len(task.examples) == 10
    assert task.examples[0] == ((0, 2, 5, 0, 2, 7), (0, 2, 5, 5, 5, 7))
    assert not task.has_reference
    assert task.source == path


def test_valid_two_input_data_file_loads(tmp_path):
    rows = [
        {"inputs": [[a, b], [b, a], [a, a]], "outputs": [[a + b, a * b], [a + b, a * b], [2 * a, a * a]]}
        for a, b in [(0, 1), (1, 2), (2, 3), (3, 0), (1, 1), (0, 0), (2, 2), (3, 1), (1, 3)]
    ]
    task = load_data_file(write_data(tmp_path, rows))
    assert task.input_dim == 2
    assert task.output_dim == 2
    assert task.length == 3
    assert task.input_values == (0, 1, 2, 3)
    assert len(task.examples) == 9
    assert task.examples[0] == (((0, 1), (1, 0), (0, 0)), ((1, 0), (1, 0), (0, 0)))


def test_data_file_blank_lines_are_skipped(tmp_path):
    lines = [VALID_ROWS[0], "", "   "] + VALID_ROWS[1:]
    task = load_data_file(write_data(tmp_path, lines))
    assert len(task.examples) == 10


@pytest.mark.parametrize(
    "bad_line, expected",
    [
        pytest.param(
            {"inputs": [[0, 1], [1], [1, 0]], "outputs": [0, 1, 1]}, "line 11: ragged steps", id="ragged-inputs"
        ),
        pytest.param(
            {"inputs": [0, 1, 1], "outputs": [[0, 1], 1, [1, 0]]}, "line 11: ragged steps", id="ragged-outputs"
        ),
        pytest.param({"inputs": [0, 1, 2], "outputs": [0, 1]}, "line 11: 3 inputs but 2 outputs", id="length-mismatch"),
        pytest.param({"inputs": [], "outputs": []}, "line 11: inputs and outputs must be non-empty", id="empty-lists"),
        pytest.param(
            {"inputs": "0120", "outputs": "0122"},
            "line 11: inputs and outputs must be non-empty lists",
            id="strings-not-lists",
        ),
        pytest.param(
            {"inputs": ["0", "1"], "outputs": [0, 1]}, "line 11: every step must be an integer", id="string-values"
        ),
        pytest.param(
            {"inputs": [0.5, 1.0], "outputs": [0, 1]}, "line 11: every step must be an integer", id="float-values"
        ),
        pytest.param(
            {"inputs": [0, 1], "outputs": [0, 1.0]}, "line 11: every step must be an integer", id="float-outputs"
        ),
        pytest.param(
            {"inputs": [[0, "a"], [1, 1]], "outputs": [0, 1]},
            "line 11: every step must be an integer",
            id="string-in-step",
        ),
        pytest.param('{"inputs": [0, 1], "outputs": [0, 1]', "line 11: not JSON", id="truncated-json"),
        pytest.param("inputs=0,1 outputs=0,1", "line 11: not JSON", id="not-json"),
        pytest.param('{"inputs": [0, 1]}', 'line 11: expected an object with "inputs" and "outputs"', id="no-outputs"),
        pytest.param("[[0, 1], [0, 1]]", "line 11: expected an object", id="array-row"),
    ],
)
def test_bad_data_line_is_named(tmp_path, bad_line, expected):
    err = data_error(write_data(tmp_path, VALID_ROWS + [bad_line]))
    assert any(expected in p for p in err.problems), err.problems
    assert expected in str(err)


def test_inconsistent_input_shapes_across_rows(tmp_path):
    two_number_rows = [
        {"inputs": [[0, 1], [1, 1]], "outputs": [1, 0]},
        {"inputs": [[1, 0], [0, 0]], "outputs": [1, 1]},
    ]
    err = data_error(write_data(tmp_path, VALID_ROWS + two_number_rows))
    (problem,) = err.problems
    assert problem.startswith("inconsistent inputs")
    assert "2 number(s) per step on lines 11, 12" in problem
    assert "1 number(s) per step on lines 1, 2, 3, 4, 5 and 5 more" in problem


def test_inconsistent_output_shapes_across_rows(tmp_path):
    rows = VALID_ROWS + [{"inputs": [0, 1], "outputs": [[0, 0], [1, 1]]}]
    err = data_error(write_data(tmp_path, rows))
    assert any(p.startswith("inconsistent outputs") and "lines 11" in p for p in err.problems), err.problems


@pytest.mark.parametrize(
    "lines",
    [pytest.param([], id="empty-file"), pytest.param(["", "  "], id="blank-lines-only")],
)
def test_data_file_without_examples(tmp_path, lines):
    err = data_error(write_data(tmp_path, lines))
    assert err.problems == ["no examples in the file"]


@pytest.mark.parametrize("count", [1, 5, 7])
def test_data_file_with_too_few_examples(tmp_path, count):
    err = data_error(write_data(tmp_path, VALID_ROWS[:count]))
    (problem,) = err.problems
    assert f"only {count} examples" in problem
    assert "at least 8" in problem


def test_data_file_with_exactly_eight_examples_loads(tmp_path):
    task = load_data_file(write_data(tmp_path, VALID_ROWS[:8]))
    assert len(task.examples) == 8


def test_several_bad_data_lines_are_all_reported(tmp_path):
    lines = list(VALID_ROWS)
    lines[1] = "not json at all"
    lines[4] = {"inputs": [[0, 1], [1]], "outputs": [0, 1]}
    lines[6] = {"inputs": [0, 1, 2], "outputs": [0]}
    err = data_error(write_data(tmp_path, lines))
    assert len(err.problems) >= 3
    message = str(err)
    assert "line 2: not JSON" in message
    assert "line 5: ragged steps" in message
    assert "line 7: 3 inputs but 1 outputs" in message


def test_missing_data_file(tmp_path):
    path = tmp_path / "nowhere.jsonl"
    err = data_error(path)
    assert err.problems == ["no such file"]
    assert str(path) in str(err)


def test_a_data_file_of_several_tasks_is_refused(tmp_path):
    import json

    path = tmp_path / "mixed.jsonl"
    rows = [{"task": "A" if i % 2 else "B", "inputs": [0, 1], "outputs": [1, 0]} for i in range(10)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with pytest.raises(TaskError) as caught:
        load_data_file(path)
    assert "one task per file" in str(caught.value)


def test_data_file_fingerprint_follows_its_examples_not_its_name(tmp_path):
    first = load_data_file(write_data(tmp_path, VALID_ROWS, name="first.jsonl"))
    renamed = load_data_file(write_data(tmp_path, VALID_ROWS, name="renamed.jsonl"))
    changed_rows = VALID_ROWS[:-1] + [{"inputs": [2, 0, 5, 0], "outputs": [2, 2, 5, 6]}]
    changed = load_data_file(write_data(tmp_path, changed_rows, name="changed.jsonl"))
    assert re.fullmatch(r"[0-9a-f]{16}", first.fingerprint)
    assert renamed.fingerprint == first.fingerprint
    assert changed.fingerprint != first.fingerprint


# ---------------------------------------------------------------------------
# Data files: encodings, layout, sizes, names
# ---------------------------------------------------------------------------


def write_bytes(tmp_path, data: bytes, name="data.jsonl") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def valid_text() -> str:
    return "".join(json.dumps(row) + "\n" for row in VALID_ROWS)


def test_data_file_with_a_utf8_bom_loads(tmp_path):
    task = load_data_file(write_bytes(tmp_path, b"\xef\xbb\xbf" + valid_text().encode()))
    assert len(task.examples) == 10


@pytest.mark.parametrize(
    "encoding, expected",
    [
        pytest.param("utf-16", "is UTF-16 text; save it as UTF-8", id="utf-16"),
        pytest.param("utf-32", "is UTF-32 text; save it as UTF-8", id="utf-32"),
        pytest.param("utf-16-le", "holds NUL bytes", id="utf-16-without-bom"),
    ],
)
def test_data_file_in_another_encoding_is_one_problem(tmp_path, encoding, expected):
    err = data_error(write_bytes(tmp_path, valid_text().encode(encoding)))
    (problem,) = err.problems
    assert problem.startswith(expected), problem


def test_data_file_not_in_utf8_names_the_byte_offset(tmp_path):
    lines = valid_text().encode().split(b"\n")
    lines[2] = b'{"task": "caf\xe9", ' + lines[2][1:]  # Latin-1
    data = b"\n".join(lines)
    err = data_error(write_bytes(tmp_path, data))
    (problem,) = err.problems
    offset = data.index(b"\xe9")
    assert problem == f"is not UTF-8 text: byte 0xe9 at offset {offset:,} (line 3); save it as UTF-8"


@pytest.mark.parametrize("where", [pytest.param(0, id="first-line"), pytest.param(10, id="last-line")])
def test_deeply_nested_data_line_is_one_problem(tmp_path, where):
    lines = list(VALID_ROWS)
    lines.insert(where, "[" * 100_000)
    err = data_error(write_data(tmp_path, lines))
    assert f"line {where + 1}: nested too deeply" in err.problems


@pytest.mark.parametrize(
    "document",
    [
        pytest.param(lambda: json.dumps(VALID_ROWS, indent=2), id="pretty-array"),
        pytest.param(lambda: json.dumps(VALID_ROWS), id="one-line-array"),
        pytest.param(lambda: json.dumps({"examples": VALID_ROWS}, indent=2), id="pretty-object"),
        pytest.param(lambda: json.dumps(VALID_ROWS * 300, indent=2), id="large-pretty-array"),
    ],
)
def test_data_file_of_one_json_document_is_one_problem(tmp_path, document):
    err = data_error(write_bytes(tmp_path, document().encode()))
    (problem,) = err.problems
    assert "a data file has one JSON object per line (JSON Lines)" in problem, problem


def test_many_bad_lines_show_five_problems_and_a_count(tmp_path):
    err = data_error(write_data(tmp_path, ["not json"] * 1000))
    assert len(err.problems) == 6
    assert err.problems[:5] == [f"line {n}: not JSON (Expecting value)" for n in range(1, 6)]
    assert err.problems[5] == "and 995 more problems"


def test_pretty_printed_objects_one_after_another_stay_a_short_message(tmp_path):
    text = "\n".join(json.dumps(row, indent=2) for row in VALID_ROWS * 100)
    err = data_error(write_bytes(tmp_path, text.encode()))  # checks the message is short
    assert err.problems[-1].endswith("more problems")


def test_data_file_that_is_a_folder_is_not_a_file(tmp_path):
    folder = tmp_path / "data.jsonl"
    folder.mkdir()
    assert data_error(folder).problems == ["not a file (a folder)"]
    task_folder = tmp_path / "task.py"
    task_folder.mkdir()
    assert load_error(task_folder).problems == ["not a file (a folder)"]


@pytest.mark.parametrize(
    "value, expected",
    [
        pytest.param(2**63, "line 11: the value 9223372036854775808 does not fit in 64 bits", id="2**63"),
        pytest.param(-(2**63), "line 11: the value -9223372036854775808 does not fit in 64 bits", id="-2**63"),
        pytest.param(10**5000, "line 11: a number does not fit in 64 bits", id="5001-digits"),
    ],
)
def test_data_value_outside_int64_is_a_problem_of_its_line(tmp_path, value, expected):
    import sys

    with_digits = getattr(sys, "set_int_max_str_digits", None)
    if with_digits:  # json.dumps itself refuses to write such a number otherwise
        previous = sys.get_int_max_str_digits()
        sys.set_int_max_str_digits(0)
    try:
        line = json.dumps({"inputs": [0, value], "outputs": [0, 0]})
    finally:
        if with_digits:
            sys.set_int_max_str_digits(previous)
    err = data_error(write_data(tmp_path, VALID_ROWS + [line]))
    assert any(p.startswith(expected) for p in err.problems), err.problems


@pytest.mark.parametrize(
    "file_name, expected",
    [
        pytest.param("..jsonl", "data", id="dot"),
        pytest.param("....jsonl", "data", id="dots"),
        pytest.param(".hidden.jsonl", "hidden", id="hidden"),
        pytest.param("my data (v2).jsonl", "my_data__v2_", id="spaces-and-brackets"),
        pytest.param("-dash.jsonl", "dash", id="leading-dash"),
        pytest.param("café.jsonl", "caf_", id="non-ascii"),
        pytest.param("x" * 200 + ".jsonl", "x" * 100, id="long"),
    ],
)
def test_data_file_name_is_always_a_valid_task_name(tmp_path, file_name, expected):
    task = load_data_file(write_data(tmp_path, VALID_ROWS, name=file_name))
    assert task.name == expected
    # The rule for NAME: the name becomes a folder name.
    define_task(name=task.name, input_dim=1, length=2, input_values=[0], reference=lambda xs: list(xs))
