"""How many steps so far had a == b (a counter of a condition on a two-number input)."""

NAME = "Count_Equal_Pairs"
INPUT_DIM = 2
LENGTH = 10
INPUT_VALUES = range(0, 4)
RULE = "the number of steps so far with a == b"


def reference(inputs):
    out, count = [], 0
    for a, b in inputs:
        count += a == b
        out.append(count)
    return out
