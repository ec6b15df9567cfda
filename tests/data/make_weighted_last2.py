"""Writes weighted_last2.jsonl: y_t = x_t + 2 x_(t-1), inputs 0..9 (a task not among the 62)."""

import json
import random
import sys


def write(path, count=1200, length=8, seed=1):
    rng = random.Random(seed)
    with open(path, "w") as f:
        for _ in range(count):
            xs = [rng.randint(0, 9) for _ in range(length)]
            ys = [x + 2 * p for p, x in zip([0] + xs, xs)]
            f.write(json.dumps({"inputs": xs, "outputs": ys}) + "\n")


if __name__ == "__main__":
    write(sys.argv[1])
