"""Whether the input went up since the step before (a comparison over ten values)."""

NAME = "Rise_Over_Prev"
INPUT_DIM = 1
LENGTH = 10
INPUT_VALUES = range(0, 10)
RULE = "1 if x_t > x_{t-1} else 0, with x_0 = 0"


def reference(inputs):
    out, previous = [], 0
    for x in inputs:
        out.append(int(x > previous))
        previous = x
    return out
