"""Balanced brackets with a neutral symbol: 0 opens, 1 closes, 2 is a space."""

NAME = "Balanced_With_Spaces"
INPUT_DIM = 1
LENGTH = 10
INPUT_VALUES = (0, 1, 2)
RULE = "1 if the brackets so far are balanced and never closed more than were open, else 0"


def reference(inputs):
    out, depth = [], 0
    for x in inputs:
        if depth >= 0 and x != 2:
            depth += 1 if x == 0 else -1
        out.append(int(depth == 0))
    return out
