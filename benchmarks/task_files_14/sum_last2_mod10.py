"""The last digit of the sum of the last two inputs (a window function over ten values)."""

NAME = "Sum_Last2_Mod10"
INPUT_DIM = 1
LENGTH = 10
INPUT_VALUES = range(0, 10)
RULE = "(x_t + x_{t-1}) mod 10, with x_0 = 0"


def reference(inputs):
    out, previous = [], 0
    for x in inputs:
        out.append((x + previous) % 10)
        previous = x
    return out
