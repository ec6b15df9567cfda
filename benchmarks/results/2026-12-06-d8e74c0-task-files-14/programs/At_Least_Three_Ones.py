"""At_Least_Three_Ones: synthesized by mips from a trained recurrent network.

Network: hidden 1, f depth 1, g depth 1, width 16 (seed 0, trained seed 2).
Route: 4-state machine written as formulas on 1 integer coordinate(s) (size 11), reproduces the held-out outputs.
Read from the simplified network (rounding: see report.json).

VERIFIED: 10000/10000 fresh random sequences of length 10, 1000/1000 fresh random sequences of length 50
"""


def program(inputs):
    s0 = 0  # the state's rank by what it outputs next
    outputs = []
    for x in inputs:
        s0 = min(s0 + x, 3)
        outputs.append(int(s0 == 3))
    return outputs
