"""Majority_0_2: synthesized by mips from a trained recurrent network.

Network: hidden 2, f depth 1, g depth 1, width 16 (seed 0, trained seed 0).
Route: 3-dimensional integer state with symbolic formulas (size 33), reproduces the held-out outputs.
Read from the simplified network (basis, rounding: see report.json).

VERIFIED: 10000/10000 fresh random sequences of length 10, 1000/1000 fresh random sequences of length 50
"""


def program(inputs):
    total = 0
    total_2 = 0
    total_3 = 0
    outputs = []
    for x in inputs:
        total, total_2, total_3 = total + int(x < 1), total_2 + int(x == 1), total_3 + int(x > 1)
        outputs.append(int(total < total_2) if total_3 <= max(total, total_2) else 2)
    return outputs
