"""Newton_Gravity: synthesized by mips from a trained recurrent network.

Network: hidden 2, f depth 1, g depth 1, width 16 (seed 0, trained seed 2).
Route: 2-dimensional integer lattice (size 9), reproduces the held-out outputs.
Read from the simplified network (basis, rounding: see report.json).

VERIFIED: 10000/10000 fresh random sequences of length 10, 1000/1000 fresh random sequences of length 50
"""


def program(inputs):
    s0 = 0
    s1 = 0
    outputs = []
    for x in inputs:
        s0, s1 = x - s1 - 1, s0 + 2 * s1
        outputs.append(s0 + 2 * s1)
    return outputs
