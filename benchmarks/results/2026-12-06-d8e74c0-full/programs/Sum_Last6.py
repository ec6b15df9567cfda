"""Sum_Last6: synthesized by mips from a trained recurrent network.

Network: hidden 6, f depth 1, g depth 1, width 16 (seed 0, trained seed 3).
Route: 6-dimensional integer lattice (size 18), reproduces the held-out outputs.
Read from the simplified network (basis, rounding: see report.json).

VERIFIED: 10000/10000 fresh random sequences of length 20, 1000/1000 fresh random sequences of length 100
"""


def program(inputs):
    cur = 0
    prev = 0
    prev2 = 0
    prev3 = 0
    prev4 = 0
    outputs = []
    for x in inputs:
        cur, prev, prev2, prev3, prev4, prev5 = x, cur, prev, prev2, prev3, prev4
        outputs.append(cur + prev + prev2 + prev3 + prev4 + prev5)
    return outputs
