"""Evens_Detector: synthesized by mips from a trained recurrent network.

Network: hidden 1, f depth 1, g depth 1, width 16 (seed 0, trained seed 0).
Route: 2-state machine written as formulas on 1 integer coordinate(s) (size 8), reproduces the held-out outputs.
Read from the simplified network (rounding: see report.json).

VERIFIED: 10000/10000 fresh random sequences of length 10, 1000/1000 fresh random sequences of length 50
"""


def program(inputs):
    outputs = []
    for x in inputs:
        outputs.append(1 - x % 2)
    return outputs
