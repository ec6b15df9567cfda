"""Training speed of the search's bank, on a few representative tasks.

    python benchmarks/train_speed.py --out benchmarks/results/DATE-COMMIT-train-speed

For each task, with JAX's persistent compilation cache off:
  - compile_seconds: the first chunk of the bank (compiling it) less a later chunk's time;
  - search_seconds: the whole search to its first perfect network, compiled already;
  - network_steps_per_second: training steps of all the bank's slots per second in that search;
  - the network found (hidden size, depths) and the candidates tried.
Writes train_speed.json and train_speed.md to --out.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from datetime import datetime, timezone
from pathlib import Path

os.environ["MIPS_COMPILE_CACHE"] = "off"

import jax  # noqa: E402

from mips import tasks  # noqa: E402
from mips.data import DataConfig, make_task_data  # noqa: E402
from mips.network import train  # noqa: E402
from mips.network.model import choose_encoding  # noqa: E402
from mips.network.train import SearchConfig, TrainConfig, perfect_networks  # noqa: E402

# Representative: a 1-D counter, a lattice of several inputs, a carry automaton, a parity of
# a window, a long division automaton.
TASKS = ["Sum_All", "Sum_Last3", "Binary_Addition", "Parity_Last3", "Div_5"]


def measure(name: str) -> dict:
    task = tasks.get(name)
    data = make_task_data(task, DataConfig(), seed=0)
    encoding = choose_encoding(data.train, task.input_values)
    chunks, times = [0], []
    original = train._Bank.train

    def counted(self):
        started = time.perf_counter()
        original(self)
        times.append(time.perf_counter() - started)
        chunks[0] += 1

    train._Bank.train = counted
    try:
        train._CACHE.clear()
        next(perfect_networks(encoding, data, SearchConfig(), TrainConfig(), key=jax.random.key(0)))
        compile_seconds = times[0] - min(times[1:] or [0.0])
        chunks[0], times[:] = 0, []
        started = time.perf_counter()
        result = next(perfect_networks(encoding, data, SearchConfig(), TrainConfig(), key=jax.random.key(0)))
        seconds = time.perf_counter() - started
    finally:
        train._Bank.train = original
    config, winner = TrainConfig(), result.winner
    return {
        "task": name,
        "compile_seconds": round(compile_seconds, 2),
        "search_seconds": round(seconds, 2),
        "network_steps_per_second": round(chunks[0] * config.slots * config.eval_every / seconds),
        "hidden": winner.arch.hidden if winner else None,
        "depths": [winner.arch.f_depth, winner.arch.g_depth] if winner else None,
        "candidates": len(result.attempts),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows = [measure(name) for name in TASKS]
    meta = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "jax": jax.__version__,
        "cores": os.cpu_count(),
        "devices": len(jax.devices()),
    }
    (out / "train_speed.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=2) + "\n")
    lines = ["| task | compile s | search s | network-steps/s | found | candidates |", "|---|---|---|---|---|---|"]
    lines += [
        f"| {r['task']} | {r['compile_seconds']} | {r['search_seconds']} | {r['network_steps_per_second']} | "
        f"hidden {r['hidden']}, depths {r['depths']} | {r['candidates']} |"
        for r in rows
    ]
    (out / "train_speed.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
