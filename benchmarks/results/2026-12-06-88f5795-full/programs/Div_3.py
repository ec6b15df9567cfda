"""Div_3: synthesized by mips from a trained recurrent network.

Network: hidden 2, f depth 2, g depth 1, width 16 (seed 0, trained seed 6).
Route: 6-state machine (size 18), reproduces the held-out outputs.
Read from the simplified network (relu units, basis, rounding: see report.json).

VERIFIED: 10000/10000 fresh random sequences of length 10, 1000/1000 fresh random sequences of length 50
"""

# NEXT[state][input]: the state after reading the input
NEXT = {
    0: {0: 0, 1: 1},
    1: {0: 2, 1: 3},
    2: {0: 4, 1: 5},
    3: {0: 0, 1: 1},
    4: {0: 2, 1: 3},
    5: {0: 4, 1: 5},
}

# OUTPUT[state]: what the program says in that state
OUTPUT = {
    0: 0,
    1: 0,
    2: 0,
    3: 1,
    4: 1,
    5: 1,
}


def program(inputs):
    state = 0
    outputs = []
    for x in inputs:
        state = NEXT[state][x]
        outputs.append(OUTPUT[state])
    return outputs
