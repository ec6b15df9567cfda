"""How many steps so far had a + b >= 5 (a counter of a condition on a two-number input)."""

NAME = "Count_Pairs_Sum_At_Least_5"
INPUT_DIM = 2
LENGTH = 10
INPUT_VALUES = range(0, 5)
RULE = "the number of steps so far with a + b >= 5"


def reference(inputs):
    out, count = [], 0
    for a, b in inputs:
        count += a + b >= 5
        out.append(count)
    return out
