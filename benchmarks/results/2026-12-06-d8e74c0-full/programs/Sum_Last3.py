"""Sum_Last3: synthesized by mips from a trained recurrent network.

Network: hidden 3, f depth 1, g depth 1, width 16 (seed 0, trained seed 2).
Route: 3-dimensional integer lattice (size 9), reproduces the held-out outputs.
Read from the simplified network (basis, rounding: see report.json).

VERIFIED: 10000/10000 fresh random sequences of length 10, 1000/1000 fresh random sequences of length 50
"""


def program(inputs):
    cur = 0
    prev = 0
    outputs = []
    for x in inputs:
        cur, prev, prev2 = x, cur, prev
        outputs.append(cur + prev + prev2)
    return outputs
