"""Sum_Last7: synthesized by mips from a trained recurrent network.

Network: hidden 7, f depth 1, g depth 1, width 16 (seed 0, trained seed 6).
Route: 7-dimensional integer lattice (size 21), reproduces the held-out outputs.
Read from the simplified network (basis, rounding: see report.json).

VERIFIED: 10000/10000 fresh random sequences of length 20, 1000/1000 fresh random sequences of length 100
"""


def program(inputs):
    cur = 0
    prev = 0
    prev2 = 0
    prev3 = 0
    prev4 = 0
    prev5 = 0
    outputs = []
    for x in inputs:
        cur, prev, prev2, prev3, prev4, prev5, prev6 = x, cur, prev, prev2, prev3, prev4, prev5
        outputs.append(cur + prev + prev2 + prev3 + prev4 + prev5 + prev6)
    return outputs
