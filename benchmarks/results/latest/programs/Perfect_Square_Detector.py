"""Perfect_Square_Detector: synthesized by mips from a trained recurrent network.

Network: hidden 2, f depth 2, g depth 2, width 16 (seed 0, trained seed 5).
Route: 2-state machine (size 42), reproduces the held-out outputs.

VERIFIED: 10000/10000 fresh random sequences of length 10, 1000/1000 fresh random sequences of length 50
"""

# NEXT[state][input]: the state after reading the input
NEXT = {
    0: {0: 0, 1: 0, 2: 1, 3: 1, 4: 0, 5: 1, 6: 1, 7: 1, 8: 1, 9: 0, 10: 1, 11: 1, 12: 1, 13: 1, 14: 1, 15: 1, 16: 0, 17: 1, 18: 1, 19: 1},
    1: {0: 0, 1: 0, 2: 1, 3: 1, 4: 0, 5: 1, 6: 1, 7: 1, 8: 1, 9: 0, 10: 1, 11: 1, 12: 1, 13: 1, 14: 1, 15: 1, 16: 0, 17: 1, 18: 1, 19: 1},
}

# OUTPUT[state]: what the program says in that state
OUTPUT = {
    0: 1,
    1: 0,
}


def program(inputs):
    state = 0
    outputs = []
    for x in inputs:
        state = NEXT[state][x]
        outputs.append(OUTPUT[state])
    return outputs
