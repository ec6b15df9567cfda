"""Div_5: synthesized by mips from a trained recurrent network.

Network: hidden 3, f depth 2, g depth 2, width 16 (seed 0, trained seed 2).
Route: 10-state machine (size 30), reproduces the held-out outputs.
Read from the simplified network (relu units, basis, rounding: see report.json).

VERIFIED: 10000/10000 fresh random sequences of length 10, 1000/1000 fresh random sequences of length 50
"""

# NEXT[state][input]: the state after reading the input
NEXT = {
    0: {0: 1, 1: 2},
    1: {0: 1, 1: 2},
    2: {0: 3, 1: 4},
    3: {0: 5, 1: 0},
    4: {0: 6, 1: 7},
    5: {0: 8, 1: 9},
    6: {0: 3, 1: 4},
    7: {0: 5, 1: 0},
    8: {0: 6, 1: 7},
    9: {0: 8, 1: 9},
}

# OUTPUT[state]: what the program says in that state
OUTPUT = {
    0: 1,
    1: 0,
    2: 0,
    3: 0,
    4: 0,
    5: 0,
    6: 1,
    7: 1,
    8: 1,
    9: 1,
}


def program(inputs):
    state = 0
    outputs = []
    for x in inputs:
        state = NEXT[state][x]
        outputs.append(OUTPUT[state])
    return outputs
