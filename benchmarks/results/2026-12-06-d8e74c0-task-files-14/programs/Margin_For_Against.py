"""Margin_For_Against: synthesized by mips from a trained recurrent network.

Network: hidden 1, f depth 1, g depth 2, width 16 (seed 0, trained seed 0).
Route: 11-state machine written as formulas on 1 integer coordinate(s) (size 12), counting on past the edge of the data, reproduces the held-out outputs.
Read from the simplified network (relu units, rounding: see report.json).

VERIFIED: 10000/10000 fresh random sequences of length 10, 1000/1000 fresh random sequences of length 50
"""


def program(inputs):
    s0 = 0  # a counter (per input 0: +1, 1: +0, 2: -1)
    outputs = []
    for x in inputs:
        s0 = s0 - x + 1
        outputs.append(abs(min(s0, 0)))
    return outputs
