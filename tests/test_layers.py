"""The folders are the architecture: lower layers never import higher ones (../shared/STYLE.md),
heavy dependencies stay in their rooms, and mips/ never names a task."""

import ast
from pathlib import Path

import pytest

MIPS = Path(__file__).resolve().parents[1] / "mips"

# Each module (dotted, under mips) and its layer; a module may import only from its own layer or
# lower ones. The packages are the pipeline's stages: network < extract < regress, and machines
# (what extraction and regression hand on) below all three.
LAYERS = {
    "__init__": 0,
    "errors": 0,
    "events": 0,  # progress events: the stages and the bench report them, io.display draws them
    "usercode": 0,
    "task": 0,
    "datafile": 0,
    "jaxsetup": 0,
    "arrays": 0,
    "io.folders": 0,
    "io.provenance": 0,
    "io.jsonread": 0,
    "data": 1,
    "machines": 1,
    "machines.base": 1,
    "machines.table": 1,
    "machines.affine": 1,
    "machines.language": 1,
    "machines.formula": 1,
    "network.trace": 1,
    "network.arch": 0,
    "network.given": 1,
    "extract.states": 1,
    "choose": 2,
    "network.model": 2,
    "network.bank": 2,
    "network.train": 3,
    "network.simplify": 3,
    "extract.clusters": 4,
    "extract.lattice": 4,
    "extract.behaviour": 4,
    "extract.counters": 4,
    "regress.affine": 5,
    "regress.symbolic": 5,
    "regress.boolean": 5,
    "regress.rules": 5,
    "regress.coordinates": 5,
    "regress.enumeration": 5,
    "regress.linear": 5,
    "regress.checks": 5,
    "regress.basis": 5,
    "emit": 6,
    "verify": 7,
    "pipeline": 8,
    "results": 8,  # results names the config and the stage values for annotations only
    "io.report": 9,
    "io.runs": 10,
    "bench": 10,
    "cluster": 10,  # bench's Dask route; bench imports it on that route alone
    "io.drawing": 11,
    "io.statesplot": 11,
    "io.inspection": 11,
    "io.display": 11,
    "api": 12,  # the Python interface: names resolved here, as in the command line
    "cli": 12,
    "__main__": 13,
    # A package's __init__: a docstring, or the stage's one call (extract, regress.fit).
    "network": 0,
    "io": 0,
    "extract": 4,
    "regress": 5,
    "tasks": 12,  # the built-in tasks: names are looked up at the edge only (the CLI)
}
# Where each heavy dependency may be imported (module names as in LAYERS, or a package prefix).
ROOMS = {
    "jax": ("network.model", "network.bank", "network.train", "pipeline", "jaxsetup"),
    "flax": ("network.model",),
    "optax": ("network.train",),
    "sympy": ("regress.", "extract.counters"),
    "matplotlib": ("io.statesplot",),
    "rich": ("io.display",),
    "dask": ("cluster",),
    "distributed": ("cluster",),
}


def _modules() -> list[str]:
    """Every module of mips/ outside the built-in tasks, dotted ("network.train"; a package's
    __init__ by its package name, "machines")."""
    names = []
    for path in MIPS.rglob("*.py"):
        parts = path.relative_to(MIPS).with_suffix("").parts
        if parts[0] == "tasks":
            continue
        if parts[-1] == "__init__" and len(parts) > 1:
            parts = parts[:-1]
        names.append(".".join(parts))
    return sorted(names)


def _path(module: str) -> Path:
    base = MIPS.joinpath(*module.split("."))
    return base / "__init__.py" if base.is_dir() else base.with_suffix(".py")


def _layer_of(imported: str) -> tuple[str, int] | None:
    """The LAYERS entry an import of `mips.<imported>` lands in (a package's __init__ counts
    as the package; `mips.tasks.benchmark` as tasks)."""
    parts = imported.split(".")
    for n in range(len(parts), 0, -1):
        name = ".".join(parts[:n])
        if name in LAYERS:
            return name, LAYERS[name]
    return None


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            package = MIPS.joinpath(*node.module.split(".")[1:]) if node.module.startswith("mips") else None
            for alias in node.names:  # from mips.network import bank: the module, not the package
                if package is not None and (
                    (package / f"{alias.name}.py").is_file() or (package / alias.name).is_dir()
                ):
                    found.add(f"{node.module}.{alias.name}")
                else:
                    found.add(node.module)
    return found


@pytest.mark.parametrize("module", _modules())
def test_module_imports_point_downwards(module):
    assert module in LAYERS, f"mips.{module} has no layer in tests/test_layers.py"
    for name in _imports(_path(module)):
        if name.startswith("mips."):
            target = _layer_of(name.removeprefix("mips."))
            assert target is not None, f"{module} imports {name}, which has no layer"
            assert target[1] <= LAYERS[module], f"{module} imports the higher layer {target[0]}"


@pytest.mark.parametrize("module", _modules())
def test_heavy_dependencies_stay_in_their_rooms(module):
    for name in _imports(_path(module)):
        root = name.split(".")[0]
        if root in ROOMS:
            assert any(module == room or (room.endswith(".") and module.startswith(room)) for room in ROOMS[root]), (
                f"mips.{module} imports {root}"
            )


def test_the_layers_name_no_module_that_is_gone():
    assert set(LAYERS) - {"tasks"} <= set(_modules())


def test_built_in_tasks_import_only_the_task_type():
    for path in (MIPS / "tasks").glob("*.py"):
        for name in _imports(path):
            if name.startswith("mips"):
                assert name in {"mips.task", "mips.tasks.benchmark"}, f"mips/tasks/{path.name} imports {name}"


def test_verification_is_independent_of_what_it_checks():
    names = _imports(MIPS / "verify.py")
    assert not any(n.startswith(("mips.network", "mips.extract", "mips.regress", "mips.emit")) for n in names)


def test_pipeline_never_names_a_benchmark_task():
    from mips import tasks

    stages = [p for p in MIPS.rglob("*.py") if "tasks" not in p.relative_to(MIPS).parts]
    assert len(stages) > 30
    for path in stages:  # the stages; the task definitions in mips/tasks/ are not among them
        text = path.read_text()
        named = [name for name in tasks.NAMES if name in text]
        assert not named, f"{path.relative_to(MIPS)} names {named}"


def test_reading_and_reporting_a_result_imports_no_stage_and_no_jax():
    import subprocess
    import sys

    script = (
        "import sys, mips.io.report, mips.results, mips.choose; "
        "print(sorted(m for m in sys.modules if m in {'jax', 'flax', 'mips.pipeline', 'mips.network.model', 'mips.network.train', 'mips.network.simplify'}))"
    )
    found = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout.strip()
    assert found == "[]"
