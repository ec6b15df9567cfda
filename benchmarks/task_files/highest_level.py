"""The highest level a walk of steps -1, 0, +1 has reached (a maximum of a running sum)."""

NAME = "Highest_Level"
INPUT_DIM = 1
LENGTH = 10
INPUT_VALUES = (-1, 0, 1)
RULE = "max(0, max over s <= t of x_1 + ... + x_s)"


def reference(inputs):
    out, level, best = [], 0, 0
    for x in inputs:
        level += x
        best = max(best, level)
        out.append(best)
    return out
