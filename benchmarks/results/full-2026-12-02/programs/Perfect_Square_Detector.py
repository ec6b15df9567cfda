"""Perfect_Square_Detector: synthesized by mips from a trained recurrent network.

Network: hidden 12, f depth 2, g depth 2, width 16 (seed 0, trained seed 5).
Route: 2-state machine written as formulas on 1 integer coordinate(s) (size 10), reproduces the held-out outputs.
Read from the simplified network (relu units, basis, rounding: see report.json).

VERIFIED: 10000/10000 fresh random sequences of length 10, 1000/1000 fresh random sequences of length 50
"""


def program(inputs):
    cur = 0  # the input
    outputs = []
    for x in inputs:
        cur = x
        outputs.append(int(cur in (0, 1, 4, 9, 16)))
    return outputs
