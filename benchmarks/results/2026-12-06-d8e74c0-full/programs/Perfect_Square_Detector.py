"""Perfect_Square_Detector: synthesized by mips from a trained recurrent network.

Network: hidden 5, f depth 2, g depth 2, width 16 (seed 0, trained seed 2).
Route: 2-state machine written as formulas on 1 integer coordinate(s) (size 10), reproduces the held-out outputs.
Read from the simplified network (relu units, basis, rounding: see report.json).

VERIFIED: 10000/10000 fresh random sequences of length 10, 1000/1000 fresh random sequences of length 50
"""


def program(inputs):
    outputs = []
    for x in inputs:
        outputs.append(int(x in (0, 1, 4, 9, 16)))
    return outputs
