"""The larger of the last two inputs (a maximum over a window)."""
NAME = "Max_Last2"
INPUT_DIM = 1
LENGTH = 10
INPUT_VALUES = range(0, 10)
RULE = "max(x_{t-1}, x_t), x_0 = 0"


def reference(inputs):
    out, previous = [], 0
    for x in inputs:
        out.append(max(previous, x))
        previous = x
    return out
