"""Run folders: everything a run produced, written atomically, and read back.

A run folder holds program.py, report.json (the verdict and what was found),
config.json (the resolved configuration), network.npz + network.json (the
trained weights and how to rebuild the network), machine.json (the
extracted machine), state_machine.json (when that machine is a state machine written
as formulas: the state machine, for its drawing; run folders saved before it lack it)
and a marker file that says mips wrote it. It is written
to a temporary sibling folder and renamed into place, so an interrupted run
never leaves a half-written folder. An earlier run folder of the same name is
replaced only when it is one that mips wrote and holds nothing else
(`mips.io.folders.check_run_target`); a user's folder or file is never touched.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from mips.errors import RunError
from mips.io.folders import check_run_target, current_umask, discard_run_folder, mark_run_folder
from mips.io.jsonread import json_field, json_int, json_ints, json_kind, json_list, json_object, json_text
from mips.io.report import FORMAT_VERSION, build_report
from mips.machines import FormulaMachine, Machine, StateMachine, machine_from_json
from mips.network.model import Arch, Encoding, Head, Network
from mips.network.train import Attempt, SearchResult
from mips.pipeline import PipelineConfig
from mips.results import RunResult, SavedSearch
from mips.task import INT_LIMIT, Task

REQUIRED = ("report.json", "config.json")
STATE_MACHINE = "state_machine.json"  # the state machine that machine.json writes as formulas


def save_run(result: RunResult, out_dir: str | Path) -> Path:
    """Write the run folder; raises OutputError (before writing anything) when `out_dir`
    is not a place mips may write a run to."""
    out_dir = Path(out_dir)
    check_run_target(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        os.chmod(staging, 0o777 & ~current_umask())  # mkdtemp makes the folder private; a run folder is not
        mark_run_folder(staging)
        _write_json(staging / "report.json", build_report(result))
        _write_json(staging / "config.json", asdict(result.config))
        if result.program is not None:
            (staging / "program.py").write_text(result.program)
        if result.network is not None:
            save_network(result.network, staging)
        if result.simplified is not None and result.simplified.kept:
            save_network(result.simplified.network, staging, "simplified")
        if result.chosen is not None:
            _write_json(staging / "machine.json", result.chosen.machine.to_json())
            if result.chosen.state_machine is not None:
                _write_json(staging / STATE_MACHINE, result.chosen.state_machine.to_json())
        _replace(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out_dir


def _replace(staging: Path, target: Path) -> None:
    """Move `staging` to `target`, replacing a previous run folder (or an empty folder) there."""
    if target.exists() and any(target.iterdir()):
        check_run_target(target)  # again, just before: it must still be ours alone
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=target.parent))
        os.replace(target, old / "run")
        os.replace(staging, target)
        discard_run_folder(old / "run")
        os.rmdir(old)
    else:  # a rename replaces an empty folder in one step
        os.replace(staging, target)


def _write_json(path: Path, data) -> None:
    path.write_text(json.dumps(data, indent=2, default=_json_default) + "\n")


def _json_default(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def save_network(network: Network, folder: Path, name: str = "network") -> None:
    """network.npz (weights) and network.json (architecture, encoding); `name` "simplified"
    for the simplify stage's network."""
    flat = {}

    def walk(tree, prefix):
        for name, value in tree.items():
            if isinstance(value, dict):
                walk(value, f"{prefix}{name}/")
            else:
                flat[f"{prefix}{name}"] = np.asarray(value)

    walk(network.params, "")
    np.savez(folder / f"{name}.npz", **flat)
    _write_json(folder / f"{name}.json", {"arch": asdict(network.arch), "encoding": asdict(network.encoding)})


def load_network(folder: Path, name: str = "network") -> Network:
    """The trained network of a run folder (with `name` "simplified": the simplified one).
    RunError, naming the file, when network.json or network.npz is missing or corrupt, or the
    weights do not have the shapes of the network that network.json describes."""
    meta_file, weights_file = folder / f"{name}.json", folder / f"{name}.npz"
    meta = _read_json(meta_file)
    try:
        json_object(meta, "the file")
        arch = _arch(json_object(json_field(meta, "arch"), "arch"), "arch")
        encoding = _encoding(json_object(json_field(meta, "encoding"), "encoding"))
    except ValueError as exc:
        raise RunError(f"{meta_file}: {exc}") from None
    if not weights_file.is_file():
        raise RunError(f"{weights_file} is missing ({meta_file.name} is there); run `mips synthesize` again")
    # The arrays' headers are checked before any array is read: a file may claim (and
    # decompress to) far more than the network it names.
    problem = _shape_problem(_read_arrays(weights_file, headers_only=True), arch, encoding)
    if problem:
        raise RunError(f"{weights_file}: {problem}, so it is not the network that {meta_file.name} describes")
    arrays = _read_arrays(weights_file)
    params: dict = {}
    for name, array in arrays.items():
        node = params
        *parents, leaf = name.split("/")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = array
    return Network(arch, encoding, params)


