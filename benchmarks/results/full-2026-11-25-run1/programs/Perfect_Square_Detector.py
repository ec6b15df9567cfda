"""Perfect_Square_Detector: synthesized by mips from a trained recurrent network.

Network: hidden 2, f depth 2, g depth 2, width 16 (seed 0, trained seed 5).
Route: 2-state machine (size 42), reproduces the held-out outputs.

VERIFIED: 10000/10000 fresh random sequences of length 10, 1000/1000 fresh random sequences of length 50
"""

# NEXT[state][input]: the state after reading the input
NEXT = {
    0: {0: 1, 1: 1, 2: 0, 3: 0, 4: 1, 5: 0, 6: 0, 7: 0, 8: 0, 9: 1, 10: 0, 11: 0, 12: 0, 13: 0, 14: 0, 15: 0, 16: 1, 17: 0, 18: 0, 19: 0},
    1: {0: 1, 1: 1, 2: 0, 3: 0, 4: 1, 5: 0, 6: 0, 7: 0, 8: 0, 9: 1, 10: 0, 11: 0, 12: 0, 13: 0, 14: 0, 15: 0, 16: 1, 17: 0, 18: 0, 19: 0},
}

# OUTPUT[state]: what the program says in that state
OUTPUT = {
    0: 0,
    1: 1,
}


def program(inputs):
    state = 0
    outputs = []
    for x in inputs:
        state = NEXT[state][x]
        outputs.append(OUTPUT[state])
    return outputs
