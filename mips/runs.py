"""Run folders: everything a run produced, written atomically, and read back.

A run folder holds program.py, report.json (the verdict and what was found),
config.json (the resolved configuration), network.npz + network.json (the
trained weights and how to rebuild the network) and machine.json (the
extracted machine), and a marker file that says mips wrote it. It is written
to a temporary sibling folder and renamed into place, so an interrupted run
never leaves a half-written folder. An earlier run folder of the same name is
replaced only when it is one that mips wrote and holds nothing else
(`mips.folders.check_run_target`); a user's folder or file is never touched.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from mips.errors import RunError
from mips.folders import check_run_target, discard_run_folder, mark_run_folder
from mips.machines import Machine, machine_from_json
from mips.model import Arch, Encoding, Head, Network
from mips.pipeline import PipelineConfig, RunResult, SavedSearch
from mips.report import FORMAT_VERSION, build_report
from mips.task import Task
from mips.train import Attempt, SearchResult

REQUIRED = ("report.json", "config.json")


def save_run(result: RunResult, out_dir: str | Path) -> Path:
    """Write the run folder; raises OutputError (before writing anything) when `out_dir`
    is not a place mips may write a run to."""
    out_dir = Path(out_dir)
    check_run_target(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(staging, 0o777 & ~mask)  # mkdtemp makes the folder private; a run folder is not
        mark_run_folder(staging)
        _write_json(staging / "report.json", build_report(result))
        _write_json(staging / "config.json", asdict(result.config))
        if result.program is not None:
            (staging / "program.py").write_text(result.program)
        if result.network is not None:
            save_network(result.network, staging)
        if result.chosen is not None:
            _write_json(staging / "machine.json", result.chosen.machine.to_json())
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


def save_network(network: Network, folder: Path) -> None:
    flat = {}

    def walk(tree, prefix):
        for name, value in tree.items():
            if isinstance(value, dict):
                walk(value, f"{prefix}{name}/")
            else:
                flat[f"{prefix}{name}"] = np.asarray(value)

    walk(network.params, "")
    np.savez(folder / "network.npz", **flat)
    _write_json(folder / "network.json", {"arch": asdict(network.arch), "encoding": asdict(network.encoding)})


def load_network(folder: Path) -> Network:
    meta = json.loads((folder / "network.json").read_text())
    encoding = meta["encoding"]
    encoding = Encoding(
        input_dim=encoding["input_dim"],
        input_values=tuple(encoding["input_values"]),
        input_scale=encoding["input_scale"],
        one_hot=encoding["one_hot"],
        heads=tuple(Head(h["kind"], tuple(h["values"]), h["scale"]) for h in encoding["heads"]),
    )
    params: dict = {}
    with np.load(folder / "network.npz") as arrays:
        for name in arrays.files:
            node = params
            *parents, leaf = name.split("/")
            for part in parents:
                node = node.setdefault(part, {})
            node[leaf] = arrays[name]
    return Network(Arch(**meta["arch"]), encoding, params)


@dataclass(frozen=True)
class SavedRun:
    folder: Path
    report: dict
    program: str | None
    network: Network | None
    machine: Machine | None


def load_run(folder: str | Path) -> SavedRun:
    folder = Path(folder)
    if not folder.is_dir():
        raise RunError(f"{folder}: not a folder (give the output folder of `mips synthesize`)")
    missing = [name for name in REQUIRED if not (folder / name).is_file()]
    if missing:
        raise RunError(f"{folder}: not a mips run folder (missing {', '.join(missing)})")
    try:
        report = json.loads((folder / "report.json").read_text())
    except json.JSONDecodeError as exc:
        raise RunError(f"{folder}/report.json is corrupt: {exc}") from None
    if report.get("format") != FORMAT_VERSION:
        raise RunError(
            f"{folder}: run format {report.get('format')!r}, this mips reads format {FORMAT_VERSION}; "
            "run `mips synthesize` again"
        )
    program = (folder / "program.py").read_text() if (folder / "program.py").is_file() else None
    network = load_network(folder) if (folder / "network.json").is_file() else None
    machine_file = folder / "machine.json"
    machine = machine_from_json(json.loads(machine_file.read_text())) if machine_file.is_file() else None
    return SavedRun(folder, report, program, network, machine)


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