def _arch(data: dict, what: str) -> Arch:
    unknown = sorted(set(data) - {"hidden", "f_depth", "g_depth", "width"})
    if unknown:
        raise ValueError(f"{what} has unknown fields ({', '.join(unknown)})")
    return Arch(
        **{
            key: json_int(json_field(data, key, f"{what}."), f"{what}.{key}", low=1, high=_ARCH_LIMIT)
            for key in ("hidden", "f_depth", "g_depth", "width")
        }
    )


_ARCH_LIMIT = 4096  # far past any network mips trains (hidden sizes up to 1,024)


_INT32 = (-(2**31), 2**31 - 1)  # the network's outputs are int32 (`mips.network.model.decode`)
INT64 = (-INT_LIMIT + 1, INT_LIMIT - 1)  # its inputs are int64; |v| < 2**63, as for a task's numbers


def _encoding(data: dict) -> Encoding:
    values = json_ints(
        json_field(data, "input_values", "encoding."), "encoding.input_values", low=INT64[0], high=INT64[1]
    )
    if not values:
        raise ValueError("encoding.input_values is empty")
    one_hot = json_field(data, "one_hot", "encoding.")
    if not isinstance(one_hot, bool):
        raise ValueError(f"encoding.one_hot must be true or false, got {json_kind(one_hot)}")
    heads = json_list(json_field(data, "heads", "encoding."), "encoding.heads")
    if not heads:
        raise ValueError("encoding.heads is empty: a network gives at least one output number")
    return Encoding(
        input_dim=json_int(json_field(data, "input_dim", "encoding."), "encoding.input_dim", low=1),
        input_values=values,
        input_scale=_positive_number(json_field(data, "input_scale", "encoding."), "encoding.input_scale"),
        one_hot=one_hot,
        heads=tuple(_head(h, f"encoding.heads[{i}]") for i, h in enumerate(heads)),
    )


def _head(data, what: str) -> Head:
    json_object(data, what)
    kind = json_field(data, "kind", f"{what}.")
    if kind not in ("classes", "regression"):
        raise ValueError(f'{what}.kind must be "classes" or "regression", got {json_kind(kind)}')
    values = json_ints(json_field(data, "values", f"{what}."), f"{what}.values", low=_INT32[0], high=_INT32[1])
    if kind == "classes" and not values:
        raise ValueError(f"{what}.values is empty: a classification head has at least one class")
    return Head(kind, values, _positive_number(json_field(data, "scale", f"{what}."), f"{what}.scale"))


def _positive_number(value, what: str) -> float:
    if type(value) not in (int, float) or not 0 < value < float("inf"):
        raise ValueError(f"{what} must be a positive number, got {json_kind(value)}")
    return float(value)


def _read_arrays(path: Path, *, headers_only: bool = False) -> dict:
    """The arrays of an .npz file (with `headers_only`: each one's (shape, dtype), read
    from its header alone); never unpickled (a pickle can run code)."""
    try:
        arrays = np.load(path, allow_pickle=False)
        if not isinstance(arrays, np.lib.npyio.NpzFile):  # one array (an .npy file)
            raise ValueError("one array, not a set of named arrays (.npz)")
        with arrays:
            if headers_only:
                return {name: _header(arrays.zip, name) for name in arrays.files}
            return {name: arrays[name] for name in arrays.files}
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, MemoryError) as exc:
        if "pickle" in str(exc):  # numpy's own message would suggest loading it unsafely
            raise RunError(
                f"{path} is corrupt: not an .npz file of arrays (it would have to be unpickled, "
                "and mips never unpickles what a run folder holds)"
            ) from None
        raise RunError(f"{path} is corrupt: {type(exc).__name__}: {exc}") from None


def _header(archive: zipfile.ZipFile, name: str) -> tuple[tuple[int, ...], np.dtype]:
    with archive.open(f"{name}.npy") as member:
        version = np.lib.format.read_magic(member)
        read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, _, dtype = read(member)
    return shape, dtype


def _shape_problem(headers: dict[str, tuple], arch: Arch, encoding: Encoding) -> str | None:
    """What is wrong with the arrays (their (shape, dtype)) as the weights of `arch` (None
    when they fit)."""
    if len(headers) != 2 * (arch.f_depth + arch.g_depth):  # a kernel and a bias per layer
        return f"it holds {len(headers)} arrays, where {arch.describe()} has {2 * (arch.f_depth + arch.g_depth)}"
    for name, shape in parameter_shapes(arch, encoding).items():
        if name not in headers:
            return f"it has no array {name}"
        found, dtype = headers[name]
        if found != shape or not np.issubdtype(dtype, np.floating):
            return f"{name} is {dtype} of shape {found}, not floats of shape {shape}"
    return None


