NAME = "Sign_Of_Sum"
INPUT_DIM = 1
LENGTH = 10
INPUT_VALUES = range(-2, 3)
RULE = "the sign (-1, 0 or 1) of x_1 + ... + x_t"


def reference(inputs):
    out, total = [], 0
    for x in inputs:
        total += x
        out.append((total > 0) - (total < 0))
    return out
