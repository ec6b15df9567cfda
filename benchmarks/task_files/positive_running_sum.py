"""Whether the running sum is above zero (a counter read through a threshold)."""

NAME = "Positive_Running_Sum"
INPUT_DIM = 1
LENGTH = 10
INPUT_VALUES = range(-2, 3)
RULE = "1 if x_1 + ... + x_t > 0 else 0"


def reference(inputs):
    out, total = [], 0
    for x in inputs:
        total += x
        out.append(int(total > 0))
    return out
