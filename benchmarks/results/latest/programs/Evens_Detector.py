"""Evens_Detector: synthesized by mips from a trained recurrent network.

Network: hidden 1, f depth 1, g depth 1, width 16 (seed 0, trained seed 0).
Route: 1-dimensional integer lattice (size 8), reproduces the held-out outputs.

VERIFIED: 10000/10000 fresh random sequences of length 10, 1000/1000 fresh random sequences of length 50
"""

# STEP[input]: what reading the input adds to the state
STEP = {
    0: 0,
    1: 1,
    2: 0,
    3: 1,
    4: 0,
    5: 1,
    6: 0,
    7: 1,
    8: 0,
    9: 1,
}


def program(inputs):
    s0 = 0
    outputs = []
    for x in inputs:
        s0 = STEP[x]
        outputs.append(1 - s0)
    return outputs
