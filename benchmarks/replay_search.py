"""Record the network search's checks, then replay its scheduler on them under other rules.

    python benchmarks/replay_search.py record --out FILE.jsonl [--budget S] [--batch B] TASK...
    python benchmarks/replay_search.py replay FILE.jsonl [--patience N] [--close-patience N]
                                       [--min-steps N] [--catch-up X] [--polish-steps N] [--seeds K]

A candidate's training depends on the seed and its place in the order alone (not on which
candidates trained before or beside it), so its checks, recorded once under lenient rules
(no catch-up, the given patience), say what any stricter rule would have done with it.
`record` runs the default search of each task (a built-in name or a task file) with those
lenient rules and writes every candidate's checks. `replay` runs the search's own scheduler
(four candidates of eight seeds side by side, in order, the smallest perfect one first) with
`mips.network.train.reason_to_leave` over the records, and prints per rule set the chunks of 100 steps
the bank trained (what the search's time is made of), the candidate-steps, and the tasks whose
first perfect candidate changed against the default rules. A candidate whose checks run out
before the rules let it go (the recording stopped at the first perfect one, or at its budget)
counts as "unknown".
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path

import jax

from mips import tasks
from mips.data import DataConfig, make_task_data
from mips.network.model import choose_encoding
from mips.network.train import PROGRESS, SearchConfig, TrainConfig, perfect_networks, reason_to_leave
from mips.task import load_task_file


def record(specs: list[str], out: Path, budget: float, patience: int, batch: int | None = None) -> None:
    lenient = TrainConfig(patience=patience, catch_up=1e9)  # no candidate leaves for a larger one
    if batch is not None:
        lenient = replace(lenient, batch=batch)
    for spec in specs:
        task = load_task_file(Path(spec)) if spec.endswith(".py") else tasks.get(spec)
        data = make_task_data(task, DataConfig(), seed=0)
        encoding = choose_encoding(data.train, task.input_values)
        checks = []
        started = time.perf_counter()
        result = next(
            perfect_networks(
                encoding,
                data,
                SearchConfig(),
                lenient,
                key=jax.random.key(0),
                deadline=time.monotonic() + budget,
                observe=checks.append,
            )
        )
        row = {
            "task": task.name,
            "seconds": round(time.perf_counter() - started, 1),
            "recorded_patience": patience,
            "batch": lenient.batch,
            "winner": asdict(result.winner.arch) if result.winner else None,
            "checks": [{**asdict(c), "arch": asdict(c.arch)} for c in checks],
        }
        with out.open("a") as f:
            f.write(json.dumps(row) + "\n")
        print(task.name, row["seconds"], row["winner"], flush=True)


def replay(row: dict, config: TrainConfig, seeds: int | None = None, groups: int = 4):
    """-> (the first perfect candidate's (hidden, f, g, width) or None, chunks, candidate-steps, unknown)."""
    by_order: dict[int, dict] = {}
    for check in row["checks"]:
        entry = by_order.setdefault(check["order"], {"arch": tuple(check["arch"].values()), "at": {}})
        entry["at"][check["steps"]] = check
    if not by_order:
        return None, 0, 0, 0
    width = by_order[min(by_order)]["arch"][3]
    tier = sorted(o for o in by_order if by_order[o]["arch"][3] == width)  # the first bank's candidates
    waiting, running, done, perfect_at = list(tier), {}, {}, {}
    free, chunks, steps_trained, unknown, position = groups, 0, 0, 0, 0
    while True:
        while position < len(tier) and tier[position] in done:
            if done[tier[position]] == "perfect":
                return by_order[tier[position]]["arch"], chunks, steps_trained, unknown
            position += 1
        if position >= len(tier):
            return None, chunks, steps_trained, unknown
        limit = min(perfect_at, default=float("inf"))
        while free and waiting and waiting[0] < limit:
            running[waiting.pop(0)] = {"steps": 0, "lowest": None, "improved": 0, "perfect": None, "polish": 0}
            free -= 1
        if not running:
            return None, chunks, steps_trained, unknown
        chunks += 1
        for order in list(running):
            c = running[order]
            c["steps"] += 100
            steps_trained += 100
            left = None
            if c["perfect"] is not None:
                c["polish"] -= 100
                left = "perfect" if c["polish"] <= 0 else None
            else:
                check = by_order[order]["at"].get(c["steps"])
                quick = None if check is None else check["quick"][:seeds]
                full = None if check is None or check["full"] is None else check["full"][:seeds]
                if check is None or (min(quick) == 0 and full is None):
                    left = "unknown"
                    unknown += 1
                elif min(quick) == 0 and min(full) == 0:
                    c["perfect"] = perfect_at[order] = c["steps"]
                    c["polish"] = config.polish_steps
                    left = None if config.polish_steps else "perfect"
                else:
                    rate = min(full) / check["outputs"] if min(quick) == 0 else min(quick) / check["quick_outputs"]
                    if c["lowest"] is None or rate < PROGRESS * c["lowest"]:
                        c["lowest"], c["improved"] = rate, c["steps"]
                    larger = [s for o, s in perfect_at.items() if o > order and o not in done]
                    left = reason_to_leave(c["steps"], rate, c["improved"], larger, config)
            if left:
                done[order] = left
                del running[order]
                free += 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    rec = commands.add_parser("record")
    rec.add_argument("--out", required=True)
    rec.add_argument("--budget", type=float, default=225.0, help="seconds per task's search (default 225)")
    rec.add_argument("--patience", type=int, default=TrainConfig().patience)
    rec.add_argument("--batch", type=int, help="sequences per training step (default: TrainConfig's)")
    rec.add_argument("tasks", nargs="+")
    rep = commands.add_parser("replay")
    rep.add_argument("file")
    rep.add_argument("--patience", type=int)
    rep.add_argument("--close-patience", type=int)
    rep.add_argument("--min-steps", type=int)
    rep.add_argument("--catch-up", type=float)
    rep.add_argument("--polish-steps", type=int)
    rep.add_argument("--seeds", type=int, help="replay with the first K seeds of each candidate (32 // K side by side)")
    args = parser.parse_args()
    if args.command == "record":
        record(args.tasks, Path(args.out), args.budget, args.patience, args.batch)
        return 0
    rows = [json.loads(line) for line in open(args.file)]
    default = TrainConfig()
    changes = {
        name: getattr(args, name)
        for name in ("patience", "close_patience", "min_steps", "catch_up", "polish_steps")
        if getattr(args, name) is not None
    }
    if any(changes.get("patience", 0) > row["recorded_patience"] for row in rows):
        print("a patience longer than the recorded one cannot be replayed", file=sys.stderr)
        return 2
    config = replace(default, **changes)
    seeds, groups = (args.seeds, default.slots // args.seeds) if args.seeds else (None, default.slots // default.seeds)
    totals = {"default": [0, 0, 0], "replayed": [0, 0, 0]}
    changed = []
    for row in rows:
        first = replay(row, default)
        other = replay(row, config, seeds, groups)
        for name, result in (("default", first), ("replayed", other)):
            totals[name] = [t + v for t, v in zip(totals[name], result[1:])]
        if first[0] != other[0]:
            changed.append(f"{row['task']}: {first[0]} -> {other[0]}")
    for name, (chunks, steps, unknown) in totals.items():
        print(f"{name:9s} chunks {chunks:6d}  candidate-steps {steps:8d}  unknown {unknown}")
    print(f"rules: {changes or 'default'}{f', {args.seeds} seeds' if args.seeds else ''}")
    print("first perfect candidate changed:", "; ".join(changed) or "none")
    return 0


if __name__ == "__main__":
    sys.exit(main())
