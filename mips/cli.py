"""The command line: names and paths are resolved here, and nowhere deeper.

Exit codes: 0 success (for `synthesize`: the program is verified), 1 the
program could not be verified, 2 bad input (one line on stderr says what),
3 an internal error (a traceback is printed; for `bench`: some task crashed
or was killed), 130 interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import sys
from pathlib import Path

from mips.api import MAX_HIDDEN, SEED_LIMIT, path_exists, resolve_task
from mips.errors import MipsError, TaskError
from mips.task import Task, load_task_file, task_error


def cmd_tasks(args) -> int:
    from mips import tasks

    rows = [("name", "in/step", "values", "T", "rule")]
    for task in tasks.all_tasks():
        rows.append((task.name, str(task.input_dim), task.values_text, str(task.length), task.rule))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row[:4], widths)) + "  " + row[4])
    return 0


def cmd_synthesize(args) -> int:
    from mips import jaxsetup
    from mips.bench import exit_when_orphaned

    exit_when_orphaned()  # a worker of `mips bench` does not outlive it
    jaxsetup.enable_compile_cache("off" if args.no_compile_cache else None)
    return _program_to_stdout(_synthesize_and_save, args)


def cmd_extract(args) -> int:
    from mips import jaxsetup

    jaxsetup.enable_compile_cache(None)
    return _program_to_stdout(_extract_and_save, args)


def _program_to_stdout(produce, args) -> int:
    """Standard output carries the program alone (`mips synthesize T > program.py`): progress,
    the summary and whatever the task's own code prints go to standard error. The exit code is
    the verdict's: 0 verified, 1 not."""
    program_out = sys.stdout
    with _stdout_descriptor_to_stderr(), contextlib.redirect_stdout(sys.stderr):
        result = produce(args)
    code = 0 if result.verdict.verified else 1
    if result.program is not None:
        try:
            program_out.write(result.program)
            program_out.flush()
        except BrokenPipeError:  # `mips synthesize T | head`: the verdict still decides the exit code
            os.dup2(os.open(os.devnull, os.O_WRONLY), program_out.fileno())  # nothing left to flush at exit
    return code


@contextlib.contextmanager
def _stdout_descriptor_to_stderr():
    """Point file descriptor 1 at standard error too, for what does not go through
    sys.stdout (C code, os.write(1, ...), a subprocess the task starts); put it back after."""
    try:
        sys.stdout.flush()
        saved = os.dup(1)
        os.dup2(2, 1)
    except (OSError, ValueError, AttributeError):  # no descriptors here (an embedded interpreter, say)
        yield
        return
    try:
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _synthesize_and_save(args):
    from mips.io.display import synthesis_display
    from mips.io.folders import check_run_target

    task = resolve_task(args.task, seed=args.seed)
    out_dir = Path(args.out) if args.out else Path("runs") / task.name
    check_run_target(out_dir)  # before any training: a user's folder or file is never replaced
    from dataclasses import replace

    from mips.io.runs import saved_search
    from mips.network.train import SearchConfig
    from mips.pipeline import PipelineConfig, synthesize

    config = PipelineConfig(
        seed=args.seed, search=replace(SearchConfig(), max_hidden=args.max_hidden), time_budget=args.time_budget
    )
    reuse = None if args.retrain else saved_search(out_dir, task, config)
    # Live on a terminal, timestamped lines elsewhere; stopped however the synthesis ends.
    with synthesis_display(sys.stderr, quiet=args.quiet, title=task.name) as progress:
        progress(f"synthesizing {task.name} ({task.source}), seed {args.seed}")
        result = synthesize(task, config, progress, reuse=reuse)
    return _save_and_summarize(result, out_dir)


def _save_and_summarize(result, out_dir: Path):
    from mips.io.report import build_report, summary_lines
    from mips.io.runs import save_run

    save_run(result, out_dir)
    for line in summary_lines(build_report(result)):
        print(line)
    print(f"run saved in {out_dir}", flush=True)
    return result


def _extract_and_save(args):
    from mips.io.folders import check_run_target

    task = resolve_task(args.task, seed=args.seed)
    from mips.network.given import load_torch

    network = load_torch(
        args.network,
        input_dim=task.input_dim,
        input_values=task.input_values,
        output_dim=task.output_dim,
        inputs=args.inputs,
        outputs=args.outputs,
        output_values=args.output_values,
        activation=args.activation,
    )
    network.check(task.input_dim, task.input_values)  # one step on every input value: a misfit is one line
    out_dir = Path(args.out) if args.out else Path("runs") / f"extract-{Path(args.network).stem}"
    check_run_target(out_dir)  # before any work: a user's folder or file is never replaced
    from mips.io.display import synthesis_display
    from mips.pipeline import PipelineConfig, read_given

    with synthesis_display(sys.stderr, quiet=args.quiet, title=task.name) as progress:
        progress(f"reading {args.network} on {task.name} ({task.source}), seed {args.seed}")
        result = read_given(network, task, PipelineConfig(seed=args.seed), progress)
    return _save_and_summarize(result, out_dir)


