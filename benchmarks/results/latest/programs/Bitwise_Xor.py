"""Bitwise_Xor: synthesized by mips from a trained recurrent network.

Network: hidden 1, f depth 1, g depth 2, width 16 (seed 0, trained seed 0).
Route: 1-dimensional integer state with symbolic formulas (size 8), reproduces the held-out outputs.

VERIFIED: 10000/10000 fresh random sequences of length 10, 1000/1000 fresh random sequences of length 50
"""


def program(inputs):
    s0 = 0
    outputs = []
    for x0, x1 in inputs:
        s0 = x0 + x1
        outputs.append(int(s0 == 1))
    return outputs