def parameter_shapes(arch: Arch, encoding: Encoding) -> dict[str, tuple[int, ...]]:
    """The shape of every array `mips.network.model.init_params` makes (flattened names, "f/Dense_0/kernel"),
    worked out rather than made: a saved architecture may name sizes far larger than the file it
    comes with, and making them would take that much memory. tests/test_runs.py checks that
    these are init_params's shapes."""
    shapes = {}
    for module, depth, size_in, size_out in (
        ("f", arch.f_depth, arch.hidden + encoding.feature_size, arch.hidden),
        ("g", arch.g_depth, arch.hidden, encoding.output_width),
    ):
        sizes = [size_in] + [arch.width] * (depth - 1) + [size_out]  # an MLP: Dense layers, `width` between
        for i in range(depth):
            shapes[f"{module}/Dense_{i}/kernel"] = (sizes[i], sizes[i + 1])
            shapes[f"{module}/Dense_{i}/bias"] = (sizes[i + 1],)
    return shapes


@dataclass(frozen=True)
class SavedRun:
    """A run folder as read back and checked by `load_run`: each part is well-formed, and the
    machine and network read as many numbers per step as the task."""

    folder: Path
    report: dict
    program: str | None
    network: Network | None
    machine: Machine | None
    simplified: Network | None = None  # the simplify stage's network, when it kept anything
    # The state machine that `machine` writes as formulas (None for other machines, and for run
    # folders saved before state_machine.json was written).
    state_machine: StateMachine | None = None

    @property
    def read_network(self) -> Network | None:
        """The network the machine was read from (the simplified one, or the trained one)."""
        read = (self.report.get("simplify") or {}).get("read")
        return self.simplified if read == "simplified" and self.simplified is not None else self.network


def load_run(folder: str | Path) -> SavedRun:
    """Read a run folder, which is data (it may come from anyone): nothing in it is run, and
    anything missing, corrupt or inconsistent is a one-line RunError naming the file.
    network.json (with network.npz), machine.json, state_machine.json and program.py are optional."""
    folder = Path(folder)
    try:
        is_folder = folder.is_dir()
    except OSError as exc:  # a name too long, say
        raise RunError(f"{str(folder)[:80]}: {exc.strerror or exc}") from None
    if not is_folder:
        raise RunError(f"{folder}: not a folder (give the output folder of `mips synthesize`)")
    missing = [name for name in REQUIRED if not (folder / name).is_file()]
    if missing:
        raise RunError(f"{folder}: not a mips run folder (missing {', '.join(missing)})")
    report = _read_json(folder / "report.json")
    if not isinstance(report, dict):
        raise RunError(f"{folder / 'report.json'} is corrupt: a report is a JSON object, this is {json_kind(report)}")
    if report.get("format") != FORMAT_VERSION:
        raise RunError(
            f"{folder}: run format {report.get('format')!r}, this mips reads format {FORMAT_VERSION}; "
            "run `mips synthesize` again"
        )
    try:
        check_report(report)
    except ValueError as exc:
        raise RunError(f"{folder / 'report.json'}: {exc}") from None
    program = _read_text(folder / "program.py") if (folder / "program.py").is_file() else None
    network = load_network(folder) if (folder / "network.json").is_file() else None
    simplified = load_network(folder, "simplified") if (folder / "simplified.json").is_file() else None
    machine = _load_machine(folder / "machine.json") if (folder / "machine.json").is_file() else None
    input_dim = report["task"]["input_dim"]
    for name, net in (("network", network), ("simplified", simplified)):
        if net is not None and net.encoding.input_dim != input_dim:
            raise RunError(
                f"{folder / (name + '.json')}: the network reads {net.encoding.input_dim} number(s) per "
                f"step, the task in report.json {input_dim}"
            )
    if machine is not None and _input_width(machine) != input_dim:
        raise RunError(
            f"{folder / 'machine.json'}: the machine reads {_input_width(machine)} number(s) per step, "
            f"the task in report.json {input_dim}"
        )
    state_machine = _load_state_machine(folder / STATE_MACHINE, machine) if (folder / STATE_MACHINE).is_file() else None
    return SavedRun(folder, report, program, network, machine, simplified, state_machine)


def _read_text(path: Path) -> str:
    try:
        return path.read_text()
    except OSError as exc:
        raise RunError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise RunError(f"{path} is corrupt: not text ({exc.reason} at byte {exc.start})") from None


def _read_json(path: Path):
    text = _read_text(path)
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:  # RecursionError: nested too deeply
        raise RunError(f"{path} is corrupt: {exc}") from None