def resolve_suite(items: list[str]) -> tuple[str, list]:
    """`smoke`, `full`, built-in names, task files, or a folder of task files -> (label, jobs)."""
    from mips import tasks
    from mips.bench import Job

    def make_job(task: Task, spec: str) -> Job:  # the fingerprint tells a resumed bench that a task changed
        return Job(task.name, spec, task.fingerprint)

    if len(items) == 1 and items[0] in tasks.SUITES:
        return items[0], [make_job(tasks.get(name), name) for name in tasks.SUITES[items[0]]]
    jobs, problems = [], []
    for item in items:
        path = Path(item)
        if path_exists(path, folder=True):
            files = sorted(path.glob("*.py"))
            if not files:
                problems.append(f"{item}: a folder with no task files (*.py)")
            for file in files:  # every bad file is named, all at once
                try:
                    jobs.append(make_job(load_task_file(file), str(file)))
                except TaskError as exc:
                    problems.append(str(exc))
        else:
            try:
                task = resolve_task(item)
            except TaskError as exc:
                problems += exc.problems if len(items) == 1 else [f"{item}: {p}" for p in exc.problems]
                continue
            jobs.append(make_job(task, item))
    names = [job.name for job in jobs]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        problems.append(f"two tasks share the name {', '.join(duplicates)}")
    if problems:
        raise task_error("suite", problems)  # at most a few, and a count of the rest
    label = items[0] if len(items) == 1 else "custom"
    return Path(label).name or "custom", jobs


def cmd_bench(args) -> int:
    import os

    from mips import tasks
    from mips.bench import FAILED, BenchConfig, run_suite
    from mips.io.display import bench_display

    if args.cluster is not None:  # before any work: the value, and Dask installed
        from mips import cluster

        cluster.check_address(args.cluster)
        cluster.require_dask()
    label, jobs = resolve_suite(args.suite)
    if args.cluster is not None:
        cluster.check_reachable(args.cluster)  # may wait some seconds: after the suite's checks
    # A running cluster's workers decide how many tasks run at once: unless --jobs says, the
    # bench gives it every task at once.
    scheduler = args.cluster not in (None, "local")
    config = BenchConfig(
        jobs=args.jobs or (len(jobs) if scheduler else os.cpu_count()) or 1,
        seed=args.seed,
        task_timeout=args.task_timeout,
        max_hidden=args.max_hidden,
        cluster=args.cluster,
    )
    out = Path(args.out) if args.out else Path("runs") / f"bench-{label}"
    with bench_display(sys.stderr) as progress:  # a live table on a terminal, a line per task elsewhere
        records = run_suite(
            jobs, out, config, anchors=tasks.anchors(), command=sys.argv, worker=main, progress=progress
        )
    solved = sum(r["solved"] for r in records)
    print(f"solved {solved} of {len(records)}; summary in {out / 'summary.md'}")
    # A task that was not verified or ran out of time is a result; one that crashed or was
    # killed is a failure of the run, and a script driving the bench must see it.
    failed = [r for r in records if r["status"] in FAILED]
    if failed:
        print(
            f"mips bench: {len(failed)} task(s) ended without a result: "
            + "; ".join(f"{r['task']} {r['status']} (log: {out / 'logs' / (r['task'] + '.log')})" for r in failed),
            file=sys.stderr,
        )
        return 3
    return 0


