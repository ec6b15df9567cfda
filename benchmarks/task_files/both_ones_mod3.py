"""How many steps had both bits set, mod 3 (a finite-state counter on a two-number input)."""

NAME = "Both_Ones_Mod3"
INPUT_DIM = 2
LENGTH = 10
INPUT_VALUES = (0, 1)
RULE = "(number of steps with a = b = 1) mod 3"


def reference(inputs):
    out, count = [], 0
    for a, b in inputs:
        count = (count + (a and b)) % 3
        out.append(count)
    return out