def _load_machine(path: Path) -> Machine:
    data = _read_json(path)
    try:
        return machine_from_json(data)
    except ValueError as exc:
        raise RunError(f"{path}: {exc}") from None


def _load_state_machine(path: Path, machine: Machine | None) -> StateMachine:
    """state_machine.json: the state machine that the formula machine of machine.json writes
    as formulas, so of as many states as that machine says it rewrites, reading as many
    numbers per step."""
    found = _load_machine(path)
    if not isinstance(found, StateMachine):
        raise RunError(f"{path}: a state machine (kind fsm) is expected, got kind {found.kind}")
    if not isinstance(machine, FormulaMachine) or machine.rewrites != found.states:
        rewrites = machine.rewrites if isinstance(machine, FormulaMachine) else 0
        raise RunError(
            f"{path}: a {found.states}-state machine, but machine.json writes "
            + (f"a {rewrites}-state machine as formulas" if rewrites else "no state machine as formulas")
        )
    if found.input_width != machine.input_width:
        raise RunError(
            f"{path}: the state machine reads {found.input_width} number(s) per step, "
            f"machine.json {machine.input_width}"
        )
    return found


def _input_width(machine: Machine) -> int:
    return machine.input_width


def check_report(report: dict) -> None:
    """Raise ValueError (naming the field) unless the report holds what `mips inspect` reads,
    with the right types."""
    task = json_object(json_field(report, "task"), "task")
    for key in ("name", "source", "input_values"):
        json_text(json_field(task, key, "task."), f"task.{key}", one_line=True)
    json_text(json_field(task, "rule", "task."), "task.rule")
    json_int(json_field(task, "input_dim", "task."), "task.input_dim", low=1)
    json_int(json_field(task, "length", "task."), "task.length", low=1)
    input_values(task["input_values"])
    json_text(json_field(report, "verdict"), "verdict")
    if report.get("network") is not None:
        network = json_object(report["network"], "network")
        _arch(json_object(json_field(network, "arch", "network."), "network.arch"), "network.arch")
        json_int(json_field(network, "trained_seed", "network."), "network.trained_seed", low=0)
        json_int(json_field(network, "steps", "network."), "network.steps", low=0)
    if report.get("machine") is not None:
        machine = json_object(report["machine"], "machine")
        json_text(json_field(machine, "description", "machine."), "machine.description")
    if report.get("extraction") is not None:
        extraction = json_object(report["extraction"], "extraction")
        for key in ("fsm", "behaviour", "lattice"):
            if key == "behaviour" and extraction.get(key) is None:
                continue  # absent in runs saved before it existed
            part = json_object(json_field(extraction, key, "extraction."), f"extraction.{key}")
            json_text(json_field(part, "reason", f"extraction.{key}."), f"extraction.{key}.reason")


def input_values(text: str) -> range | tuple[int, ...]:
    """The task's input values from the report's text of them: "0..9" (a range) or "1,3,5".
    ValueError for anything else."""
    low, dots, high = text.partition("..")
    try:
        values = range(int(low), int(high) + 1) if dots else tuple(int(v) for v in text.split(","))
    except ValueError:
        values = ()
    ends = (values[0], values[-1]) if values and isinstance(values, range) else values  # a range is sorted
    if not values or min(ends) < INT64[0] or max(ends) > INT64[1]:
        raise ValueError(f'task.input_values must be like "0..9" or "1,3,5" (integers), got {text[:40]!r}')
    return values


def saved_search(folder: str | Path, task: Task, config: PipelineConfig) -> SavedSearch | None:
    """The trained network of an earlier run in `folder`, if that run was of a task of the
    same name and source with the same training configuration; otherwise None. `synthesize`
    uses it only when the training data's fingerprint also agrees (an edited task file has
    the same name and source but other data), so that training again would give the same
    network. A folder that is not a readable run is never an error here: it is simply not
    reused."""
    folder = Path(folder)
    try:
        run = load_run(folder)
        saved_config = json.loads((folder / "config.json").read_text())
    except (RunError, OSError, ValueError, KeyError):
        return None
    same_task = run.report["task"]["name"] == task.name and run.report["task"]["source"] == task.source
    wanted = json.loads(json.dumps(config.training_part()))
    same_training = all(saved_config.get(key) == value for key, value in wanted.items())
    if not (same_task and same_training) or run.network is None:
        return None
    try:
        attempts = tuple(Attempt.from_json(a) for a in run.report["search"])
    except (KeyError, TypeError):
        return None
    fingerprint = run.report.get("data_fingerprint")
    if not attempts or attempts[-1].arch != run.network.arch or not attempts[-1].perfect or not fingerprint:
        return None
    return SavedSearch(SearchResult(run.network, attempts), str(fingerprint))
