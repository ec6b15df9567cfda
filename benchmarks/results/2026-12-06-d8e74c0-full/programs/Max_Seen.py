"""Max_Seen: synthesized by mips from a trained recurrent network.

Network: hidden 1, f depth 2, g depth 2, width 16 (seed 0, trained seed 1).
Route: 101-state machine written as formulas on 1 integer coordinate(s) (size 6), with rules that all but 1 of its table's entries follow, reproduces the held-out outputs.
Read from the simplified network (relu units, rounding: see report.json).

VERIFIED: 10000/10000 fresh random sequences of length 10, 1000/1000 fresh random sequences of length 50
"""


def program(inputs):
    out = 0  # the output
    outputs = []
    for x in inputs:
        out = max(out, x)
        outputs.append(out)
    return outputs
