"""How many steps so far went up (a counter of a condition on the input and the one before)."""

NAME = "Count_Rises"
INPUT_DIM = 1
LENGTH = 10
INPUT_VALUES = range(0, 4)
RULE = "the number of steps s <= t with x_s > x_{s-1} (x_0 = 0)"


def reference(inputs):
    out, count, previous = [], 0, 0
    for x in inputs:
        count += x > previous
        previous = x
        out.append(count)
    return out
