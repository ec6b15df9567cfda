"""Evens_Counter: synthesized by mips from a trained recurrent network.

Network: hidden 1, f depth 1, g depth 1, width 16 (seed 0, trained seed 4).
Route: 1-dimensional integer lattice (size 9), reproduces the held-out outputs.
Read from the simplified network (basis, rounding: see report.json).

VERIFIED: 10000/10000 fresh random sequences of length 10, 1000/1000 fresh random sequences of length 50
"""

# STEP[input]: what reading the input adds to the state
STEP = {
    0: 1,
    1: 0,
    2: 1,
    3: 0,
    4: 1,
    5: 0,
    6: 1,
    7: 0,
    8: 1,
    9: 0,
}


def program(inputs):
    count = 0
    outputs = []
    for x in inputs:
        count = count + STEP[x]
        outputs.append(count)
    return outputs
