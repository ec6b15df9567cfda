"""Whether at least three 1s have been seen (a counter read through a threshold)."""

NAME = "At_Least_Three_Ones"
INPUT_DIM = 1
LENGTH = 10
INPUT_VALUES = (0, 1)
RULE = "1 if x_1..x_t hold at least three 1s, else 0"


def reference(inputs):
    out, ones = [], 0
    for x in inputs:
        ones += x
        out.append(int(ones >= 3))
    return out
