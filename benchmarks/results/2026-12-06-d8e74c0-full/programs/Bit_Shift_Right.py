"""Bit_Shift_Right: synthesized by mips from a trained recurrent network.

Network: hidden 1, f depth 1, g depth 2, width 16 (seed 0, trained seed 2).
Route: 4-state machine written as formulas on 2 integer coordinate(s) (size 5), reproduces the held-out outputs.
Read from the simplified network (relu units, rounding: see report.json).

VERIFIED: 10000/10000 fresh random sequences of length 10, 1000/1000 fresh random sequences of length 50
"""


def program(inputs):
    cur = 0  # the input
    outputs = []
    for x in inputs:
        cur, prev = x, cur
        outputs.append(prev)
    return outputs
