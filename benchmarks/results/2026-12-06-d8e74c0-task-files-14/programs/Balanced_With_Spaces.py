"""Balanced_With_Spaces: synthesized by mips from a trained recurrent network.

Network: hidden 1, f depth 2, g depth 1, width 16 (seed 0, trained seed 4).
Route: 5-state machine written as formulas on 1 integer coordinate(s) (size 24), counting on past the edge of the data, reproduces the held-out outputs.
Read from the simplified network (relu units: see report.json).

VERIFIED: 10000/10000 fresh random sequences of length 10, 1000/1000 fresh random sequences of length 50
"""


def program(inputs):
    s0 = 0  # a counter (per input 0: +1, 1: -1, 2: +0)
    outputs = []
    for x in inputs:
        s0 = s0 + x - 2 if s0 < s0 + x else s0 + 1 if x <= s0 else s0
        outputs.append(int(s0 == 0))
    return outputs
