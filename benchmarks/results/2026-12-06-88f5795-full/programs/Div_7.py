"""Div_7: synthesized by mips from a trained recurrent network.

Network: hidden 5, f depth 2, g depth 1, width 16 (seed 0, trained seed 5).
Route: 14-state machine (size 42), reproduces the held-out outputs.
Read from the simplified network (relu units, basis, rounding: see report.json).

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
    7: {0: 0, 1: 1},
    8: {0: 2, 1: 3},
    9: {0: 4, 1: 5},
    10: {0: 6, 1: 7},
    11: {0: 8, 1: 9},
    12: {0: 10, 1: 11},
    13: {0: 12, 1: 13},
}

# OUTPUT[state]: what the program says in that state
OUTPUT = {
    0: 0,
    1: 0,
    2: 0,
    3: 0,
    4: 0,
    5: 0,
    6: 0,
    7: 1,
    8: 1,
    9: 1,
    10: 1,
    11: 1,
    12: 1,
    13: 1,
}


def program(inputs):
    state = 0
    outputs = []
    for x in inputs:
        state = NEXT[state][x]
        outputs.append(OUTPUT[state])
    return outputs
