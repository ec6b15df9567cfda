"""The spread of the inputs so far: the largest minus the smallest."""

NAME = "Range_So_Far"
INPUT_DIM = 1
LENGTH = 10
INPUT_VALUES = range(0, 10)
RULE = "max(x_1..x_t) - min(x_1..x_t)"


def reference(inputs):
    out, low, high = [], None, None
    for x in inputs:
        low = x if low is None else min(low, x)
        high = x if high is None else max(high, x)
        out.append(high - low)
    return out
