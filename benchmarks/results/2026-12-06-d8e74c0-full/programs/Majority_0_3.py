"""Majority_0_3: synthesized by mips from a trained recurrent network.

Network: hidden 3, f depth 1, g depth 2, width 16 (seed 0, trained seed 7).
Route: 4-dimensional integer state with symbolic formulas (size 53), reproduces the held-out outputs.
Read from the simplified network (basis, rounding: see report.json).

VERIFIED: 10000/10000 fresh random sequences of length 10, 1000/1000 fresh random sequences of length 50
"""


def program(inputs):
    total = 0
    total_2 = 0
    total_3 = 0
    total_4 = 0
    outputs = []
    for x in inputs:
        total, total_2, total_3, total_4 = total + int(x < 1), total_2 + int(x == 1), total_3 + int(x == 2), total_4 + int(x > 2)
        outputs.append(int(total < total_2) if max(total_3, total_4) <= total else int(total_3 < total_4) + 2 if total_2 < max(total_3, total_4) else 1)
    return outputs
