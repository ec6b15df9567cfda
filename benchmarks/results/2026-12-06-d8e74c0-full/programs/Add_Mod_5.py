"""Add_Mod_5: synthesized by mips from a trained recurrent network.

Network: hidden 2, f depth 2, g depth 1, width 16 (seed 0, trained seed 1).
Route: 5-state machine written as formulas on 1 integer coordinate(s) (size 7), reproduces the held-out outputs.
Read from the simplified network (basis, rounding: see report.json).

VERIFIED: 10000/10000 fresh random sequences of length 10, 1000/1000 fresh random sequences of length 50
"""


def program(inputs):
    out = 0  # the output
    outputs = []
    for x in inputs:
        out = (out + x) % 5
        outputs.append(out)
    return outputs
