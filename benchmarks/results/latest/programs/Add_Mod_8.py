"""Add_Mod_8: synthesized by mips from a trained recurrent network.

Network: hidden 3, f depth 2, g depth 2, width 16 (seed 0, trained seed 6).
Route: 8-state machine (size 72), reproduces the held-out outputs.

VERIFIED: 10000/10000 fresh random sequences of length 10, 1000/1000 fresh random sequences of length 50
"""

# NEXT[state][input]: the state after reading the input
NEXT = {
    0: {0: 0, 1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6, 7: 7},
    1: {0: 1, 1: 2, 2: 3, 3: 4, 4: 5, 5: 6, 6: 7, 7: 0},
    2: {0: 2, 1: 3, 2: 4, 3: 5, 4: 6, 5: 7, 6: 0, 7: 1},
    3: {0: 3, 1: 4, 2: 5, 3: 6, 4: 7, 5: 0, 6: 1, 7: 2},
    4: {0: 4, 1: 5, 2: 6, 3: 7, 4: 0, 5: 1, 6: 2, 7: 3},
    5: {0: 5, 1: 6, 2: 7, 3: 0, 4: 1, 5: 2, 6: 3, 7: 4},
    6: {0: 6, 1: 7, 2: 0, 3: 1, 4: 2, 5: 3, 6: 4, 7: 5},
    7: {0: 7, 1: 0, 2: 1, 3: 2, 4: 3, 5: 4, 6: 5, 7: 6},
}

# OUTPUT[state]: what the program says in that state
OUTPUT = {
    0: 0,
    1: 1,
    2: 2,
    3: 3,
    4: 4,
    5: 5,
    6: 6,
    7: 7,
}


def program(inputs):
    state = 0
    outputs = []
    for x in inputs:
        state = NEXT[state][x]
        outputs.append(OUTPUT[state])
    return outputs
