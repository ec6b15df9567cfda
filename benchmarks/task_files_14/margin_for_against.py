"""A vote: 2 is for, 0 against, 1 abstains; the lead of the fors, or 0 when they do not lead."""

NAME = "Margin_For_Against"
INPUT_DIM = 1
LENGTH = 10
INPUT_VALUES = (0, 1, 2)
RULE = "max(0, #2s - #0s) among x_1..x_t"


def reference(inputs):
    out, lead = [], 0
    for x in inputs:
        lead += (x == 2) - (x == 0)
        out.append(max(0, lead))
    return out