def cmd_inspect(args) -> int:
    from mips.emit import coordinate_names
    from mips.io.drawing import machine_dot, render_dot
    from mips.io.inspection import (
        machine_text,
        network_text,
        overview,
        parse_inputs,
        program_note,
        save_output,
        trace_rows,
        trace_text,
    )
    from mips.io.runs import load_run
    from mips.io.statesplot import plot_states

    run = load_run(args.folder)  # checked: a corrupt or hostile folder is a one-line RunError
    task = run.report["task"]
    inputs = parse_inputs(args.trace, task["input_dim"], task["input_values"]) if args.trace else None
    for line in overview(run):
        print(line)
    if run.simplified is not None:
        print()
        for line in network_text(run.simplified, "simplified network"):
            print(line)
    if run.machine is not None:
        print()
        for line in machine_text(run.machine):
            print(line)
        if run.state_machine is not None:
            print(f"\nthe {run.state_machine.states}-state machine the formulas write:")
            for line in machine_text(run.state_machine):
                print(line)
        title = f"{task['name']}: the {run.machine.shape}"
        dot_text = machine_dot(run.machine, title, run.state_machine, length=task["length"])

        def draw(path: Path) -> str:
            path.write_text(dot_text, encoding="utf-8")  # what Graphviz reads
            return f"drawing: {path}; {render_dot(path, may_replace=not args.dot)[1]}"

        dot_file = Path(args.dot) if args.dot else run.folder / "machine.dot"
        print("\n" + save_output(dot_file, draw, "drawing", option="--dot", chosen=bool(args.dot)))
    if run.network is not None and not args.no_plot:
        plot_file = Path(args.plot) if args.plot else run.folder / "states.png"
        print(
            save_output(plot_file, lambda path: plot_states(run, path), "plot", option="--plot", chosen=bool(args.plot))
        )
    elif run.network is None and args.plot:  # asked for, and there are no hidden states to plot
        why = (
            "the network was given to mips extract and is not in the run folder"
            if run.report.get("given_network")
            else "no network was trained"
        )
        print(f"\nplot: not drawn: {why}")
    if run.program is not None and not args.trace:
        print("\nprogram:\n")  # printed, never run
        print(run.program.rstrip())
    if inputs is not None:
        print()
        for line in trace_text(trace_rows(run, inputs), coordinate_names(run.machine) if run.machine else ()):
            print(line)
        note = program_note(run)
        if note:
            print(note)
        if run.read_network is None and run.report.get("given_network"):
            print("the network was given to mips extract and is not in the run folder: no network columns")
    return 0


def _positive(kind, most: float = math.inf):
    """A finite number above 0 (and at most `most`): nan, inf and 1e999 are refused."""

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text[:40]!r}") from None
        if not math.isfinite(value) or value <= 0:
            raise argparse.ArgumentTypeError(f"must be a positive finite number, got {text[:40]}")
        if value > most:
            raise argparse.ArgumentTypeError(f"must be at most {most:g}, got {text[:40]}")
        return value

    return parse


class SearchDefaults:
    """The search's defaults, as the help text shows them (`mips.network.train.SearchConfig`; kept
    here so that `mips --help` does not import jax)."""

    max_hidden = 32


MAX_HIDDEN_LIMIT = MAX_HIDDEN


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text[:40]!r}") from None
    if not 0 <= value < SEED_LIMIT:
        raise argparse.ArgumentTypeError(f"must be from 0 to {SEED_LIMIT - 1}, got {text[:40]}")
    return value


