"""Div_5: synthesized by mips from a trained recurrent network.

Network: hidden 3, f depth 2, g depth 2, width 16 (seed 0, trained seed 2).
Route: 10-state machine written as formulas on 2 integer coordinate(s) (size 15), reproduces the held-out outputs.
Read from the simplified network (relu units, basis, rounding: see report.json).

VERIFIED: 10000/10000 fresh random sequences of length 10, 1000/1000 fresh random sequences of length 50
"""


def program(inputs):
    s1 = 0  # the state's rank by what it outputs next
    outputs = []
    for x in inputs:
        s1 = (2 * s1 + x) % 5
        outputs.append((x + s1) % 2)
    return outputs
