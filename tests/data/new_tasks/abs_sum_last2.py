NAME = "Abs_Sum_Last2"
INPUT_DIM = 1
LENGTH = 10
INPUT_VALUES = range(-9, 10)
RULE = "abs(x_t + x_{t-1}), with x_0 = 0"


def reference(inputs):
    out, previous = [], 0
    for x in inputs:
        out.append(abs(x + previous))
        previous = x
    return out
