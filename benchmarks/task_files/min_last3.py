"""The smallest of the last three inputs seen (a minimum over a window)."""

NAME = "Min_Last3"
INPUT_DIM = 1
LENGTH = 10
INPUT_VALUES = range(0, 8)
RULE = "min(x_{t-2}, x_{t-1}, x_t), over the inputs seen so far"


def reference(inputs):
    return [min(inputs[max(0, t - 2) : t + 1]) for t in range(len(inputs))]
