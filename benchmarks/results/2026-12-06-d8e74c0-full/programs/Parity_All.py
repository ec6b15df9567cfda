"""Parity_All: synthesized by mips from a trained recurrent network.

Network: hidden 1, f depth 2, g depth 1, width 16 (seed 0, trained seed 0).
Route: 2-state machine written as formulas on 1 integer coordinate(s) (size 5), reproduces the held-out outputs.
Read from the simplified network (relu units, basis, rounding: see report.json).

VERIFIED: 10000/10000 fresh random sequences of length 10, 1000/1000 fresh random sequences of length 50
"""


def program(inputs):
    out = 0  # the output
    outputs = []
    for x in inputs:
        out = out ^ x
        outputs.append(out)
    return outputs
