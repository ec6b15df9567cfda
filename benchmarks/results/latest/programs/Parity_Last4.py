"""Parity_Last4: synthesized by mips from a trained recurrent network.

Network: hidden 2, f depth 1, g depth 2, width 16 (seed 0, trained seed 3).
Route: 16-state machine (size 48), reproduces the held-out outputs.

VERIFIED: 10000/10000 fresh random sequences of length 10, 1000/1000 fresh random sequences of length 50
"""

# NEXT[state][input]: the state after reading the input
NEXT = {
    0: {0: 0, 1: 1},
    1: {0: 2, 1: 3},
    2: {0: 4, 1: 5},
    3: {0: 6, 1: 7},
    4: {0: 8, 1: 9},
    5: {0: 10, 1: 11},
    6: {0: 12, 1: 13},
    7: {0: 14, 1: 15},
    8: {0: 0, 1: 1},
    9: {0: 2, 1: 3},
    10: {0: 4, 1: 5},
    11: {0: 6, 1: 7},
    12: {0: 8, 1: 9},
    13: {0: 10, 1: 11},
    14: {0: 12, 1: 13},
    15: {0: 14, 1: 15},
}

# OUTPUT[state]: what the program says in that state
OUTPUT = {
    0: 0,
    1: 1,
    2: 1,
    3: 0,
    4: 1,
    5: 0,
    6: 0,
    7: 1,
    8: 1,
    9: 0,
    10: 0,
    11: 1,
    12: 0,
    13: 1,
    14: 1,
    15: 0,
}


def program(inputs):
    state = 0
    outputs = []
    for x in inputs:
        state = NEXT[state][x]
        outputs.append(OUTPUT[state])
    return outputs
