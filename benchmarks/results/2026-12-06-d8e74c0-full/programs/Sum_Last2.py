"""Sum_Last2: synthesized by mips from a trained recurrent network.

Network: hidden 2, f depth 1, g depth 1, width 16 (seed 0, trained seed 0).
Route: 2-dimensional integer lattice (size 6), reproduces the held-out outputs.
Read from the simplified network (basis, rounding: see report.json).

VERIFIED: 10000/10000 fresh random sequences of length 10, 1000/1000 fresh random sequences of length 50
"""


def program(inputs):
    cur = 0
    outputs = []
    for x in inputs:
        cur, prev = x, cur
        outputs.append(cur + prev)
    return outputs