def _values(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected integers separated by commas, got {text[:40]!r}") from None


class _Version(argparse.Action):
    """`mips --version`: the version, and the commit when run from a checkout (asked of git
    only when the option is given)."""

    def __call__(self, parser, namespace, values, option_string=None):
        from mips import __version__
        from mips.io.provenance import checkout_commit

        commit = checkout_commit()
        print(f"mips {__version__}" + (f" (commit {commit})" if commit else ""))
        parser.exit(0)


class _Parser(argparse.ArgumentParser):
    """Every misuse is one line: the error and where to read the usage (argparse prints two)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {' '.join(message.split())} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="mips", description="Synthesize programs by reading them out of trained RNNs.")
    parser.add_argument("--version", action=_Version, nargs=0, help="show the version (and commit) and exit")
    commands = parser.add_subparsers(dest="command", required=True)

    listing = commands.add_parser("tasks", help="list the built-in tasks")
    listing.set_defaults(run=cmd_tasks)

    synth = commands.add_parser("synthesize", help="train, extract, emit and verify a program for a task")
    synth.add_argument("task", help="a built-in task name, a task file (.py) or a data file (.jsonl)")
    synth.add_argument("--out", help="run folder (default: runs/<task>)")
    synth.add_argument("--seed", type=_seed, default=0, help="the one seed everything derives from (default 0)")
    synth.add_argument(
        "--max-hidden",
        type=_positive(int, MAX_HIDDEN_LIMIT),
        default=SearchDefaults.max_hidden,
        help=f"largest hidden size tried (default {SearchDefaults.max_hidden})",
    )
    synth.add_argument(
        "--no-compile-cache",
        action="store_true",
        help="compile everything afresh, without JAX's compilation cache in the user's cache "
        "folder (also MIPS_COMPILE_CACHE=off)",
    )
    synth.add_argument(
        "--time-budget",
        type=_positive(float),
        default=None,
        help="seconds the network search may take (default: no limit)",
    )
    synth.add_argument(
        "--retrain",
        action="store_true",
        help="train again even when the run folder holds a network trained the same way",
    )
    synth.add_argument("--quiet", action="store_true", help="no progress lines")
    synth.set_defaults(run=cmd_synthesize)

    extract = commands.add_parser(
        "extract",
        help="read a program out of a network you trained (a PyTorch nn.RNN or nn.GRU saved as .npz) and verify it",
        description="Extraction, regression, emission and verification on a recurrent network mips did not train: "
        "a one-layer nn.RNN (tanh or relu) or nn.GRU with a linear readout fc, saved from PyTorch with "
        "np.savez(PATH, **{k: v.numpy() for k, v in model.state_dict().items()}); an array h0 in the file is the "
        "start state (else zeros).",
    )
    extract.add_argument("network", metavar="NETWORK.npz", help="the network's weights, in PyTorch's names")
    extract.add_argument(
        "--task", required=True, help="what the network was trained on: a built-in name, a task file or a data file"
    )
    extract.add_argument(
        "--inputs",
        choices=("raw", "one-hot"),
        default="raw",
        help="how each input number is fed: as the number (default) or one-hot over the task's input values",
    )
    extract.add_argument(
        "--outputs",
        choices=("round", "argmax"),
        default="round",
        help="how each output is read: the readout rounded (default) or argmax over --output-values",
    )
    extract.add_argument(
        "--output-values",
        type=_values,
        default=(),
        metavar="V,V,...",
        help="with --outputs argmax: the value of each class, in the readout's order",
    )
    extract.add_argument(
        "--activation", choices=("tanh", "relu"), default=None, help="of an nn.RNN (default tanh; an nn.GRU has none)"
    )
    extract.add_argument("--out", help="run folder (default: runs/extract-<network file name>)")
    extract.add_argument("--seed", type=_seed, default=0, help="the seed of the data and extraction (default 0)")
    extract.add_argument("--quiet", action="store_true", help="no progress lines")
    extract.set_defaults(run=cmd_extract)

    inspect = commands.add_parser("inspect", help="show what a run extracted: machine, drawing, program, trace")
    inspect.add_argument(
        "folder", metavar="RUN_DIR", help="a run folder written by `mips synthesize` (or a bench's runs/<task>)"
    )
    inspect.add_argument(
        "--dot",
        metavar="FILE",
        help="where to write the Graphviz drawing (default "
        "RUN_DIR/machine.dot; skipped with a note when RUN_DIR cannot be written)",
    )
    inspect.add_argument(
        "--plot",
        metavar="FILE",
        help="where to save the plot of the hidden states (default "
        "RUN_DIR/states.png; skipped with a note when RUN_DIR cannot be written)",
    )
    inspect.add_argument("--no-plot", action="store_true", help="no plot")
    inspect.add_argument(
        "--trace",
        metavar="INPUTS",
        help="step through these inputs, each one of the task's input "
        "values: '1,0,1' or a JSON list such as '[[1,2],[0,3]]'",
    )
    inspect.set_defaults(run=cmd_inspect)

    bench = commands.add_parser("bench", help="synthesize every task of a suite, in parallel, resumable")
    bench.add_argument(
        "--suite",
        nargs="+",
        default=["smoke"],
        help="smoke, full, task names, task files or a folder of task files (default smoke)",
    )
    bench.add_argument(
        "--jobs",
        type=_positive(int, 256),
        default=None,
        help="tasks at a time (default: the number of cores); with --cluster local, the number of Dask "
        "workers; with a scheduler's address, at most this many tasks at a time (default: all)",
    )
    bench.add_argument(
        "--out",
        help="output folder: a new or empty one, or an earlier bench's to resume it (default runs/bench-<suite>); "
        "with --cluster, on a filesystem that every worker reaches by the same path",
    )
    bench.add_argument(
        "--cluster",
        metavar="local|tcp://HOST:PORT",
        help="run the tasks on a Dask cluster: 'local' starts one of --jobs worker processes here, an "
        "address (tcp:// or tls://) joins a running scheduler; needs pip install 'mips[cluster]'",
    )
    bench.add_argument("--seed", type=_seed, default=0)
    bench.add_argument(
        "--task-timeout",
        type=_positive(float),
        default=300.0,
        help="seconds per task; the network search stops at 3/4 of it (default 300)",
    )
    bench.add_argument(
        "--max-hidden",
        type=_positive(int, MAX_HIDDEN_LIMIT),
        default=SearchDefaults.max_hidden,
        help=f"largest hidden size tried (default {SearchDefaults.max_hidden})",
    )
    bench.set_defaults(run=cmd_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except MipsError as exc:
        print("mips: error: " + " ".join(str(exc).split()), file=sys.stderr)  # always one line
        return 2
    except BrokenPipeError:  # `mips tasks | head`: the reader left, nothing to report
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        kept = (
            "the finished tasks' records are kept: the same command resumes"
            if args.command == "bench"
            else "nothing was saved for the unfinished run"
        )
        print(f"mips: interrupted; {kept}", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug of ours, not a verdict: never let it look like "not verified" (1)
        import traceback

        traceback.print_exc()
        print(f"mips: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
