"""The number of 1s so far, but never more than 5 (a counter that saturates)."""

NAME = "Ones_Capped_At_5"
INPUT_DIM = 1
LENGTH = 10
INPUT_VALUES = (0, 1)
RULE = "min(5, number of 1s among x_1..x_t)"


def reference(inputs):
    out, ones = [], 0
    for x in inputs:
        ones += x
        out.append(min(5, ones))
    return out
