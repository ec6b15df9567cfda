"""Add_Mod_5: synthesized by mips from a trained recurrent network.

Network: hidden 2, f depth 2, g depth 1, width 16 (seed 0, trained seed 0).
Route: 5-state machine (size 30), reproduces the held-out outputs.

VERIFIED: 10000/10000 fresh random sequences of length 10, 1000/1000 fresh random sequences of length 50
"""

# NEXT[state][input]: the state after reading the input
NEXT = {
    0: {0: 0, 1: 1, 2: 2, 3: 3, 4: 4},
    1: {0: 1, 1: 2, 2: 3, 3: 4, 4: 0},
    2: {0: 2, 1: 3, 2: 4, 3: 0, 4: 1},
    3: {0: 3, 1: 4, 2: 0, 3: 1, 4: 2},
    4: {0: 4, 1: 0, 2: 1, 3: 2, 4: 3},
}

# OUTPUT[state]: what the program says in that state
OUTPUT = {
    0: 0,
    1: 1,
    2: 2,
    3: 3,
    4: 4,
}


def program(inputs):
    state = 0
    outputs = []
    for x in inputs:
        state = NEXT[state][x]
        outputs.append(OUTPUT[state])
    return outputs
