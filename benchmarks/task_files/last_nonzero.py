"""The last nonzero input seen so far (0 before any): a memory that keeps a selected value."""
NAME = "Last_Nonzero"
INPUT_DIM = 1
LENGTH = 10
INPUT_VALUES = range(0, 6)
RULE = "the most recent x_s != 0 (0 if none yet)"


def reference(inputs):
    out, kept = [], 0
    for x in inputs:
        if x:
            kept = x
        out.append(kept)
    return out
