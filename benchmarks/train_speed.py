"""Training speed: a one-seed loop against the vmapped many-seed call, on a few tasks.

    python benchmarks/train_speed.py --out benchmarks/results/train-speed

For each (task, architecture) it trains 8 seeds two ways, after compiling both
(the first chunk with compilation is timed separately and not counted below):
  - loop:    one seed at a time (TrainConfig(seeds=1)), seed after seed, until one
             is perfect on held-out data or all 8 have used their step budget;
  - vmapped: all 8 seeds in one jitted, vmapped call (the way `mips` trains).
It reports seconds to the first perfect network, and throughput in seed-steps per
second. Writes train_speed.json and train_speed.md to --out.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import jax

from mips import tasks
from mips.data import DataConfig, make_task_data
from mips.model import Arch, choose_encoding
from mips.train import TrainConfig, train_arch

# Representative: a 1-D counter, a lattice of several inputs, a carry automaton, a
# parity of a window, and a case no seed solves in the budget (the cost of failure).
CASES = [
    ("Sum_All", Arch(1, 1, 1)),
    ("Sum_Last3", Arch(3, 1, 1)),
    ("Binary_Addition", Arch(1, 2, 2)),
    ("Parity_Last3", Arch(2, 2, 2)),
    ("Div_5", Arch(1, 2, 2)),
]
SEEDS = 8


def measure(name: str, arch: Arch, config: TrainConfig) -> dict:
    task = tasks.get(name)
    data = make_task_data(task, DataConfig(), seed=0)
    encoding = choose_encoding(data.train, task.input_values)
    key = jax.random.key(0)
    row = {"task": name, "arch": arch.describe(), "max_steps": config.max_steps, "batch": config.batch}

    for label, seeds in (("vmapped", SEEDS), ("loop", 1)):
        # The compiled functions are cached per configuration: warm up with the very
        # configuration timed below, stopped by a deadline after its first chunk.
        started = time.perf_counter()
        train_arch(arch, encoding, data, replace(config, seeds=seeds, polish_steps=0), key=key,
                   deadline=time.monotonic())
        row[f"{label}_compile_seconds"] = round(time.perf_counter() - started, 2)

    started, steps = time.perf_counter(), 0
    attempt, _ = train_arch(arch, encoding, data, replace(config, seeds=SEEDS, polish_steps=0), key=key)
    seconds = time.perf_counter() - started
    row.update(vmapped_perfect=attempt.perfect, vmapped_seconds=round(seconds, 2), vmapped_steps=attempt.steps,
               vmapped_seed_steps_per_second=round(SEEDS * attempt.steps / seconds))

    started, seed_steps, perfect = time.perf_counter(), 0, False
    for seed in range(SEEDS):
        attempt, _ = train_arch(arch, encoding, data, replace(config, seeds=1, polish_steps=0),
                                key=jax.random.fold_in(key, seed))
        seed_steps += attempt.steps
        if attempt.perfect:
            perfect = True
            break
    seconds = time.perf_counter() - started
    row.update(loop_perfect=perfect, loop_seconds=round(seconds, 2), loop_seeds_run=seed + 1,
               loop_seed_steps_per_second=round(seed_steps / seconds))
    row["throughput_ratio"] = round(row["vmapped_seed_steps_per_second"] / row["loop_seed_steps_per_second"], 2)
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    config = TrainConfig()
    rows = []
    for name, arch in CASES:
        rows.append(measure(name, arch, config))
        print(json.dumps(rows[-1]), flush=True)
    (args.out / "train_speed.json").write_text(json.dumps(rows, indent=2) + "\n")
    lines = [
        f"# Training speed ({datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC)",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"jax {jax.__version__}. Batch {config.batch}, at most {config.max_steps} steps, {SEEDS} seeds.",
        "",
        "| task | architecture | vmapped: perfect / seconds / seed-steps per s | "
        "loop: perfect / seconds / seeds run / seed-steps per s | throughput ratio | compile s (vmapped, loop) |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['task']} | {r['arch']} | {'yes' if r['vmapped_perfect'] else 'no'} / {r['vmapped_seconds']} / "
            f"{r['vmapped_seed_steps_per_second']} | {'yes' if r['loop_perfect'] else 'no'} / {r['loop_seconds']} / "
            f"{r['loop_seeds_run']} / {r['loop_seed_steps_per_second']} | {r['throughput_ratio']} | "
            f"{r['vmapped_compile_seconds']}, {r['loop_compile_seconds']} |"
        )
    (args.out / "train_speed.md").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
