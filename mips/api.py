"""The Python interface: what `import mips` offers a notebook or a script.

    import mips

    task = mips.define_task(name="running_max", reference=running_max, input_values=range(10), length=10)
    result = mips.synthesize(task)             # or a built-in name, or the path of a task/data file
    print(result.program)                      # the program, a standalone Python function
    result.verified, result.verdict            # what verification checked, in one line
    result.save("runs/running_max")            # the run folder `mips inspect` reads

    result = mips.from_network("rnn.npz", task, activation="relu")   # a network mips did not train

Names are resolved here, as on the command line; everything deeper takes task objects. Bad input
raises `mips.MipsError` (a `TaskError` for a task, a `NetworkError` for a network) before any
work; a program that does not verify is a result (`result.verified` is False), not an error.
"""

from __future__ import annotations

import difflib
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

import numpy as np

from mips.datafile import load_data_file
from mips.errors import NetworkError, OptionError, RunError, TaskError
from mips.task import Task, keyword_names, load_task_file
from mips.task import define_task as _define_task
from mips.usercode import short_repr

ProgressOption = bool | Callable[[str], None] | None
# Limits of the options, here and on the command line (mips.cli uses these).
SEED_LIMIT = 2**32  # seeds are 0 .. 2**32 - 1 (numpy's generators take no negative seeds)
MAX_HIDDEN = 1024  # the largest max_hidden / --max-hidden


def path_exists(path: Path, folder: bool = False) -> bool:
    """Whether there is a file (or a folder) at `path`; False when the system refuses to
    look (a name too long, say), so that such a spec is judged as a name."""
    try:
        return path.is_dir() if folder else path.exists()
    except OSError:
        return False


def resolve_task(spec: str | Path, *, seed: int = 0) -> Task:
    """A built-in task name, a task file (.py) or a data file (.jsonl)."""
    spec = str(spec)
    path = Path(spec)
    if path.suffix == ".jsonl":
        return load_data_file(path)
    if path.suffix == ".py":
        return load_task_file(path, seed=seed)
    if path_exists(path):
        raise TaskError(spec, ["a task is a built-in name, a task file ending in .py or a data file ending in .jsonl"])
    from mips import tasks

    if spec in tasks.NAMES:
        return tasks.get(spec)
    folded = {name.lower(): name for name in tasks.NAMES}
    if spec.lower() in folded:
        return tasks.get(folded[spec.lower()])
    close = difflib.get_close_matches(spec, tasks.NAMES, n=3, cutoff=0.5)
    hint = f"did you mean {' or '.join(close)}?" if close else "`mips tasks` lists the built-in tasks"
    raise TaskError(spec, [f"no built-in task of that name ({hint})"])


def define_task(
    *,
    name: str,
    reference: Callable[[list], list],
    input_values,
    length: int,
    input_dim: int = 1,
    sample: Callable | None = None,
    rule: str = "",
    seed: int = 0,
) -> Task:
    """A task from a reference function: `reference(inputs) -> outputs`, one output per step.

    `input_values` are the values each input number takes (a range or a list of ints);
    `length` is the training sequence length (verification also checks 5x it); with
    `input_dim` > 1 every step is a tuple of that many numbers. `sample(rng, length)`, if given,
    draws input sequences instead of uniform choices. The reference is called on a few inputs
    now, so a wrong one fails here, with a `TaskError` that names the argument."""
    try:
        return _define_task(
            name=name,
            input_dim=input_dim,
            length=length,
            input_values=input_values,
            reference=reference,
            sample=sample,
            rule=rule,
            source="define_task",
            seed=seed,
        )
    except TaskError as error:
        raise keyword_names(error) from None


class Result:
    """What a synthesis found: the program, the verdict, the report; `save` writes the run folder."""

    def __init__(self, run):
        self.run = run  # the pipeline's RunResult: every stage's value (network, extraction, machines, ...)

    @property
    def task(self) -> Task:
        return self.run.task

    @property
    def program(self) -> str | None:
        """The emitted program (a standalone Python function `program(inputs)`), or None."""
        return self.run.program

    @property
    def verified(self) -> bool:
        return self.run.verdict.verified

    @property
    def verdict(self) -> str:
        """What verification checked and how it went, in one line."""
        return self.run.verdict.summary()

    @property
    def report(self) -> dict:
        """Everything the run found, as JSON-ready data (the run folder's report.json)."""
        from mips.io.report import build_report

        return build_report(self.run)

    def summary(self) -> str:
        from mips.io.report import summary_lines

        return "\n".join(summary_lines(self.report))

    def function(self) -> Callable[[list], list]:
        """The program as a Python function (it runs the emitted text, which mips wrote)."""
        if self.program is None:
            raise RunError(f"no program was found for {self.task.name}: {self.verdict}")
        namespace: dict[str, Any] = {}
        exec(compile(self.program, f"<program for {self.task.name}>", "exec"), namespace)
        return namespace["program"]

    def save(self, folder: str | Path | None = None) -> Path:
        """Write the run folder (default runs/<task name>); a folder mips did not write is
        never replaced (OutputError). Returns the folder."""
        from mips.io.runs import save_run

        return save_run(self.run, Path(folder) if folder is not None else Path("runs") / self.task.name)

    def __repr__(self) -> str:
        return f"<mips.Result {self.task.name}: {self.verdict}>"


