"""Abs_Current: synthesized by mips from a trained recurrent network.

Network: hidden 1, f depth 1, g depth 2, width 16 (seed 0, trained seed 1).
Route: 1-dimensional integer state with symbolic formulas (size 5), reproduces the held-out outputs.
Read from the simplified network (relu units, basis, rounding: see report.json).

VERIFIED: 10000/10000 fresh random sequences of length 10, 1000/1000 fresh random sequences of length 50
"""


def program(inputs):
    outputs = []
    for x in inputs:
        outputs.append(abs(x))
    return outputs
