#!/usr/bin/env bash
# Wall time of `mips synthesize` per task, each in its own process (JAX import and
# compilation included), one after another. Usage: benchmarks/time_cli.sh OUT.tsv TASK...
set -u
out=$1; shift
printf 'task\tseconds\texit\tverdict\n' > "$out"
for task in "$@"; do
  start=$(date +%s.%N)
  mips synthesize "$task" --out "runs/timing-cli/$task" --quiet > "runs/timing-cli-$task.log" 2>&1
  code=$?
  end=$(date +%s.%N)
  verdict=$(grep -E '^(VERIFIED|NOT VERIFIED)' "runs/timing-cli-$task.log" | tail -1)
  printf '%s\t%.1f\t%s\t%s\n' "$task" "$(python3 -c "print($end - $start)")" "$code" "$verdict" >> "$out"
done
