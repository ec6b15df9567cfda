"""Ones_Capped_At_5: synthesized by mips from a trained recurrent network.

Network: hidden 1, f depth 1, g depth 2, width 16 (seed 0, trained seed 6).
Route: 1-dimensional integer state with symbolic formulas (size 8), reproduces the held-out outputs.
Read from the simplified network (relu units, rounding: see report.json).

VERIFIED: 10000/10000 fresh random sequences of length 10, 1000/1000 fresh random sequences of length 50
"""


def program(inputs):
    total = 0
    outputs = []
    for x in inputs:
        total = total + x
        outputs.append(min(total, 5))
    return outputs
