"""The network search alone, task by task: was a perfect network found, its size, the time.

    python benchmarks/search_tasks.py --out FILE.json [--budget S] TASK...

TASK is a built-in name or a task file. Only `mips.network.train.perfect_networks` (with its default
SearchConfig and TrainConfig), `mips.data` and `mips.network.model.choose_encoding` are used, which
earlier versions have too, so the same script measures a checkout before and after a change
(run it with that checkout's Python). Compilation counts in the time, as a user sees it;
JAX's persistent compilation cache is off unless MIPS_COMPILE_CACHE says otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

os.environ.setdefault("MIPS_COMPILE_CACHE", "off")

import jax  # noqa: E402

from mips import tasks  # noqa: E402
from mips.data import DataConfig, make_task_data  # noqa: E402
from mips.network.model import choose_encoding  # noqa: E402
from mips.network.train import SearchConfig, TrainConfig, perfect_networks  # noqa: E402
from mips.task import load_task_file  # noqa: E402


def measure(spec: str, budget: float | None = None) -> dict:
    task = load_task_file(Path(spec)) if spec.endswith(".py") else tasks.get(spec)
    data = make_task_data(task, DataConfig(), seed=0)
    encoding = choose_encoding(data.train, task.input_values)
    started = time.perf_counter()
    deadline = None if budget is None else time.monotonic() + budget
    result = next(
        perfect_networks(encoding, data, SearchConfig(), TrainConfig(), key=jax.random.key(0), deadline=deadline)
    )
    seconds = time.perf_counter() - started
    winner = result.winner
    return {
        "task": task.name,
        "perfect": winner is not None,
        "hidden": winner.arch.hidden if winner else None,
        "arch": [winner.arch.hidden, winner.arch.f_depth, winner.arch.g_depth] if winner else None,
        "attempts": len(result.attempts),
        "seconds": round(seconds, 1),
        "out_of_time": result.out_of_time,
        "best_errors": min((a.errors for a in result.attempts), default=None),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument(
        "--budget", type=float, help="seconds per search, as `synthesize --time-budget` (default: none)"
    )
    parser.add_argument("tasks", nargs="+")
    args = parser.parse_args()
    rows = []
    for spec in args.tasks:
        rows.append(measure(spec, args.budget))
        print(json.dumps(rows[-1]), flush=True)
    meta = {
        "python": platform.python_version(),
        "jax": jax.__version__,
        "machine": platform.machine(),
        "cores": os.cpu_count(),
    }
    Path(args.out).write_text(json.dumps({"meta": meta, "rows": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
