"""Bracket depth, or -1 for ever once a closing bracket had nothing to close (a counter and a flag)."""

NAME = "Depth_Or_Dead"
INPUT_DIM = 1
LENGTH = 10
INPUT_VALUES = (0, 1)
RULE = "0 opens, 1 closes: the depth so far, or -1 from the first time it would go below 0"


def reference(inputs):
    out, depth = [], 0
    for x in inputs:
        if depth >= 0:
            depth = depth + 1 if x == 0 else depth - 1
        out.append(depth if depth >= 0 else -1)
    return out
