"""Time `synthesize` on named built-in tasks, one after another, and write the results.

    python benchmarks/time_tasks.py --out benchmarks/results/DATE-COMMIT-timings Bitwise_Xor Parity_All ...

Writes results.jsonl (one record per task), summary.md and programs/<task>.py in
the output folder; the full run folders (with weights) go to --runs, which is
not meant to be committed. Uses only the public API.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from mips import tasks
from mips.io.report import build_report
from mips.io.runs import save_run
from mips.pipeline import PipelineConfig, synthesize


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="+")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--runs", type=Path, default=Path("runs/timings"))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    (args.out / "programs").mkdir(parents=True, exist_ok=True)
    records = []
    for name in args.names:
        started = time.perf_counter()
        result = synthesize(
            tasks.get(name), PipelineConfig(seed=args.seed), progress=lambda m: print(f"  {name}: {m}", file=sys.stderr)
        )
        wall = time.perf_counter() - started
        save_run(result, args.runs / name)
        if result.program is not None:
            (args.out / "programs" / f"{name}.py").write_text(result.program)
        report = build_report(result)
        record = {
            "task": name,
            "verified": report["verified"],
            "verdict": report["verdict"],
            "hidden_size": report["network"]["hidden_size"] if report["network"] else None,
            "machine": report["machine"]["description"] if report["machine"] else None,
            "seconds": round(wall, 1),
            "stage_seconds": report["seconds"],
        }
        records.append(record)
        print(f"{name}: {'verified' if record['verified'] else 'NOT verified'} in {wall:.1f}s", flush=True)
    with open(args.out / "results.jsonl", "w") as f:
        for record in records:
            f.write(json.dumps(record) + "\n")
    lines = [
        f"# synthesize timings ({datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC)",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"seed {args.seed}; default PipelineConfig; tasks run one after another.",
        "",
        "| task | verified | hidden | machine | seconds | verification |",
        "|---|---|---|---|---|---|",
    ]
    for r in records:
        lines.append(
            f"| {r['task']} | {'yes' if r['verified'] else 'NO'} | {r['hidden_size']} | "
            f"{r['machine']} | {r['seconds']} | {r['verdict']} |"
        )
    (args.out / "summary.md").write_text("\n".join(lines) + "\n")
    return 0 if all(r["verified"] for r in records) else 1


if __name__ == "__main__":
    sys.exit(main())
