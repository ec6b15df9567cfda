"""Prev4: synthesized by mips from a trained recurrent network.

Network: hidden 5, f depth 1, g depth 1, width 16 (seed 0, trained seed 1).
Route: 5-dimensional integer lattice (size 11), reproduces the held-out outputs.
Read from the simplified network (basis, rounding: see report.json).

VERIFIED: 10000/10000 fresh random sequences of length 10, 1000/1000 fresh random sequences of length 50
"""


def program(inputs):
    cur = 0
    prev = 0
    prev2 = 0
    prev3 = 0
    outputs = []
    for x in inputs:
        cur, prev, prev2, prev3, prev4 = x, cur, prev, prev2, prev3
        outputs.append(prev4)
    return outputs
