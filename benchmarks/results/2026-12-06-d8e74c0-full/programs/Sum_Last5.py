"""Sum_Last5: synthesized by mips from a trained recurrent network.

Network: hidden 5, f depth 1, g depth 1, width 16 (seed 0, trained seed 7).
Route: 5-dimensional integer lattice (size 15), reproduces the held-out outputs.
Read from the simplified network (basis, rounding: see report.json).

VERIFIED: 10000/10000 fresh random sequences of length 20, 1000/1000 fresh random sequences of length 100
"""


def program(inputs):
    cur = 0
    prev = 0
    prev2 = 0
    prev3 = 0
    outputs = []
    for x in inputs:
        cur, prev, prev2, prev3, prev4 = x, cur, prev, prev2, prev3
        outputs.append(cur + prev + prev2 + prev3 + prev4)
    return outputs
