NAME = "Last_Nonzero"
INPUT_DIM = 1
LENGTH = 10
INPUT_VALUES = range(0, 10)
RULE = "the last nonzero input so far (0 before any)"


def reference(inputs):
    out, last = [], 0
    for x in inputs:
        if x != 0:
            last = x
        out.append(last)
    return out
