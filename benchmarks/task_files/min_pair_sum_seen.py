"""The smallest a + b seen so far (a running minimum of a quantity of a two-number input)."""

NAME = "Min_Pair_Sum_Seen"
INPUT_DIM = 2
LENGTH = 10
INPUT_VALUES = range(0, 5)
RULE = "min of a_s + b_s over s <= t"


def reference(inputs):
    out, best = [], None
    for a, b in inputs:
        best = a + b if best is None else min(best, a + b)
        out.append(best)
    return out
