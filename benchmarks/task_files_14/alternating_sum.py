"""x_1 - x_2 + x_3 - ...: a running sum whose sign alternates with time (a lattice and a clock)."""

NAME = "Alternating_Sum"
INPUT_DIM = 1
LENGTH = 10
INPUT_VALUES = range(-5, 6)
RULE = "sum of (-1)^(s+1) x_s for s = 1..t"


def reference(inputs):
    out, total = [], 0
    for t, x in enumerate(inputs):
        total += x if t % 2 == 0 else -x
        out.append(total)
    return out