def synthesize(
    task: Task | str | Path,
    *,
    seed: int | None = None,
    time_budget: float | None = None,
    max_hidden: int | None = None,
    config=None,
    progress: ProgressOption = None,
) -> Result:
    """Train the smallest network that solves `task`, read a program out of it and verify it.

    `task` is a `Task` (see `define_task`), a built-in name or the path of a task file (.py) or a
    data file (.jsonl). `time_budget` caps the network search (seconds); `max_hidden` the hidden
    size it tries; `config` (a `mips.pipeline.PipelineConfig`) sets every stage at once.
    `progress`: True prints the stages to standard error, a function receives each line."""
    from mips.pipeline import synthesize as run_pipeline

    config = _config(config, seed)
    if time_budget is not None:
        if not _number(time_budget) or not 0 < time_budget < float("inf"):
            raise OptionError(f"time_budget must be a positive finite number of seconds, got {short_repr(time_budget)}")
        config = replace(config, time_budget=float(time_budget))
    if max_hidden is not None:
        if not _whole(max_hidden) or not 1 <= max_hidden <= MAX_HIDDEN:
            raise OptionError(f"max_hidden must be a whole number from 1 to {MAX_HIDDEN}, got {short_repr(max_hidden)}")
        config = replace(config, search=replace(config.search, max_hidden=int(max_hidden)))
    task = task if isinstance(task, Task) else resolve_task(task, seed=config.seed)
    return Result(run_pipeline(task, config, _progress(progress)))


def from_network(
    network,
    task: Task | str | Path,
    *,
    inputs: str = "raw",
    outputs: str = "round",
    output_values=(),
    activation: str | None = None,
    start=None,
    seed: int | None = None,
    config=None,
    progress: ProgressOption = None,
) -> Result:
    """Read a program out of a recurrent network mips did not train, and verify it on `task`.

    `network` is the path of an .npz of a PyTorch `nn.RNN` or `nn.GRU` state_dict with a linear
    readout `fc` (see the README), read with `inputs` ("raw" numbers or "one-hot" over the task's
    input values), `outputs` ("round", or "argmax" over `output_values`) and `activation` of an
    nn.RNN ("tanh", its default, or "relu"); or any object with `step(hidden [N, n], inputs [N, D]) -> [N, n]`
    and `readout(hidden [N, n]) -> [N, outputs]` over numpy arrays, whose start state is `start`
    (else its `h0`, else zeros of its `hidden_size`)."""
    from mips.network.given import GivenNetwork, load_torch
    from mips.pipeline import read_given

    config = _config(config, seed)
    task = task if isinstance(task, Task) else resolve_task(task, seed=config.seed)
    if isinstance(network, (str, Path)):
        if start is not None:
            raise NetworkError("start is for a network given as an object: a file's start state is its array h0")
        given = load_torch(
            network,
            input_dim=task.input_dim,
            input_values=task.input_values,
            output_dim=task.output_dim,
            inputs=inputs,
            outputs=outputs,
            output_values=output_values,
            activation=activation,
        )
    else:
        file_options = {
            "inputs": inputs != "raw",
            "outputs": outputs != "round",
            "output_values": _nonempty(output_values),
            "activation": activation is not None,
        }
        given_anyway = [name for name, given in file_options.items() if given]
        if given_anyway:
            raise NetworkError(
                f"{', '.join(given_anyway)}: options for reading a PyTorch file; a network given as an object "
                "feeds its inputs and reads its outputs itself"
            )
        given = GivenNetwork.wrap(network, output_dim=task.output_dim, start=start)
    return Result(read_given(given, task, config, _progress(progress)))


def _config(config, seed: int | None):
    """`config` (default settings when None) with `seed`, when one is given."""
    from mips.pipeline import PipelineConfig

    if config is not None and not isinstance(config, PipelineConfig):
        raise OptionError(f"config must be a mips.pipeline.PipelineConfig, got {type(config).__name__}")
    config = config if config is not None else PipelineConfig()
    if seed is None:
        return config
    if not _whole(seed) or not 0 <= seed < SEED_LIMIT:
        raise OptionError(f"seed must be a whole number from 0 to 2**32 - 1, got {short_repr(seed)}")
    return replace(config, seed=int(seed))


def _whole(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _nonempty(values) -> bool:
    try:
        return len(values) > 0
    except TypeError:  # not a collection: given, and wrong
        return True


def _number(value) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def _progress(option: ProgressOption) -> Callable:
    """The pipeline's progress callback for `option`: the user's function is given each line as
    a string (the pipeline also sends events with no line, for a live display: left out)."""
    if not option:
        return lambda message: None
    if callable(option):
        return lambda message: option(str(message)) if str(message) else None
    started = time.perf_counter()

    def printed(message) -> None:
        if str(message):
            print(f"[{time.perf_counter() - started:6.1f}s] {message}", file=sys.stderr, flush=True)

    return printed
