"""Lower layers never import higher ones (../shared/STYLE.md), and mips/ never names a task."""

import ast
from pathlib import Path

import pytest

MIPS = Path(__file__).resolve().parents[1] / "mips"

# Each module and the layer it sits in; a module may import only from its own layer or lower ones.
LAYERS = {
    "errors": 0, "usercode": 0, "task": 0, "datafile": 0, "folders": 0, "provenance": 0, "jsonread": 0,
    "jaxsetup": 0, "arrays": 0,
    "data": 1, "trace": 1, "machines": 1, "model": 2, "bank": 2,
    "train": 3, "simplify": 3,
    "fsm": 4, "lattice": 4, "behaviour": 4, "counters": 4,
    "regress": 5, "symbolic": 5, "boolean": 5, "rules": 5, "coordinates": 5,
    "emit": 6,
    "verify": 7,
    "pipeline": 8,
    "report": 9, "runs": 10, "bench": 10,
    "inspection": 11,
    "cli": 12, "__main__": 13, "__init__": 0,
    "tasks": 12,  # the built-in tasks: names are looked up at the edge only (the CLI)
}
HEAVY = {"jax", "flax", "optax"}


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            if node.module == "mips":  # from mips import tasks (a module, not a name such as __version__)
                found |= {f"mips.{alias.name}" for alias in node.names
                          if (MIPS / f"{alias.name}.py").is_file() or (MIPS / alias.name).is_dir()}
    return found


@pytest.mark.parametrize("module", sorted(p.stem for p in MIPS.glob("*.py")))
def test_module_imports_point_downwards(module):
    assert module in LAYERS, f"mips/{module}.py has no layer in tests/test_layers.py"
    for name in _imports(MIPS / f"{module}.py"):
        if name.startswith("mips."):
            target = name.split(".")[1]
            assert LAYERS[target] <= LAYERS[module], f"{module} imports the higher layer {target}"
        root = name.split(".")[0]
        if root in HEAVY:
            assert module in {"model", "bank", "train", "pipeline", "jaxsetup"}, f"{module} imports {root}"


def test_built_in_tasks_import_only_the_task_type():
    for path in (MIPS / "tasks").glob("*.py"):
        for name in _imports(path):
            if name.startswith("mips"):
                assert name in {"mips.task", "mips.tasks.benchmark"}, f"mips/tasks/{path.name} imports {name}"


def test_verification_is_independent_of_what_it_checks():
    names = _imports(MIPS / "verify.py")
    assert not any(n.split(".")[-1] in {"model", "train", "fsm", "lattice", "regress", "emit"} for n in names)


def test_pipeline_never_names_a_benchmark_task():
    from mips import tasks

    for path in MIPS.glob("*.py"):  # the stages; the task definitions in mips/tasks/ are not among them
        text = path.read_text()
        named = [name for name in tasks.NAMES if name in text]
        assert not named, f"{path.name} names {named}"
