"""Diff_Abs_Values: synthesized by mips from a trained recurrent network.

Network: hidden 2, f depth 1, g depth 2, width 16 (seed 0, trained seed 4).
Route: 2-dimensional integer state with symbolic formulas (size 11), reproduces the held-out outputs.
Read from the simplified network (relu units, basis, rounding: see report.json).

VERIFIED: 10000/10000 fresh random sequences of length 10, 1000/1000 fresh random sequences of length 50
"""


def program(inputs):
    cur = 0
    outputs = []
    for x in inputs:
        cur, prev = x, cur
        outputs.append(abs(cur) - abs(prev))
    return outputs
