NAME = "Ones_Mod_4"
INPUT_DIM = 1
LENGTH = 10
INPUT_VALUES = range(0, 2)
RULE = "number of ones so far, mod 4"


def reference(inputs):
    out, n = [], 0
    for x in inputs:
        n = (n + x) % 4
        out.append(n)
    return out
